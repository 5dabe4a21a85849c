//! Lambda: observe functions, layers and event source mappings; create, update and delete them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, DeadLetterConfig, Environment, EphemeralStorage, EventSourceMappingConfiguration,
    FunctionCode, FunctionConfiguration, FunctionResponseType, PackageType,
    ProvisionedConcurrencyStatusEnum, Runtime, ScalingConfig, TracingConfig, TracingMode,
};
use serde_json::{json, Value};

use crate::aws::error::{classify, found_or_none, gone_is_done, AwsError, ErrorKind};
use crate::aws::Clients;
use crate::kinds::desired::{arn_name, TAG_RESOURCE, TAG_STACK};
use crate::plan::{FieldValue, Props};

/// Tag holding an S3 code source (`s3://bucket/key?versionId=…`): Lambda reports only the hash
/// of the code, so the location the spec names is remembered on the function itself.
pub const TAG_CODE_SOURCE: &str = "slsctl:code-source";

/// How long to wait for a function to settle after a change before giving up.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A function as read from GetFunction.
#[derive(Clone, Debug)]
pub struct LiveFunction {
    pub name: String,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub props: Props,
}

/// One event source mapping.
#[derive(Clone, Debug)]
pub struct LiveMapping {
    pub uuid: String,
    pub function_arn: String,
    pub source_arn: String,
}

pub async fn get_function(clients: &Clients, name: &str) -> Result<Option<LiveFunction>, AwsError> {
    let output = match found_or_none(
        clients
            .lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .map_err(|e| classify("GetFunction", e)),
    )? {
        Some(found) => found,
        None => return Ok(None),
    };
    let Some(configuration) = output.configuration() else {
        return Ok(None);
    };
    let tags: BTreeMap<String, String> = output
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let reserved = output
        .concurrency()
        .and_then(|c| c.reserved_concurrent_executions());
    let image_uri = output
        .code()
        .and_then(|c| c.image_uri())
        .map(str::to_string);
    let props = function_props(configuration, &tags, reserved, image_uri);
    Ok(Some(LiveFunction {
        name: configuration.function_name().unwrap_or(name).to_string(),
        arn: configuration.function_arn().unwrap_or_default().to_string(),
        tags,
        props,
    }))
}

/// Normalise a function's configuration into props, filling Lambda's defaults where the answer
/// leaves a field out, exactly as `plan::desired` writes them.
pub fn function_props(
    c: &FunctionConfiguration,
    tags: &BTreeMap<String, String>,
    reserved: Option<i32>,
    image_uri: Option<String>,
) -> Props {
    let mut props = Props::new();
    let image = c.package_type() == Some(&PackageType::Image);
    props.insert(
        "packageType".into(),
        FieldValue::known(if image { "Image" } else { "Zip" }),
    );
    if !image {
        if let Some(handler) = c.handler() {
            props.insert("handler".into(), FieldValue::known(handler));
        }
        if let Some(runtime) = c.runtime() {
            props.insert("runtime".into(), FieldValue::known(runtime.as_str()));
        }
    }
    props.insert(
        "role".into(),
        FieldValue::known(c.role().unwrap_or_default()),
    );
    props.insert(
        "memorySize".into(),
        FieldValue::known(c.memory_size().unwrap_or(128)),
    );
    props.insert(
        "timeout".into(),
        FieldValue::known(c.timeout().unwrap_or(3)),
    );
    let architecture = c
        .architectures()
        .first()
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|| "x86_64".into());
    props.insert("architecture".into(), FieldValue::known(architecture));
    props.insert(
        "ephemeralStorage".into(),
        FieldValue::known(c.ephemeral_storage().map_or(512, |e| e.size())),
    );
    let tracing = c
        .tracing_config()
        .and_then(|t| t.mode())
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "PassThrough".into());
    props.insert("tracing".into(), FieldValue::known(tracing));
    props.insert(
        "description".into(),
        FieldValue::known(c.description().unwrap_or_default()),
    );
    if image {
        props.insert(
            "code.imageUri".into(),
            FieldValue::known(image_uri.unwrap_or_default()),
        );
    } else if let Some(source) = tags.get(TAG_CODE_SOURCE) {
        props.insert("code.s3".into(), FieldValue::known(source.clone()));
    } else {
        props.insert(
            "code.sha256".into(),
            FieldValue::known(c.code_sha256().unwrap_or_default()),
        );
    }
    let layers: Vec<Value> = c
        .layers()
        .iter()
        .filter_map(|l| l.arn())
        .map(|a| json!(a))
        .collect();
    if !layers.is_empty() {
        props.insert("layers".into(), FieldValue::known(Value::Array(layers)));
    }
    if let Some(variables) = c.environment().and_then(|e| e.variables()) {
        for (key, value) in variables {
            props.insert(
                format!("environment.{key}"),
                FieldValue::known(value.clone()),
            );
        }
    }
    if let Some(n) = reserved {
        props.insert("reservedConcurrency".into(), FieldValue::known(n));
    }
    if let Some(target) = c.dead_letter_config().and_then(|d| d.target_arn()) {
        props.insert("deadLetter".into(), FieldValue::known(target));
    }
    for (key, value) in tags {
        if key.starts_with("aws:") || key == TAG_CODE_SOURCE {
            continue;
        }
        props.insert(format!("tags.{key}"), FieldValue::known(value.clone()));
    }
    props
}

