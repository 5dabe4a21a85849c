//! What the frame hands a kind: the apply context (clients, what was prepared, references
//! resolved so far, clean-ups left for the end) and the props helpers its apply code shares.

use crate::plan::SetProp;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::error::operation::BuildError;
use serde_json::Value;

use super::desired::{desired_resources, Context, OWNERSHIP_TAGS};
use super::observe::Observed;
use super::BoxFuture;
use crate::artifact::Package;
use crate::aws::error::Classified;
use crate::aws::{AwsError, Clients, ErrorKind};
use crate::model::{ResourceId, Stack};
use crate::plan::{DesiredResource, FieldValue, ObservedResource, Plan, ResourceAction};

/// Everything a plan was made from; apply needs all of it.
#[derive(Debug)]
pub struct Prepared {
    pub stack: Stack,
    pub context: Context,
    pub packages: BTreeMap<ResourceId, Package>,
    pub observed: Observed,
    pub desired: Vec<DesiredResource>,
    pub order: Vec<ResourceId>,
    pub plan: Plan,
}

/// What one action of a kind may use. Cloned per action (everything is shared behind `Arc`s).
#[derive(Clone)]
pub struct ApplyCtx {
    pub clients: Clients,
    pub prepared: Arc<Prepared>,
    /// The ARNs known so far: resources created during this apply are added as they appear.
    pub context: Arc<Mutex<Context>>,
    /// Raw sensitive values, to redact from AWS's error messages.
    pub secrets: Arc<Vec<String>>,
    /// Clean-ups that must wait until the resources that refer to them have moved on.
    pub deferred: Arc<Mutex<Vec<Deferred>>>,
}

impl ApplyCtx {
    /// Leave `cleanup` for the end of the apply (see [`Deferred`]).
    pub fn defer(&self, cleanup: Deferred) {
        self.deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(cleanup);
    }

    /// The ARNs (and ids) known so far, as of now.
    pub fn context_now(&self) -> Context {
        self.context
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Record what this apply made (an API's id, a layer version's ARN), so that the references
    /// to it resolve from now on.
    pub fn learn(&self, update: impl FnOnce(&mut Context)) {
        update(&mut self.context.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Something an action leaves for the end of the apply, because another resource may still use it
/// until its own action runs: a rule's target or an API's integration moving from `$LATEST` to an
/// alias (or back) keeps working on the old permission, or the old alias, until then. Done only
/// when every action succeeded; otherwise the next plan shows it and finishes it.
pub struct Deferred {
    /// The resource whose action left it (a failure is reported against it).
    pub id: ResourceId,
    pub run: Box<dyn FnOnce(Clients) -> BoxFuture<'static, Result<(), AwsError>> + Send>,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Deferred({})", self.id)
    }
}

/// The desired resource as of now: references to resources created during this apply resolve.
pub fn desired_now(shared: &ApplyCtx, id: &ResourceId) -> Option<DesiredResource> {
    desired_resources(&shared.prepared.stack, &shared.context_now())
        .into_iter()
        .find(|d| &d.id == id)
}

/// The desired resource as of now, or the error that says its spec is still unresolved.
pub fn wanted_now(shared: &ApplyCtx, id: &ResourceId) -> Result<DesiredResource, AwsError> {
    desired_now(shared, id).ok_or_else(|| unresolved(id, "spec"))
}

/// The resource as observed when the plan was made (none: it did not exist then).
pub fn observed_of<'a>(shared: &'a ApplyCtx, id: &ResourceId) -> Option<&'a ObservedResource> {
    shared
        .prepared
        .observed
        .resources
        .iter()
        .find(|o| &o.id == id)
}

/// The observed resource's ARN; empty when it was not observed (the call then fails clearly).
pub fn observed_arn(shared: &ApplyCtx, id: &ResourceId) -> String {
    observed_of(shared, id)
        .map(|o| o.arn.clone())
        .unwrap_or_default()
}

/// A waiter's outcome, its calls counted as a waiter's; a failure (the wait timing out, or an
/// error on the way) is reported as `what`.
pub async fn waited<T, E>(
    what: &'static str,
    wait: impl Future<Output = Result<T, E>>,
) -> Result<T, AwsError>
where
    E: std::error::Error + 'static,
{
    crate::aws::accounting::counted_as("waiter", wait)
        .await
        .map_err(|e| AwsError::new(what, ErrorKind::Other, crate::aws::error::plain_chain(&e)))
}

/// A change of a resource's tags: the tags to set, then the keys to remove. Every service has
/// its own two calls for it, which its `tag` function hands to [`TagChange::apply`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TagChange<Tags = HashMap<String, String>> {
    pub add: Tags,
    pub remove: Vec<String>,
}

