//! The filter patterns that find a cold start in a function's logs, per log format, and the
//! metric value they extract (CloudWatch Logs "Filter pattern syntax for metric filters").
//!
//! Text format: Lambda ends each invocation with a REPORT line whose fields are separated by
//! spaces and tabs (shown as spaces here), and which has `Init Duration: <ms> ms` only after a
//! cold start:
//!
//! ```text
//! REPORT RequestId: 3f8c… Duration: 102.25 ms Billed Duration: 103 ms Memory Size: 128 MB Max Memory Used: 66 MB Init Duration: 227.67 ms
//! ```
//!
//! A space-delimited pattern names every field up to the init duration (a field written with a
//! value must equal it), and ends with `...` because a traced function's REPORT line goes on
//! with `XRAY TraceId: …`. JSON format: Lambda writes a `platform.report` record whose
//! `record.metrics.initDurationMs` is present only after a cold start (and only when the
//! function's system log level lets INFO records through).

use crate::model::LogFormat;

/// The space-delimited pattern of a REPORT line with an init duration; the duration is the
/// field `init_ms`.
pub const TEXT_PATTERN: &str = concat!(
    "[report=\"REPORT\", request_id_label=\"RequestId:\", request_id, ",
    "duration_label=\"Duration:\", duration, duration_unit=\"ms\", ",
    "billed_1=\"Billed\", billed_2=\"Duration:\", billed, billed_unit=\"ms\", ",
    "memory_1=\"Memory\", memory_2=\"Size:\", memory, memory_unit=\"MB\", ",
    "max_1=\"Max\", max_2=\"Memory\", max_3=\"Used:\", max_memory, max_unit=\"MB\", ",
    "init_1=\"Init\", init_2=\"Duration:\", init_ms, init_unit=\"ms\", ...]",
);

/// The JSON pattern of a `platform.report` record with an init duration.
pub const JSON_PATTERN: &str =
    "{ ($.type = \"platform.report\") && ($.record.metrics.initDurationMs > 0) }";

/// The filter pattern for a function logging in `format`.
pub fn filter_pattern(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Text => TEXT_PATTERN,
        LogFormat::Json => JSON_PATTERN,
    }
}

/// What the metric records for each match: the init duration in milliseconds.
pub fn metric_value(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Text => "$init_ms",
        LogFormat::Json => "$.record.metrics.initDurationMs",
    }
}

/// The fields of a space-delimited pattern (`[a="x", b, ...]`): each field's name and the value
/// it must equal, if any; `...` as a field of its own. For the tests below, which check the
/// pattern against real REPORT lines the way CloudWatch Logs reads it.
#[cfg(test)]
fn text_fields(pattern: &str) -> Vec<(String, Option<String>)> {
    pattern
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(", ")
        .map(|field| match field.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.trim_matches('"').to_string())),
            None => (field.to_string(), None),
        })
        .collect()
}

/// The value a space-delimited pattern extracts as `wanted` from `line`, if the line matches:
/// fields split on spaces and tabs, each field with a value must equal it, a final `...`
/// matches any remaining fields (and none).
#[cfg(test)]
fn text_match(pattern: &str, line: &str, wanted: &str) -> Option<String> {
    let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    let fields = text_fields(pattern);
    let open_ended = fields.last().is_some_and(|(name, _)| name == "...");
    let fixed = &fields[..fields.len() - usize::from(open_ended)];
    if words.len() < fixed.len() || (!open_ended && words.len() != fixed.len()) {
        return None;
    }
    let mut found = None;
    for ((name, value), word) in fixed.iter().zip(&words) {
        if value.as_deref().is_some_and(|v| v != *word) {
            return None;
        }
        if name == wanted {
            found = Some(word.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLD: &str = "REPORT RequestId: 3f8c2a4e-1f6b-4a43-9e4b-2f7d9a0c1b2e\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 66 MB\tInit Duration: 227.67 ms\t";
    const WARM: &str = "REPORT RequestId: 9a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9\tDuration: 3.10 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\t";
    const TRACED: &str = "REPORT RequestId: 3f8c2a4e-1f6b-4a43-9e4b-2f7d9a0c1b2e\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 66 MB\tInit Duration: 227.67 ms\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6532e4f2e8\tSegmentId: 6b0c2b5d1e9f3a47\tSampled: true\t";

    #[test]
    fn the_text_pattern_extracts_the_init_duration_of_a_cold_start_only() {
        assert_eq!(
            text_match(TEXT_PATTERN, COLD, "init_ms").as_deref(),
            Some("227.67")
        );
        assert_eq!(text_match(TEXT_PATTERN, WARM, "init_ms"), None);
        assert_eq!(
            text_match(TEXT_PATTERN, TRACED, "init_ms").as_deref(),
            Some("227.67")
        );
        // The metric value names the field the pattern extracts.
        assert_eq!(metric_value(LogFormat::Text), "$init_ms");
    }

    #[test]
    fn the_text_pattern_is_documented_space_delimited_syntax() {
        // Bracketed, comma-separated fields; names are identifiers; `...` only at the end;
        // within the 1024 characters PutMetricFilter accepts.
        assert!(TEXT_PATTERN.starts_with('[') && TEXT_PATTERN.ends_with(']'));
        assert!(TEXT_PATTERN.len() <= 1024);
        let fields = text_fields(TEXT_PATTERN);
        for (name, _) in &fields[..fields.len() - 1] {
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "`{name}` is not a field name"
            );
        }
        assert_eq!(fields.last().map(|(n, _)| n.as_str()), Some("..."));
    }

    #[test]
    fn the_json_pattern_selects_report_records_with_an_init_duration() {
        // JSON filter syntax: `{ selector op value }` joined by `&&`, strings quoted.
        assert!(JSON_PATTERN.starts_with('{') && JSON_PATTERN.ends_with('}'));
        assert!(JSON_PATTERN.contains("$.type = \"platform.report\""));
        assert!(JSON_PATTERN.contains("$.record.metrics.initDurationMs > 0"));
        assert_eq!(
            metric_value(LogFormat::Json),
            "$.record.metrics.initDurationMs"
        );
        // A platform.report record as Lambda writes it after a cold start has that field.
        let record: serde_json::Value = serde_json::from_str(
            r#"{"time":"2026-11-30T03:00:00.000Z","type":"platform.report","record":{"requestId":"3f8c","metrics":{"durationMs":102.25,"billedDurationMs":103,"memorySizeMB":128,"maxMemoryUsedMB":66,"initDurationMs":227.67},"status":"success"}}"#,
        )
        .unwrap();
        assert_eq!(record["type"], "platform.report");
        assert!(
            record["record"]["metrics"]["initDurationMs"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
}
