//! The IAM actions slsctl needs: one list, shared by `slsctl iam-policy` (the least a user needs
//! for a stack), the access-denied explanation, and `tests/deploy.rs`, which checks it against
//! every SDK call in `src/` and against the task role in `deploy/iam/`, in both directions.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::model::{Kind, Stack};

/// Who makes the call, or why AWS checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needed {
    /// The engine (`plan`, `apply`, `destroy`, and the controller's reconciles).
    Engine,
    /// Only the controller: its lease, its S3 sources, its notifications.
    Controller,
    /// Only `slsctl import live`: the services' listings by name prefix. Neither a plan nor the
    /// controller needs them.
    Import,
    /// Only `slsctl tune`, which a person runs: not in the controller's task role, nor in the
    /// policy `slsctl iam-policy` prints for plan and apply.
    Tune,
    /// Only `slsctl cost --recommend`, which a person runs: like [`Needed::Tune`], outside the
    /// task role and the plan/apply policy.
    Recommend,
    /// Called by no code, but AWS checks it inside another call (the reason says which).
    Implied(&'static str),
}

/// Every IAM action, sorted by service. `tests/deploy.rs` proves that the `Engine` and
/// `Controller` entries are exactly the SDK calls in `src/`.
pub const PERMISSIONS: &[(&str, Needed)] = &[
    ("apigateway:DELETE", Needed::Engine),
    ("apigateway:GET", Needed::Engine),
    ("apigateway:PATCH", Needed::Engine),
    ("apigateway:POST", Needed::Engine),
    ("apigateway:PUT", Needed::Engine),
    ("application-autoscaling:DeleteScalingPolicy", Needed::Engine),
    ("application-autoscaling:DeleteScheduledAction", Needed::Engine),
    ("application-autoscaling:DeregisterScalableTarget", Needed::Engine),
    ("application-autoscaling:DescribeScalableTargets", Needed::Engine),
    ("application-autoscaling:DescribeScalingPolicies", Needed::Engine),
    ("application-autoscaling:DescribeScheduledActions", Needed::Engine),
    ("application-autoscaling:PutScalingPolicy", Needed::Engine),
    ("application-autoscaling:PutScheduledAction", Needed::Engine),
    ("application-autoscaling:RegisterScalableTarget", Needed::Engine),
    ("cloudwatch:DeleteAlarms", Needed::Engine),
    ("cloudwatch:DeleteDashboards", Needed::Engine),
    // One listing per 100 alarms: observation, and the controller's health from alarms.
    ("cloudwatch:DescribeAlarms", Needed::Engine),
    ("cloudwatch:GetDashboard", Needed::Engine),
    // `cost --recommend` reads 14 days of the stack's metrics (read only, no resource ARNs).
    ("cloudwatch:GetMetricData", Needed::Recommend),
    ("cloudwatch:ListDashboards", Needed::Engine),
    ("cloudwatch:ListTagsForResource", Needed::Engine),
    ("cloudwatch:PutDashboard", Needed::Engine),
    ("cloudwatch:PutMetricAlarm", Needed::Engine),
    // Also what PutMetricAlarm with tags is authorised as.
    ("cloudwatch:TagResource", Needed::Engine),
    ("cloudwatch:UntagResource", Needed::Engine),
    ("dynamodb:CreateTable", Needed::Engine),
    ("dynamodb:DeleteTable", Needed::Engine),
    ("dynamodb:DescribeContinuousBackups", Needed::Engine),
    ("dynamodb:DescribeTable", Needed::Engine),
    ("dynamodb:DescribeTimeToLive", Needed::Engine),
    ("dynamodb:ListTables", Needed::Import),
    ("dynamodb:ListTagsOfResource", Needed::Engine),
    ("dynamodb:PutItem", Needed::Controller),
    // The controller reads its fleet's leases and heartbeats in one Scan a tick.
    ("dynamodb:Scan", Needed::Controller),
    ("dynamodb:TagResource", Needed::Engine),
    ("dynamodb:UntagResource", Needed::Engine),
    ("dynamodb:UpdateContinuousBackups", Needed::Engine),
    ("dynamodb:UpdateItem", Needed::Controller),
    ("dynamodb:UpdateTable", Needed::Engine),
    ("dynamodb:UpdateTimeToLive", Needed::Engine),
    ("events:CreateArchive", Needed::Engine),
    ("events:CreateEventBus", Needed::Engine),
    ("events:DeleteArchive", Needed::Engine),
    ("events:DeleteEventBus", Needed::Engine),
    ("events:DeleteRule", Needed::Engine),
    ("events:DescribeArchive", Needed::Engine),
    ("events:DescribeEventBus", Needed::Engine),
    ("events:DescribeRule", Needed::Engine),
    ("events:ListEventBuses", Needed::Import),
    ("events:ListRules", Needed::Import),
    ("events:ListTagsForResource", Needed::Engine),
    ("events:ListTargetsByRule", Needed::Engine),
    ("events:PutEvents", Needed::Controller),
    ("events:PutRule", Needed::Engine),
    ("events:PutTargets", Needed::Engine),
    ("events:RemoveTargets", Needed::Engine),
    ("events:TagResource", Needed::Engine),
    ("events:UntagResource", Needed::Engine),
    ("events:UpdateArchive", Needed::Engine),
    ("events:UpdateEventBus", Needed::Engine),
    ("iam:AttachRolePolicy", Needed::Engine),
    ("iam:CreateRole", Needed::Engine),
    (
        "iam:CreateServiceLinkedRole",
        Needed::Implied("the first RegisterScalableTarget for Lambda creates Application Auto Scaling's service-linked role"),
    ),
    ("iam:DeleteRole", Needed::Engine),
    ("iam:DeleteRolePermissionsBoundary", Needed::Engine),
    ("iam:DeleteRolePolicy", Needed::Engine),
    ("iam:DetachRolePolicy", Needed::Engine),
    ("iam:GetRole", Needed::Engine),
    ("iam:GetRolePolicy", Needed::Engine),
    ("iam:ListAttachedRolePolicies", Needed::Engine),
    ("iam:ListRolePolicies", Needed::Engine),
    ("iam:ListRoles", Needed::Engine),
    (
        "iam:PassRole",
        Needed::Implied("CreateFunction/UpdateFunctionConfiguration pass the function's role; PutTargets passes a bus target's role"),
    ),
    ("iam:PutRolePermissionsBoundary", Needed::Engine),
    ("iam:PutRolePolicy", Needed::Engine),
    ("iam:TagRole", Needed::Engine),
    ("iam:UntagRole", Needed::Engine),
    ("iam:UpdateAssumeRolePolicy", Needed::Engine),
    ("iam:UpdateRole", Needed::Engine),
    ("lambda:AddPermission", Needed::Engine),
    ("lambda:CreateAlias", Needed::Engine),
    ("lambda:CreateEventSourceMapping", Needed::Engine),
    ("lambda:CreateFunction", Needed::Engine),
    ("lambda:DeleteAlias", Needed::Engine),
    ("lambda:DeleteEventSourceMapping", Needed::Engine),
    ("lambda:DeleteFunction", Needed::Engine),
    ("lambda:DeleteFunctionConcurrency", Needed::Engine),
    ("lambda:DeleteLayerVersion", Needed::Engine),
    ("lambda:DeleteProvisionedConcurrencyConfig", Needed::Engine),
    ("lambda:GetAlias", Needed::Engine),
    ("lambda:GetEventSourceMapping", Needed::Engine),
    ("lambda:GetFunction", Needed::Engine),
    (
        "lambda:GetLayerVersion",
        Needed::Implied("CreateFunction/UpdateFunctionConfiguration with layers read each layer version"),
    ),
    ("lambda:GetPolicy", Needed::Engine),
    ("lambda:GetProvisionedConcurrencyConfig", Needed::Engine),
    // `tune` invokes the function behind its temporary alias.
    ("lambda:InvokeFunction", Needed::Tune),
    ("lambda:ListAliases", Needed::Engine),
    ("lambda:ListEventSourceMappings", Needed::Engine),
    ("lambda:ListFunctions", Needed::Import),
    ("lambda:ListLayerVersions", Needed::Engine),
    ("lambda:ListLayers", Needed::Engine),
    ("lambda:ListVersionsByFunction", Needed::Engine),
    ("lambda:PublishLayerVersion", Needed::Engine),
    ("lambda:PublishVersion", Needed::Engine),
    ("lambda:PutFunctionConcurrency", Needed::Engine),
    ("lambda:PutProvisionedConcurrencyConfig", Needed::Engine),
    ("lambda:RemovePermission", Needed::Engine),
    ("lambda:TagResource", Needed::Engine),
    ("lambda:UntagResource", Needed::Engine),
    ("lambda:UpdateAlias", Needed::Engine),
    ("lambda:UpdateEventSourceMapping", Needed::Engine),
    ("lambda:UpdateFunctionCode", Needed::Engine),
    ("lambda:UpdateFunctionConfiguration", Needed::Engine),
    ("logs:CreateLogGroup", Needed::Engine),
    ("logs:DeleteLogGroup", Needed::Engine),
    ("logs:DeleteMetricFilter", Needed::Engine),
    ("logs:DeleteRetentionPolicy", Needed::Engine),
    ("logs:DescribeLogGroups", Needed::Engine),
    ("logs:DescribeMetricFilters", Needed::Engine),
    ("logs:ListTagsForResource", Needed::Engine),
    ("logs:PutMetricFilter", Needed::Engine),
    ("logs:PutRetentionPolicy", Needed::Engine),
    // Also what CreateLogGroup with tags is authorised as.
    ("logs:TagResource", Needed::Engine),
    ("logs:UntagResource", Needed::Engine),
    ("s3:GetObject", Needed::Controller),
    ("s3:ListBucket", Needed::Controller),
    ("sqs:CreateQueue", Needed::Engine),
    // The CloudTrail events' queue: DeleteMessageBatch is authorised as DeleteMessage.
    ("sqs:DeleteMessage", Needed::Controller),
    ("sqs:DeleteQueue", Needed::Engine),
    ("sqs:GetQueueAttributes", Needed::Engine),
    ("sqs:GetQueueUrl", Needed::Engine),
    ("sqs:ListQueueTags", Needed::Engine),
    ("sqs:ListQueues", Needed::Import),
    ("sqs:ReceiveMessage", Needed::Controller),
    ("sqs:SetQueueAttributes", Needed::Engine),
    ("sqs:TagQueue", Needed::Engine),
    ("sqs:UntagQueue", Needed::Engine),
    ("tag:GetResources", Needed::Engine),
];

