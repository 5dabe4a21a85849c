//! Desired state: the validated model turned into the canonical [`Props`] the diff compares.
//!
//! Every field is written the way `aws::observe` reads it back from AWS (same names, same
//! normalised values, AWS defaults filled in), which is what keeps the second plan empty.
//! References resolve to physical names, ARNs and URLs computed from the account and region;
//! what cannot be known before a dependency exists is [`FieldValue::Unknown`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::model::*;
use crate::plan::{DesiredResource, FieldValue, Props};

pub const TAG_STACK: &str = "slsctl:stack";
pub const TAG_RESOURCE: &str = "slsctl:resource";

/// Whether `live` tags name the same stack and resource as the `wanted` ones: how a create
/// whose answer was lost recognises what it made. Never true when `wanted` names no stack.
pub fn same_owner(
    live: &std::collections::BTreeMap<String, String>,
    wanted: &std::collections::HashMap<String, String>,
) -> bool {
    wanted.contains_key(TAG_STACK)
        && [TAG_STACK, TAG_RESOURCE]
            .iter()
            .all(|key| live.get(*key) == wanted.get(*key))
}
/// A deletion policy other than the kind's default travels with the resource, so that it still
/// protects the resource after its document has left the spec (a `retain` that disappears with
/// the spec would protect nothing).
pub const TAG_DELETION_POLICY: &str = "slsctl:deletion-policy";
/// The tags that make a resource this stack's; removed when a resource is released (`retain`).
pub const OWNERSHIP_TAGS: [&str; 3] = [TAG_STACK, TAG_RESOURCE, TAG_DELETION_POLICY];

/// The alias slsctl manages on a function (aliases cannot be tagged themselves), so that an
/// alias removed from the spec is still found and deleted.
pub const TAG_ALIAS: &str = "slsctl:alias";

/// What desired state needs to know besides the spec.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub account: String,
    pub region: String,
    pub partition: String,
    /// Base64 SHA-256 of each zip built from a code directory (what Lambda reports as CodeSha256).
    pub code_sha256: BTreeMap<ResourceId, String>,
    /// Hex SHA-256 of each layer's content.
    pub layer_sha256: BTreeMap<ResourceId, String>,
    /// The live layer version ARN whose content matches the spec, per layer (none: to publish).
    pub layer_version_arn: BTreeMap<ResourceId, String>,
    /// The id API Gateway gave each REST API (none until it is created).
    pub api_ids: BTreeMap<ResourceId, String>,
}

impl Context {
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }
}

/// Hash of a sensitive value as stored in props: comparable, never printable.
pub fn sensitive_digest(value: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "sha256:{}",
        crate::plan::hex(&Sha256::digest(value.as_bytes()))
    )
}

/// The desired resources of a stack, one per resource of the spec.
pub fn desired_resources(stack: &Stack, ctx: &Context) -> Vec<DesiredResource> {
    stack
        .resources
        .iter()
        .filter(|r| r.id.kind != Kind::Stack)
        .map(|r| desired_resource(stack, r, ctx))
        .collect()
}

/// Ownership and stack tags, as `tags.<key>` props.
pub(crate) fn tags(stack: &Stack, resource: &Resource, props: &mut Props) {
    for (key, value) in &stack.tags {
        props.insert(format!("tags.{key}"), FieldValue::known(value.clone()));
    }
    props.insert(
        format!("tags.{TAG_STACK}"),
        FieldValue::known(stack.name.clone()),
    );
    props.insert(
        format!("tags.{TAG_RESOURCE}"),
        FieldValue::known(resource.id.to_string()),
    );
    if resource.deletion_policy != resource.id.kind.default_deletion_policy() {
        props.insert(
            format!("tags.{TAG_DELETION_POLICY}"),
            FieldValue::known(resource.deletion_policy.as_str()),
        );
    }
}

