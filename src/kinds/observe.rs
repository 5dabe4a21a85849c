//! The observation driver: one stack-wide tagging query finds everything the stack owns (100 per
//! page), then every kind reads its own resources (its `observe.rs`), all kinds concurrently.
//! What one kind finds pointing at another's resource (a redrive, a trigger) is attached to the
//! resource with that ARN once every kind is read.

use crate::plan::SetProp;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;
use tokio::task::{JoinError, JoinSet};

use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::context::listed_tags;
use crate::kinds::desired::{TAG_DELETION_POLICY, TAG_RESOURCE, TAG_STACK};
use crate::kinds::function::mappings::LiveMapping;
use crate::kinds::BoxFuture;
use crate::model::DeletionPolicy;
use crate::model::{Kind, ResourceId};
use crate::plan::{DesiredResource, FieldValue, ObservedResource, Props, Referrer};

/// Everything observed, plus what apply needs to address the live resources.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub account: String,
    /// The credentials' partition (`aws`, `aws-cn`, `aws-us-gov`), for the ARNs slsctl builds.
    pub partition: String,
    pub resources: Vec<ObservedResource>,
    pub queue_urls: BTreeMap<ResourceId, String>,
    pub function_arns: BTreeMap<ResourceId, String>,
    /// Event source mappings per function, by the queue name they read.
    pub mappings: BTreeMap<ResourceId, BTreeMap<String, LiveMapping>>,
    /// The id of each owned REST API.
    pub api_ids: BTreeMap<ResourceId, String>,
    /// Each owned REST API's resources, by path.
    pub api_resources: BTreeMap<ResourceId, BTreeMap<String, String>>,
    /// Resources whose reads still failed after their retries, with why: the plan leaves them
    /// and what depends on them out (never creating or pruning what could not be read).
    pub unreadable: BTreeMap<ResourceId, String>,
    /// Latest version ARN per owned layer.
    pub layer_versions: BTreeMap<ResourceId, String>,
}

/// What the driver needs of a kind to observe it.
pub(crate) struct Observer {
    /// The resource types (`lambda:function`, `sqs`...) under which the one stack-wide
    /// `tagging:GetResources` query finds this kind; none for a kind found by a listing of its
    /// own (REST APIs come with their tags, layers carry ownership in their descriptions).
    pub tagged_types: &'static [&'static str],
    /// Read this kind's live resources into the context: those the tagging query found
    /// (`ctx.tagged`) and those the spec wants under names the stack does not own.
    pub observe: for<'a> fn(&'a ObserveCtx) -> BoxFuture<'a, Result<(), AwsError>>,
}

/// One resource the tagging query found, handed to the kind its `slsctl:resource` tag names.
#[derive(Clone, Debug)]
pub(crate) struct Tagged {
    pub id: ResourceId,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
}

/// What one kind's observation is handed: the read clients, the stack, what the spec wants, what
/// the tagging query found of the kind, and where its findings go.
pub(crate) struct ObserveCtx {
    pub clients: Clients,
    pub stack_name: String,
    /// Every resource the spec wants, of every kind (a kind may read another's wishes: an API
    /// reads the permissions its routes' functions hold for it).
    pub desired: Arc<[DesiredResource]>,
    pub kind: Kind,
    /// This kind's resources in the tagging query, as tagged: each kind checks the ARN's shape.
    pub tagged: Vec<Tagged>,
    /// What the tagging query found of every kind, for a kind whose resources live on another
    /// kind's (a metric filter on its log group).
    all_tagged: Arc<BTreeMap<Kind, Vec<Tagged>>>,
    found: Arc<Mutex<Found>>,
}

/// What the kinds found so far.
#[derive(Default)]
struct Found {
    observed: Observed,
    /// The ARN a live resource points at, and what points at it.
    referrers: Vec<(String, Referrer)>,
}

impl ObserveCtx {
    /// The resources of this kind that the spec wants.
    pub fn wanted(&self) -> impl Iterator<Item = &DesiredResource> {
        let kind = self.kind;
        self.desired.iter().filter(move |d| d.id.kind == kind)
    }

