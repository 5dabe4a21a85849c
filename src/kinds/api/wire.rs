//! The api kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

wire_struct! {
    /// For the cost estimate only.
    #[schemars(rename = "ApiTraffic")]
    pub struct ApiTrafficWire {
        pub requests_per_month: Option<u64>,
    }
}

resource_spec_wire! {
    kind: Api,
    alarms: "api",
    #[schemars(rename = "ApiSpec")]
    pub struct ApiSpecWire {
        pub endpoint_type: Option<EndpointTypeWire>,
        /// Stage name, default `prod`.
        pub stage: Option<String>,
        pub description: Option<String>,
        pub routes: Vec<RouteWire>,
        pub throttling: Option<ThrottlingWire>,
        /// X-Ray tracing on the stage; default: the Stack's `observability.tracing`. A
        /// written `false` wins over the Stack's `true`.
        pub tracing: Option<bool>,
        pub domain: Option<DomainWire>,
        /// Assumptions for the cost estimate only.
        pub traffic: Option<ApiTrafficWire>,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(rename = "EndpointType")]
pub enum EndpointTypeWire {
    Regional,
    Edge,
    Private,
}

wire_struct! {
    #[schemars(rename = "Route")]
    pub struct RouteWire {
        pub method: HttpMethodWire,
        /// Starts with `/`; `{name}` segments are path parameters, `{name+}` a greedy one.
        pub path: String,
        /// A Function of this stack, or a function ARN.
        pub function: String,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schemars(rename = "HttpMethod")]
pub enum HttpMethodWire {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    Any,
}

wire_struct! {
    #[schemars(rename = "Throttling")]
    pub struct ThrottlingWire {
        /// Steady-state requests per second.
        pub rate_limit: f64,
        pub burst_limit: i64,
    }
}

wire_struct! {
    #[schemars(rename = "Domain")]
    pub struct DomainWire {
        pub name: String,
        pub certificate_arn: String,
        /// Path under the domain; the domain root when omitted.
        pub base_path: Option<String>,
    }
}

impl HttpMethodWire {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethodWire::Get => "GET",
            HttpMethodWire::Post => "POST",
            HttpMethodWire::Put => "PUT",
            HttpMethodWire::Patch => "PATCH",
            HttpMethodWire::Delete => "DELETE",
            HttpMethodWire::Head => "HEAD",
            HttpMethodWire::Options => "OPTIONS",
            HttpMethodWire::Any => "ANY",
        }
    }
}
