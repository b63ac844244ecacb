//! Audit routes: read and verify the hash-chained log.

use crate::error::ApiResult;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use sakimori_core::audit::{AuditEntry, ChainFault};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Page {
    after: Option<i64>,
    limit: Option<i64>,
}

pub async fn entries(
    State(s): State<AppState>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        s.store.audit_entries(p.after.unwrap_or(0), limit).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyAnswer {
    pub ok: bool,
    /// Entries checked when the chain is intact.
    pub entries: Option<u64>,
    /// The first broken place otherwise.
    pub fault: Option<ChainFault>,
}

pub async fn verify(State(s): State<AppState>) -> ApiResult<Json<VerifyAnswer>> {
    Ok(Json(match s.store.verify_audit().await? {
        Ok(n) => VerifyAnswer {
            ok: true,
            entries: Some(n),
            fault: None,
        },
        Err(f) => VerifyAnswer {
            ok: false,
            entries: None,
            fault: Some(f),
        },
    }))
}
