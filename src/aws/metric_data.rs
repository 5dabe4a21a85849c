//! CloudWatch `GetMetricData`, batched and paginated: at most 500 metric queries per call (the
//! API's limit), each batch followed through its `NextToken`s, the series returned as plain
//! (epoch seconds, value) points for the pure code that reads them (`cost::recommend`).
//!
//! The API's own errors: `InvalidNextToken` (a stale token) fails the call like any other
//! error, classified as [`AwsError`]; per-query `StatusCode` `PartialData` means more pages,
//! `InternalError` or `Forbidden` leaves that series incomplete, said in its `problems`.

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};
use aws_smithy_types::DateTime;

use super::error::{classify, AwsError};

/// The API's limit of metric queries in one `GetMetricData`.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One metric and statistic to read, per `period` seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricQuery {
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
    pub period: i32,
}

/// What came back for one query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// (epoch seconds, value), oldest first.
    pub points: Vec<(i64, f64)>,
    /// Why the series may be incomplete (a status other than `Complete`, AWS's messages).
    pub problems: Vec<String>,
}

/// Read `queries` between `start` and `end` (epoch seconds); the answer is in the order of the
/// queries.
pub async fn get_metric_data(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    queries: &[MetricQuery],
    start: i64,
    end: i64,
) -> Result<Vec<Series>, AwsError> {
    let mut out = vec![Series::default(); queries.len()];
    for (batch_index, batch) in queries.chunks(MAX_QUERIES_PER_CALL).enumerate() {
        let offset = batch_index * MAX_QUERIES_PER_CALL;
        // Ids must start with a lower-case letter: `m` and the query's index.
        let built: Vec<MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.metric)
                    .set_dimensions(Some(
                        q.dimensions
                            .iter()
                            .map(|(n, v)| Dimension::builder().name(n).value(v).build())
                            .collect(),
                    ))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("m{}", offset + i))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(q.period)
                            .stat(&q.stat)
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut next_token: Option<String> = None;
        loop {
            let response = cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(built.clone()))
                .start_time(DateTime::from_secs(start))
                .end_time(DateTime::from_secs(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(classify)?;
            for result in response.metric_data_results() {
                let Some(index) = result
                    .id()
                    .and_then(|id| id.strip_prefix('m'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|i| *i < out.len())
                else {
                    continue;
                };
                let series = &mut out[index];
                series.points.extend(
                    result
                        .timestamps()
                        .iter()
                        .map(DateTime::secs)
                        .zip(result.values().iter().copied()),
                );
                match result.status_code() {
                    Some(StatusCode::InternalError) | Some(StatusCode::Forbidden) => {
                        series.problems.push(format!(
                            "CloudWatch answered {} for this metric",
                            result.status_code().map_or("", |s| s.as_str())
                        ))
                    }
                    _ => {}
                }
                for message in result.messages() {
                    series.problems.push(format!(
                        "{}: {}",
                        message.code().unwrap_or("message"),
                        message.value().unwrap_or_default()
                    ));
                }
            }
            next_token = response.next_token().map(str::to_string);
            if next_token.is_none() {
                break;
            }
        }
    }
    for series in &mut out {
        series.points.sort_by_key(|p| p.0);
    }
    Ok(out)
}
