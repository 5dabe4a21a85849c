//! Validation of a Function document: code source, runtime, environment, alias and triggers.

use std::collections::BTreeMap;

use super::wire::*;
use crate::model::*;
use crate::spec::diag::did_you_mean;
use crate::spec::kind::Check;
use crate::spec::load::{resolve_inside_root, Loaded};
use crate::spec::validate::aws_name;
use crate::spec::validate::{check_schedule_expression, Ctx, Validator};
use crate::spec::validate::{
    within, KeyedList, DEFAULT_LOG_RETENTION_DAYS, LAMBDA_EPHEMERAL_STORAGE, LAMBDA_MEMORY_SIZE,
    LAMBDA_TIMEOUT, LOG_RETENTION_DAYS,
};
use crate::spec::wire::*;

pub(crate) fn validate(c: Check<'_, '_, FunctionSpecWire>) -> Option<Function> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let code = code(v, ctx, l)?;
    let is_image = matches!(code, Code::Image(_));
    let runtime = s.runtime.clone().or_else(|| {
        if is_image {
            None
        } else {
            v.defaults.runtime.clone()
        }
    });
    if is_image {
        for (field, present) in [
            ("spec.handler", s.handler.is_some()),
            ("spec.runtime", s.runtime.is_some()),
            ("spec.layers", !s.layers.is_empty()),
        ] {
            if present {
                v.diagnostics.push(
                    ctx.key_error(field, format!("`{}` does not apply to a container image", field.trim_start_matches("spec.")))
                        .hint("the image's own entry point and contents replace handler, runtime and layers"),
                );
            }
        }
    } else {
        if s.handler.is_none() {
            v.diagnostics.push(
                ctx.key_error("spec", "missing field `handler`")
                    .field("spec.handler")
                    .hint("e.g. handler: app.handler (file app.py, function handler)"),
            );
        }
        match &runtime {
            None => v.diagnostics.push(
                ctx.key_error("spec", "missing field `runtime`")
                    .field("spec.runtime")
                    .hint("set spec.runtime, or spec.defaults.function.runtime on the Stack"),
            ),
            Some(r) => v.runtime(
                ctx,
                if s.runtime.is_some() {
                    "spec.runtime"
                } else {
                    "spec"
                },
                r,
            ),
        }
    }
    let role = s.role.as_ref().and_then(|role| {
        let reference = v.reference(ctx, "spec.role", role, &[Kind::Role])?;
        if matches!(&reference, Reference::Arn(arn) if !valid_role_arn(arn)) {
            v.diagnostics.push(
                ctx.error("spec.role", format!("`{role}` is not an IAM role ARN"))
                    .hint("arn:aws:iam::ACCOUNT:role/NAME, or the name of a Role of this stack"),
            );
            return None;
        }
        Some(reference)
    });
    let permissions =
        crate::kinds::role::validate::permissions(v, ctx, "spec.permissions", &s.permissions);
    let managed_policies = crate::kinds::role::validate::managed_policies(
        v,
        ctx,
        "spec.managedPolicies",
        &s.managed_policies,
    );
    if let Some(Reference::Arn(arn)) = &role {
        for (field, given) in [
            ("spec.permissions", !s.permissions.is_empty()),
            ("spec.managedPolicies", !s.managed_policies.is_empty()),
        ] {
            if given {
                v.diagnostics.push(
                    ctx.error(
                        field,
                        format!("the role `{arn}` is managed outside slsctl, so slsctl cannot grant it anything"),
                    )
                    .hint("omit `role` to let slsctl create the function's role, or name a Role of this stack"),
                );
            }
        }
    }
    let memory_size = v.int(
        ctx,
        "spec.memorySize",
        s.memory_size.or(v.defaults.memory_size),
        LAMBDA_MEMORY_SIZE,
    );
    let timeout = v.int(
        ctx,
        "spec.timeout",
        s.timeout.or(v.defaults.timeout),
        LAMBDA_TIMEOUT,
    );
    let ephemeral_storage = v.int(
        ctx,
        "spec.ephemeralStorage",
        s.ephemeral_storage.or(v.defaults.ephemeral_storage),
        LAMBDA_EPHEMERAL_STORAGE,
    );
    let architecture = match s.architecture.or(v.defaults.architecture) {
        Some(ArchitectureWire::Arm64) => Architecture::Arm64,
        _ => Architecture::X86_64,
    };
    let tracing = match s.tracing.or(v.defaults.tracing) {
        Some(TracingWire::Active) => Tracing::Active,
        _ => Tracing::PassThrough,
    };
    if let Some(d) = &s.description {
        if d.chars().count() > 256 {
            v.diagnostics.push(ctx.error(
                "spec.description",
                "a function description has at most 256 characters",
            ));
        }
    }
    if s.layers.len() > 5 {
        v.diagnostics.push(ctx.error(
            "spec.layers",
            format!("{} layers; a function can use at most 5", s.layers.len()),
        ));
    }
    let layers = s
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, layer)| {
            v.reference(ctx, &format!("spec.layers[{i}]"), layer, &[Kind::Layer])
        })
        .collect();

    let mut environment = BTreeMap::new();
    let mut literal_bytes = 0usize;
    for (key, value) in &s.environment {
        let field = format!("spec.environment.{key}");
        if !valid_env_name(key) {
            v.diagnostics.push(
                ctx.key_error(
                    &field,
                    format!("`{key}` is not a valid environment variable name"),
                )
                .hint("at least two characters: letters, digits and `_`, starting with a letter"),
            );
        } else if RESERVED_ENV.contains(&key.as_str()) {
            v.diagnostics.push(
                ctx.key_error(&field, format!("`{key}` is reserved by Lambda"))
                    .hint("Lambda sets this variable itself; choose another name"),
            );
        }
        let value = match value {
            EnvValueWire::Literal(text) => {
                literal_bytes += key.len() + text.len();
                EnvValue::Literal(text.clone())
            }
            EnvValueWire::Ref(r) => match env_ref(v, ctx, &field, r) {
                Some(v) => v,
                None => continue,
            },
        };
        environment.insert(key.clone(), value);
    }
    // Lambda's limit is 4 KB for all variables; references add their resolved values later.
    if literal_bytes > 4096 {
        v.diagnostics.push(
            ctx.error(
                "spec.environment",
                format!("the environment holds {literal_bytes} bytes; Lambda allows 4 KB in all"),
            )
            .hint("move large values to SSM Parameter Store or Secrets Manager"),
        );
    }
    for (i, name) in s.sensitive_environment.iter().enumerate() {
        if !s.environment.contains_key(name) {
            let hint = did_you_mean(name, s.environment.keys().map(String::as_str))
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| "list names of spec.environment".to_string());
            v.diagnostics.push(
                ctx.error(
                    &format!("spec.sensitiveEnvironment[{i}]"),
                    format!("`{name}` is not in spec.environment"),
                )
                .hint(hint),
            );
        }
    }
    let reserved_concurrency = s.reserved_concurrency.map(|_| {
        v.int(
            ctx,
            "spec.reservedConcurrency",
            s.reserved_concurrency,
            within(0, 0, 1_000_000, ""),
        )
    });
    let dead_letter = s
        .dead_letter
        .as_ref()
        .and_then(|d| v.reference(ctx, "spec.deadLetter.queue", &d.queue, &[Kind::Queue]));
    let alias = s
        .alias
        .as_ref()
        .map(|a| alias(v, ctx, a, reserved_concurrency));

    let mut triggers = Vec::new();
    let mut trigger_queues = KeyedList::new("spec.triggers", "queue", "first trigger here");
    for (i, t) in s.triggers.iter().enumerate() {
        let base = format!("spec.triggers[{i}]");
        let repeat = format!("queue `{}` is already a trigger of this function", t.queue);
        trigger_queues.check(v, ctx, i, &t.queue, repeat);
        let Some(queue) = v.reference(ctx, &format!("{base}.queue"), &t.queue, &[Kind::Queue])
        else {
            continue;
        };
        let batch_size = v.int(
            ctx,
            &format!("{base}.batchSize"),
            t.batch_size,
            within(10, 1, 10000, ""),
        );
        let window = v.int(
            ctx,
            &format!("{base}.maximumBatchingWindow"),
            t.maximum_batching_window,
            within(0, 0, 300, " s"),
        );
        if batch_size > 10 && window == 0 {
            v.diagnostics.push(
                ctx.error(&format!("{base}.batchSize"), format!("a batch size of {batch_size} needs a batching window"))
                    .hint("Lambda requires maximumBatchingWindow of at least 1 second when batchSize is above 10"),
            );
        }
        let maximum_concurrency = t.maximum_concurrency.map(|_| {
            v.int(
                ctx,
                &format!("{base}.maximumConcurrency"),
                t.maximum_concurrency,
                within(2, 2, 1000, ""),
            )
        });
        triggers.push(Trigger {
            queue,
            batch_size,
            maximum_batching_window: window,
            report_batch_item_failures: t.report_batch_item_failures.unwrap_or(false),
            maximum_concurrency,
            enabled: t.enabled.unwrap_or(true),
        });
    }
    let log_retention_days = log_retention(v, ctx, s);
    let logging = logging(v, ctx, s);
    Some(Function {
        alarms: crate::kinds::alarm::validate::of_resource(v, ctx, s),
        handler: if is_image { None } else { s.handler.clone() },
        runtime,
        code,
        role,
        permissions,
        managed_policies,
        memory_size,
        timeout,
        architecture,
        ephemeral_storage,
        tracing,
        description: s.description.clone().unwrap_or_default(),
        layers,
        environment,
        sensitive_environment: s.sensitive_environment.clone(),
        reserved_concurrency,
        dead_letter,
        alias,
        triggers,
        log_retention_days,
        logging,
    })
}

