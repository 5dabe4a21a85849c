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

/// What one cron field accepts: its name for messages, its bounds, value names, and whether `?`
/// and the day wildcards (`L`, `W`, `#`) belong in it.
struct FieldRule {
    name: &'static str,
    low: u32,
    high: u32,
    names: &'static [&'static str],
    question_mark: bool,
}

const FIELD_RULES: [FieldRule; 6] = [
    FieldRule {
        name: "minutes",
        low: 0,
        high: 59,
        names: &[],
        question_mark: false,
    },
    FieldRule {
        name: "hours",
        low: 0,
        high: 23,
        names: &[],
        question_mark: false,
    },
    FieldRule {
        name: "day-of-month",
        low: 1,
        high: 31,
        names: &[],
        question_mark: true,
    },
    FieldRule {
        name: "month",
        low: 1,
        high: 12,
        names: &MONTHS,
        question_mark: false,
    },
    FieldRule {
        name: "day-of-week",
        low: 1,
        high: 7,
        names: &WEEKDAYS,
        question_mark: true,
    },
    FieldRule {
        name: "year",
        low: 1970,
        high: 2199,
        names: &[],
        question_mark: false,
    },
];

impl Field {
    /// The values `text` allows, or why AWS would refuse it.
    fn parse(text: &str, rule: &FieldRule) -> Result<Field, String> {
        let (low, high) = (rule.low, rule.high);
        let what = rule.name;
        let mut allowed = vec![false; high as usize + 1];
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (
                    r,
                    s.parse::<u32>()
                        .ok()
                        .filter(|s| (1..=high.max(1)).contains(s))
                        .ok_or_else(|| {
                            format!("{what}: `{s}` is not a step (a whole number from 1)")
                        })?,
                ),
                None => (part, 1),
            };
            let value = |t: &str| -> Result<u32, String> {
                if let Some(i) = rule.names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
                    return Ok(low + i as u32);
                }
                let names = if rule.names.is_empty() {
                    String::new()
                } else {
                    format!(" or {}-{}", rule.names[0], rule.names[rule.names.len() - 1])
                };
                t.parse()
                    .ok()
                    .filter(|v| (low..=high).contains(v))
                    .ok_or_else(|| {
                        format!("{what}: `{t}` is not a value from {low} to {high}{names}")
                    })
            };
            let (from, to) = match range {
                "*" => (low, high),
                "?" if rule.question_mark => (low, high),
                "?" => {
                    return Err(format!(
                        "{what}: `?` is only for day-of-month or day-of-week"
                    ))
                }
                "" => return Err(format!("{what}: an empty value in `{text}`")),
                r => match r.split_once('-') {
                    Some((a, b)) => (value(a)?, value(b)?),
                    None => {
                        let v = value(r)?;
                        (v, if part.contains('/') { high } else { v })
                    }
                },
            };
            // A range that wraps (FRI-MON) runs to the end and from the start.
            let mut mark = |from: u32, to: u32| {
                let mut v = from;
                while v <= to {
                    allowed[v as usize] = true;
                    v += step;
                }
            };
            if from <= to {
                mark(from, to);
            } else {
                mark(from, high);
                mark(low, to);
            }
        }
        Ok(Field(allowed))
    }

    fn allows(&self, v: u32) -> bool {
        self.0.get(v as usize).copied().unwrap_or(false)
    }
}

/// AWS's day wildcards, valid but not played by the estimate: `L`, `LW`, `15W` in day-of-month;
/// `L`, `6L`, `FRIL`, `3#2`, `MON#1` in day-of-week. False when `text` uses none (then it is
/// parsed as values, which reports any other use of them).
fn day_wildcard(text: &str, rule: &FieldRule) -> bool {
    let value_ok = |t: &str| {
        rule.names.iter().any(|n| n.eq_ignore_ascii_case(t))
            || t.parse::<u32>()
                .is_ok_and(|v| (rule.low..=rule.high).contains(&v))
    };
    let upper = text.to_ascii_uppercase();
    match rule.name {
        "day-of-month" => {
            upper == "L"
                || upper == "LW"
                || upper
                    .strip_suffix('W')
                    .is_some_and(|d| !d.is_empty() && value_ok(d))
        }
        "day-of-week" => {
            upper == "L"
                || upper
                    .strip_suffix('L')
                    .is_some_and(|d| !d.is_empty() && value_ok(d))
                || upper.split_once('#').is_some_and(|(d, n)| {
                    value_ok(d) && n.parse::<u32>().is_ok_and(|n| (1..=5).contains(&n))
                })
        }
        _ => false,
    }
}