fn desired_resource(stack: &Stack, resource: &Resource, ctx: &Context) -> DesiredResource {
    let mut props = Props::new();
    let mut sensitive = BTreeSet::new();
    if let Some(kind) = super::of(resource.id.kind) {
        kind.desired_props(stack, resource, ctx, &mut props, &mut sensitive);
    }
    DesiredResource {
        id: resource.id.clone(),
        physical_name: resource.physical_name.clone(),
        props,
        sensitive,
        deletion_policy: resource.deletion_policy,
        ignore_changes: resource.ignore_changes.clone(),
        adopt: resource.adopt,
    }
}

/// The physical name of a referenced resource, when it is in the stack.
pub(crate) fn physical<'a>(stack: &'a Stack, id: &ResourceId) -> Option<&'a str> {
    stack.get(id).map(|r| r.physical_name.as_str())
}

/// A reference as an ARN.
pub fn reference_arn(stack: &Stack, ctx: &Context, reference: &Reference) -> FieldValue {
    match reference {
        Reference::Arn(arn) => FieldValue::known(arn.clone()),
        Reference::Stack(id) => {
            let Some(name) = physical(stack, id) else {
                return FieldValue::unknown();
            };
            match id.kind {
                Kind::Queue => FieldValue::known(ctx.arn("sqs", name)),
                Kind::Function => FieldValue::known(ctx.arn("lambda", &format!("function:{name}"))),
                Kind::EventBus => {
                    FieldValue::known(ctx.arn("events", &format!("event-bus/{name}")))
                }
                Kind::Rule => match stack.get(id).map(|r| &r.spec) {
                    Some(ResourceSpec::Rule(rule)) => {
                        FieldValue::known(rule_arn(stack, ctx, name, rule))
                    }
                    _ => FieldValue::unknown(),
                },
                Kind::Table => FieldValue::known(ctx.arn("dynamodb", &format!("table/{name}"))),
                Kind::Layer => ctx
                    .layer_version_arn
                    .get(id)
                    .map(|arn| FieldValue::known(arn.clone()))
                    .unwrap_or_else(FieldValue::unknown),
                Kind::Api | Kind::Stack => FieldValue::unknown(),
            }
        }
    }
}

/// The alias a stack function is invoked through, when it has one: provisioned concurrency
/// serves only invocations of the alias (or version) that holds it, so every trigger, route,
/// target and permission of an aliased function names the alias, never `$LATEST`.
pub fn invoke_alias<'a>(stack: &'a Stack, reference: &Reference) -> Option<&'a str> {
    let Reference::Stack(id) = reference else {
        return None;
    };
    match stack.get(id).map(|r| &r.spec) {
        Some(ResourceSpec::Function(f)) => f.alias.as_ref().map(|a| a.name.as_str()),
        _ => None,
    }
}

/// A reference as the ARN that invokes it: the alias-qualified function ARN
/// (`…:function:NAME:ALIAS`) for a function with an alias, otherwise [`reference_arn`].
pub fn invoke_arn(stack: &Stack, ctx: &Context, reference: &Reference) -> FieldValue {
    match (
        reference_arn(stack, ctx, reference),
        invoke_alias(stack, reference),
    ) {
        (FieldValue::Known(Value::String(arn)), Some(alias)) => {
            FieldValue::known(format!("{arn}:{alias}"))
        }
        (other, _) => other,
    }
}

/// A function ARN, qualified or not, as (function name, qualifier).
pub fn function_of_arn(arn: &str) -> (&str, Option<&str>) {
    let mut parts = arn.split(':').skip(6);
    let name = parts.next().unwrap_or(arn);
    (name, parts.next().filter(|q| !q.is_empty()))
}

/// The SQS queue URL for a queue ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`).
pub fn queue_url_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() == 6 && parts[2] == "sqs").then(|| {
        let domain = if parts[1] == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!(
            "https://sqs.{}.{domain}/{}/{}",
            parts[3], parts[4], parts[5]
        )
    })
}