/// A read: what `plan` needs. Everything else changes something.
pub fn is_read(action: &str) -> bool {
    let verb = action.split_once(':').map_or(action, |(_, verb)| verb);
    verb == "GET"
        || ["Get", "List", "Describe"]
            .iter()
            .any(|prefix| verb.starts_with(prefix))
}

/// What a kind's changes go through: each kind's module lists them (`CHANGES_THROUGH`), and a
/// stack's least policy grants the changes of the kinds it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Through {
    /// Every change of an IAM service prefix (`lambda`).
    Service(&'static str),
    /// One action (`iam:PassRole`).
    Action(&'static str),
    /// Creating, changing and deleting the stack's roles (see [`manages_roles`]).
    ManagingRoles,
}

impl Through {
    fn covers(self, action: &str) -> bool {
        match self {
            Through::Service(service) => action.split(':').next() == Some(service),
            Through::Action(one) => action == one,
            Through::ManagingRoles => manages_roles(action),
        }
    }
}

/// An action on the stack's roles themselves, what the roles' own statement grants on the
/// stack's IAM path. Passing a role and creating Application Auto Scaling's service-linked role
/// are granted apart, each on what it names.
fn manages_roles(action: &str) -> bool {
    action.starts_with("iam:")
        && action.contains("Role")
        && !matches!(action, "iam:CreateServiceLinkedRole" | "iam:PassRole")
}

/// The least a user needs to run `plan` (`read_only`) or `apply` and `destroy` on `stack`.
/// Reads are all included: observing lists account-wide (layers, mappings, REST APIs) whatever
/// the spec holds, and finds what the stack owns but the spec no longer names. Changes are
/// included for the kinds the stack has.
/// `changes_of` gives what each kind's changes go through (the registry's
/// `crate::kinds::changes_through`).
pub fn stack_actions(
    stack: &Stack,
    read_only: bool,
    changes_of: fn(Kind) -> &'static [Through],
) -> BTreeSet<&'static str> {
    let kinds: BTreeSet<Kind> = stack.resources.iter().map(|r| r.id.kind).collect();
    PERMISSIONS
        .iter()
        .filter(|(_, needed)| {
            !matches!(
                needed,
                Needed::Controller | Needed::Tune | Needed::Recommend | Needed::Import
            )
        })
        .map(|(action, _)| *action)
        .filter(|action| {
            if is_read(action) {
                // A read AWS checks inside a change is needed only where the change is.
                !read_only || !matches!(needed_of(action), Some(Needed::Implied(_)))
            } else {
                !read_only
                    && kinds
                        .iter()
                        .any(|k| changes_of(*k).iter().any(|t| t.covers(action)))
            }
        })
        .collect()
}