impl TagChange {
    /// The tag changes of an action: keys to set and keys to remove.
    pub fn of(action: &ResourceAction) -> Self {
        let mut change = Self::default();
        for planned in &action.changes {
            let Some(key) = planned.field.strip_prefix("tags.") else {
                continue;
            };
            match &planned.after {
                Some(FieldValue::Known(Value::String(value))) => {
                    change.add.insert(key.to_string(), value.clone());
                }
                _ => change.remove.push(key.to_string()),
            }
        }
        change
    }

    /// What a Release does: remove the ownership tags, and nothing else of the resource.
    pub fn release() -> Self {
        TagChange {
            add: HashMap::new(),
            remove: OWNERSHIP_TAGS.map(String::from).to_vec(),
        }
    }

    /// The tags to set, in the form a service's call takes them (a list of its own `Tag`s).
    pub fn try_map<Tags>(
        self,
        form: impl FnOnce(&HashMap<String, String>) -> Result<Tags, AwsError>,
    ) -> Result<TagChange<Tags>, AwsError> {
        Ok(TagChange {
            add: form(&self.add)?,
            remove: self.remove,
        })
    }
}

impl<Tags> TagChange<Tags>
where
    for<'a> &'a Tags: IntoIterator,
{
    /// Make the change through a service's two calls, each written as its SDK chain: `tag`
    /// sends the tags to set, then `untag` the keys to remove. A call with nothing to carry is
    /// not made.
    pub async fn apply<TagCall, TagOut, TagErr, UntagCall, UntagOut, UntagErr>(
        self,
        tag: impl FnOnce(Tags) -> TagCall,
        untag: impl FnOnce(Vec<String>) -> UntagCall,
    ) -> Result<(), AwsError>
    where
        TagCall: Future<Output = Result<TagOut, SdkError<TagErr, Response>>>,
        TagErr: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        UntagCall: Future<Output = Result<UntagOut, SdkError<UntagErr, Response>>>,
        UntagErr: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if (&self.add).into_iter().next().is_some() {
            tag(self.add).await.done()?;
        }
        if !self.remove.is_empty() {
            untag(self.remove).await.done()?;
        }
        Ok(())
    }
}

/// A tag change made through a service's two calls (see [`TagChange::apply`]), given as the
/// change, the client, the two operations and the resource's parameter: services name the calls
/// and that parameter their own way (SQS's `tag_queue / untag_queue` of a `queue_url(url)`,
/// DynamoDB's `tag_resource / untag_resource` of a `resource_arn(arn)`), but every one takes the
/// tags to set as `tags` and the keys to remove as `tag_keys`. (tests/deploy.rs reads the
/// operations off each use, for the IAM policy.)
macro_rules! apply_tags {
    ($change:expr, $client:expr, $tag:ident / $untag:ident, $resource:ident($value:expr)) => {
        $change
            .apply(
                |tags| $client.$tag().$resource($value).set_tags(Some(tags)).send(),
                |keys| {
                    $client
                        .$untag()
                        .$resource($value)
                        .set_tag_keys(Some(keys))
                        .send()
                },
            )
            .await
    };
}
pub(crate) use apply_tags;

/// A request builder's error (a required field left unset: a bug here, never AWS's answer).
pub fn built<T>(result: Result<T, BuildError>) -> Result<T, AwsError> {
    result.map_err(|e| AwsError::new("build request", ErrorKind::Validation, e.to_string()))
}

pub fn text(props: &crate::plan::Props, field: &str) -> Option<String> {
    match props.get(field) {
        Some(FieldValue::Known(Value::String(s))) => Some(s.clone()),
        Some(FieldValue::Known(Value::Number(n))) => Some(n.to_string()),
        Some(FieldValue::Known(Value::Bool(b))) => Some(b.to_string()),
        _ => None,
    }
}

pub fn int(props: &crate::plan::Props, field: &str) -> Option<i32> {
    match props.get(field) {
        Some(FieldValue::Known(Value::Number(n))) => n.as_i64().and_then(|v| i32::try_from(v).ok()),
        _ => None,
    }
}

pub fn unresolved(id: &ResourceId, field: &str) -> AwsError {
    AwsError::new(
        "resolve references",
        ErrorKind::Other,
        format!("{id}: `{field}` is still unknown after its dependencies were applied"),
    )
}

/// The key of a list entry's prop: `key` for the field `<list>[key]`, none for other fields.
pub fn entry_key<'a>(field: &'a str, list: &str) -> Option<&'a str> {
    field
        .strip_prefix(list)?
        .strip_prefix('[')?
        .strip_suffix(']')
}

/// The tags a read returned, sorted as props keep them (none returned: none).
pub fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// A service's own `Tag` type, one key and its value: the form in which DynamoDB, EventBridge,
/// IAM, CloudWatch and the tagging API take and list tags (the others use maps).
pub trait ServiceTag: Sized {
    fn of(key: &str, value: &str) -> Result<Self, AwsError>;
    /// The key and value; none for a tag that lacks either (CloudWatch's may).
    fn pair(&self) -> Option<(&str, &str)>;
}

