//! The `alarms:` settings a resource (or the Stack, per kind) writes over its checks' defaults:
//! checked here, where every spec field is, against the checks the model lists.

use super::diag::did_you_mean;
use super::load::ResourceSpecWire;
use super::validate::{Ctx, Validator};
use super::wire::AlarmOverridesWire;
use crate::model::{checks_of, AlarmOverride, AlarmOverrides, Kind};

/// A kind's wire spec with an `alarms:` field (declared by `resource_spec_wire!`'s
/// `alarms: "…",`), so that one function checks every such kind's.
pub trait AlarmsSpecWire: ResourceSpecWire {
    fn alarms(&self) -> &AlarmOverridesWire;
}

/// Check a resource's own `spec.alarms` against the checks of its kind (see [`overrides`]).
pub(crate) fn of_resource<W: AlarmsSpecWire>(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    spec: &W,
) -> AlarmOverrides {
    overrides(v, ctx, "spec.alarms", W::KIND, spec.alarms())
}

/// The longest total an alarm may look back over (PutMetricAlarm: EvaluationPeriods × Period at
/// most one day for periods under an hour, seven days otherwise).
fn evaluation_limit(period: u32) -> u64 {
    if period < 3600 {
        86_400
    } else {
        604_800
    }
}

/// Check `alarms:` settings of a resource of `kind` (or the Stack's for that kind) written at
/// `field` (`spec.alarms`): known checks only, periods CloudWatch accepts at standard
/// resolution, positive evaluation periods within CloudWatch's look-back, finite thresholds.
pub(crate) fn overrides(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    field: &str,
    kind: Kind,
    written: &AlarmOverridesWire,
) -> AlarmOverrides {
    let checks = checks_of(kind);
    let mut settings = AlarmOverrides::new();
    for (check, w) in written {
        let at = format!("{field}.{check}");
        if !checks.iter().any(|c| c.name == check) {
            let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
            let hint = match did_you_mean(check, names.iter().copied()) {
                Some(near) => format!(
                    "did you mean `{near}`? {kind}'s checks: {}",
                    names.join(", ")
                ),
                None => format!("{kind}'s checks: {}", names.join(", ")),
            };
            v.diagnostics.push(
                ctx.key_error(&at, format!("`{check}` is not an alarm check of a {kind}"))
                    .hint(hint),
            );
            continue;
        }
        let mut setting = AlarmOverride {
            disabled: w.disabled.unwrap_or(false),
            ..AlarmOverride::default()
        };
        if let Some(threshold) = w.threshold {
            if threshold.is_finite() && threshold >= 0.0 {
                setting.threshold = Some(threshold);
            } else {
                v.diagnostics.push(
                    ctx.error(
                        &format!("{at}.threshold"),
                        format!("a threshold of {threshold} cannot be reached"),
                    )
                    .hint("a number of zero or more, in the check's unit (docs/spec.md, Alarms)"),
                );
            }
        }
        if let Some(period) = w.period {
            match u32::try_from(period)
                .ok()
                .filter(|p| *p >= 60 && *p <= 86_400 && p % 60 == 0)
            {
                Some(period) => setting.period = Some(period),
                None => v.diagnostics.push(
                    ctx.error(
                        &format!("{at}.period"),
                        format!("CloudWatch does not take a period of {period} s for a standard-resolution alarm"),
                    )
                    .hint("a multiple of 60 from 60 to 86400 (seconds)"),
                ),
            }
        }
        if let Some(evaluation_periods) = w.evaluation_periods {
            let period = setting
                .period
                .or_else(|| checks.iter().find(|c| c.name == check).map(|c| c.period))
                .unwrap_or(60);
            let limit = evaluation_limit(period);
            match u32::try_from(evaluation_periods)
                .ok()
                .filter(|n| *n >= 1 && u64::from(*n) * u64::from(period) <= limit)
            {
                Some(n) => setting.evaluation_periods = Some(n),
                None => v.diagnostics.push(
                    ctx.error(
                        &format!("{at}.evaluationPeriods"),
                        format!("{evaluation_periods} evaluation periods of {period} s is outside what CloudWatch takes"),
                    )
                    .hint(format!(
                        "at least 1, and at most {} with a period of {period} s (evaluation periods × period ≤ {limit} s)",
                        limit / u64::from(period)
                    )),
                ),
            }
        }
        settings.insert(check.clone(), setting);
    }
    settings
}