/// The retention of the function's own log group: its own, else the Stack's default (checked on
/// the Stack document, so a refused one is not reported twice), else 30 days.
fn log_retention(v: &mut Validator<'_>, ctx: &Ctx<'_>, s: &FunctionSpecWire) -> Option<u32> {
    let stack_default = match v.defaults.log_retention_days {
        None => Some(DEFAULT_LOG_RETENTION_DAYS),
        Some(RetentionWire::Never(_)) => None,
        Some(RetentionWire::Days(days)) => u32::try_from(days)
            .ok()
            .filter(|d| LOG_RETENTION_DAYS.contains(d))
            .or(Some(DEFAULT_LOG_RETENTION_DAYS)),
    };
    v.log_retention(
        ctx,
        "spec.logRetentionDays",
        s.log_retention_days,
        stack_default,
    )
}

/// Lambda's logging configuration: levels only with JSON (Lambda refuses them with Text), and a
/// shared log group in place of the function's own one, whose retention is then the group's.
fn logging(v: &mut Validator<'_>, ctx: &Ctx<'_>, s: &FunctionSpecWire) -> Logging {
    let Some(w) = &s.logging else {
        return Logging {
            format: LogFormat::Text,
            application_log_level: None,
            system_log_level: None,
            log_group: None,
            deletion_policy: DeletionPolicy::Retain,
        };
    };
    let format = match w.format {
        Some(LogFormatWire::Json) => LogFormat::Json,
        _ => LogFormat::Text,
    };
    if format == LogFormat::Text {
        for (field, present) in [
            (
                "spec.logging.applicationLogLevel",
                w.application_log_level.is_some(),
            ),
            ("spec.logging.systemLogLevel", w.system_log_level.is_some()),
        ] {
            if present {
                v.diagnostics.push(
                    ctx.key_error(
                        field,
                        format!(
                            "`{}` needs the JSON log format",
                            field.trim_start_matches("spec.logging.")
                        ),
                    )
                    .hint("set `logging.format: JSON`, or remove the level: Lambda filters by level only JSON logs"),
                );
            }
        }
    }
    let log_group = w.log_group.as_ref().and_then(|name| {
        if name.starts_with("arn:") || name.starts_with('/') {
            v.diagnostics.push(
                ctx.error(
                    "spec.logging.logGroup",
                    format!("`{name}` is not a LogGroup of this stack"),
                )
                .hint("name a LogGroup document of this stack by its metadata.name; slsctl creates and bounds only the log groups it owns"),
            );
            return None;
        }
        if !v.exists(Kind::LogGroup, name) {
            let groups: Vec<&str> = v
                .index
                .iter()
                .filter(|(_, kinds)| kinds.iter().any(|(k, _)| *k == Kind::LogGroup))
                .map(|(n, _)| n.as_str())
                .collect();
            let hint = match did_you_mean(name, groups.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None if groups.is_empty() => "add a LogGroup document, or remove `logGroup` to log to the function's own group".to_string(),
                None => format!("LogGroups of this stack: {}", groups.join(", ")),
            };
            v.diagnostics.push(
                ctx.error(
                    "spec.logging.logGroup",
                    format!("no LogGroup named `{name}` in this stack"),
                )
                .hint(hint),
            );
            return None;
        }
        v.reference(ctx, "spec.logging.logGroup", name, &[Kind::LogGroup])
    });
    if log_group.is_some() {
        for (field, present) in [
            ("spec.logRetentionDays", s.log_retention_days.is_some()),
            ("spec.logging.deletionPolicy", w.deletion_policy.is_some()),
        ] {
            if present {
                v.diagnostics.push(
                    ctx.key_error(field, format!("`{}` applies to the function's own log group, but `logging.logGroup` names a shared one", field.trim_start_matches("spec.").trim_start_matches("logging.")))
                        .hint("set retentionDays and deletionPolicy on the LogGroup document instead"),
                );
            }
        }
    }
    let deletion_policy = match w.deletion_policy {
        None | Some(DeletionPolicyWire::Retain) => DeletionPolicy::Retain,
        Some(DeletionPolicyWire::Delete) => DeletionPolicy::Delete,
        Some(DeletionPolicyWire::DeleteIfEmpty) => {
            v.diagnostics.push(
                ctx.error(
                    "spec.logging.deletionPolicy",
                    "`delete-if-empty` applies to queues, not to a log group",
                )
                .hint("use `retain` (keep the logs until they expire) or `delete`"),
            );
            DeletionPolicy::Retain
        }
    };
    let json = format == LogFormat::Json;
    Logging {
        format,
        application_log_level: w
            .application_log_level
            .filter(|_| json)
            .map(|l| l.as_str().to_string()),
        system_log_level: w
            .system_log_level
            .filter(|_| json)
            .map(|l| l.as_str().to_string()),
        log_group,
        deletion_policy,
    }
}

