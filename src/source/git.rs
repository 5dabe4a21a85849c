//! A git repository as a source: a branch or tag, a subdirectory, over https, ssh, git:// or
//! file URLs.
//!
//! Why the `git` binary and not gitoxide: gix's file:// and ssh transports start
//! `git-upload-pack` and `ssh` processes anyway, signature verification needs `gpg` or
//! `ssh-keygen` (which git drives against an allowed-signers list), and gix with a network
//! transport adds some 260 crates to a two-core build. git is the reference implementation of
//! every transport and credential path a user already has working.
//!
//! A poll is one `git ls-remote` (one round trip, nothing written). Only a new commit is fetched,
//! shallowly (`--depth 1`) into a bare repository, so no working tree exists; then only the
//! stack's subdirectory is written out, blob by blob, into a snapshot named by the commit SHA.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{safe_relative, Snapshot, SourceError};

/// The longest any one git command may take before the fetch counts as unreachable.
const GIT_TIMEOUT: Duration = Duration::from_secs(120);
/// A stack directory larger than this is refused (specs are text; this is not a spec).
const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, Default)]
pub struct GitSource {
    /// `https://…`, `ssh://…` or `git@host:path`, `git://…` or `file://…`.
    pub url: String,
    /// A branch or tag name, or a full ref (`refs/…`).
    pub reference: String,
    /// The stack's directory inside the repository (`""` for the root).
    pub path: String,
    pub credentials: GitCredentials,
    /// When set, HEAD of the reference must carry a good signature from an allowed key.
    pub verify: Option<SignaturePolicy>,
}

/// Where credentials come from. Nothing here is ever written to a log or an error: the token
/// reaches git through a credential helper reading the child's environment, not its arguments.
#[derive(Clone, Debug, Default)]
pub struct GitCredentials {
    /// HTTPS: the user name sent with the token (GitHub accepts `x-access-token`).
    pub username: Option<String>,
    /// HTTPS: an environment variable holding a token or password.
    pub token_env: Option<String>,
    /// HTTPS: a file holding it (a mounted secret); it wins over the environment.
    pub token_file: Option<PathBuf>,
    /// SSH: a private key file (a mounted deploy key).
    pub ssh_key_file: Option<PathBuf>,
    /// SSH: the known_hosts file the host key is checked against (strictly).
    pub known_hosts_file: Option<PathBuf>,
}

/// Which signatures are accepted on the commit to be applied.
#[derive(Clone, Debug, Default)]
pub struct SignaturePolicy {
    /// An SSH allowed-signers file (`ssh-keygen(1)` ALLOWED SIGNERS format).
    pub ssh_allowed_signers: Option<PathBuf>,
    /// Armored or binary OpenPGP public keys; only these can make a GPG signature good.
    pub gpg_public_keys: Vec<PathBuf>,
}

impl SignaturePolicy {
    /// What the policy accepts, written beside a verified snapshot: a cached snapshot is reused
    /// only under the policy that verified it.
    fn fingerprint(&self) -> String {
        let mut parts = vec![];
        if let Some(file) = &self.ssh_allowed_signers {
            parts.push(format!("ssh:{}", digest_file(file)));
        }
        for key in &self.gpg_public_keys {
            parts.push(format!("gpg:{}", digest_file(key)));
        }
        parts.join(",")
    }
}

fn digest_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_default();
    crate::text::hex(&Sha256::digest(bytes))[..16].to_string()
}

/// One resolved tip of the reference.
#[derive(Debug, PartialEq, Eq)]
struct Tip {
    full_ref: String,
    commit: String,
}

