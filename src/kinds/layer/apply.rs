//! Apply of a Layer: publish a version (and prune old ones), release or delete it.

use super::aws;
use crate::aws::AwsError;
use crate::kinds::context::unresolved;
use crate::kinds::function::versions::housekeeping;
use crate::kinds::ApplyCtx;
use crate::model::ResourceSpec;
use crate::plan::{ActionKind, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    match action.action {
        ActionKind::Delete => aws::delete_layer(clients, &action.physical_name).await,
        // Layer versions cannot be untagged: retaining a layer leaves it as it is.
        ActionKind::Release => Ok(()),
        _ => {
            let resource = shared
                .prepared
                .stack
                .get(&action.id)
                .ok_or_else(|| unresolved(&action.id, "spec"))?;
            let ResourceSpec::Layer(layer) = &resource.spec else {
                return Ok(());
            };
            let package = shared
                .prepared
                .packages
                .get(&action.id)
                .ok_or_else(|| unresolved(&action.id, "content"))?;
            let description = aws::layer_description(
                &layer.description,
                &shared.prepared.stack.name,
                &action.id.to_string(),
                &package.sha256_hex,
            );
            let architectures: Vec<String> = layer
                .compatible_architectures
                .iter()
                .map(|a| match a {
                    crate::model::Architecture::Arm64 => "arm64".to_string(),
                    crate::model::Architecture::X86_64 => "x86_64".to_string(),
                })
                .collect();
            let arn = aws::publish_layer(
                clients,
                &resource.physical_name,
                package.bytes.clone(),
                &description,
                &layer.compatible_runtimes,
                &architectures,
                layer.license_info.as_deref(),
            )
            .await?;
            shared.learn(|context| {
                context.layer_version_arn.insert(action.id.clone(), arn);
            });
            let pruned = aws::prune_layer_versions(
                clients,
                &resource.physical_name,
                &shared.prepared.stack.name,
                &action.id.to_string(),
                shared.prepared.stack.keep_versions as usize,
            )
            .await;
            housekeeping(clients, pruned);
            Ok(())
        }
    }
}
