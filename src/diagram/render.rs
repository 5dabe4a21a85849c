//! A [`Diagram`] as Mermaid (for READMEs and pull requests), draw.io (opens in diagrams.net,
//! with the AWS 2021 shapes) and SVG (self-contained). Every renderer places nodes by their
//! layer and row, so the output is the same bytes for the same spec.

use super::{Diagram, NodeKind};
use crate::model::Kind;

/// Size of a node box and the gaps between them, in SVG and draw.io units.
const WIDTH: usize = 240;
const HEIGHT: usize = 96;
const GAP_X: usize = 90;
const GAP_Y: usize = 40;
const MARGIN: usize = 40;

fn x_of(layer: usize) -> usize {
    MARGIN + layer * (WIDTH + GAP_X)
}

fn y_of(row: usize) -> usize {
    MARGIN + 30 + row * (HEIGHT + GAP_Y)
}

/// The AWS Architecture Icons (2021) shape and category colour of a kind, as draw.io names them.
fn aws_shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Resource(Kind::Function) => ("mxgraph.aws4.lambda_function", "#ED7100"),
        NodeKind::Resource(Kind::Layer) => ("mxgraph.aws4.lambda", "#ED7100"),
        NodeKind::Resource(Kind::Queue) => ("mxgraph.aws4.sqs", "#E7157B"),
        NodeKind::Resource(Kind::EventBus) => ("mxgraph.aws4.eventbridge", "#E7157B"),
        NodeKind::Resource(Kind::Rule) => ("mxgraph.aws4.rule_2", "#E7157B"),
        NodeKind::Resource(Kind::Table) => ("mxgraph.aws4.dynamodb", "#C925D1"),
        NodeKind::Resource(Kind::Api) => ("mxgraph.aws4.api_gateway", "#E7157B"),
        NodeKind::Resource(Kind::Role) => ("mxgraph.aws4.role", "#DD344C"),
        NodeKind::Resource(Kind::LogGroup) => ("mxgraph.aws4.cloudwatch_2", "#E7157B"),
        // Kinds slsctl only derives are not drawn; anything else is a generic resource.
        NodeKind::Resource(_) | NodeKind::External => ("mxgraph.aws4.general", "#232F3E"),
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Mermaid `flowchart LR`, one subgraph for the stack.
pub fn mermaid(d: &Diagram) -> String {
    let mut out = String::from("flowchart LR\n");
    out.push_str(&format!("  subgraph stack[\"Stack {}\"]\n", d.stack));
    for (i, n) in d.nodes.iter().enumerate() {
        let mut label = format!("{}<br/><b>{}</b>", n.kind.label(), n.name);
        for note in &n.notes {
            label.push_str(&format!("<br/><small>{note}</small>"));
        }
        let label = label.replace('"', "#quot;");
        let (open, close) = match n.kind {
            NodeKind::Resource(Kind::Queue) => ("[/", "/]"),
            NodeKind::Resource(Kind::Table) => ("[(", ")]"),
            NodeKind::Resource(Kind::EventBus) => ("{{", "}}"),
            NodeKind::Resource(Kind::Api) => ("([", "])"),
            _ => ("[", "]"),
        };
        out.push_str(&format!("    n{i}{open}\"{label}\"{close}\n"));
    }
    out.push_str("  end\n");
    for e in &d.edges {
        let label = e.label.replace('"', "#quot;").replace('|', "#124;");
        out.push_str(&format!("  n{} -->|\"{label}\"| n{}\n", e.from, e.to));
    }
    let flagged: Vec<String> = d
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.flagged)
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !flagged.is_empty() {
        out.push_str("  classDef coldStart stroke:#D13212,stroke-width:3px\n");
        out.push_str(&format!("  class {} coldStart\n", flagged.join(",")));
    }
    out
}

