//! A function's managed aliases: the versions they point at, provisioned concurrency, and
//! bringing them to the spec (publish, move, delete).
//!
//! Aliases cannot be tagged: an alias slsctl manages carries `slsctl version=<digest>` in its
//! description, the digest of the configuration its version was published from (see
//! `kinds::function::props::version_digest`).

use std::collections::BTreeSet;

use aws_sdk_lambda::types::ProvisionedConcurrencyStatusEnum;
use serde_json::{json, Value};

use super::autoscaling::sync_autoscaling;
use super::aws::with_conflict_retry;
use super::versions::housekeeping;
use crate::aws::error::{classify, found_or_none, AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::context::{int, text, unresolved};
use crate::kinds::{ApplyCtx, Deferred};
use crate::model::ResourceId;
use crate::plan::DesiredResource;

const ALIAS_MARKER: &str = "slsctl version=";

pub fn alias_description(digest: &str) -> String {
    format!("{ALIAS_MARKER}{digest}")
}

/// A managed alias: its name, the version it points at and the digest it records.
#[derive(Clone, Debug)]
pub struct LiveAlias {
    pub name: String,
    pub version: String,
    pub digest: String,
}

/// The aliases of a function that slsctl manages (those with the marker).
pub async fn list_aliases(clients: &Clients, function: &str) -> Result<Vec<LiveAlias>, AwsError> {
    Ok(all_aliases(clients, function)
        .await?
        .iter()
        .filter_map(|alias| {
            let digest = alias.description()?.strip_prefix(ALIAS_MARKER)?;
            Some(LiveAlias {
                name: alias.name().unwrap_or_default().to_string(),
                version: alias.function_version().unwrap_or_default().to_string(),
                digest: digest.to_string(),
            })
        })
        .collect())
}

/// Every alias of a function, slsctl's and others' (none when the function is gone).
pub async fn all_aliases(
    clients: &Clients,
    function: &str,
) -> Result<Vec<aws_sdk_lambda::types::AliasConfiguration>, AwsError> {
    let aliases = all_items!(clients.lambda.list_aliases().function_name(function));
    Ok(found_or_none(aliases)?.unwrap_or_default())
}

/// The alias's provisioned concurrency as props hold it: the requested number while it is
/// READY or IN_PROGRESS, and `FAILED (N requested): reason` when AWS could not allocate it, so
/// that a failed allocation shows in the plan and is requested again rather than taken as done.
pub async fn get_provisioned_concurrency(
    clients: &Clients,
    function: &str,
    alias: &str,
) -> Result<Option<Value>, AwsError> {
    match clients
        .lambda
        .get_provisioned_concurrency_config()
        .function_name(function)
        .qualifier(alias)
        .send()
        .await
    {
        Ok(config) => {
            Ok(config
                .requested_provisioned_concurrent_executions()
                .map(|n| match config.status() {
                    Some(ProvisionedConcurrencyStatusEnum::Failed) => json!(format!(
                        "FAILED ({n} requested): {}",
                        config.status_reason().unwrap_or("no reason given")
                    )),
                    _ => json!(n),
                }))
        }
        Err(e) => {
            // ProvisionedConcurrencyConfigNotFoundException: none configured.
            let error = classify(e);
            match error.code.as_deref() {
                Some("ProvisionedConcurrencyConfigNotFoundException") => Ok(None),
                _ if error.kind == ErrorKind::NotFound => Ok(None),
                _ => Err(error),
            }
        }
    }
}

pub async fn set_provisioned_concurrency(
    clients: &Clients,
    function: &str,
    alias: &str,
    value: Option<i32>,
) -> Result<(), AwsError> {
    with_conflict_retry(clients, function, || async {
        match value {
            Some(n) => clients
                .lambda
                .put_provisioned_concurrency_config()
                .function_name(function)
                .qualifier(alias)
                .provisioned_concurrent_executions(n)
                .send()
                .await
                .done(),
            None => clients
                .lambda
                .delete_provisioned_concurrency_config()
                .function_name(function)
                .qualifier(alias)
                .send()
                .await
                .done_or_gone(),
        }
    })
    .await
}

/// Publish the function's current code and configuration as a version, with `description` if
/// any; returns its number. A change still in progress is waited out and retried.
pub async fn publish_version(
    clients: &Clients,
    function: &str,
    description: Option<&str>,
) -> Result<String, AwsError> {
    let version = with_conflict_retry(clients, function, || async {
        clients
            .lambda
            .publish_version()
            .function_name(function)
            .set_description(description.map(str::to_string))
            .send()
            .await
            .map(|o| o.version().unwrap_or_default().to_string())
            .classified()
    })
    .await?;
    Ok(version)
}

/// Point the alias at `version`, creating it if it does not exist.
pub async fn put_alias(
    clients: &Clients,
    function: &str,
    alias: &str,
    version: &str,
    digest: &str,
    exists: bool,
) -> Result<(), AwsError> {
    let description = alias_description(digest);
    let update = || async {
        clients
            .lambda
            .update_alias()
            .function_name(function)
            .name(alias)
            .function_version(version)
            .description(&description)
            .send()
            .await
            .done()
    };
    if exists {
        return update().await;
    }
    let created = clients
        .lambda
        .create_alias()
        .function_name(function)
        .name(alias)
        .function_version(version)
        .description(&description)
        .send()
        .await
        .done();
    match created {
        // The SDK's retry of a create whose answer was lost: an alias carrying slsctl's mark is
        // that first attempt's (or an earlier run's) and is brought to this version.
        Err(error) if error.already_exists() => {
            if alias_is_managed(clients, function, alias).await? {
                update().await
            } else {
                Err(error)
            }
        }
        other => other,
    }
}

/// Whether the alias carries slsctl's mark (aliases cannot be tagged).
async fn alias_is_managed(
    clients: &Clients,
    function: &str,
    alias: &str,
) -> Result<bool, AwsError> {
    let live = clients
        .lambda
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
        .found()?;
    Ok(live
        .and_then(|a| a.description().map(|d| d.starts_with(ALIAS_MARKER)))
        .unwrap_or(false))
}

pub async fn delete_alias(clients: &Clients, function: &str, alias: &str) -> Result<(), AwsError> {
    clients
        .lambda
        .delete_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
        .done_or_gone()
}

/// Bring the function's managed aliases to the spec: publish a version and move the alias when
/// the version digest differs, set or remove provisioned concurrency, delete aliases that left the
/// spec. `live` holds the observed `alias.*` props (empty for a new function).
pub(super) async fn sync_aliases(
    shared: &ApplyCtx,
    id: &ResourceId,
    function: &str,
    want: &DesiredResource,
    live: &crate::plan::Props,
    created: bool,
) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let alias_names = |props: &crate::plan::Props| -> BTreeSet<String> {
        props
            .keys()
            .filter_map(|k| {
                k.strip_prefix("alias.")?
                    .split_once('.')
                    .map(|(n, _)| n.to_string())
            })
            .collect()
    };
    let wanted = alias_names(&want.props);
    // An alias that left the spec may still be what a rule or an API invokes until their own
    // actions move them to the function: deleted at the end of the apply.
    shared
        .deferred
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(alias_names(live).difference(&wanted).map(|name| {
            let (function, alias) = (function.to_string(), name.clone());
            Deferred {
                id: id.clone(),
                run: Box::new(move |clients: Clients| {
                    Box::pin(async move { delete_alias(&clients, &function, &alias).await })
                }),
            }
        }));
    for name in &wanted {
        let version_field = format!("alias.{name}.version");
        let digest =
            text(&want.props, &version_field).ok_or_else(|| unresolved(id, &version_field))?;
        let exists = live.contains_key(&version_field);
        if created || live.get(&version_field) != want.props.get(&version_field) {
            // Lambda publishes a new version only when code or configuration changed since the
            // last one; otherwise it returns that one, so this is safe to repeat after a crash.
            let version = publish_version(clients, function, None).await?;
            put_alias(clients, function, name, &version, &digest, exists).await?;
            let keep = shared.prepared.stack.keep_versions as usize;
            housekeeping(
                clients,
                crate::kinds::function::versions::prune_function_versions(clients, function, keep)
                    .await,
            );
        }
        // Auto Scaling first: leaving it deregisters the target, which leaves the provisioned
        // value where it was (AWS does not remove it), so the config is set or removed after.
        sync_autoscaling(shared, id, function, name, want, live).await?;
        let pc_field = format!("alias.{name}.provisionedConcurrency");
        let autoscaled = want
            .props
            .contains_key(&format!("alias.{name}.autoscaling"));
        if live.get(&pc_field) != want.props.get(&pc_field) && !autoscaled {
            set_provisioned_concurrency(clients, function, name, int(&want.props, &pc_field))
                .await?;
        }
    }
    Ok(())
}
