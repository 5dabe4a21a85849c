//! Client-side rate limits that adapt to AWS's control-plane quotas (FACTS.md): slsctl slows
//! itself down when throttled instead of provoking throttling storms, and speeds up again
//! towards the quota when its calls get through.
//!
//! Guarantees: at most `burst` calls start at once and, over any window, no more than the
//! limiter's current rate per second on average; that rate never exceeds its ceiling (the
//! published quota times the configured share, [`QUOTA_SHARE_VARIABLE`]). Each throttled
//! attempt halves the rate (at most once per [`DECREASE_HOLD`]: the attempts already in flight
//! were sent at the old rate and come back throttled too) and empties the burst; each answered
//! attempt adds a fortieth of the ceiling back (additive increase, multiplicative decrease: the
//! way TCP shares a link, here an account's quota shared with other deployers).
//! Assumptions: one set of limiters is shared by every task of the process (the controller
//! shares them across stacks). Caveats: other clients in the same account are seen only through
//! the throttles they cause; the SDK's retries on throttling remain the second line of defence.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The environment variable holding the share (0 < share <= 1) of AWS's published quotas
/// slsctl may use, for accounts where other deployers need the rest.
pub const QUOTA_SHARE_VARIABLE: &str = "SLSCTL_QUOTA_SHARE";

/// The share of the published quotas used when none is configured: the last tenth is left to
/// the console, other tools, and AWS's own clock being a little off ours.
pub const DEFAULT_QUOTA_SHARE: f64 = 0.9;

/// After a decrease, further throttles are taken as echoes of the same overload for this long.
pub const DECREASE_HOLD: Duration = Duration::from_secs(1);

/// The rate never falls below the ceiling divided by this (four halvings): a limiter that got
/// slower than that would only stretch a throttling episode that retries handle anyway.
const FLOOR_DIVISOR: f64 = 16.0;

/// Each answered attempt adds the ceiling divided by this to the rate.
const INCREASE_DIVISOR: f64 = 40.0;

/// The configured quota share: `SLSCTL_QUOTA_SHARE` if set, else [`DEFAULT_QUOTA_SHARE`]; an
/// error message (with a hint) when it is set to anything but a number in (0, 1].
pub fn quota_share() -> Result<f64, String> {
    match std::env::var(QUOTA_SHARE_VARIABLE) {
        Err(_) => Ok(DEFAULT_QUOTA_SHARE),
        Ok(text) => parse_share(&text).ok_or_else(|| {
            format!(
                "{QUOTA_SHARE_VARIABLE}={text:?} is not a share of AWS's quotas\nhint: use a number above 0 and at most 1, e.g. {QUOTA_SHARE_VARIABLE}=0.5 to leave half of each quota to other deployers; unset, slsctl uses {DEFAULT_QUOTA_SHARE}"
            )
        }),
    }
}

fn parse_share(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|share| *share > 0.0 && *share <= 1.0)
}

