//! The first minutes with a real account: every failure before the first plan says what is
//! wrong in one line, then what to do, and never prints a library's `Debug` text. The binary
//! runs with an environment that has no credentials, a missing profile, no region, or an
//! endpoint that does not answer; AWS's refusals (expired keys, access denied, throttling, the
//! wrong account) are scripted with aws-smithy-mocks.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use aws_sdk_sts::operation::get_caller_identity::{
    GetCallerIdentityError, GetCallerIdentityOutput,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use slsctl::aws::error::{explain, Explanation};
use slsctl::aws::setup::Surroundings;
use slsctl::aws::Clients;
use slsctl::engine::{prepare, EngineError};
use slsctl::plan::PlanOptions;

const STACK: &str = "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: first}\nspec: {region: us-east-1, accountId: \"123456789012\"}\n";
const QUEUE: &str =
    "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {}\n";

/// The binary with nothing of this machine's AWS set-up: an empty home, no AWS variables, and
/// the instance metadata service off (this is not an EC2 instance; it would only add a wait).
fn bare(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slsctl"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    command
}

/// Exit code 1, nothing on stdout, and stderr's first line; the whole of stderr is free of
/// `Debug` output.
fn failure(out: Output) -> (String, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    no_debug_text(&stderr);
    (stderr.lines().next().unwrap_or("").to_string(), stderr)
}

fn no_debug_text(text: &str) {
    for debug in ["{ source:", "Some(", "DispatchFailure", "ConnectorError"] {
        assert!(!text.contains(debug), "`{debug}` in:\n{text}");
    }
}

fn example() -> String {
    support::project_root()
        .join("specs/examples/orders")
        .display()
        .to_string()
}

#[test]
fn no_credentials_names_the_sources_tried_and_the_usual_fixes() {
    let home = tempfile::tempdir().unwrap();
    let out = bare(home.path())
        .args(["plan", "-f", &example()])
        .output()
        .unwrap();
    let (first, all) = failure(out);
    assert!(
        first.starts_with("error: no AWS credentials: the SDK looked in the environment"),
        "{all}"
    );
    for source in [
        "profile `default`",
        "SSO",
        "web identity",
        "ECS",
        "instance metadata",
    ] {
        assert!(first.contains(source), "{source} missing: {first}");
    }
    assert!(
        all.contains("hint: to use a named profile: export AWS_PROFILE="),
        "{all}"
    );
    assert!(all.contains("aws sso login --profile"), "{all}");
    assert!(all.contains("export AWS_ACCESS_KEY_ID="), "{all}");
}

#[test]
fn a_profile_that_no_file_defines_is_named() {
    let home = tempfile::tempdir().unwrap();
    // With config files (the SDK's own verdict) and without any (the chain just finds nothing).
    for with_files in [true, false] {
        if with_files {
            support::write(
                home.path(),
                ".aws/config",
                "[default]\nregion = eu-west-1\n[profile dev]\nregion = eu-west-1\n",
            );
        }
        let out = bare(home.path())
            .env("AWS_PROFILE", "prodd")
            .args(["plan", "-f", &example()])
            .output()
            .unwrap();
        let (first, all) = failure(out);
        assert!(
            first.starts_with("error: AWS profile `prodd` is not defined in "),
            "files: {with_files}\n{all}"
        );
        assert!(all.contains("aws configure list-profiles"), "{all}");
        assert!(all.contains("AWS_PROFILE=prodd selects it"), "{all}");
    }
}

