//! Policies as code: Rego, evaluated with regorus against the resolved desired state, the plan
//! and the cost forecasts. The default pack (`policies/*.rego`, built in) encodes the
//! blueprint's decisions; a stack adds its own in `<stack>/policies/*.rego`.
//!
//! A policy module puts `{resource, msg}` objects (or plain strings) in `deny` or `warn`. A deny
//! fails the plan with the resource's `file:line`; a warning is shown.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::{Location, ResourceId, Stack};
use crate::plan::Plan;

const DEFAULT_PACK: [(&str, &str); 2] = [
    (
        "policies/blueprint.rego",
        include_str!("../../policies/blueprint.rego"),
    ),
    (
        "policies/blueprint_test.rego",
        include_str!("../../policies/blueprint_test.rego"),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Deny,
    Warn,
}

/// One deny or warning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The policy's package, e.g. `data.slsctl.policies.blueprint`.
    pub policy: String,
    /// The rule's id (`table-pitr`), which a Stack names to opt out of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The spec field the finding is about (`spec.pointInTimeRecovery`), when the rule says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// Where the offending resource is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The reason of the Stack's exception that waives this finding (`spec.policy.exceptions`);
    /// a waived deny refuses nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

impl Finding {
    /// A deny that no exception waives: it fails validate and refuses the plan.
    pub fn denies(&self) -> bool {
        self.severity == Severity::Deny && self.waived.is_none()
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(at) = &self.location {
            write!(f, "{at}: ")?;
        }
        let policy = self.policy.strip_prefix("data.").unwrap_or(&self.policy);
        match &self.rule {
            Some(rule) => write!(f, "{} ({policy}, rule {rule})", self.message)?,
            None => write!(f, "{} ({policy})", self.message)?,
        }
        if let Some(reason) = &self.waived {
            write!(f, "; waived by the stack: {reason}")?;
        }
        Ok(())
    }
}

/// A unit test of a policy (a `test_` rule) and whether it held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The policies in force for a stack: the default pack and the stack's own.
#[derive(Clone, Debug)]
pub struct PolicySet {
    sources: Vec<(String, String)>,
}

impl PolicySet {
    pub fn default_pack() -> PolicySet {
        PolicySet {
            sources: DEFAULT_PACK
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect(),
        }
    }

    /// The default pack plus every `*.rego` file in `<root>/policies/`, sorted by name.
    pub fn for_stack(root: &Path) -> Result<PolicySet, String> {
        let mut set = PolicySet::default_pack();
        let dir = root.join("policies");
        if !dir.is_dir() {
            return Ok(set);
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rego") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            set.sources.push((path.display().to_string(), text));
        }
        Ok(set)
    }

    fn engine(&self) -> Result<(regorus::Engine, Vec<String>), String> {
        let mut engine = regorus::Engine::new();
        let mut packages = Vec::new();
        for (path, text) in &self.sources {
            let package = engine
                .add_policy(path.clone(), text.clone())
                .map_err(|e| format!("policy {path}: {e}"))?;
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
        Ok((engine, packages))
    }

    /// Evaluate every package's `deny` and `warn` against `input`.
    pub fn evaluate(&self, input: &Value, stack: &Stack) -> Result<Vec<Finding>, String> {
        let (mut engine, packages) = self.engine()?;
        engine.set_input(
            regorus::Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())?,
        );
        let mut findings = Vec::new();
        for package in &packages {
            for (rule, severity) in [("deny", Severity::Deny), ("warn", Severity::Warn)] {
                // A package without the rule simply has nothing to say.
                let Ok(value) = engine.eval_rule(format!("{package}.{rule}")) else {
                    continue;
                };
                let json: Value = serde_json::from_str(
                    &value
                        .to_json_str()
                        .map_err(|e| format!("{package}.{rule}: {e}"))?,
                )
                .unwrap_or(Value::Null);
                let items = match json {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    other => vec![other],
                };
                for item in items {
                    let text_of = |key: &str| match &item {
                        Value::Object(o) => o.get(key).and_then(Value::as_str).map(str::to_string),
                        _ => None,
                    };
                    let message = match &item {
                        Value::String(text) => text.clone(),
                        Value::Object(_) => text_of("msg").unwrap_or_else(|| item.to_string()),
                        other => other.to_string(),
                    };
                    let resource = text_of("resource");
                    let rule = text_of("rule");
                    let location = resource
                        .as_deref()
                        .and_then(|r| origin(stack, r))
                        .map(|l| l.to_string());
                    let waived = waiver(stack, rule.as_deref(), resource.as_deref());
                    findings.push(Finding {
                        severity,
                        policy: package.clone(),
                        rule,
                        resource,
                        field: text_of("field"),
                        message,
                        location,
                        waived,
                    });
                }
            }
        }
        findings.sort_by(|a, b| {
            (a.severity != Severity::Deny, &a.location, &a.message).cmp(&(
                b.severity != Severity::Deny,
                &b.location,
                &b.message,
            ))
        });
        Ok(findings)
    }

    /// Run every `test_` rule of every module; a test passes when its rule is true.
    pub fn run_tests(&self) -> Result<Vec<TestResult>, String> {
        let (mut engine, _) = self.engine()?;
        let mut results = Vec::new();
        for (path, text) in &self.sources {
            let Some(package) = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("package "))
                .map(|p| format!("data.{}", p.trim()))
            else {
                continue;
            };
            let mut names: Vec<&str> = text
                .lines()
                .filter_map(|l| {
                    let name = l
                        .strip_prefix("test_")
                        .map(|_| l.split([' ', '{', '(']).next().unwrap_or(l))?;
                    Some(name)
                })
                .collect();
            names.dedup();
            for name in names {
                let full = format!("{package}.{name}");
                let (passed, error) = match engine.eval_rule(full.clone()) {
                    Ok(value) => (value == regorus::Value::from(true), None),
                    Err(e) => (false, Some(e.to_string())),
                };
                results.push(TestResult {
                    name: format!("{path}: {full}"),
                    passed,
                    error,
                });
            }
        }
        Ok(results)
    }
}