/// `cron(minutes hours day-of-month month day-of-week year)`, as EventBridge and Application
/// Auto Scaling read it. The estimate plays all but the day wildcards (`L`, `W`, `#`).
struct Cron {
    minutes: Field,
    hours: Field,
    days: Field,
    months: Field,
    weekdays: Field,
    any_day: bool,
    any_weekday: bool,
    /// Uses `L`, `W` or `#`: valid, but not played by the estimate.
    day_wildcards: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    /// The expression, or why AWS would refuse it (a message that names the field).
    fn parse(expression: &str) -> Result<Cron, String> {
        let body = expression
            .strip_prefix("cron(")
            .and_then(|b| b.strip_suffix(')'))
            .ok_or_else(|| format!("`{expression}` is not a cron(…) expression"))?;
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "`{expression}` has {} fields; AWS cron expressions have 6 (minutes hours day-of-month month day-of-week year)",
                fields.len()
            ));
        }
        let located = |e: String| format!("`{expression}`: {e}");
        let mut parsed = Vec::with_capacity(6);
        let mut day_wildcards = false;
        for (text, rule) in fields.iter().zip(FIELD_RULES.iter()) {
            if day_wildcard(text, rule) {
                day_wildcards = true;
                parsed.push(Field(Vec::new()));
            } else {
                parsed.push(Field::parse(text, rule).map_err(located)?);
            }
        }
        // AWS: one of day-of-month and day-of-week is `?`, never both, never neither.
        match (fields[2] == "?", fields[4] == "?") {
            (true, true) => {
                return Err(located(
                    "day-of-month and day-of-week cannot both be `?`".to_string(),
                ))
            }
            (false, false) => {
                return Err(located(
                    "one of day-of-month and day-of-week must be `?` (AWS does not combine them)"
                        .to_string(),
                ))
            }
            _ => {}
        }
        let mut parsed = parsed.into_iter();
        let mut next = || parsed.next().unwrap_or(Field(Vec::new()));
        Ok(Cron {
            minutes: next(),
            hours: next(),
            days: next(),
            months: next(),
            weekdays: next(),
            any_day: matches!(fields[2], "*" | "?"),
            any_weekday: matches!(fields[4], "*" | "?"),
            day_wildcards,
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

/// `rate(N minute|minutes|hour|hours|day|days)` in minutes, or why AWS would refuse it. AWS
/// wants the singular unit for 1 and the plural otherwise.
fn rate_minutes(expression: &str) -> Result<u32, String> {
    let body = expression
        .strip_prefix("rate(")
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| format!("`{expression}` is not a rate(…) expression"))?;
    let mut parts = body.split_whitespace();
    let value = parts.next().and_then(|v| v.parse::<u32>().ok());
    let unit = parts.next();
    let (n, unit) = match (value, unit, parts.next()) {
        (Some(n), Some(u), None)
            if n > 0 && matches!(u, "minute" | "minutes" | "hour" | "hours" | "day" | "days") =>
        {
            (n, u)
        }
        _ => {
            return Err(format!(
                "`{expression}` is not a rate expression like rate(5 minutes)"
            ))
        }
    };
    if (n == 1) == unit.ends_with('s') {
        return Err(format!(
            "`{expression}`: use the singular unit for 1 and the plural otherwise"
        ));
    }
    let per_unit = match unit.trim_end_matches('s') {
        "minute" => 1,
        "hour" => 60,
        _ => MINUTES_PER_DAY,
    };
    n.checked_mul(per_unit)
        .ok_or_else(|| format!("`{expression}` is longer than AWS allows"))
}

/// `at(yyyy-mm-ddThh:mm:ss)`, Application Auto Scaling's one-off schedule.
fn check_at(expression: &str) -> Result<(), String> {
    let body = expression
        .strip_prefix("at(")
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| format!("`{expression}` is not an at(…) expression"))?;
    let bad = || format!("`{expression}` is not a date and time like at(2026-12-24T18:00:00)");
    let (date, time) = body.split_once('T').ok_or_else(bad)?;
    let numbers = |text: &str, sep: char, widths: [usize; 3]| -> Option<[u32; 3]> {
        let parts: Vec<&str> = text.split(sep).collect();
        if parts.len() != 3 {
            return None;
        }
        let mut out = [0; 3];
        for (i, (part, width)) in parts.iter().zip(widths).enumerate() {
            if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out[i] = part.parse().ok()?;
        }
        Some(out)
    };
    let [year, month, day] = numbers(date, '-', [4, 2, 2]).ok_or_else(bad)?;
    let [hour, minute, second] = numbers(time, ':', [2, 2, 2]).ok_or_else(bad)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    Ok(())
}