/// The last segment of an ARN: the name a person recognises.
pub fn arn_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}

/// One invoke permission as props hold it; `qualifier` is the alias whose policy holds it
/// (absent: the function's own policy).
pub fn permission_value(principal: &str, source_arn: &str, qualifier: Option<&str>) -> Value {
    let mut value = json!({
        "action": "lambda:InvokeFunction",
        "principal": principal,
        "sourceArn": source_arn,
    });
    if let Some(alias) = qualifier {
        value["qualifier"] = json!(alias);
    }
    value
}

pub(crate) fn queue_props(
    stack: &Stack,
    resource: &Resource,
    q: &Queue,
    ctx: &Context,
    props: &mut Props,
) {
    let queue_arn = ctx.arn("sqs", &resource.physical_name);
    for (_, source) in rule_sources(stack, ctx, &resource.id) {
        let statement = queue_statement(&queue_arn, &source);
        let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
        props.insert(format!("permissions[{sid}]"), FieldValue::known(statement));
    }
    props.insert("fifo".into(), FieldValue::known(q.fifo));
    props.insert(
        "visibilityTimeout".into(),
        FieldValue::known(q.visibility_timeout),
    );
    props.insert(
        "messageRetentionPeriod".into(),
        FieldValue::known(q.message_retention_period),
    );
    props.insert("delaySeconds".into(), FieldValue::known(q.delay_seconds));
    props.insert(
        "maximumMessageSize".into(),
        FieldValue::known(q.maximum_message_size),
    );
    props.insert(
        "receiveMessageWaitTime".into(),
        FieldValue::known(q.receive_message_wait_time),
    );
    if q.fifo {
        props.insert(
            "contentBasedDeduplication".into(),
            FieldValue::known(q.content_based_deduplication),
        );
        props.insert(
            "deduplicationScope".into(),
            FieldValue::known(
                q.deduplication_scope
                    .clone()
                    .unwrap_or_else(|| "queue".into()),
            ),
        );
        props.insert(
            "fifoThroughputLimit".into(),
            FieldValue::known(
                q.fifo_throughput_limit
                    .clone()
                    .unwrap_or_else(|| "perQueue".into()),
            ),
        );
    }
    match &q.encryption {
        QueueEncryption::None => {
            props.insert("sqsManagedSse".into(), FieldValue::known(false));
        }
        QueueEncryption::SqsManaged => {
            props.insert("sqsManagedSse".into(), FieldValue::known(true));
        }
        QueueEncryption::Kms {
            key_id,
            data_key_reuse_period,
        } => {
            props.insert("sqsManagedSse".into(), FieldValue::known(false));
            props.insert("kmsMasterKeyId".into(), FieldValue::known(key_id.clone()));
            props.insert(
                "kmsDataKeyReusePeriod".into(),
                FieldValue::known(*data_key_reuse_period),
            );
        }
    }
    if let Some(dlq) = &q.dead_letter {
        props.insert(
            "deadLetter.queue".into(),
            reference_arn(stack, ctx, &dlq.queue),
        );
        props.insert(
            "deadLetter.maxReceiveCount".into(),
            FieldValue::known(dlq.max_receive_count),
        );
    }
    // The redrive-allow policy of a dead-letter queue names exactly the stack's queues that use it.
    if !q.restrict_redrive_sources {
        return;
    }
    let own = Reference::Stack(resource.id.clone());
    let mut sources: Vec<String> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Queue(other)
                if other.dead_letter.as_ref().is_some_and(|d| d.queue == own) =>
            {
                Some(ctx.arn("sqs", &r.physical_name))
            }
            _ => None,
        })
        .collect();
    if !sources.is_empty() {
        sources.sort();
        props.insert(
            "redriveAllow.sourceQueueArns".into(),
            FieldValue::known(json!(sources)),
        );
    }
}