impl GitSource {
    /// Fetch the reference's tip into `<cache>/git-<sha>` (reused when it is already there).
    pub async fn fetch(&self, cache: &Path) -> Result<Snapshot, SourceError> {
        let secrets = self.secrets()?;
        let tip = self.resolve(&secrets).await?;
        let verified_by = self
            .verify
            .as_ref()
            .map(SignaturePolicy::fingerprint)
            .unwrap_or_default();
        // A snapshot is reused only under the signature policy that let it in.
        let marker = |commit: &str| format!("{commit}\n{verified_by}");
        let dir = cache.join(format!("git-{}", tip.commit));
        if std::fs::read_to_string(dir.join(".complete")).is_ok_and(|m| m == marker(&tip.commit)) {
            return Ok(Snapshot {
                revision: tip.commit,
                dir,
            });
        }
        let repo = cache.join("repo.git");
        if !repo.join("HEAD").exists() {
            run(
                Command::git(Some(cache)).args(["init", "--bare", "--quiet", "repo.git"]),
                &secrets,
            )
            .await?;
        }
        // The ref may have moved since ls-remote; what was fetched is what counts.
        run(
            Command::git(Some(&repo))
                .args(["fetch", "--quiet", "--depth", "1", "--no-tags", "--"])
                .arg(&self.url)
                .arg(format!("+{}:refs/slsctl/source", tip.full_ref))
                .credentials(&self.credentials, &secrets),
            &secrets,
        )
        .await?;
        let fetched = run(
            Command::git(Some(&repo)).args([
                "rev-parse",
                "--verify",
                "refs/slsctl/source^{commit}",
            ]),
            &secrets,
        )
        .await?;
        let commit = String::from_utf8_lossy(&fetched).trim().to_string();
        if let Some(policy) = &self.verify {
            self.verify_signature(&repo, cache, &commit, policy, &verified_by, &secrets)
                .await?;
        }
        let dir = cache.join(format!("git-{commit}"));
        let staging = cache.join(format!(".git-{commit}.partial"));
        let _ = std::fs::remove_dir_all(&staging);
        self.write_tree(&repo, &commit, &staging, &secrets).await?;
        super::publish(&staging, &dir, &marker(&commit))?;
        Ok(Snapshot {
            revision: commit,
            dir,
        })
    }