/// A draw.io file (`mxfile`): the stack as a group, each resource an AWS 2021 shape with its
/// name and notes, each flow an edge with its label.
pub fn drawio(d: &Diagram) -> String {
    let (width, height) = extent(d);
    let mut cells = String::new();
    cells.push_str("        <mxCell id=\"0\" />\n        <mxCell id=\"1\" parent=\"0\" />\n");
    cells.push_str(&format!(
        "        <mxCell id=\"stack\" value=\"Stack {}\" style=\"points=[[0,0],[0.25,0],[0.5,0],[0.75,0],[1,0],[1,0.25],[1,0.5],[1,0.75],[1,1],[0.75,1],[0.5,1],[0.25,1],[0,1],[0,0.75],[0,0.5],[0,0.25]];outlineConnect=0;gradientColor=none;html=1;whiteSpace=wrap;fontSize=12;fontStyle=0;container=1;pointerEvents=0;collapsible=0;recursiveResize=0;shape=mxgraph.aws4.group;grIcon=mxgraph.aws4.group_aws_cloud_alt;strokeColor=#232F3E;fillColor=none;verticalAlign=top;align=left;spacingLeft=30;fontColor=#232F3E;dashed=0;\" vertex=\"1\" parent=\"1\">\n          <mxGeometry x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" as=\"geometry\" />\n        </mxCell>\n",
        xml(&d.stack)
    ));
    for (i, n) in d.nodes.iter().enumerate() {
        let (shape, colour) = aws_shape(n.kind);
        let mut value = format!("<b>{}</b>", xml(&n.name));
        for note in &n.notes {
            value.push_str(&format!(
                "<br><font style=\"font-size:9px\">{}</font>",
                xml(note)
            ));
        }
        let stroke = if n.flagged { "#D13212" } else { "#ffffff" };
        cells.push_str(&format!(
            "        <mxCell id=\"n{i}\" value=\"{}\" style=\"sketch=0;outlineConnect=0;fontColor=#232F3E;gradientColor=none;fillColor={colour};strokeColor={stroke};dashed=0;verticalLabelPosition=middle;verticalAlign=middle;align=left;spacingLeft=52;html=1;whiteSpace=wrap;fontSize=11;aspect=fixed;shape=mxgraph.aws4.resourceIcon;resIcon={shape};labelPosition=right;\" vertex=\"1\" parent=\"stack\">\n          <mxGeometry x=\"{}\" y=\"{}\" width=\"48\" height=\"48\" as=\"geometry\" />\n        </mxCell>\n",
            xml(&value),
            x_of(n.layer),
            y_of(n.row) + (HEIGHT - 48) / 2
        ));
    }
    for (j, e) in d.edges.iter().enumerate() {
        cells.push_str(&format!(
            "        <mxCell id=\"e{j}\" value=\"{}\" style=\"edgeStyle=orthogonalEdgeStyle;rounded=1;html=1;fontSize=9;endArrow=block;endFill=1;\" edge=\"1\" parent=\"stack\" source=\"n{}\" target=\"n{}\">\n          <mxGeometry relative=\"1\" as=\"geometry\" />\n        </mxCell>\n",
            xml(&e.label),
            e.from,
            e.to
        ));
    }
    format!(
        "<mxfile host=\"slsctl\" type=\"device\">\n  <diagram id=\"{}\" name=\"{}\">\n    <mxGraphModel dx=\"{width}\" dy=\"{height}\" grid=\"1\" gridSize=\"10\" guides=\"1\" tooltips=\"1\" connect=\"1\" arrows=\"1\" fold=\"1\" page=\"0\" pageScale=\"1\" math=\"0\" shadow=\"0\">\n      <root>\n{cells}      </root>\n    </mxGraphModel>\n  </diagram>\n</mxfile>\n",
        xml(&d.stack),
        xml(&d.stack)
    )
}

fn extent(d: &Diagram) -> (usize, usize) {
    let layers = d.nodes.iter().map(|n| n.layer + 1).max().unwrap_or(1);
    let rows = d.nodes.iter().map(|n| n.row + 1).max().unwrap_or(1);
    (x_of(layers) - GAP_X + MARGIN, y_of(rows) - GAP_Y + MARGIN)
}

/// A self-contained SVG: boxes coloured by kind, the cold-start flag in red, flows as arrows
/// with their labels. `states` colours each resource's border by its state when given (the
/// status page's in-sync, drifted, missing…), keyed by `Kind/name`.
pub fn svg(d: &Diagram, states: &std::collections::BTreeMap<String, String>) -> String {
    let (width, height) = extent(d);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#545B64\"/></marker></defs>\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"{MARGIN}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"#232F3E\">Stack {}</text>\n",
        MARGIN + 10,
        xml(&d.stack)
    );
    for e in &d.edges {
        let (a, b) = (&d.nodes[e.from], &d.nodes[e.to]);
        let (x1, y1) = (x_of(a.layer) + WIDTH, y_of(a.row) + HEIGHT / 2);
        let (x2, y2) = (x_of(b.layer), y_of(b.row) + HEIGHT / 2);
        // A flow back to the same or an earlier column loops under the boxes.
        let path = if x2 > x1 {
            let mid = (x1 + x2) / 2;
            format!("M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}")
        } else {
            let below = y1.max(y2) + HEIGHT / 2 + GAP_Y / 2;
            format!(
                "M {x1} {y1} C {} {below}, {} {below}, {x2} {y2}",
                x1 + GAP_X,
                x2.saturating_sub(GAP_X)
            )
        };
        out.push_str(&format!(
            "<path d=\"{path}\" fill=\"none\" stroke=\"#545B64\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n"
        ));
        let (lx, ly) = ((x1 + x2) / 2, (y1 + y2) / 2 - 4);
        out.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ly}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#545B64\">{}</text>\n",
            xml(&e.label)
        ));
    }
    for n in &d.nodes {
        let (x, y) = (x_of(n.layer), y_of(n.row));
        let (_, colour) = aws_shape(n.kind);
        let state = states.get(&n.key);
        let border = match (n.flagged, state.map(String::as_str)) {
            (_, Some("drifted")) => "#FF9900",
            (_, Some("missing" | "not-owned" | "failed")) => "#D13212",
            (true, _) => "#D13212",
            _ => "#AAB7B8",
        };
        out.push_str(&format!(
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" rx=\"6\" fill=\"#ffffff\" stroke=\"{border}\" stroke-width=\"{}\"/>\n\
             <rect x=\"{x}\" y=\"{y}\" width=\"8\" height=\"{HEIGHT}\" rx=\"3\" fill=\"{colour}\"/>\n\
             <text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{colour}\">{}</text>\n\
             <text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\" fill=\"#232F3E\">{}</text>\n",
            if n.flagged { 3 } else { 1 },
            x + 16,
            y + 16,
            xml(n.kind.label()),
            x + 16,
            y + 33,
            xml(&n.name)
        ));
        let mut lines: Vec<String> = n.notes.clone();
        if let Some(state) = state {
            lines.push(format!("state: {state}"));
        }
        for (k, line) in lines.iter().take(4).enumerate() {
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"9\" fill=\"#545B64\">{}</text>\n",
                x + 16,
                y + 50 + k * 12,
                xml(&truncate(line, 44))
            ));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let kept: String = text.chars().take(limit - 1).collect();
    format!("{kept}…")
}
