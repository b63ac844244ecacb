//! Events requiring confirmation (確認を要するイベント): similar attempts bundled.
//!
//! What survives the noise filter and either matched an indicator or fired a
//! detection (a Suricata alert, a Zeek notice) is a *candidate*. Candidates
//! with the same external source, the same technique and the same target
//! organisation, each within `window` of the previous one, are one event
//! with its counts, time span, the sensors that saw it, the indicators that
//! matched and a bounded sample of evidence. This module does the bundling of
//! one batch in memory; the store merges each [`Draft`] into an open event
//! with the same key whose span is within the window.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use crate::detect::{Field, Hit};
use crate::observation::{Kind, Observation};

/// Evidence records kept per event; the counts cover the rest.
pub const MAX_EVIDENCE: usize = 20;
/// Distinct target addresses kept per event.
pub const MAX_TARGETS: usize = 100;

/// What bundles candidates into one event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventKey {
    /// The external party: the attacker's address for an inbound attempt, the
    /// contacted address for an infected host calling out; `-` when unknown.
    pub source: String,
    /// The signature name, or `indicator: <name>` for an indicator match.
    pub technique: String,
    /// The organisation that owns the targeted or infected address or domain,
    /// from the registry; `None` when nobody registered it.
    pub target_org: Option<String>,
}

/// One record kept as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// When.
    pub time: DateTime<Utc>,
    /// Which sensor.
    pub sensor: String,
    /// At which site.
    pub site: String,
    /// Record kind.
    pub kind: Kind,
    /// Source address and port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// Destination address and port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    /// Signature id and name, for alerts and notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `field=value (indicator id)` for each indicator hit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<String>,
    /// Domains and URLs of the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// One event as bundled from one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// What bundles it.
    pub key: EventKey,
    /// First record's time.
    pub first_seen: DateTime<Utc>,
    /// Last record's time.
    pub last_seen: DateTime<Utc>,
    /// Records bundled.
    pub count: u64,
    /// Sensors that saw it (`sensor@site`).
    pub sensors: BTreeSet<String>,
    /// Targeted or infected addresses (at most [`MAX_TARGETS`]).
    pub targets: BTreeSet<String>,
    /// Indicators that matched: STIX id → name.
    pub indicators: BTreeMap<String, String>,
    /// Highest signature severity seen (1 is highest).
    pub severity: Option<u8>,
    /// The first [`MAX_EVIDENCE`] records.
    pub evidence: Vec<Evidence>,
}