    /// An ARN-shaped name in this account and region (`arn:<partition>:<service>:<region>:
    /// <account>:<resource>`), for a resource AWS gives no ARN of its own.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        let found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            found.observed.partition, self.clients.region, found.observed.account
        )
    }

    /// What the tagging query found of `kind`.
    pub fn tagged_of(&self, kind: Kind) -> &[Tagged] {
        self.all_tagged.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// A live resource found.
    pub fn add(&self, resource: ObservedResource) {
        self.record(|observed| observed.resources.push(resource));
    }

    /// A live resource read from its service, whose ownership and deletion policy are in its
    /// `tags.*` props.
    pub fn add_read(
        &self,
        id: ResourceId,
        physical_name: String,
        arn: String,
        props: Props,
        messages: Option<u64>,
    ) {
        let owned = owned_by_tags(&props, &self.stack_name, &id);
        let deletion_policy = tag_policy(&props);
        self.add(ObservedResource {
            id,
            physical_name,
            arn,
            props,
            owned,
            messages,
            referenced_by: Vec::new(),
            deletion_policy,
        });
    }

    /// Record what apply needs to address a live resource (its URL, its API id...).
    pub fn record(&self, update: impl FnOnce(&mut Observed)) {
        update(
            &mut self
                .found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .observed,
        );
    }

    /// `referrer` points at the live resource whose ARN is `target`, of whatever kind.
    pub fn refer(&self, target: String, referrer: Referrer) {
        self.found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .referrers
            .push((target, referrer));
    }

    /// Whether the tags the tagging API reports are the ones the spec wants. The Resource Groups
    /// Tagging API lags behind tag changes, so right after an apply it can still show the old
    /// tags; when they differ from the spec's, the service's own tag call (always current) is
    /// asked before a difference is planned. In the steady state they agree, and that call is
    /// saved.
    pub fn tags_as_wanted(&self, tagged: &Tagged) -> bool {
        let Some(want) = self.desired.iter().find(|d| d.id == tagged.id) else {
            return true;
        };
        let wanted: BTreeMap<&str, &FieldValue> = want
            .props
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("tags.")?, v)))
            .collect();
        let live: BTreeMap<&str, FieldValue> = tagged
            .tags
            .iter()
            .filter(|(k, _)| !k.starts_with("aws:"))
            .map(|(k, v)| (k.as_str(), FieldValue::known(v.clone())))
            .collect();
        wanted.len() == live.len()
            && wanted
                .iter()
                .all(|(k, v)| live.get(k).is_some_and(|l| l == *v))
    }

    /// Read the kind's resources one by one, concurrently (the limiters pace the calls): first
    /// those the tagging query found whose ARN has the kind's shape (`read_tagged`), then the names the spec wants that were not
    /// read that way (`read_by_name`): a foreign resource there is a collision (or an adoption),
    /// never something to overwrite. Each read answers for its resource alone: one that still
    /// fails after its retries leaves that resource unreadable (see `Observed::unreadable`), not
    /// the whole observation.
    pub async fn read_each<T, Tf, Nf>(
        &self,
        arn_of_kind: impl Fn(&str) -> bool,
        read_tagged: impl Fn(Clients, Tagged) -> Tf,
        read_by_name: impl Fn(Clients, DesiredResource) -> Nf,
    ) -> Result<Vec<(ResourceId, T)>, AwsError>
    where
        T: Send + 'static,
        Tf: Future<Output = Result<Option<T>, AwsError>> + Send + 'static,
        Nf: Future<Output = Result<Option<T>, AwsError>> + Send + 'static,
    {
        let mut tasks = JoinSet::new();
        for tagged in self.tagged.iter().filter(|t| arn_of_kind(&t.arn)) {
            let (id, tagged) = (tagged.id.clone(), tagged.clone());
            let read = read_tagged(self.clients.clone(), tagged);
            tasks.spawn(async move { (id, read.await) });
        }
        let mut found = self.join_reads(&mut tasks).await?;
        let read: BTreeSet<ResourceId> = found.iter().map(|(id, _)| id.clone()).collect();
        for want in self.wanted().filter(|d| !read.contains(&d.id)) {
            let id = want.id.clone();
            let read = read_by_name(self.clients.clone(), want.clone());
            tasks.spawn(async move { (id, read.await) });
        }
        found.extend(self.join_reads(&mut tasks).await?);
        Ok(found)
    }

    async fn join_reads<T: 'static>(
        &self,
        tasks: &mut JoinSet<(ResourceId, Result<Option<T>, AwsError>)>,
    ) -> Result<Vec<(ResourceId, T)>, AwsError> {
        let mut found = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (id, read) = joined.map_err(join_error)?;
            if let Some(live) = self.unreadable_if_transient(&id, read)? {
                found.push((id, live));
            }
        }
        Ok(found)
    }

    /// A read that failed after its retries for a reason that may pass (throttling, a lost
    /// answer, a 5xx) makes its resource unreadable for this plan; access denied or a bad request
    /// still ends the observation, since every other read would fail the same way.
    pub(crate) fn unreadable_if_transient<T>(
        &self,
        id: &ResourceId,
        read: Result<Option<T>, AwsError>,
    ) -> Result<Option<T>, AwsError> {
        match read {
            Ok(live) => {
                if live.is_some() {
                    self.record(|observed| {
                        observed.unreadable.remove(id);
                    });
                }
                Ok(live)
            }
            Err(error) if error.kind.is_transient() => {
                self.record(|observed| {
                    observed.unreadable.insert(id.clone(), error.to_string());
                });
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }
}

/// A task of the observation that panicked or was cancelled.
pub(crate) fn join_error(error: JoinError) -> AwsError {
    AwsError::new("observe", ErrorKind::Other, error.to_string())
}

pub(crate) fn parse_id(text: &str) -> Option<ResourceId> {
    let (kind, name) = text.split_once('/')?;
    Some(ResourceId::new(Kind::parse(kind)?, name))
}

/// Observe the stack `stack_name` as `identity` (the credentials' own, checked by the caller);
/// `desired` names the resources the spec wants.
///
/// Only reads: they are retried harder than writes (`Clients::for_reads`), and an error that
/// outlasted those retries says how many attempts it took.
pub async fn observe(
    clients: &Clients,
    identity: crate::aws::Identity,
    stack_name: &str,
    desired: &[DesiredResource],
) -> Result<Observed, AwsError> {
    let reads = clients.for_reads();
    observe_with(&reads, identity, stack_name, desired)
        .await
        .map_err(|error| AwsError {
            attempts: error.attempts.or_else(|| {
                (error.kind.is_transient() && error.kind != ErrorKind::Conflict)
                    .then(|| reads.read_attempts())
            }),
            ..error
        })
}

async fn observe_with(
    clients: &Clients,
    identity: crate::aws::Identity,
    stack_name: &str,
    desired: &[DesiredResource],
) -> Result<Observed, AwsError> {
    let mut tagged = tagged_resources(clients, stack_name).await?;
    let all_tagged = Arc::new(tagged.clone());
    let found = Arc::new(Mutex::new(Found {
        observed: Observed {
            account: identity.account,
            partition: identity.partition,
            ..Observed::default()
        },
        referrers: Vec::new(),
    }));
    let desired: Arc<[DesiredResource]> = desired.into();
    let mut reads = JoinSet::new();
    for &kind in super::REGISTRY {
        let ctx = ObserveCtx {
            clients: clients.clone(),
            stack_name: stack_name.to_string(),
            desired: desired.clone(),
            kind: kind.kind(),
            tagged: tagged.remove(&kind.kind()).unwrap_or_default(),
            all_tagged: all_tagged.clone(),
            found: found.clone(),
        };
        reads.spawn(async move { (kind.observer().observe)(&ctx).await });
    }
    while let Some(joined) = reads.join_next().await {
        joined.map_err(join_error)??;
    }

    let Found {
        mut observed,
        referrers,
    } = std::mem::take(&mut *found.lock().unwrap_or_else(|e| e.into_inner()));
    attach_referrers(&mut observed.resources, referrers);
    observed.resources.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(observed)
}

/// Attach what points at a live resource (reported by whichever kind found the referrer) to the
/// resources with that ARN.
fn attach_referrers(resources: &mut [ObservedResource], referrers: Vec<(String, Referrer)>) {
    let mut by_target: BTreeMap<String, Vec<Referrer>> = BTreeMap::new();
    for (target, referrer) in referrers {
        by_target.entry(target).or_default().push(referrer);
    }
    for resource in resources {
        if let Some(referrers) = by_target.get(&resource.arn) {
            resource.referenced_by.extend(referrers.iter().cloned());
            // Kinds report concurrently: sorted, the list (and the message naming it) is the
            // same every time.
            resource.referenced_by.sort_by(|a, b| a.what.cmp(&b.what));
        }
    }
}

/// Every resource carrying the tag `key=value` (of those types, when given), 100 a page: the
/// one tagging query, for observation (the stack's tag) and for `import live` (the user's).
pub(crate) async fn resources_tagged(
    clients: &Clients,
    key: &str,
    value: &str,
    types: Option<Vec<String>>,
) -> Result<Vec<aws_sdk_resourcegroupstagging::types::ResourceTagMapping>, AwsError> {
    // A pagination token is good for 15 minutes, and a page whose answer was lost may have used
    // it up (moto's are good once): the listing then starts again from its first page.
    const LISTINGS: u32 = 3;
    let mut listing = 1;
    loop {
        let pages = all_items!(clients
            .tagging
            .get_resources()
            .tag_filters(TagFilter::builder().key(key).values(value).build())
            .set_resource_type_filters(types.clone())
            .resources_per_page(100));
        match pages {
            Err(error)
                if error.code.as_deref() == Some("PaginationTokenExpiredException")
                    && listing < LISTINGS =>
            {
                listing += 1;
            }
            pages => return pages,
        }
    }
}

/// Everything tagged with this stack, of the resource types the kinds ask for, 100 per page,
/// by the kind its `slsctl:resource` tag names.
async fn tagged_resources(
    clients: &Clients,
    stack_name: &str,
) -> Result<BTreeMap<Kind, Vec<Tagged>>, AwsError> {
    let types: Vec<String> = super::REGISTRY
        .iter()
        .flat_map(|kind| kind.observer().tagged_types)
        .map(|t| t.to_string())
        .collect();
    let mappings = resources_tagged(clients, TAG_STACK, stack_name, Some(types)).await?;
    let mut by_kind: BTreeMap<Kind, Vec<Tagged>> = BTreeMap::new();
    for mapping in mappings {
        let Some(arn) = mapping.resource_arn() else {
            continue;
        };
        let tags = listed_tags(mapping.tags());
        let Some(id) = tags.get(TAG_RESOURCE).and_then(|t| parse_id(t)) else {
            continue;
        };
        by_kind.entry(id.kind).or_default().push(Tagged {
            id,
            arn: arn.to_string(),
            tags,
        });
    }
    Ok(by_kind)
}

/// Whether `tags.*` props carry this stack's ownership tags for `id`.
fn owned_by_tags(props: &Props, stack: &str, id: &ResourceId) -> bool {
    matches!(props.get(&format!("tags.{TAG_STACK}")), Some(FieldValue::Known(v)) if v == stack)
        && matches!(props.get(&format!("tags.{TAG_RESOURCE}")), Some(FieldValue::Known(v)) if *v == id.to_string())
}

/// Record `tags` in `props` as the `tags.<key>` fields the desired props name them by (for
/// services whose describe call does not return a resource's tags).
pub(crate) fn insert_tags(props: &mut Props, tags: BTreeMap<String, String>) {
    for (key, value) in tags {
        props.set(format!("tags.{key}"), value);
    }
}

/// The deletion policy a resource carries in its tags.
pub(crate) fn tag_policy(props: &Props) -> Option<DeletionPolicy> {
    match props.get(&format!("tags.{TAG_DELETION_POLICY}")) {
        Some(FieldValue::Known(serde_json::Value::String(p))) => DeletionPolicy::parse(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str) -> ObservedResource {
        ObservedResource {
            id: ResourceId::new(Kind::Queue, name),
            physical_name: name.to_string(),
            arn: format!("arn:aws:sqs:eu-west-1:123456789012:{name}"),
            props: Props::new(),
            owned: true,
            messages: Some(0),
            referenced_by: Vec::new(),
            deletion_policy: None,
        }
    }

    fn pointing(target: &ObservedResource, what: &str, arn: &str) -> (String, Referrer) {
        let referrer = Referrer {
            what: what.to_string(),
            arn: arn.to_string(),
        };
        (target.arn.clone(), referrer)
    }

    #[test]
    fn referrers_of_every_kind_reach_their_target_in_the_same_order_whoever_reported_first() {
        let (dlq, jobs) = (queue("dlq"), queue("jobs"));
        let reported = vec![
            pointing(
                &dlq,
                "the trigger of worker",
                "arn:aws:lambda:eu-west-1:1:function:w",
            ),
            pointing(&dlq, "the redrive of jobs", &jobs.arn),
            pointing(
                &dlq,
                "the redrive of audit",
                "arn:aws:sqs:eu-west-1:1:audit",
            ),
            pointing(
                &jobs,
                "the trigger of reader",
                "arn:aws:lambda:eu-west-1:1:function:r",
            ),
        ];
        let mut orders = Vec::new();
        for referrers in [reported.clone(), reported.into_iter().rev().collect()] {
            let mut resources = vec![dlq.clone(), jobs.clone(), queue("idle")];
            attach_referrers(&mut resources, referrers);
            let whats: Vec<Vec<String>> = resources
                .iter()
                .map(|r| r.referenced_by.iter().map(|r| r.what.clone()).collect())
                .collect();
            orders.push(whats);
        }
        assert_eq!(
            orders[0],
            vec![
                vec![
                    "the redrive of audit".to_string(),
                    "the redrive of jobs".to_string(),
                    "the trigger of worker".to_string(),
                ],
                vec!["the trigger of reader".to_string()],
                Vec::new(),
            ]
        );
        assert_eq!(orders[0], orders[1]);
    }
}
