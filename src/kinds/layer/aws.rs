//! Lambda layers: listing, publishing, pruning and deleting versions. Versions cannot be tagged,
//! so ownership and the content hash travel in the version's description:
//! `<description> [slsctl:stack=S slsctl:resource=Layer/N sha256=H]`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, LayerVersionsListItem, LayersListItem, Runtime};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::desired::{TAG_RESOURCE, TAG_STACK};
use crate::kinds::function::versions::versions_to_delete;
use crate::plan::{FieldValue, Props, SetProp};

/// A layer's latest version as read from ListLayers.
#[derive(Clone, Debug)]
pub struct LiveLayer {
    pub name: String,
    pub version_arn: String,
    pub stack: String,
    pub resource: String,
    pub props: Props,
}

pub fn layer_description(description: &str, stack: &str, resource: &str, sha256: &str) -> String {
    let marker = format!("[{TAG_STACK}={stack} {TAG_RESOURCE}={resource} sha256={sha256}]");
    if description.is_empty() {
        marker
    } else {
        format!("{description} {marker}")
    }
}

/// Split a layer description into the user's text and the ownership marker's fields.
pub fn parse_layer_description(text: &str) -> Option<(String, BTreeMap<String, String>)> {
    let start = text.rfind(&format!("[{TAG_STACK}="))?;
    let inner = text[start + 1..].strip_suffix(']')?;
    let fields = inner
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some((text[..start].trim_end().to_string(), fields))
}

/// A list Lambda returns in no set order, sorted as the desired props hold it.
fn sorted_list<'a>(items: impl Iterator<Item = &'a str>) -> FieldValue {
    let mut items: Vec<&str> = items.collect();
    items.sort();
    FieldValue::known(json!(items))
}

pub async fn list_layers(clients: &Clients, stack: &str) -> Result<Vec<LiveLayer>, AwsError> {
    let layers = all_items!(clients.lambda.list_layers().max_items(50))?;
    Ok(layers
        .iter()
        .filter_map(|layer| live_layer(layer, stack))
        .collect())
}

/// A layer as props, when its newest version carries this stack's marker.
fn live_layer(layer: &LayersListItem, stack: &str) -> Option<LiveLayer> {
    let latest = layer.latest_matching_version()?;
    let (description, fields) = parse_layer_description(latest.description().unwrap_or_default())?;
    if fields.get(TAG_STACK).map(String::as_str) != Some(stack) {
        return None;
    }
    let mut props = Props::new();
    props.set(
        "content.sha256",
        fields.get("sha256").cloned().unwrap_or_default(),
    );
    let runtimes = latest.compatible_runtimes().iter().map(|r| r.as_str());
    props.insert("compatibleRuntimes".into(), sorted_list(runtimes));
    let architectures = latest.compatible_architectures().iter().map(|a| a.as_str());
    props.insert("compatibleArchitectures".into(), sorted_list(architectures));
    props.set("description", description);
    // Lambda (and moto) report an unset licence as "" or leave it out: both mean none.
    let license = latest.license_info().filter(|l| !l.is_empty());
    props.set("licenseInfo", license.map_or(Value::Null, Value::from));
    Some(LiveLayer {
        name: layer.layer_name().unwrap_or_default().to_string(),
        version_arn: latest.layer_version_arn().unwrap_or_default().to_string(),
        stack: stack.to_string(),
        resource: fields.get(TAG_RESOURCE).cloned().unwrap_or_default(),
        props,
    })
}

/// Publish a layer version; returns its ARN.
///
/// At most once: every PublishLayerVersion makes a new version, so the SDK does not retry it;
/// after a lost answer the layer's newest version is looked at, and one whose description is
/// this one (the marker holds the stack, the resource and the content's hash) is that first
/// attempt's (see `create_at_most_once`).
#[allow(clippy::too_many_arguments)]
pub async fn publish_layer(
    clients: &Clients,
    name: &str,
    zip: Vec<u8>,
    description: &str,
    runtimes: &[String],
    architectures: &[String],
    license: Option<&str>,
) -> Result<String, AwsError> {
    let publish = || async {
        let output = clients
            .lambda
            .publish_layer_version()
            .layer_name(name)
            .description(description)
            .content(
                aws_sdk_lambda::types::LayerVersionContentInput::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .set_compatible_runtimes(Some(
                runtimes.iter().map(|r| Runtime::from(r.as_str())).collect(),
            ))
            .set_compatible_architectures(Some(
                architectures
                    .iter()
                    .map(|a| Architecture::from(a.as_str()))
                    .collect(),
            ))
            .set_license_info(license.map(str::to_string))
            .customize()
            .config_override(crate::aws::lambda_without_retries())
            .send()
            .await
            .classified()?;
        Ok(output.layer_version_arn().unwrap_or_default().to_string())
    };
    let existing = || newest_layer_version_described(clients, name, description);
    crate::aws::create_at_most_once(publish, existing).await
}

/// The ARN of the layer's newest version when its description is `description`. Only the
/// newest: an older version with the same content is not what the publish made, and the next
/// plan reads the newest.
async fn newest_layer_version_described(
    clients: &Clients,
    name: &str,
    description: &str,
) -> Result<Option<String>, AwsError> {
    let versions = match layer_versions(clients, name).await {
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        other => other?,
    };
    Ok(versions
        .into_iter()
        .max_by_key(|version| version.version())
        .filter(|newest| newest.description().unwrap_or_default() == description)
        .map(|newest| newest.layer_version_arn().unwrap_or_default().to_string()))
}

/// Every version of a layer, all pages read.
async fn layer_versions(
    clients: &Clients,
    name: &str,
) -> Result<Vec<LayerVersionsListItem>, AwsError> {
    all_items!(clients.lambda.list_layer_versions().layer_name(name))
}

/// Delete every version of a layer.
pub async fn delete_layer(clients: &Clients, name: &str) -> Result<(), AwsError> {
    for version in layer_versions(clients, name).await? {
        clients
            .lambda
            .delete_layer_version()
            .layer_name(name)
            .version_number(version.version())
            .send()
            .await
            .classified()?;
    }
    Ok(())
}

/// Delete the layer's old versions that carry this stack's and resource's marker; returns the
/// versions deleted.
pub async fn prune_layer_versions(
    clients: &Clients,
    layer: &str,
    stack: &str,
    resource: &str,
    keep: usize,
) -> Result<Vec<u64>, AwsError> {
    let mut ours = Vec::new();
    for version in layer_versions(clients, layer).await? {
        let owned = version
            .description()
            .and_then(parse_layer_description)
            .is_some_and(|(_, marks)| {
                marks.get(TAG_STACK).map(String::as_str) == Some(stack)
                    && marks.get(TAG_RESOURCE).map(String::as_str) == Some(resource)
            });
        if owned {
            ours.push(version.version() as u64);
        }
    }
    let mut deleted = Vec::new();
    for version in versions_to_delete(&ours, &BTreeSet::new(), keep) {
        clients
            .lambda
            .delete_layer_version()
            .layer_name(layer)
            .version_number(version as i64)
            .send()
            .await
            .done_or_gone()?;
        deleted.push(version);
    }
    Ok(deleted)
}
