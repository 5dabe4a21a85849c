//! The policies of a role slsctl creates, derived from the wiring of what uses it: least
//! privilege, resources by ARN, one statement per purpose with a `Sid` that says it
//! (`FulfilOrderTriggerOrderEvents`), so that removing a trigger or a reference removes exactly
//! its statement, and the plan shows policy changes statement by statement.
//!
//! Policies are compared in one canonical form ([`canonical`]): what IAM hands back
//! (URL-encoded, a single action as a string, any order) and what the spec wants reduce to the
//! same JSON, so a plan after apply is empty.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::kinds::desired::{invoke_arn, physical, reference_arn, Context};
use crate::model::*;
use crate::plan::FieldValue;

/// The name of the one inline policy slsctl writes on a role it owns.
pub const POLICY_NAME: &str = "slsctl";

/// IAM's limit on the inline policies of one role, in characters other than white space.
pub const INLINE_POLICY_LIMIT: usize = 10_240;

pub const LAMBDA_SERVICE: &str = "lambda.amazonaws.com";
pub const EVENTS_SERVICE: &str = "events.amazonaws.com";

pub use super::document::{
    canonical, document_of, percent_decode, policy_document, policy_size, statements_of,
};
pub use crate::model::arn::role_path;

/// The ARN of a role slsctl creates. Built, not read back: right after CreateRole, IAM may
/// still answer with the role's unique id where the ARN belongs.
pub fn role_arn(ctx: &Context, stack: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{}{name}",
        ctx.partition,
        ctx.account,
        role_path(stack)
    )
}

/// A function's execution role, as an ARN: the role's own when given as one, else the ARN of
/// the stack's Role (written, or derived for this function alone).
pub fn execution_role_arn(
    stack: &Stack,
    ctx: &Context,
    function: &Resource,
    f: &Function,
) -> FieldValue {
    match &f.role {
        Some(reference) => reference_arn(stack, ctx, reference),
        None => match physical(stack, &derived_role_id(&function.id)) {
            Some(name) => FieldValue::known(role_arn(ctx, &stack.name, name)),
            None => FieldValue::unknown(),
        },
    }
}

/// The id of the role derived for a function or a rule.
pub fn derived_role_id(owner: &ResourceId) -> ResourceId {
    match owner.kind {
        Kind::Rule => ResourceId::new(Kind::Role, format!("{}-delivery", owner.name)),
        _ => ResourceId::new(Kind::Role, owner.name.clone()),
    }
}

/// Whether a rule target delivers to an event bus, the one target kind here whose delivery
/// needs a role (AWS, "Sending events between event buses").
pub fn delivers_to_bus(target: &Target) -> bool {
    match &target.destination {
        Reference::Stack(id) => id.kind == Kind::EventBus,
        Reference::Arn(arn) => arn.contains(":event-bus/"),
    }
}

/// The resources whose wiring a role's policy is derived from.
pub struct Users<'s> {
    pub functions: Vec<(&'s Resource, &'s Function)>,
    /// Rule targets it delivers for, with their rule.
    pub targets: Vec<(&'s Resource, &'s Target)>,
}

/// What uses the role `role` of `stack`.
pub fn users<'s>(stack: &'s Stack, role: &Resource) -> Users<'s> {
    let named = |reference: &Option<Reference>, owner: &ResourceId| match reference {
        Some(Reference::Stack(id)) => *id == role.id,
        Some(Reference::Arn(_)) => false,
        None => role.derived_from.as_ref() == Some(owner),
    };
    let mut functions = Vec::new();
    let mut targets = Vec::new();
    for resource in &stack.resources {
        match &resource.spec {
            ResourceSpec::Function(f) if named(&f.role, &resource.id) => {
                functions.push((resource, f));
            }
            ResourceSpec::Rule(rule) => targets.extend(
                rule.targets
                    .iter()
                    .filter(|t| {
                        (t.role.is_some() || delivers_to_bus(t)) && named(&t.role, &resource.id)
                    })
                    .map(|t| (resource, t)),
            ),
            _ => {}
        }
    }
    Users { functions, targets }
}

