//! `slsctl import live`: finding the resources (by tag or by name prefix) and reading each one
//! through its kind's own read (`kinds::*::aws`), so that the specs written from them compare
//! exactly as observation will read them back.
//!
//! List calls first (one tagging query, or each service's listing by prefix), then one read per
//! resource that matched. A function's code is Lambda's own copy, downloaded through the
//! presigned URL GetFunction gives, and written as the zip file the spec names: its SHA-256 is
//! the function's `CodeSha256`, so the first plan changes no code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::live::LiveResource;
use super::Skipped;
use crate::aws::error::{AwsError, Classified};
use crate::aws::{all_items, all_pages, Clients};
use crate::kinds::context::insert_tag_props;
use crate::kinds::desired::arn_name;
use crate::kinds::function::derive::default_log_group_name;
use crate::kinds::function::{aliases, aws as lambda, mappings};
use crate::kinds::log_group::aws as log_groups;
use crate::kinds::queue::aws as sqs;
use crate::kinds::rule::aws as events;
use crate::kinds::table::aws as dynamodb;
use crate::model::Kind;
use crate::plan::{FieldValue, Props};

/// Why a REST API is listed rather than imported.
const API_NOT_ADOPTABLE: &str = "a REST API: slsctl finds APIs by its ownership tags only, so an untagged one cannot be adopted (an Api spec would create a second API beside it); write an Api spec with its routes, apply, move the clients to the new stage, then delete this one";

/// How the resources to import are chosen.
#[derive(Clone, Debug)]
pub enum Selector {
    /// Every resource carrying this tag (the Resource Groups Tagging API).
    Tag { key: String, value: String },
    /// Every resource whose name starts with this (each service's own listing).
    Prefix(String),
}

/// What discovery found and read.
#[derive(Debug, Default)]
pub struct Discovered {
    pub resources: Vec<LiveResource>,
    pub skipped: Vec<Skipped>,
    /// Function code to write: output-relative path → the zip's bytes.
    pub code: BTreeMap<String, Vec<u8>>,
}

/// A resource found by a listing, not read yet.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    kind: Kind,
    name: String,
    arn: String,
    /// A rule's bus.
    bus: Option<String>,
}

/// The kind of a tagged ARN, with its name (and a rule's bus); `Err` says why it is not imported.
fn kind_of_arn(arn: &str) -> Result<Found, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, resource) = match parts.as_slice() {
        [_, _, service, _, _, resource] => (*service, *resource),
        _ => return Err("not an ARN".into()),
    };
    let found = |kind, name: &str, bus: Option<&str>| {
        Ok(Found {
            kind,
            name: name.to_string(),
            arn: arn.to_string(),
            bus: bus.map(str::to_string),
        })
    };
    match (service, resource.split_once([':', '/'])) {
        ("lambda", Some(("function", name))) if !name.contains(':') => {
            found(Kind::Function, name, None)
        }
        ("lambda", Some(("layer", _))) => Err("a Lambda layer: slsctl publishes its own layer versions (copy the content into a directory and name it in a Layer spec)".into()),
        ("sqs", None) => found(Kind::Queue, resource, None),
        ("dynamodb", Some(("table", name))) if !name.contains('/') => {
            found(Kind::Table, name, None)
        }
        ("events", Some(("event-bus", name))) => found(Kind::EventBus, name, None),
        ("events", Some(("rule", rest))) => match rest.split_once('/') {
            Some((bus, name)) => found(Kind::Rule, name, Some(bus)),
            None => found(Kind::Rule, rest, Some("default")),
        },
        ("apigateway", _) => Err(API_NOT_ADOPTABLE.into()),
        (service, _) => Err(format!("a {service} resource: no slsctl kind")),
    }
}

