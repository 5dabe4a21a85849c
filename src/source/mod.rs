//! Where a controller reads a stack's spec from: a git repository or an S3 prefix.
//!
//! A fetch yields an immutable, identified snapshot on disk, or an error. An error, an empty
//! source or an invalid spec never becomes "the spec is empty": the controller keeps the last
//! good revision in force and reports the condition, so a broken source never deletes anything.

pub mod git;
pub mod s3;

use std::path::{Path, PathBuf};

/// One immutable revision of a source, checked out under `dir`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// A commit SHA, or a digest of the S3 objects' keys and versions/ETags.
    pub revision: String,
    pub dir: PathBuf,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SourceError {
    /// The source could not be read (network, permissions): keep the last good revision.
    Unreachable(String),
    /// The source holds no spec at all: treated as broken, never as "delete everything".
    Empty(String),
    /// The source is unusable as it is (an object key escaping the snapshot, …).
    Invalid(String),
}

impl SourceError {
    /// Why, without the kind.
    pub fn reason(&self) -> &str {
        match self {
            SourceError::Unreachable(why) | SourceError::Empty(why) | SourceError::Invalid(why) => {
                why
            }
        }
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Unreachable(why) => write!(f, "source unreachable: {why}"),
            SourceError::Empty(why) => write!(f, "source empty: {why}"),
            SourceError::Invalid(why) => write!(f, "source invalid: {why}"),
        }
    }
}

/// Put a fully written `staging` directory in place as the snapshot `dir`, marked complete with
/// `marker`: a reader never sees a half-written snapshot, and a crash mid-fetch leaves only a
/// `.partial` directory that the next fetch clears.
fn publish(staging: &Path, dir: &Path, marker: &str) -> Result<(), SourceError> {
    std::fs::write(staging.join(".complete"), marker)
        .map_err(|e| SourceError::Unreachable(e.to_string()))?;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(staging, dir)
        .map_err(|e| SourceError::Unreachable(format!("{}: {e}", dir.display())))
}

/// A relative path inside a snapshot: no absolute paths, no `..`, no empty segments.
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.split('/') {
        match part {
            "" | "." => continue,
            ".." => return None,
            p if p.contains('\\') || p.contains('\0') => return None,
            p => out.push(p),
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_inside_the_snapshot_are_accepted() {
        assert_eq!(safe_relative("a/b.yaml"), Some(PathBuf::from("a/b.yaml")));
        assert_eq!(safe_relative("/a//b.yaml"), Some(PathBuf::from("a/b.yaml")));
        assert_eq!(safe_relative("a/../../etc/passwd"), None);
        assert_eq!(safe_relative(".."), None);
        assert_eq!(safe_relative(""), None);
        assert_eq!(safe_relative("a\\..\\b"), None);
    }
}
