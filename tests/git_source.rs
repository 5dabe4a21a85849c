//! The git source against real repositories: `file://`, `git daemon` on loopback, a token over
//! HTTP, and signed commits (SSH and GPG) checked against allowed keys.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use slsctl::source::git::{GitCredentials, GitSource, SignaturePolicy};
use slsctl::source::SourceError;

fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, args, &[])
}

fn git_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with a stack under `stacks/s/` and an unrelated file at the root.
fn repository(root: &Path) -> PathBuf {
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    std::fs::write(repo.join("README.md"), "not a spec\n").unwrap();
    write_commit(&repo, "stacks/s/queue.yaml", "delay: 1\n", &[]);
    repo
}

fn write_commit(repo: &Path, file: &str, content: &str, extra: &[&str]) -> String {
    std::fs::write(repo.join(file), content).unwrap();
    git(repo, &["add", "-A"]);
    let mut args = vec!["commit", "--quiet", "-m", "change"];
    args.extend_from_slice(extra);
    git(repo, &args);
    git(repo, &["rev-parse", "HEAD"])
}

fn source(url: String) -> GitSource {
    GitSource {
        url,
        reference: "main".into(),
        path: "stacks/s".into(),
        ..GitSource::default()
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The snapshot holds the stack directory and nothing else, at the commit's SHA; the cache is a
/// shallow bare repository; a new commit is a new revision and a tag resolves to its commit.
#[tokio::test]
async fn a_file_url_is_fetched_shallowly_and_only_the_stack_directory_is_written() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let head = write_commit(&repo, "stacks/s/queue.yaml", "delay: 2\n", &[]);
    let cache = work.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let source = source(file_url(&repo));

    let snapshot = source.fetch(&cache).await.unwrap();
    assert_eq!(snapshot.revision, head);
    assert_eq!(
        std::fs::read_to_string(snapshot.dir.join("queue.yaml")).unwrap(),
        "delay: 2\n"
    );
    assert!(!snapshot.dir.join("README.md").exists(), "outside the path");
    assert!(
        !snapshot.dir.join("stacks").exists(),
        "the path is the root"
    );
    let bare = cache.join("repo.git");
    assert_eq!(
        git(&bare, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(git(&bare, &["rev-parse", "--is-bare-repository"]), "true");
    assert_eq!(
        git(&bare, &["rev-list", "--count", "refs/slsctl/source"]),
        "1",
        "depth 1: one commit of history"
    );

    // Unchanged: the same snapshot. Changed: a new one.
    assert_eq!(source.fetch(&cache).await.unwrap(), snapshot);
    let next = write_commit(&repo, "stacks/s/queue.yaml", "delay: 3\n", &[]);
    let snapshot = source.fetch(&cache).await.unwrap();
    assert_eq!(snapshot.revision, next);
    assert_eq!(
        std::fs::read_to_string(snapshot.dir.join("queue.yaml")).unwrap(),
        "delay: 3\n"
    );

    // An annotated tag resolves to the commit it names.
    git(&repo, &["tag", "-a", "-m", "release", "v1", &head]);
    let tagged = GitSource {
        reference: "v1".into(),
        ..source.clone()
    };
    let snapshot = tagged.fetch(&cache).await.unwrap();
    assert_eq!(snapshot.revision, head);
    assert_eq!(
        std::fs::read_to_string(snapshot.dir.join("queue.yaml")).unwrap(),
        "delay: 2\n"
    );
}

/// `git daemon` serves the repository on loopback; the source fetches it over git://.
#[tokio::test]
async fn a_repository_served_by_git_daemon_is_fetched() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut daemon = Command::new("git")
        .args([
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", work.path().display()),
        ])
        .arg(work.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("git daemon starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "git daemon listens");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cache = tempfile::tempdir().unwrap();
    let fetched = source(format!("git://127.0.0.1:{port}/repo"))
        .fetch(cache.path())
        .await;
    let _ = daemon.kill();
    let _ = daemon.wait();
    let snapshot = fetched.unwrap();
    assert_eq!(snapshot.revision, head);
    assert!(snapshot.dir.join("queue.yaml").exists());
}

/// Unreachable, unknown ref, missing directory, symlink: errors, never an empty snapshot.
#[tokio::test]
async fn broken_sources_are_errors_never_empty_snapshots() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let cache = tempfile::tempdir().unwrap();

    let missing = source(file_url(&work.path().join("nowhere")));
    assert!(matches!(
        missing.fetch(cache.path()).await,
        Err(SourceError::Unreachable(_))
    ));
    let no_branch = GitSource {
        reference: "release".into(),
        ..source(file_url(&repo))
    };
    let error = no_branch.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Empty(why) if why.contains("no branch or tag `release`")),
        "{error}"
    );
    let no_dir = GitSource {
        path: "stacks/other".into(),
        ..source(file_url(&repo))
    };
    let error = no_dir.fetch(cache.path()).await.unwrap_err();
    assert!(matches!(&error, SourceError::Empty(_)), "{error}");

    // A symlink in the stack directory (here, pointing out of it) is refused outright.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../../README.md", repo.join("stacks/s/extra.yaml")).unwrap();
        write_commit(&repo, "stacks/s/queue.yaml", "delay: 9\n", &[]);
        let error = source(file_url(&repo))
            .fetch(cache.path())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, SourceError::Invalid(why) if why.contains("symbolic link")),
            "{error}"
        );
    }
}

