//! The Lambda calls of `slsctl tune`: read the function, set its memory, publish a version,
//! point the temporary alias at it, invoke it, and take it all down again.

use std::collections::BTreeMap;

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::Clients;
use crate::kinds::context::{int, text, waited};
use crate::kinds::function::aliases::publish_version;
use crate::kinds::function::aws::{get_function, wait_updated, with_conflict_retry};
use crate::model::Architecture;

/// How long a published version may take to become invocable.
const VERSION_ACTIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// What tuning needs of the live function.
#[derive(Clone, Debug)]
pub struct LiveFunction {
    pub memory_mb: u32,
    pub architecture: Architecture,
    pub ephemeral_storage_mb: u32,
    pub tags: BTreeMap<String, String>,
}

/// The function as the engine reads it (`function::aws::get_function`, Lambda's defaults filled
/// in where the answer leaves a field out), reduced to what tuning needs.
pub async fn read_function(
    clients: &Clients,
    name: &str,
) -> Result<Option<LiveFunction>, AwsError> {
    let Some(live) = get_function(clients, name).await? else {
        return Ok(None);
    };
    let size = |field: &str, default: u32| {
        int(&live.props, field)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(default)
    };
    let architecture = match text(&live.props, "architecture").as_deref() {
        Some("arm64") => Architecture::Arm64,
        _ => Architecture::X86_64,
    };
    Ok(Some(LiveFunction {
        memory_mb: size("memorySize", 128),
        architecture,
        ephemeral_storage_mb: size("ephemeralStorage", 512),
        tags: live.tags,
    }))
}

/// Set `$LATEST`'s memory and wait until the update has finished (`LastUpdateStatus`
/// `Successful`): Lambda refuses the next change, and publishes nothing new, before that. A
/// change still in progress (ResourceConflictException) is waited out and retried.
pub async fn set_memory(clients: &Clients, name: &str, memory_mb: u32) -> Result<(), AwsError> {
    let memory = i32::try_from(memory_mb).unwrap_or(i32::MAX);
    with_conflict_retry(clients, name, || async {
        clients
            .lambda
            .update_function_configuration()
            .function_name(name)
            .memory_size(memory)
            .send()
            .await
            .done()
    })
    .await?;
    wait_updated(clients, name).await
}

/// The numbered versions of the function with their descriptions.
pub async fn versions(clients: &Clients, name: &str) -> Result<Vec<(u64, String)>, AwsError> {
    crate::kinds::function::versions::published_versions(clients, name).await
}

/// Publish `$LATEST` as a version with `description`; returns its number. Lambda answers with
/// the existing version when nothing changed since it was published: the caller tells its own
/// versions from older ones by the number.
pub async fn publish(clients: &Clients, name: &str, description: &str) -> Result<u64, AwsError> {
    let version = publish_version(clients, name, Some(description)).await?;
    version.parse::<u64>().map_err(|_| {
        AwsError::new(
            "PublishVersion",
            ErrorKind::Other,
            format!("Lambda answered version `{version}`, not a number"),
        )
    })
}

/// Wait until the published version is `Active`: a version of a SnapStart function stays
/// `Pending` while its snapshot is taken, and cannot be invoked before.
pub async fn wait_version_active(
    clients: &Clients,
    name: &str,
    version: u64,
) -> Result<(), AwsError> {
    let wait = clients
        .lambda
        .wait_until_function_active_v2()
        .function_name(name)
        .qualifier(version.to_string())
        .wait(VERSION_ACTIVE_TIMEOUT);
    waited("wait for the version to be Active", wait)
        .await
        .map(|_| ())
}

/// The description of the alias, when it exists.
pub async fn alias_description(
    clients: &Clients,
    name: &str,
    alias: &str,
) -> Result<Option<String>, AwsError> {
    Ok(clients
        .lambda
        .get_alias()
        .function_name(name)
        .name(alias)
        .send()
        .await
        .found()?
        .map(|a| a.description().unwrap_or_default().to_string()))
}

pub async fn create_alias(
    clients: &Clients,
    name: &str,
    alias: &str,
    version: u64,
    description: &str,
) -> Result<(), AwsError> {
    clients
        .lambda
        .create_alias()
        .function_name(name)
        .name(alias)
        .function_version(version.to_string())
        .description(description)
        .send()
        .await
        .done()
}

pub async fn move_alias(
    clients: &Clients,
    name: &str,
    alias: &str,
    version: u64,
) -> Result<(), AwsError> {
    clients
        .lambda
        .update_alias()
        .function_name(name)
        .name(alias)
        .function_version(version.to_string())
        .send()
        .await
        .done()
}

pub async fn delete_alias(clients: &Clients, name: &str, alias: &str) -> Result<(), AwsError> {
    crate::kinds::function::aliases::delete_alias(clients, name, alias).await
}

pub async fn delete_version(clients: &Clients, name: &str, version: u64) -> Result<(), AwsError> {
    crate::kinds::function::versions::delete_version(clients, name, version).await
}

/// What one synchronous invocation answered.
#[derive(Clone, Debug)]
pub struct Invoked {
    /// `Unhandled` or `Handled` when the function failed.
    pub function_error: Option<String>,
    /// The base64 tail of the invocation's log.
    pub log_result: Option<String>,
    /// The function's answer (its error document when it failed).
    pub payload: Vec<u8>,
}

/// Invoke the alias synchronously with the log tail.
pub async fn invoke(
    clients: &Clients,
    name: &str,
    alias: &str,
    payload: &[u8],
) -> Result<Invoked, AwsError> {
    let output = clients
        .lambda
        .invoke()
        .function_name(name)
        .qualifier(alias)
        .log_type(LogType::Tail)
        .payload(Blob::new(payload.to_vec()))
        .send()
        .await
        .classified()?;
    Ok(Invoked {
        function_error: output.function_error().map(str::to_string),
        log_result: output.log_result().map(str::to_string),
        payload: output
            .payload()
            .map(|p| p.as_ref().to_vec())
            .unwrap_or_default(),
    })
}
