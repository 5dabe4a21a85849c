//! The api kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

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

wire_enum! {
    #[schemars(rename = "EndpointType")]
    pub enum EndpointTypeWire {
        Regional = "REGIONAL",
        Edge = "EDGE",
        Private = "PRIVATE",
    }
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

wire_enum! {
    #[derive(PartialOrd, Ord, Hash)]
    #[schemars(rename = "HttpMethod")]
    pub enum HttpMethodWire {
        Get = "GET",
        Post = "POST",
        Put = "PUT",
        Patch = "PATCH",
        Delete = "DELETE",
        Head = "HEAD",
        Options = "OPTIONS",
        Any = "ANY",
    }
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
