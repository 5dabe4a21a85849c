//! Client-side rate limits that adapt to AWS's control-plane quotas (FACTS.md): slsctl slows
//! itself down when throttled instead of provoking throttling storms, and speeds up again
//! towards the quota when its calls get through.
//!
//! Guarantees: at most `burst` calls start at once and, over any window, no more than the
//! limiter's current rate per second on average; that rate never exceeds its ceiling (the
//! published quota times the configured share, [`QUOTA_SHARE_VARIABLE`]) nor falls below a
//! quarter of it. The rate reacts to persistent throttling only, as the SDK's adaptive retry
//! and TCP do: each limiter remembers whether each of its last [`WINDOW`] attempts was
//! throttled, and halves its rate (and empties its burst) when a throttle arrives while at
//! least [`THROTTLED_SHARE`] of those attempts were throttled — at most once per
//! [`DECREASE_HOLD`], since the attempts already in flight were sent at the old rate and come
//! back throttled too. An isolated throttle among answers (a neighbour's burst, AWS's own
//! hiccup) is left to the SDK's retry and changes nothing. While attempts are answered, the
//! rate climbs back by a tenth of the ceiling a second (additive increase, multiplicative
//! decrease: the way TCP shares a link, here an account's quota shared with other deployers).
//! Assumptions: one set of limiters is shared by every task of the process (the controller
//! shares them across stacks). Caveats: other clients in the same account are seen only through
//! the throttles they cause; a sending rate less than half again the quota left to slsctl
//! (fewer than a third of its attempts throttled) is not corrected by the limiter, only by the
//! SDK's retries, which remain the second line of defence.

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

/// How many of a limiter's latest attempts its decision to slow down looks at.
pub const WINDOW: u32 = 32;

/// The share of the latest attempts that must have been throttled for a throttle to slow the
/// limiter down: sending at 1.5 times the quota gets a third throttled. Fault rates of a
/// flaky network (the chaos tests throttle 10 to 20 % of the attempts at random) stay below.
pub const THROTTLED_SHARE: f64 = 1.0 / 3.0;

/// Fewer throttles than this among the latest attempts never slow a limiter down, however few
/// attempts it has seen: at start-up, three throttles out of five say little.
const MIN_THROTTLES: u32 = 8;

/// The rate never falls below the ceiling divided by this (two halvings): persistent throttling
/// at that rate means a quota far smaller than published, which retries handle better than a
/// limiter that would stretch every apply.
const FLOOR_DIVISOR: f64 = 4.0;

/// While attempts are answered, the rate climbs back by the ceiling divided by this every
/// second: from the floor to the ceiling in 7.5 s. By time, not by answer (TCP adds one
/// segment a round trip, not one per acknowledgement): by answer, a limiter sending at the
/// quota would be back above it a few answers after each decrease.
const RECOVERY_SECONDS: f64 = 10.0;

/// The configured quota share: `SLSCTL_QUOTA_SHARE` if set, else [`DEFAULT_QUOTA_SHARE`]; an
/// error message (with a hint) when it is set to anything but a number in (0, 1].
pub fn quota_share() -> Result<f64, String> {
    match std::env::var(QUOTA_SHARE_VARIABLE) {
        Err(_) => Ok(DEFAULT_QUOTA_SHARE),
        Ok(text) => share_from(&text),
    }
}

/// The share `text` (the setting's value) names, or the error message [`quota_share`] gives.
fn share_from(text: &str) -> Result<f64, String> {
    parse_share(text).ok_or_else(|| {
        format!(
            "{QUOTA_SHARE_VARIABLE}={text:?} is not a share of AWS's quotas\nhint: use a number above 0 and at most 1, e.g. {QUOTA_SHARE_VARIABLE}=0.5 to leave half of each quota to other deployers; unset, slsctl uses {DEFAULT_QUOTA_SHARE}"
        )
    })
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
    /// Up to when the rate's climb back has been counted.
    climbed: Instant,
    /// The latest attempts' outcomes, newest in the lowest bit: 1 for throttled.
    outcomes: u32,
    /// How many attempts `outcomes` holds (at most [`WINDOW`]).
    seen: u32,
}

impl State {
    fn remember(&mut self, throttled: bool) {
        self.outcomes = (self.outcomes << 1) | u32::from(throttled);
        self.seen = (self.seen + 1).min(WINDOW);
    }

    /// Whether the latest attempts say the quota is persistently exceeded.
    fn persistently_throttled(&self) -> bool {
        let throttled = self.outcomes.count_ones();
        throttled >= MIN_THROTTLES && f64::from(throttled) >= THROTTLED_SHARE * f64::from(self.seen)
    }

