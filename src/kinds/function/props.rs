//! The props a Function's spec wants: configuration, code, environment, triggers, invoke
//! permissions and the alias with its version digest.

use crate::kinds::desired::Wanted;
use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::kinds::desired::{
    arn_name, permission_value, physical, queue_url_from_arn, reference_arn, rule_sources,
    sensitive_digest, Context,
};
use crate::model::*;
use crate::plan::{FieldValue, Props, SetProp};

/// The props the spec wants for one Function, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Function>, props: &mut Props, sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        resource,
        model: f,
        ctx,
    } = *w;
    let id = &resource.id;
    let image = matches!(f.code, Code::Image(_));
    props.set("packageType", if image { "Image" } else { "Zip" });
    if let Some(handler) = &f.handler {
        props.set("handler", handler.clone());
    }
    if let Some(runtime) = &f.runtime {
        props.set("runtime", runtime.clone());
    }
    props.insert(
        "role".into(),
        crate::kinds::role::policy::execution_role_arn(stack, ctx, resource, f),
    );
    props.set("memorySize", f.memory_size);
    props.set("timeout", f.timeout);
    props.set(
        "architecture",
        match f.architecture {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        },
    );
    props.set("ephemeralStorage", f.ephemeral_storage);
    props.set(
        "tracing",
        match f.tracing {
            Tracing::Active => "Active",
            Tracing::PassThrough => "PassThrough",
        },
    );
    props.set("description", f.description.clone());
    match &f.code {
        Code::Directory(_) => {
            let sha = ctx.code_sha256.get(id).cloned();
            props.insert(
                "code.sha256".into(),
                sha.map(FieldValue::known)
                    .unwrap_or_else(FieldValue::unknown),
            );
        }
        Code::S3 {
            bucket,
            key,
            object_version,
        } => {
            let location = match object_version {
                Some(v) => format!("s3://{bucket}/{key}?versionId={v}"),
                None => format!("s3://{bucket}/{key}"),
            };
            props.set("code.s3", code_source_record(&location));
        }
        Code::Image(uri) => {
            props.set("code.imageUri", uri.clone());
        }
    }
    if !f.layers.is_empty() {
        let arns: Vec<FieldValue> = f
            .layers
            .iter()
            .map(|l| reference_arn(stack, ctx, l))
            .collect();
        let value = if arns.iter().any(FieldValue::is_unknown) {
            FieldValue::unknown()
        } else {
            FieldValue::known(Value::Array(
                arns.into_iter()
                    .filter_map(|v| match v {
                        FieldValue::Known(v) => Some(v),
                        FieldValue::Unknown(_) => None,
                    })
                    .collect(),
            ))
        };
        props.insert("layers".into(), value);
    }
    for (key, value) in &f.environment {
        let field = format!("environment.{key}");
        let resolved = match value {
            EnvValue::Literal(text) if f.sensitive_environment.contains(key) => {
                sensitive.insert(field.clone());
                FieldValue::known(sensitive_digest(text))
            }
            EnvValue::Literal(text) => FieldValue::known(text.clone()),
            EnvValue::Ref { target, attr, .. } => env_ref(stack, ctx, target, *attr),
        };
        props.insert(field, resolved);
    }
    logging_props(stack, resource, f, props);
    if let Some(n) = f.reserved_concurrency {
        props.set("reservedConcurrency", n);
    }
    if let Some(dlq) = &f.dead_letter {
        props.insert("deadLetter".into(), reference_arn(stack, ctx, dlq));
    }
    for trigger in &f.triggers {
        let arn = reference_arn(stack, ctx, &trigger.queue);
        let name = match &arn {
            FieldValue::Known(Value::String(a)) => arn_name(a).to_string(),
            _ => continue,
        };
        let base = format!("triggers[{name}]");
        props.set(format!("{base}.batchSize"), trigger.batch_size);
        props.set(
            format!("{base}.maximumBatchingWindow"),
            trigger.maximum_batching_window,
        );
        props.set(
            format!("{base}.reportBatchItemFailures"),
            trigger.report_batch_item_failures,
        );
        props.set(
            format!("{base}.maximumConcurrency"),
            trigger.maximum_concurrency.map_or(Value::Null, Value::from),
        );
        props.set(format!("{base}.enabled"), trigger.enabled);
        props.set(
            format!("{base}.alias"),
            f.alias.as_ref().map_or(Value::Null, |a| json!(a.name)),
        );
    }
    let alias = f.alias.as_ref().map(|a| a.name.as_str());
    for (sid, source) in rule_sources(stack, ctx, id) {
        props.set(
            format!("permissions[{sid}]"),
            permission_value("events.amazonaws.com", &source, alias),
        );
    }
    if let Some(alias) = &f.alias {
        let base = format!("alias.{}", alias.name);
        props.insert(format!("{base}.version"), version_digest(props));
        // A plain baseline is a provisioned-concurrency config on the alias. With schedules or
        // target tracking, Application Auto Scaling owns the value and slsctl only its bounds.
        if let Some(pc) = &alias.provisioned_concurrency {
            if pc.schedules.is_empty() && pc.target_utilization.is_none() {
                if pc.baseline > 0 {
                    props.set(format!("{base}.provisionedConcurrency"), pc.baseline);
                }
            } else {
                // Application Auto Scaling owns the value; slsctl owns the definitions.
                props.set(format!("{base}.autoscaling"), "registered");
                for schedule in &pc.schedules {
                    props.set(
                        format!("{base}.schedules[{}]", schedule.name),
                        json!({
                            "schedule": schedule.expression,
                            "timezone": schedule.timezone.clone().unwrap_or_else(|| "UTC".into()),
                            "min": schedule.min,
                            "max": schedule.max,
                        }),
                    );
                }
                if let Some(target) = pc.target_utilization {
                    props.set(format!("{base}.targetUtilization"), target);
                }
            }
        }
    }
    // The managed alias is also a tag: observation reads the aliases only of functions that
    // carry it (or whose spec has one), even once the alias has left the spec.
    if let Some(alias) = &f.alias {
        props.set(
            format!("tags.{}", crate::kinds::desired::TAG_ALIAS),
            alias.name.clone(),
        );
    }
}