#[derive(Debug)]
pub struct RateLimiter {
    ceiling: f64,
    burst: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    tokens: f64,
    /// When `tokens` was last brought up to date.
    refilled: Instant,
    rate: f64,
    /// Throttles before this instant do not decrease the rate again.
    hold_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter starting at `ceiling` calls a second, full (`burst` calls at once; at least
    /// one, so that a ceiling below 1/s still lets calls through).
    pub fn new(ceiling: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Self {
            ceiling,
            burst,
            state: Mutex::new(State {
                tokens: burst,
                refilled: Instant::now(),
                rate: ceiling,
                hold_until: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls a second this limiter lets through now.
    pub fn rate(&self) -> f64 {
        self.state().rate
    }

    /// The most calls a second it ever lets through.
    pub fn ceiling(&self) -> f64 {
        self.ceiling
    }

    /// The most calls it lets start at once.
    pub fn burst(&self) -> f64 {
        self.burst
    }

    /// Wait until one call may start.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state();
                let now = Instant::now();
                let elapsed = now.duration_since(state.refilled).as_secs_f64();
                state.tokens = (state.tokens + elapsed * state.rate).min(self.burst);
                state.refilled = now;
                if state.tokens >= 1.0 {
                    state.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - state.tokens) / state.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// An attempt was throttled: halve the rate (unless it was just halved) and stop bursting.
    pub fn throttled(&self) {
        let mut state = self.state();
        let now = Instant::now();
        // Tokens earned so far were earned at the old rate; none are kept.
        state.tokens = 0.0;
        state.refilled = now;
        if state.hold_until.is_some_and(|until| now < until) {
            return;
        }
        state.rate = (state.rate / 2.0).max(self.ceiling / FLOOR_DIVISOR);
        state.hold_until = Some(now + DECREASE_HOLD);
    }

    /// An attempt was answered (not throttled): creep back up towards the ceiling. Answers to
    /// attempts sent before the last decrease say nothing about the new rate and are ignored.
    pub fn answered(&self) {
        let mut state = self.state();
        if state.hold_until.is_some_and(|until| Instant::now() < until) {
            return;
        }
        // Tokens are counted at the rate in force until now.
        let now = Instant::now();
        let elapsed = now.duration_since(state.refilled).as_secs_f64();
        state.tokens = (state.tokens + elapsed * state.rate).min(self.burst);
        state.refilled = now;
        state.rate = (state.rate + self.ceiling / INCREASE_DIVISOR).min(self.ceiling);
    }
}

/// The limiters of one account and region, shared by every reconcile.
#[derive(Debug)]
pub struct Limits {
    /// The share of each published quota the ceilings are set at.
    pub share: f64,
    /// Lambda's control plane shares 15 requests/s across all calls but GetFunction.
    pub lambda: RateLimiter,
    /// GetFunction has its own 100 requests/s quota.
    pub lambda_get_function: RateLimiter,
    /// GetPolicy has its own 15 requests/s quota, apart from the shared 15.
    pub lambda_get_policy: RateLimiter,
    /// SQS publishes no control-plane quota (tagging calls: 5/s); stay modest.
    pub sqs: RateLimiter,
    pub sqs_tagging: RateLimiter,
    pub tagging: RateLimiter,
    /// DynamoDB's control plane allows 2,500 requests/s; table changes are slow anyway: 50.
    pub dynamodb: RateLimiter,
    /// EventBridge allows 50 requests/s for everything but PutEvents.
    pub events: RateLimiter,
    pub autoscaling: RateLimiter,
    /// API Gateway: 10 requests/s with a burst of 40.
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
        Self::with_share(DEFAULT_QUOTA_SHARE)
    }
}

impl Limits {
    /// Limiters whose ceilings are `share` of AWS's published quotas (FACTS.md), and slsctl's
    /// own modest rates where AWS publishes none or the quota is far above what slsctl needs
    /// (those are not scaled: they are below any share an account would set). Bursts are
    /// slsctl's own, below AWS's: a burst opens that many connections at once, and a start-up
    /// of several stacks would otherwise open a hundred against one endpoint.
    pub fn with_share(share: f64) -> Self {
        let quota = |rate: f64, burst: f64| RateLimiter::new(rate * share, burst);
        Self {
            share,
            lambda: quota(15.0, 10.0),
            lambda_get_function: quota(100.0, 50.0),
            lambda_get_policy: quota(15.0, 10.0),
            sqs: RateLimiter::new(50.0, 50.0),
            sqs_tagging: quota(5.0, 4.0),
            tagging: RateLimiter::new(5.0, 5.0),
            dynamodb: RateLimiter::new(50.0, 50.0),
            events: quota(50.0, 20.0),
            autoscaling: RateLimiter::new(10.0, 10.0),
            apigateway: quota(10.0, 16.0),
            apigateway_create_resource: quota(5.0, 4.0),
            apigateway_deployment: quota(0.2, 1.0),
            iam: RateLimiter::new(5.0, 5.0),
            logs: RateLimiter::new(4.0, 4.0),
            cloudwatch: RateLimiter::new(5.0, 5.0),
        }
    }

    /// Limiters at the configured share ([`quota_share`]); the default share when the setting
    /// is invalid (the CLI refuses to start with one, so only library callers get here).
    pub fn configured() -> Self {
        Self::with_share(quota_share().unwrap_or(DEFAULT_QUOTA_SHARE))
    }

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

    /// Seconds of (virtual) time `calls` acquisitions take.
    async fn seconds_for(limiter: &RateLimiter, calls: usize) -> f64 {
        let start = Instant::now();
        for _ in 0..calls {
            limiter.acquire().await;
        }
        start.elapsed().as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_halves_the_rate_once_per_hold_and_ends_the_burst() {
        let limiter = RateLimiter::new(10.0, 10.0);
        // Three throttles of one overload: the attempts in flight all come back throttled.
        limiter.throttled();
        limiter.throttled();
        limiter.throttled();
        assert_eq!(limiter.rate(), 5.0);
        // No burst left: 10 calls at 5/s take 2 s, not the 0 s of a full bucket.
        let elapsed = seconds_for(&limiter, 10).await;
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
        // A throttle after the hold is a new overload: halved again.
        limiter.throttled();
        assert_eq!(limiter.rate(), 2.5);
        let elapsed = seconds_for(&limiter, 5).await;
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_never_falls_below_its_floor() {
        let limiter = RateLimiter::new(16.0, 16.0);
        for _ in 0..10 {
            limiter.throttled();
            tokio::time::advance(DECREASE_HOLD).await;
        }
        assert_eq!(limiter.rate(), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn answers_bring_the_rate_back_up_to_the_ceiling_and_no_further() {
        let limiter = RateLimiter::new(10.0, 10.0);
        limiter.throttled();
        // Answers to attempts sent before the decrease say nothing about the new rate.
        limiter.answered();
        assert_eq!(limiter.rate(), 5.0);
        tokio::time::advance(DECREASE_HOLD).await;
        // Each answer adds a fortieth of the ceiling: 20 answers make up the halving.
        for _ in 0..10 {
            limiter.answered();
        }
        assert!((limiter.rate() - 7.5).abs() < 1e-9, "{}", limiter.rate());
        for _ in 0..100 {
            limiter.answered();
        }
        assert_eq!(limiter.rate(), 10.0);
        // At the ceiling, a full burst and then the ceiling's rate: 10 at once, 20 in 2 s.
        tokio::time::advance(Duration::from_secs(5)).await;
        let elapsed = seconds_for(&limiter, 30).await;
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
    }

    #[test]
    fn ceilings_are_the_configured_share_of_the_published_quotas() {
        let limits = Limits::with_share(0.5);
        assert_eq!(limits.lambda.ceiling(), 7.5);
        assert_eq!(limits.lambda_get_function.ceiling(), 50.0);
        assert_eq!(limits.events.ceiling(), 25.0);
        assert_eq!(limits.apigateway.ceiling(), 5.0);
        // slsctl's own rates, where AWS publishes no quota, are not scaled.
        assert_eq!(limits.sqs.ceiling(), 50.0);
        let default = Limits::default();
        assert_eq!(default.share, DEFAULT_QUOTA_SHARE);
        assert!((default.lambda.ceiling() - 13.5).abs() < 1e-9);
        // A ceiling under one call a second still lets one call through at once.
        assert!(default.apigateway_deployment.burst >= 1.0);
    }

    #[test]
    fn only_shares_above_zero_and_at_most_one_are_taken() {
        assert_eq!(parse_share("0.5"), Some(0.5));
        assert_eq!(parse_share(" 1 "), Some(1.0));
        assert_eq!(parse_share("0"), None);
        assert_eq!(parse_share("1.5"), None);
        assert_eq!(parse_share("-0.2"), None);
        assert_eq!(parse_share("half"), None);
        assert_eq!(parse_share("NaN"), None);
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
