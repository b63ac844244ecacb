//! Sensor logs over HTTP: a sensor with a token posts its log lines and the
//! centre's pipeline processes them in this process (for sites without NATS).

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use sakimori_pipeline::{read_batches, Format, WireBatch, DEFAULT_BATCH};
use sakimori_sensor::Sensor;
use serde::{Deserialize, Serialize};

/// Query of `POST /api/v1/sensors/{sensor}/observations`.
#[derive(Debug, Deserialize)]
pub struct IngestQuery {
    /// The site the sensor watches.
    pub site: Option<String>,
    /// eve, zeek or dns; default: guessed from the first line.
    pub format: Option<String>,
}

/// The request body: newline-delimited log records, as the sensor wrote them.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct LogLines(#[allow(dead_code)] String);

/// One malformed record: where and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Malformed {
    pub line: u64,
    pub offset: u64,
    pub field: Option<String>,
    pub message: String,
}

/// What a posted log produced.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestAnswer {
    pub observations: u64,
    pub malformed: u64,
    pub skipped: u64,
    /// The first 20 malformed records.
    pub errors: Vec<Malformed>,
    pub batches: u64,
    /// Batches already processed before (the same lines posted again).
    pub duplicate_batches: u64,
    pub new_events: u64,
    pub updated_events: u64,
}

/// `POST /api/v1/sensors/{sensor}/observations`: log lines in the body.
pub async fn ingest(
    State(state): State<AppState>,
    Path(sensor): Path<String>,
    Query(q): Query<IngestQuery>,
    body: Bytes,
) -> ApiResult<Json<IngestAnswer>> {
    if sensor.is_empty() || sensor.len() > 100 || sensor.contains(char::is_control) {
        return Err(ApiError::invalid("sensor", "1 to 100 printable characters"));
    }
    let site = q.site.unwrap_or_else(|| "-".into());
    let format = match q.format.as_deref() {
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::invalid("format", "expected eve, zeek or dns"))?,
        None => {
            let first = body.split(|b| *b == b'\n').next().unwrap_or_default();
            Format::sniff(&String::from_utf8_lossy(first))
        }
    };
    let centre = state.centre().await?;
    let label = format!("{sensor}@{site}");
    let sensor = Sensor::new(sensor, site);
    // Parsing is CPU work: off the async threads.
    let (batches, errors, totals) = tokio::task::spawn_blocking(move || {
        let mut batches: Vec<WireBatch> = Vec::new();
        let mut errors = Vec::new();
        let totals = read_batches(
            &body[..],
            &label,
            format,
            sensor,
            DEFAULT_BATCH,
            &mut |e| {
                if errors.len() < 20 {
                    errors.push(Malformed {
                        line: e.line,
                        offset: e.offset,
                        field: e.error.field.clone(),
                        message: e.error.message.clone(),
                    });
                }
            },
            &mut |b| {
                batches.push(b);
                Ok(())
            },
        );
        (batches, errors, totals)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    let totals = totals.map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let mut answer = IngestAnswer {
        observations: totals.ok,
        malformed: totals.malformed,
        skipped: totals.skipped,
        errors,
        batches: totals.batches,
        duplicate_batches: 0,
        new_events: 0,
        updated_events: 0,
    };
    for b in &batches {
        let out = centre.process(b).await?;
        answer.duplicate_batches += out.duplicate as u64;
        answer.new_events += out.new_events;
        answer.updated_events += out.updated_events;
    }
    Ok(Json(answer))
}
