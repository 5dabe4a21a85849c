//! Lambda calls for a function itself: read it back, create, update, tag and delete it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    ApplicationLogLevel, Architecture, DeadLetterConfig, Environment, EphemeralStorage,
    FunctionCode, FunctionConfiguration, LogFormat, LoggingConfig, PackageType, Runtime,
    SystemLogLevel, TracingConfig, TracingMode,
};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::Clients;
use crate::kinds::context::{apply_tags, insert_tag_props, tag_map, waited, TagChange};
use crate::plan::{Props, SetProp};

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
    /// Where Lambda's copy of a zip package can be downloaded (a presigned URL, valid for
    /// minutes), for `import live`.
    pub code_location: Option<String>,
    /// What the function has that the spec cannot say (a VPC, file systems, its own KMS key,
    /// SnapStart), for `import live` to list: slsctl leaves it as it is.
    pub unmodelled: Vec<String>,
}

pub async fn get_function(clients: &Clients, name: &str) -> Result<Option<LiveFunction>, AwsError> {
    let Some(output) = clients
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .found()?
    else {
        return Ok(None);
    };
    let Some(configuration) = output.configuration() else {
        return Ok(None);
    };
    let tags = tag_map(output.tags());
    let reserved = output
        .concurrency()
        .and_then(|c| c.reserved_concurrent_executions());
    let image_uri = output
        .code()
        .and_then(|c| c.image_uri())
        .map(str::to_string);
    let code_location = output.code().and_then(|c| c.location()).map(str::to_string);
    let props = function_props(configuration, &tags, reserved, image_uri);
    let c = configuration;
    let mut unmodelled = Vec::new();
    if c.vpc_config().is_some_and(|v| !v.subnet_ids().is_empty()) {
        unmodelled.push("VpcConfig (it runs in a VPC)".to_string());
    }
    if !c.file_system_configs().is_empty() {
        unmodelled.push("FileSystemConfigs (EFS)".to_string());
    }
    if c.kms_key_arn().is_some() {
        unmodelled.push("KMSKeyArn (its environment's own key)".to_string());
    }
    if c.snap_start()
        .and_then(|s| s.apply_on())
        .is_some_and(|a| a.as_str() != "None")
    {
        unmodelled.push("SnapStart".to_string());
    }
    if c.image_config_response().is_some() {
        unmodelled.push("ImageConfig (entry point, command, working directory)".to_string());
    }
    Ok(Some(LiveFunction {
        unmodelled,
        name: configuration.function_name().unwrap_or(name).to_string(),
        arn: configuration.function_arn().unwrap_or_default().to_string(),
        tags,
        props,
        code_location,
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
    props.set("packageType", if image { "Image" } else { "Zip" });
    if !image {
        if let Some(handler) = c.handler() {
            props.set("handler", handler);
        }
        if let Some(runtime) = c.runtime() {
            props.set("runtime", runtime.as_str());
        }
    }
    props.set("role", c.role().unwrap_or_default());
    props.set("memorySize", c.memory_size().unwrap_or(128));
    props.set("timeout", c.timeout().unwrap_or(3));
    let architecture = c
        .architectures()
        .first()
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|| "x86_64".into());
    props.set("architecture", architecture);
    props.set(
        "ephemeralStorage",
        c.ephemeral_storage().map_or(512, |e| e.size()),
    );
    let tracing = c
        .tracing_config()
        .and_then(|t| t.mode())
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "PassThrough".into());
    props.set("tracing", tracing);
    props.set("description", c.description().unwrap_or_default());
    if image {
        props.set("code.imageUri", image_uri.unwrap_or_default());
    } else if let Some(source) = tags.get(TAG_CODE_SOURCE) {
        props.set("code.s3", source.clone());
    } else {
        props.set("code.sha256", c.code_sha256().unwrap_or_default());
    }
    let layers: Vec<Value> = c
        .layers()
        .iter()
        .filter_map(|l| l.arn())
        .map(|a| json!(a))
        .collect();
    if !layers.is_empty() {
        props.set("layers", Value::Array(layers));
    }
    if let Some(variables) = c.environment().and_then(|e| e.variables()) {
        for (key, value) in variables {
            props.set(format!("environment.{key}"), value.clone());
        }
    }
    if let Some(n) = reserved {
        props.set("reservedConcurrency", n);
    }
    if let Some(target) = c.dead_letter_config().and_then(|d| d.target_arn()) {
        props.set("deadLetter", target);
    }
    logging_props(c, &mut props);
    // The code-source tag is slsctl's record of the code (`code.s3`), not a tag of the spec.
    insert_tag_props(
        &mut props,
        tags.iter().filter(|(k, _)| *k != TAG_CODE_SOURCE),
    );
    props
}

/// The logging configuration, Lambda's defaults filled in: no LoggingConfig at all (moto keeps
/// none) is Text to `/aws/lambda/<name>`; with JSON, an unset level is `INFO`, as AWS reports it.
/// Levels are read only with JSON, where Lambda applies them.
fn logging_props(c: &FunctionConfiguration, props: &mut Props) {
    let logging = c.logging_config();
    let format = logging
        .and_then(|l| l.log_format())
        .map_or("Text", |f| f.as_str());
    props.set("logging.format", format);
    if format == LogFormat::Json.as_str() {
        let application = logging
            .and_then(|l| l.application_log_level())
            .map_or("INFO", |l| l.as_str());
        let system = logging
            .and_then(|l| l.system_log_level())
            .map_or("INFO", |l| l.as_str());
        props.set("logging.applicationLogLevel", application);
        props.set("logging.systemLogLevel", system);
    }
    let group = logging
        .and_then(|l| l.log_group())
        .map(str::to_string)
        .unwrap_or_else(|| {
            super::derive::default_log_group_name(c.function_name().unwrap_or_default())
        });
    props.set("logging.logGroup", group);
}

/// The LoggingConfig to send: always whole, so that a level or a group the spec dropped goes
/// back to Lambda's default; levels only with JSON (Lambda refuses them with Text).
fn logging_config(input: &FunctionInput) -> LoggingConfig {
    let json = input.log_format == LogFormat::Json.as_str();
    LoggingConfig::builder()
        .log_format(LogFormat::from(input.log_format.as_str()))
        .set_application_log_level(
            input
                .application_log_level
                .as_deref()
                .filter(|_| json)
                .map(ApplicationLogLevel::from),
        )
        .set_system_log_level(
            input
                .system_log_level
                .as_deref()
                .filter(|_| json)
                .map(SystemLogLevel::from),
        )
        .log_group(&input.log_group)
        .build()
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
    /// `Text` or `JSON`, the levels (JSON only) and the group the logs go to.
    pub log_format: String,
    pub application_log_level: Option<String>,
    pub system_log_level: Option<String>,
    pub log_group: String,
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
pub(super) const IAM_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

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

/// The configuration CreateFunction and UpdateFunctionConfiguration both carry, set alike on
/// either call's builder (two SDK types with the same setters, hence a macro).
macro_rules! with_configuration {
    ($builder:expr, $input:expr) => {
        $builder
            .set_handler($input.handler.clone())
            .set_runtime($input.runtime.as_deref().map(Runtime::from))
            .memory_size($input.memory_size)
            .timeout($input.timeout)
            .set_ephemeral_storage(ephemeral($input.ephemeral_storage))
            .tracing_config(
                TracingConfig::builder()
                    .mode(TracingMode::from($input.tracing.as_str()))
                    .build(),
            )
            .description(&$input.description)
            .set_layers(Some($input.layers.clone()))
            .environment(
                Environment::builder()
                    .set_variables(Some($input.environment.clone()))
                    .build(),
            )
            .logging_config(logging_config($input))
    };
}

async fn send_create_function(
    clients: &Clients,
    input: &FunctionInput,
) -> Result<String, AwsError> {
    let image = input.package_type == "Image";
    // One chain from the client to `send()`: tests/deploy.rs reads the calls off the source.
    with_configuration!(
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
            .architectures(Architecture::from(input.architecture.as_str())),
        input
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
    .classified()
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
    let wait = clients
        .lambda
        .wait_until_function_active_v2()
        .function_name(name)
        .wait(SETTLE_TIMEOUT);
    waited("wait for function Active", wait).await.map(|_| ())
}

/// Wait until a previous update has finished (`LastUpdateStatus` no longer `InProgress`):
/// Lambda refuses a second change while one is running (ResourceConflictException).
pub async fn wait_updated(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let wait = clients
        .lambda
        .wait_until_function_updated_v2()
        .function_name(name)
        .wait(SETTLE_TIMEOUT);
    waited("wait for function update", wait).await.map(|_| ())
}

/// Run a mutating call, retrying while Lambda reports a conflicting update in progress.
pub(crate) async fn with_conflict_retry<T, F, Fut>(
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
pub(super) async fn retry_after_conflict<T, F, Fut, S, SF>(
    mut settle: S,
    mut call: F,
) -> Result<T, AwsError>
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
        request.send().await.done()
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
        with_configuration!(
            clients
                .lambda
                .update_function_configuration()
                .function_name(&input.name)
                .role(&input.role),
            input
        )
        // An empty target removes the dead-letter configuration.
        .dead_letter_config(
            DeadLetterConfig::builder()
                .target_arn(input.dead_letter.clone().unwrap_or_default())
                .build(),
        )
        .send()
        .await
        .done()
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
            .done(),
        None => clients
            .lambda
            .delete_function_concurrency()
            .function_name(name)
            .send()
            .await
            .done(),
    }
}

/// Tag changes (see [`TagChange::apply`]).
pub async fn tag(clients: &Clients, resource: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change,
        clients.lambda,
        tag_resource / untag_resource,
        resource(resource)
    )
}

pub async fn delete_function(clients: &Clients, name: &str) -> Result<(), AwsError> {
    clients
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await
        .done_or_gone()
}