fn code(v: &mut Validator<'_>, ctx: &Ctx<'_>, l: &Loaded<FunctionSpecWire>) -> Option<Code> {
    let c = &l.document.spec.code;
    let given = [c.path.is_some(), c.s3.is_some(), c.image_uri.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        v.diagnostics.push(
            ctx.key_error(
                "spec.code",
                if given == 0 {
                    "`code` names no source"
                } else {
                    "`code` names more than one source"
                },
            )
            .hint("give exactly one of `path` (a directory), `s3` ({bucket, key}) or `imageUri`"),
        );
        return None;
    }
    if let Some(path) = &c.path {
        return match resolve_inside_root(&l.dir, v.canonical_root, path) {
            // A file is taken as a package already built (what `import live` downloads).
            Ok(resolved)
                if resolved.is_file()
                    && resolved.extension().and_then(|e| e.to_str()) != Some("zip") =>
            {
                v.diagnostics.push(
                    ctx.error(
                        "spec.code.path",
                        format!("`{path}` is a file, not a directory or a .zip package"),
                    )
                    .hint("name the directory holding the code (zipped by slsctl), or a .zip file used as it is"),
                );
                None
            }
            Ok(resolved) => Some(Code::Directory(resolved)),
            Err(message) => {
                v.diagnostics
                    .push(ctx.error("spec.code.path", message).hint(
                    "code.path is relative to this file and must stay inside the spec directory",
                ));
                None
            }
        };
    }
    if let Some(s3) = &c.s3 {
        if s3.bucket.is_empty() || s3.key.is_empty() {
            v.diagnostics
                .push(ctx.error("spec.code.s3", "an S3 code source needs a bucket and a key"));
            return None;
        }
        return Some(Code::S3 {
            bucket: s3.bucket.clone(),
            key: s3.key.clone(),
            object_version: s3.object_version.clone(),
        });
    }
    let image = c.image_uri.clone().unwrap_or_default();
    if !image.contains(".dkr.ecr.") {
        v.diagnostics.push(
            ctx.error(
                "spec.code.imageUri",
                format!("`{image}` is not an Amazon ECR image URI"),
            )
            .hint(
                "Lambda runs images from ECR: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…",
            ),
        );
        return None;
    }
    Some(Code::Image(image))
}

