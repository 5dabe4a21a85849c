//! API Gateway REST APIs: the API, the resource tree derived from the route paths, methods with
//! Lambda proxy integrations, deployments and the stage.
//!
//! A new deployment is made only when the routes change: the deployment's description carries
//! the digest of the routes it was made from. API Gateway's control plane allows 10 requests/s
//! (burst 40) and one CreateDeployment per 5 s; both are enforced client-side.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, IntegrationType, Op, PatchOperation, RestApi,
};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified};
use crate::aws::{all_items, Clients};
use crate::kinds::context::{apply_tags, insert_tag_props, tag_map, TagChange};
use crate::plan::{Props, SetProp};

/// The marker in a deployment's description.
const DEPLOYMENT_MARKER: &str = "slsctl routes=";

/// A REST API as listed by GetRestApis.
#[derive(Clone, Debug)]
pub struct LiveApi {
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub props: Props,
    /// Path → resource id.
    pub resources: BTreeMap<String, String>,
}

/// All REST APIs of the account and region (500 a page, tags included).
pub async fn list(clients: &Clients) -> Result<Vec<LiveApi>, AwsError> {
    let apis = all_items!(clients.apigateway.get_rest_apis().limit(500))?;
    Ok(apis.iter().map(live_api).collect())
}

fn live_api(api: &RestApi) -> LiveApi {
    let mut props = Props::new();
    props.set("description", api.description().unwrap_or_default());
    let endpoint = api
        .endpoint_configuration()
        .and_then(|e| e.types().first())
        .map_or("EDGE", |t| t.as_str());
    props.set("endpointType", endpoint);
    let tags = tag_map(api.tags());
    insert_tag_props(&mut props, &tags);
    LiveApi {
        id: api.id().unwrap_or_default().to_string(),
        name: api.name().unwrap_or_default().to_string(),
        tags,
        props,
        resources: BTreeMap::new(),
    }
}

/// The Lambda function ARN inside a proxy integration URI.
fn function_of(uri: &str) -> Option<&str> {
    uri.split_once("/functions/")?
        .1
        .strip_suffix("/invocations")
}

pub fn integration_uri(region: &str, function_arn: &str) -> String {
    // The integration lives in the function's partition (its ARN's second field).
    let partition = function_arn.split(':').nth(1).unwrap_or("aws");
    format!(
        "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// Read the routes, the resource tree and the stage of an API into its props.
pub async fn describe(clients: &Clients, api: &mut LiveApi, stage: &str) -> Result<(), AwsError> {
    let resources = all_items!(clients
        .apigateway
        .get_resources()
        .rest_api_id(&api.id)
        .embed("methods")
        .limit(500))?;
    for resource in resources {
        let path = resource.path().unwrap_or("/").to_string();
        api.resources
            .insert(path.clone(), resource.id().unwrap_or_default().to_string());
        for (method, details) in resource.resource_methods().into_iter().flatten() {
            let target = details
                .method_integration()
                .and_then(|i| i.uri())
                .and_then(function_of)
                .unwrap_or_default();
            api.props.set(format!("routes[{method} {path}]"), target);
        }
    }
    let stages = clients
        .apigateway
        .get_stages()
        .rest_api_id(&api.id)
        .send()
        .await
        .classified()?;
    let Some(live) = stages.item().iter().find(|s| s.stage_name() == Some(stage)) else {
        return Ok(());
    };
    api.props.set("stage.name", stage);
    api.props.set("stage.tracing", live.tracing_enabled());
    if let Some(setting) = live.method_settings().and_then(|m| m.get("*/*")) {
        api.props.set("stage.throttling", json!({"rateLimit": setting.throttling_rate_limit(), "burstLimit": setting.throttling_burst_limit()}));
    }
    if let Some(deployment) = live.deployment_id() {
        let deployed = clients
            .apigateway
            .get_deployment()
            .rest_api_id(&api.id)
            .deployment_id(deployment)
            .send()
            .await
            .classified()?;
        let digest = deployed
            .description()
            .and_then(|d| d.strip_prefix(DEPLOYMENT_MARKER))
            .unwrap_or_default();
        api.props.set("stage.deployment", digest);
    }
    Ok(())
}

pub async fn create(
    clients: &Clients,
    name: &str,
    description: &str,
    endpoint: &str,
    tags: HashMap<String, String>,
) -> Result<String, AwsError> {
    // A REST API has no unique name: a retry after a lost answer would make a second one.
    let create = || async {
        let output = clients
            .apigateway
            .create_rest_api()
            .name(name)
            .description(description)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::from(endpoint))
                    .build(),
            )
            .set_tags(Some(tags.clone()))
            .customize()
            .config_override(crate::aws::apigateway_without_retries())
            .send()
            .await
            .classified()?;
        Ok(output.id().unwrap_or_default().to_string())
    };
    let existing = || find_created(clients, name, &tags);
    crate::aws::create_at_most_once(create, existing).await
}

