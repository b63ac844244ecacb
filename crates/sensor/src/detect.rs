//! The detection engine: every observation against every active indicator.
//!
//! Indicators arrive as STIX 2.1 `indicator` objects. Patterns that are a plain
//! disjunction of equality tests on one observable (`[ipv4-addr:value =
//! '198.51.100.7']`, `[domain-name:value = 'evil.example' OR url:value =
//! '…']`, `[file:hashes.'SHA-256' = '…']`, `ISSUBSET` on a CIDR) are split into
//! exact keys held in hash maps, so that a record costs a few hash lookups
//! whatever the number of indicators. Anything else (`AND` across properties,
//! `LIKE`, `MATCHES`, qualifiers, references) is kept as a compiled
//! [`Pattern`] and evaluated against the record turned into STIX SCOs, but only
//! for records that carry one of the object types the pattern starts from.
//!
//! A domain indicator covers its subdomains (as an RPZ wildcard does):
//! `evil.example` matches `cdn.evil.example`. A `LIKE '%.evil.example'` test
//! covers the subdomains only.
//!
//! [`Matcher::insert`] and [`Matcher::remove`] change the set in place, so new
//! and revoked indicators apply to the next record without a restart.
//!
//! TLS fingerprints have no STIX object of their own; the custom types
//! `x-ja3:value`, `x-ja3s:value` and `x-ja4:value` name them.

use std::collections::HashMap as StdMap;
use std::net::IpAddr;
use std::sync::Arc;

use foldhash::HashMap;
use ipnet::IpNet;
use sakimori_core::pattern::{
    ComparisonExpr, Literal, Observation as StixObservation, ObservationExpr, Pattern, Test,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::observation::{FingerprintKind, HashAlgo, Observation};

/// What an indicator says about the record it matched, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorInfo {
    /// STIX id of the indicator.
    pub id: Arc<str>,
    /// Its `name`, or its pattern when it has none.
    pub name: Arc<str>,
}

/// One exact key an indicator is split into.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ioc {
    /// An address or a network (an address is a /32 or /128).
    Net(IpNet),
    /// A domain and its subdomains (`subdomains_only`: not the name itself).
    Domain {
        /// Lower-case, no trailing dot.
        name: String,
        /// `LIKE '%.name'`: subdomains only.
        subdomains_only: bool,
    },
    /// A URL, as written.
    Url(String),
    /// A file hash, lower-case hex.
    Hash(HashAlgo, String),
    /// A TLS fingerprint.
    Fingerprint(FingerprintKind, String),
}

/// Where in the record an indicator matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The source address.
    SrcIp,
    /// The destination address.
    DstIp,
    /// An address in a DNS answer.
    Resolved,
    /// A domain name.
    Domain,
    /// A URL.
    Url,
    /// A file hash.
    Hash,
    /// A TLS fingerprint.
    Fingerprint,
    /// A whole STIX pattern.
    Pattern,
}

/// One indicator that matched one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The indicator.
    pub indicator: IndicatorInfo,
    /// Where in the record.
    pub field: Field,
    /// The record's value that matched (the address, the domain, …).
    pub value: String,
}

/// Why an indicator could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    /// Not an `indicator` with a STIX pattern.
    #[error("{0}")]
    NotApplicable(&'static str),
    /// The pattern does not parse.
    #[error("pattern: {0}")]
    Pattern(String),
}

/// A compiled indicator: exact keys, or a pattern to evaluate.
#[derive(Debug, Clone)]
pub enum Compiled {
    /// Split into exact keys.
    Keys(Vec<Ioc>),
    /// Evaluated whole.
    Pattern(Box<Pattern>),
}