/// Every event source mapping of the account and region, in pages of 100.
pub async fn list_mappings(
    clients: &Clients,
) -> Result<Vec<(LiveMapping, EventSourceMappingConfiguration)>, AwsError> {
    let mut out = Vec::new();
    let mut pages = clients
        .lambda
        .list_event_source_mappings()
        .max_items(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("ListEventSourceMappings", e))?;
        for mapping in page.event_source_mappings() {
            let (Some(uuid), Some(function_arn), Some(source_arn)) = (
                mapping.uuid(),
                mapping.function_arn(),
                mapping.event_source_arn(),
            ) else {
                continue;
            };
            out.push((
                LiveMapping {
                    uuid: uuid.to_string(),
                    function_arn: function_arn.to_string(),
                    source_arn: source_arn.to_string(),
                },
                mapping.clone(),
            ));
        }
    }
    Ok(out)
}

/// The props of one trigger, as `plan::desired` writes them.
pub fn mapping_props(mapping: &EventSourceMappingConfiguration, props: &mut Props) {
    let Some(source) = mapping.event_source_arn() else {
        return;
    };
    let base = format!("triggers[{}]", arn_name(source));
    props.insert(
        format!("{base}.batchSize"),
        FieldValue::known(mapping.batch_size().unwrap_or(10)),
    );
    props.insert(
        format!("{base}.maximumBatchingWindow"),
        FieldValue::known(mapping.maximum_batching_window_in_seconds().unwrap_or(0)),
    );
    props.insert(
        format!("{base}.reportBatchItemFailures"),
        FieldValue::known(
            mapping
                .function_response_types()
                .contains(&FunctionResponseType::ReportBatchItemFailures),
        ),
    );
    props.insert(
        format!("{base}.maximumConcurrency"),
        FieldValue::known(
            mapping
                .scaling_config()
                .and_then(|s| s.maximum_concurrency())
                .map_or(Value::Null, Value::from),
        ),
    );
    let state = mapping.state().unwrap_or("Enabled");
    props.insert(
        format!("{base}.enabled"),
        FieldValue::known(!matches!(state, "Disabled" | "Disabling")),
    );
    let alias = mapping
        .function_arn()
        .and_then(|arn| crate::kinds::desired::function_of_arn(arn).1);
    props.insert(
        format!("{base}.alias"),
        FieldValue::known(alias.map_or(Value::Null, Value::from)),
    );
}

// ---------------------------------------------------------------------------------------------
// Layers: versions cannot be tagged, so ownership and the content hash travel in the version's
// description: `<description> [slsctl:stack=S slsctl:resource=Layer/N sha256=H]`.

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

