//! How much provisioned concurrency a month holds: the baseline and the scheduled actions played
//! over a reference month (730 hours from a Monday, the 1st of a 31-day month, in UTC), minute
//! by minute, as Application Auto Scaling would fire them.
//!
//! Each schedule's `min` is the value in force from when it fires until the next schedule fires
//! (target tracking may go higher; the estimate takes the lower bound). The 30 days before the
//! month (a November) are played first, so that the value in force at its start is the one the
//! schedules left there.

use crate::model::ProvisionedConcurrency;

const MINUTES_PER_DAY: u32 = 24 * 60;

/// Provisioned concurrency over the reference month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProvisionedMonth {
    /// Σ concurrency × seconds, each period with concurrency rounded up to whole billing periods.
    pub concurrency_seconds: f64,
    /// Seconds with any concurrency provisioned.
    pub provisioned_seconds: f64,
    /// Schedules the estimate could not play (one-off `at(…)`, or cron features not modelled).
    pub skipped: Vec<String>,
}

/// One AWS cron field: the values it allows.
#[derive(Clone, Debug)]
struct Field(Vec<bool>);

impl Field {
    fn parse(text: &str, low: u32, high: u32, names: &[&str]) -> Option<Field> {
        let mut allowed = vec![false; high as usize + 1];
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
                None => (part, 1),
            };
            let value = |t: &str| -> Option<u32> {
                if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
                    return Some(low + i as u32);
                }
                t.parse().ok().filter(|v| (low..=high).contains(v))
            };
            let (from, to) = match range {
                "*" | "?" => (low, high),
                r => match r.split_once('-') {
                    Some((a, b)) => (value(a)?, value(b)?),
                    None => {
                        let v = value(r)?;
                        (v, if part.contains('/') { high } else { v })
                    }
                },
            };
            let mut v = from;
            while v <= to {
                allowed[v as usize] = true;
                v += step;
            }
        }
        Some(Field(allowed))
    }

    fn allows(&self, v: u32) -> bool {
        self.0.get(v as usize).copied().unwrap_or(false)
    }
}

/// `cron(minutes hours day-of-month month day-of-week year)`, without `L`, `W` and `#`.
struct Cron {
    minutes: Field,
    hours: Field,
    days: Field,
    months: Field,
    weekdays: Field,
    any_day: bool,
    any_weekday: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    fn parse(expression: &str) -> Option<Cron> {
        let body = expression.strip_prefix("cron(")?.strip_suffix(')')?;
        let fields: Vec<&str> = body.split_whitespace().collect();
        // `L`, `W` and `#` do not parse as values, so such expressions are reported, not guessed.
        if fields.len() != 6 {
            return None;
        }
        Some(Cron {
            minutes: Field::parse(fields[0], 0, 59, &[])?,
            hours: Field::parse(fields[1], 0, 23, &[])?,
            days: Field::parse(fields[2], 1, 31, &[])?,
            months: Field::parse(fields[3], 1, 12, &MONTHS)?,
            weekdays: Field::parse(fields[4], 1, 7, &WEEKDAYS)?,
            any_day: matches!(fields[2], "*" | "?"),
            any_weekday: matches!(fields[4], "*" | "?"),
        })
    }

    /// Does it fire at `minute` of the reference month (December, starting on a Monday)?
    /// Negative minutes are the end of the November before it (30 days).
    fn fires(&self, minute: i64) -> bool {
        let day = minute.div_euclid(i64::from(MINUTES_PER_DAY));
        let in_day = minute.rem_euclid(i64::from(MINUTES_PER_DAY)) as u32;
        let (month, day_of_month) = if day < 0 {
            (11, (30 + day + 1) as u32)
        } else {
            (12, (day + 1) as u32)
        };
        // AWS numbers weekdays 1 (SUN) to 7 (SAT); day 0 is a Monday (2).
        let weekday = (day + 1).rem_euclid(7) as u32 + 1;
        let day_ok = match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (false, true) => self.days.allows(day_of_month),
            (true, false) => self.weekdays.allows(weekday),
            (false, false) => self.days.allows(day_of_month) || self.weekdays.allows(weekday),
        };
        day_ok
            && self.months.allows(month)
            && self.hours.allows(in_day / 60)
            && self.minutes.allows(in_day % 60)
    }
}

/// `rate(N minutes|hours|days)`: fires every N units from the start of the month.
fn rate_minutes(expression: &str) -> Option<u32> {
    let body = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = body.split_once(' ')?;
    let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
    match unit.trim_end_matches('s') {
        "minute" => Some(n),
        "hour" => Some(n * 60),
        "day" => Some(n * MINUTES_PER_DAY),
        _ => None,
    }
}