impl Draft {
    /// Adds another draft of the same key (later or earlier).
    pub fn merge(&mut self, other: &Draft) {
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.count += other.count;
        self.sensors.extend(other.sensors.iter().cloned());
        for t in &other.targets {
            if self.targets.len() >= MAX_TARGETS {
                break;
            }
            self.targets.insert(t.clone());
        }
        self.indicators
            .extend(other.indicators.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.severity = match (self.severity, other.severity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let room = MAX_EVIDENCE.saturating_sub(self.evidence.len());
        self.evidence
            .extend(other.evidence.iter().take(room).cloned());
    }
}

/// The technique of a candidate: the first indicator's name, or the
/// detection that fired. `None` when the record is neither (not an event).
pub fn technique(obs: &Observation, hits: &[Hit]) -> Option<String> {
    if let Some(h) = hits.first() {
        return Some(format!("indicator: {}", h.indicator.name));
    }
    match (&obs.signature, obs.kind) {
        (Some(s), Kind::Alert | Kind::Notice) => Some(s.name.clone()),
        _ => None,
    }
}

/// Which address of the record is the organisation's, and who owns it.
///
/// The side an indicator names is the bad one, so the target is the other:
/// a hit on the source (an attacker's address) points at the destination; a
/// hit on what the client contacted (the destination address, a domain, a
/// URL, a resolved address) or on the client's TLS fingerprint points at the
/// source, the infected host calling out. Without hits (a signature fired),
/// inbound attacks are the common case: destination first, then source.
/// Returns (the target address, its owner).
pub fn target<'a>(
    obs: &Observation,
    hits: &[Hit],
    owner_of: &impl Fn(IpAddr) -> Option<&'a str>,
) -> (Option<IpAddr>, Option<&'a str>) {
    let src_is_bad = hits.iter().any(|h| h.field == Field::SrcIp);
    let dst_is_bad = hits.iter().any(|h| {
        matches!(
            h.field,
            Field::DstIp | Field::Domain | Field::Url | Field::Resolved | Field::Fingerprint
        )
    });
    let order = match (src_is_bad, dst_is_bad) {
        (true, false) => [obs.dst_ip, None],
        (false, true) => [obs.src_ip, None],
        _ => [obs.dst_ip, obs.src_ip],
    };
    for ip in order.into_iter().flatten() {
        if let Some(o) = owner_of(ip) {
            return (Some(ip), Some(o));
        }
    }
    (order[0], None)
}

/// Bundles the candidates of one batch.
#[derive(Debug)]
pub struct Bundler {
    window: Duration,
    /// The open draft of each key, keyed without building the key's strings.
    open: HashMap<OpenKey, Draft>,
    done: Vec<Draft>,
    /// Target organisations seen, for [`OpenKey::org`].
    orgs: Vec<Box<str>>,
    /// Scratch text for set lookups without an allocation.
    scratch: String,
}

/// [`EventKey`] as the bundler looks it up: the source address (`None` for
/// `-`), the technique, the index of the target organisation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct OpenKey {
    source: Option<IpAddr>,
    technique: String,
    org: Option<u32>,
}

impl Bundler {
    /// A bundler joining candidates at most `window` apart.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            open: HashMap::default(),
            done: Vec::new(),
            orgs: Vec::new(),
            scratch: String::new(),
        }
    }

    /// Adds one candidate: the record, its surviving hits, its technique, its
    /// target address and the organisation that owns it.
    pub fn push(
        &mut self,
        obs: &Observation,
        hits: &[Hit],
        technique: String,
        target_ip: Option<IpAddr>,
        target_org: Option<&str>,
    ) {
        let source = match (target_ip, obs.src_ip, obs.dst_ip) {
            (Some(t), Some(s), Some(d)) if t == s => Some(d),
            (_, Some(s), _) => Some(s),
            (_, None, Some(d)) => Some(d),
            _ => None,
        };
        let org = target_org.map(|o| match self.orgs.iter().position(|x| **x == *o) {
            Some(i) => i as u32,
            None => {
                self.orgs.push(o.into());
                (self.orgs.len() - 1) as u32
            }
        });
        let key = OpenKey {
            source,
            technique,
            org,
        };
        match self.open.get_mut(&key) {
            Some(d)
                if obs.time <= d.last_seen + self.window
                    && obs.time + self.window >= d.first_seen =>
            {
                add(d, obs, hits, target_ip, &mut self.scratch)
            }
            Some(d) => {
                let one = draft(&key, target_org, obs, hits, target_ip);
                let old = std::mem::replace(d, one);
                self.done.push(old);
            }
            None => {
                let one = draft(&key, target_org, obs, hits, target_ip);
                self.open.insert(key, one);
            }
        }
    }

    /// Candidates pushed so far.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.done.is_empty()
    }

    /// The drafts, in key then time order. Drafts of one key that came out
    /// of order (records of several sensors interleaved) and lie within the
    /// window of each other are joined, so that no two drafts of one key are
    /// closer than the window.
    pub fn finish(self) -> Vec<Draft> {
        let mut all = self.done;
        all.extend(self.open.into_values());
        all.sort_by(|a, b| a.key.cmp(&b.key).then(a.first_seen.cmp(&b.first_seen)));
        let mut out: Vec<Draft> = Vec::with_capacity(all.len());
        for d in all {
            match out.last_mut() {
                Some(p) if p.key == d.key && d.first_seen <= p.last_seen + self.window => {
                    p.merge(&d)
                }
                _ => out.push(d),
            }
        }
        out
    }
}