/// Compiles a STIX indicator object (`pattern_type: stix`).
pub fn compile(object: &Value) -> Result<(IndicatorInfo, Compiled), IndicatorError> {
    let map = object
        .as_object()
        .ok_or(IndicatorError::NotApplicable("not an object"))?;
    if map.get("type").and_then(Value::as_str) != Some("indicator") {
        return Err(IndicatorError::NotApplicable("not an indicator"));
    }
    if map.get("pattern_type").and_then(Value::as_str) != Some("stix") {
        return Err(IndicatorError::NotApplicable("pattern_type is not stix"));
    }
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .ok_or(IndicatorError::NotApplicable("no id"))?;
    let text = map
        .get("pattern")
        .and_then(Value::as_str)
        .ok_or(IndicatorError::NotApplicable("no pattern"))?;
    let pattern = Pattern::parse(text).map_err(|e| IndicatorError::Pattern(e.to_string()))?;
    let name = map.get("name").and_then(Value::as_str).unwrap_or(text);
    let info = IndicatorInfo {
        id: id.into(),
        name: name.into(),
    };
    let compiled = match split(&pattern) {
        Some(keys) if !keys.is_empty() => Compiled::Keys(keys),
        _ => Compiled::Pattern(Box::new(pattern)),
    };
    Ok((info, compiled))
}

/// The exact keys of a pattern that is a disjunction of simple tests, or
/// `None` when it needs the evaluator.
fn split(pattern: &Pattern) -> Option<Vec<Ioc>> {
    fn observation(e: &ObservationExpr, out: &mut Vec<Ioc>) -> Option<()> {
        match e {
            ObservationExpr::Comparison(c) => comparison(c, out),
            ObservationExpr::Or(v) => v.iter().try_for_each(|e| observation(e, out)),
            _ => None,
        }
    }
    fn comparison(c: &ComparisonExpr, out: &mut Vec<Ioc>) -> Option<()> {
        match c {
            ComparisonExpr::Test(t) if !t.negated && t.path.steps.len() <= 1 => {
                out.push(key(&t.path.object_type, &t.path.property_path(), &t.test)?);
                Some(())
            }
            ComparisonExpr::Or(v) => v.iter().try_for_each(|c| comparison(c, out)),
            _ => None,
        }
    }
    let mut out = Vec::new();
    observation(pattern.root(), &mut out)?;
    Some(out)
}

/// One simple test as a key.
fn key(ty: &str, path: &str, test: &Test) -> Option<Ioc> {
    let text = match test {
        Test::Eq(Literal::String(s)) => s.as_str(),
        Test::IsSubset(c) if matches!(ty, "ipv4-addr" | "ipv6-addr") && path == "value" => {
            return Some(Ioc::Net(c.net()));
        }
        Test::Like(l) if ty == "domain-name" && path == "value" => {
            let name = l.strip_prefix("%.")?;
            if name.contains(['%', '_']) {
                return None;
            }
            return Some(Ioc::Domain {
                name: normal_domain(name)?,
                subdomains_only: true,
            });
        }
        _ => return None,
    };
    match (ty, path) {
        ("ipv4-addr" | "ipv6-addr", "value") => {
            let net = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .ok()?;
            Some(Ioc::Net(net.trunc()))
        }
        ("domain-name", "value") => Some(Ioc::Domain {
            name: normal_domain(text)?,
            subdomains_only: false,
        }),
        ("url", "value") => Some(Ioc::Url(normal_url(text))),
        ("file", p) => {
            let alg = p.strip_prefix("hashes.")?.replace('\'', "");
            let algo = match alg.to_ascii_uppercase().as_str() {
                "MD5" => HashAlgo::Md5,
                "SHA-1" | "SHA1" => HashAlgo::Sha1,
                "SHA-256" | "SHA256" => HashAlgo::Sha256,
                _ => return None,
            };
            Some(Ioc::Hash(algo, text.to_ascii_lowercase()))
        }
        ("x-ja3", "value") => Some(Ioc::Fingerprint(
            FingerprintKind::Ja3,
            text.to_ascii_lowercase(),
        )),
        ("x-ja3s", "value") => Some(Ioc::Fingerprint(
            FingerprintKind::Ja3s,
            text.to_ascii_lowercase(),
        )),
        ("x-ja4", "value") => Some(Ioc::Fingerprint(FingerprintKind::Ja4, text.to_owned())),
        _ => None,
    }
}

