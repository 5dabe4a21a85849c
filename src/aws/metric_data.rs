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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
    use aws_sdk_cloudwatch::types::{MessageData, MetricDataResult};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn queries(n: usize) -> Vec<MetricQuery> {
        (0..n)
            .map(|i| MetricQuery {
                namespace: "AWS/Lambda".into(),
                metric: "Invocations".into(),
                dimensions: vec![("FunctionName".into(), format!("f{i}"))],
                stat: "Sum".into(),
                period: 3600,
            })
            .collect()
    }

    fn result(id: &str, points: &[(i64, f64)], status: StatusCode) -> MetricDataResult {
        MetricDataResult::builder()
            .id(id)
            .set_timestamps(Some(
                points.iter().map(|p| DateTime::from_secs(p.0)).collect(),
            ))
            .set_values(Some(points.iter().map(|p| p.1).collect()))
            .status_code(status)
            .build()
    }

    /// 501 queries: a call of 500 followed through its NextToken, then a call of 1; points
    /// merged in time order, statuses other than Complete said.
    #[tokio::test]
    async fn queries_go_in_batches_of_500_and_follow_next_tokens() {
        let first_page = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|r| r.metric_data_queries().len() == 500 && r.next_token().is_none())
            .then_output(|| {
                GetMetricDataOutput::builder()
                    .metric_data_results(result(
                        "m0",
                        &[(7200, 2.0), (10800, 3.0)],
                        StatusCode::PartialData,
                    ))
                    .next_token("page-2")
                    .build()
            });
        let second_page = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                GetMetricDataOutput::builder()
                    .metric_data_results(result("m0", &[(3600, 1.0)], StatusCode::Complete))
                    .metric_data_results(
                        MetricDataResult::builder()
                            .id("m1")
                            .status_code(StatusCode::Forbidden)
                            .messages(
                                MessageData::builder()
                                    .code("Forbidden")
                                    .value("not allowed")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let second_batch = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|r| {
                r.metric_data_queries().len() == 1
                    && r.metric_data_queries()[0].id() == Some("m500")
            })
            .then_output(|| {
                GetMetricDataOutput::builder()
                    .metric_data_results(result("m500", &[(3600, 9.0)], StatusCode::Complete))
                    .build()
            });
        let client = mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            &[&first_page, &second_page, &second_batch]
        );
        let out = get_metric_data(&client, &queries(501), 0, 14 * 86_400)
            .await
            .unwrap();
        assert_eq!(first_page.num_calls(), 1);
        assert_eq!(second_page.num_calls(), 1);
        assert_eq!(second_batch.num_calls(), 1);
        assert_eq!(out.len(), 501);
        assert_eq!(out[0].points, vec![(3600, 1.0), (7200, 2.0), (10800, 3.0)]);
        assert!(out[0].problems.is_empty(), "{:?}", out[0].problems);
        assert_eq!(
            out[1].problems,
            vec![
                "CloudWatch answered Forbidden for this metric".to_string(),
                "Forbidden: not allowed".to_string()
            ]
        );
        assert_eq!(out[500].points, vec![(3600, 9.0)]);
    }

    /// `InvalidNextToken`, GetMetricData's documented error, fails the read with its code.
    #[tokio::test]
    async fn an_invalid_next_token_is_an_error_named_after_the_operation() {
        use aws_sdk_cloudwatch::error::ErrorMetadata;
        use aws_sdk_cloudwatch::types::error::InvalidNextToken;
        let stale = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_error(|| {
            GetMetricDataError::InvalidNextToken(
                InvalidNextToken::builder()
                    .message("The service cannot process the token")
                    .meta(ErrorMetadata::builder().code("InvalidNextToken").build())
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &[&stale]);
        let error = get_metric_data(&client, &queries(1), 0, 3600)
            .await
            .unwrap_err();
        assert_eq!(error.operation, "GetMetricData");
        assert_eq!(error.code.as_deref(), Some("InvalidNextToken"));
    }
}
