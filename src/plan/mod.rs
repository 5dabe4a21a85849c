//! The plan engine: a pure function from (desired, observed) to an ordered [`Plan`].
//!
//! Both sides are expressed as [`Props`]: a flat, canonical map from field path to value, built
//! by `desired` from the spec and by `aws::observe` from AWS's answers. Normalisation (server-side
//! defaults, JSON documents, string-typed numbers, ARNs) happens while building those maps, so the
//! diff here is plain equality and a plan right after an apply is empty by construction.
//! No I/O and no async in this module.

pub mod scope;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{DeletionPolicy, Kind, ResourceId};
use crate::text::hex;

/// A field's value: known, or only known once a dependency has been created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Known(Value),
    Unknown(UnknownMarker),
}

/// Serialised as `{"unknown": "known after apply"}` in JSON plans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownMarker {
    pub unknown: String,
}

impl FieldValue {
    pub fn known(value: impl Into<Value>) -> Self {
        FieldValue::Known(value.into())
    }

    pub fn unknown() -> Self {
        FieldValue::Unknown(UnknownMarker {
            unknown: "known after apply".to_string(),
        })
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, FieldValue::Unknown(_))
    }
}

/// Field path → value. Paths are stable and human-readable: `memorySize`,
/// `environment.TABLE_NAME`, `triggers[order-events].batchSize`, `tags.team`.
pub type Props = BTreeMap<String, FieldValue>;

/// Writing a known value into [`Props`], as both sides build them field by field.
pub trait SetProp {
    /// Set `field` to the known `value`.
    fn set(&mut self, field: impl Into<String>, value: impl Into<Value>);
}

impl SetProp for Props {
    fn set(&mut self, field: impl Into<String>, value: impl Into<Value>) {
        self.insert(field.into(), FieldValue::known(value));
    }
}

/// A resource as the spec wants it.
#[derive(Clone, Debug)]
pub struct DesiredResource {
    pub id: ResourceId,
    pub physical_name: String,
    pub props: Props,
    /// Fields whose values are never shown (they are stored hashed in `props`).
    pub sensitive: BTreeSet<String>,
    pub deletion_policy: DeletionPolicy,
    pub ignore_changes: Vec<String>,
    pub adopt: bool,
}

/// A resource as AWS has it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ObservedResource {
    /// `Kind/name` from the ownership tag, or the desired id it collides with.
    pub id: ResourceId,
    pub physical_name: String,
    pub arn: String,
    pub props: Props,
    /// Carries this stack's ownership tags.
    pub owned: bool,
    /// For queues: messages still held (visible, in flight, delayed). For tables: items, as
    /// DynamoDB's item count reports them (refreshed about every six hours).
    pub messages: Option<u64>,
    /// Other live resources pointing at this one (redrive sources, event source mappings).
    pub referenced_by: Vec<Referrer>,
    /// The deletion policy recorded on the resource itself (its tag), if any.
    #[serde(default)]
    pub deletion_policy: Option<DeletionPolicy>,
}

/// A live resource pointing at another one. Its ARN lets the plan see whether the referrer is
/// deleted by the same plan (then it no longer blocks a `delete-if-empty` deletion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referrer {
    /// The referring resource's ARN (the source queue, the triggered function, unqualified).
    pub arn: String,
    /// For people: `the redrive of orders`, `the trigger of worker`.
    pub what: String,
}

/// What to do with one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Create,
    Update,
    /// Delete and create again, because an immutable field changed.
    Replace,
    Delete,
    /// Leave the resource and remove this stack's ownership tags (`deletionPolicy: retain`).
    Release,
    /// Take an existing untagged resource under management (tags it, then updates it).
    Adopt,
}

impl ActionKind {
    pub fn marker(self) -> &'static str {
        match self {
            ActionKind::Create => "+",
            ActionKind::Update | ActionKind::Adopt => "~",
            ActionKind::Replace => "-/+",
            ActionKind::Delete => "-",
            ActionKind::Release => "~",
        }
    }
}

/// One field's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<FieldValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<FieldValue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
}

