//! The audit log as a hash chain: each entry commits to the one before it, so
//! that an altered, inserted or removed entry breaks the chain where it happened.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One appended write: who, for which organisation, when, what, and digests of
/// the state before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor_user: String,
    pub actor_org: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry should carry, from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        for field in [
            self.seq.to_string().as_str(),
            &self.at,
            &self.actor_user,
            &self.actor_org,
            &self.action,
            &self.entity,
            &self.entity_id,
            self.before_digest.as_deref().unwrap_or("-"),
            self.after_digest.as_deref().unwrap_or("-"),
            &self.prev_hash,
        ] {
            // Length-prefix every field so that no two field lists hash alike.
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// SHA-256 of a JSON value; serde_json maps are sorted, so equal states digest alike.
pub fn digest(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainFault {
    pub seq: i64,
    pub kind: FaultKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FaultKind {
    Altered,
    Inserted,
    Removed,
}

impl fmt::Display for ChainFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}: {}", self.seq, self.message)
    }
}

/// Walks the chain in `seq` order; feed it every entry, then call [`Verifier::finish`].
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl Verifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainFault> {
        if e.seq > self.expected_seq {
            return Err(ChainFault {
                seq: self.expected_seq,
                kind: FaultKind::Removed,
                message: format!(
                    "entries {}..{} are missing (removed)",
                    self.expected_seq,
                    e.seq - 1
                ),
            });
        }
        if e.seq < self.expected_seq {
            return Err(ChainFault {
                seq: e.seq,
                kind: FaultKind::Inserted,
                message: "sequence number repeats (inserted)".into(),
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainFault {
                seq: e.seq,
                kind: FaultKind::Altered,
                message: "content does not match its hash (altered)".into(),
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainFault {
                seq: e.seq,
                kind: FaultKind::Inserted,
                message: "does not chain to the entry before it (inserted, or an entry before it was replaced)".into(),
            });
        }
        self.prev_hash = e.hash.clone();
        self.expected_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Compare the end of the chain with the recorded head (last seq and hash).
    pub fn finish(&self, head: Option<(i64, String)>) -> Result<u64, ChainFault> {
        let last = self.expected_seq - 1;
        match head {
            Some((seq, _)) if seq > last => Err(ChainFault {
                seq: last + 1,
                kind: FaultKind::Removed,
                message: format!(
                    "entries {}..{seq} at the end are missing (removed)",
                    last + 1
                ),
            }),
            Some((seq, hash)) if seq == last && hash != self.prev_hash => Err(ChainFault {
                seq,
                kind: FaultKind::Altered,
                message: "the last entry differs from the recorded head (altered)".into(),
            }),
            Some((seq, _)) if seq < last => Err(ChainFault {
                seq: seq + 1,
                kind: FaultKind::Inserted,
                message: format!("entries after {seq} were not written by Sakimori (inserted)"),
            }),
            _ => Ok(self.checked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: format!("2026-11-22T00:00:{seq:02}Z"),
                    actor_user: "alice".into(),
                    actor_org: "nisc".into(),
                    action: "create".into(),
                    entity: "organisation".into(),
                    entity_id: format!("org-{seq}"),
                    before_digest: None,
                    after_digest: Some(digest(&serde_json::json!({ "n": seq }))),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: Option<(i64, String)>) -> Result<u64, ChainFault> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        v.finish(head)
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, String)> {
        entries.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, head(&c)), Ok(5));
    }

    #[test]
    fn altered_entry_is_found() {
        let mut c = chain(5);
        let h = head(&c);
        c[2].actor_user = "mallory".into();
        let f = verify(&c, h).unwrap_err();
        assert_eq!((f.seq, f.kind), (3, FaultKind::Altered));
    }

    #[test]
    fn removed_entry_is_found() {
        let mut c = chain(5);
        let h = head(&c);
        c.remove(1);
        let f = verify(&c, h.clone()).unwrap_err();
        assert_eq!((f.seq, f.kind), (2, FaultKind::Removed));
        c.truncate(3);
        let mut tail = chain(5);
        let h2 = head(&tail);
        tail.truncate(3);
        assert_eq!(verify(&tail, h2).unwrap_err().kind, FaultKind::Removed);
    }

    #[test]
    fn inserted_entry_is_found() {
        let c = chain(5);
        let h = head(&c);
        // A forger rewrites entry 3 with a self-consistent hash but cannot fix entry 4.
        let mut forged = c.clone();
        forged[2].entity_id = "forged".into();
        forged[2].hash = forged[2].compute_hash();
        let f = verify(&forged, h).unwrap_err();
        assert_eq!((f.seq, f.kind), (4, FaultKind::Inserted));
    }
}
