//! The AWS boundary. Everything that talks to AWS goes through here, with the official SDK.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// SDK configuration from the standard chain (environment, profile/SSO, web identity, ECS task
/// role, IMDS). `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) is honoured
/// by aws-config itself, which is how tests point the SDK at the local emulator.
pub async fn load_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// The account the credentials belong to (STS GetCallerIdentity).
pub async fn caller_account(config: &SdkConfig) -> Result<String, String> {
    let sts = aws_sdk_sts::Client::new(config);
    let identity = sts.get_caller_identity().send().await.map_err(|e| {
        format!(
            "GetCallerIdentity failed: {}",
            aws_sdk_sts::error::DisplayErrorContext(e)
        )
    })?;
    identity
        .account
        .ok_or_else(|| "GetCallerIdentity returned no account".to_string())
}