#[test]
fn profiles_that_cannot_give_credentials_say_why_and_what_renews_them() {
    let home = tempfile::tempdir().unwrap();
    support::write(
        home.path(),
        ".aws/config",
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
         [profile broken]\ncredential_process = false\n",
    );
    let first_line = |profile: &str| {
        let out = bare(home.path())
            .env("AWS_PROFILE", profile)
            .args(["plan", "-f", &example()])
            .output()
            .unwrap();
        failure(out)
    };
    let (first, all) = first_line("sso");
    assert_eq!(
        first,
        "error: profile `sso` (AWS_PROFILE) uses SSO, but this machine has no SSO session for it"
    );
    assert!(
        all.contains("hint: log in: aws sso login --profile sso"),
        "{all}"
    );
    // The SDK's cache of the session's token, named by the SHA-1 of the session's name
    // (`corp`), expired and without a refresh token.
    support::write(
        home.path(),
        ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
        r#"{"accessToken": "x", "expiresAt": "2020-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}"#,
    );
    let (first, all) = first_line("sso");
    assert_eq!(
        first,
        "error: the SSO session of profile `sso` (AWS_PROFILE) has expired"
    );
    assert!(
        all.contains("hint: renew it: aws sso login --profile sso"),
        "{all}"
    );
    let (first, all) = first_line("broken");
    assert!(
        first.starts_with("error: the AWS credentials could not be loaded: Error retrieving credentials: external process exited with code"),
        "{all}"
    );
    assert!(all.contains("credential_process"), "{all}");
}

