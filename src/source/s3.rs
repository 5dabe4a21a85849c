//! An S3 prefix as a source: one ListObjectsV2 (1,000 keys a page) tells whether anything
//! changed, by the keys and their ETags; only then are the objects downloaded, into a directory
//! named after the revision. The revision is a digest of every key with its ETag, so the same
//! objects always make the same revision.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{safe_relative, Snapshot, SourceError};
use crate::aws::error::classify;

/// An S3 client; path-style addressing when an endpoint is overridden (emulators).
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let builder =
        aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some());
    aws_sdk_s3::Client::from_conf(builder.build())
}

#[derive(Clone, Debug)]
pub struct S3Source {
    pub bucket: String,
    /// Keys under this prefix form the stack directory (the prefix is stripped).
    pub prefix: String,
}

/// One listed object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Object {
    key: String,
    etag: String,
}

impl S3Source {
    async fn list(&self, s3: &aws_sdk_s3::Client) -> Result<Vec<Object>, SourceError> {
        let mut objects = Vec::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| SourceError::Unreachable(classify(e).to_string()))?;
            for object in page.contents() {
                let (Some(key), Some(etag)) = (object.key(), object.e_tag()) else {
                    continue;
                };
                if key.ends_with('/') {
                    continue; // a "folder" marker
                }
                objects.push(Object {
                    key: key.to_string(),
                    etag: etag.to_string(),
                });
            }
        }
        objects.sort();
        Ok(objects)
    }

    /// Download the prefix into `<cache>/s3-<revision>` (reused when it is already there).
    pub async fn fetch(
        &self,
        s3: &aws_sdk_s3::Client,
        cache: &Path,
    ) -> Result<Snapshot, SourceError> {
        let objects = self.list(s3).await?;
        if objects.is_empty() {
            return Err(SourceError::Empty(format!(
                "no objects under s3://{}/{}",
                self.bucket, self.prefix
            )));
        }
        let revision = revision(&objects);
        let dir = cache.join(format!("s3-{revision}"));
        if dir.join(".complete").exists() {
            return Ok(Snapshot { revision, dir });
        }
        let staging: PathBuf = cache.join(format!(".s3-{revision}.partial"));
        let _ = std::fs::remove_dir_all(&staging);
        for object in &objects {
            let relative = object.key.strip_prefix(&self.prefix).unwrap_or(&object.key);
            let Some(relative) = safe_relative(relative) else {
                return Err(SourceError::Invalid(format!(
                    "object key `{}` would leave the snapshot directory",
                    object.key
                )));
            };
            // The ETag pins the content read to the content listed; a change in between fails
            // the fetch (and the next poll sees the new revision) instead of mixing revisions.
            let body = s3
                .get_object()
                .bucket(&self.bucket)
                .key(&object.key)
                .if_match(&object.etag)
                .send()
                .await
                .map_err(|e| SourceError::Unreachable(classify(e).to_string()))?
                .body
                .collect()
                .await
                .map_err(|e| SourceError::Unreachable(format!("GetObject {}: {e}", object.key)))?
                .into_bytes();
            let path = staging.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| SourceError::Unreachable(format!("{}: {e}", parent.display())))?;
            }
            std::fs::write(&path, &body)
                .map_err(|e| SourceError::Unreachable(format!("{}: {e}", path.display())))?;
        }
        super::publish(&staging, &dir, &revision)?;
        Ok(Snapshot { revision, dir })
    }
}

fn revision(objects: &[Object]) -> String {
    let mut hash = Sha256::new();
    for object in objects {
        hash.update(object.key.as_bytes());
        hash.update(b"\0");
        hash.update(object.etag.as_bytes());
        hash.update(b"\n");
    }
    crate::text::hex(&hash.finalize())[..16].to_string()
}
