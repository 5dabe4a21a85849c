//! The queue kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use crate::spec::wire::*;

wire_struct! {
    /// For the cost estimate only.
    #[schemars(rename = "QueueTraffic")]
    pub struct QueueTrafficWire {
        pub messages_per_month: Option<u64>,
        /// Default 1 KB; each 64 KB is one request.
        #[serde(rename = "averageMessageSizeKB")]
        #[schemars(rename = "averageMessageSizeKB")]
        pub average_message_size_kb: Option<f64>,
    }
}

resource_spec_wire! {
    kind: Queue,
    alarms: "queue",
    #[schemars(rename = "QueueSpec")]
    pub struct QueueSpecWire {
        /// A FIFO queue; its physical name ends in `.fifo`.
        pub fifo: Option<bool>,
        pub content_based_deduplication: Option<bool>,
        pub deduplication_scope: Option<DeduplicationScopeWire>,
        pub fifo_throughput_limit: Option<FifoThroughputLimitWire>,
        /// Seconds, 0–43200.
        #[schemars(range(min = 0, max = 43200))]
        pub visibility_timeout: Option<i64>,
        /// Seconds, 60–1209600.
        #[schemars(range(min = 60, max = 1_209_600))]
        pub message_retention_period: Option<i64>,
        #[schemars(range(min = 0, max = 900))]
        pub delay_seconds: Option<i64>,
        /// Bytes, 1024–1048576.
        #[schemars(range(min = 1024, max = 1_048_576))]
        pub maximum_message_size: Option<i64>,
        #[schemars(range(min = 0, max = 20))]
        pub receive_message_wait_time: Option<i64>,
        /// SSE with SQS-owned keys (default true unless `kmsMasterKeyId` is set).
        pub sqs_managed_sse: Option<bool>,
        pub kms_master_key_id: Option<String>,
        /// Seconds, 60–86400.
        #[schemars(range(min = 60, max = 86400))]
        pub kms_data_key_reuse_period: Option<i64>,
        pub dead_letter: Option<QueueDeadLetterWire>,
        /// As a dead-letter queue, accept redrives only from the stack's queues that name it
        /// (a `byQueue` redrive-allow policy derived from the wiring). Default false: SQS's `allowAll`.
        pub restrict_redrive_sources: Option<bool>,
        /// Assumptions for the cost estimate only.
        pub traffic: Option<QueueTrafficWire>,
    }
}

wire_enum! {
    #[schemars(rename = "DeduplicationScope")]
    pub enum DeduplicationScopeWire {
        MessageGroup = "messageGroup",
        Queue = "queue",
    }
}

wire_enum! {
    #[schemars(rename = "FifoThroughputLimit")]
    pub enum FifoThroughputLimitWire {
        PerQueue = "perQueue",
        PerMessageGroupId = "perMessageGroupId",
    }
}

wire_struct! {
    #[schemars(rename = "QueueDeadLetter")]
    pub struct QueueDeadLetterWire {
        /// A Queue of this stack, or a queue ARN.
        pub queue: String,
        #[schemars(range(min = 1, max = 1000))]
        pub max_receive_count: i64,
    }
}