/// The reason of the stack's exception for `rule` that covers `resource`, if any.
fn waiver(stack: &Stack, rule: Option<&str>, resource: Option<&str>) -> Option<String> {
    let rule = rule?;
    stack
        .policy
        .exceptions
        .iter()
        .find(|e| {
            e.rule == rule
                && (e.resources.is_empty()
                    || resource.is_some_and(|r| e.resources.iter().any(|x| x == r)))
        })
        .map(|e| e.reason.clone())
}

/// What to do about a deny: fix the spec, or opt out of the rule with a reason.
fn way_out(finding: &Finding) -> String {
    match &finding.rule {
        Some(rule) => format!(
            "fix the spec, or opt out on the Stack: spec.policy.exceptions: [{{rule: {rule}{}, reason: \"why\"}}]",
            finding
                .resource
                .as_deref()
                .map(|r| format!(", resources: [{r}]"))
                .unwrap_or_default()
        ),
        None => "fix the spec, or change the policy (slsctl policy test runs its tests)".to_string(),
    }
}

/// Denies as validation errors, located at the resource that breaks the rule, with the way out.
pub fn diagnostics(findings: &[Finding], stack: &Stack) -> crate::spec::diag::Diagnostics {
    let mut out = crate::spec::diag::Diagnostics::default();
    for finding in findings.iter().filter(|f| f.denies()) {
        let policy = finding
            .policy
            .strip_prefix("data.")
            .unwrap_or(&finding.policy);
        let mut diagnostic =
            crate::spec::diag::Diagnostic::new(format!("policy {policy}: {}", finding.message)).at(
                finding
                    .resource
                    .as_deref()
                    .and_then(|r| origin(stack, r))
                    .or_else(|| stack.origin.clone()),
            );
        if let Some(resource) = &finding.resource {
            diagnostic = diagnostic.resource(resource.clone());
        }
        if let Some(field) = &finding.field {
            diagnostic = diagnostic.field(field.clone());
        }
        out.push(diagnostic.hint(way_out(finding)));
    }
    out.sort();
    out
}

fn origin(stack: &Stack, id: &str) -> Option<Location> {
    let (kind, name) = id.split_once('/')?;
    let id = ResourceId::new(crate::model::Kind::parse(kind)?, name);
    stack.get(&id)?.origin.clone()
}