pub async fn list_layers(clients: &Clients, stack: &str) -> Result<Vec<LiveLayer>, AwsError> {
    let mut out = Vec::new();
    let mut pages = clients
        .lambda
        .list_layers()
        .max_items(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("ListLayers", e))?;
        for layer in page.layers() {
            let Some(latest) = layer.latest_matching_version() else {
                continue;
            };
            let Some((description, fields)) =
                parse_layer_description(latest.description().unwrap_or_default())
            else {
                continue;
            };
            if fields.get(TAG_STACK).map(String::as_str) != Some(stack) {
                continue;
            }
            let mut props = Props::new();
            props.insert(
                "content.sha256".into(),
                FieldValue::known(fields.get("sha256").cloned().unwrap_or_default()),
            );
            let mut runtimes: Vec<&str> = latest
                .compatible_runtimes()
                .iter()
                .map(|r| r.as_str())
                .collect();
            runtimes.sort();
            props.insert(
                "compatibleRuntimes".into(),
                FieldValue::known(json!(runtimes)),
            );
            let mut architectures: Vec<&str> = latest
                .compatible_architectures()
                .iter()
                .map(|a| a.as_str())
                .collect();
            architectures.sort();
            props.insert(
                "compatibleArchitectures".into(),
                FieldValue::known(json!(architectures)),
            );
            props.insert("description".into(), FieldValue::known(description));
            // Lambda (and moto) report an unset licence as "" or leave it out: both mean none.
            let license = latest.license_info().filter(|l| !l.is_empty());
            props.insert(
                "licenseInfo".into(),
                FieldValue::known(license.map_or(Value::Null, Value::from)),
            );
            out.push(LiveLayer {
                name: layer.layer_name().unwrap_or_default().to_string(),
                version_arn: latest.layer_version_arn().unwrap_or_default().to_string(),
                stack: stack.to_string(),
                resource: fields.get(TAG_RESOURCE).cloned().unwrap_or_default(),
                props,
            });
        }
    }
    Ok(out)
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
            .config_override(
                aws_sdk_lambda::config::Builder::default()
                    .retry_config(aws_smithy_types::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|e| classify("PublishLayerVersion", e))?;
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
    let mut newest: Option<(i64, String, String)> = None;
    let mut pages = clients
        .lambda
        .list_layer_versions()
        .layer_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page.map_err(|e| classify("ListLayerVersions", e)) {
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        for version in page.layer_versions() {
            if newest
                .as_ref()
                .is_none_or(|(n, _, _)| version.version() > *n)
            {
                newest = Some((
                    version.version(),
                    version.layer_version_arn().unwrap_or_default().to_string(),
                    version.description().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    Ok(newest
        .filter(|(_, _, described)| described == description)
        .map(|(_, arn, _)| arn))
}

/// Delete every version of a layer.
pub async fn delete_layer(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let mut versions = Vec::new();
    let mut pages = clients
        .lambda
        .list_layer_versions()
        .layer_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("ListLayerVersions", e))?;
        versions.extend(page.layer_versions().iter().map(|v| v.version()));
    }
    for version in versions {
        clients
            .lambda
            .delete_layer_version()
            .layer_name(name)
            .version_number(version)
            .send()
            .await
            .map_err(|e| classify("DeleteLayerVersion", e))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Functions

/// Everything needed to create or update a function, with references resolved.
#[derive(Clone, Debug)]
pub struct FunctionInput {
    pub name: String,
    pub package_type: String,
    pub handler: Option<String>,
    pub runtime: Option<String>,
    pub role: String,
    pub memory_size: i32,
    pub timeout: i32,
    pub architecture: String,
    pub ephemeral_storage: i32,
    pub tracing: String,
    pub description: String,
    pub layers: Vec<String>,
    /// Raw values, secrets included: never print this struct.
    pub environment: HashMap<String, String>,
    pub dead_letter: Option<String>,
    pub code: CodeInput,
    pub tags: HashMap<String, String>,
}

#[derive(Clone)]
pub enum CodeInput {
    Zip(Vec<u8>),
    S3 {
        bucket: String,
        key: String,
        version: Option<String>,
    },
    Image(String),
}

impl std::fmt::Debug for CodeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeInput::Zip(bytes) => write!(f, "Zip({} bytes)", bytes.len()),
            CodeInput::S3 { bucket, key, .. } => write!(f, "S3({bucket}/{key})"),
            CodeInput::Image(uri) => write!(f, "Image({uri})"),
        }
    }
}

fn code_of(input: &CodeInput) -> FunctionCode {
    match input {
        CodeInput::Zip(bytes) => FunctionCode::builder()
            .zip_file(Blob::new(bytes.clone()))
            .build(),
        CodeInput::S3 {
            bucket,
            key,
            version,
        } => FunctionCode::builder()
            .s3_bucket(bucket)
            .s3_key(key)
            .set_s3_object_version(version.clone())
            .build(),
        CodeInput::Image(uri) => FunctionCode::builder().image_uri(uri).build(),
    }
}

fn ephemeral(size: i32) -> Option<EphemeralStorage> {
    EphemeralStorage::builder().size(size).build().ok()
}

/// Create a function with its tags in the same call, and wait until it is active.
/// How long IAM may take to make a new or changed role (or its permissions) usable by Lambda.
const IAM_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Lambda's answers while IAM has not propagated a role or its permissions yet: the role "cannot
/// be assumed" (CreateFunction, UpdateFunctionConfiguration), or the role "does not have
/// permissions" for the event source (CreateEventSourceMapping). Both are
/// `InvalidParameterValueException`; they pass within seconds to minutes.
pub fn iam_not_propagated(error: &AwsError) -> Option<String> {
    let propagating = error.code.as_deref() == Some("InvalidParameterValueException")
        && (error.message.contains("cannot be assumed")
            || error.message.contains("does not have permissions"));
    propagating.then(|| "IAM to propagate the execution role".to_string())
}

pub async fn create_function(clients: &Clients, input: &FunctionInput) -> Result<String, AwsError> {
    let sent = crate::aws::wait_out(clients, IAM_PROPAGATION_TIMEOUT, iam_not_propagated, || {
        send_create_function(clients, input)
    })
    .await;
    let arn = match sent {
        Ok(arn) => arn,
        // The SDK retried after an answer it lost, and the first attempt had made it: the
        // function carries this resource's ownership tags. Anything else stays an error.
        Err(e) if e.kind == ErrorKind::Conflict && e.message.contains("already exist") => {
            match made_by(clients, &input.name, &input.tags).await? {
                Some(arn) => arn,
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    wait_active(clients, &input.name).await?;
    Ok(arn)
}

async fn send_create_function(
    clients: &Clients,
    input: &FunctionInput,
) -> Result<String, AwsError> {
    let image = input.package_type == "Image";
    clients
        .lambda
        .create_function()
        .function_name(&input.name)
        .role(&input.role)
        .code(code_of(&input.code))
        .package_type(if image {
            PackageType::Image
        } else {
            PackageType::Zip
        })
        .set_handler(input.handler.clone())
        .set_runtime(input.runtime.as_deref().map(Runtime::from))
        .memory_size(input.memory_size)
        .timeout(input.timeout)
        .architectures(Architecture::from(input.architecture.as_str()))
        .set_ephemeral_storage(ephemeral(input.ephemeral_storage))
        .tracing_config(
            TracingConfig::builder()
                .mode(TracingMode::from(input.tracing.as_str()))
                .build(),
        )
        .description(&input.description)
        .set_layers(Some(input.layers.clone()))
        .environment(
            Environment::builder()
                .set_variables(Some(input.environment.clone()))
                .build(),
        )
        .set_dead_letter_config(
            input
                .dead_letter
                .as_ref()
                .map(|arn| DeadLetterConfig::builder().target_arn(arn).build()),
        )
        .set_tags(Some(input.tags.clone()))
        .send()
        .await
        .map(|output| output.function_arn().unwrap_or_default().to_string())
        .map_err(|e| classify("CreateFunction", e))
}

/// The function's ARN when it carries exactly these ownership tags.
async fn made_by(
    clients: &Clients,
    name: &str,
    tags: &HashMap<String, String>,
) -> Result<Option<String>, AwsError> {
    Ok(get_function(clients, name)
        .await?
        .filter(|live| crate::kinds::desired::same_owner(&live.tags, tags))
        .map(|live| live.arn))
}

async fn wait_active(clients: &Clients, name: &str) -> Result<(), AwsError> {
    crate::aws::accounting::counted_as(
        "waiter",
        clients
            .lambda
            .wait_until_function_active_v2()
            .function_name(name)
            .wait(SETTLE_TIMEOUT),
    )
    .await
    .map(|_| ())
    .map_err(|e| {
        AwsError::new(
            "wait for function Active",
            ErrorKind::Other,
            crate::aws::error::plain_chain(&e),
        )
    })
}

/// Wait until a previous update has finished (`LastUpdateStatus` no longer `InProgress`):
/// Lambda refuses a second change while one is running (ResourceConflictException).
pub async fn wait_updated(clients: &Clients, name: &str) -> Result<(), AwsError> {
    crate::aws::accounting::counted_as(
        "waiter",
        clients
            .lambda
            .wait_until_function_updated_v2()
            .function_name(name)
            .wait(SETTLE_TIMEOUT),
    )
    .await
    .map(|_| ())
    .map_err(|e| {
        AwsError::new(
            "wait for function update",
            ErrorKind::Other,
            crate::aws::error::plain_chain(&e),
        )
    })
}

/// Run a mutating call, retrying while Lambda reports a conflicting update in progress.
async fn with_conflict_retry<T, F, Fut>(
    clients: &Clients,
    name: &str,
    call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    retry_after_conflict(|| wait_updated(clients, name), call).await
}

/// Run `call`; while Lambda refuses it as conflicting (`ResourceConflictException`,
/// `ResourceInUseException`), wait with `settle` and try again, up to 5 times.
async fn retry_after_conflict<T, F, Fut, S, SF>(mut settle: S, mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
    S: FnMut() -> SF,
    SF: std::future::Future<Output = Result<(), AwsError>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(error) if error.kind == ErrorKind::Conflict && attempts < 5 => {
                attempts += 1;
                settle().await?;
            }
            other => return other,
        }
    }
}

pub async fn update_code(
    clients: &Clients,
    name: &str,
    code: &CodeInput,
    architecture: &str,
) -> Result<(), AwsError> {
    with_conflict_retry(clients, name, || async {
        let request = clients
            .lambda
            .update_function_code()
            .function_name(name)
            .architectures(Architecture::from(architecture));
        let request = match code {
            CodeInput::Zip(bytes) => request.zip_file(Blob::new(bytes.clone())),
            CodeInput::S3 {
                bucket,
                key,
                version,
            } => request
                .s3_bucket(bucket)
                .s3_key(key)
                .set_s3_object_version(version.clone()),
            CodeInput::Image(uri) => request.image_uri(uri),
        };
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("UpdateFunctionCode", e))
    })
    .await?;
    wait_updated(clients, name).await
}

pub async fn update_configuration(
    clients: &Clients,
    input: &FunctionInput,
) -> Result<(), AwsError> {
    // A changed role may not be assumable yet, like a new one.
    crate::aws::wait_out(clients, IAM_PROPAGATION_TIMEOUT, iam_not_propagated, || {
        send_update_configuration(clients, input)
    })
    .await
}

async fn send_update_configuration(
    clients: &Clients,
    input: &FunctionInput,
) -> Result<(), AwsError> {
    with_conflict_retry(clients, &input.name, || async {
        clients
            .lambda
            .update_function_configuration()
            .function_name(&input.name)
            .role(&input.role)
            .set_handler(input.handler.clone())
            .set_runtime(input.runtime.as_deref().map(Runtime::from))
            .memory_size(input.memory_size)
            .timeout(input.timeout)
            .set_ephemeral_storage(ephemeral(input.ephemeral_storage))
            .tracing_config(
                TracingConfig::builder()
                    .mode(TracingMode::from(input.tracing.as_str()))
                    .build(),
            )
            .description(&input.description)
            .set_layers(Some(input.layers.clone()))
            .environment(
                Environment::builder()
                    .set_variables(Some(input.environment.clone()))
                    .build(),
            )
            // An empty target removes the dead-letter configuration.
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .target_arn(input.dead_letter.clone().unwrap_or_default())
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("UpdateFunctionConfiguration", e))
    })
    .await?;
    wait_updated(clients, &input.name).await
}

pub async fn set_reserved_concurrency(
    clients: &Clients,
    name: &str,
    value: Option<i32>,
) -> Result<(), AwsError> {
    match value {
        Some(n) => clients
            .lambda
            .put_function_concurrency()
            .function_name(name)
            .reserved_concurrent_executions(n)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("PutFunctionConcurrency", e)),
        None => clients
            .lambda
            .delete_function_concurrency()
            .function_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DeleteFunctionConcurrency", e)),
    }
}

