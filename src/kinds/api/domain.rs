//! API Gateway calls that change a custom domain and its base-path mapping (the account-wide
//! listing that finds them again by their tags is in `aws.rs`).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};

use super::aws::patch;
use crate::aws::error::{AwsError, Classified};
use crate::aws::Clients;
use crate::kinds::context::tag_map;

pub async fn create_domain(
    clients: &Clients,
    name: &str,
    certificate: &str,
    endpoint: &str,
    tags: HashMap<String, String>,
) -> Result<(), AwsError> {
    let request = clients
        .apigateway
        .create_domain_name()
        .domain_name(name)
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::from(endpoint))
                .build(),
        )
        .set_tags(Some(tags.clone()));
    // Regional endpoints take a certificate of their region; edge ones one of us-east-1.
    let request = if endpoint == "EDGE" {
        request.certificate_arn(certificate)
    } else {
        request.regional_certificate_arn(certificate)
    };
    let created = request.send().await.done();
    match created {
        // The SDK's retry of a create whose answer was lost: a domain with this stack's
        // ownership tags is that first attempt's.
        Err(error) if error.already_exists() => match domain_tags(clients, name).await? {
            Some(live) if crate::kinds::desired::same_owner(&live, &tags) => Ok(()),
            _ => Err(error),
        },
        other => other,
    }
}

pub async fn set_domain_certificate(
    clients: &Clients,
    name: &str,
    certificate: &str,
    endpoint: &str,
) -> Result<(), AwsError> {
    let path = if endpoint == "EDGE" {
        "/certificateArn"
    } else {
        "/regionalCertificateArn"
    };
    clients
        .apigateway
        .update_domain_name()
        .domain_name(name)
        .patch_operations(patch(path, certificate.to_string()))
        .send()
        .await
        .done()
}

pub async fn create_mapping(
    clients: &Clients,
    domain: &str,
    api_id: &str,
    stage: &str,
    base_path: &str,
) -> Result<(), AwsError> {
    let created = clients
        .apigateway
        .create_base_path_mapping()
        .domain_name(domain)
        .rest_api_id(api_id)
        .stage(stage)
        .set_base_path((base_path != "(none)").then(|| base_path.to_string()))
        .send()
        .await
        .done();
    let error = match created {
        Err(error) if error.already_exists() => error,
        other => return other,
    };
    // The SDK's retry of a create whose answer was lost: the same mapping (this API, this
    // stage) is that first attempt's; a mapping to anything else is not ours to take.
    let live = clients
        .apigateway
        .get_base_path_mapping()
        .domain_name(domain)
        .base_path(base_path)
        .send()
        .await
        .found()?;
    match live {
        Some(m) if m.rest_api_id() == Some(api_id) && m.stage() == Some(stage) => Ok(()),
        _ => Err(error),
    }
}

pub async fn delete_mapping(
    clients: &Clients,
    domain: &str,
    base_path: &str,
) -> Result<(), AwsError> {
    clients
        .apigateway
        .delete_base_path_mapping()
        .domain_name(domain)
        .base_path(base_path)
        .send()
        .await
        .done_or_gone()
}

pub async fn delete_domain(clients: &Clients, domain: &str) -> Result<(), AwsError> {
    clients
        .apigateway
        .delete_domain_name()
        .domain_name(domain)
        .send()
        .await
        .done_or_gone()
}

/// The tags of a custom domain, or `None` when no such domain exists.
pub async fn domain_tags(
    clients: &Clients,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    Ok(clients
        .apigateway
        .get_domain_name()
        .domain_name(name)
        .send()
        .await
        .found()?
        .map(|domain| tag_map(domain.tags())))
}