    /// The token (when one is configured), read fresh at every fetch so a rotated secret is
    /// picked up; every message git prints is scrubbed of it.
    fn secrets(&self) -> Result<Vec<String>, SourceError> {
        let token = match (&self.credentials.token_file, &self.credentials.token_env) {
            (Some(file), _) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| {
                        SourceError::Unreachable(format!(
                            "cannot read the git token file {}: {e}",
                            file.display()
                        ))
                    })?
                    .trim()
                    .to_string(),
            ),
            (None, Some(var)) => Some(std::env::var(var).map_err(|_| {
                SourceError::Unreachable(format!(
                    "the git token variable {var} is not set in the controller's environment"
                ))
            })?),
            (None, None) => None,
        };
        Ok(token.into_iter().filter(|t| !t.is_empty()).collect())
    }

    /// One `git ls-remote` for the branch, the tag and the tag's peeled commit.
    async fn resolve(&self, secrets: &[String]) -> Result<Tip, SourceError> {
        let candidates: Vec<String> = if self.reference.starts_with("refs/") {
            vec![self.reference.clone(), format!("{}^{{}}", self.reference)]
        } else {
            vec![
                format!("refs/heads/{}", self.reference),
                format!("refs/tags/{}", self.reference),
                format!("refs/tags/{}^{{}}", self.reference),
            ]
        };
        let listed = run(
            Command::git(None)
                .args(["ls-remote", "--"])
                .arg(&self.url)
                .args(&candidates)
                .credentials(&self.credentials, secrets),
            secrets,
        )
        .await?;
        pick_tip(&String::from_utf8_lossy(&listed), &candidates).ok_or_else(|| {
            SourceError::Empty(format!(
                "no branch or tag `{}` in {}",
                self.reference,
                redact_url(&self.url)
            ))
        })
    }

    async fn verify_signature(
        &self,
        repo: &Path,
        cache: &Path,
        commit: &str,
        policy: &SignaturePolicy,
        fingerprint: &str,
        secrets: &[String],
    ) -> Result<(), SourceError> {
        let mut command = Command::git(Some(repo));
        if let Some(signers) = &policy.ssh_allowed_signers {
            command = command.arg("-c").arg(format!(
                "gpg.ssh.allowedSignersFile={}",
                absolute(signers).display()
            ));
        }
        let gnupg = gpg_keyring(cache, policy, fingerprint, secrets).await?;
        command = command
            .env("GNUPGHOME", &gnupg)
            .args(["verify-commit", "--"])
            .arg(commit);
        run(command, secrets).await.map_err(|e| {
            SourceError::Invalid(format!(
                "commit {commit} is not signed by an allowed key, so it is not applied ({})",
                e.reason()
            ))
        })?;
        Ok(())
    }

    /// Write the blobs under `path` at `commit` into `staging`: nothing else of the repository.
    async fn write_tree(
        &self,
        repo: &Path,
        commit: &str,
        staging: &Path,
        secrets: &[String],
    ) -> Result<(), SourceError> {
        let prefix = safe_relative(&self.path);
        let mut list = Command::git(Some(repo)).args(["ls-tree", "-r", "-z", "--long", commit]);
        if let Some(prefix) = &prefix {
            list = list.arg("--").arg(prefix);
        }
        let listed = run(list, secrets).await?;
        let entries = parse_tree(&listed, prefix.as_deref())?;
        if entries.is_empty() {
            return Err(SourceError::Empty(format!(
                "no files under `{}` at {commit}",
                if self.path.is_empty() {
                    "/"
                } else {
                    &self.path
                }
            )));
        }
        let total: u64 = entries.iter().map(|e| e.size).sum();
        if total > MAX_SNAPSHOT_BYTES {
            return Err(SourceError::Invalid(format!(
                "`{}` holds {total} bytes at {commit}, over the {MAX_SNAPSHOT_BYTES}-byte limit for a stack",
                self.path
            )));
        }
        let blobs = cat_blobs(repo, &entries).await?;
        for (entry, blob) in entries.iter().zip(blobs) {
            let path = staging.join(&entry.relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| SourceError::Unreachable(format!("{}: {e}", parent.display())))?;
            }
            std::fs::write(&path, blob)
                .map_err(|e| SourceError::Unreachable(format!("{}: {e}", path.display())))?;
        }
        Ok(())
    }
}

/// A GPG home holding exactly the policy's allowed keys, so that "good signature" means
/// "allowed key". It is named by the policy's fingerprint and imported once: a key dropped from
/// the policy is in no keyring the new policy uses, and no fetch imports the keys again.
async fn gpg_keyring(
    cache: &Path,
    policy: &SignaturePolicy,
    fingerprint: &str,
    secrets: &[String],
) -> Result<PathBuf, SourceError> {
    use sha2::{Digest, Sha256};
    let digest = crate::text::hex(&Sha256::digest(fingerprint.as_bytes()));
    let gnupg = cache.join(format!("gnupg-{}", &digest[..16]));
    if policy.gpg_public_keys.is_empty() || gnupg.join(".imported").exists() {
        return Ok(gnupg);
    }
    let _ = std::fs::remove_dir_all(&gnupg);
    std::fs::create_dir_all(&gnupg).map_err(|e| SourceError::Invalid(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700));
    }
    let import = Command::gpg()
        .env("GNUPGHOME", &gnupg)
        .args(["--batch", "--quiet", "--import"])
        .args(&policy.gpg_public_keys);
    run(import, secrets).await.map_err(|e| {
        SourceError::Invalid(format!(
            "cannot import the allowed GPG keys: {}",
            e.reason()
        ))
    })?;
    std::fs::write(gnupg.join(".imported"), fingerprint)
        .map_err(|e| SourceError::Invalid(e.to_string()))?;
    Ok(gnupg)
}