/// A URL as sensors write it: scheme and host lower-case (they are
/// case-insensitive), the path and query as given.
fn normal_url(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        rest[..end].to_ascii_lowercase(),
        &rest[end..]
    )
}

fn normal_domain(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some(name)
}

/// Indicator slots that share one key. Almost always one.
type Slots = Vec<u32>;

/// A bitmap in front of a large hash table: a bit is set for every key
/// inserted, so that a clear bit proves a key absent without touching the
/// table (a cache miss or two per probe at a million indicators). Removals
/// leave their bits set until the next rebuild.
#[derive(Debug, Default)]
struct Bits {
    words: Vec<u64>,
    /// Keys removed since the last rebuild.
    stale: usize,
}

impl Bits {
    fn ensure(&mut self, bits: usize) {
        if self.words.is_empty() {
            self.words = vec![0; bits / 64];
        }
    }

    fn set(&mut self, i: usize) {
        self.words[i >> 6] |= 1 << (i & 63);
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.words
            .get(i >> 6)
            .is_some_and(|w| w >> (i & 63) & 1 != 0)
    }

    /// Counts one removal; true when a rebuild is due (stale bits are a
    /// quarter of the keys held, and at least a few thousand).
    fn removed(&mut self, held: usize) -> bool {
        self.stale += 1;
        self.stale >= 4096 && self.stale * 4 >= held
    }

    fn clear(&mut self) {
        self.words.fill(0);
        self.stale = 0;
    }
}

/// Bits of the IPv4 filter: one per /24.
const V4_FILTER_BITS: usize = 1 << 24;
/// Bits of the domain filter, indexed by the top bits of a fixed hash.
const DOMAIN_FILTER_BITS: usize = 1 << 23;

fn domain_bit(name: &str) -> usize {
    use std::hash::BuildHasher;
    const STATE: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5a4b_1a0e);
    (STATE.hash_one(name) >> (64 - DOMAIN_FILTER_BITS.trailing_zeros())) as usize
}

/// Networks of one prefix length, keyed by the masked address.
#[derive(Debug, Default)]
struct NetTable {
    v4: Vec<(u8, HashMap<u32, Slots>)>,
    v6: Vec<(u8, HashMap<u128, Slots>)>,
    /// Every /24 that an IPv4 network of the table covers or falls in.
    v4_filter: Bits,
}

impl NetTable {
    fn v4_mask(len: u8) -> u32 {
        u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
    }

    fn v6_mask(len: u8) -> u128 {
        u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
    }

    fn slots_mut(&mut self, net: &IpNet) -> &mut Slots {
        let len = net.prefix_len();
        match net {
            IpNet::V4(n) => {
                let k = u32::from(n.network()) & Self::v4_mask(len);
                let i = match self.v4.iter().position(|(l, _)| *l == len) {
                    Some(i) => i,
                    None => {
                        self.v4.push((len, HashMap::default()));
                        // Longest prefixes first: the most specific match leads.
                        self.v4.sort_by_key(|e| std::cmp::Reverse(e.0));
                        self.v4.iter().position(|(l, _)| *l == len).expect("pushed")
                    }
                };
                self.v4_filter.ensure(V4_FILTER_BITS);
                Self::mark_v4(&mut self.v4_filter, k, len);
                self.v4[i].1.entry(k).or_default()
            }
            IpNet::V6(n) => {
                let k = u128::from(n.network()) & Self::v6_mask(len);
                let i = match self.v6.iter().position(|(l, _)| *l == len) {
                    Some(i) => i,
                    None => {
                        self.v6.push((len, HashMap::default()));
                        self.v6.sort_by_key(|e| std::cmp::Reverse(e.0));
                        self.v6.iter().position(|(l, _)| *l == len).expect("pushed")
                    }
                };
                self.v6[i].1.entry(k).or_default()
            }
        }
    }