/// An HTTP server that demands Basic credentials and records what it is sent.
fn basic_auth_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut authorization = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.strip_prefix("Authorization: ") {
                    authorization = Some(value.trim().to_string());
                }
            }
            let reply = match authorization {
                None => "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                Some(value) => {
                    record.lock().unwrap().push(value);
                    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                }
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, seen)
}

/// A token from a mounted file reaches the server as Basic credentials, only after the server
/// asks, and never appears in the error.
#[tokio::test]
async fn a_token_is_sent_when_asked_and_never_shown() {
    let (port, seen) = basic_auth_server();
    let secrets = tempfile::tempdir().unwrap();
    let token_file = secrets.path().join("token");
    std::fs::write(&token_file, "canary-token-5f3a\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let source = GitSource {
        credentials: GitCredentials {
            username: Some("bot".into()),
            token_file: Some(token_file),
            ..GitCredentials::default()
        },
        ..source(format!("http://127.0.0.1:{port}/org/repo.git"))
    };
    let error = source.fetch(cache.path()).await.unwrap_err();
    assert!(matches!(error, SourceError::Unreachable(_)), "{error}");
    assert!(!error.to_string().contains("canary-token-5f3a"), "{error}");
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bot:canary-token-5f3a")
    );
    assert_eq!(seen.lock().unwrap().first(), Some(&expected));

    // Without a token git must not prompt (no terminal in a controller): a plain error.
    let anonymous = GitSource {
        credentials: GitCredentials::default(),
        ..source
    };
    let started = std::time::Instant::now();
    let error = anonymous.fetch(cache.path()).await.unwrap_err();
    assert!(matches!(error, SourceError::Unreachable(_)), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// SSH-signed commits: accepted when the key is in the allowed signers; an unsigned commit and
/// a commit signed by another key are refused.
#[tokio::test]
async fn ssh_signatures_are_checked_against_the_allowed_signers() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let keygen = |name: &str| {
        let key = work.path().join(name);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .output()
            .expect("ssh-keygen runs");
        assert!(out.status.success());
        key
    };
    let (trusted, stranger) = (keygen("trusted"), keygen("stranger"));
    let public = std::fs::read_to_string(trusted.with_extension("pub")).unwrap();
    let signers = work.path().join("allowed_signers");
    std::fs::write(&signers, format!("test@example.com {public}")).unwrap();
    let sign_with = |key: &Path| {
        vec![
            "-c".to_string(),
            "gpg.format=ssh".to_string(),
            "-c".to_string(),
            format!("user.signingkey={}", key.display()),
        ]
    };
    let signed_commit = |key: &Path, content: &str| {
        std::fs::write(repo.join("stacks/s/queue.yaml"), content).unwrap();
        git(&repo, &["add", "-A"]);
        let mut args: Vec<String> = sign_with(key);
        args.extend(["commit", "--quiet", "-S", "-m", "signed"].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        git(&repo, &args);
        git(&repo, &["rev-parse", "HEAD"])
    };
    let cache = tempfile::tempdir().unwrap();
    let verified = GitSource {
        verify: Some(SignaturePolicy {
            ssh_allowed_signers: Some(signers),
            gpg_public_keys: vec![],
        }),
        ..source(file_url(&repo))
    };

    let error = verified.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Invalid(why) if why.contains("not signed by an allowed key")),
        "an unsigned HEAD: {error}"
    );
    let good = signed_commit(&trusted, "delay: 4\n");
    assert_eq!(verified.fetch(cache.path()).await.unwrap().revision, good);
    signed_commit(&stranger, "delay: 5\n");
    let error = verified.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Invalid(why) if why.contains("not signed by an allowed key")),
        "signed by a key that is not allowed: {error}"
    );
}