fn env_ref(v: &mut Validator<'_>, ctx: &Ctx<'_>, field: &str, r: &EnvRefWire) -> Option<EnvValue> {
    let Some((kind_name, name)) = r.reference.split_once('/') else {
        v.diagnostics.push(
            ctx.error(
                &format!("{field}.ref"),
                format!("`{}` is not of the form Kind/name", r.reference),
            )
            .hint("e.g. {ref: Queue/order-events, attr: url}"),
        );
        return None;
    };
    let Some(kind) = Kind::parse(kind_name).filter(|k| *k != Kind::Stack) else {
        let names = Kind::ALL.map(Kind::as_str);
        let hint = did_you_mean(kind_name, names)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("kinds are {}", names[1..].join(", ")));
        v.diagnostics.push(
            ctx.error(
                &format!("{field}.ref"),
                format!("unknown kind `{kind_name}`"),
            )
            .hint(hint),
        );
        return None;
    };
    let target = v.reference(ctx, &format!("{field}.ref"), name, &[kind])?;
    let attr = match r.attr.as_deref() {
        None | Some("name") => RefAttr::Name,
        Some("arn") => RefAttr::Arn,
        Some("url") if kind == Kind::Queue => RefAttr::Url,
        Some("streamArn") if kind == Kind::Table => {
            if v.lookup(kind, name).is_some_and(|e| !e.has_stream) {
                let origin = v.lookup(kind, name).and_then(|e| e.origin.clone());
                v.diagnostics.push(
                    ctx.error(
                        &format!("{field}.attr"),
                        format!("Table `{name}` has no stream, so it has no streamArn"),
                    )
                    .hint("set spec.stream on the table, e.g. NEW_AND_OLD_IMAGES")
                    .note(origin, format!("Table `{name}` is defined here")),
                );
                return None;
            }
            RefAttr::StreamArn
        }
        Some(other) => {
            let allowed: &[&str] = match kind {
                Kind::Queue => &["name", "arn", "url"],
                Kind::Table => &["name", "arn", "streamArn"],
                _ => &["name", "arn"],
            };
            let hint = did_you_mean(other, allowed.iter().copied())
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("a {kind} offers {}", allowed.join(", ")));
            v.diagnostics.push(
                ctx.error(
                    &format!("{field}.attr"),
                    format!("a {kind} has no attribute `{other}`"),
                )
                .hint(hint),
            );
            return None;
        }
    };
    let access = crate::kinds::role::validate::access(r.access);
    if access.is_some() {
        if let Err(why) = crate::kinds::role::validate::grantable(kind, access) {
            v.diagnostics.push(
                ctx.error(&format!("{field}.access"), why)
                    .hint("read, write or readWrite"),
            );
        }
    }
    Some(EnvValue::Ref {
        target,
        attr,
        access,
    })
}

