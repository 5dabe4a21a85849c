//! Checks of single fields that several kinds share: references, integer ranges, tags,
//! runtimes, regions and schedule expressions.

use std::collections::{BTreeMap, HashMap};

use super::diag::did_you_mean;
use super::validate::*;
use super::wire::RetentionWire;
use crate::model::*;

/// What an integer field accepts: `min..=max` (shown with `unit`), `default` when absent.
#[derive(Clone, Copy)]
pub(crate) struct IntRange {
    pub default: i64,
    pub min: i64,
    pub max: i64,
    pub unit: &'static str,
}

/// Lambda's limits, shared by a Function's fields and the Stack's function defaults (the
/// CreateFunction API reference): memory in MB, timeout in seconds, `/tmp` in MB.
pub(crate) const LAMBDA_MEMORY_SIZE: IntRange = within(128, 128, 10240, " MB");
pub(crate) const LAMBDA_TIMEOUT: IntRange = within(3, 1, 900, " s");
pub(crate) const LAMBDA_EPHEMERAL_STORAGE: IntRange = within(512, 512, 10240, " MB");

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy `retentionInDays`); "never
/// expire" is the absence of a policy, not a value.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The retention a log group gets when neither its function nor the Stack says: bounded, so
/// that logs never grow a bill without end by default.
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;

/// `within(default, min, max, unit)`: an [`IntRange`].
pub(crate) const fn within(default: i64, min: i64, max: i64, unit: &'static str) -> IntRange {
    IntRange {
        default,
        min,
        max,
        unit,
    }
}

/// Whether `name` has a length in `lengths` and only ASCII letters, digits and the `extra`
/// characters: the shape of most AWS names.
pub(crate) fn aws_name(
    name: &str,
    lengths: std::ops::RangeInclusive<usize>,
    extra: &[char],
) -> bool {
    lengths.contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// A list whose entries are keyed by one field that must not repeat (target ids, index names):
/// a key seen before is reported at the repeat, with a note at its first use.
pub(crate) struct KeyedList<'k> {
    /// The list's field path, `spec.targets`.
    pub list: &'static str,
    /// The key's field in an entry, `id`.
    pub key: &'static str,
    /// The note at the first use.
    pub first_note: &'static str,
    seen: HashMap<&'k str, usize>,
}

impl<'k> KeyedList<'k> {
    pub(crate) fn new(list: &'static str, key: &'static str, first_note: &'static str) -> Self {
        KeyedList {
            list,
            key,
            first_note,
            seen: HashMap::new(),
        }
    }

    /// Entry `index` has key `value`; `message` says what a repeat means.
    pub(crate) fn check(
        &mut self,
        v: &mut Validator,
        ctx: &Ctx,
        index: usize,
        value: &'k str,
        message: String,
    ) {
        if let Some(first) = self.seen.insert(value, index) {
            let (list, key) = (self.list, self.key);
            v.diagnostics.push(
                ctx.error(&format!("{list}[{index}].{key}"), message)
                    .note(ctx.at(&format!("{list}[{first}].{key}")), self.first_note),
            );
        }
    }
}