fn needed_of(action: &str) -> Option<Needed> {
    PERMISSIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, needed)| *needed)
}

/// The policy document for `stack_actions`, one statement per service.
pub fn stack_policy(
    stack: &Stack,
    read_only: bool,
    changes_of: fn(Kind) -> &'static [Through],
) -> Value {
    let actions = stack_actions(stack, read_only, changes_of);
    let mut statements = Vec::new();
    let mut services: Vec<&str> = actions
        .iter()
        .filter(|a| !a.starts_with("iam:"))
        .map(|a| a.split(':').next().unwrap_or(""))
        .collect();
    services.dedup();
    for service in services {
        let list: Vec<&str> = actions
            .iter()
            .filter(|a| a.split(':').next() == Some(service))
            .copied()
            .collect();
        let sid: String = format!(
            "Slsctl{}{}",
            service
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>(),
            if read_only { "Read" } else { "" }
        );
        statements.push(json!({"Sid": sid, "Effect": "Allow", "Action": list, "Resource": "*"}));
    }
    let roles = role_resources(stack);
    let managing: Vec<&str> = actions
        .iter()
        .filter(|a| manages_roles(a) && **a != "iam:ListRoles")
        .copied()
        .collect();
    if !managing.is_empty() {
        statements.push(json!({
            "Sid": format!("SlsctlStackRoles{}", if read_only { "Read" } else { "" }),
            "Effect": "Allow",
            "Action": managing,
            "Resource": roles[0],
        }));
    }
    if actions.contains("iam:ListRoles") {
        statements.push(json!({
            "Sid": "SlsctlListStackRoles",
            "Effect": "Allow",
            "Action": ["iam:ListRoles"],
            "Resource": "*",
        }));
    }
    if actions.contains("iam:PassRole") {
        statements.push(json!({
            "Sid": "SlsctlPassFunctionAndTargetRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": roles,
            "Condition": {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com", "events.amazonaws.com"]}}
        }));
    }
    if actions.contains("iam:CreateServiceLinkedRole") {
        statements.push(json!({
            "Sid": "SlsctlProvisionedConcurrencyServiceLinkedRole",
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": "arn:aws:iam::*:role/aws-service-role/lambda.application-autoscaling.amazonaws.com/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "lambda.application-autoscaling.amazonaws.com"}}
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The roles slsctl creates for `stack` (its IAM path), then the role ARNs managed elsewhere that
/// its functions and rule targets name: what it may pass to Lambda and EventBridge.
fn role_resources(stack: &Stack) -> Vec<String> {
    use crate::model::{Reference, ResourceSpec};
    let mut arns = vec![format!(
        "arn:aws:iam::*:role{}*",
        crate::model::arn::role_path(&stack.name)
    )];
    let mut named: Vec<String> = Vec::new();
    for resource in &stack.resources {
        match &resource.spec {
            ResourceSpec::Function(f) => {
                if let Some(Reference::Arn(arn)) = &f.role {
                    named.push(arn.clone());
                }
            }
            ResourceSpec::Rule(rule) => {
                named.extend(rule.targets.iter().filter_map(|t| match &t.role {
                    Some(Reference::Arn(arn)) => Some(arn.clone()),
                    _ => None,
                }))
            }
            _ => {}
        }
    }
    named.sort();
    named.dedup();
    arns.extend(named);
    arns
}

/// The controller's task role as shipped (`deploy/iam/task-role-policy.json`), built in so that
/// an access-denied message can say whether it grants the refused action.
pub const TASK_ROLE_POLICY: &str = include_str!("../../deploy/iam/task-role-policy.json");

/// Every action a policy document allows.
pub fn granted_actions(policy: &Value) -> BTreeSet<String> {
    let mut granted = BTreeSet::new();
    for statement in policy["Statement"].as_array().into_iter().flatten() {
        if statement["Effect"] != "Allow" {
            continue;
        }
        match &statement["Action"] {
            Value::String(action) => {
                granted.insert(action.clone());
            }
            Value::Array(list) => {
                granted.extend(list.iter().filter_map(|a| a.as_str().map(str::to_string)))
            }
            _ => {}
        }
    }
    granted
}

/// Whether the shipped task role grants `action` (IAM compares actions case-insensitively).
pub fn task_role_grants(action: &str) -> bool {
    serde_json::from_str::<Value>(TASK_ROLE_POLICY)
        .map(|policy| {
            granted_actions(&policy)
                .iter()
                .any(|granted| granted.eq_ignore_ascii_case(action))
        })
        .unwrap_or(false)
}

/// The listed spelling of an action AWS named in any case (SQS lower-cases them).
pub fn canonical(action: &str) -> Option<&'static str> {
    PERMISSIONS
        .iter()
        .map(|(a, _)| *a)
        .find(|a| a.eq_ignore_ascii_case(action))
}

/// The action of an SDK operation (`GetFunction` → `lambda:GetFunction`) when only one service
/// has that operation in the list.
pub fn action_of_operation(operation: &str) -> Option<&'static str> {
    let mut matches = PERMISSIONS
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| a.split_once(':').is_some_and(|(_, verb)| verb == operation));
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_by_their_verb() {
        assert!(is_read("lambda:GetFunction"));
        assert!(is_read("apigateway:GET"));
        assert!(is_read("events:DescribeRule"));
        assert!(!is_read("lambda:UpdateFunctionCode"));
        assert!(!is_read("apigateway:PATCH"));
        assert!(!is_read("sqs:SetQueueAttributes"));
    }

    #[test]
    fn the_list_is_sorted_without_repeats_and_matches_the_shipped_task_role() {
        let actions: Vec<&str> = PERMISSIONS.iter().map(|(a, _)| *a).collect();
        let mut sorted = actions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(actions, sorted);
        let shipped = granted_actions(&serde_json::from_str(TASK_ROLE_POLICY).unwrap());
        // `slsctl tune` and `import live` are a person's commands: the controller's task role
        // leaves them out.
        let listed: BTreeSet<String> = PERMISSIONS
            .iter()
            .filter(|(_, needed)| {
                !matches!(needed, Needed::Tune | Needed::Recommend | Needed::Import)
            })
            .map(|(a, _)| a.to_string())
            .collect();
        assert_eq!(shipped, listed);
    }

    #[test]
    fn names_the_action_of_an_unambiguous_operation() {
        assert_eq!(
            action_of_operation("GetFunction"),
            Some("lambda:GetFunction")
        );
        assert_eq!(action_of_operation("TagResource"), None, "three services");
        assert_eq!(
            canonical("sqs:getqueueattributes"),
            Some("sqs:GetQueueAttributes")
        );
        assert!(task_role_grants("lambda:GetFunction"));
        assert!(!task_role_grants("kms:Decrypt"));
    }
}