pub async fn tag(
    clients: &Clients,
    arn: &str,
    add: HashMap<String, String>,
    remove: Vec<String>,
) -> Result<(), AwsError> {
    if !add.is_empty() {
        clients
            .lambda
            .tag_resource()
            .resource(arn)
            .set_tags(Some(add))
            .send()
            .await
            .map_err(|e| classify("TagResource", e))?;
    }
    if !remove.is_empty() {
        clients
            .lambda
            .untag_resource()
            .resource(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| classify("UntagResource", e))?;
    }
    Ok(())
}

pub async fn delete_function(clients: &Clients, name: &str) -> Result<(), AwsError> {
    gone_is_done(
        clients
            .lambda
            .delete_function()
            .function_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DeleteFunction", e)),
    )
}

/// Settings of one trigger, resolved.
#[derive(Clone, Debug)]
pub struct TriggerInput {
    /// What the mapping invokes: the function's name, or `NAME:ALIAS` for an aliased function.
    pub function: String,
    pub queue_arn: String,
    pub batch_size: i32,
    pub maximum_batching_window: i32,
    pub report_batch_item_failures: bool,
    pub maximum_concurrency: Option<i32>,
    pub enabled: bool,
}

/// Create a trigger at most once (see `create_at_most_once`): AWS allows one mapping per queue
/// and function and answers a second with "already exists"; moto makes a second one.
pub async fn create_mapping(clients: &Clients, t: &TriggerInput) -> Result<(), AwsError> {
    let function = crate::kinds::desired::function_of_arn(&t.function).0;
    let create = || async {
        match send_create_mapping(clients, t).await {
            // An earlier attempt whose answer was lost made it: adopt it below.
            Err(e) if e.kind == ErrorKind::Conflict && e.message.contains("already exists") => {
                Err(AwsError::new(e.operation, ErrorKind::Other, e.message))
            }
            // The function is being updated: refused, nothing made; try again once it settles.
            Err(e) if e.kind == ErrorKind::Conflict => {
                wait_updated(clients, function).await?;
                Err(AwsError::new(e.operation, ErrorKind::Throttled, e.message))
            }
            other => other,
        }
    };
    let existing = || async {
        match find_mapping(clients, &t.function, &t.queue_arn).await? {
            Some(uuid) => update_mapping(clients, &uuid, t).await.map(Some),
            None => Ok(None),
        }
    };
    crate::aws::wait_out(clients, IAM_PROPAGATION_TIMEOUT, iam_not_propagated, || {
        crate::aws::create_at_most_once(create, existing)
    })
    .await
}