    fn remove(&mut self, net: &IpNet, slot: u32) {
        let len = net.prefix_len();
        match net {
            IpNet::V4(n) => {
                let k = u32::from(n.network()) & Self::v4_mask(len);
                if let Some((_, m)) = self.v4.iter_mut().find(|(l, _)| *l == len) {
                    let before = m.len();
                    drop_slot(m, &k, slot);
                    if m.len() < before {
                        let held = self.v4.iter().map(|(_, m)| m.len()).sum();
                        if self.v4_filter.removed(held) {
                            self.rebuild_v4_filter();
                        }
                    }
                }
                self.v4.retain(|(_, m)| !m.is_empty());
            }
            IpNet::V6(n) => {
                let k = u128::from(n.network()) & Self::v6_mask(len);
                if let Some((_, m)) = self.v6.iter_mut().find(|(l, _)| *l == len) {
                    drop_slot(m, &k, slot);
                }
                self.v6.retain(|(_, m)| !m.is_empty());
            }
        }
    }

    /// Sets the filter bits of the /24s that `net/len` covers or falls in.
    fn mark_v4(filter: &mut Bits, net: u32, len: u8) {
        let first = (net >> 8) as usize;
        let count = 1usize << 24u8.saturating_sub(len);
        for i in first..first + count {
            filter.set(i);
        }
    }

    fn rebuild_v4_filter(&mut self) {
        self.v4_filter.clear();
        for (len, m) in &self.v4 {
            for &k in m.keys() {
                Self::mark_v4(&mut self.v4_filter, k, *len);
            }
        }
    }

    fn lookup(&self, ip: IpAddr, mut found: impl FnMut(u32)) {
        match ip {
            IpAddr::V4(a) => self.lookup_v4(u32::from(a), &mut found),
            IpAddr::V6(a) => {
                // An IPv4-mapped address is the IPv4 host, and may also be
                // named in its mapped form by an IPv6 indicator.
                if let Some(v4) = a.to_ipv4_mapped() {
                    self.lookup_v4(u32::from(v4), &mut found);
                }
                let a = u128::from(a);
                for (len, m) in &self.v6 {
                    if let Some(s) = m.get(&(a & Self::v6_mask(*len))) {
                        s.iter().for_each(|&i| found(i));
                    }
                }
            }
        }
    }

    /// False when no network of the table can hold `ip` (IPv4 only; an
    /// IPv6 address is always looked up).
    #[inline]
    fn may_hold(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4_filter.get((u32::from(a) >> 8) as usize),
            IpAddr::V6(_) => true,
        }
    }

    #[inline]
    fn lookup_v4(&self, a: u32, found: &mut impl FnMut(u32)) {
        if !self.v4_filter.get((a >> 8) as usize) {
            return;
        }
        for (len, m) in &self.v4 {
            if let Some(s) = m.get(&(a & Self::v4_mask(*len))) {
                s.iter().for_each(|&i| found(i));
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    fn len(&self) -> usize {
        self.v4.iter().map(|(_, m)| m.len()).sum::<usize>()
            + self.v6.iter().map(|(_, m)| m.len()).sum::<usize>()
    }
}

fn drop_slot<K, Q>(m: &mut HashMap<K, Slots>, k: &Q, slot: u32)
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    if let Some(s) = m.get_mut(k) {
        s.retain(|&i| i != slot);
        if s.is_empty() {
            m.remove(k);
        }
    }
}

/// An indicator held by the matcher.
#[derive(Debug)]
struct Entry {
    info: IndicatorInfo,
    compiled: Compiled,
    /// For a pattern: the SCO types it starts from, computed once.
    types: Vec<String>,
}

/// Counts of what the matcher holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatcherStats {
    /// Indicators held.
    pub indicators: usize,
    /// Distinct networks and addresses.
    pub networks: usize,
    /// Distinct domains.
    pub domains: usize,
    /// Distinct URLs.
    pub urls: usize,
    /// Distinct hashes.
    pub hashes: usize,
    /// Distinct TLS fingerprints.
    pub fingerprints: usize,
    /// Patterns evaluated whole.
    pub patterns: usize,
}