/// Lambda's logging configuration as GetFunction reports it: with JSON, a level left unset reads
/// back as `INFO`, so it is written as `INFO` here.
fn logging_props(stack: &Stack, resource: &Resource, f: &Function, props: &mut Props) {
    let logging = &f.logging;
    props.set("logging.format", logging.format.as_str());
    if logging.format == LogFormat::Json {
        for (field, level) in [
            (
                "logging.applicationLogLevel",
                &logging.application_log_level,
            ),
            ("logging.systemLogLevel", &logging.system_log_level),
        ] {
            props.set(field, level.clone().unwrap_or_else(|| "INFO".into()));
        }
    }
    let group = match &logging.log_group {
        Some(Reference::Stack(id)) => physical(stack, id).map(str::to_string),
        Some(Reference::Arn(arn)) => Some(arn_name(arn).to_string()),
        None => Some(super::derive::default_log_group_name(
            &resource.physical_name,
        )),
    };
    props.insert(
        "logging.logGroup".into(),
        group
            .map(FieldValue::known)
            .unwrap_or_else(FieldValue::unknown),
    );
}

/// How an S3 code location is recorded in the function's code-source tag: as it is when it fits
/// a tag value (256 characters), otherwise as its digest (an S3 key alone may have 1,024).
pub fn code_source_record(location: &str) -> String {
    use sha2::{Digest, Sha256};
    if location.chars().count() <= 256 {
        return location.to_string();
    }
    format!(
        "sha256:{}",
        crate::text::hex(&Sha256::digest(location.as_bytes()))
    )
}

/// Fields that belong to a published version (code and configuration), as opposed to the
/// function's tags, triggers, reserved concurrency and aliases.
pub fn is_version_field(field: &str) -> bool {
    !(field.starts_with("tags.")
        || field.starts_with("triggers[")
        || field.starts_with("permissions[")
        || field.starts_with("alias.")
        || field == "reservedConcurrency")
}

/// A short digest of the version fields. The alias's description carries the digest of the
/// configuration its version was published from; when the spec's digest differs, a new version
/// is published and the alias moved. Unknown while any version field is unknown.
pub fn version_digest(props: &Props) -> FieldValue {
    use sha2::{Digest, Sha256};
    let fields: Vec<(&String, &FieldValue)> =
        props.iter().filter(|(k, _)| is_version_field(k)).collect();
    if fields.iter().any(|(_, v)| v.is_unknown()) {
        return FieldValue::unknown();
    }
    let text = serde_json::to_string(&fields).unwrap_or_default();
    FieldValue::known(crate::text::hex(&Sha256::digest(text.as_bytes()))[..16].to_string())
}

fn env_ref(stack: &Stack, ctx: &Context, target: &Reference, attr: RefAttr) -> FieldValue {
    let arn = reference_arn(stack, ctx, target);
    match attr {
        RefAttr::Arn => arn,
        RefAttr::Name => match target {
            Reference::Stack(id) => physical(stack, id)
                .map(|n| FieldValue::known(n.to_string()))
                .unwrap_or_else(FieldValue::unknown),
            Reference::Arn(a) => FieldValue::known(arn_name(a).to_string()),
        },
        RefAttr::Url => match &arn {
            FieldValue::Known(Value::String(a)) => queue_url_from_arn(a)
                .map(FieldValue::known)
                .unwrap_or_else(FieldValue::unknown),
            _ => FieldValue::unknown(),
        },
        // A stream ARN carries the stream's creation time: only AWS knows it.
        RefAttr::StreamArn => FieldValue::unknown(),
    }
}