/// The mapping from `queue_arn` to `function`, if there is one.
async fn find_mapping(
    clients: &Clients,
    function: &str,
    queue_arn: &str,
) -> Result<Option<String>, AwsError> {
    let page = clients
        .lambda
        .list_event_source_mappings()
        .function_name(function)
        .event_source_arn(queue_arn)
        .send()
        .await
        .map_err(|e| classify("ListEventSourceMappings", e))?;
    Ok(page
        .event_source_mappings()
        .iter()
        .find_map(|m| m.uuid().map(str::to_string)))
}

async fn send_create_mapping(clients: &Clients, t: &TriggerInput) -> Result<(), AwsError> {
    clients
        .lambda
        .create_event_source_mapping()
        .function_name(&t.function)
        .event_source_arn(&t.queue_arn)
        .batch_size(t.batch_size)
        .maximum_batching_window_in_seconds(t.maximum_batching_window)
        .set_function_response_types(
            t.report_batch_item_failures
                .then(|| vec![FunctionResponseType::ReportBatchItemFailures]),
        )
        .set_scaling_config(
            t.maximum_concurrency
                .map(|n| ScalingConfig::builder().maximum_concurrency(n).build()),
        )
        .enabled(t.enabled)
        .customize()
        .config_override(
            aws_sdk_lambda::config::Builder::default()
                .retry_config(aws_smithy_types::retry::RetryConfig::disabled()),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify("CreateEventSourceMapping", e))
}

