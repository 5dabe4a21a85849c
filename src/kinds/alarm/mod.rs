//! The alarm kind: CloudWatch metric alarms derived from the resources they watch (see
//! `derive`): every function, queue, API, table and rule gets its checks with thresholds from
//! the defaults here, the Stack's `observability.alarms` and the resource's own `alarms:`.
//! Alarms are never written as documents; a document of kind Alarm is refused.
//!
//! Observation lists the stack's alarms once by name prefix (`<stack>-`, 100 per page) and reads
//! each one's tags (CloudWatch alarms are not in the tagging API's reach on the emulator, and
//! DescribeAlarms does not return tags).
mod apply;
pub mod aws;
pub(crate) mod derive;
pub(crate) mod observe;
mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// A CloudWatch metric alarm, derived from the resource it watches (never written).
    // PutMetricAlarm AlarmName: 1–255 characters.
    pub struct AlarmKind: wire::AlarmSpecWire => Alarm, arn "cloudwatch", name_limit 255;
}

impl TypedKind for AlarmKind {
    const ARN: ArnOf<Self> = ArnOf::Named("alarm:");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("cloudwatch:alarm"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("cloudwatch")];
    // An alarm holds no data: PutMetricAlarm replaces the whole alarm in place, so nothing of
    // it is immutable.
    const RULES: KindRules = stateless(0, &[]);
}