#[test]
fn no_region_says_which_sources_were_empty_and_where_to_set_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = support::spec_dir(&[
        (
            "stack.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: first}\nspec: {}\n",
        ),
        ("queue.yaml", QUEUE),
    ]);
    let out = bare(home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["plan", "-f", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let (first, all) = failure(out);
    assert_eq!(
        first,
        format!(
            "error: no AWS region: the Stack sets no `region`, AWS_REGION and AWS_DEFAULT_REGION are unset, and profile `default` is not defined in {}",
            home.path().join(".aws/config").display()
        )
    );
    assert!(all.contains("`spec: {region: us-east-1}`"), "{all}");
    assert!(all.contains("export AWS_REGION="), "{all}");
    assert!(all.contains("aws configure set region"), "{all}");
}

#[test]
fn an_endpoint_where_nothing_listens_is_named_with_the_variable_that_chose_it() {
    let home = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = bare(home.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("HTTPS_PROXY", "http://me:hunter2@127.0.0.1:1")
        .env("NO_PROXY", "127.0.0.1")
        .args(["plan", "-f", &example()])
        .output()
        .unwrap();
    let (first, all) = failure(out);
    assert_eq!(
        first,
        format!("error: cannot reach AWS STS at {endpoint} (GetCallerIdentity): the connection was refused")
    );
    assert!(
        all.contains(&format!("hint: AWS_ENDPOINT_URL={endpoint} is set")),
        "{all}"
    );
    assert!(
        all.contains("HTTPS_PROXY=http://127.0.0.1:1 set"),
        "the proxy, without its password: {all}"
    );
    assert!(!all.contains("hunter2"), "{all}");
}

#[test]
fn an_endpoint_that_does_not_resolve_says_so() {
    let home = tempfile::tempdir().unwrap();
    let out = bare(home.path())
        .env("AWS_ENDPOINT_URL", "http://slsctl-no-such-host.invalid")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["plan", "-f", &example()])
        .output()
        .unwrap();
    let (first, all) = failure(out);
    assert_eq!(
        first,
        "error: cannot reach AWS STS at http://slsctl-no-such-host.invalid (GetCallerIdentity): its host name does not resolve",
        "{all}"
    );
    assert!(all.contains("no proxy variable"), "{all}");
}

#[test]
fn doctor_lists_what_is_missing_with_fixes_and_fails() {
    let home = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let out = bare(home.path())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .arg("doctor")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    no_debug_text(&stdout);
    assert!(
        stdout.contains("ok   region: us-east-1 (from AWS_REGION)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "FAIL emulator: nothing listens at http://127.0.0.1:{port} (AWS_ENDPOINT_URL)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("hint: start the local emulator"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL credentials: no AWS credentials"),
        "{stdout}"
    );
    assert!(stdout.contains(" git: "), "git is checked: {stdout}");
    assert!(
        stdout.contains(" gpg: ") && stdout.contains(" ssh: "),
        "{stdout}"
    );
}

#[test]
fn doctor_passes_against_the_emulator() {
    let out = support::slsctl(&["doctor", "-f", "specs/examples/orders"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok   emulator: answers at"), "{stdout}");
    assert!(
        stdout.contains("ok   account: 123456789012 (the stack's accountId)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok   region: us-east-1 (from the Stack's `region`)"),
        "{stdout}"
    );
}

#[test]
fn iam_policy_gives_reads_for_plan_and_the_stacks_changes_for_apply() {
    let policy = |extra: &[&str]| -> Vec<String> {
        let home = tempfile::tempdir().unwrap();
        let example = example();
        let mut args = vec!["iam-policy", "-f", example.as_str()];
        args.extend(extra);
        let out = bare(home.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(value["Version"], "2012-10-17");
        value["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap().clone())
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let read_only = policy(&["--read-only"]);
    assert!(read_only.contains(&"lambda:GetFunction".to_string()));
    assert!(read_only.contains(&"tag:GetResources".to_string()));
    assert!(read_only.contains(&"apigateway:GET".to_string()));
    let writes: Vec<&String> = read_only
        .iter()
        .filter(|a| !slsctl::aws::permissions::is_read(a))
        .collect();
    assert!(writes.is_empty(), "plan changes nothing: {writes:?}");
    let apply = policy(&[]);
    for needed in [
        "lambda:CreateFunction",
        "sqs:SetQueueAttributes",
        "dynamodb:UpdateTable",
        "events:PutTargets",
        "apigateway:POST",
        "iam:PassRole",
    ] {
        assert!(apply.contains(&needed.to_string()), "{needed}: {apply:?}");
    }
    for controller_only in ["s3:GetObject", "events:PutEvents", "dynamodb:PutItem"] {
        assert!(
            !apply.contains(&controller_only.to_string()),
            "{controller_only}"
        );
    }
}

#[test]
fn iam_policy_leaves_out_changes_for_kinds_the_stack_lacks() {
    let dir = support::spec_dir(&[("stack.yaml", STACK), ("queue.yaml", QUEUE)]);
    let home = tempfile::tempdir().unwrap();
    let out = bare(home.path())
        .args(["iam-policy", "-f", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sqs:CreateQueue"), "{text}");
    assert!(!text.contains("lambda:CreateFunction"), "{text}");
    assert!(!text.contains("iam:PassRole"), "{text}");
    assert!(
        text.contains("lambda:GetFunction"),
        "observing reads every service: {text}"
    );
}

// ---- AWS's refusals, scripted ----

fn retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

/// Clients whose STS and tagging answer as scripted; the other services have no answers, so
/// that a call to them fails loudly.
fn clients(sts: &[&Rule], tagging: &[&Rule]) -> Clients {
    let none: &[&Rule] = &[];
    Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, none),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            tagging,
            |c| c.retry_config(retry())
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, none),
        "us-east-1",
    )
}

fn identity(account: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(move || {
        GetCallerIdentityOutput::builder()
            .account(account)
            .arn(format!("arn:aws:iam::{account}:user/ci"))
            .build()
    })
}

fn sts_refusal(code: &'static str, message: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_error(move || {
        GetCallerIdentityError::generic(
            ErrorMetadata::builder().code(code).message(message).build(),
        )
    })
}

fn surroundings(access_keys: bool) -> Surroundings {
    Surroundings {
        access_key_variable: access_keys,
        session_token_variable: access_keys,
        stack_dir: Some("stacks/first".into()),
        max_attempts: 3,
        ..Surroundings::default()
    }
}

/// Plan the one-queue stack against `clients` and explain the error it ends in.
async fn explained(clients: &Clients, around: &Surroundings) -> Explanation {
    let dir = support::spec_dir(&[("stack.yaml", STACK), ("queue.yaml", QUEUE)]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path()).unwrap();
    match prepare(stack, clients, &PlanOptions::default()).await {
        Err(EngineError::Aws(error)) => {
            let explanation = explain(&error, around, Some("us-east-1"));
            no_debug_text(&explanation.to_string());
            explanation
        }
        Err(other) => panic!("not an AWS error: {other}"),
        Ok(_) => panic!("planned"),
    }
}

#[tokio::test]
async fn expired_credentials_say_so_and_how_to_renew_them() {
    let expired = sts_refusal(
        "ExpiredToken",
        "The security token included in the request is expired",
    );
    let explanation = explained(&clients(&[&expired], &[]), &surroundings(true)).await;
    assert_eq!(
        explanation.what,
        "the AWS credentials have expired (ExpiredToken): the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
    );
    assert!(
        explanation.hints[0].starts_with("these are temporary keys: get new ones"),
        "{explanation}"
    );
}

#[tokio::test]
async fn an_unknown_access_key_is_told_apart_from_an_expired_one() {
    let invalid = sts_refusal(
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    );
    let explanation = explained(&clients(&[&invalid], &[]), &surroundings(false)).await;
    assert!(
        explanation.what.starts_with(
            "AWS does not recognise the access key (InvalidClientTokenId): the credentials of profile `default`"
        ),
        "{explanation}"
    );
}

#[tokio::test]
async fn access_denied_names_the_action_the_resource_and_the_policy_that_grants_it() {
    let denied = mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_error(|| {
        aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: tag:GetResources on resource: * because no identity-based policy allows the tag:GetResources action")
                .build(),
        )
    });
    let sts = identity("123456789012");
    let explanation = explained(&clients(&[&sts], &[&denied]), &surroundings(false)).await;
    assert_eq!(
        explanation.what,
        "AWS refused tag:GetResources on * to arn:aws:iam::123456789012:user/ci (AccessDeniedException)"
    );
    assert_eq!(
        explanation.hints[0],
        "deploy/iam/task-role-policy.json (the controller's role) grants tag:GetResources; these credentials lack it"
    );
    assert!(
        explanation.hints[1].contains("`slsctl iam-policy -f stacks/first --read-only` (plan)"),
        "{explanation}"
    );
}

#[tokio::test]
async fn an_action_the_task_role_lacks_is_said_to_be_missing_there_too() {
    let denied = mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_error(|| {
        aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/abc with an explicit deny in a service control policy")
                .build(),
        )
    });
    let sts = identity("123456789012");
    let explanation = explained(&clients(&[&sts], &[&denied]), &surroundings(false)).await;
    assert!(
        explanation
            .what
            .starts_with("AWS refused kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key/abc"),
        "{explanation}"
    );
    assert!(
        explanation.hints[0].contains("does not grant kms:Decrypt"),
        "{explanation}"
    );
    assert!(
        explanation
            .hints
            .iter()
            .any(|h| h.starts_with("an explicit deny")),
        "{explanation}"
    );
}

#[tokio::test]
async fn throttling_after_every_retry_names_the_operation_the_attempts_and_that_a_rerun_is_safe() {
    let throttled = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .sequence()
        .error(|| {
            aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(6)
        .build();
    let sts = identity("123456789012");
    let explanation = explained(&clients(&[&sts], &[&throttled]), &surroundings(false)).await;
    assert_eq!(
        throttled.num_calls(),
        6,
        "observation's reads: twice the SDK's three attempts"
    );
    assert_eq!(
        explanation.what,
        "AWS kept throttling GetResources (ThrottlingException) through 6 attempts"
    );
    assert!(
        explanation.hints[0].contains("re-run safely"),
        "{explanation}"
    );
}

#[tokio::test]
async fn the_wrong_account_is_refused_before_any_call_beyond_the_identity() {
    let sts = identity("999999999999");
    let clients = clients(&[&sts], &[]);
    let dir = support::spec_dir(&[("stack.yaml", STACK), ("queue.yaml", QUEUE)]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path()).unwrap();
    let error = prepare(stack, &clients, &PlanOptions::default())
        .await
        .expect_err("refused");
    assert!(matches!(error, EngineError::WrongAccount { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "the credentials are for account 999999999999, but stack `first` is pinned to account 123456789012 (spec.accountId); nothing was done"
    );
    assert_eq!(
        clients.calls.snapshot().into_iter().collect::<Vec<_>>(),
        vec![("sts:GetCallerIdentity".to_string(), 1)],
        "nothing but the identity was asked"
    );
}