fn key_value(key: &Key) -> Value {
    json!({"name": key.name, "type": match key.key_type {
        KeyType::S => "S",
        KeyType::N => "N",
        KeyType::B => "B",
    }})
}

/// A table's props, as `aws::dynamodb::describe` reads them back.
/// The JSON value of one index as both sides write it. Capacity is part of it on PROVISIONED
/// tables only; a change to capacity alone is an in-place update, anything else a rebuild.
pub fn gsi_value(index: &Gsi, provisioned: bool) -> serde_json::Value {
    let mut value = json!({"partitionKey": key_value(&index.partition_key)});
    if let Some(sort) = &index.sort_key {
        value["sortKey"] = key_value(sort);
    }
    value["projection"] = json!(match &index.projection {
        Projection::All => "ALL",
        Projection::KeysOnly => "KEYS_ONLY",
        Projection::Include(_) => "INCLUDE",
    });
    if let Projection::Include(attributes) = &index.projection {
        let mut sorted = attributes.clone();
        sorted.sort();
        value["nonKeyAttributes"] = json!(sorted);
    }
    if provisioned {
        let (read, write) = index.capacity.unwrap_or((0, 0));
        value["readCapacity"] = json!(read);
        value["writeCapacity"] = json!(write);
    }
    value
}

/// The `sse` field: `AWS_OWNED`, `KMS` (the AWS-managed key) or `KMS:<key ARN>`. DynamoDB
/// reports the AWS-managed key by its ARN, which only KMS could name, so the engine reduces an
/// observed `KMS:<arn>` to `KMS` when the spec asks for the AWS-managed key.
pub fn table_sse_value(sse: &TableSse, ctx: &Context) -> String {
    match sse {
        TableSse::AwsOwned => "AWS_OWNED".to_string(),
        TableSse::AwsManaged => "KMS".to_string(),
        TableSse::CustomerManaged(key) if key.starts_with("arn:") => format!("KMS:{key}"),
        TableSse::CustomerManaged(id) => format!("KMS:{}", ctx.arn("kms", &format!("key/{id}"))),
    }
}

pub(crate) fn table_props(t: &Table, ctx: &Context, props: &mut Props) {
    props.insert(
        "partitionKey".into(),
        FieldValue::known(key_value(&t.partition_key)),
    );
    if let Some(sort) = &t.sort_key {
        props.insert("sortKey".into(), FieldValue::known(key_value(sort)));
    }
    let provisioned = matches!(t.billing, Billing::Provisioned { .. });
    match t.billing {
        Billing::OnDemand => {
            props.insert("billingMode".into(), FieldValue::known("PAY_PER_REQUEST"));
        }
        Billing::Provisioned { read, write } => {
            props.insert("billingMode".into(), FieldValue::known("PROVISIONED"));
            props.insert("readCapacity".into(), FieldValue::known(read));
            props.insert("writeCapacity".into(), FieldValue::known(write));
        }
    }
    for index in &t.global_secondary_indexes {
        props.insert(
            format!("globalSecondaryIndexes[{}]", index.name),
            FieldValue::known(gsi_value(index, provisioned)),
        );
    }
    props.insert(
        "sse".into(),
        FieldValue::known(table_sse_value(&t.sse, ctx)),
    );
    if let Some(attribute) = &t.time_to_live_attribute {
        props.insert(
            "timeToLiveAttribute".into(),
            FieldValue::known(attribute.clone()),
        );
    }
    props.insert(
        "pointInTimeRecovery".into(),
        FieldValue::known(t.point_in_time_recovery),
    );
    if let Some(view) = &t.stream {
        props.insert("stream".into(), FieldValue::known(view.clone()));
    }
    props.insert(
        "tableClass".into(),
        FieldValue::known(t.table_class.clone()),
    );
    props.insert(
        "deletionProtection".into(),
        FieldValue::known(t.deletion_protection),
    );
}

