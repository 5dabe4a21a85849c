//! `slsctl get` (`status`): each resource, its physical id, and whether AWS matches the spec,
//! from the same observation and diff as a plan, without the plan's per-field output.

use std::process::ExitCode;

use serde::Serialize;

use super::error::CliError;
use super::{color, Output, StackArgs};
use crate::engine::prepare;
use crate::model::ResourceId;
use crate::plan::{ActionKind, PlanOptions};

/// Where one resource stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    InSync,
    /// Owned, exists, differs from the spec.
    Drifted,
    /// In the spec, not in AWS.
    Missing,
    /// The name is taken by a resource without this stack's tags.
    NotOwned,
    /// Owned, but no longer in the spec.
    NotInSpec,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::InSync => "in-sync",
            State::Drifted => "drifted",
            State::Missing => "missing",
            State::NotOwned => "not-owned",
            State::NotInSpec => "not-in-spec",
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub resource: ResourceId,
    pub physical_name: String,
    /// The ARN AWS gave it; `None` when it does not exist.
    pub arn: Option<String>,
    pub state: State,
    pub in_sync: bool,
    /// The fields that differ (for `drifted`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

pub fn run(args: &StackArgs) -> Result<ExitCode, CliError> {
    let stack = super::load(&args.dir)?;
    let runtime = super::runtime()?;
    let prepared = runtime.block_on(async {
        let reach = super::reconcile::clients_for(&stack, &args.dir).await?;
        prepare(stack, &reach.clients, &PlanOptions::default())
            .await
            .map_err(|e| reach.explain(e))
    })?;
    let rows = rows(&prepared);
    tracing::debug!(resources = rows.len(), "status read");
    let plan = &prepared.plan;
    match args.output {
        Output::Json | Output::Yaml => {
            let count = |state: State| rows.iter().filter(|r| r.state == state).count();
            let value = serde_json::json!({
                "stack": plan.stack,
                "account": plan.account,
                "region": plan.region,
                "resources": rows,
                "summary": {
                    "inSync": count(State::InSync),
                    "drifted": count(State::Drifted),
                    "missing": count(State::Missing),
                    "notOwned": count(State::NotOwned),
                    "notInSpec": count(State::NotInSpec),
                },
            });
            print!("{}", super::data(args.output, &value)?);
        }
        Output::Text => print!("{}", table(&plan.stack, &plan.account, &plan.region, &rows)),
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per resource of the spec (in the spec's order), then the owned ones that left it.
fn rows(prepared: &crate::engine::Prepared) -> Vec<Row> {
    let action_of = |id: &ResourceId| prepared.plan.actions.iter().find(|a| &a.id == id);
    let observed_of = |id: &ResourceId| prepared.observed.resources.iter().find(|o| &o.id == id);
    let mut rows: Vec<Row> = prepared
        .desired
        .iter()
        .map(|want| {
            let have = observed_of(&want.id);
            let action = action_of(&want.id);
            let (state, fields) = match (have, action.map(|a| a.action)) {
                (None, _) => (State::Missing, Vec::new()),
                (Some(have), _) if !have.owned => (State::NotOwned, Vec::new()),
                (Some(_), Some(ActionKind::Update | ActionKind::Replace)) => (
                    State::Drifted,
                    action
                        .map(|a| a.changes.iter().map(|c| c.field.clone()).collect())
                        .unwrap_or_default(),
                ),
                (Some(_), _) => (State::InSync, Vec::new()),
            };
            Row {
                resource: want.id.clone(),
                physical_name: have
                    .map(|h| h.physical_name.clone())
                    .unwrap_or_else(|| want.physical_name.clone()),
                arn: have.map(|h| h.arn.clone()).filter(|a| !a.is_empty()),
                in_sync: state == State::InSync,
                state,
                fields,
            }
        })
        .collect();
    for have in prepared
        .observed
        .resources
        .iter()
        .filter(|o| o.owned && !prepared.desired.iter().any(|d| d.id == o.id))
    {
        rows.push(Row {
            resource: have.id.clone(),
            physical_name: have.physical_name.clone(),
            arn: Some(have.arn.clone()).filter(|a| !a.is_empty()),
            state: State::NotInSpec,
            in_sync: false,
            fields: Vec::new(),
        });
    }
    rows
}

/// The table for people: aligned columns, the drifted fields after the physical id.
fn table(stack: &str, account: &str, region: &str, rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Stack {stack} (account {account}, {region})\n");
    // A column is as wide as its widest cell, header included.
    let width = |header: &str, cell: &dyn Fn(&Row) -> usize| {
        rows.iter().map(cell).fold(header.len(), usize::max)
    };
    let resource_width = width("RESOURCE", &|r| r.resource.to_string().len());
    let state_width = width("STATE", &|r| r.state.word().len());
    let _ = writeln!(
        out,
        "{:<resource_width$}  {:<state_width$}  PHYSICAL ID",
        "RESOURCE", "STATE"
    );
    for row in rows {
        let physical = row.arn.clone().unwrap_or_else(|| "-".to_string());
        let fields = if row.fields.is_empty() {
            String::new()
        } else {
            format!("  ({})", row.fields.join(", "))
        };
        let _ = writeln!(
            out,
            "{:<resource_width$}  {}  {physical}{fields}",
            row.resource.to_string(),
            color::status_for_stdout(row.state.word(), row.in_sync, state_width),
        );
    }
    let in_sync = rows.iter().filter(|r| r.in_sync).count();
    let _ = writeln!(
        out,
        "\n{} resources: {in_sync} in sync, {} not.",
        rows.len(),
        rows.len() - in_sync
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn row(kind: Kind, name: &str, state: State) -> Row {
        Row {
            resource: ResourceId::new(kind, name),
            physical_name: name.to_string(),
            arn: Some(format!("arn:{name}")),
            state,
            in_sync: state == State::InSync,
            fields: Vec::new(),
        }
    }

    #[test]
    fn the_table_columns_are_as_wide_as_their_widest_cell() {
        let rows = [
            row(Kind::Queue, "q", State::InSync),
            row(Kind::Function, "a-long-function-name", State::NotInSpec),
        ];
        let text = table("orders", "123456789012", "us-east-1", &rows);
        let lines: Vec<&str> = text.lines().skip(2).take(3).collect();
        assert_eq!(
            lines,
            [
                "RESOURCE                       STATE        PHYSICAL ID",
                "Queue/q                        in-sync      arn:q",
                "Function/a-long-function-name  not-in-spec  arn:a-long-function-name",
            ]
        );
    }
}
