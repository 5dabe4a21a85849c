use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use super::error::CliError;
use super::{Output, StackArgs};
use crate::kinds::load_stack;
use crate::model::Kind;

pub fn run(args: &StackArgs) -> Result<ExitCode, CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let loaded = load_stack(&args.dir).and_then(|(stack, sources)| {
        // The policies plan and apply enforce, evaluated here too (without a plan), so that
        // what validates is not refused later.
        let findings = match crate::policy::PolicySet::for_stack(&stack.root)
            .and_then(|set| set.evaluate(&crate::policy::input(&stack, None), &stack))
        {
            Ok(findings) => findings,
            Err(e) => {
                let mut diagnostics = crate::spec::diag::Diagnostics::default();
                diagnostics.push(
                    crate::spec::diag::Diagnostic::new(format!(
                        "the policies cannot be evaluated: {e}"
                    ))
                    .hint("check the stack's policies/*.rego (slsctl policy test -f DIR)"),
                );
                return Err((diagnostics, sources));
            }
        };
        let denies = crate::policy::diagnostics(&findings, &stack);
        if denies.is_empty() {
            Ok((stack, findings))
        } else {
            Err((denies, sources))
        }
    });
    match loaded {
        Ok((stack, findings)) => {
            // Warnings and waived denies do not fail validation; they are said.
            let said: Vec<String> = findings
                .iter()
                .filter(|f| !f.denies())
                .map(|f| match (&f.waived, f.severity) {
                    (Some(_), _) => format!("note: policy exception: {f}"),
                    (None, _) => format!("warning: policy: {f}"),
                })
                .collect();
            let counts: Vec<(Kind, usize)> = Kind::ALL
                .into_iter()
                .filter(|k| *k != Kind::Stack)
                .map(|k| (k, stack.count(k)))
                .filter(|(_, n)| *n > 0)
                .collect();
            match args.output {
                Output::Text => {
                    for line in &said {
                        eprintln!("{line}");
                    }
                    let summary: Vec<String> =
                        counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
                    let derived = stack
                        .resources
                        .iter()
                        .filter(|r| r.derived_from.is_some())
                        .count();
                    let derived = if derived > 0 {
                        format!("; {derived} derived from the wiring")
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "{}: stack `{}` is valid ({} resources: {}{derived})",
                        args.dir.display(),
                        stack.name,
                        stack.resources.len(),
                        summary.join(", ")
                    )
                    .map_err(CliError::Console)?;
                }
                Output::Json | Output::Yaml => {
                    let resources: Vec<_> = stack
                        .resources
                        .iter()
                        .map(|r| {
                            let mut item = json!({"kind": r.id.kind, "name": r.id.name, "physicalName": r.physical_name});
                            if let Some(from) = &r.derived_from {
                                item["derivedFrom"] = json!(from.to_string());
                            }
                            item
                        })
                        .collect();
                    let policy: Vec<&crate::policy::Finding> =
                        findings.iter().filter(|f| !f.denies()).collect();
                    let value = json!({"valid": true, "stack": stack.name, "resources": resources, "diagnostics": [], "policy": policy});
                    write!(out, "{}", super::data(args.output, &value)?)
                        .map_err(CliError::Console)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err((diagnostics, sources)) => {
            match args.output {
                Output::Text => {
                    let rendered = diagnostics.render(&|path| sources.get(path));
                    eprint!("{}", super::color::diagnostics_for_stderr(&rendered));
                }
                Output::Json | Output::Yaml => {
                    let items: Vec<_> = diagnostics
                        .iter()
                        .map(|d| {
                            json!({
                                "file": d.location.as_ref().map(|l| l.file.display().to_string()),
                                "line": d.location.as_ref().map(|l| l.line),
                                "column": d.location.as_ref().map(|l| l.column),
                                "resource": d.resource,
                                "field": d.field,
                                "message": d.message,
                                "hint": d.hint,
                                "notes": d.notes.iter().map(|n| json!({
                                    "location": n.location.as_ref().map(ToString::to_string),
                                    "message": n.message,
                                })).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    let value = json!({"valid": false, "diagnostics": items});
                    write!(out, "{}", super::data(args.output, &value)?)
                        .map_err(CliError::Console)?;
                }
            }
            Err(CliError::InvalidSpec)
        }
    }
}