/// Find the resources, read each, download each function's code (reusing a zip already in
/// `out` when it is the deployed code).
pub async fn discover(
    clients: &Clients,
    selector: &Selector,
    out: &Path,
) -> Result<Discovered, AwsError> {
    let mut discovered = Discovered::default();
    let found = match selector {
        Selector::Tag { key, value } => by_tag(clients, key, value, &mut discovered).await?,
        Selector::Prefix(prefix) => by_prefix(clients, prefix, &mut discovered).await?,
    };
    // Event source mappings: one listing for all the functions.
    let any_function = found.iter().any(|f| f.kind == Kind::Function);
    let mut mappings_of: BTreeMap<String, Vec<_>> = BTreeMap::new();
    if any_function {
        for (mapping, configuration) in mappings::list_mappings(clients).await? {
            mappings_of
                .entry(mapping.function_arn.clone())
                .or_default()
                .push((mapping, configuration));
        }
    }
    for f in found {
        let who = format!("{}/{}", f.kind, f.name);
        let read = match f.kind {
            Kind::Function => {
                let Some(live) = lambda::get_function(clients, &f.name).await? else {
                    continue;
                };
                for field in &live.unmodelled {
                    discovered.skipped.push(skip(
                        &who,
                        format!("{field}: not modelled by slsctl; left as it is, unmanaged"),
                    ));
                }
                let mut props = live.props.clone();
                // Mappings on the function or on one of its aliases (qualified ARNs).
                for (arn, list) in &mappings_of {
                    if arn == &live.arn || arn.starts_with(&format!("{}:", live.arn)) {
                        for (mapping, configuration) in list {
                            if mapping.source_arn.split(':').nth(2) == Some("sqs") {
                                mappings::mapping_props(configuration, &mut props);
                            } else {
                                discovered.skipped.push(skip(
                                    &who,
                                    format!(
                                        "the trigger from {}: only SQS triggers are modelled",
                                        mapping.source_arn
                                    ),
                                ));
                            }
                        }
                    }
                }
                for alias in aliases::all_aliases(clients, &f.name).await? {
                    discovered.skipped.push(skip(
                        &who,
                        format!(
                            "alias {}: aliases are not imported (slsctl publishes versions and moves its alias itself)",
                            alias.name().unwrap_or_default()
                        ),
                    ));
                }
                let code_file = if props.get("packageType") == Some(&FieldValue::known("Zip")) {
                    Some(code_file(&live, &props, out, &who, &mut discovered).await)
                } else {
                    None
                };
                // Its own log group, which slsctl derives and adopts: read to keep its retention.
                let default_group = default_log_group_name(&live.name);
                let log_group = if props.get("logging.logGroup")
                    == Some(&FieldValue::known(default_group.as_str()))
                {
                    log_groups::describe(clients, &default_group, Some(BTreeMap::new()))
                        .await?
                        .map(|g| g.props)
                } else {
                    None
                };
                LiveResource {
                    kind: Kind::Function,
                    physical_name: live.name,
                    arn: live.arn,
                    props,
                    code_file,
                    log_group,
                }
            }
            Kind::Queue => {
                let Some(url) = sqs::get_queue_url(clients, &f.name).await? else {
                    continue;
                };
                let Some(live) = sqs::get_queue(clients, &url, None).await? else {
                    continue;
                };
                plain(Kind::Queue, &f.name, live.arn, live.props)
            }
            Kind::Table => {
                let Some(live) = dynamodb::describe(clients, &f.name, BTreeMap::new()).await?
                else {
                    continue;
                };
                for field in &live.unmodelled {
                    discovered.skipped.push(skip(
                        &who,
                        format!("{field}: not modelled by slsctl; left as it is, unmanaged"),
                    ));
                }
                let mut props = live.props;
                insert_tag_props(&mut props, &dynamodb::list_tags(clients, &live.arn).await?);
                plain(Kind::Table, &f.name, live.arn, props)
            }
            Kind::EventBus => {
                let Some(live) = events::describe_bus(clients, &f.name).await? else {
                    continue;
                };
                let mut props = live.props;
                insert_tag_props(&mut props, &events::list_tags(clients, &live.arn).await?);
                plain(Kind::EventBus, &f.name, live.arn, props)
            }
            Kind::Rule => {
                let bus = f.bus.as_deref().unwrap_or("default");
                let Some(live) = events::describe_rule(clients, &f.name, bus).await? else {
                    continue;
                };
                let mut props = live.props;
                insert_tag_props(&mut props, &events::list_tags(clients, &live.arn).await?);
                plain(Kind::Rule, &f.name, live.arn, props)
            }
            _ => continue,
        };
        discovered.resources.push(read);
    }
    Ok(discovered)
}

