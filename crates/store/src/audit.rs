//! Reading and verifying the audit log.

use crate::{Result, Store};
use sakimori_core::audit::{AuditEntry, ChainFault, Verifier};
use sqlx::FromRow;

#[derive(FromRow)]
struct Row {
    seq: i64,
    at: String,
    actor_user: String,
    actor_org: String,
    action: String,
    entity: String,
    entity_id: String,
    before_digest: Option<String>,
    after_digest: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            seq: r.seq,
            at: r.at,
            actor_user: r.actor_user,
            actor_org: r.actor_org,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before_digest: r.before_digest,
            after_digest: r.after_digest,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str = "seq, at, actor_user, actor_org, action, entity, entity_id, \
                       before_digest, after_digest, prev_hash, hash";

impl Store {
    /// Entries after `after_seq`, oldest first, at most `limit`.
    pub async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Walk the whole chain; `Ok(n)` with the number of entries, or the first fault.
    pub async fn verify_audit(&self) -> Result<Result<u64, ChainFault>> {
        let mut v = Verifier::default();
        let mut after = 0;
        loop {
            let page = self.audit_entries(after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                if let Err(f) = v.check(e) {
                    return Ok(Err(f));
                }
            }
        }
        let head = self.meta("audit_head").await?.and_then(|h| {
            let (seq, hash) = h.split_once(' ')?;
            Some((seq.parse().ok()?, hash.to_owned()))
        });
        Ok(v.finish(head))
    }
}
