//! Why a command failed, typed: the exit code and whether running it again later may help are
//! decided from the kind of failure, not read from its words. `Display` is the text printed
//! after `error:`.

use std::fmt;
use std::path::PathBuf;

use super::ask::AskError;
use crate::aws::error::{AwsError, Explanation};

/// A command's failure.
#[derive(Debug)]
pub enum CliError {
    /// Flags or arguments that clap cannot check: a malformed `--target`, `--timeout 0`, a
    /// missing `-f DIR`.
    Usage(String),
    /// The stack is invalid; its diagnostics have been printed already, so nothing more is said.
    InvalidSpec,
    /// The environment is not ready to reach AWS or serve: no region anywhere, credentials for
    /// another account than the stack's, an address that cannot be listened on.
    Setup(Explanation),
    /// A failed AWS call, with what a person can do about it (the set-up causes — credentials,
    /// network, permissions — each have their own explanation).
    Aws {
        error: Box<AwsError>,
        explanation: Explanation,
    },
    /// A file that could not be read or written.
    Io {
        access: Access,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The terminal or a pipe failed: writing stdout, reading the confirmation from stdin.
    Console(std::io::Error),
    /// Something slsctl reads is not what it takes: the controller's configuration, a saved
    /// plan, the stack's policies, the code to package, the API token.
    Input(String),
    /// slsctl declines to go on: a saved plan that no longer matches, no terminal to confirm
    /// on, a `--target` that names nothing.
    Refused(String),
    /// The controller could not be asked (no answer, a bad address).
    Controller(AskError),
    /// The controller answered, but not with a yes: unhealthy, no such stack, token refused.
    ControllerSaid(String),
    /// Something that does not fail in practice: starting the async runtime, serialising.
    Internal(String),
}

/// How a file was being used when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl CliError {
    /// An AWS error with the explanation the user reads.
    pub fn aws(error: AwsError, explanation: Explanation) -> Self {
        CliError::Aws {
            error: Box::new(error),
            explanation,
        }
    }

    /// Reading `path` failed.
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            access: Access::Read,
            path: path.into(),
            source,
        }
    }

    /// Writing `path` failed.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            access: Access::Write,
            path: path.into(),
            source,
        }
    }

    /// The process's exit code. Every failure is 1: `2` means "changes present" for `plan
    /// --detailed-exitcode`, so even usage errors (clap's 2) are 1 for CI scripts to tell them
    /// apart. The match is exhaustive so that a new kind of failure has to choose.
    pub fn exit_status(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::InvalidSpec
            | CliError::Setup(_)
            | CliError::Aws { .. }
            | CliError::Io { .. }
            | CliError::Console(_)
            | CliError::Input(_)
            | CliError::Refused(_)
            | CliError::Controller(_)
            | CliError::ControllerSaid(_)
            | CliError::Internal(_) => 1,
        }
    }

    /// Whether the same command, run again later unchanged, may succeed: AWS throttling, a
    /// conflicting change in progress, a network failure, a controller that did not answer.
    /// A bad spec, bad flags or a refusal stay what they are.
    pub fn is_transient(&self) -> bool {
        match self {
            CliError::Aws { error, .. } => error.kind.is_transient(),
            CliError::Controller(error) => matches!(
                error,
                AskError::Unreachable { .. }
                    | AskError::ConnectTimeout { .. }
                    | AskError::TooSlow { .. }
                    | AskError::Send { .. }
                    | AskError::Read(_)
            ),
            _ => false,
        }
    }

    /// Whether the diagnostics were printed already, so that nothing more is to be said.
    pub fn already_reported(&self) -> bool {
        matches!(self, CliError::InvalidSpec)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message)
            | CliError::Input(message)
            | CliError::Refused(message)
            | CliError::ControllerSaid(message)
            | CliError::Internal(message) => f.write_str(message),
            CliError::InvalidSpec => {
                f.write_str("the stack is invalid (see the diagnostics above)")
            }
            CliError::Setup(explanation) | CliError::Aws { explanation, .. } => {
                write!(f, "{explanation}")
            }
            CliError::Io {
                access,
                path,
                source,
            } => {
                let verb = match access {
                    Access::Read => "read",
                    Access::Write => "write",
                };
                write!(f, "cannot {verb} {}: {source}", path.display())
            }
            CliError::Console(error) => write!(f, "{error}"),
            CliError::Controller(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Aws { error, .. } => Some(error.as_ref()),
            CliError::Io { source, .. } => Some(source),
            CliError::Console(error) => Some(error),
            CliError::Controller(error) => Some(error),
            _ => None,
        }
    }
}