fn plain(kind: Kind, name: &str, arn: String, props: Props) -> LiveResource {
    LiveResource {
        kind,
        physical_name: name.to_string(),
        arn,
        props,
        code_file: None,
        log_group: None,
    }
}

fn skip(who: &str, reason: impl Into<String>) -> Skipped {
    Skipped {
        logical_id: who.to_string(),
        line: None,
        reason: reason.into(),
    }
}

/// The function's code as a zip file beside the specs: one already there with the deployed
/// code's SHA-256 is kept; otherwise Lambda's copy is downloaded and checked against it. The
/// spec names that file either way: when it could not be had, the reason is listed and the
/// output's validation says the file is missing, rather than the function (and every reference
/// to it) being left out.
async fn code_file(
    live: &lambda::LiveFunction,
    props: &Props,
    out: &Path,
    who: &str,
    discovered: &mut Discovered,
) -> String {
    let relative = format!("functions/{}.zip", live.name);
    let Some(FieldValue::Known(serde_json::Value::String(deployed))) = props.get("code.sha256")
    else {
        discovered
            .skipped
            .push(skip(who, "code: Lambda reported no CodeSha256"));
        return relative;
    };
    if let Ok(bytes) = std::fs::read(out.join(&relative)) {
        if &sha256_base64(&bytes) == deployed {
            return relative;
        }
    }
    let why = match &live.code_location {
        None => "GetFunction gave no download location".to_string(),
        Some(url) => match download(url).await {
            Ok(bytes) if &sha256_base64(&bytes) == deployed => {
                discovered.code.insert(relative.clone(), bytes);
                return relative;
            }
            Ok(_) => "the downloaded zip's SHA-256 is not the function's CodeSha256".to_string(),
            Err(why) => format!("cannot download Lambda's copy ({why})"),
        },
    };
    discovered.skipped.push(skip(
        who,
        format!("code: {why}; put the deployed zip at {relative} and run the import again"),
    ));
    relative
}

/// Base64 of the SHA-256, as Lambda's `CodeSha256`.
pub fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// GET a presigned URL with the SDK's own HTTPS connector (rustls, as every AWS call), within
/// a minute. The URL is a credential for minutes: it is never printed, only the host is.
pub async fn download(url: &str) -> Result<Vec<u8>, String> {
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .unwrap_or("the code location")
        .to_string();
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(Duration::from_secs(5))
        .build();
    let connector = aws_smithy_http_client::default_connector(&settings, None)
        .ok_or_else(|| "no HTTPS client in this build".to_string())?;
    let request = HttpRequest::get(url).map_err(|_| format!("not a URL (host {host})"))?;
    let fetch = async {
        let response = connector
            .call(request)
            .await
            .map_err(|e| format!("{host}: {e}"))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("{host} answered HTTP {status}"));
        }
        aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
            .collect()
            .await
            .map(|b| b.into_bytes().to_vec())
            .map_err(|e| format!("{host}: {e}"))
    };
    tokio::time::timeout(Duration::from_secs(60), fetch)
        .await
        .map_err(|_| format!("{host} did not answer within 60 s"))?
}

/// Everything under the tag (no type filter, so that what slsctl cannot import is listed), and
/// the rules on the tagged buses, which some emulators leave out of the tagging API.
async fn by_tag(
    clients: &Clients,
    key: &str,
    value: &str,
    discovered: &mut Discovered,
) -> Result<BTreeSet<Found>, AwsError> {
    let mappings = crate::kinds::observe::resources_tagged(clients, key, value, None).await?;
    let mut found = BTreeSet::new();
    for mapping in mappings {
        let arn = mapping.resource_arn().unwrap_or_default();
        match kind_of_arn(arn) {
            Ok(f) => {
                found.insert(f);
            }
            Err(why) => discovered.skipped.push(skip(arn, why)),
        }
    }
    let buses: Vec<String> = found
        .iter()
        .filter(|f| f.kind == Kind::EventBus)
        .map(|f| f.name.clone())
        .collect();
    for bus in buses {
        for (name, arn) in list_rules(clients, &bus, None).await? {
            let tags = events::list_tags(clients, &arn).await?;
            if tags.get(key).map(String::as_str) == Some(value) {
                found.insert(Found {
                    kind: Kind::Rule,
                    name,
                    arn,
                    bus: Some(bus.clone()),
                });
            }
        }
    }
    Ok(found)
}