/// The services trusted to assume the role: its own list, else those of what uses it.
pub fn trusted_services(role: &Role, users: &Users<'_>) -> Vec<String> {
    if !role.trust.is_empty() {
        return role.trust.clone();
    }
    let mut services = BTreeSet::new();
    if !users.functions.is_empty() {
        services.insert(LAMBDA_SERVICE);
    }
    if !users.targets.is_empty() {
        services.insert(EVENTS_SERVICE);
    }
    if services.is_empty() {
        services.insert(LAMBDA_SERVICE);
    }
    services.into_iter().map(String::from).collect()
}

/// The trust policy letting `services` assume a role, canonical.
pub fn trust_document(services: &[String]) -> Value {
    canonical(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": services},
            "Action": "sts:AssumeRole",
        }],
    }))
}

/// The statements of a role's inline policy by `Sid`, canonical and without their `Sid`.
pub fn statements(
    stack: &Stack,
    ctx: &Context,
    role_resource: &Resource,
    role: &Role,
) -> BTreeMap<String, Value> {
    let users = users(stack, role_resource);
    let mut out = Statements::default();
    for (resource, f) in &users.functions {
        function_statements(stack, ctx, resource, f, &mut out);
    }
    for (rule, target) in &users.targets {
        if let FieldValue::Known(Value::String(bus)) =
            reference_arn(stack, ctx, &target.destination)
        {
            out.allow(
                format!("{}Target{}", pascal(&rule.id.name), pascal(&target.id)),
                &["events:PutEvents"],
                [bus],
            );
        }
    }
    let owner = pascal(&role_resource.id.name);
    grants(stack, ctx, &owner, &role.permissions, &mut out);
    out.0
}

/// Managed policies of a role: its own and those of the functions whose role it is.
pub fn managed_policies(stack: &Stack, role_resource: &Resource, role: &Role) -> Vec<String> {
    let users = users(stack, role_resource);
    let mut all: BTreeSet<String> = role.managed_policies.iter().cloned().collect();
    for (_, f) in &users.functions {
        all.extend(f.managed_policies.iter().cloned());
    }
    all.into_iter().collect()
}

#[derive(Default)]
struct Statements(BTreeMap<String, Value>);

impl Statements {
    fn allow<R: Into<String>>(
        &mut self,
        sid: String,
        actions: &[&str],
        resources: impl IntoIterator<Item = R>,
    ) {
        let resources: Vec<String> = resources.into_iter().map(Into::into).collect();
        if resources.is_empty() {
            return;
        }
        self.insert(
            sid,
            json!({"Effect": "Allow", "Action": actions, "Resource": resources}),
        );
    }

    fn insert(&mut self, sid: String, statement: Value) {
        self.0.insert(sid_of(&sid), canonical(&statement));
    }
}

/// A `Sid` as IAM allows it (`[A-Za-z0-9]`), short enough to read: a long one keeps its start
/// and gains a digest of the whole, so that it stays unique.
fn sid_of(wanted: &str) -> String {
    let clean: String = wanted.chars().filter(char::is_ascii_alphanumeric).collect();
    if clean.len() <= 100 {
        return clean;
    }
    use sha2::{Digest, Sha256};
    let digest = crate::text::hex(&Sha256::digest(clean.as_bytes()));
    format!("{}{}", &clean[..80], &digest[..16])
}

/// `create-order` → `CreateOrder`: a logical name as part of a `Sid`.
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The log group a function writes to: the shared one its `logging.logGroup` names, else its
/// own.
pub fn function_log_group(stack: &Stack, function: &Resource, f: &Function) -> String {
    match &f.logging.log_group {
        Some(Reference::Stack(id)) => physical(stack, id)
            .map(String::from)
            .unwrap_or_else(|| id.name.clone()),
        Some(Reference::Arn(arn)) => crate::kinds::desired::arn_name(arn).to_string(),
        None => crate::kinds::function::derive::default_log_group_name(&function.physical_name),
    }
}

