//! Garbage collection of published function versions and layer versions (the layers' pruning
//! itself is `kinds::layer::aws::prune_layer_versions`).
//!
//! Every code or configuration change publishes a function version (to move the alias), and
//! every content change a layer version; old ones count against Lambda's 75 GB code storage per
//! region until deleted. After a publish, slsctl keeps the versions an alias points at (routing
//! weights included) and the newest `keep`, and deletes the rest. Layer versions are deleted only
//! when their description carries this stack's and this resource's ownership marker.
//!
//! Deleting a version something outside slsctl still uses (an event source mapping on a version
//! number) is refused by Lambda as a conflict: that version is skipped and kept, never fought
//! over.

use std::collections::BTreeSet;

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};

/// The versions to delete: numbered ones that no alias uses, beyond the newest `keep`.
pub fn versions_to_delete(published: &[u64], in_use: &BTreeSet<u64>, keep: usize) -> Vec<u64> {
    let mut newest_first: Vec<u64> = published.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    newest_first.dedup();
    newest_first
        .into_iter()
        .skip(keep)
        .filter(|v| !in_use.contains(v))
        .collect()
}

/// Delete the function's old published versions; returns the versions deleted.
pub async fn prune_function_versions(
    clients: &Clients,
    function: &str,
    keep: usize,
) -> Result<Vec<u64>, AwsError> {
    let in_use = alias_versions(clients, function).await?;
    let published: Vec<u64> = published_versions(clients, function)
        .await?
        .into_iter()
        .map(|(number, _)| number)
        .collect();
    let mut deleted = Vec::new();
    for version in versions_to_delete(&published, &in_use, keep) {
        match delete_version(clients, function, version).await {
            Ok(()) => deleted.push(version),
            // In use by something slsctl does not manage: kept.
            Err(e) if e.kind == ErrorKind::Conflict => {
                clients.notify(&format!(
                    "version {version} of {function} is in use outside slsctl and is kept"
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

/// The function's published versions with their descriptions. `$LATEST` is not a number and
/// is left out.
pub async fn published_versions(
    clients: &Clients,
    function: &str,
) -> Result<Vec<(u64, String)>, AwsError> {
    let versions = all_items!(clients
        .lambda
        .list_versions_by_function()
        .function_name(function)
        .max_items(50))?;
    Ok(versions
        .iter()
        .filter_map(|v| {
            let number = v.version()?.parse::<u64>().ok()?;
            Some((number, v.description().unwrap_or_default().to_string()))
        })
        .collect())
}

/// Delete one published version; one already gone is done.
pub async fn delete_version(
    clients: &Clients,
    function: &str,
    version: u64,
) -> Result<(), AwsError> {
    crate::aws::accounting::counted_as(
        "version",
        clients
            .lambda
            .delete_function()
            .function_name(function)
            .qualifier(version.to_string())
            .send(),
    )
    .await
    .done_or_gone()
}

/// Every version any alias of the function points at, with its routing weights.
async fn alias_versions(clients: &Clients, function: &str) -> Result<BTreeSet<u64>, AwsError> {
    let mut in_use = BTreeSet::new();
    for alias in super::aliases::all_aliases(clients, function).await? {
        in_use.extend(alias.function_version().and_then(|v| v.parse::<u64>().ok()));
        if let Some(weights) = alias
            .routing_config()
            .and_then(|r| r.additional_version_weights())
        {
            in_use.extend(weights.keys().filter_map(|v| v.parse::<u64>().ok()));
        }
    }
    Ok(in_use)
}

/// Old versions that could not be deleted do not fail the action that published a new one:
/// the deletion is housekeeping, said and retried at the next publish.
pub(crate) fn housekeeping(clients: &Clients, pruned: Result<Vec<u64>, AwsError>) {
    if let Err(e) = pruned {
        clients.notify(&format!("old versions were not deleted: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_what_aliases_use() {
        let published = [1, 2, 3, 4, 5, 6, 7];
        let in_use = BTreeSet::from([2]);
        assert_eq!(versions_to_delete(&published, &in_use, 3), [4, 3, 1]);
        assert!(versions_to_delete(&[1, 2], &BTreeSet::new(), 3).is_empty());
        assert_eq!(versions_to_delete(&[9, 1, 5], &BTreeSet::new(), 1), [5, 1]);
    }
}