fn alias(v: &mut Validator<'_>, ctx: &Ctx<'_>, a: &AliasWire, reserved: Option<u32>) -> Alias {
    let valid =
        aws_name(&a.name, 1..=128, &['-', '_']) && !a.name.chars().all(|c| c.is_ascii_digit());
    if !valid {
        v.diagnostics.push(
            ctx.error(
                "spec.alias.name",
                format!("`{}` is not a valid alias name", a.name),
            )
            .hint("letters, digits, `-` and `_`, not only digits, at most 128 characters"),
        );
    }
    let provisioned_concurrency = a.provisioned_concurrency.as_ref().map(|pc| {
        let base = "spec.alias.provisionedConcurrency";
        let baseline = v.int(ctx, &format!("{base}.baseline"), pc.baseline, within(0, 0, 1_000_000, ""));
        if pc.schedules.len() > 200 {
            v.diagnostics.push(ctx.error(&format!("{base}.schedules"), "Application Auto Scaling allows at most 200 scheduled actions per alias"));
        }
        let mut names = KeyedList::new("spec.alias.provisionedConcurrency.schedules", "name", "first used here");
        let mut schedules = Vec::new();
        for (i, s) in pc.schedules.iter().enumerate() {
            let field = format!("{base}.schedules[{i}]");
            names.check(v, ctx, i, &s.name, format!("duplicate schedule name `{}`", s.name));
            if s.name.is_empty() || s.name.len() > 256 || s.name.contains([':', '/', '|']) {
                v.diagnostics.push(ctx.error(&format!("{field}.name"), format!("`{}` is not a valid scheduled action name", s.name)).hint("1 to 256 characters without `:`, `/` or `|`"));
            }
            if let Err(message) = check_schedule_expression(&s.cron, true) {
                v.diagnostics.push(ctx.error(&format!("{field}.cron"), message).hint("e.g. cron(0 8 ? * MON-FRI *), rate(1 hour) or at(2026-12-24T18:00:00)"));
            }
            if let Some(tz) = &s.timezone {
                if !valid_timezone(tz) {
                    v.diagnostics.push(ctx.error(&format!("{field}.timezone"), format!("`{tz}` is not an IANA time zone")).hint("e.g. Europe/Berlin, America/New_York or UTC"));
                }
            }
            let min = v.int(ctx, &format!("{field}.min"), Some(s.min), within(0, 0, 1_000_000, ""));
            let max = v.int(ctx, &format!("{field}.max"), Some(s.max), within(0, 0, 1_000_000, ""));
            if min > max {
                v.diagnostics.push(ctx.error(&format!("{field}.min"), format!("min {min} is above max {max}")).note(ctx.at(&format!("{field}.max")), "max is set here"));
            }
            schedules.push(PcSchedule { name: s.name.clone(), expression: s.cron.clone(), timezone: s.timezone.clone(), min, max });
        }
        if let Some(t) = pc.target_utilization {
            if !(0.1..=0.9).contains(&t) {
                v.diagnostics.push(ctx.error(&format!("{base}.targetUtilization"), format!("target utilization {t} is outside 0.1..=0.9")).hint("Lambda's provisioned-concurrency utilization metric is tracked between 10% and 90%"));
            }
        }
        let max = pc.max.map(|_| v.int(ctx, &format!("{base}.max"), pc.max, within(0, 0, 1_000_000, "")));
        if let Some(m) = max {
            if m < baseline {
                v.diagnostics.push(ctx.error(&format!("{base}.max"), format!("max {m} is below the baseline {baseline}")));
            }
        }
        // Target tracking moves the value between the bounds in force; with no schedule and
        // no `max` above the baseline, they are equal and it could never move.
        if pc.target_utilization.is_some() && schedules.is_empty() && max.unwrap_or(baseline) <= baseline {
            v.diagnostics.push(
                ctx.error(&format!("{base}.targetUtilization"), "target tracking without schedules needs a `max` above the baseline to move between")
                    .hint("add `max: N`, the most provisioned concurrency Auto Scaling may set"),
            );
        }
        if let Some(reserved) = reserved {
            let (peak, field) = std::iter::once((baseline, format!("{base}.baseline")))
                .chain(max.map(|m| (m, format!("{base}.max"))))
                .chain(schedules.iter().enumerate().map(|(i, s)| (s.max, format!("{base}.schedules[{i}].max"))))
                .max_by_key(|(v, _)| *v)
                .unwrap_or((0, String::new()));
            if peak > reserved {
                v.diagnostics.push(
                    ctx.error(&field, format!("provisioned concurrency {peak} exceeds the function's reserved concurrency {reserved}"))
                        .hint("Lambda cannot provision more than the function may run; raise reservedConcurrency or lower the schedule")
                        .note(ctx.at("spec.reservedConcurrency"), "reservedConcurrency is set here"),
                );
            }
        }
        ProvisionedConcurrency { baseline, schedules, target_utilization: pc.target_utilization, max }
    });
    Alias {
        name: a.name.clone(),
        provisioned_concurrency,
    }
}

/// Variables Lambda sets itself and refuses in a function's configuration.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Lambda's `EnvironmentVariableName`: `[a-zA-Z]([a-zA-Z0-9_])+`, so at least two characters.
fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

/// A real IANA time zone, by the database the cost estimate uses too.
fn valid_timezone(tz: &str) -> bool {
    crate::cost::schedule::time_zone(tz).is_some()
}

/// What a function refers to: its layers, the targets of its environment, its dead-letter queue
/// and its triggers' queues.
pub(crate) fn references(f: &Function) -> Vec<&Reference> {
    let environment = f.environment.values().filter_map(|v| match v {
        EnvValue::Ref { target, .. } => Some(target),
        EnvValue::Literal(_) => None,
    });
    f.layers
        .iter()
        .chain(environment)
        .chain(f.dead_letter.iter())
        .chain(f.triggers.iter().map(|t| &t.queue))
        .chain(f.role.iter())
        .chain(f.logging.log_group.iter())
        .collect()
}