/// The bus a rule is on, by name (`default` for the account's own).
pub fn rule_bus_name(stack: &Stack, rule: &Rule) -> String {
    match &rule.bus {
        None => "default".to_string(),
        Some(Reference::Stack(id)) => physical(stack, id).unwrap_or("default").to_string(),
        Some(Reference::Arn(arn)) => arn_name(arn).to_string(),
    }
}

/// A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on a custom one.
pub fn rule_arn(stack: &Stack, ctx: &Context, name: &str, rule: &Rule) -> String {
    match rule_bus_name(stack, rule).as_str() {
        "default" => ctx.arn("events", &format!("rule/{name}")),
        bus => ctx.arn("events", &format!("rule/{bus}/{name}")),
    }
}

/// The rules of the stack that send events to `target`, as (statement id, rule ARN): the
/// permissions the target needs are derived from this wiring. A queue that is a target's
/// dead-letter queue is sent to by EventBridge on the rule's behalf, and needs the same
/// statement as a target queue.
pub fn rule_sources(stack: &Stack, ctx: &Context, target: &ResourceId) -> Vec<(String, String)> {
    let wanted = Reference::Stack(target.clone());
    let mut out: Vec<(String, String)> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Rule(rule)
                if rule.targets.iter().any(|t| {
                    t.destination == wanted || t.dead_letter.as_ref() == Some(&wanted)
                }) =>
            {
                Some((
                    statement_id("slsctl-events-", &r.physical_name),
                    rule_arn(stack, ctx, &r.physical_name, rule),
                ))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// The queue-policy statement that lets one rule send to a queue. Its Sid is alphanumeric (as
/// IAM requires) and starts with `slsctl`, which is how slsctl tells its statements from the
/// ones it must leave alone.
pub fn queue_statement(queue_arn: &str, rule_arn: &str) -> Value {
    let sid: String = format!("slsctl{}", arn_name(rule_arn))
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    })
}

pub(crate) fn rule_props(stack: &Stack, ctx: &Context, r: &Rule, props: &mut Props) {
    props.insert("bus".into(), FieldValue::known(rule_bus_name(stack, r)));
    match &r.trigger {
        RuleTrigger::Pattern(pattern) => {
            props.insert("pattern".into(), FieldValue::known(pattern.clone()));
        }
        RuleTrigger::Schedule(expression) => {
            props.insert("schedule".into(), FieldValue::known(expression.clone()));
        }
    }
    props.insert(
        "state".into(),
        FieldValue::known(if r.enabled { "ENABLED" } else { "DISABLED" }),
    );
    props.insert(
        "description".into(),
        FieldValue::known(r.description.clone()),
    );
    for target in &r.targets {
        let field = format!("targets[{}]", target.id);
        let FieldValue::Known(arn) = invoke_arn(stack, ctx, &target.destination) else {
            props.insert(field, FieldValue::unknown());
            continue;
        };
        let mut value = json!({"arn": arn});
        match &target.input {
            TargetInput::Event => {}
            TargetInput::Path(path) => value["inputPath"] = json!(path),
            TargetInput::Transformer { paths, template } => {
                value["inputTransformer"] =
                    json!({"inputPathsMap": paths, "inputTemplate": template});
            }
        }
        if let Some(group) = &target.message_group_id {
            value["messageGroupId"] = json!(group);
        }
        if let Some(role) = &target.role {
            value["roleArn"] = json!(role);
        }
        let attempts = target.maximum_retry_attempts.map_or(185, i64::from);
        let age = target
            .maximum_event_age_in_seconds
            .map_or(86_400, i64::from);
        // EventBridge's defaults are the same as no policy.
        if (attempts, age) != (185, 86_400) {
            value["retryPolicy"] =
                json!({"maximumRetryAttempts": attempts, "maximumEventAgeInSeconds": age});
        }
        if let Some(dlq) = &target.dead_letter {
            match reference_arn(stack, ctx, dlq) {
                FieldValue::Known(arn) => value["deadLetter"] = arn,
                FieldValue::Unknown(_) => {
                    props.insert(field, FieldValue::unknown());
                    continue;
                }
            }
        }
        props.insert(field, FieldValue::known(value));
    }
}

