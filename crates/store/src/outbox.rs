//! The notification outbox: rows written with the change that caused them, sent
//! later by the notifier, every attempt's result kept.

use crate::{now, Result, Store};
use serde::Serialize;
use sqlx::FromRow;

#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxItem {
    pub id: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// An e-mail address, or the organisation whose webhook to call.
    pub target: String,
    pub subject: String,
    pub payload: String,
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
}

/// Attempts before an item is given up.
pub const MAX_ATTEMPTS: i64 = 10;

const COLUMNS: &str = "id, channel, target, subject, payload, created_at, attempts, next_attempt_at, sent_at, last_error";

impl Store {
    /// Items due for a (re)try, oldest first.
    pub async fn due_notifications(&self, limit: i64) -> Result<Vec<OutboxItem>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
             AND attempts < $3 ORDER BY created_at LIMIT $2"
        ))
        .bind(now())
        .bind(limit)
        .bind(MAX_ATTEMPTS)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every item, newest first (for the delivery log).
    pub async fn notifications(&self, limit: i64) -> Result<Vec<OutboxItem>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Record one attempt: sent, or failed with the error and when to retry.
    pub async fn record_attempt(
        &self,
        id: &str,
        result: std::result::Result<(), String>,
        retry_in: chrono::Duration,
    ) -> Result<()> {
        match result {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, sent_at = $1, last_error = NULL WHERE id = $2")
                    .bind(now())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
            }
            Err(e) => {
                let next = (chrono::Utc::now() + retry_in)
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string();
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3")
                    .bind(e)
                    .bind(next)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Give up on an item that cannot be sent as configured (e.g. no SMTP relay):
    /// it stays in the log with the reason and is not retried.
    pub async fn record_skipped(&self, id: &str, reason: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET attempts = $1, last_error = $2 WHERE id = $3")
            .bind(MAX_ATTEMPTS)
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The relay refused this address permanently: mark every contact using it.
    pub async fn mark_bounced(&self, email: &str) -> Result<u64> {
        Ok(
            sqlx::query("UPDATE contacts SET bounced_at = $1 WHERE lower(email) = lower($2)")
                .bind(now())
                .bind(email)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// The webhook URL and signing secret of an organisation.
    pub async fn webhook(&self, org: &str) -> Result<Option<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT url, secret FROM org_webhooks WHERE org_id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