/// Each service's listing by name prefix: functions, queues, tables, buses and the rules on
/// them and on the default bus; REST APIs and layers of that prefix are listed as not imported.
async fn by_prefix(
    clients: &Clients,
    prefix: &str,
    discovered: &mut Discovered,
) -> Result<BTreeSet<Found>, AwsError> {
    let mut found = BTreeSet::new();
    let functions = all_items!(clients.lambda.list_functions())?;
    for f in functions {
        if let (Some(name), Some(arn)) = (f.function_name(), f.function_arn()) {
            if name.starts_with(prefix) {
                found.insert(Found {
                    kind: Kind::Function,
                    name: name.to_string(),
                    arn: arn.to_string(),
                    bus: None,
                });
            }
        }
    }
    let queues = all_items!(clients.sqs.list_queues().queue_name_prefix(prefix))?;
    for url in queues {
        found.insert(Found {
            kind: Kind::Queue,
            name: arn_name(&url).to_string(),
            arn: String::new(),
            bus: None,
        });
    }
    let tables = all_items!(clients.dynamodb.list_tables())?;
    for name in tables.into_iter().filter(|t| t.starts_with(prefix)) {
        // Its ARN comes with its read.
        found.insert(Found {
            kind: Kind::Table,
            arn: String::new(),
            name,
            bus: None,
        });
    }
    let buses = clients
        .events
        .list_event_buses()
        .name_prefix(prefix)
        .send()
        .await
        .classified()?;
    let mut rule_buses = vec!["default".to_string()];
    for bus in buses.event_buses() {
        if let (Some(name), Some(arn)) = (bus.name(), bus.arn()) {
            if name != "default" {
                rule_buses.push(name.to_string());
                found.insert(Found {
                    kind: Kind::EventBus,
                    name: name.to_string(),
                    arn: arn.to_string(),
                    bus: None,
                });
            }
        }
    }
    for bus in rule_buses {
        for (name, arn) in list_rules(clients, &bus, Some(prefix)).await? {
            found.insert(Found {
                kind: Kind::Rule,
                name,
                arn,
                bus: Some(bus.clone()),
            });
        }
    }
    for api in crate::kinds::api::aws::list(clients).await? {
        if api.name.starts_with(prefix) {
            discovered
                .skipped
                .push(skip(&format!("Api/{}", api.name), API_NOT_ADOPTABLE));
        }
    }
    let layers = all_items!(clients.lambda.list_layers())?;
    for layer in layers {
        if let Some(name) = layer.layer_name().filter(|n| n.starts_with(prefix)) {
            discovered.skipped.push(skip(
                &format!("Layer/{name}"),
                "a Lambda layer: slsctl publishes its own layer versions (copy the content into a directory and name it in a Layer spec; functions keep naming the layer's ARN meanwhile)",
            ));
        }
    }
    Ok(found)
}