/// Services whose `Tag` requires both its key and its value.
macro_rules! service_tag {
    ($($tag:ty),+) => {$(
        impl ServiceTag for $tag {
            fn of(key: &str, value: &str) -> Result<Self, AwsError> {
                built(<$tag>::builder().key(key).value(value).build())
            }

            fn pair(&self) -> Option<(&str, &str)> {
                Some((self.key(), self.value()))
            }
        }
    )+};
}

service_tag!(
    aws_sdk_dynamodb::types::Tag,
    aws_sdk_eventbridge::types::Tag,
    aws_sdk_iam::types::Tag,
    aws_sdk_resourcegroupstagging::types::Tag
);

impl ServiceTag for aws_sdk_cloudwatch::types::Tag {
    fn of(key: &str, value: &str) -> Result<Self, AwsError> {
        Ok(Self::builder().key(key).value(value).build())
    }

    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key()?, self.value()?))
    }
}

/// Tags in the form a service's calls take them, sorted by key (the same request every time).
pub fn tag_list<T: ServiceTag>(tags: &HashMap<String, String>) -> Result<Vec<T>, AwsError> {
    let mut sorted: Vec<(&String, &String)> = tags.iter().collect();
    sorted.sort();
    sorted.into_iter().map(|(k, v)| T::of(k, v)).collect()
}

/// The tags a service listed as its own `Tag`s, sorted as props keep them.
pub fn listed_tags<T: ServiceTag>(tags: &[T]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(ServiceTag::pair)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The observed `tags.*` props. AWS's own `aws:` tags are not the spec's to manage.
pub fn insert_tag_props<'a>(
    props: &mut crate::plan::Props,
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
) {
    for (key, value) in tags {
        if !key.starts_with("aws:") {
            props.set(format!("tags.{key}"), value.clone());
        }
    }
}

/// The alias whose policy holds a permission statement (none: the function's own policy).
pub fn qualifier_of(value: &Value) -> Option<&str> {
    value.get("qualifier").and_then(Value::as_str)
}

/// Tags wanted by the props (`tags.*`).
pub fn tags_of(props: &crate::plan::Props) -> HashMap<String, String> {
    props
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("tags.")?;
            match v {
                FieldValue::Known(Value::String(s)) => Some((key.to_string(), s.clone())),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_key_reads_only_the_named_list() {
        assert_eq!(
            entry_key("schedules[nightly]", "schedules"),
            Some("nightly")
        );
        assert_eq!(entry_key("routes[GET /a]", "routes"), Some("GET /a"));
        assert_eq!(entry_key("schedulesX[nightly]", "schedules"), None);
        assert_eq!(entry_key("schedules", "schedules"), None);
        assert_eq!(entry_key("schedules[open", "schedules"), None);
    }

    #[test]
    fn service_tags_are_sent_sorted_and_read_back_only_whole() {
        let tags = HashMap::from([
            ("team".to_string(), "a".to_string()),
            ("app".to_string(), "b".to_string()),
        ]);
        let sent: Vec<aws_sdk_dynamodb::types::Tag> = tag_list(&tags).unwrap();
        let keys: Vec<&str> = sent.iter().map(|t| t.key()).collect();
        assert_eq!(keys, ["app", "team"]);
        assert_eq!(
            listed_tags(&sent),
            BTreeMap::from([
                ("app".to_string(), "b".to_string()),
                ("team".to_string(), "a".to_string()),
            ])
        );
        // CloudWatch's tags may lack a value: such a tag is not read back as an empty one.
        let half = aws_sdk_cloudwatch::types::Tag::builder().key("k").build();
        assert!(listed_tags(&[half]).is_empty());
    }

    #[tokio::test]
    async fn a_tag_change_makes_only_the_calls_with_something_to_carry() {
        type Answer =
            Result<(), SdkError<aws_sdk_sqs::operation::tag_queue::TagQueueError, Response>>;
        let calls = Mutex::new(Vec::new());
        let record = |call: String| {
            calls.lock().unwrap().push(call);
            async { Answer::Ok(()) }
        };
        let cases = [
            (
                HashMap::from([("team".to_string(), "a".to_string())]),
                Vec::new(),
            ),
            (HashMap::new(), vec!["old".to_string()]),
            (HashMap::new(), Vec::new()),
        ];
        for (add, remove) in cases {
            let tag = |t| record(format!("tag {t:?}"));
            TagChange { add, remove }
                .apply(tag, |k| record(format!("untag {k:?}")))
                .await
                .unwrap();
        }
        assert_eq!(
            *calls.lock().unwrap(),
            [r#"tag {"team": "a"}"#, r#"untag ["old"]"#]
        );
    }
}