/// One resource's action with its field changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAction {
    pub id: ResourceId,
    pub action: ActionKind,
    pub physical_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why a replace, a kept resource or a refusal happens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Something the plan refuses to do; any refusal makes the plan unappliable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<ResourceId>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub release: usize,
    pub adopt: usize,
    pub unchanged: usize,
}

impl Summary {
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.release + self.adopt
    }
}

/// The plan: data that can be rendered, saved, compared and applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Version of this JSON shape (documented in docs/plan-json.md).
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    pub account: String,
    /// Digest of the observed state the plan was made from; `apply PLANFILE` refuses a plan whose
    /// digest no longer matches what AWS holds.
    pub observed_digest: String,
    /// In execution order: creates and updates after their dependencies, deletes before them.
    pub actions: Vec<ResourceAction>,
    pub refusals: Vec<Refusal>,
    pub summary: Summary,
    /// Things the user should know that change nothing (parts of the spec not managed yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The estimated monthly cost before and after the plan (set by the engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostChange>,
    /// Resources left out because AWS did not answer for them (or for what they depend on);
    /// the notes say why. A plan with any is not a statement that AWS matches the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<ResourceId>,
}

/// Monthly cost estimates, in cents so that plans compare exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostChange {
    pub before_cents: i64,
    pub after_cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cents: Option<i64>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.changes() > 0
    }

    /// Whether the plan covers the whole stack: nothing was left out unread.
    pub fn is_complete(&self) -> bool {
        self.left_out.is_empty()
    }
}

/// Choices that change what the plan may do.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Allow deleting everything or more than half of the stack.
    pub allow_mass_delete: bool,
    /// Resources whose replacement the user allowed explicitly (data-bearing kinds).
    pub allow_replace: BTreeSet<ResourceId>,
    /// Destroy: every owned resource leaves, whatever the spec says.
    pub destroy: bool,
    /// The stack's `prune` setting.
    pub prune: bool,
    /// `--target`: only these resources are planned (the caller adds their dependencies, see
    /// [`scope::with_dependencies`]); nothing outside them is created, changed or pruned.
    pub targets: Option<BTreeSet<ResourceId>>,
    /// Each kind's rules (immutable fields, data-bearing, deletion rank).
    pub rules: RulesOf,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            allow_mass_delete: false,
            allow_replace: BTreeSet::new(),
            destroy: false,
            prune: false,
            targets: None,
            rules: plain_rules,
        }
    }
}

impl PlanOptions {
    /// Whether `id` is within the `--target` set (everything is, without one).
    pub fn in_scope(&self, id: &ResourceId) -> bool {
        self.targets.as_ref().is_none_or(|t| t.contains(id))
    }
}

/// What the planner must know of a kind: the rules its module declares (see `crate::kinds`).
/// The plan is handed them through [`PlanOptions::rules`], so that it stays pure and names no kind.
#[derive(Clone, Copy, Debug)]
pub struct KindRules {
    /// Fields whose change cannot be made in place, with the reason shown in the plan.
    pub immutable_fields: &'static [(&'static str, &'static str)],
    /// Whether deleting or replacing it loses data (tables, queues).
    pub data_bearing: bool,
    /// What a data-bearing resource holds, for messages about it (`messages`, `items`).
    pub held_unit: &'static str,
    /// Deletion order between kinds when the spec no longer says who depends on whom: consumers
    /// (higher) before what they consume.
    pub delete_rank: u8,
    /// What a released resource (`deletionPolicy: retain`) goes on doing, from its live props,
    /// for the plan's reason (a log group's events still expire).
    pub released: Option<fn(&Props) -> Option<String>>,
    /// Derived from the stack as a whole (its dashboard), so wanted even when the spec holds
    /// no resource: the mass-deletion guard does not count it as something the spec holds.
    pub stack_wide: bool,
}

impl KindRules {
    /// A kind with no immutable field, holding no data, deleted last.
    pub const PLAIN: KindRules = KindRules {
        immutable_fields: &[],
        data_bearing: false,
        held_unit: "messages",
        delete_rank: 0,
        released: None,
        stack_wide: false,
    };
}