/// A file of the stack directory, from `git ls-tree -r -z --long`.
#[derive(Debug, PartialEq, Eq)]
struct TreeEntry {
    oid: String,
    size: u64,
    /// Relative to the stack directory.
    relative: PathBuf,
}

/// Regular files only. A symlink or a submodule under the stack directory is refused rather
/// than skipped: skipping a file that holds resources would read as "delete them".
fn parse_tree(listed: &[u8], prefix: Option<&Path>) -> Result<Vec<TreeEntry>, SourceError> {
    let mut entries = vec![];
    for record in listed.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            return Err(SourceError::Invalid(format!(
                "unexpected ls-tree line {record:?}"
            )));
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, oid, size] = fields[..] else {
            return Err(SourceError::Invalid(format!(
                "unexpected ls-tree line {record:?}"
            )));
        };
        if kind != "blob" || !(mode == "100644" || mode == "100755") {
            return Err(SourceError::Invalid(format!(
                "`{path}` is a {} in the repository; only regular files are accepted in a stack directory",
                match (kind, mode) {
                    ("blob", "120000") => "symbolic link",
                    ("commit", _) => "submodule",
                    _ => "special entry",
                }
            )));
        }
        let full = safe_relative(path)
            .ok_or_else(|| SourceError::Invalid(format!("`{path}` is not a relative path")))?;
        let relative = match prefix {
            Some(prefix) => full
                .strip_prefix(prefix)
                .map(Path::to_path_buf)
                .map_err(|_| {
                    SourceError::Invalid(format!("`{path}` is outside `{}`", prefix.display()))
                })?,
            None => full,
        };
        entries.push(TreeEntry {
            oid: oid.to_string(),
            size: size.parse().unwrap_or(0),
            relative,
        });
    }
    Ok(entries)
}

/// The tip among the candidates: a branch, else a tag's peeled commit, else the tag itself.
fn pick_tip(listed: &str, candidates: &[String]) -> Option<Tip> {
    let found: Vec<(&str, &str)> = listed
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .collect();
    let commit_of = |name: &str| {
        found
            .iter()
            .find(|(_, r)| *r == name)
            .map(|(sha, _)| sha.to_string())
    };
    // Candidates come in preference order; a peeled tag (`^{}`) names the commit of the tag
    // before it, so it wins over that tag's own object id.
    for (i, candidate) in candidates.iter().enumerate() {
        if candidate.ends_with("^{}") {
            continue;
        }
        let peeled = candidates
            .get(i + 1)
            .filter(|c| c.ends_with("^{}"))
            .and_then(|c| commit_of(c));
        if let Some(commit) = peeled.or_else(|| commit_of(candidate)) {
            return Some(Tip {
                full_ref: candidate.clone(),
                commit,
            });
        }
    }
    None
}

/// Read blobs through one `git cat-file --batch`.
async fn cat_blobs(repo: &Path, entries: &[TreeEntry]) -> Result<Vec<Vec<u8>>, SourceError> {
    let mut child = tokio::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SourceError::Unreachable(format!("cannot run git: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let request: String = entries.iter().map(|e| format!("{}\n", e.oid)).collect();
    // Write and read at once: a full stdout pipe would otherwise block git while we write.
    let writing = async move {
        let written = stdin.write_all(request.as_bytes()).await;
        drop(stdin);
        written
    };
    let mut output = Vec::new();
    let reading = stdout.read_to_end(&mut output);
    let (written, read) =
        tokio::time::timeout(GIT_TIMEOUT, async { tokio::join!(writing, reading) })
            .await
            .map_err(|_| SourceError::Unreachable("git cat-file timed out".into()))?;
    written
        .and(read.map(|_| ()))
        .map_err(|e| SourceError::Unreachable(format!("git cat-file: {e}")))?;
    let _ = child.wait().await;
    let mut blobs = Vec::with_capacity(entries.len());
    let mut rest = &output[..];
    for entry in entries {
        // "<oid> blob <size>\n<content>\n"
        let header_end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| SourceError::Unreachable("git cat-file: truncated output".into()))?;
        let header = String::from_utf8_lossy(&rest[..header_end]).to_string();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|_| header.starts_with(&entry.oid))
            .ok_or_else(|| SourceError::Unreachable(format!("git cat-file: {header}")))?;
        let start = header_end + 1;
        if rest.len() < start + size + 1 {
            return Err(SourceError::Unreachable(
                "git cat-file: truncated output".into(),
            ));
        }
        blobs.push(rest[start..start + size].to_vec());
        rest = &rest[start + size + 1..];
    }
    Ok(blobs)
}