/// The set of active indicators, indexed for matching.
#[derive(Debug, Default)]
pub struct Matcher {
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    by_id: StdMap<Arc<str>, u32>,
    nets: NetTable,
    /// Domain → (slots matching the name and its subdomains, slots matching subdomains only).
    domains: HashMap<Box<str>, (Slots, Slots)>,
    /// In front of `domains`, by [`domain_bit`].
    domain_filter: Bits,
    urls: HashMap<Box<str>, Slots>,
    /// One map per [`HashAlgo`], so that lookups borrow the record's `&str`.
    hashes: [HashMap<Box<str>, Slots>; 3],
    /// One map per [`FingerprintKind`].
    fingerprints: [HashMap<Box<str>, Slots>; 3],
    patterns: Vec<u32>,
}

impl Matcher {
    /// An empty matcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the matcher holds.
    pub fn stats(&self) -> MatcherStats {
        MatcherStats {
            indicators: self.by_id.len(),
            networks: self.nets.len(),
            domains: self.domains.len(),
            urls: self.urls.len(),
            hashes: self.hashes.iter().map(|m| m.len()).sum(),
            fingerprints: self.fingerprints.iter().map(|m| m.len()).sum(),
            patterns: self.patterns.len(),
        }
    }

    /// Whether an indicator with this STIX id is held.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds an indicator, replacing an earlier version with the same id.
    pub fn insert(&mut self, info: IndicatorInfo, compiled: Compiled) {
        self.remove(&info.id);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.entries.push(None);
                u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 indicators")
            }
        };
        match &compiled {
            Compiled::Keys(keys) => {
                for k in keys {
                    self.add_key(k, slot);
                }
            }
            Compiled::Pattern(_) => self.patterns.push(slot),
        }
        let types = match &compiled {
            Compiled::Pattern(p) => p.object_types(),
            Compiled::Keys(_) => Vec::new(),
        };
        self.by_id.insert(info.id.clone(), slot);
        self.entries[slot as usize] = Some(Entry {
            info,
            compiled,
            types,
        });
    }

    /// Compiles and adds a STIX indicator object; see [`compile`].
    pub fn insert_stix(&mut self, object: &Value) -> Result<(), IndicatorError> {
        let (info, compiled) = compile(object)?;
        self.insert(info, compiled);
        Ok(())
    }

    fn add_key(&mut self, k: &Ioc, slot: u32) {
        let push = |s: &mut Slots| {
            if !s.contains(&slot) {
                s.push(slot)
            }
        };
        match k {
            Ioc::Net(n) => push(self.nets.slots_mut(n)),
            Ioc::Domain {
                name,
                subdomains_only,
            } => {
                self.domain_filter.ensure(DOMAIN_FILTER_BITS);
                self.domain_filter.set(domain_bit(name));
                let e = self.domains.entry(name.as_str().into()).or_default();
                push(if *subdomains_only { &mut e.1 } else { &mut e.0 });
            }
            Ioc::Url(u) => push(self.urls.entry(u.as_str().into()).or_default()),
            Ioc::Hash(a, h) => push(
                self.hashes[*a as usize]
                    .entry(h.as_str().into())
                    .or_default(),
            ),
            Ioc::Fingerprint(f, v) => push(
                self.fingerprints[*f as usize]
                    .entry(v.as_str().into())
                    .or_default(),
            ),
        }
    }

    /// Removes an indicator (revoked, expired or withdrawn). Returns whether
    /// it was held.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.by_id.remove(id) else {
            return false;
        };
        let entry = self.entries[slot as usize].take().expect("slot in use");
        match &entry.compiled {
            Compiled::Keys(keys) => {
                for k in keys {
                    match k {
                        Ioc::Net(n) => self.nets.remove(n, slot),
                        Ioc::Domain {
                            name,
                            subdomains_only,
                        } => {
                            if let Some(e) = self.domains.get_mut(name.as_str()) {
                                let s = if *subdomains_only { &mut e.1 } else { &mut e.0 };
                                s.retain(|&i| i != slot);
                                if e.0.is_empty() && e.1.is_empty() {
                                    self.domains.remove(name.as_str());
                                    if self.domain_filter.removed(self.domains.len()) {
                                        self.domain_filter.clear();
                                        for d in self.domains.keys() {
                                            self.domain_filter.set(domain_bit(d));
                                        }
                                    }
                                }
                            }
                        }
                        Ioc::Url(u) => drop_slot(&mut self.urls, u.as_str(), slot),
                        Ioc::Hash(a, h) => {
                            drop_slot(&mut self.hashes[*a as usize], h.as_str(), slot)
                        }
                        Ioc::Fingerprint(f, v) => {
                            drop_slot(&mut self.fingerprints[*f as usize], v.as_str(), slot)
                        }
                    }
                }
            }
            Compiled::Pattern(_) => self.patterns.retain(|&i| i != slot),
        }
        self.free.push(slot);
        true
    }

    /// Appends to `out` every indicator that matches the record, once per
    /// (indicator, field, value). Returns the number of hits appended.
    pub fn matches(&self, obs: &Observation, out: &mut Vec<Hit>) -> usize {
        let start = out.len();
        let mut hit = |slot: u32, field: Field, value: &dyn Fn() -> String| {
            let Some(e) = self.entries[slot as usize].as_ref() else {
                return;
            };
            let value = value();
            if !out[start..]
                .iter()
                .any(|h| h.indicator.id == e.info.id && h.field == field && h.value == value)
            {
                out.push(Hit {
                    indicator: e.info.clone(),
                    field,
                    value,
                });
            }
        };
        if !self.nets.is_empty() {
            // Both addresses' filter bits are read before either is used, so
            // that the two (likely cache-missing) loads overlap.
            let pass =
                [obs.src_ip, obs.dst_ip].map(|ip| ip.is_some_and(|ip| self.nets.may_hold(ip)));
            for ((ip, field), pass) in [(obs.src_ip, Field::SrcIp), (obs.dst_ip, Field::DstIp)]
                .into_iter()
                .zip(pass)
            {
                if let Some(ip) = ip.filter(|_| pass) {
                    self.nets.lookup(ip, |s| hit(s, field, &|| ip.to_string()));
                }
            }
            for &ip in &obs.resolved {
                self.nets
                    .lookup(ip, |s| hit(s, Field::Resolved, &|| ip.to_string()));
            }
        }
        if !self.domains.is_empty() {
            for d in &obs.domains {
                let mut name = d.as_str();
                let mut own = true;
                loop {
                    let held = if self.domain_filter.get(domain_bit(name)) {
                        self.domains.get(name)
                    } else {
                        None
                    };
                    if let Some((all, subs)) = held {
                        for &s in all {
                            hit(s, Field::Domain, &|| d.clone());
                        }
                        if !own {
                            for &s in subs {
                                hit(s, Field::Domain, &|| d.clone());
                            }
                        }
                    }
                    match name.split_once('.') {
                        Some((_, rest)) if !rest.is_empty() => name = rest,
                        _ => break,
                    }
                    own = false;
                }
            }
        }
        if !self.urls.is_empty() {
            for u in &obs.urls {
                if let Some(s) = self.urls.get(u.as_str()) {
                    s.iter().for_each(|&s| hit(s, Field::Url, &|| u.clone()));
                }
            }
        }
        if !obs.hashes.is_empty() {
            for h in &obs.hashes {
                if let Some(s) = self.hashes[h.algo as usize].get(h.hex.as_str()) {
                    s.iter()
                        .for_each(|&s| hit(s, Field::Hash, &|| h.hex.clone()));
                }
            }
        }
        if !obs.fingerprints.is_empty() {
            for f in &obs.fingerprints {
                if let Some(s) = self.fingerprints[f.kind as usize].get(f.value.as_str()) {
                    s.iter()
                        .for_each(|&s| hit(s, Field::Fingerprint, &|| f.value.clone()));
                }
            }
        }
        if !self.patterns.is_empty() {
            let mut stix: Option<(Vec<&'static str>, StixObservation)> = None;
            for &slot in &self.patterns {
                let Some(Entry {
                    compiled: Compiled::Pattern(p),
                    types: wanted,
                    ..
                }) = self.entries[slot as usize].as_ref()
                else {
                    continue;
                };
                let (types, o) = stix.get_or_insert_with(|| to_stix(obs));
                if !wanted.iter().any(|t| types.contains(&t.as_str())) {
                    continue;
                }
                if p.matches(std::slice::from_ref(o)) {
                    hit(slot, Field::Pattern, &|| p.to_string());
                }
            }
        }
        out.len() - start
    }
}