impl Validator<'_> {
    /// A log retention: one of [`LOG_RETENTION_DAYS`], or `never` (`None`); absent, `default`.
    /// A refused value is reported at `field` and `default` stands in.
    pub(crate) fn log_retention(
        &mut self,
        ctx: &Ctx,
        field: &str,
        written: Option<RetentionWire>,
        default: Option<u32>,
    ) -> Option<u32> {
        match written {
            None => default,
            Some(RetentionWire::Never(_)) => None,
            Some(RetentionWire::Days(days)) => {
                if let Some(days) = u32::try_from(days)
                    .ok()
                    .filter(|d| LOG_RETENTION_DAYS.contains(d))
                {
                    return Some(days);
                }
                let nearest = LOG_RETENTION_DAYS
                    .iter()
                    .min_by_key(|d| (i64::from(**d) - days).abs())
                    .copied()
                    .unwrap_or(DEFAULT_LOG_RETENTION_DAYS);
                let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                self.diagnostics.push(
                    ctx.error(
                        field,
                        format!("CloudWatch Logs does not accept a retention of {days} days"),
                    )
                    .hint(format!(
                        "the nearest it accepts is {nearest}; the values are {}, or `never`",
                        allowed.join(", ")
                    )),
                );
                default
            }
        }
    }

    /// Resolve a reference written as a logical name (of one of `kinds`) or a full ARN.
    pub(crate) fn reference(
        &mut self,
        ctx: &Ctx,
        field: &str,
        written: &str,
        kinds: &[Kind],
    ) -> Option<Reference> {
        if written.starts_with("arn:") {
            let parts: Vec<&str> = written.splitn(6, ':').collect();
            if parts.len() < 6 || parts[2].is_empty() || parts[5].is_empty() {
                self.diagnostics.push(
                    ctx.error(field, format!("`{written}` is not a valid ARN"))
                        .hint("ARNs look like arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE"),
                );
                return None;
            }
            let expected_services: Vec<&str> = kinds
                .iter()
                .map(|k| (self.kinds)(*k).map_or("", |module| module.arn_service()))
                .collect();
            if !expected_services.contains(&parts[2]) {
                self.diagnostics.push(ctx.error(
                    field,
                    format!(
                        "`{written}` is an ARN of service `{}`, but a {} is expected here",
                        parts[2],
                        kinds_text(kinds)
                    ),
                ));
                return None;
            }
            return Some(Reference::Arn(written.to_string()));
        }
        for kind in kinds {
            if self.exists(*kind, written) {
                return Some(Reference::Stack(ResourceId::new(*kind, written)));
            }
        }
        // Not found with the expected kind: say whether it exists as another kind.
        let other = self
            .index
            .get(written)
            .and_then(|v| v.first())
            .map(|(k, i)| (*k, self.entries[*i].origin.clone()));
        let diagnostic = match other {
            Some((kind, origin)) => ctx
                .error(
                    field,
                    format!(
                        "`{written}` is a {kind}, but a {} is expected here",
                        kinds_text(kinds)
                    ),
                )
                .note(origin, format!("{kind} `{written}` is defined here")),
            None => {
                let candidates: Vec<&str> = self
                    .index
                    .iter()
                    .filter(|(_, v)| v.iter().any(|(k, _)| kinds.contains(k)))
                    .map(|(n, _)| n.as_str())
                    .collect();
                let hint = match did_you_mean(written, candidates.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if candidates.is_empty() => format!(
                        "this stack defines no {}; add one, or give a full ARN for a resource outside the stack",
                        kinds_text(kinds)
                    ),
                    None => format!(
                        "{} in this stack: {}; or give a full ARN",
                        kinds_text(kinds),
                        candidates.join(", ")
                    ),
                };
                ctx.error(
                    field,
                    format!("no {} named `{written}` in this stack", kinds_text(kinds)),
                )
                .hint(hint)
            }
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// An integer field with a default and an inclusive range.
    /// An integer field within `range`, its default when absent; out of range is an error
    /// (and the default stands in, so that checking goes on).
    pub(crate) fn int(
        &mut self,
        ctx: &Ctx,
        field: &str,
        value: Option<i64>,
        range: IntRange,
    ) -> u32 {
        let IntRange {
            default,
            min,
            max,
            unit,
        } = range;
        let v = value.unwrap_or(default);
        if v < min || v > max {
            let name = field.rsplit('.').next().unwrap_or(field);
            self.diagnostics.push(
                ctx.error(field, format!("{name} {v} is outside {min}..={max}{unit}"))
                    .hint(format!("AWS accepts {min} to {max}{unit} here")),
            );
            return default.clamp(0, u32::MAX as i64) as u32;
        }
        v as u32
    }

    pub(crate) fn tags(&mut self, ctx: &Ctx, tags: &BTreeMap<String, String>) {
        // AWS allows 50 tags per resource, slsctl's own included: a resource carries up to
        // five of them (stack, resource, a non-default deletion policy, a function's alias and
        // its S3 code source), and the stack's tags go on every resource.
        const OWN_TAGS: usize = 5;
        if tags.len() > 50 - OWN_TAGS {
            self.diagnostics.push(
                ctx.error(
                    "spec.tags",
                    format!(
                        "{} tags; at most {} fit beside slsctl's own tags (AWS allows 50 per resource)",
                        tags.len(),
                        50 - OWN_TAGS
                    ),
                )
                .hint("slsctl adds up to 5 tags of its own: slsctl:stack, slsctl:resource, slsctl:deletion-policy, slsctl:alias, slsctl:code-source"),
            );
        }
        for (key, value) in tags {
            let field = format!("spec.tags.{key}");
            if key.starts_with("aws:") || key.starts_with("slsctl:") {
                self.diagnostics.push(
                    ctx.key_error(&field, format!("tag key `{key}` uses a reserved prefix"))
                        .hint("`aws:` belongs to AWS and `slsctl:` to slsctl's ownership tags"),
                );
            } else if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                self.diagnostics.push(ctx.key_error(
                    &field,
                    "tag keys have 1 to 128 characters and values at most 256",
                ));
            }
        }
    }

    pub(crate) fn runtime(&mut self, ctx: &Ctx, field: &str, runtime: &str) {
        const KNOWN: &[&str] = &[
            "nodejs24.x",
            "nodejs22.x",
            "nodejs20.x",
            "python3.14",
            "python3.13",
            "python3.12",
            "python3.11",
            "python3.10",
            "java25",
            "java21",
            "java17",
            "java11",
            "java8.al2",
            "dotnet10",
            "dotnet8",
            "ruby3.4",
            "ruby3.3",
            "provided.al2023",
            "provided.al2",
        ];
        if KNOWN.contains(&runtime) || plausible_runtime(runtime) {
            return;
        }
        let hint = match did_you_mean(runtime, KNOWN.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("Lambda runtimes include {}", KNOWN[..6].join(", ")),
        };
        self.diagnostics.push(
            ctx.error(field, format!("unknown Lambda runtime `{runtime}`"))
                .hint(hint),
        );
    }
}