/// Update a trigger in place, including what it invokes: moving a mapping between `$LATEST` and
/// the alias is one UpdateEventSourceMapping, so the queue is never without a consumer nor
/// consumed twice.
pub async fn update_mapping(
    clients: &Clients,
    uuid: &str,
    t: &TriggerInput,
) -> Result<(), AwsError> {
    with_mapping_settled(clients, uuid, || async {
        clients
            .lambda
            .update_event_source_mapping()
            .uuid(uuid)
            .function_name(&t.function)
            .batch_size(t.batch_size)
            .maximum_batching_window_in_seconds(t.maximum_batching_window)
            // An empty list switches partial batch responses off.
            .set_function_response_types(Some(if t.report_batch_item_failures {
                vec![FunctionResponseType::ReportBatchItemFailures]
            } else {
                Vec::new()
            }))
            .set_scaling_config(Some(match t.maximum_concurrency {
                Some(n) => ScalingConfig::builder().maximum_concurrency(n).build(),
                None => ScalingConfig::builder().build(),
            }))
            .enabled(t.enabled)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("UpdateEventSourceMapping", e))
    })
    .await
}

pub async fn delete_mapping(clients: &Clients, uuid: &str) -> Result<(), AwsError> {
    gone_is_done(
        with_mapping_settled(clients, uuid, || async {
            clients
                .lambda
                .delete_event_source_mapping()
                .uuid(uuid)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("DeleteEventSourceMapping", e))
        })
        .await,
    )
}