/// A git (or gpg) command: its repository (none for commands that need no repository),
/// arguments and extra environment.
struct Command {
    program: &'static str,
    dir: Option<PathBuf>,
    args: Vec<std::ffi::OsString>,
    env: Vec<(String, std::ffi::OsString)>,
}

impl Command {
    fn git(dir: Option<&Path>) -> Command {
        Command {
            program: "git",
            dir: dir.map(Path::to_path_buf),
            args: vec![],
            env: vec![],
        }
    }
    fn gpg() -> Command {
        Command {
            program: "gpg",
            ..Command::git(None)
        }
    }
    fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Command {
        self.args.push(arg.as_ref().to_os_string());
        self
    }
    fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Command {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }
    fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Command {
        self.env
            .push((key.to_string(), value.as_ref().to_os_string()));
        self
    }

    /// The transport's credentials, through the environment only (never argv, which other
    /// processes can read).
    fn credentials(mut self, credentials: &GitCredentials, secrets: &[String]) -> Command {
        if let Some(key) = &credentials.ssh_key_file {
            let mut ssh = format!(
                "ssh -i {} -o IdentitiesOnly=yes -o BatchMode=yes",
                shell_quote(&absolute(key).display().to_string())
            );
            if let Some(known) = &credentials.known_hosts_file {
                ssh.push_str(&format!(
                    " -o StrictHostKeyChecking=yes -o UserKnownHostsFile={}",
                    shell_quote(&absolute(known).display().to_string())
                ));
            }
            self = self.env("GIT_SSH_COMMAND", ssh);
        }
        if credentials.token_env.is_some() || credentials.token_file.is_some() {
            // An empty helper first clears any inherited ones; ours answers `get` from the
            // child's environment, and git asks it only when the server demands credentials.
            self = self
                .env("GIT_CONFIG_COUNT", "2")
                .env("GIT_CONFIG_KEY_0", "credential.helper")
                .env("GIT_CONFIG_VALUE_0", "")
                .env("GIT_CONFIG_KEY_1", "credential.helper")
                .env(
                    "GIT_CONFIG_VALUE_1",
                    "!f() { test \"$1\" = get && printf 'username=%s\\npassword=%s\\n' \"$SLSCTL_GIT_USERNAME\" \"$SLSCTL_GIT_PASSWORD\"; }; f",
                )
                .env(
                    "SLSCTL_GIT_USERNAME",
                    credentials
                        .username
                        .as_deref()
                        .unwrap_or("x-access-token"),
                );
            if let Some(token) = secrets.first() {
                self = self.env("SLSCTL_GIT_PASSWORD", token);
            }
        }
        self
    }
}

