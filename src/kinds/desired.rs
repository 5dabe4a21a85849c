//! Desired state: the validated model turned into the canonical [`Props`] the diff compares.
//!
//! Every field is written the way `aws::observe` reads it back from AWS (same names, same
//! normalised values, AWS defaults filled in), which is what keeps the second plan empty.
//! References resolve to physical names, ARNs and URLs computed from the account and region;
//! what cannot be known before a dependency exists is [`FieldValue::Unknown`].

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::model::*;
// In the model so that the cost estimate can read ARNs without importing the kinds.
pub use crate::model::arn::function_of_arn;
use crate::plan::{DesiredResource, FieldValue, Props, SetProp};

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
        crate::text::hex(&Sha256::digest(value.as_bytes()))
    )
}

/// What one resource's desired props are computed from: the stack, the resource, its model
/// (the kind's own type) and where it is deployed.
#[derive(Clone, Copy)]
pub struct Wanted<'a, M> {
    pub stack: &'a Stack,
    pub resource: &'a Resource,
    pub model: &'a M,
    pub ctx: &'a Context,
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
        props.set(format!("tags.{key}"), value.clone());
    }
    props.set(format!("tags.{TAG_STACK}"), stack.name.clone());
    props.set(format!("tags.{TAG_RESOURCE}"), resource.id.to_string());
    if resource.deletion_policy != resource.id.kind.default_deletion_policy() {
        props.set(
            format!("tags.{TAG_DELETION_POLICY}"),
            resource.deletion_policy.as_str(),
        );
    }
}

fn desired_resource(stack: &Stack, resource: &Resource, ctx: &Context) -> DesiredResource {
    let (props, sensitive) = super::of(resource.id.kind)
        .map(|kind| kind.desired_props(stack, resource, ctx))
        .unwrap_or_default();
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
        Reference::Stack(id) => match (stack.get(id), super::of(id.kind)) {
            (Some(resource), Some(kind)) => kind.arn(stack, resource, ctx),
            _ => FieldValue::unknown(),
        },
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
    let digest = crate::text::hex(&Sha256::digest(name.as_bytes()));
    let readable: String = name.chars().filter(|c| allowed(*c)).take(60).collect();
    format!("{prefix}{readable}-{}", &digest[..16])
}