/// Check a schedule expression as AWS would: `cron(…)` field by field, `rate(…)`, and, where
/// Application Auto Scaling takes it (`allow_at`), `at(…)`. The same parser plays the schedules
/// in the cost estimate, so what validates is what the estimate reads.
pub fn check_expression(expression: &str, allow_at: bool) -> Result<(), String> {
    if expression.starts_with("cron(") {
        return Cron::parse(expression).map(|_| ());
    }
    if expression.starts_with("rate(") {
        return rate_minutes(expression).map(|_| ());
    }
    if allow_at && expression.starts_with("at(") {
        return check_at(expression);
    }
    Err(format!("`{expression}` is not a schedule expression"))
}

/// The IANA time zone `name`, exactly as the database spells it (Application Auto Scaling
/// takes no other), from the time zone database built into slsctl (jiff's bundled tzdb).
pub fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name)
        .ok()
        .filter(|tz| tz.iana_name() == Some(name))
}

/// The reference month starts on Monday 2025-12-01 00:00 UTC, a real date, so that time zones
/// (with the daylight-saving changes of the November before it) apply as they would.
const REFERENCE_START_SECONDS: i64 = 1_764_547_200;

/// Minutes to add to reference minute `minute` (UTC) for the wall clock of `tz`.
fn offset_minutes(tz: &jiff::tz::TimeZone, minute: i64) -> i64 {
    jiff::Timestamp::from_second(REFERENCE_START_SECONDS + minute * 60)
        .map(|at| i64::from(tz.to_offset(at).seconds()) / 60)
        .unwrap_or(0)
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
        /// A cron expression, read on the wall clock of its time zone (UTC without one).
        Cron(Cron, Option<jiff::tz::TimeZone>),
        Every(u32),
    }
    let mut plays: Vec<(When, u32)> = Vec::new();
    for s in &pc.schedules {
        let zone = s.timezone.as_deref().map(time_zone);
        match (
            Cron::parse(&s.expression),
            rate_minutes(&s.expression),
            zone,
        ) {
            // A time zone the database does not know is a validation error; never guessed.
            (_, _, Some(None)) => skipped.push(format!("{} ({})", s.name, s.expression)),
            (Ok(cron), _, zone) if !cron.day_wildcards => {
                plays.push((When::Cron(cron, zone.flatten()), s.min))
            }
            (_, Ok(every), _) => plays.push((When::Every(every), s.min)),
            _ => skipped.push(format!("{} ({})", s.name, s.expression)),
        }
    }
    let level_at = |minute: i64, current: u32| -> u32 {
        let mut level = current;
        for (when, min) in &plays {
            let fires = match when {
                When::Cron(c, None) => c.fires(minute),
                When::Cron(c, Some(tz)) => c.fires(minute + offset_minutes(tz, minute)),
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

    /// The reference month of 730 hours, billed in five-minute periods, under `baseline` and
    /// `schedules` (each an expression and the minimum it sets).
    fn play(baseline: u32, schedules: &[(&str, u32)]) -> ProvisionedMonth {
        play_in(baseline, schedules, None)
    }

    /// [`play`], with the schedules read in `timezone`.
    fn play_in(
        baseline: u32,
        schedules: &[(&str, u32)],
        timezone: Option<&str>,
    ) -> ProvisionedMonth {
        let pc = ProvisionedConcurrency {
            baseline,
            schedules: schedules
                .iter()
                .enumerate()
                .map(|(i, (expression, min))| PcSchedule {
                    name: format!("s{i}"),
                    expression: expression.to_string(),
                    timezone: timezone.map(str::to_string),
                    min: *min,
                    max: (*min).max(1),
                })
                .collect(),
            target_utilization: None,
            max: None,
        };
        provisioned_month(&pc, 730, 5)
    }

    #[test]
    fn a_baseline_holds_all_month() {
        let month = play(2, &[]);
        assert_eq!(month.concurrency_seconds, 2.0 * 730.0 * 3600.0);
        assert_eq!(month.provisioned_seconds, 730.0 * 3600.0);
    }

    #[test]
    fn one_window_a_month_is_its_hours() {
        let month = play(
            0,
            &[("cron(0 12 15 * ? *)", 100), ("cron(0 20 15 * ? *)", 0)],
        );
        assert_eq!(month.concurrency_seconds, 100.0 * 8.0 * 3600.0);
        assert_eq!(month.provisioned_seconds, 8.0 * 3600.0);
    }

    #[test]
    fn weekday_business_hours_count_the_weekdays_of_the_month() {
        // 730 hours from Monday the 1st: 30 days and 10 hours, so 22 full weekdays at 20 from
        // 08:00 to 20:00, plus 08:00-10:00 of Wednesday the 31st; 2 otherwise.
        let weekdays = [
            ("cron(0 8 ? * MON-FRI *)", 20),
            ("cron(0 20 ? * MON-FRI *)", 2),
        ];
        let month = play(2, &weekdays);
        let busy = (22.0 * 12.0 + 2.0) * 3600.0;
        let expected = 20.0 * busy + 2.0 * (730.0 * 3600.0 - busy);
        assert_eq!(month.concurrency_seconds, expected);
    }

    #[test]
    fn short_stretches_are_billed_in_five_minutes() {
        let month = play(
            0,
            &[("cron(0 12 15 * ? *)", 10), ("cron(1 12 15 * ? *)", 0)],
        );
        assert_eq!(month.concurrency_seconds, 10.0 * 5.0 * 60.0);
    }

    #[test]
    fn one_off_and_unsupported_schedules_are_reported() {
        let month = play(
            1,
            &[("at(2027-01-01T00:00:00)", 50), ("cron(0 8 L * ? *)", 9)],
        );
        assert_eq!(month.skipped.len(), 2);
        assert_eq!(month.concurrency_seconds, 730.0 * 3600.0);
    }

    #[test]
    fn schedules_fire_on_the_wall_clock_of_their_time_zone() {
        // 12:00-20:00 on the 15th: in UTC, and in Tokyo (UTC+9, 03:00-11:00 UTC), the same eight
        // hours; a window that crosses the end of the month in Tokyo is cut there.
        let window = [("cron(0 12 15 * ? *)", 10), ("cron(0 20 15 * ? *)", 0)];
        let utc = play(0, &window);
        let tokyo = play_in(0, &window, Some("Asia/Tokyo"));
        assert_eq!(utc.concurrency_seconds, tokyo.concurrency_seconds);
        // On from 00:00 to 12:00 local on the 1st: 12 hours of the month in UTC; in Tokyo
        // (UTC+9) it is on from 15:00 UTC on the 30th of November to 03:00 UTC, so 3 hours.
        let morning = [("cron(0 0 1 * ? *)", 10), ("cron(0 12 1 * ? *)", 0)];
        let first_morning =
            |zone: Option<&str>| play_in(0, &morning, zone).concurrency_seconds / 36_000.0;
        assert_eq!(first_morning(None), 12.0);
        assert_eq!(first_morning(Some("UTC")), 12.0);
        assert_eq!(first_morning(Some("Asia/Tokyo")), 3.0);
    }

    #[test]
    fn time_zones_are_the_databases_names() {
        assert!(time_zone("Europe/Berlin").is_some());
        assert!(time_zone("UTC").is_some());
        assert!(time_zone("America/Argentina/Buenos_Aires").is_some());
        assert!(time_zone("Foo/Bar").is_none());
        assert!(
            time_zone("europe/berlin").is_none(),
            "spelled as the database does"
        );
        assert!(time_zone("").is_none());
    }
}