/// The rules of each kind (the registry's `crate::kinds::rules` in the engine).
pub type RulesOf = fn(Kind) -> KindRules;

fn plain_rules(_: Kind) -> KindRules {
    KindRules::PLAIN
}

fn ignored(field: &str, ignore_changes: &[String]) -> bool {
    ignore_changes.iter().any(|prefix| {
        field == prefix
            || field
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// Field-level differences between desired and observed props, honouring `ignoreChanges`.
pub fn diff_props(
    desired: &DesiredResource,
    observed: &Props,
    immutable: &[(&str, &str)],
) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = desired.props.keys().chain(observed.keys()).collect();
    let mut changes = Vec::new();
    for key in keys {
        let after = desired.props.get(key);
        let before = observed.get(key);
        if after == before || ignored(key, &desired.ignore_changes) {
            continue;
        }
        // A field the spec does not mention and AWS reports is left alone only when it is
        // informational; every field both sides produce is compared.
        let forces_replacement = immutable
            .iter()
            .any(|(field, _)| key == field || key.starts_with(&format!("{field}.")));
        changes.push(FieldChange {
            field: key.clone(),
            before: before.cloned(),
            after: after.cloned(),
            sensitive: desired.sensitive.contains(key),
            forces_replacement,
        });
    }
    changes
}

/// Build the plan. `order` is the creation order of the desired resources (dependencies first).
pub fn build_plan(
    stack: &str,
    region: &str,
    account: &str,
    desired: &[DesiredResource],
    observed: &[ObservedResource],
    order: &[ResourceId],
    options: &PlanOptions,
) -> Plan {
    let desired_by_id: BTreeMap<&ResourceId, &DesiredResource> =
        desired.iter().map(|d| (&d.id, d)).collect();
    let observed_by_id: BTreeMap<&ResourceId, &ObservedResource> =
        observed.iter().map(|o| (&o.id, o)).collect();
    let mut summary = Summary::default();
    let mut forward: Vec<ResourceAction> = Vec::new();
    let mut refusals: Vec<Refusal> = Vec::new();

    if !options.destroy {
        for id in order.iter().filter(|id| options.in_scope(id)) {
            let Some(want) = desired_by_id.get(id) else {
                continue;
            };
            match observed_by_id.get(id) {
                None => {
                    summary.create += 1;
                    let mut changes = diff_props(
                        want,
                        &Props::new(),
                        (options.rules)(want.id.kind).immutable_fields,
                    );
                    // Nothing is replaced when nothing exists yet.
                    changes
                        .iter_mut()
                        .for_each(|c| c.forces_replacement = false);
                    forward.push(ResourceAction {
                        id: want.id.clone(),
                        action: ActionKind::Create,
                        physical_name: want.physical_name.clone(),
                        changes,
                        reasons: Vec::new(),
                    });
                }
                Some(have) if !have.owned => {
                    if want.adopt {
                        summary.adopt += 1;
                        forward.push(ResourceAction {
                            id: want.id.clone(),
                            action: ActionKind::Adopt,
                            physical_name: want.physical_name.clone(),
                            changes: diff_props(
                                want,
                                &have.props,
                                (options.rules)(want.id.kind).immutable_fields,
                            ),
                            reasons: vec!["adopted: slsctl.dev/adopt is set".to_string()],
                        });
                    } else {
                        refusals.push(Refusal {
                            id: Some(want.id.clone()),
                            message: format!(
                                "a {} named `{}` already exists and does not belong to this stack",
                                want.id.kind, want.physical_name
                            ),
                            hint: Some(
                                "rename the resource, or adopt it: spec.physicalName plus metadata.annotations: {slsctl.dev/adopt: \"true\"}"
                                    .to_string(),
                            ),
                        });
                    }
                }
                Some(have) => {
                    let mut changes = diff_props(
                        want,
                        &have.props,
                        (options.rules)(want.id.kind).immutable_fields,
                    );
                    let renamed = have.physical_name != want.physical_name;
                    if renamed {
                        changes.insert(
                            0,
                            FieldChange {
                                field: "physicalName".to_string(),
                                before: Some(FieldValue::known(have.physical_name.clone())),
                                after: Some(FieldValue::known(want.physical_name.clone())),
                                sensitive: false,
                                forces_replacement: true,
                            },
                        );
                    }
                    if changes.is_empty() {
                        summary.unchanged += 1;
                        continue;
                    }
                    let mut reasons: Vec<String> = Vec::new();
                    if renamed {
                        reasons.push("physicalName: AWS cannot rename this resource".to_string());
                    }
                    for (field, why) in (options.rules)(want.id.kind).immutable_fields {
                        if changes.iter().any(|c| {
                            c.forces_replacement
                                && (c.field == *field || c.field.starts_with(&format!("{field}.")))
                        }) {
                            reasons.push(format!("{field}: {why}"));
                        }
                    }
                    if reasons.is_empty() {
                        summary.update += 1;
                        forward.push(ResourceAction {
                            id: want.id.clone(),
                            action: ActionKind::Update,
                            physical_name: want.physical_name.clone(),
                            changes,
                            reasons,
                        });
                    } else {
                        if (options.rules)(want.id.kind).data_bearing
                            && !options.allow_replace.contains(&want.id)
                        {
                            refusals.push(Refusal {
                                id: Some(want.id.clone()),
                                message: format!(
                                    "{} must be replaced ({}), which deletes its data",
                                    want.id,
                                    reasons.join("; ")
                                ),
                                hint: Some(format!(
                                    "allow it explicitly with --allow-replace {}",
                                    want.id
                                )),
                            });
                        }
                        summary.replace += 1;
                        forward.push(ResourceAction {
                            id: want.id.clone(),
                            action: ActionKind::Replace,
                            physical_name: want.physical_name.clone(),
                            changes,
                            reasons,
                        });
                    }
                }
            }
        }
    }

    // Owned resources that left the spec (or everything, for destroy): deleted in reverse
    // dependency order, by their deletion policy.
    let mut backward: Vec<ResourceAction> = Vec::new();
    let leaving: Vec<&ObservedResource> = observed
        .iter()
        .filter(|o| o.owned && (options.destroy || !desired_by_id.contains_key(&o.id)))
        .filter(|o| options.in_scope(&o.id))
        .collect();
    if !leaving.is_empty() && !options.prune && !options.destroy {
        // prune: false keeps them, and says so.
    } else {
        // First each resource's own verdict; then `delete-if-empty` looks at what points at it.
        let mut candidates: Vec<(&ObservedResource, DeletionPolicy)> = Vec::new();
        for have in &leaving {
            // The spec's policy while the resource is in it (destroy); otherwise the policy the
            // resource carries, so that `retain` outlives the document that said it.
            let policy = desired_by_id
                .get(&have.id)
                .map(|d| d.deletion_policy)
                .or(have.deletion_policy)
                .unwrap_or_else(|| have.id.kind.default_deletion_policy());
            if policy == DeletionPolicy::Retain {
                summary.release += 1;
                let mut reason =
                    "deletionPolicy retain: the resource stays, without this stack's tags"
                        .to_string();
                if let Some(goes_on) = (options.rules)(have.id.kind)
                    .released
                    .and_then(|released| released(&have.props))
                {
                    reason.push_str(&format!("; {goes_on}"));
                }
                backward.push(ResourceAction {
                    id: have.id.clone(),
                    action: ActionKind::Release,
                    physical_name: have.physical_name.clone(),
                    changes: Vec::new(),
                    reasons: vec![reason],
                });
                continue;
            }
            // A table's deletion protection is AWS's own guard: slsctl asks for it to be
            // switched off in the spec (an applied change of its own) rather than switching it
            // off on the way to a delete.
            let protected = matches!(
                have.props.get("deletionProtection"),
                Some(FieldValue::Known(serde_json::Value::Bool(true)))
            );
            if protected {
                refusals.push(Refusal {
                    id: Some(have.id.clone()),
                    message: format!(
                        "{} is not deleted: its deletion protection is on",
                        have.id
                    ),
                    hint: Some(
                        "to delete it, first apply `deletionProtection: false` for it, then remove it from the spec"
                            .to_string(),
                    ),
                });
                continue;
            }
            candidates.push((have, policy));
        }
        let holding = |have: &ObservedResource, policy: DeletionPolicy| {
            have.messages
                .filter(|n| *n > 0 && policy == DeletionPolicy::DeleteIfEmpty)
        };
        let deleted = settle_deletions(&candidates, holding);
        for (have, policy) in &candidates {
            if deleted.contains(have.arn.as_str()) {
                summary.delete += 1;
                // Data deleted by an explicit `deletionPolicy: delete` is still named.
                let reasons = match have.messages.filter(|n| *n > 0) {
                    Some(n) => vec![format!(
                        "deletionPolicy delete: its {n} {} are deleted with it",
                        (options.rules)(have.id.kind).held_unit
                    )],
                    None => Vec::new(),
                };
                backward.push(ResourceAction {
                    id: have.id.clone(),
                    action: ActionKind::Delete,
                    physical_name: have.physical_name.clone(),
                    changes: Vec::new(),
                    reasons,
                });
            } else {
                refusals.push(kept_refusal(
                    have,
                    (options.rules)(have.id.kind).held_unit,
                    holding(have, *policy),
                    &candidates,
                    &deleted,
                ));
            }
        }
    }
    // Deletes run dependents first: reverse of the creation order, unknown ids last; and a
    // resource's live referrers (a redrive source, a triggered function) always before it.
    let position: BTreeMap<&ResourceId, usize> =
        order.iter().enumerate().map(|(i, id)| (id, i)).collect();
    backward.sort_by(|a, b| {
        let pa = position.get(&a.id).copied();
        let pb = position.get(&b.id).copied();
        pb.cmp(&pa)
            .then_with(|| {
                (options.rules)(b.id.kind)
                    .delete_rank
                    .cmp(&(options.rules)(a.id.kind).delete_rank)
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    let backward = referrers_first(backward, &leaving);

    // The mass-deletion guard: an empty spec, or more than half of what the stack owns. It is
    // about resources leaving (the signature of an empty or broken source); replacements come
    // back, and data-bearing ones have their own guard above.
    let owned = observed.iter().filter(|o| o.owned).count();
    let deleting = backward
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .count();
    let spec_holds_nothing = desired
        .iter()
        .all(|d| (options.rules)(d.id.kind).stack_wide);
    if !options.allow_mass_delete && deleting > 0 && (spec_holds_nothing || deleting * 2 > owned) {
        refusals.push(Refusal {
            id: None,
            message: if spec_holds_nothing && !options.destroy {
                format!("the spec holds no resources, so the plan would delete all {deleting} resources of the stack")
            } else {
                format!("the plan deletes {deleting} of the stack's {owned} resources, more than half")
            },
            hint: Some("if that is intended, run again with --allow-mass-delete".to_string()),
        });
    }

    let mut actions = backward;
    actions.extend(forward);
    let observed_digest = digest_observed(observed);
    Plan {
        format_version: 1,
        stack: stack.to_string(),
        region: region.to_string(),
        account: account.to_string(),
        observed_digest,
        actions,
        refusals,
        summary,
        notes: Vec::new(),
        cost: None,
        left_out: Vec::new(),
    }
}

/// The ARNs of the candidates that can be deleted. A candidate holding data under
/// `delete-if-empty` stays; so does one that something staying still points at. Referrers
/// deleted by the same plan do not count (they go first), so a queue, its dead-letter queue and
/// the function it triggers all leave in one run; the rule is applied until nothing changes, as
/// a kept queue keeps its dead-letter queue in turn.
fn settle_deletions<'a>(
    candidates: &[(&'a ObservedResource, DeletionPolicy)],
    holding: impl Fn(&ObservedResource, DeletionPolicy) -> Option<u64>,
) -> BTreeSet<&'a str> {
    let mut deleted: BTreeSet<&str> = candidates
        .iter()
        .filter(|(have, policy)| holding(have, *policy).is_none())
        .map(|(have, _)| have.arn.as_str())
        .collect();
    loop {
        let blocked: Vec<&str> = candidates
            .iter()
            .filter(|(have, policy)| {
                *policy == DeletionPolicy::DeleteIfEmpty
                    && deleted.contains(have.arn.as_str())
                    && have
                        .referenced_by
                        .iter()
                        .any(|r| !deleted.contains(r.arn.as_str()))
            })
            .map(|(have, _)| have.arn.as_str())
            .collect();
        if blocked.is_empty() {
            return deleted;
        }
        for arn in blocked {
            deleted.remove(arn);
        }
    }
}

/// Why a `delete-if-empty` resource stays, with the hint that fits the reason: drain it when it
/// holds data; otherwise deal with what points at it.
fn kept_refusal(
    have: &ObservedResource,
    held_unit: &str,
    held: Option<u64>,
    candidates: &[(&ObservedResource, DeletionPolicy)],
    deleted: &BTreeSet<&str>,
) -> Refusal {
    let mut kept: Vec<String> = Vec::new();
    if let Some(n) = held {
        kept.push(format!("it holds {n} {held_unit}"));
    }
    let blocking: Vec<&Referrer> = have
        .referenced_by
        .iter()
        .filter(|r| !deleted.contains(r.arn.as_str()))
        .collect();
    // Referrers this plan meant to delete but keeps, named so that the chain shows.
    let kept_with: Vec<&ResourceId> = blocking
        .iter()
        .filter_map(|r| {
            candidates
                .iter()
                .find(|(o, _)| o.arn == r.arn)
                .map(|(o, _)| &o.id)
        })
        .collect();
    if !blocking.is_empty() {
        let what: Vec<&str> = blocking.iter().map(|r| r.what.as_str()).collect();
        let verb = if what.len() == 1 { "points" } else { "point" };
        let mut reason = format!("{} still {verb} at it", what.join(", "));
        if !kept_with.is_empty() {
            let ids: Vec<String> = kept_with.iter().map(|id| id.to_string()).collect();
            reason.push_str(&format!(" ({} not deleted)", ids.join(", ")));
        }
        kept.push(reason);
    }
    let hint = if held.is_some() {
        "drain it first, or set deletionPolicy: delete to delete it anyway".to_string()
    } else if kept_with.len() == blocking.len() {
        "it is deleted once what points at it can be deleted; or set deletionPolicy: delete to delete it anyway"
            .to_string()
    } else {
        "remove what points at it first (the redrive policy or the trigger), or set deletionPolicy: delete to delete it anyway"
            .to_string()
    };
    Refusal {
        id: Some(have.id.clone()),
        message: format!("{} is not deleted: {}", have.id, kept.join("; ")),
        hint: Some(hint),
    }
}

/// Reorder the deletions so that each resource's live referrers in the plan come before it
/// (a triggered function before its queue, a redrive source before its dead-letter queue),
/// keeping the given order otherwise. A cycle (queues that redrive into each other) keeps it too.
fn referrers_first(
    mut pending: Vec<ResourceAction>,
    leaving: &[&ObservedResource],
) -> Vec<ResourceAction> {
    let arn_of = |id: &ResourceId| leaving.iter().find(|o| &o.id == id).map(|o| o.arn.as_str());
    let waits_for = |action: &ResourceAction, other: &ResourceAction| {
        let (Some(have), Some(other_arn)) = (
            leaving.iter().find(|o| o.id == action.id),
            arn_of(&other.id),
        ) else {
            return false;
        };
        other.id != action.id && have.referenced_by.iter().any(|r| r.arn == other_arn)
    };
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let next = (0..pending.len())
            .find(|&i| !pending.iter().any(|other| waits_for(&pending[i], other)))
            .unwrap_or(0);
        ordered.push(pending.remove(next));
    }
    ordered
}

/// A digest of everything observed, to detect that AWS changed between plan and apply.
pub fn digest_observed(observed: &[ObservedResource]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&ObservedResource> = observed.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.arn.cmp(&b.arn)));
    let mut hasher = Sha256::new();
    for o in sorted {
        hasher.update(o.id.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(o.arn.as_bytes());
        hasher.update([u8::from(o.owned)]);
        // Message counts are left out: they move all the time, and deletion re-checks them anyway.
        hasher.update(serde_json::to_vec(&o.props).unwrap_or_default());
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests;