/// The rules on a bus (of a name prefix), by name and ARN.
async fn list_rules(
    clients: &Clients,
    bus: &str,
    prefix: Option<&str>,
) -> Result<Vec<(String, String)>, AwsError> {
    let rules = all_pages(|token| async move {
        let page = clients
            .events
            .list_rules()
            .event_bus_name(bus)
            .set_name_prefix(prefix.map(str::to_string))
            .set_next_token(token)
            .send()
            .await
            .classified()?;
        Ok((page.rules().to_vec(), page.next_token().map(str::to_string)))
    })
    .await?;
    Ok(rules
        .iter()
        .filter_map(|rule| Some((rule.name()?.to_string(), rule.arn()?.to_string())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot HTTP server answering `status` with `body`, as S3 answers a presigned GET.
    fn serve_once(status: &str, body: &'static [u8]) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = status.to_string();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body).unwrap();
        });
        format!("http://127.0.0.1:{port}/snapshots/123/worker-abc?X-Amz-Signature=secret")
    }

    #[tokio::test]
    async fn the_code_is_downloaded_from_the_presigned_url() {
        let url = serve_once("200 OK", b"PK\x03\x04 zip bytes");
        let bytes = download(&url).await.unwrap();
        assert_eq!(bytes, b"PK\x03\x04 zip bytes");
    }

    fn function_at(url: String, deployed: &str) -> (lambda::LiveFunction, Props) {
        let props: Props = [(
            "code.sha256".to_string(),
            FieldValue::known(deployed.to_string()),
        )]
        .into();
        let live = lambda::LiveFunction {
            name: "legacy-worker".into(),
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:legacy-worker".into(),
            tags: BTreeMap::new(),
            props: props.clone(),
            code_location: Some(url),
            unmodelled: Vec::new(),
        };
        (live, props)
    }

    /// What `code_file` makes of a function whose presigned URL serves `served` and whose
    /// `code.sha256` is `deployed`: the file it names, and what it found.
    async fn code_file_of(
        served: &'static [u8],
        deployed: &str,
        out: &Path,
    ) -> (String, Discovered) {
        let (live, props) = function_at(serve_once("200 OK", served), deployed);
        let mut found = Discovered::default();
        let file = code_file(&live, &props, out, "Function/legacy-worker", &mut found).await;
        (file, found)
    }

    #[tokio::test]
    async fn the_deployed_code_is_kept_only_when_its_sha256_is_code_sha256() {
        const ZIP: &[u8] = b"PK\x03\x04 the deployed code";
        let out = tempfile::tempdir().unwrap();
        let (file, found) = code_file_of(ZIP, &sha256_base64(ZIP), out.path()).await;
        assert_eq!(file, "functions/legacy-worker.zip");
        assert_eq!(found.code[&file], ZIP);
        assert!(found.skipped.is_empty(), "{:?}", found.skipped);

        // Lambda serving other bytes than its CodeSha256 says: nothing written, the reason listed.
        let (_, found) = code_file_of(ZIP, &sha256_base64(b"other"), out.path()).await;
        assert!(found.code.is_empty());
        assert!(
            found.skipped[0].reason.contains("CodeSha256"),
            "{:?}",
            found.skipped
        );
    }

    #[tokio::test]
    async fn a_refused_download_names_the_host_and_never_the_signature() {
        let url = serve_once("403 Forbidden", b"<Error>AccessDenied</Error>");
        let why = download(&url).await.unwrap_err();
        assert!(why.contains("127.0.0.1") && why.contains("403"), "{why}");
        assert!(!why.contains("secret"), "{why}");
    }

    #[test]
    fn tagged_arns_are_sorted_into_kinds_or_said_why_not() {
        let rule = kind_of_arn("arn:aws:events:eu-west-1:1:rule/orders/placed").unwrap();
        assert_eq!((rule.kind, rule.name.as_str()), (Kind::Rule, "placed"));
        assert_eq!(rule.bus.as_deref(), Some("orders"));
        let default_rule = kind_of_arn("arn:aws:events:eu-west-1:1:rule/nightly").unwrap();
        assert_eq!(default_rule.bus.as_deref(), Some("default"));
        assert_eq!(
            kind_of_arn("arn:aws:sqs:eu-west-1:1:jobs").unwrap().kind,
            Kind::Queue
        );
        assert_eq!(
            kind_of_arn("arn:aws:lambda:eu-west-1:1:function:worker")
                .unwrap()
                .kind,
            Kind::Function
        );
        assert_eq!(
            kind_of_arn("arn:aws:dynamodb:eu-west-1:1:table/app")
                .unwrap()
                .kind,
            Kind::Table
        );
        let sns = kind_of_arn("arn:aws:sns:eu-west-1:1:alerts").unwrap_err();
        assert!(sns.contains("sns"), "{sns}");
        assert!(kind_of_arn("arn:aws:apigateway:eu-west-1::/restapis/abc")
            .unwrap_err()
            .contains("REST API"));
    }
}
