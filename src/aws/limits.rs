//! Client-side rate limits, kept below AWS's control-plane quotas (FACTS.md) so that slsctl slows
//! itself down instead of provoking throttling storms.
//!
//! Guarantees: at most `burst` calls start at once and, over any window, no more than
//! `rate` per second on average. Assumptions: one limiter per service is shared by every task of
//! the process (the controller shares them across stacks). Caveats: other clients in the same
//! account are not seen; the SDK's retries on throttling remain the second line of defence.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    rate_per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(rate_per_second: f64, burst: f64) -> Self {
        Self {
            rate_per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Wait until one call may start.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let elapsed = now.duration_since(state.1).as_secs_f64();
                state.0 = (state.0 + elapsed * self.rate_per_second).min(self.burst);
                state.1 = now;
                if state.0 >= 1.0 {
                    state.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - state.0) / self.rate_per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The limiters of one account and region, shared by every reconcile.
#[derive(Debug)]
pub struct Limits {
    /// Lambda's control plane shares 15 requests/s across all calls but GetFunction; stay at 10.
    pub lambda: RateLimiter,
    /// GetFunction has its own 100 requests/s quota; stay at 50.
    pub lambda_get_function: RateLimiter,
    /// GetPolicy has its own 15 requests/s quota, apart from the shared 15; stay at 10.
    pub lambda_get_policy: RateLimiter,
    /// SQS publishes no control-plane quota (tagging calls: 5/s); stay modest.
    pub sqs: RateLimiter,
    pub sqs_tagging: RateLimiter,
    pub tagging: RateLimiter,
    /// DynamoDB's control plane allows 2,500 requests/s; table changes are slow anyway.
    pub dynamodb: RateLimiter,
    /// EventBridge allows 50 requests/s for everything but PutEvents; stay at 20.
    pub events: RateLimiter,
    pub autoscaling: RateLimiter,
    /// API Gateway: 10 requests/s with a burst of 40; stay at 8 with a burst of 16.
    pub apigateway: RateLimiter,
    /// CreateResource: 5 per second.
    pub apigateway_create_resource: RateLimiter,
    /// CreateDeployment: one per 5 seconds.
    pub apigateway_deployment: RateLimiter,
    /// IAM publishes no control-plane rate and answers `Throttling` early (FACTS.md): stay low.
    pub iam: RateLimiter,
    /// CloudWatch Logs: DescribeLogGroups and most control calls allow 5 to 10 per second.
    pub logs: RateLimiter,
    /// CloudWatch: DescribeAlarms and PutMetricAlarm allow 9 to 10 per second, PutDashboard 10.
    pub cloudwatch: RateLimiter,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lambda: RateLimiter::new(10.0, 10.0),
            lambda_get_function: RateLimiter::new(50.0, 50.0),
            lambda_get_policy: RateLimiter::new(10.0, 10.0),
            sqs: RateLimiter::new(50.0, 50.0),
            sqs_tagging: RateLimiter::new(4.0, 4.0),
            tagging: RateLimiter::new(5.0, 5.0),
            dynamodb: RateLimiter::new(50.0, 50.0),
            events: RateLimiter::new(20.0, 20.0),
            autoscaling: RateLimiter::new(10.0, 10.0),
            apigateway: RateLimiter::new(8.0, 16.0),
            apigateway_create_resource: RateLimiter::new(4.0, 4.0),
            apigateway_deployment: RateLimiter::new(0.2, 1.0),
            iam: RateLimiter::new(5.0, 5.0),
            logs: RateLimiter::new(4.0, 4.0),
            cloudwatch: RateLimiter::new(5.0, 5.0),
        }
    }
}

impl Limits {
    /// The limiter every request of `operation` on `service` (the SDK's names, from the
    /// operation's `Metadata`) waits on; `None` for a service slsctl does not limit (STS, whose
    /// one call per run is far below its quota).
    pub fn for_operation(&self, service: &str, operation: &str) -> Option<&RateLimiter> {
        Some(match (service, operation) {
            ("Lambda", "GetFunction") => &self.lambda_get_function,
            ("Lambda", "GetPolicy") => &self.lambda_get_policy,
            ("Lambda", _) => &self.lambda,
            ("SQS", "ListQueueTags" | "TagQueue" | "UntagQueue") => &self.sqs_tagging,
            ("SQS", _) => &self.sqs,
            ("Resource Groups Tagging API", _) => &self.tagging,
            ("DynamoDB", _) => &self.dynamodb,
            ("EventBridge", _) => &self.events,
            ("Application Auto Scaling", _) => &self.autoscaling,
            ("API Gateway", "CreateResource") => &self.apigateway_create_resource,
            ("API Gateway", "CreateDeployment") => &self.apigateway_deployment,
            ("API Gateway", _) => &self.apigateway,
            ("IAM", _) => &self.iam,
            ("CloudWatch Logs", _) => &self.logs,
            ("CloudWatch", _) => &self.cloudwatch,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn holds_the_average_rate_after_the_burst() {
        let limiter = RateLimiter::new(10.0, 5.0);
        let start = Instant::now();
        for _ in 0..25 {
            limiter.acquire().await;
        }
        // 5 calls from the burst, then 20 at 10/s: two seconds of (virtual) time.
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
    }

    #[test]
    fn operations_with_quotas_of_their_own_have_limiters_of_their_own() {
        let limits = Limits::default();
        let of = |service, operation| {
            limits
                .for_operation(service, operation)
                .map(|limiter| limiter as *const RateLimiter)
        };
        let is = |limiter: &RateLimiter| Some(limiter as *const RateLimiter);
        assert_eq!(of("Lambda", "GetFunction"), is(&limits.lambda_get_function));
        assert_eq!(of("Lambda", "GetPolicy"), is(&limits.lambda_get_policy));
        assert_eq!(of("Lambda", "ListAliases"), is(&limits.lambda));
        assert_eq!(of("SQS", "TagQueue"), is(&limits.sqs_tagging));
        assert_eq!(of("SQS", "ListQueueTags"), is(&limits.sqs_tagging));
        assert_eq!(of("SQS", "GetQueueAttributes"), is(&limits.sqs));
        assert_eq!(
            of("API Gateway", "CreateResource"),
            is(&limits.apigateway_create_resource)
        );
        assert_eq!(
            of("API Gateway", "CreateDeployment"),
            is(&limits.apigateway_deployment)
        );
        assert_eq!(of("API Gateway", "GetRestApis"), is(&limits.apigateway));
        assert_eq!(
            of("Resource Groups Tagging API", "GetResources"),
            is(&limits.tagging)
        );
        assert_eq!(of("DynamoDB", "DescribeTable"), is(&limits.dynamodb));
        assert_eq!(of("EventBridge", "PutEvents"), is(&limits.events));
        assert_eq!(
            of("Application Auto Scaling", "DescribeScalableTargets"),
            is(&limits.autoscaling)
        );
        assert_eq!(of("STS", "GetCallerIdentity"), None);
    }
}