/// How long a mapping may stay in `Creating`, `Updating`, `Enabling` or `Disabling`.
const MAPPING_SETTLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Run `call`; while Lambda refuses it because the mapping is in transition
/// (`ResourceInUseException`), wait for the mapping to settle and try again.
async fn with_mapping_settled<T, F, Fut>(
    clients: &Clients,
    uuid: &str,
    call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    retry_after_conflict(|| wait_mapping_settled(clients, uuid), call).await
}

/// Wait until a mapping is in a steady state (`Enabled` or `Disabled`), or gone.
pub async fn wait_mapping_settled(clients: &Clients, uuid: &str) -> Result<(), AwsError> {
    let deadline = tokio::time::Instant::now() + MAPPING_SETTLE_TIMEOUT;
    let mut delay = Duration::from_millis(500);
    let mut told = false;
    loop {
        let state = match clients
            .lambda
            .get_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
            .map_err(|e| classify("GetEventSourceMapping", e))
        {
            Ok(mapping) => mapping.state().unwrap_or("Enabled").to_string(),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if matches!(state.as_str(), "Enabled" | "Disabled") {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(AwsError::new(
                "wait for event source mapping",
                ErrorKind::Other,
                format!(
                    "mapping {uuid} stayed {state} for {} s",
                    MAPPING_SETTLE_TIMEOUT.as_secs()
                ),
            ));
        }
        if !told {
            clients.notify(&format!("waiting for trigger {uuid} to leave {state}"));
            told = true;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

// ---------------------------------------------------------------------------------------------
// Aliases, versions and provisioned concurrency. Aliases cannot be tagged: an alias slsctl
// manages carries `slsctl version=<digest>` in its description, the digest of the configuration
// its version was published from (see `plan::desired::version_digest`).

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
    let mut out = Vec::new();
    let mut pages = clients
        .lambda
        .list_aliases()
        .function_name(function)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                let error = classify("ListAliases", e);
                return if error.kind == ErrorKind::NotFound {
                    Ok(out)
                } else {
                    Err(error)
                };
            }
        };
        out.extend(page.aliases().iter().cloned());
    }
    Ok(out)
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
            let error = classify("GetProvisionedConcurrencyConfig", e);
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
                .map(|_| ())
                .map_err(|e| classify("PutProvisionedConcurrencyConfig", e)),
            None => gone_is_done(
                clients
                    .lambda
                    .delete_provisioned_concurrency_config()
                    .function_name(function)
                    .qualifier(alias)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify("DeleteProvisionedConcurrencyConfig", e)),
            ),
        }
    })
    .await
}