impl From<AskError> for CliError {
    fn from(error: AskError) -> Self {
        CliError::Controller(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::ErrorKind;

    fn aws(kind: ErrorKind) -> CliError {
        let error = AwsError::new("SendMessage", kind, "slow down");
        let explanation = Explanation::new(error.to_string());
        CliError::aws(error, explanation)
    }

    #[test]
    fn throttling_and_conflicts_are_transient_and_a_rejected_request_is_not() {
        assert!(aws(ErrorKind::Throttled).is_transient());
        assert!(aws(ErrorKind::Conflict).is_transient());
        assert!(aws(ErrorKind::Other).is_transient());
        assert!(!aws(ErrorKind::Validation).is_transient());
        assert!(!aws(ErrorKind::AccessDenied).is_transient());
        assert!(!aws(ErrorKind::NotFound).is_transient());
    }

    #[test]
    fn a_bad_spec_bad_flags_or_a_refusal_are_never_transient() {
        for error in [
            CliError::InvalidSpec,
            CliError::Usage("--timeout must be at least 1 second".into()),
            CliError::Refused("make a new plan".into()),
            CliError::Setup(Explanation::new("no region")),
            CliError::Input("c.yaml: no stacks".into()),
        ] {
            assert!(!error.is_transient(), "{error}");
        }
    }

    #[test]
    fn a_controller_that_does_not_answer_is_transient_a_bad_address_is_not() {
        let slow = CliError::from(AskError::TooSlow {
            address: "127.0.0.1:8080".into(),
            seconds: 1.0,
        });
        assert!(slow.is_transient());
        assert!(!CliError::from(AskError::NotHttp).is_transient());
    }

    #[test]
    fn every_failure_exits_1_usage_errors_included_so_2_stays_changes_present() {
        for error in [
            CliError::Usage("--target takes KIND/NAME, not `x`".into()),
            CliError::InvalidSpec,
            aws(ErrorKind::Throttled),
            CliError::Refused("refusing".into()),
            CliError::Internal("cannot start the async runtime".into()),
        ] {
            assert_eq!(error.exit_status(), 1, "{error}");
        }
    }

    #[test]
    fn only_an_invalid_spec_is_already_reported() {
        assert!(CliError::InvalidSpec.already_reported());
        assert!(!CliError::Usage("x".into()).already_reported());
    }

    #[test]
    fn the_texts_are_the_ones_printed_before_the_types() {
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        assert_eq!(
            CliError::read("plan.json", missing()).to_string(),
            "cannot read plan.json: No such file"
        );
        assert_eq!(
            CliError::write("out/schema.json", missing()).to_string(),
            "cannot write out/schema.json: No such file"
        );
        assert_eq!(
            CliError::Console(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "Broken pipe"
            ))
            .to_string(),
            "Broken pipe"
        );
        let text = "--target takes KIND/NAME, not `x`\nhint: KIND is one of Function";
        assert_eq!(CliError::Usage(text.into()).to_string(), text);
        assert_eq!(
            CliError::from(AskError::NotHttp).to_string(),
            AskError::NotHttp.to_string()
        );
        let mut explanation = Explanation::new("no AWS region");
        explanation.hints.push("export AWS_REGION=us-east-1".into());
        assert_eq!(
            CliError::Setup(explanation).to_string(),
            "no AWS region\n  hint: export AWS_REGION=us-east-1"
        );
        let error = AwsError::new("CreateQueue", ErrorKind::Validation, "bad attribute");
        let explanation = Explanation::new("CreateQueue failed: bad attribute");
        assert_eq!(
            CliError::aws(error, explanation).to_string(),
            "CreateQueue failed: bad attribute"
        );
    }
}