    /// Bring `tokens` up to `now` at the rate in force until now.
    fn refill(&mut self, now: Instant, burst: f64) {
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(burst);
        self.refilled = now;
    }
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
                climbed: Instant::now(),
                outcomes: 0,
                seen: 0,
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

    /// The fewest calls a second it lets through, however throttled.
    pub fn floor(&self) -> f64 {
        self.ceiling / FLOOR_DIVISOR
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
                state.refill(Instant::now(), self.burst);
                if state.tokens >= 1.0 {
                    state.tokens -= 1.0;
                    return;
                }
                // At least a millisecond (the timer's resolution): a wait rounded down to
                // nothing would spin without time passing, a token short by a rounding error.
                Duration::from_secs_f64((1.0 - state.tokens) / state.rate)
                    .max(Duration::from_millis(1))
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// An attempt was throttled: if enough of the latest attempts were too (and the rate was
    /// not just halved), halve the rate and stop bursting.
    pub fn throttled(&self) {
        let mut state = self.state();
        let now = Instant::now();
        // Throttles within the hold answer attempts sent at the old rate: already acted on.
        if state.hold_until.is_some_and(|until| now < until) {
            return;
        }
        state.remember(true);
        if !state.persistently_throttled() {
            return;
        }
        // Tokens earned so far were earned at the old rate; none are kept.
        state.tokens = 0.0;
        state.refilled = now;
        state.rate = (state.rate / 2.0).max(self.floor());
        state.hold_until = Some(now + DECREASE_HOLD);
        state.climbed = now + DECREASE_HOLD;
        // The next decision is about the new rate: the throttles that led here are settled.
        state.outcomes = 0;
        state.seen = 0;
    }

    /// An attempt was answered (not throttled): climb back towards the ceiling. Answers to
    /// attempts sent before the last decrease say nothing about the new rate and are ignored.
    pub fn answered(&self) {
        let mut state = self.state();
        let now = Instant::now();
        if state.hold_until.is_some_and(|until| now < until) {
            return;
        }
        state.remember(false);
        state.refill(now, self.burst);
        let climbing = now.duration_since(state.climbed).as_secs_f64();
        state.climbed = now;
        state.rate = (state.rate + climbing * self.ceiling / RECOVERY_SECONDS).min(self.ceiling);
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
    /// CloudWatch Logs publishes a quota of 5/s for each of CreateLogGroup, DeleteLogGroup
    /// and DescribeLogGroups, one per operation: a group's creation does not wait behind
    /// another call's queue.
    pub logs_create_log_group: RateLimiter,
    pub logs_delete_log_group: RateLimiter,
    pub logs_describe_log_groups: RateLimiter,
    /// The two other calls a new function's log group makes, PutRetentionPolicy and
    /// PutMetricFilter, have no published rate. CloudWatch Logs throttles each operation on
    /// its own (every rate it publishes is per operation), so each gets slsctl's modest rate
    /// of its own rather than queueing behind the other: a function waits for its group's
    /// retention, not for the filters of the functions before it. Adaptive pacing slows
    /// either down if AWS throttles it.
    pub logs_put_retention_policy: RateLimiter,
    pub logs_put_metric_filter: RateLimiter,
    /// The other CloudWatch Logs calls (tagging, metric filter reads…): one modest rate.
    pub logs: RateLimiter,
    /// CloudWatch: DescribeAlarms 9/s; DeleteAlarms 3/s.
    pub cloudwatch_describe_alarms: RateLimiter,
    pub cloudwatch_delete_alarms: RateLimiter,
    /// The other CloudWatch calls slsctl makes (PutMetricAlarm, dashboards, tagging): a modest
    /// shared rate, below the 10/s published for the dashboard calls.
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
            logs_create_log_group: quota(5.0, 4.0),
            logs_delete_log_group: quota(5.0, 4.0),
            logs_describe_log_groups: quota(5.0, 4.0),
            logs_put_retention_policy: RateLimiter::new(4.0, 4.0),
            logs_put_metric_filter: RateLimiter::new(4.0, 4.0),
            logs: RateLimiter::new(4.0, 4.0),
            cloudwatch_describe_alarms: quota(9.0, 5.0),
            cloudwatch_delete_alarms: quota(3.0, 2.0),
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
            ("CloudWatch Logs", "CreateLogGroup") => &self.logs_create_log_group,
            ("CloudWatch Logs", "DeleteLogGroup") => &self.logs_delete_log_group,
            ("CloudWatch Logs", "DescribeLogGroups") => &self.logs_describe_log_groups,
            ("CloudWatch Logs", "PutRetentionPolicy") => &self.logs_put_retention_policy,
            ("CloudWatch Logs", "PutMetricFilter") => &self.logs_put_metric_filter,
            ("CloudWatch Logs", _) => &self.logs,
            ("CloudWatch", "DescribeAlarms") => &self.cloudwatch_describe_alarms,
            ("CloudWatch", "DeleteAlarms") => &self.cloudwatch_delete_alarms,
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

    /// A deterministic stand-in for random draws in [0, 1) (xorshift64), so a failing run can
    /// be replayed.
    struct Draws(u64);

    impl Draws {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// `attempts` attempts through `limiter`, each throttled with probability `share`; the
    /// attempts a second they were sent at, in (virtual) time.
    async fn attempts_per_second(
        limiter: &RateLimiter,
        attempts: usize,
        share: f64,
        draws: &mut Draws,
    ) -> f64 {
        let start = Instant::now();
        for _ in 0..attempts {
            limiter.acquire().await;
            if draws.next() < share {
                limiter.throttled();
            } else {
                limiter.answered();
            }
        }
        attempts as f64 / start.elapsed().as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_storm_halves_the_rate_once_per_hold_and_ends_the_burst() {
        let limiter = RateLimiter::new(10.0, 10.0);
        // Every attempt throttled: the eighth is persistent enough.
        for _ in 0..7 {
            limiter.throttled();
        }
        assert_eq!(limiter.rate(), 10.0);
        limiter.throttled();
        assert_eq!(limiter.rate(), 5.0);
        // The attempts already in flight come back throttled too: one overload, one halving.
        for _ in 0..20 {
            limiter.throttled();
        }
        assert_eq!(limiter.rate(), 5.0);
        // No burst left: 10 calls at 5/s take 2 s, not the 0 s of a full bucket.
        let elapsed = seconds_for(&limiter, 10).await;
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
        // Still throttled after the hold: a new decision, halved again.
        for _ in 0..8 {
            limiter.throttled();
        }
        assert_eq!(limiter.rate(), 2.5);
    }

    #[tokio::test(start_paused = true)]
    async fn isolated_throttles_among_answers_do_not_slow_down() {
        let limiter = RateLimiter::new(10.0, 10.0);
        // One attempt in four throttled, evenly: far more than any healthy account sees.
        for attempt in 0..400 {
            limiter.acquire().await;
            if attempt % 4 == 0 {
                limiter.throttled();
            } else {
                limiter.answered();
            }
            assert_eq!(limiter.rate(), 10.0, "after attempt {attempt}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn random_throttles_at_the_chaos_tests_rates_keep_the_ceilings_pace() {
        // The chaos tests' proxy throttles about 10 % (25 % faults) and 18 % (40 % faults) of
        // the attempts that get an answer, at random and whatever the rate.
        for (share, seed) in [(0.10, 0x5eed_0001), (0.18, 0x5eed_0002), (0.18, 7)] {
            let limiter = RateLimiter::new(10.0, 10.0);
            let mut draws = Draws(seed);
            let pace = attempts_per_second(&limiter, 2000, share, &mut draws).await;
            eprintln!("{share} throttled at random: {pace:.2} attempts/s");
            assert!(pace >= 9.5, "{share}: {pace} attempts/s of 10");
            assert!(limiter.rate() >= limiter.floor(), "{}", limiter.rate());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn finds_a_quota_lower_than_its_ceiling() {
        // AWS's side: a quota of 5 requests/s (a token bucket, burst 5) while the limiter
        // starts at 10: half the attempts would be throttled at the ceiling.
        let limiter = RateLimiter::new(10.0, 10.0);
        let start = Instant::now();
        let (mut quota_tokens, mut quota_refilled) = (5.0_f64, start);
        let (mut attempts, mut throttled) = (0u32, 0u32);
        while start.elapsed() < Duration::from_secs(60) {
            limiter.acquire().await;
            let now = Instant::now();
            quota_tokens =
                (quota_tokens + now.duration_since(quota_refilled).as_secs_f64() * 5.0).min(5.0);
            quota_refilled = now;
            attempts += 1;
            if quota_tokens >= 1.0 {
                quota_tokens -= 1.0;
                limiter.answered();
            } else {
                throttled += 1;
                limiter.throttled();
            }
        }
        let share = f64::from(throttled) / f64::from(attempts);
        let pace = f64::from(attempts - throttled) / 60.0;
        eprintln!("{throttled} of {attempts} throttled, {pace:.2} answered/s");
        // Without adapting, 50 % would be throttled; adapting, the limiter oscillates around
        // the quota: most attempts get through and the quota is still mostly used.
        assert!(share < 0.3, "{throttled} of {attempts} throttled");
        assert!(pace >= 4.0, "{pace} answered/s of the 5 allowed");
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_never_falls_below_a_quarter_of_its_ceiling() {
        let limiter = RateLimiter::new(16.0, 16.0);
        for _ in 0..10 {
            for _ in 0..WINDOW {
                limiter.throttled();
            }
            tokio::time::advance(DECREASE_HOLD).await;
        }
        assert_eq!(limiter.rate(), 4.0);
        assert_eq!(limiter.floor(), 4.0);
    }

    #[tokio::test(start_paused = true)]
    async fn answers_bring_the_rate_back_up_to_the_ceiling_and_no_further() {
        let limiter = RateLimiter::new(10.0, 10.0);
        for _ in 0..MIN_THROTTLES {
            limiter.throttled();
        }
        assert_eq!(limiter.rate(), 5.0);
        // Answers to attempts sent before the decrease say nothing about the new rate.
        limiter.answered();
        assert_eq!(limiter.rate(), 5.0);
        tokio::time::advance(DECREASE_HOLD).await;
        limiter.answered();
        assert_eq!(limiter.rate(), 5.0);
        // A tenth of the ceiling a second while answers come, however many: 2.5 s make up
        // the halving.
        tokio::time::advance(Duration::from_millis(1250)).await;
        for _ in 0..5 {
            limiter.answered();
        }
        assert!((limiter.rate() - 6.25).abs() < 1e-6, "{}", limiter.rate());
        tokio::time::advance(Duration::from_millis(1250)).await;
        limiter.answered();
        assert!((limiter.rate() - 7.5).abs() < 1e-6, "{}", limiter.rate());
        tokio::time::advance(Duration::from_secs(60)).await;
        limiter.answered();
        assert_eq!(limiter.rate(), 10.0);
        // At the ceiling, a full burst and then the ceiling's rate: 10 at once, 20 in 2 s.
        let elapsed = seconds_for(&limiter, 30).await;
        assert!((1.99..2.1).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn from_the_floor_back_to_the_ceiling_in_seconds() {
        let limiter = RateLimiter::new(16.0, 16.0);
        for _ in 0..3 {
            for _ in 0..WINDOW {
                limiter.throttled();
            }
            tokio::time::advance(DECREASE_HOLD).await;
        }
        assert_eq!(limiter.rate(), limiter.floor());
        // Answered attempts as fast as the limiter lets them go: 7.5 s of climbing, plus the
        // hold of the last decrease.
        let start = Instant::now();
        while limiter.rate() < limiter.ceiling() {
            limiter.acquire().await;
            limiter.answered();
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((7.4..8.7).contains(&elapsed), "{elapsed}");
    }

    #[test]
    fn a_share_that_is_not_a_number_in_range_is_refused_with_a_hint() {
        assert_eq!(share_from("0.5"), Ok(0.5));
        for bad in ["half", "0", "1.5", ""] {
            let message = share_from(bad).unwrap_err();
            assert!(
                message.starts_with(&format!("{QUOTA_SHARE_VARIABLE}={bad:?} is not a share")),
                "{message}"
            );
            assert!(
                message.contains("\nhint: use a number above 0 and at most 1"),
                "{message}"
            );
        }
    }

    #[test]
    fn ceilings_are_the_configured_share_of_the_published_quotas() {
        let limits = Limits::with_share(0.5);
        assert_eq!(limits.lambda.ceiling(), 7.5);
        assert_eq!(limits.lambda_get_function.ceiling(), 50.0);
        assert_eq!(limits.events.ceiling(), 25.0);
        assert_eq!(limits.apigateway.ceiling(), 5.0);
        assert_eq!(limits.logs_create_log_group.ceiling(), 2.5);
        assert_eq!(limits.cloudwatch_delete_alarms.ceiling(), 1.5);
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
        assert_eq!(
            of("CloudWatch Logs", "CreateLogGroup"),
            is(&limits.logs_create_log_group)
        );
        assert_eq!(
            of("CloudWatch Logs", "DeleteLogGroup"),
            is(&limits.logs_delete_log_group)
        );
        assert_eq!(
            of("CloudWatch Logs", "DescribeLogGroups"),
            is(&limits.logs_describe_log_groups)
        );
        assert_eq!(
            of("CloudWatch Logs", "PutRetentionPolicy"),
            is(&limits.logs_put_retention_policy)
        );
        assert_eq!(
            of("CloudWatch Logs", "PutMetricFilter"),
            is(&limits.logs_put_metric_filter)
        );
        assert_eq!(of("CloudWatch Logs", "TagResource"), is(&limits.logs));
        assert_eq!(
            of("CloudWatch", "DescribeAlarms"),
            is(&limits.cloudwatch_describe_alarms)
        );
        assert_eq!(
            of("CloudWatch", "DeleteAlarms"),
            is(&limits.cloudwatch_delete_alarms)
        );
        assert_eq!(of("CloudWatch", "PutMetricAlarm"), is(&limits.cloudwatch));
        assert_eq!(of("STS", "GetCallerIdentity"), None);
    }
}