const QUEUE_CONSUME: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];
const TABLE_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const TABLE_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// What one function's wiring needs: its logs, tracing, triggers, asynchronous dead-letter
/// queue, environment references and `permissions`.
fn function_statements(
    stack: &Stack,
    ctx: &Context,
    resource: &Resource,
    f: &Function,
    out: &mut Statements,
) {
    let owner = pascal(&resource.id.name);
    let log_group = ctx.arn(
        "logs",
        &format!("log-group:{}:*", function_log_group(stack, resource, f)),
    );
    out.allow(
        format!("{owner}Logs"),
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        [log_group],
    );
    if f.tracing == Tracing::Active {
        // X-Ray's actions have no resource-level permissions.
        out.allow(
            format!("{owner}Tracing"),
            &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            ["*"],
        );
    }
    for trigger in &f.triggers {
        let name = pascal(&reference_name(stack, &trigger.queue));
        out.allow(
            format!("{owner}Trigger{name}"),
            QUEUE_CONSUME,
            known(reference_arn(stack, ctx, &trigger.queue)),
        );
        queue_key(
            stack,
            ctx,
            &trigger.queue,
            Access::Read,
            format!("{owner}TriggerKey{name}"),
            out,
        );
    }
    if let Some(dead_letter) = &f.dead_letter {
        let name = pascal(&reference_name(stack, dead_letter));
        let arn = known(reference_arn(stack, ctx, dead_letter));
        let action = if arn.iter().any(|a| a.contains(":sns:")) {
            "sns:Publish"
        } else {
            "sqs:SendMessage"
        };
        out.allow(format!("{owner}DeadLetter{name}"), &[action], arn);
        queue_key(
            stack,
            ctx,
            dead_letter,
            Access::Write,
            format!("{owner}DeadLetterKey{name}"),
            out,
        );
    }
    // Every reference to one resource is one grant, of all the access they ask for together.
    let mut wanted: Vec<Permission> = Vec::new();
    for value in f.environment.values() {
        if let EnvValue::Ref {
            target: target @ Reference::Stack(id),
            attr,
            access,
        } = value
        {
            let access = access.unwrap_or(super::validate::default_access(id.kind));
            if *attr == RefAttr::StreamArn {
                let table = known(reference_arn(stack, ctx, target));
                out.allow(
                    format!("{owner}Stream{}", pascal(&id.name)),
                    &[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ],
                    table.iter().map(|t| format!("{t}/stream/*")),
                );
            } else {
                wanted.push(Permission::Reference {
                    target: target.clone(),
                    access,
                });
            }
        }
    }
    wanted.extend(f.permissions.iter().cloned());
    grants(stack, ctx, &owner, &wanted, out);
}

