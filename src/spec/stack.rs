//! The Stack document: the stack's name, region, defaults, policy and budget.

use std::path::Path;

use super::load::Loaded;
use super::validate::within;
use super::validate::*;
use super::wire::*;
use crate::model::*;

impl Validator<'_> {
    pub(crate) fn stack(&mut self, doc: &Loaded<StackSpecWire>, root: &Path) -> Stack {
        let ctx = Ctx {
            id: format!("Stack/{}", doc.document.metadata.name),
            map: &doc.source_map,
        };
        let spec = &doc.document.spec;
        if let Some(region) = &spec.region {
            if !valid_region(region) {
                self.diagnostics.push(
                    ctx.error(
                        "spec.region",
                        format!("`{region}` is not an AWS region name"),
                    )
                    .hint("regions look like `us-east-1` or `eu-central-1`"),
                );
            }
        }
        if let Some(account) = &spec.account_id {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                self.diagnostics.push(
                    ctx.error(
                        "spec.accountId",
                        format!("`{account}` is not a 12-digit AWS account id"),
                    )
                    .hint("quote it so that leading zeros survive: accountId: \"012345678901\""),
                );
            }
        }
        self.tags(&ctx, &spec.tags);
        if let Some(budget) = &spec.budget {
            if !(budget.monthly_usd.is_finite() && budget.monthly_usd > 0.0) {
                self.diagnostics.push(ctx.error(
                    "spec.budget.monthlyUSD",
                    "the monthly budget must be a positive amount",
                ));
            }
        }
        let exceptions = spec
            .policy
            .as_ref()
            .map(|p| self.policy_exceptions(&ctx, &p.exceptions))
            .unwrap_or_default();
        if let Some(defaults) = spec.defaults.as_ref().and_then(|d| d.function.as_ref()) {
            self.int(
                &ctx,
                "spec.defaults.function.memorySize",
                defaults.memory_size,
                LAMBDA_MEMORY_SIZE,
            );
            self.int(
                &ctx,
                "spec.defaults.function.timeout",
                defaults.timeout,
                LAMBDA_TIMEOUT,
            );
            self.int(
                &ctx,
                "spec.defaults.function.ephemeralStorage",
                defaults.ephemeral_storage,
                LAMBDA_EPHEMERAL_STORAGE,
            );
            if let Some(runtime) = &defaults.runtime {
                self.runtime(&ctx, "spec.defaults.function.runtime", runtime);
            }
            self.log_retention(
                &ctx,
                "spec.defaults.function.logRetentionDays",
                defaults.log_retention_days,
                None,
            );
        }
        if let Some(boundary) = &spec.permissions_boundary {
            if !crate::model::arn::is_policy_arn(boundary) {
                self.diagnostics.push(
                    ctx.error(
                        "spec.permissionsBoundary",
                        format!("`{boundary}` is not a managed policy ARN"),
                    )
                    .hint("arn:aws:iam::ACCOUNT:policy/NAME, the policy that bounds every role slsctl creates"),
                );
            }
        }
        let observability = spec
            .observability
            .as_ref()
            .map(|o| {
                for (i, arn) in o.alarm_actions.iter().enumerate() {
                    let parts: Vec<&str> = arn.splitn(6, ':').collect();
                    if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() {
                        self.diagnostics.push(
                            ctx.error(
                                &format!("spec.observability.alarmActions[{i}]"),
                                format!("`{arn}` is not an ARN"),
                            )
                            .hint("an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME, or another alarm action"),
                        );
                    }
                }
                let mut alarms = std::collections::BTreeMap::new();
                for (kind_name, written) in &o.alarms {
                    let field = format!("spec.observability.alarms.{kind_name}");
                    let watched = Kind::parse(kind_name)
                        .filter(|k| !crate::model::checks_of(*k).is_empty());
                    let Some(kind) = watched else {
                        let kinds = ["Function", "Queue", "Api", "Table", "Rule"];
                        self.diagnostics.push(
                            ctx.key_error(&field, format!("`{kind_name}` is not a kind slsctl watches with alarms"))
                                .hint(format!("one of {}", kinds.join(", "))),
                        );
                        continue;
                    };
                    alarms.insert(
                        kind,
                        super::alarms::overrides(self, &ctx, &field, kind, written),
                    );
                }
                Observability {
                    alarms,
                    alarm_actions: o.alarm_actions.clone(),
                    dashboard: o.dashboard.unwrap_or(true),
                    tracing: o.tracing.unwrap_or(false),
                }
            })
            .unwrap_or_default();
        let keep_versions = self.int(
            &ctx,
            "spec.keepVersions",
            spec.keep_versions,
            within(3, 1, 100, ""),
        );
        Stack {
            name: doc.document.metadata.name.clone(),
            root: root.to_path_buf(),
            keep_versions,
            permissions_boundary: spec.permissions_boundary.clone(),
            observability,
            region: spec.region.clone(),
            account_id: spec.account_id.clone(),
            tags: spec.tags.clone(),
            prune: spec.prune.unwrap_or(true),
            drift: match spec.drift {
                Some(DriftWire::Report) => DriftMode::Report,
                _ => DriftMode::Heal,
            },
            budget_monthly_usd: spec.budget.as_ref().map(|b| b.monthly_usd),
            policy: spec
                .policy
                .as_ref()
                .map(|p| PolicyConfig {
                    required_tags: p.required_tags.clone(),
                    memory_mb: p
                        .memory_mb
                        .as_ref()
                        .map(|m| MemoryRange {
                            min: m.min,
                            max: m.max,
                        })
                        .unwrap_or(PolicyConfig::default().memory_mb),
                    exceptions,
                })
                .unwrap_or_default(),
            resources: Vec::new(),
            origin: ctx.at("metadata.name"),
        }
    }

    /// Opt-outs of policy rules: a rule id, a reason (required: it is what the plan shows), and
    /// the resources they cover as `Kind/name`.
    fn policy_exceptions(
        &mut self,
        ctx: &Ctx,
        exceptions: &[crate::spec::wire::PolicyExceptionWire],
    ) -> Vec<crate::model::PolicyException> {
        let mut out = Vec::new();
        for (i, e) in exceptions.iter().enumerate() {
            let field = format!("spec.policy.exceptions[{i}]");
            if e.rule.is_empty()
                || !e
                    .rule
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            {
                self.diagnostics.push(
                    ctx.error(&format!("{field}.rule"), format!("`{}` is not a rule id", e.rule))
                        .hint("the rule ids of the default pack are listed in docs/spec.md, e.g. table-pitr"),
                );
            }
            if e.reason.trim().is_empty() {
                self.diagnostics.push(
                    ctx.error(&format!("{field}.reason"), "an exception needs a reason")
                        .hint(
                            "say why the rule does not apply here; validate and every plan show it",
                        ),
                );
            }
            for (j, resource) in e.resources.iter().enumerate() {
                let valid = resource
                    .split_once('/')
                    .is_some_and(|(kind, name)| Kind::parse(kind).is_some() && !name.is_empty());
                if !valid {
                    self.diagnostics.push(
                        ctx.error(
                            &format!("{field}.resources[{j}]"),
                            format!("`{resource}` is not a resource id"),
                        )
                        .hint("resources are named Kind/name, e.g. Table/audit"),
                    );
                }
            }
            out.push(crate::model::PolicyException {
                rule: e.rule.clone(),
                resources: e.resources.clone(),
                reason: e.reason.trim().to_string(),
            });
        }
        out
    }
}