/// GPG-signed commits: only the allowed public keys can make a signature good.
#[tokio::test]
async fn gpg_signatures_are_checked_against_the_allowed_keys() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let keyring = |name: &str| {
        let home = work.path().join(format!("gnupg-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let out = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args([
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                &format!("{name} <{name}@example.com>"),
                "ed25519",
                "sign",
                "never",
            ])
            .output()
            .expect("gpg runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = work.path().join(format!("{name}.asc"));
        let out = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--armor", "--export", "--output"])
            .arg(&public)
            .output()
            .unwrap();
        assert!(out.status.success());
        (home, public)
    };
    let (trusted_home, trusted_key) = keyring("trusted");
    let (stranger_home, stranger_key) = keyring("stranger");
    let signed_commit = |home: &Path, signer: &str, content: &str| {
        std::fs::write(repo.join("stacks/s/queue.yaml"), content).unwrap();
        git(&repo, &["add", "-A"]);
        git_env(
            &repo,
            &[
                "-c",
                &format!("user.signingkey={signer}@example.com"),
                "commit",
                "--quiet",
                "-S",
                "-m",
                "signed",
            ],
            &[("GNUPGHOME", home)],
        );
        git(&repo, &["rev-parse", "HEAD"])
    };
    let cache = tempfile::tempdir().unwrap();
    let verified = GitSource {
        verify: Some(SignaturePolicy {
            ssh_allowed_signers: None,
            gpg_public_keys: vec![trusted_key],
        }),
        ..source(file_url(&repo))
    };

    let good = signed_commit(&trusted_home, "trusted", "delay: 4\n");
    assert_eq!(verified.fetch(cache.path()).await.unwrap().revision, good);

    // The trusted key leaves the policy: the same commit, in the same cache, is now refused
    // (the keyring of the old policy must not linger in the new one).
    let narrowed = GitSource {
        verify: Some(SignaturePolicy {
            ssh_allowed_signers: None,
            gpg_public_keys: vec![stranger_key],
        }),
        ..verified.clone()
    };
    let error = narrowed.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Invalid(why) if why.contains("not signed by an allowed key")),
        "a key removed from the policy no longer verifies: {error}"
    );

    signed_commit(&stranger_home, "stranger", "delay: 5\n");
    let error = verified.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Invalid(why) if why.contains("not signed by an allowed key")),
        "signed by a key that is not allowed: {error}"
    );
    write_commit(&repo, "stacks/s/queue.yaml", "delay: 6\n", &[]);
    let error = verified.fetch(cache.path()).await.unwrap_err();
    assert!(
        matches!(&error, SourceError::Invalid(_)),
        "unsigned: {error}"
    );
}

/// An ssh:// remote: git runs `ssh` with the mounted deploy key, `IdentitiesOnly`, batch mode
/// and strict host-key checking against the given known_hosts. The `ssh` here is a stand-in on
/// PATH that records its arguments and runs the remote command locally, the usual way to test
/// git's SSH transport without an SSH server.
#[tokio::test]
async fn an_ssh_remote_gets_the_deploy_key_and_strict_host_checking() {
    let work = tempfile::tempdir().unwrap();
    let repo = repository(work.path());
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = work.path().join("ssh.log");
    let fake = bin.join("ssh");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nfor last; do :; done\nexec sh -c \"$last\"\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Only ssh:// fetches look `ssh` up, so the other tests are not affected by this PATH.
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", path);
    let key = work.path().join("deploy_key");
    std::fs::write(&key, "not a real key; the stand-in never reads it\n").unwrap();
    let known = work.path().join("known_hosts");
    std::fs::write(&known, "").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let source = GitSource {
        credentials: GitCredentials {
            ssh_key_file: Some(key.clone()),
            known_hosts_file: Some(known.clone()),
            ..GitCredentials::default()
        },
        ..source(format!("ssh://git@git.example.invalid{}", repo.display()))
    };
    let snapshot = source.fetch(cache.path()).await.unwrap();
    assert_eq!(snapshot.revision, head);
    assert!(snapshot.dir.join("queue.yaml").exists());
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains(&format!("-i {}", key.display())), "{calls}");
    assert!(calls.contains("-o IdentitiesOnly=yes"), "{calls}");
    assert!(calls.contains("-o BatchMode=yes"), "{calls}");
    assert!(calls.contains("-o StrictHostKeyChecking=yes"), "{calls}");
    assert!(
        calls.contains(&format!("-o UserKnownHostsFile={}", known.display())),
        "{calls}"
    );
    assert!(calls.contains("git@git.example.invalid"), "{calls}");
}