/// The statements of `permissions` (references and written statements) under `owner`'s name.
fn grants(
    stack: &Stack,
    ctx: &Context,
    owner: &str,
    permissions: &[Permission],
    out: &mut Statements,
) {
    let mut by_target: BTreeMap<ResourceId, (Reference, bool, bool)> = BTreeMap::new();
    let mut written = 0;
    for permission in permissions {
        match permission {
            Permission::Reference {
                target: target @ Reference::Stack(id),
                access,
            } => {
                let entry = by_target
                    .entry(id.clone())
                    .or_insert((target.clone(), false, false));
                entry.1 |= access.reads();
                entry.2 |= access.writes();
            }
            Permission::Reference { .. } => {}
            Permission::Statement(statement) => {
                written += 1;
                out.insert(format!("{owner}Statement{written}"), statement.clone());
            }
        }
    }
    for (id, (target, reads, writes)) in by_target {
        let access = match (reads, writes) {
            (true, true) => Access::ReadWrite,
            (true, false) => Access::Read,
            _ => Access::Write,
        };
        let name = pascal(&id.name);
        let arn = known(reference_arn(stack, ctx, &target));
        match id.kind {
            Kind::Table => {
                let mut actions: Vec<&str> = Vec::new();
                if reads {
                    actions.extend(TABLE_READ);
                }
                if writes {
                    actions.extend(TABLE_WRITE);
                }
                // Queries of an index are authorised on the index's ARN.
                let resources: Vec<String> = arn
                    .iter()
                    .flat_map(|t| [t.clone(), format!("{t}/index/*")])
                    .collect();
                out.allow(format!("{owner}Table{name}"), &actions, resources);
                if let Some(ResourceSpec::Table(Table {
                    sse: TableSse::CustomerManaged(key),
                    ..
                })) = stack.get(&id).map(|r| &r.spec)
                {
                    let mut actions = vec!["kms:Decrypt", "kms:DescribeKey"];
                    if writes {
                        actions.extend(["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]);
                    }
                    out.allow(
                        format!("{owner}TableKey{name}"),
                        &actions,
                        [key_arn(ctx, key)],
                    );
                }
            }
            Kind::Queue => {
                let mut actions: Vec<&str> = Vec::new();
                if reads {
                    actions.extend(QUEUE_CONSUME);
                }
                if writes {
                    actions.push("sqs:SendMessage");
                }
                out.allow(format!("{owner}Queue{name}"), &actions, arn);
                queue_key(
                    stack,
                    ctx,
                    &target,
                    access,
                    format!("{owner}QueueKey{name}"),
                    out,
                );
            }
            Kind::EventBus => out.allow(format!("{owner}Bus{name}"), &["events:PutEvents"], arn),
            // The ARN its caller's reference holds: an alias's when it has one, and a grant on
            // one ARN does not cover the others.
            Kind::Function => out.allow(
                format!("{owner}Invoke{name}"),
                &["lambda:InvokeFunction"],
                known(invoke_arn(stack, ctx, &target)),
            ),
            _ => {}
        }
    }
}

/// The KMS grant a queue encrypted with a customer key needs: decrypt to read, generate data
/// keys to send. A queue under SQS's own keys or the AWS-managed `alias/aws/sqs` needs none.
fn queue_key(
    stack: &Stack,
    ctx: &Context,
    queue: &Reference,
    access: Access,
    sid: String,
    out: &mut Statements,
) {
    let Reference::Stack(id) = queue else {
        return;
    };
    let Some(ResourceSpec::Queue(Queue {
        encryption: QueueEncryption::Kms { key_id, .. },
        ..
    })) = stack.get(id).map(|r| &r.spec)
    else {
        return;
    };
    let mut actions = vec!["kms:Decrypt"];
    if access.writes() {
        actions.push("kms:GenerateDataKey");
    }
    if key_id.starts_with("alias/aws/") {
        return;
    }
    if let Some(alias) = key_id.strip_prefix("alias/") {
        // KMS authorises on the key, not its alias: any key of the account, as long as it
        // goes by this alias.
        out.insert(
            sid,
            json!({
                "Effect": "Allow",
                "Action": actions,
                "Resource": ctx.arn("kms", "key/*"),
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": format!("alias/{alias}")}},
            }),
        );
        return;
    }
    out.allow(sid, &actions, [key_arn(ctx, key_id)]);
}

/// A KMS key as its ARN: KMS authorises on the key's ARN, and a spec may name a key by id.
fn key_arn(ctx: &Context, key: &str) -> String {
    if key.starts_with("arn:") {
        key.to_string()
    } else {
        ctx.arn("kms", &format!("key/{key}"))
    }
}

/// A reference's name for a `Sid`: the logical name in the stack, the ARN's last part outside.
fn reference_name(_stack: &Stack, reference: &Reference) -> String {
    match reference {
        Reference::Stack(id) => id.name.clone(),
        Reference::Arn(arn) => crate::kinds::desired::arn_name(arn).to_string(),
    }
}

fn known(value: FieldValue) -> Vec<String> {
    match value {
        FieldValue::Known(Value::String(text)) => vec![text],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_plus_signs_and_plain_text() {
        assert_eq!(
            percent_decode("%7B%22Action%22%3A%22kms%3AGenerateDataKey%2A%22%7D"),
            r#"{"Action":"kms:GenerateDataKey*"}"#
        );
        assert_eq!(percent_decode("a+b%2Bc"), "a+b+c");
        assert_eq!(percent_decode(r#"{"raw":"json"}"#), r#"{"raw":"json"}"#);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn equal_policies_written_differently_are_one_canonical_form() {
        let ours = trust_document(&["lambda.amazonaws.com".to_string()]);
        let iam = r#"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Effect%22%3A%22Allow%22%7D%5D%7D"#;
        assert_eq!(document_of(iam), Some(ours));
        let a = canonical(
            &json!({"Effect": "Allow", "Action": ["s3:b", "s3:a", "s3:a"], "Resource": "x"}),
        );
        let b =
            canonical(&json!({"Resource": ["x"], "Action": ["s3:a", "s3:b"], "Effect": "Allow"}));
        assert_eq!(a, b);
    }

    #[test]
    fn statements_are_read_back_by_sid() {
        let mut wanted = BTreeMap::new();
        wanted.insert("FnLogs".to_string(), canonical(&json!({"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": ["arn:aws:logs:r:1:log-group:/aws/lambda/f:*"]})));
        let document = policy_document(&wanted).to_string();
        assert_eq!(statements_of(&document), Some(wanted));
    }

    /// The stack `s` of `documents`, each written without its `apiVersion` (with a code
    /// directory), validated.
    fn stack_of(documents: &[&str]) -> Stack {
        let mut text = String::from(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n",
        );
        for document in documents {
            text.push_str("---\napiVersion: slsctl.dev/v1alpha1\n");
            text.push_str(document);
        }
        crate::kinds::test_stack(&text)
    }

    fn role_statements(stack: &Stack, role: &str) -> BTreeMap<String, Value> {
        let ctx = Context {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            partition: "aws".into(),
            ..Context::default()
        };
        let resource = stack
            .get(&ResourceId::new(Kind::Role, role))
            .expect("the role");
        let ResourceSpec::Role(model) = &resource.spec else {
            panic!("a role")
        };
        statements(stack, &ctx, resource, model)
    }

    #[test]
    fn customer_keys_of_tables_and_queues_get_the_matching_kms_actions() {
        let stack = stack_of(&[
            "kind: Table\nmetadata: {name: t}\nspec:\n  partitionKey: {name: pk, type: S}\n  sse: {type: KMS, kmsMasterKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab}\n",
            "kind: Queue\nmetadata: {name: q}\nspec: {kmsMasterKeyId: alias/orders}\n",
            "kind: Queue\nmetadata: {name: plain}\nspec: {kmsMasterKeyId: alias/aws/sqs}\n",
            "kind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  environment:\n    TABLE: {ref: Table/t, access: read}\n    QUEUE: {ref: Queue/q}\n    PLAIN: {ref: Queue/plain}\n",
        ]);
        let got = role_statements(&stack, "f");
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        // Reads of the table: decrypt and describe, no encrypt.
        assert_eq!(
            got["FTableKeyT"],
            canonical(
                &json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": [key]})
            )
        );
        // Sending to a queue under a customer alias: data keys, for any key of that alias.
        assert_eq!(
            got["FQueueKeyQ"],
            canonical(&json!({
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "arn:aws:kms:eu-west-1:111122223333:key/*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/orders"}},
            }))
        );
        // The AWS-managed key needs no grant.
        assert!(!got.contains_key("FQueueKeyPlain"), "{got:#?}");
        assert!(got.contains_key("FQueuePlain"));
    }

    #[test]
    fn references_to_one_resource_are_one_grant_of_all_their_access() {
        let stack = stack_of(&[
            "kind: Queue\nmetadata: {name: q}\nspec: {}\n",
            "kind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  environment:\n    SEND: {ref: Queue/q, attr: url}\n  permissions: [{ref: Queue/q, access: read}]\n",
        ]);
        let got = role_statements(&stack, "f");
        assert_eq!(got.keys().collect::<Vec<_>>(), ["FLogs", "FQueueQ"]);
        assert_eq!(
            got["FQueueQ"],
            allow_all(
                &[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage"
                ],
                "arn:aws:sqs:eu-west-1:111122223333:s-q"
            )
        );
    }

    fn allow_all(actions: &[&str], resource: &str) -> Value {
        canonical(&json!({"Effect": "Allow", "Action": actions, "Resource": [resource]}))
    }

    #[test]
    fn sids_are_alphanumeric_and_bounded() {
        assert_eq!(pascal("create-order"), "CreateOrder");
        assert_eq!(sid_of("Fulfil-Order_Trigger"), "FulfilOrderTrigger");
        let long = sid_of(&"A".repeat(300));
        assert_eq!(long.len(), 96);
        assert!(long.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(long, sid_of(&"A".repeat(299)));
    }
}