/// The API an earlier attempt made: this name, with exactly these ownership tags.
async fn find_created(
    clients: &Clients,
    name: &str,
    tags: &HashMap<String, String>,
) -> Result<Option<String>, AwsError> {
    if !tags.contains_key(crate::kinds::desired::TAG_STACK) {
        return Ok(None); // nothing to recognise ours by, and no listing needed
    }
    let ours =
        |api: &LiveApi| api.name == name && crate::kinds::desired::same_owner(&api.tags, tags);
    Ok(list(clients)
        .await?
        .into_iter()
        .find(ours)
        .map(|api| api.id))
}

pub(crate) fn patch(path: &str, value: String) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

pub async fn set_description(
    clients: &Clients,
    id: &str,
    description: &str,
) -> Result<(), AwsError> {
    clients
        .apigateway
        .update_rest_api()
        .rest_api_id(id)
        .patch_operations(patch("/description", description.to_string()))
        .send()
        .await
        .done()
}

/// Make sure every path of `paths` exists, parents first; returns path → resource id.
pub async fn ensure_resources(
    clients: &Clients,
    id: &str,
    existing: &BTreeMap<String, String>,
    paths: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut resources = existing.clone();
    if !resources.contains_key("/") {
        let page = clients
            .apigateway
            .get_resources()
            .rest_api_id(id)
            .send()
            .await
            .classified()?;
        for r in page.items() {
            resources.insert(
                r.path().unwrap_or("/").to_string(),
                r.id().unwrap_or_default().to_string(),
            );
        }
    }
    for path in paths {
        let mut current = String::new();
        for part in path
            .trim_start_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
        {
            let parent = if current.is_empty() {
                "/".to_string()
            } else {
                current.clone()
            };
            current = format!("{current}/{part}");
            if resources.contains_key(&current) {
                continue;
            }
            let parent_id = resources.get(&parent).cloned().unwrap_or_default();
            // At most once: after a lost answer the API's resources are read before trying
            // again (AWS refuses a second resource of the same path with a conflict, the
            // emulator makes one; see `create_at_most_once`).
            let create = || async {
                clients
                    .apigateway
                    .create_resource()
                    .rest_api_id(id)
                    .parent_id(&parent_id)
                    .path_part(part)
                    .customize()
                    .config_override(crate::aws::apigateway_without_retries())
                    .send()
                    .await
                    .map(|created| created.id().unwrap_or_default().to_string())
                    .classified()
            };
            let existing = || async { Ok(resource_ids(clients, id).await?.remove(&current)) };
            let created = crate::aws::create_at_most_once(create, existing).await?;
            resources.insert(current.clone(), created);
        }
    }
    Ok(resources)
}