pub(crate) fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Runtime names follow a few families; a name of a known family with a newer version is
/// accepted so that a new AWS runtime does not need a new slsctl.
pub(crate) fn plausible_runtime(runtime: &str) -> bool {
    let digits_then = |rest: &str, suffix: &str| {
        rest.strip_suffix(suffix)
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(rest) = runtime.strip_prefix("nodejs") {
        return digits_then(rest, ".x");
    }
    if let Some(rest) = runtime.strip_prefix("python3.") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("java") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("dotnet") {
        return digits_then(rest, "");
    }
    if let Some(rest) = runtime.strip_prefix("ruby3.") {
        return digits_then(rest, "");
    }
    false
}

/// `rate(5 minutes)`, `cron(…)` checked field by field, or (for Auto Scaling)
/// `at(yyyy-mm-ddThh:mm:ss)`: the cost estimate's parser, so that one parser decides.
pub(crate) fn check_schedule_expression(expression: &str, allow_at: bool) -> Result<(), String> {
    crate::cost::schedule::check_expression(expression, allow_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_expressions() {
        assert!(check_schedule_expression("cron(0 8 ? * MON-FRI *)", false).is_ok());
        assert!(check_schedule_expression("cron(0 8 * * *)", false).is_err());
        assert!(check_schedule_expression("rate(5 minutes)", false).is_ok());
        assert!(check_schedule_expression("rate(1 minute)", false).is_ok());
        assert!(check_schedule_expression("rate(1 hour)", false).is_ok());
        assert!(check_schedule_expression("rate(1 minutes)", false).is_err());
        assert!(check_schedule_expression("rate(5 minute)", false).is_err());
        assert!(check_schedule_expression("at(2026-12-24T18:00:00)", true).is_ok());
        assert!(check_schedule_expression("at(2026-12-24T18:00:00)", false).is_err());
        // Every field is checked, not only their number.
        for bad in [
            "cron(99 8 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 8 0 * ? *)",
            "cron(0 8 32 * ? *)",
            "cron(0 8 ? 13 * *)",
            "cron(0 8 ? FOO * *)",
            "cron(0 8 ? * 8 *)",
            "cron(0 8 ? * MON-FUN *)",
            "cron(0 8 * * ? 1969)",
            "cron(0 8 * * ? 2200)",
            "cron(*/0 8 * * ? *)",
            "cron(0 8 * * * *)",
            "cron(0 8 ? * ? *)",
            "cron(? 8 * * ? *)",
            "cron(0 8 , * ? *)",
            "cron(0 8 ? * 3#6 *)",
            "at(2026-02-30T18:00:00)",
            "at(tomorrow)",
        ] {
            assert!(
                check_schedule_expression(bad, true).is_err(),
                "{bad} is refused"
            );
        }
        let message = check_schedule_expression("cron(99 8 * * ? *)", false).unwrap_err();
        assert_eq!(
            message,
            "`cron(99 8 * * ? *)`: minutes: `99` is not a value from 0 to 59"
        );
        for good in [
            "cron(0/15 8-17 ? * MON-FRI *)",
            "cron(0 12 L * ? *)",
            "cron(0 12 15W * ? *)",
            "cron(0 12 ? * 6L *)",
            "cron(0 12 ? * MON#1 *)",
            "cron(0 12 ? * FRI-MON 2026-2030)",
            "cron(0,30 * 1,15 JAN,JUL ? *)",
        ] {
            assert!(
                check_schedule_expression(good, false).is_ok(),
                "{good}: {:?}",
                check_schedule_expression(good, false)
            );
        }
    }

    #[test]
    fn regions_and_runtimes() {
        assert!(valid_region("us-east-1"));
        assert!(valid_region("us-gov-west-1"));
        assert!(!valid_region("useast1"));
        assert!(!valid_region("us-east"));
        assert!(plausible_runtime("python3.15"));
        assert!(plausible_runtime("nodejs26.x"));
        assert!(!plausible_runtime("python312"));
    }
}