/// Play the schedules over the reference month of `hours_per_month` hours; each stretch with
/// concurrency is billed in whole periods of `billing_minutes`.
pub fn provisioned_month(
    pc: &ProvisionedConcurrency,
    hours_per_month: u32,
    billing_minutes: u32,
) -> ProvisionedMonth {
    let minutes = hours_per_month * 60;
    let mut skipped = Vec::new();
    enum When {
        Cron(Cron),
        Every(u32),
    }
    let mut plays: Vec<(When, u32)> = Vec::new();
    for s in &pc.schedules {
        if let Some(cron) = Cron::parse(&s.expression) {
            plays.push((When::Cron(cron), s.min));
        } else if let Some(every) = rate_minutes(&s.expression) {
            plays.push((When::Every(every), s.min));
        } else {
            skipped.push(format!("{} ({})", s.name, s.expression));
        }
    }
    let level_at = |minute: i64, current: u32| -> u32 {
        let mut level = current;
        for (when, min) in &plays {
            let fires = match when {
                When::Cron(c) => c.fires(minute),
                When::Every(n) => minute.rem_euclid(i64::from(*n)) == 0,
            };
            if fires {
                level = *min;
            }
        }
        level
    };
    // The 30 days before: the value in force when the month starts.
    let mut level = pc.baseline;
    if !plays.is_empty() {
        for minute in -(30 * i64::from(MINUTES_PER_DAY))..0 {
            level = level_at(minute, level);
        }
    }
    let mut month = ProvisionedMonth {
        skipped,
        ..Default::default()
    };
    // (level, minutes) stretches, each billed up to whole billing periods.
    let mut stretch = (level, 0u32);
    let close = |(level, length): (u32, u32), month: &mut ProvisionedMonth| {
        if level > 0 && length > 0 {
            let billed = length.div_ceil(billing_minutes.max(1)) * billing_minutes.max(1);
            month.concurrency_seconds += f64::from(level) * f64::from(billed) * 60.0;
            month.provisioned_seconds += f64::from(billed.min(minutes)) * 60.0;
        }
    };
    for minute in 0..minutes {
        if !plays.is_empty() {
            level = level_at(i64::from(minute), level);
        }
        if level != stretch.0 {
            close(stretch, &mut month);
            stretch = (level, 0);
        }
        stretch.1 += 1;
    }
    close(stretch, &mut month);
    month.provisioned_seconds = month.provisioned_seconds.min(f64::from(minutes) * 60.0);
    month
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PcSchedule;

    fn pc(baseline: u32, schedules: &[(&str, u32)]) -> ProvisionedConcurrency {
        ProvisionedConcurrency {
            baseline,
            schedules: schedules
                .iter()
                .enumerate()
                .map(|(i, (expression, min))| PcSchedule {
                    name: format!("s{i}"),
                    expression: expression.to_string(),
                    timezone: None,
                    min: *min,
                    max: (*min).max(1),
                })
                .collect(),
            target_utilization: None,
        }
    }

    #[test]
    fn a_baseline_holds_all_month() {
        let month = provisioned_month(&pc(2, &[]), 730, 5);
        assert_eq!(month.concurrency_seconds, 2.0 * 730.0 * 3600.0);
        assert_eq!(month.provisioned_seconds, 730.0 * 3600.0);
    }

    #[test]
    fn one_window_a_month_is_its_hours() {
        let month = provisioned_month(
            &pc(
                0,
                &[("cron(0 12 15 * ? *)", 100), ("cron(0 20 15 * ? *)", 0)],
            ),
            730,
            5,
        );
        assert_eq!(month.concurrency_seconds, 100.0 * 8.0 * 3600.0);
        assert_eq!(month.provisioned_seconds, 8.0 * 3600.0);
    }

    #[test]
    fn weekday_business_hours_count_the_weekdays_of_the_month() {
        // 730 hours from Monday the 1st: 30 days and 10 hours, so 22 full weekdays at 20 from
        // 08:00 to 20:00, plus 08:00-10:00 of Wednesday the 31st; 2 otherwise.
        let month = provisioned_month(
            &pc(
                2,
                &[
                    ("cron(0 8 ? * MON-FRI *)", 20),
                    ("cron(0 20 ? * MON-FRI *)", 2),
                ],
            ),
            730,
            5,
        );
        let busy = (22.0 * 12.0 + 2.0) * 3600.0;
        let expected = 20.0 * busy + 2.0 * (730.0 * 3600.0 - busy);
        assert_eq!(month.concurrency_seconds, expected);
    }

    #[test]
    fn short_stretches_are_billed_in_five_minutes() {
        let month = provisioned_month(
            &pc(
                0,
                &[("cron(0 12 15 * ? *)", 10), ("cron(1 12 15 * ? *)", 0)],
            ),
            730,
            5,
        );
        assert_eq!(month.concurrency_seconds, 10.0 * 5.0 * 60.0);
    }

    #[test]
    fn one_off_and_unsupported_schedules_are_reported() {
        let month = provisioned_month(
            &pc(
                1,
                &[("at(2027-01-01T00:00:00)", 50), ("cron(0 8 L * ? *)", 9)],
            ),
            730,
            5,
        );
        assert_eq!(month.skipped.len(), 2);
        assert_eq!(month.concurrency_seconds, 730.0 * 3600.0);
    }
}