/// Run the command (never longer than `GIT_TIMEOUT`, never prompting); a failure carries its
/// last lines of stderr, with secrets and URL passwords scrubbed.
async fn run(command: Command, secrets: &[String]) -> Result<Vec<u8>, SourceError> {
    let program = command.program;
    let mut git = tokio::process::Command::new(program);
    if let Some(dir) = &command.dir {
        git.arg("-C").arg(dir);
    }
    git.args(&command.args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .env("SSH_ASKPASS", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in &command.env {
        git.env(key, value);
    }
    let what = command
        .args
        .iter()
        .find(|a| !a.to_string_lossy().starts_with('-') && !a.to_string_lossy().contains('='))
        .map(|a| a.to_string_lossy().to_string())
        .unwrap_or_default();
    let out = tokio::time::timeout(GIT_TIMEOUT, git.output())
        .await
        .map_err(|_| {
            SourceError::Unreachable(format!("{program} {what} timed out after {GIT_TIMEOUT:?}"))
        })?
        .map_err(|e| SourceError::Unreachable(format!("cannot run {program}: {e}")))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let mut why = redact(&last_lines(&out.stderr), secrets);
    if why.is_empty() {
        why = format!("exit status {}", out.status);
    }
    Err(SourceError::Unreachable(format!("{program} {what}: {why}")))
}

fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(4)..].join(" / ")
}

/// Scrub the secrets, and any `user:password@` in URLs, out of a message.
pub fn redact(text: &str, secrets: &[String]) -> String {
    crate::text::scrub(text, secrets)
        .split(' ')
        .map(redact_url)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `https://user:token@host/x` → `https://***@host/x`; anything else unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if rest[..at].contains(':') => {
            format!("{}***@{}", &url[..scheme_end + 3], &rest[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tip `pick_tip` finds for `v1` in `listed` (`git ls-remote` output).
    fn tip_of_v1(listed: &str) -> Option<Tip> {
        let candidates = ["refs/heads/v1", "refs/tags/v1", "refs/tags/v1^{}"].map(String::from);
        pick_tip(listed, &candidates)
    }

    fn tip(full_ref: &str, commit: &str) -> Option<Tip> {
        Some(Tip {
            full_ref: full_ref.into(),
            commit: commit.into(),
        })
    }

    #[test]
    fn a_branch_wins_and_an_annotated_tag_resolves_to_its_commit() {
        let listed = "aaa\trefs/heads/v1\nbbb\trefs/tags/v1\nccc\trefs/tags/v1^{}\n";
        assert_eq!(tip_of_v1(listed), tip("refs/heads/v1", "aaa"));
        let tags = "bbb\trefs/tags/v1\nccc\trefs/tags/v1^{}\n";
        assert_eq!(tip_of_v1(tags), tip("refs/tags/v1", "ccc"));
        let lightweight = "bbb\trefs/tags/v1\n";
        assert_eq!(tip_of_v1(lightweight).unwrap().commit, "bbb");
        assert_eq!(tip_of_v1(""), None);
    }

    #[test]
    fn only_regular_files_under_the_stack_directory_are_taken() {
        let listed =
            b"100644 blob 1111 10\tstacks/a/stack.yaml\x00100755 blob 2222 20\tstacks/a/fn/run.sh\x00";
        let entries = parse_tree(listed, Some(Path::new("stacks/a"))).unwrap();
        assert_eq!(
            entries,
            vec![
                TreeEntry {
                    oid: "1111".into(),
                    size: 10,
                    relative: "stack.yaml".into()
                },
                TreeEntry {
                    oid: "2222".into(),
                    size: 20,
                    relative: "fn/run.sh".into()
                },
            ]
        );
        let link = b"120000 blob 3333 11\tstacks/a/queue.yaml\0";
        let error = parse_tree(link, Some(Path::new("stacks/a"))).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        let module = b"160000 commit 4444       -\tstacks/a/vendor\0";
        let error = parse_tree(module, Some(Path::new("stacks/a"))).unwrap_err();
        assert!(error.to_string().contains("submodule"), "{error}");
    }

    #[test]
    fn secrets_and_url_passwords_never_reach_a_message() {
        assert_eq!(
            redact_url("https://bot:ghp_secret@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            redact_url("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(
            redact_url("ssh://git@github.com/o/r.git"),
            "ssh://git@github.com/o/r.git"
        );
        let message = "fatal: unable to access 'https://u:tok3n@h/r/': token tok3n refused";
        let clean = redact(message, &["tok3n".to_string()]);
        assert!(!clean.contains("tok3n"), "{clean}");
    }
}
