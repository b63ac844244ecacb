//! Noise removal (機械的処理), the first cut of the GSOC pipeline (DOMAIN.md §5).
//!
//! Before anything reaches an analyst, the filter drops: attacks that already
//! failed (an inline sensor blocked them, nobody answered, the connection was
//! refused); reconnaissance from research scanners that sweep the whole
//! Internet (a shipped, updatable list); indicator matches on values that a
//! warninglist marks as benign (a public resolver, an empty file's hash); and
//! whatever analysts chose to suppress. Every drop is counted by reason, so the
//! noise ratio is reported, never hidden.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use sakimori_core::warninglist::{Warninglist, Warninglists};
use serde::{Deserialize, Serialize};

use crate::detect::Hit;
use crate::observation::Observation;

/// The shipped list of research scanners, in the warninglist format.
pub const SHIPPED_SCANNERS: &str = include_str!("../../../data/scanners/research-scanners.txt");

/// Why a record was dropped as noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseReason {
    /// The attempt visibly failed (blocked, no reply, rejected).
    Failed,
    /// The source is a known research scanner.
    Scanner,
    /// Every indicator match was on a warninglisted value.
    Warninglist,
    /// An analyst's suppression covers it.
    Suppressed,
}

impl NoiseReason {
    /// All reasons, in report order.
    pub const ALL: [NoiseReason; 4] = [
        NoiseReason::Failed,
        NoiseReason::Scanner,
        NoiseReason::Warninglist,
        NoiseReason::Suppressed,
    ];

    /// The snake-case name used in statistics.
    pub fn as_str(self) -> &'static str {
        match self {
            NoiseReason::Failed => "failed",
            NoiseReason::Scanner => "scanner",
            NoiseReason::Warninglist => "warninglist",
            NoiseReason::Suppressed => "suppressed",
        }
    }
}

/// An analyst's rule that silences matching records, often made when an
/// event is dismissed as noise. Every set criterion must hold; a rule with
/// none set matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Identifier (a UUID in the store).
    pub id: String,
    /// Source address or network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<IpNet>,
    /// Destination address or network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<IpNet>,
    /// The technique (signature name or `indicator: …`), exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
    /// Suricata signature id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_id: Option<u64>,
    /// Until when; `None` is for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Why, in the analyst's words.
    #[serde(default)]
    pub reason: String,
}

impl Suppression {
    /// Whether the rule silences this record with this technique.
    pub fn covers(&self, obs: &Observation, technique: &str) -> bool {
        if self.source.is_none()
            && self.target.is_none()
            && self.technique.is_none()
            && self.signature_id.is_none()
        {
            return false;
        }
        let within = |net: &Option<IpNet>, ip: Option<IpAddr>| match net {
            None => true,
            Some(n) => ip.is_some_and(|ip| n.contains(&ip)),
        };
        self.until.is_none_or(|u| obs.time < u)
            && within(&self.source, obs.src_ip)
            && within(&self.target, obs.dst_ip)
            && self.technique.as_deref().is_none_or(|t| t == technique)
            && self
                .signature_id
                .is_none_or(|s| obs.signature.as_ref().and_then(|g| g.id) == Some(s))
    }
}

/// The noise filter's settings and lists.
#[derive(Debug, Clone)]
pub struct NoiseFilter {
    /// Drop attempts that visibly failed (default on).
    pub drop_failed: bool,
    /// Research scanners, by source address.
    pub scanners: Warninglist,
    /// Benign values: a hit on one of them does not count.
    pub warninglists: Warninglists,
    /// Analysts' suppressions.
    pub suppressions: Vec<Suppression>,
}

impl Default for NoiseFilter {
    fn default() -> Self {
        Self {
            drop_failed: true,
            scanners: Warninglist::parse("research-scanners", SHIPPED_SCANNERS)
                .expect("the shipped scanner list parses"),
            warninglists: Warninglists::shipped(),
            suppressions: Vec::new(),
        }
    }
}

impl NoiseFilter {
    /// The first cut, before matching: failed attempts and scanners.
    pub fn before_match(&self, obs: &Observation) -> Option<NoiseReason> {
        if self.drop_failed && obs.failed() {
            return Some(NoiseReason::Failed);
        }
        if let Some(ip) = obs.src_ip {
            if self.scanners.contains_ip(ip) {
                return Some(NoiseReason::Scanner);
            }
        }
        None
    }

    /// Drops the hits whose matched value is on a warninglist; returns how
    /// many were dropped.
    pub fn drop_benign_hits(&self, hits: &mut Vec<Hit>) -> usize {
        let before = hits.len();
        hits.retain(|h| !self.warninglists.lists.iter().any(|l| l.contains(&h.value)));
        before - hits.len()
    }

    /// The suppression that silences this record, if any.
    pub fn suppressed_by(&self, obs: &Observation, technique: &str) -> Option<&Suppression> {
        self.suppressions.iter().find(|s| s.covers(obs, technique))
    }
}