/// The draft of one candidate.
fn draft(
    key: &OpenKey,
    target_org: Option<&str>,
    obs: &Observation,
    hits: &[Hit],
    target_ip: Option<IpAddr>,
) -> Draft {
    Draft {
        key: EventKey {
            source: key.source.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            technique: key.technique.clone(),
            target_org: target_org.map(str::to_owned),
        },
        first_seen: obs.time,
        last_seen: obs.time,
        count: 1,
        sensors: [format!("{}@{}", obs.sensor.id, obs.sensor.site)].into(),
        targets: target_ip.map(|t| t.to_string()).into_iter().collect(),
        indicators: hits
            .iter()
            .map(|h| (h.indicator.id.to_string(), h.indicator.name.to_string()))
            .collect(),
        severity: obs.signature.as_ref().and_then(|s| s.severity),
        evidence: vec![evidence(obs, hits)],
    }
}

/// Adds one candidate to a draft of its key, in place: what
/// `d.merge(&draft(…))` does, without building the one-record draft.
fn add(
    d: &mut Draft,
    obs: &Observation,
    hits: &[Hit],
    target_ip: Option<IpAddr>,
    scratch: &mut String,
) {
    use std::fmt::Write as _;
    d.first_seen = d.first_seen.min(obs.time);
    d.last_seen = d.last_seen.max(obs.time);
    d.count += 1;
    scratch.clear();
    let _ = write!(scratch, "{}@{}", obs.sensor.id, obs.sensor.site);
    if !d.sensors.contains(scratch.as_str()) {
        d.sensors.insert(scratch.clone());
    }
    if let Some(t) = target_ip {
        if d.targets.len() < MAX_TARGETS {
            scratch.clear();
            let _ = write!(scratch, "{t}");
            if !d.targets.contains(scratch.as_str()) {
                d.targets.insert(scratch.clone());
            }
        }
    }
    for h in hits {
        match d.indicators.get_mut(&*h.indicator.id) {
            Some(name) if **name == *h.indicator.name => {}
            Some(name) => *name = h.indicator.name.to_string(),
            None => {
                d.indicators
                    .insert(h.indicator.id.to_string(), h.indicator.name.to_string());
            }
        }
    }
    let severity = obs.signature.as_ref().and_then(|s| s.severity);
    d.severity = match (d.severity, severity) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if d.evidence.len() < MAX_EVIDENCE {
        d.evidence.push(evidence(obs, hits));
    }
}

fn endpoint(ip: Option<IpAddr>, port: Option<u16>) -> Option<String> {
    ip.map(|ip| match (ip, port) {
        (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
        (a, Some(p)) => format!("{a}:{p}"),
        (a, None) => a.to_string(),
    })
}

/// The evidence of one record.
pub fn evidence(obs: &Observation, hits: &[Hit]) -> Evidence {
    Evidence {
        time: obs.time,
        sensor: obs.sensor.id.clone(),
        site: obs.sensor.site.clone(),
        kind: obs.kind,
        src: endpoint(obs.src_ip, obs.src_port),
        dst: endpoint(obs.dst_ip, obs.dst_port),
        signature: obs.signature.as_ref().map(|s| match s.id {
            Some(id) => format!("{id} {}", s.name),
            None => s.name.clone(),
        }),
        hits: hits
            .iter()
            .map(|h| {
                let f = match h.field {
                    Field::SrcIp => "src_ip",
                    Field::DstIp => "dst_ip",
                    Field::Resolved => "resolved",
                    Field::Domain => "domain",
                    Field::Url => "url",
                    Field::Hash => "hash",
                    Field::Fingerprint => "fingerprint",
                    Field::Pattern => "pattern",
                };
                format!("{f}={} ({})", h.value, h.indicator.id)
            })
            .collect(),
        names: obs
            .domains
            .iter()
            .chain(&obs.urls)
            .take(10)
            .cloned()
            .collect(),
    }
}