/// The document the policies see as `input` (described at the top of policies/blueprint.rego).
pub fn input(stack: &Stack, plan: Option<&Plan>) -> Value {
    let resources: Vec<Value> = stack
        .resources
        .iter()
        .map(|r| {
            // The model's spec enums are tagged by kind; the policies see the inner object.
            let spec = match serde_json::to_value(&r.spec) {
                Ok(Value::Object(mut o)) if o.len() == 1 => o
                    .values_mut()
                    .next()
                    .map(Value::take)
                    .unwrap_or(Value::Null),
                Ok(other) => other,
                Err(_) => Value::Null,
            };
            json!({
                "id": r.id.to_string(),
                "kind": r.id.kind.to_string(),
                "name": r.id.name,
                "physicalName": r.physical_name,
                "spec": spec,
                "traffic": r.traffic,
            })
        })
        .collect();
    let prices = crate::cost::Prices::us_east_1();
    let functions: serde_json::Map<String, Value> =
        crate::cost::provisioned_forecasts(stack, prices)
            .into_iter()
            .map(|(id, (utilisation, break_even))| {
                (
                    id.to_string(),
                    json!({"utilisation": utilisation, "breakEven": break_even}),
                )
            })
            .collect();
    let mut input = json!({
        "stack": {"name": stack.name, "tags": stack.tags, "budgetMonthlyUSD": stack.budget_monthly_usd},
        "config": stack.policy,
        "resources": resources,
        "cost": {"functions": functions},
    });
    if let Some(plan) = plan {
        let actions: Vec<Value> = plan
            .actions
            .iter()
            .map(|a| {
                json!({
                    "id": a.id.to_string(),
                    "action": a.action,
                    "fields": a.changes.iter().map(|c| c.field.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        input["plan"] = json!({"actions": actions});
    }
    input
}

/// Evaluate the stack's policies on a plan: denies become refusals (nothing is applied), warnings
/// notes.
pub fn check_plan(stack: &Stack, plan: &mut Plan) -> Result<Vec<Finding>, String> {
    let set = PolicySet::for_stack(&stack.root)?;
    let findings = set.evaluate(&input(stack, Some(plan)), stack)?;
    for finding in &findings {
        if finding.waived.is_some() {
            plan.notes.push(format!("policy exception: {finding}"));
            continue;
        }
        match finding.severity {
            Severity::Deny => plan.refusals.push(crate::plan::Refusal {
                id: finding
                    .resource
                    .as_deref()
                    .and_then(|r| r.split_once('/'))
                    .and_then(|(k, n)| Some(ResourceId::new(crate::model::Kind::parse(k)?, n))),
                message: format!("policy: {finding}"),
                hint: Some(way_out(finding)),
            }),
            Severity::Warn => plan.notes.push(format!("policy warning: {finding}")),
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_packs_tests_pass() {
        let results = PolicySet::default_pack().run_tests().unwrap();
        assert!(results.len() >= 9, "{results:?}");
        for r in &results {
            assert!(r.passed, "{r:?}");
        }
    }

    #[test]
    fn a_failing_policy_test_is_reported() {
        let mut set = PolicySet::default_pack();
        set.sources.push((
            "mine.rego".into(),
            "package mine\nimport rego.v1\ntest_wrong if { 1 == 2 }\n".into(),
        ));
        let results = set.run_tests().unwrap();
        let mine: Vec<_> = results.iter().filter(|r| r.name.contains("mine")).collect();
        assert_eq!(mine.len(), 1);
        assert!(!mine[0].passed);
    }

    fn stack_with(policy: &str) -> (tempfile::TempDir, Stack) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("stack.yaml"),
            format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: s}}\nspec:\n  region: us-east-1\n{policy}"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("t.yaml"),
            "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n",
        )
        .unwrap();
        let (stack, _) = crate::kinds::load_stack(dir.path())
            .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
        (dir, stack)
    }

    fn empty_plan() -> Plan {
        crate::plan::build_plan(
            "s",
            "us-east-1",
            "1",
            &[],
            &[],
            &[],
            &crate::plan::PlanOptions::default(),
        )
    }

    #[test]
    fn an_exception_turns_its_rules_deny_into_a_note_with_the_reason() {
        let (_dir, stack) = stack_with("");
        let mut plan = empty_plan();
        check_plan(&stack, &mut plan).unwrap();
        assert_eq!(plan.refusals.len(), 1, "{:?}", plan.refusals);
        assert!(plan.refusals[0].message.contains("rule table-pitr"));

        let (_dir, stack) = stack_with(
            "  policy:\n    exceptions:\n      - {rule: table-pitr, resources: [Table/app], reason: sessions only}\n",
        );
        let mut plan = empty_plan();
        let findings = check_plan(&stack, &mut plan).unwrap();
        assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
        assert!(findings.iter().all(|f| !f.denies()));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.starts_with("policy exception: ")
                    && n.ends_with("waived by the stack: sessions only")),
            "{:?}",
            plan.notes
        );

        // An exception for another resource, or another rule, waives nothing.
        for exception in [
            "{rule: table-pitr, resources: [Table/other], reason: r}",
            "{rule: table-on-demand, reason: r}",
        ] {
            let (_dir, stack) = stack_with(&format!(
                "  policy:\n    exceptions:\n      - {exception}\n"
            ));
            let mut plan = empty_plan();
            check_plan(&stack, &mut plan).unwrap();
            assert_eq!(plan.refusals.len(), 1, "{exception}: {:?}", plan.refusals);
        }
    }
}
