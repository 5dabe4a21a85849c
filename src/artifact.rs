//! Code packages: directories zipped reproducibly, so that the same files always give the same
//! bytes and the same SHA-256 — the value Lambda reports as `CodeSha256`. Unchanged code then
//! never shows a diff, without a state file remembering what was uploaded.
//!
//! Reproducible means: entries sorted by path with `/` separators, every timestamp set to
//! 1980-01-01 (the zip epoch), modes normalised to 0644 (0755 when the owner may execute, for
//! `bootstrap` files of custom runtimes), deflate at a fixed level, and no hidden files or
//! `__pycache__` (they differ between machines). Caveat: a new version of the deflate
//! implementation could compress differently; Cargo.lock pins it, and such a change would show
//! once as a code update of every function.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// A built package.
#[derive(Clone, Debug)]
pub struct Package {
    pub bytes: Vec<u8>,
    /// Base64 of the SHA-256 of `bytes`, as Lambda's `CodeSha256`.
    pub sha256_base64: String,
    /// Hex of the SHA-256 of `bytes`.
    pub sha256_hex: String,
}

/// The package for a code path: a `.zip` file as it is (the bytes an earlier deployment uploaded,
/// so its SHA-256 is the deployed `CodeSha256`: how `import live` adopts code unchanged), or a
/// directory zipped reproducibly.
pub fn package(path: &Path) -> Result<Package, String> {
    if !path.is_file() {
        return zip_directory(path);
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let digest = Sha256::digest(&bytes);
    Ok(Package {
        sha256_base64: base64::engine::general_purpose::STANDARD.encode(digest),
        sha256_hex: crate::text::hex(&digest),
        bytes,
    })
}

/// Zip `dir` reproducibly.
pub fn zip_directory(dir: &Path) -> Result<Package, String> {
    let mut files = Vec::new();
    collect(dir, Path::new(""), &mut files)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path) in files {
        let content =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mode = file_mode(&path);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(DateTime::default())
            .unix_permissions(mode);
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        writer.write_all(&content).map_err(|e| e.to_string())?;
    }
    let bytes = writer.finish().map_err(|e| e.to_string())?.into_inner();
    let digest = Sha256::digest(&bytes);
    Ok(Package {
        sha256_base64: base64::engine::general_purpose::STANDARD.encode(digest),
        sha256_hex: crate::text::hex(&digest),
        bytes,
    })
}

fn collect(root: &Path, relative: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(relative))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text.starts_with('.') || name_text == "__pycache__" {
            continue;
        }
        let child = relative.join(&name);
        // Follow symlinks: validation already refused links that leave the spec root.
        let meta = std::fs::metadata(entry.path())?;
        if meta.is_dir() {
            collect(root, &child, out)?;
        } else {
            let zip_name = child
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((zip_name, entry.path()));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o100 != 0 => 0o755,
        _ => 0o644,
    }
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> u32 {
    0o644
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_files_give_the_same_bytes_whatever_their_timestamps() {
        let a = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("pkg")).unwrap();
        std::fs::write(a.path().join("app.py"), "print(1)\n").unwrap();
        std::fs::write(a.path().join("pkg/util.py"), "X = 1\n").unwrap();
        std::fs::create_dir_all(a.path().join("__pycache__")).unwrap();
        std::fs::write(a.path().join("__pycache__/app.pyc"), "junk").unwrap();
        let first = zip_directory(a.path()).unwrap();

        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(a.path().join("app.py"), "print(1)\n").unwrap(); // new mtime, same content
        std::fs::write(a.path().join("__pycache__/app.pyc"), "other junk").unwrap();
        let second = zip_directory(a.path()).unwrap();
        assert_eq!(first.sha256_base64, second.sha256_base64);

        std::fs::write(a.path().join("app.py"), "print(2)\n").unwrap();
        assert_ne!(
            zip_directory(a.path()).unwrap().sha256_base64,
            first.sha256_base64
        );

        let mut archive = zip::ZipArchive::new(Cursor::new(first.bytes)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(names, ["app.py", "pkg/util.py"]);
    }
}