/// The record as one STIX observed-data (its SCOs), and the SCO types present.
pub fn to_stix(obs: &Observation) -> (Vec<&'static str>, StixObservation) {
    let mut objects = Vec::new();
    let mut types = Vec::new();
    let mut add = |ty: &'static str, mut v: Value, types: &mut Vec<&'static str>| {
        let id = format!("{ty}--{:08x}-0000-4000-8000-000000000000", objects.len());
        v["type"] = json!(ty);
        v["id"] = json!(id);
        objects.push(v);
        if !types.contains(&ty) {
            types.push(ty);
        }
        id
    };
    let ip_type = |ip: &IpAddr| {
        if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        }
    };
    let src = obs
        .src_ip
        .map(|ip| add(ip_type(&ip), json!({"value": ip.to_string()}), &mut types));
    let dst = obs
        .dst_ip
        .map(|ip| add(ip_type(&ip), json!({"value": ip.to_string()}), &mut types));
    if src.is_some() || dst.is_some() {
        let mut nt = json!({});
        if let Some(s) = src {
            nt["src_ref"] = json!(s);
        }
        if let Some(d) = dst {
            nt["dst_ref"] = json!(d);
        }
        if let Some(p) = obs.src_port {
            nt["src_port"] = json!(p);
        }
        if let Some(p) = obs.dst_port {
            nt["dst_port"] = json!(p);
        }
        if let Some(t) = obs.transport {
            let name = match t {
                crate::Transport::Tcp => "tcp".to_owned(),
                crate::Transport::Udp => "udp".to_owned(),
                crate::Transport::Icmp => "icmp".to_owned(),
                crate::Transport::Icmpv6 => "ipv6-icmp".to_owned(),
                crate::Transport::Sctp => "sctp".to_owned(),
                crate::Transport::Other(n) => n.to_string(),
            };
            nt["protocols"] = json!([name]);
        }
        add("network-traffic", nt, &mut types);
    }
    for ip in &obs.resolved {
        add(ip_type(ip), json!({"value": ip.to_string()}), &mut types);
    }
    for d in &obs.domains {
        add("domain-name", json!({"value": d}), &mut types);
    }
    for u in &obs.urls {
        add("url", json!({"value": u}), &mut types);
    }
    if !obs.hashes.is_empty() {
        let mut hashes = serde_json::Map::new();
        for h in &obs.hashes {
            let alg = match h.algo {
                HashAlgo::Md5 => "MD5",
                HashAlgo::Sha1 => "SHA-1",
                HashAlgo::Sha256 => "SHA-256",
            };
            hashes.insert(alg.into(), json!(h.hex));
        }
        add("file", json!({ "hashes": hashes }), &mut types);
    }
    for f in &obs.fingerprints {
        let ty = match f.kind {
            FingerprintKind::Ja3 => "x-ja3",
            FingerprintKind::Ja3s => "x-ja3s",
            FingerprintKind::Ja4 => "x-ja4",
        };
        add(ty, json!({"value": f.value}), &mut types);
    }
    let o = StixObservation {
        first_observed: obs.time,
        last_observed: obs.time,
        number_observed: 1,
        objects,
    };
    (types, o)
}