/// The statement id of the invoke permission an API holds on each function it routes to: one
/// statement per API and function, not one per route, because a function's resource policy is
/// limited to 20 KB.
pub fn api_permission_id(api: &str) -> String {
    statement_id("slsctl-api-", api)
}

/// A Lambda permission statement id: `prefix` and `name`, as AddPermission allows them (at most
/// 100 characters of `[a-zA-Z0-9-_]`, per the service model). A name that does not fit as it
/// is keeps its readable part and gains a digest of the whole, so ids stay unique.
pub fn statement_id(prefix: &str, name: &str) -> String {
    let id = format!("{prefix}{name}");
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if id.len() <= 100 && id.chars().all(allowed) {
        return id;
    }
    use sha2::{Digest, Sha256};
    let digest = crate::plan::hex(&Sha256::digest(name.as_bytes()));
    let readable: String = name.chars().filter(|c| allowed(*c)).take(60).collect();
    format!("{prefix}{readable}-{}", &digest[..16])
}

/// The execute-api ARN an API's invocations come from, any stage, method and route.
pub fn api_source_arn(ctx: &Context, api_id: &str) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        ctx.partition, ctx.region, ctx.account
    )
}

pub(crate) fn api_props(
    stack: &Stack,
    ctx: &Context,
    resource: &Resource,
    a: &Api,
    props: &mut Props,
) {
    props.insert(
        "description".into(),
        FieldValue::known(a.description.clone()),
    );
    props.insert(
        "endpointType".into(),
        FieldValue::known(a.endpoint_type.clone()),
    );
    let api_id = ctx.api_ids.get(&resource.id);
    let mut routes = serde_json::Map::new();
    let mut known = true;
    for route in &a.routes {
        let target = invoke_arn(stack, ctx, &route.function);
        let key = format!("{} {}", route.method, route.path);
        match &target {
            FieldValue::Known(arn) => {
                routes.insert(key.clone(), arn.clone());
            }
            FieldValue::Unknown(_) => known = false,
        }
        props.insert(format!("routes[{key}]"), target.clone());
        // One invoke permission per function, scoped to this API, on the alias it routes to.
        let (function, qualifier) = match &target {
            FieldValue::Known(Value::String(arn)) => function_of_arn(arn),
            _ => continue,
        };
        let sid = api_permission_id(&resource.physical_name);
        let value = match api_id {
            Some(id) => FieldValue::known(permission_value(
                "apigateway.amazonaws.com",
                &api_source_arn(ctx, id),
                qualifier,
            )),
            None => FieldValue::unknown(),
        };
        props.insert(format!("permissions[{function}/{sid}]"), value);
    }
    // The deployment records the digest of the routes it serves; a new one is made when the
    // routes change.
    let digest = if known {
        use sha2::{Digest, Sha256};
        FieldValue::known(
            crate::plan::hex(&Sha256::digest(
                Value::Object(routes).to_string().as_bytes(),
            ))[..16]
                .to_string(),
        )
    } else {
        FieldValue::unknown()
    };
    if let Some(domain) = &a.domain {
        props.insert(
            "domain".into(),
            FieldValue::known(json!({
                "name": domain.name,
                "certificateArn": domain.certificate_arn,
                "basePath": domain.base_path.clone().unwrap_or_else(|| "(none)".into()),
            })),
        );
    }
    props.insert("stage.name".into(), FieldValue::known(a.stage.clone()));
    props.insert("stage.deployment".into(), digest);
    props.insert("stage.tracing".into(), FieldValue::known(a.tracing));
    if let Some(t) = &a.throttling {
        props.insert(
            "stage.throttling".into(),
            FieldValue::known(json!({"rateLimit": t.rate_limit, "burstLimit": t.burst_limit})),
        );
    }
}