/// Publish the function's current code and configuration as a version; returns its number.
pub async fn publish_version(clients: &Clients, function: &str) -> Result<String, AwsError> {
    let version = with_conflict_retry(clients, function, || async {
        clients
            .lambda
            .publish_version()
            .function_name(function)
            .send()
            .await
            .map(|o| o.version().unwrap_or_default().to_string())
            .map_err(|e| classify("PublishVersion", e))
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
            .map(|_| ())
            .map_err(|e| classify("UpdateAlias", e))
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
        .map(|_| ())
        .map_err(|e| classify("CreateAlias", e));
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
    let live = found_or_none(
        clients
            .lambda
            .get_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
            .map_err(|e| classify("GetAlias", e)),
    )?;
    Ok(live
        .and_then(|a| a.description().map(|d| d.starts_with(ALIAS_MARKER)))
        .unwrap_or(false))
}

pub async fn delete_alias(clients: &Clients, function: &str, alias: &str) -> Result<(), AwsError> {
    gone_is_done(
        clients
            .lambda
            .delete_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DeleteAlias", e)),
    )
}

// ---------------------------------------------------------------------------------------------
// Resource-based permissions (who may invoke the function). slsctl's statements have ids that
// start with `slsctl-`; the others are left alone.

/// slsctl's permission statements on a function, as `permissions[<sid>]` props.
/// `qualifier` reads the policy of that alias instead of the function's own; the statements
/// found there carry it as `qualifier`.
pub async fn get_permissions(
    clients: &Clients,
    function: &str,
    qualifier: Option<&str>,
    ours: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Props, AwsError> {
    let policy = match clients
        .lambda
        .get_policy()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_string))
        .send()
        .await
    {
        Ok(output) => output.policy().map(str::to_string),
        Err(e) => {
            let error = classify("GetPolicy", e);
            if error.kind == ErrorKind::NotFound {
                None
            } else {
                return Err(error);
            }
        }
    };
    let parsed: Value = policy
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    let mut props = Props::new();
    for statement in parsed
        .get("Statement")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let Some(sid) = statement
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| ours(s))
        else {
            continue;
        };
        let principal = match statement.get("Principal") {
            Some(Value::Object(p)) => p
                .get("Service")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Some(Value::String(p)) => p.clone(),
            _ => String::new(),
        };
        let action = match statement.get("Action") {
            Some(Value::Array(a)) => a
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Some(Value::String(a)) => a.clone(),
            _ => String::new(),
        };
        let source = statement
            .get("Condition")
            .and_then(|c| c.get("ArnLike").or_else(|| c.get("ArnEquals")))
            .and_then(|c| c.get("AWS:SourceArn").or_else(|| c.get("aws:SourceArn")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut value = json!({"action": action, "principal": principal, "sourceArn": source});
        if let Some(alias) = qualifier {
            value["qualifier"] = json!(alias);
        }
        props.insert(format!("permissions[{sid}]"), FieldValue::known(value));
    }
    Ok(props)
}

pub async fn add_permission(
    clients: &Clients,
    function: &str,
    sid: &str,
    value: &Value,
) -> Result<(), AwsError> {
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let qualifier = value.get("qualifier").and_then(Value::as_str);
    with_conflict_retry(clients, function, || async {
        let added = clients
            .lambda
            .add_permission()
            .function_name(function)
            .statement_id(sid)
            .set_qualifier(qualifier.map(str::to_string))
            .action(text("action"))
            .principal(text("principal"))
            .source_arn(text("sourceArn"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("AddPermission", e));
        match added {
            // The statement id is taken: after a lost answer, by the first attempt. The same
            // statement is success; another one under slsctl's id is not retried as a conflict.
            Err(error) if error.already_exists() => {
                let ours = |s: &str| s == sid;
                let live = get_permissions(clients, function, qualifier, &ours).await?;
                let mut wanted = value.clone();
                if let Some(object) = wanted.as_object_mut() {
                    object.retain(|k, _| {
                        ["action", "principal", "sourceArn", "qualifier"].contains(&k.as_str())
                    });
                }
                if live.get(&format!("permissions[{sid}]")) == Some(&FieldValue::known(wanted)) {
                    Ok(())
                } else {
                    Err(AwsError {
                        kind: ErrorKind::Validation,
                        ..error
                    })
                }
            }
            other => other,
        }
    })
    .await
}

pub async fn remove_permission(
    clients: &Clients,
    function: &str,
    sid: &str,
    qualifier: Option<&str>,
) -> Result<(), AwsError> {
    gone_is_done(
        clients
            .lambda
            .remove_permission()
            .function_name(function)
            .statement_id(sid)
            .set_qualifier(qualifier.map(str::to_string))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("RemovePermission", e)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validation budgets a layer's description with the marker's length; it must be the
    /// marker this module writes.
    #[test]
    fn validation_knows_the_layer_marker_length() {
        let marker = layer_description("", "orders", "Layer/shared-libs", &"a".repeat(64));
        assert_eq!(
            marker.len(),
            crate::spec::validate::layer_marker_len("orders", "shared-libs")
        );
        assert_eq!(
            layer_description("libs", "orders", "Layer/shared-libs", &"a".repeat(64)).len(),
            marker.len() + "libs ".len()
        );
    }
}