/// Every resource of the API: path → resource id.
async fn resource_ids(clients: &Clients, id: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let page = clients
        .apigateway
        .get_resources()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .classified()?;
    Ok(page
        .items()
        .iter()
        .map(|r| {
            (
                r.path().unwrap_or("/").to_string(),
                r.id().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// A method with a Lambda proxy integration on a resource.
pub async fn put_route(
    clients: &Clients,
    id: &str,
    resource: &str,
    method: &str,
    uri: &str,
    exists: bool,
) -> Result<(), AwsError> {
    if !exists {
        let put = clients
            .apigateway
            .put_method()
            .rest_api_id(id)
            .resource_id(resource)
            .http_method(method)
            .authorization_type("NONE")
            .send()
            .await
            .classified();
        match put {
            // A retry after a lost answer: the method is there, on this stack's own API; the
            // integration below is what makes it this route's.
            Err(error) if error.already_exists() => {}
            other => {
                other?;
            }
        }
    }
    clients
        .apigateway
        .put_integration()
        .rest_api_id(id)
        .resource_id(resource)
        .http_method(method)
        .r#type(IntegrationType::AwsProxy)
        // Lambda is always invoked with POST, whatever the route's method.
        .integration_http_method("POST")
        .uri(uri)
        .send()
        .await
        .done()
}

pub async fn delete_route(
    clients: &Clients,
    id: &str,
    resource: &str,
    method: &str,
) -> Result<(), AwsError> {
    clients
        .apigateway
        .delete_method()
        .rest_api_id(id)
        .resource_id(resource)
        .http_method(method)
        .send()
        .await
        .done_or_gone()
}

/// Deploy the API to the stage (creating the stage if needed), recording the routes' digest.
///
/// At most once: API Gateway makes a new deployment for every CreateDeployment, so after a lost
/// answer the stage is read first; a stage already serving a deployment marked with this
/// digest is that first attempt's work (see `create_at_most_once`).
pub async fn deploy(
    clients: &Clients,
    id: &str,
    stage: &str,
    digest: &str,
) -> Result<(), AwsError> {
    let description = format!("{DEPLOYMENT_MARKER}{digest}");
    let create = || async {
        clients
            .apigateway
            .create_deployment()
            .rest_api_id(id)
            .stage_name(stage)
            .description(&description)
            .customize()
            .config_override(crate::aws::apigateway_without_retries())
            .send()
            .await
            .done()
    };
    let existing = || async {
        Ok(stage_deployment_description(clients, id, stage)
            .await?
            .filter(|served| *served == description)
            .map(|_| ()))
    };
    crate::aws::create_at_most_once(create, existing).await
}

/// The description of the deployment `stage` serves; None when there is no such stage (yet).
async fn stage_deployment_description(
    clients: &Clients,
    id: &str,
    stage: &str,
) -> Result<Option<String>, AwsError> {
    let live = clients
        .apigateway
        .get_stage()
        .rest_api_id(id)
        .stage_name(stage)
        .send()
        .await
        .found()?;
    let Some(deployment) = live.as_ref().and_then(|s| s.deployment_id()) else {
        return Ok(None);
    };
    let deployed = clients
        .apigateway
        .get_deployment()
        .rest_api_id(id)
        .deployment_id(deployment)
        .send()
        .await
        .classified()?;
    Ok(deployed.description().map(str::to_string))
}

/// Stage settings: throttling for every method (`*/*`) and X-Ray tracing. `throttled_now` says
/// whether the stage has `*/*` settings today: AWS refuses (`BadRequestException`) to remove
/// method settings that do not exist, so they are removed only when they do.
pub async fn update_stage(
    clients: &Clients,
    id: &str,
    stage: &str,
    throttling: Option<&Value>,
    throttled_now: bool,
    tracing: bool,
) -> Result<(), AwsError> {
    let mut operations = vec![patch("/tracingEnabled", tracing.to_string())];
    match throttling {
        Some(t) => {
            operations.push(patch(
                "/*/*/throttling/rateLimit",
                t["rateLimit"].to_string(),
            ));
            operations.push(patch(
                "/*/*/throttling/burstLimit",
                t["burstLimit"].to_string(),
            ));
        }
        None if !throttled_now => {}
        // Removing the `*/*` settings returns the stage to the account's limits.
        None => operations.push(
            PatchOperation::builder()
                .op(Op::Remove)
                .path("/*/*")
                .build(),
        ),
    }
    clients
        .apigateway
        .update_stage()
        .rest_api_id(id)
        .stage_name(stage)
        .set_patch_operations(Some(operations))
        .send()
        .await
        .done()
}

pub async fn delete(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .apigateway
        .delete_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .done_or_gone()
}

pub async fn tag(
    clients: &Clients,
    partition: &str,
    region: &str,
    id: &str,
    change: TagChange,
) -> Result<(), AwsError> {
    let arn = format!("arn:{partition}:apigateway:{region}::/restapis/{id}");
    tag_arn(clients, &arn, change).await
}

/// Tag changes (see [`TagChange::apply`]).
async fn tag_arn(clients: &Clients, resource: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change,
        clients.apigateway,
        tag_resource / untag_resource,
        resource_arn(resource)
    )
}

// ---------------------------------------------------------------------------------------------
// Custom domains. A domain name is its own AWS resource, created with the tags of the API it
// serves, and found again by those tags in one account-wide listing.

/// A custom domain as listed: its name, certificate and tags.
#[derive(Clone, Debug)]
pub struct LiveDomain {
    pub name: String,
    pub certificate: String,
    pub tags: BTreeMap<String, String>,
}

/// Every custom domain of the account and region (500 a page, tags included).
pub async fn list_domains(clients: &Clients) -> Result<Vec<LiveDomain>, AwsError> {
    let domains = all_items!(clients.apigateway.get_domain_names().limit(500))?;
    Ok(domains
        .iter()
        .map(|domain| LiveDomain {
            name: domain.domain_name().unwrap_or_default().to_string(),
            certificate: domain
                .regional_certificate_arn()
                .or(domain.certificate_arn())
                .unwrap_or_default()
                .to_string(),
            tags: tag_map(domain.tags()),
        })
        .collect())
}

/// The API's domain as one JSON value: name, certificate, base path (`(none)` for the root), and
/// `foreign: true` when the domain exists without this API's tags (slsctl will not touch it).
pub async fn describe_domain(
    clients: &Clients,
    domain: &LiveDomain,
    api_id: &str,
    ours: bool,
) -> Result<Value, AwsError> {
    let mappings = clients
        .apigateway
        .get_base_path_mappings()
        .domain_name(&domain.name)
        .send()
        .await
        .classified()?;
    let base_path = mappings
        .items()
        .iter()
        .find(|m| m.rest_api_id() == Some(api_id))
        .and_then(|m| m.base_path())
        .map(str::to_string);
    let mut value =
        json!({"name": domain.name, "certificateArn": domain.certificate, "basePath": base_path});
    if !ours {
        value["foreign"] = json!(true);
    }
    Ok(value)
}
