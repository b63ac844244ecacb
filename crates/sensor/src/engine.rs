//! One pass of the triage pipeline over a batch of observations:
//! noise filter → indicator match → warninglists → suppressions → bundling.
//!
//! The [`Engine`] holds no I/O: the caller feeds it observations from any
//! source and writes the [`Batch`] it returns (drafts of events and counts
//! per sensor) wherever it keeps them, in one transaction, so that a batch
//! processed twice can be recognised and skipped.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use sakimori_core::lookup::AssetIndex;
use serde::{Deserialize, Serialize};

use crate::detect::{Hit, Matcher};
use crate::noise::{NoiseFilter, NoiseReason};
use crate::observation::{Observation, Sensor};
use crate::triage::{self, Bundler, Draft};

/// Default bundling window: attempts at most an hour apart are one event.
pub const DEFAULT_WINDOW_SECS: i64 = 3600;

/// Counts of one sensor's records through the pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Records read.
    pub records: u64,
    /// Malformed records (counted by the reader, added by the caller).
    pub malformed: u64,
    /// Dropped: the attempt failed.
    pub failed: u64,
    /// Dropped: a research scanner.
    pub scanner: u64,
    /// Dropped: every hit was on a warninglisted value and no signature fired.
    pub warninglist: u64,
    /// Dropped: an analyst's suppression.
    pub suppressed: u64,
    /// Records that matched at least one indicator.
    pub matched: u64,
    /// Records that became part of an event.
    pub candidates: u64,
}

impl Tally {
    /// Adds another tally.
    pub fn add(&mut self, o: &Tally) {
        self.records += o.records;
        self.malformed += o.malformed;
        self.failed += o.failed;
        self.scanner += o.scanner;
        self.warninglist += o.warninglist;
        self.suppressed += o.suppressed;
        self.matched += o.matched;
        self.candidates += o.candidates;
    }

    /// Records dropped as noise, all reasons.
    pub fn noise(&self) -> u64 {
        self.failed + self.scanner + self.warninglist + self.suppressed
    }

    fn count(&mut self, r: NoiseReason) {
        match r {
            NoiseReason::Failed => self.failed += 1,
            NoiseReason::Scanner => self.scanner += 1,
            NoiseReason::Warninglist => self.warninglist += 1,
            NoiseReason::Suppressed => self.suppressed += 1,
        }
    }
}

/// What one batch produced.
#[derive(Debug, Default)]
pub struct Batch {
    /// Counts per (sensor, site).
    pub tallies: BTreeMap<(String, String), Tally>,
    /// Event drafts to merge into the store.
    pub drafts: Vec<Draft>,
}

/// The pipeline's state: indicators, noise lists, registry addresses.
pub struct Engine {
    /// Active indicators.
    pub matcher: Matcher,
    /// Noise lists and suppressions.
    pub noise: NoiseFilter,
    /// Registered addresses and domains → organisation.
    pub assets: AssetIndex,
    /// Bundling window.
    pub window: Duration,
}

impl Engine {
    /// An engine with no indicators, the shipped noise lists and no registry.
    pub fn new() -> Self {
        Self {
            matcher: Matcher::new(),
            noise: NoiseFilter::default(),
            assets: AssetIndex::new(),
            window: Duration::seconds(DEFAULT_WINDOW_SECS),
        }
    }

    /// Runs one batch.
    pub fn run<'a>(&self, observations: impl IntoIterator<Item = &'a Observation>) -> Batch {
        let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
        let mut bundler = Bundler::new(self.window);
        let mut hits: Vec<Hit> = Vec::new();
        // Counts of the current run of records from one sensor, added to the
        // map when the sensor changes: no key built per record.
        let mut run: Option<(Arc<Sensor>, Tally)> = None;
        let flush = |tallies: &mut BTreeMap<(String, String), Tally>,
                     run: Option<(Arc<Sensor>, Tally)>| {
            if let Some((s, t)) = run {
                tallies
                    .entry((s.id.clone(), s.site.clone()))
                    .or_default()
                    .add(&t);
            }
        };
        for obs in observations {
            let t = match &mut run {
                Some((s, t)) if Arc::ptr_eq(s, &obs.sensor) => t,
                _ => {
                    flush(&mut tallies, run.take());
                    &mut run.insert((obs.sensor.clone(), Tally::default())).1
                }
            };
            t.records += 1;
            if let Some(r) = self.noise.before_match(obs) {
                t.count(r);
                continue;
            }
            hits.clear();
            let mut only_benign = false;
            if self.matcher.matches(obs, &mut hits) > 0 {
                t.matched += 1;
                only_benign = self.noise.drop_benign_hits(&mut hits) > 0 && hits.is_empty();
            }
            let Some(technique) = triage::technique(obs, &hits) else {
                // Every match was on a benign value and nothing else fired.
                if only_benign {
                    t.count(NoiseReason::Warninglist);
                }
                continue;
            };
            if self.noise.suppressed_by(obs, &technique).is_some() {
                t.count(NoiseReason::Suppressed);
                continue;
            }
            let (target_ip, mut owner) =
                triage::target(obs, &hits, &|ip| self.assets.lookup_ip_org(ip));
            if owner.is_none() {
                // No registered address: a registered domain the record names
                // (an HTTP host, a TLS SNI), unless an indicator named it bad.
                owner = obs
                    .domains
                    .iter()
                    .filter(|d| !hits.iter().any(|h| h.value == **d))
                    .find_map(|d| self.assets.lookup_domain(d))
                    .map(|m| m.organisation);
            }
            t.candidates += 1;
            bundler.push(obs, &hits, technique, target_ip, owner);
        }
        flush(&mut tallies, run);
        Batch {
            tallies,
            drafts: bundler.finish(),
        }
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}
