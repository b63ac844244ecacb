//! MISP attribute values as STIX observable properties.
//!
//! A MISP value becomes one or more [`Term`]s: an SCO property and its value
//! (`ip-dst|port` → the destination address and port of a `network-traffic`).
//! The same terms render as the comparisons of an indicator pattern or build
//! the SCOs of an observed-data, and read back from either, so import and
//! export share one table ([`TYPES`]) instead of two mappings that drift apart.

use serde_json::{json, Map, Value};
use std::net::IpAddr;
use uuid::Uuid;

/// Where a value lands in STIX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// `ipv4-addr:value` or `ipv6-addr:value`, by the address.
    Ip,
    Domain,
    Url,
    Email,
    Mac,
    Mutex,
    RegKey,
    /// `autonomous-system:number`.
    As,
    FileName,
    FileSize,
    /// `file:hashes.'<algorithm>'`, the STIX hash-algorithm-ov name.
    Hash(&'static str),
    /// `domain-name:resolves_to_refs[*].value`.
    ResolvesTo,
    SrcIp,
    DstIp,
    SrcPort,
    DstPort,
}

/// A MISP attribute type that has a STIX 2.1 observable form.
pub(super) struct MispType {
    pub name: &'static str,
    pub slots: &'static [Slot],
    /// MISP's default category (describeTypes.json), for exports of foreign STIX.
    pub category: &'static str,
}

use Slot::*;

const fn t(name: &'static str, slots: &'static [Slot], category: &'static str) -> MispType {
    MispType {
        name,
        slots,
        category,
    }
}

const NET: &str = "Network activity";
const PAYLOAD: &str = "Payload delivery";

/// The mapped types. When STIX does not say which MISP type it came from
/// (`x_misp_type`), the first type whose slots match wins: hence `ip-dst`
/// before `ip-src`, `domain` before `hostname`, the generic `email` first.
pub(super) const TYPES: &[MispType] = &[
    t("ip-dst", &[Ip], NET),
    t("ip-src", &[Ip], NET),
    t("domain", &[Domain], NET),
    t("hostname", &[Domain], NET),
    t("url", &[Url], NET),
    t("email", &[Email], "Social network"),
    t("email-src", &[Email], PAYLOAD),
    t("email-dst", &[Email], NET),
    t("mac-address", &[Mac], NET),
    t("AS", &[As], NET),
    t("mutex", &[Mutex], "Artifacts dropped"),
    t("regkey", &[RegKey], "Persistence mechanism"),
    t("filename", &[FileName], PAYLOAD),
    t("size-in-bytes", &[FileSize], "Other"),
    t("md5", &[Hash("MD5")], PAYLOAD),
    t("sha1", &[Hash("SHA-1")], PAYLOAD),
    t("sha256", &[Hash("SHA-256")], PAYLOAD),
    t("sha512", &[Hash("SHA-512")], PAYLOAD),
    t("sha3-256", &[Hash("SHA3-256")], PAYLOAD),
    t("sha3-512", &[Hash("SHA3-512")], PAYLOAD),
    t("ssdeep", &[Hash("SSDEEP")], PAYLOAD),
    t("tlsh", &[Hash("TLSH")], PAYLOAD),
    t("filename|md5", &[FileName, Hash("MD5")], PAYLOAD),
    t("filename|sha1", &[FileName, Hash("SHA-1")], PAYLOAD),
    t("filename|sha256", &[FileName, Hash("SHA-256")], PAYLOAD),
    t("filename|sha512", &[FileName, Hash("SHA-512")], PAYLOAD),
    t("filename|sha3-256", &[FileName, Hash("SHA3-256")], PAYLOAD),
    t("filename|sha3-512", &[FileName, Hash("SHA3-512")], PAYLOAD),
    t("filename|ssdeep", &[FileName, Hash("SSDEEP")], PAYLOAD),
    t("filename|tlsh", &[FileName, Hash("TLSH")], PAYLOAD),
    t("ip-dst|port", &[DstIp, DstPort], NET),
    t("ip-src|port", &[SrcIp, SrcPort], NET),
    t("domain|ip", &[Domain, ResolvesTo], NET),
];

/// MISP attribute types that are detection rules: with `to_ids` they become an
/// indicator of this STIX `pattern_type`, the rule as the pattern. With MISP's
/// default category.
pub(super) const RULE_TYPES: &[(&str, &str, &str)] = &[
    ("stix2-pattern", "stix", "Payload installation"),
    ("snort", "snort", NET),
    ("yara", "yara", "Payload installation"),
    ("sigma", "sigma", "Payload installation"),
];

pub(super) fn misp_type(name: &str) -> Option<&'static MispType> {
    TYPES.iter().find(|t| t.name == name)
}

/// One STIX observable property with its value (numbers kept as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    pub slot: Slot,
    pub value: String,
}

/// The terms of a MISP value of a mapped type, or why the value is invalid.
pub(super) fn terms(ty: &MispType, value: &str) -> Result<Vec<Term>, String> {
    let parts: Vec<&str> = match ty.slots.len() {
        1 => vec![value],
        _ => {
            // The last part (hash, port, address) never contains '|'; a file name may.
            let (a, b) = value
                .rsplit_once('|')
                .ok_or_else(|| format!("a {} value is written a|b, found {value:?}", ty.name))?;
            vec![a, b]
        }
    };
    ty.slots
        .iter()
        .zip(parts)
        .map(|(&slot, part)| {
            Ok(Term {
                slot,
                value: normalise(slot, part.trim())?,
            })
        })
        .collect()
}

/// Checks a value against what STIX requires of the property (an invalid hash
/// or address would make the whole bundle invalid) and writes it canonically.
fn normalise(slot: Slot, v: &str) -> Result<String, String> {
    if v.is_empty() {
        return Err("empty value".into());
    }
    let digits = |what: &str, max: u64| -> Result<String, String> {
        match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n.to_string()),
            _ => Err(format!("not a {what}: {v:?}")),
        }
    };
    match slot {
        Ip | SrcIp | DstIp | ResolvesTo => ip_kind(v)
            .map(|_| v.to_owned())
            .ok_or_else(|| format!("not an IP address or CIDR block: {v:?}")),
        SrcPort | DstPort => digits("port", 65535),
        FileSize => digits("size in bytes", u64::MAX),
        As => {
            let n = v
                .strip_prefix("AS")
                .or_else(|| v.strip_prefix("as"))
                .unwrap_or(v);
            match n.parse::<u32>() {
                Ok(n) => Ok(n.to_string()),
                Err(_) => Err(format!("not an AS number: {v:?}")),
            }
        }
        Hash(algo) => {
            let hex_len = match algo {
                "MD5" => Some(32),
                "SHA-1" => Some(40),
                "SHA-256" | "SHA3-256" => Some(64),
                "SHA-512" | "SHA3-512" => Some(128),
                _ => None,
            };
            match hex_len {
                Some(n) if v.len() != n || !v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Err(format!("not a {algo} hash ({n} hex digits): {v:?}"))
                }
                _ => Ok(v.to_owned()),
            }
        }
        Mac => {
            let mac = v.to_ascii_lowercase().replace('-', ":");
            let ok = mac.len() == 17
                && mac
                    .split(':')
                    .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
            if ok {
                Ok(mac)
            } else {
                Err(format!("not a MAC address: {v:?}"))
            }
        }
        Email if !v.contains('@') => Err(format!("not an e-mail address: {v:?}")),
        Domain if v.contains(char::is_whitespace) => Err(format!("not a domain name: {v:?}")),
        _ => Ok(v.to_owned()),
    }
}

/// `ipv4-addr` or `ipv6-addr` for an address or CIDR block.
fn ip_kind(v: &str) -> Option<&'static str> {
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (v, None),
    };
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(_) if prefix.is_none_or(|p| p <= 32) => Some("ipv4-addr"),
        IpAddr::V6(_) if prefix.is_none_or(|p| p <= 128) => Some("ipv6-addr"),
        _ => None,
    }
}

fn sco_type(term: &Term) -> &'static str {
    match term.slot {
        Ip => ip_kind(&term.value).unwrap_or("ipv4-addr"),
        Domain | ResolvesTo => "domain-name",
        Url => "url",
        Email => "email-addr",
        Mac => "mac-addr",
        Mutex => "mutex",
        RegKey => "windows-registry-key",
        As => "autonomous-system",
        FileName | FileSize | Hash(_) => "file",
        SrcIp | DstIp | SrcPort | DstPort => "network-traffic",
    }
}

/// The property path of the term inside its SCO, as a pattern writes it.
fn property(term: &Term) -> String {
    match term.slot {
        Ip | Domain | Url | Email | Mac => "value".into(),
        Mutex | FileName => "name".into(),
        RegKey => "key".into(),
        As => "number".into(),
        FileSize => "size".into(),
        Hash(algo) => format!("hashes.'{algo}'"),
        ResolvesTo => "resolves_to_refs[*].value".into(),
        SrcIp => "src_ref.value".into(),
        DstIp => "dst_ref.value".into(),
        SrcPort => "src_port".into(),
        DstPort => "dst_port".into(),
    }
}

fn is_number(slot: Slot) -> bool {
    matches!(slot, As | FileSize | SrcPort | DstPort)
}

fn literal(term: &Term) -> String {
    if is_number(term.slot) {
        term.value.clone()
    } else {
        format!(
            "'{}'",
            term.value.replace('\\', "\\\\").replace('\'', "\\'")
        )
    }
}

/// A STIX pattern: one observation whose comparisons are all the terms.
pub(super) fn pattern(terms: &[Term]) -> String {
    let comparisons: Vec<String> = terms
        .iter()
        .map(|t| {
            let obj = sco_type(t);
            let cmp = format!("{obj}:{} = {}", property(t), literal(t));
            match t.slot {
                // Say which kind of address the reference is, as MISP's own converter does.
                SrcIp | DstIp => {
                    let side = if t.slot == SrcIp { "src" } else { "dst" };
                    let kind = ip_kind(&t.value).unwrap_or("ipv4-addr");
                    format!("{obj}:{side}_ref.type = '{kind}' AND {cmp}")
                }
                _ => cmp,
            }
        })
        .collect();
    format!("[{}]", comparisons.join(" AND "))
}

/// Reads back a pattern written as one observation of `=` comparisons joined by
/// AND on the properties of [`Slot`]; anything richer is `None`.
pub(super) fn parse_pattern(pattern: &str) -> Option<Vec<Term>> {
    let inner = pattern.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut terms = Vec::new();
    let mut rest = inner.trim_start();
    loop {
        let (path, after) = rest.split_once('=')?;
        let path = path.trim();
        let after = after.trim_start();
        let (value, after) = if let Some(quoted) = after.strip_prefix('\'') {
            read_string(quoted)?
        } else {
            let end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            (after[..end].to_owned(), &after[end..])
        };
        if let Some(term) = term_of_path(path, value)? {
            terms.push(term);
        }
        rest = after.trim_start();
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix("AND")?.trim_start();
    }
    (!terms.is_empty()).then_some(terms)
}

/// A single-quoted pattern string (after the opening quote) and what follows.
fn read_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '\'' => return Some((out, &s[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// The slot of `object:path`; `Some(None)` for a reference's `.type`, which
/// only restates what the address says.
fn term_of_path(path: &str, value: String) -> Option<Option<Term>> {
    let (obj, prop) = path.split_once(':')?;
    let slot = match (obj, prop) {
        ("ipv4-addr" | "ipv6-addr", "value") => Ip,
        ("domain-name", "value") => Domain,
        ("domain-name", "resolves_to_refs[*].value") => ResolvesTo,
        ("url", "value") => Url,
        ("email-addr", "value") => Email,
        ("mac-addr", "value") => Mac,
        ("mutex", "name") => Mutex,
        ("windows-registry-key", "key") => RegKey,
        ("autonomous-system", "number") => As,
        ("file", "name") => FileName,
        ("file", "size") => FileSize,
        ("file", p) if p.starts_with("hashes.") => {
            hash_slot(p["hashes.".len()..].trim_matches('\''))?
        }
        ("network-traffic", "src_ref.value") => SrcIp,
        ("network-traffic", "dst_ref.value") => DstIp,
        ("network-traffic", "src_port") => SrcPort,
        ("network-traffic", "dst_port") => DstPort,
        ("network-traffic", "src_ref.type" | "dst_ref.type") => return Some(None),
        _ => return None,
    };
    // A value MISP could not hold (`dst_ref.value` naming a domain) is no term of ours.
    let value = normalise(slot, &value).ok()?;
    Some(Some(Term { slot, value }))
}

/// In a `domain-ip` object the addresses are what the domain resolves to (as
/// MISP's own converter reads it); elsewhere an address stands on its own.
pub(super) fn in_object(object_name: &str, mut terms: Vec<Term>) -> Vec<Term> {
    if object_name == "domain-ip" && terms.iter().any(|t| t.slot == Domain) {
        terms
            .iter_mut()
            .filter(|t| t.slot == Ip)
            .for_each(|t| t.slot = ResolvesTo);
    }
    terms
}

/// The inverse of [`in_object`], so that the object's MISP values match again.
pub(super) fn out_of_object(object_name: &str, mut terms: Vec<Term>) -> Vec<Term> {
    if object_name == "domain-ip" {
        terms
            .iter_mut()
            .filter(|t| t.slot == ResolvesTo)
            .for_each(|t| t.slot = Ip);
    }
    terms
}

/// The MISP type and value these terms are exactly, the hinted type first.
pub(super) fn attribute_of(terms: &[Term], hint: Option<&str>) -> Option<(&'static str, String)> {
    let hinted = hint.and_then(misp_type);
    hinted.into_iter().chain(TYPES).find_map(|ty| {
        let (used, value) = take(ty, terms)?;
        (used.len() == terms.len()).then_some((ty.name, value))
    })
}

/// Which of `pool` make up a value of `ty`, and that value.
pub(super) fn take(ty: &MispType, pool: &[Term]) -> Option<(Vec<usize>, String)> {
    let mut used = Vec::new();
    let mut parts = Vec::new();
    for slot in ty.slots {
        let i = (0..pool.len()).find(|i| !used.contains(i) && pool[*i].slot == *slot)?;
        used.push(i);
        parts.push(pool[i].value.as_str());
    }
    Some((used, parts.join("|")))
}

/// SCOs carrying the terms: the top-level ones first, referenced addresses
/// after them. Ids are UUIDv5 of `owner` (the MISP uuid) and a counter, so that
/// each observed-data owns its SCOs and a re-import yields the same ids.
pub(super) fn scos(terms: &[Term], owner: Uuid) -> Vec<Value> {
    let mut b = Scos {
        owner,
        top: Vec::new(),
        referenced: Vec::new(),
    };
    // References come after what they refer from: a domain-ip object may list the address first.
    let is_ref = |t: &&Term| matches!(t.slot, ResolvesTo | SrcIp | DstIp | SrcPort | DstPort);
    for term in terms
        .iter()
        .filter(|t| !is_ref(t))
        .chain(terms.iter().filter(is_ref))
    {
        b.add(term);
    }
    b.top
        .into_iter()
        .chain(b.referenced)
        .map(Value::Object)
        .collect()
}

struct Scos {
    owner: Uuid,
    top: Vec<Map<String, Value>>,
    referenced: Vec<Map<String, Value>>,
}

impl Scos {
    fn sco(&self, ty: &str) -> Map<String, Value> {
        let n = self.top.len() + self.referenced.len() + 1;
        let id = super::derived_uuid(&format!("{}/sco/{n}", self.owner));
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(format!("{ty}--{id}")));
        m
    }

    /// A referenced address SCO; its id.
    fn address(&mut self, value: &str) -> Value {
        let mut ip = self.sco(ip_kind(value).unwrap_or("ipv4-addr"));
        ip.insert("value".into(), json!(value));
        let id = ip["id"].clone();
        self.referenced.push(ip);
        id
    }

    fn add(&mut self, term: &Term) {
        let ty = sco_type(term);
        let value = match is_number(term.slot) {
            true => json!(term.value.parse::<u64>().unwrap_or_default()),
            false => json!(term.value),
        };
        let ref_key = if term.slot == SrcIp {
            "src_ref"
        } else {
            "dst_ref"
        };
        // Addresses, URLs, ... are SCOs of their own; file and traffic
        // properties go to the first SCO of the type that lacks them.
        let shared = !matches!(
            term.slot,
            Ip | Domain | Url | Email | Mac | Mutex | RegKey | As
        );
        let lacks = |m: &Map<String, Value>| match term.slot {
            Hash(algo) => m.get("hashes").and_then(|h| h.get(algo)).is_none(),
            ResolvesTo => true,
            SrcIp | DstIp => !m.contains_key(ref_key),
            _ => !m.contains_key(&property(term)),
        };
        let found = self
            .top
            .iter()
            .position(|m| shared && m["type"] == ty && lacks(m));
        let at = match found {
            Some(at) => at,
            None if term.slot == ResolvesTo => {
                // No domain to resolve from: the address stands alone.
                let mut ip = self.sco(ip_kind(&term.value).unwrap_or("ipv4-addr"));
                ip.insert("value".into(), value);
                self.top.push(ip);
                return;
            }
            None => {
                let sco = self.sco(ty);
                self.top.push(sco);
                self.top.len() - 1
            }
        };
        match term.slot {
            Hash(algo) => {
                let hashes = self.top[at].entry("hashes").or_insert_with(|| json!({}));
                hashes[algo] = value;
            }
            ResolvesTo => {
                let id = self.address(&term.value);
                let refs = self.top[at]
                    .entry("resolves_to_refs")
                    .or_insert_with(|| json!([]));
                refs.as_array_mut()
                    .into_iter()
                    .for_each(|r| r.push(id.clone()));
            }
            SrcIp | DstIp => {
                let id = self.address(&term.value);
                let layer = if ip_kind(&term.value) == Some("ipv6-addr") {
                    "ipv6"
                } else {
                    "ipv4"
                };
                let sco = &mut self.top[at];
                sco.insert(ref_key.into(), id);
                let protocols = sco.entry("protocols").or_insert_with(|| json!([]));
                if let Some(p) = protocols
                    .as_array_mut()
                    .filter(|p| !p.contains(&json!(layer)))
                {
                    p.push(json!(layer));
                }
            }
            _ => {
                self.top[at].insert(property(term), value);
            }
        }
    }
}

/// The terms the SCOs among `ids` carry (the inverse of [`scos`]), with a
/// note for each SCO or property that has no MISP form.
pub(super) fn terms_of_scos<'a>(
    ids: &[&str],
    lookup: impl Fn(&str) -> Option<&'a Value>,
    notes: &mut Vec<String>,
) -> Vec<Term> {
    // The address a reference points to, if it is one of the set.
    let address = |r: &Value| -> Option<&'a Value> {
        let sco = lookup(r.as_str()?)?;
        matches!(sco["type"].as_str(), Some("ipv4-addr" | "ipv6-addr")).then_some(&sco["value"])
    };
    // Addresses referenced by another SCO of the set are read through it.
    let nested: Vec<&str> = ids
        .iter()
        .filter_map(|id| lookup(id))
        .flat_map(|sco| {
            let resolves = sco["resolves_to_refs"].as_array().into_iter().flatten();
            resolves
                .chain([&sco["src_ref"], &sco["dst_ref"]])
                .filter_map(Value::as_str)
        })
        .collect();
    // What each SCO says, or why it cannot be said in MISP, in order.
    let mut found: Vec<std::result::Result<(Slot, &Value), String>> = Vec::new();
    for id in ids.iter().filter(|id| !nested.contains(id)) {
        let Some(sco) = lookup(id) else {
            found.push(Err(format!("{id}: referenced but not among the objects")));
            continue;
        };
        let refer = |slot: Slot, r: &Value| {
            address(r)
                .map(|v| (slot, v))
                .ok_or_else(|| format!("{id}: reference {r} is not an address among the objects"))
        };
        match sco["type"].as_str().unwrap_or_default() {
            "ipv4-addr" | "ipv6-addr" => found.push(Ok((Ip, &sco["value"]))),
            "url" => found.push(Ok((Url, &sco["value"]))),
            "email-addr" => found.push(Ok((Email, &sco["value"]))),
            "mac-addr" => found.push(Ok((Mac, &sco["value"]))),
            "mutex" => found.push(Ok((Mutex, &sco["name"]))),
            "windows-registry-key" => found.push(Ok((RegKey, &sco["key"]))),
            "autonomous-system" => found.push(Ok((As, &sco["number"]))),
            "domain-name" => {
                found.push(Ok((Domain, &sco["value"])));
                let refs = sco["resolves_to_refs"].as_array().into_iter().flatten();
                found.extend(refs.map(|r| refer(ResolvesTo, r)));
            }
            "network-traffic" => {
                for (side, ip, port) in [("src", SrcIp, SrcPort), ("dst", DstIp, DstPort)] {
                    if let Some(r) = sco.get(format!("{side}_ref")) {
                        found.push(refer(ip, r));
                    }
                    if let Some(p) = sco.get(format!("{side}_port")) {
                        found.push(Ok((port, p)));
                    }
                }
            }
            "file" => {
                found.extend(sco.get("name").map(|n| Ok((FileName, n))));
                found.extend(sco.get("size").map(|n| Ok((FileSize, n))));
                for (algo, v) in sco["hashes"].as_object().into_iter().flatten() {
                    found.push(
                        hash_slot(algo)
                            .map(|slot| (slot, v))
                            .ok_or_else(|| format!("{id}: hash algorithm {algo} has no MISP type")),
                    );
                }
            }
            other => found.push(Err(format!(
                "{id}: SCO type {other:?} has no MISP attribute type"
            ))),
        }
    }
    let mut terms = Vec::new();
    for f in found {
        let value = match f {
            Ok((slot, Value::String(s))) => normalise(slot, s).map(|v| (slot, v)),
            Ok((slot, Value::Number(n))) => normalise(slot, &n.to_string()).map(|v| (slot, v)),
            Ok((slot, v)) => Err(format!("{slot:?} value {v} is not a string or number")),
            Err(note) => Err(note),
        };
        match value {
            Ok((slot, value)) => terms.push(Term { slot, value }),
            Err(note) => notes.push(note),
        }
    }
    terms
}

/// The slot of a STIX hash algorithm name (`SHA-256`, also `sha-256`).
fn hash_slot(algo: &str) -> Option<Slot> {
    let upper = algo.to_ascii_uppercase();
    TYPES
        .iter()
        .flat_map(|t| t.slots)
        .find(|s| matches!(s, Hash(a) if *a == upper))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(slot: Slot, value: &str) -> Term {
        Term {
            slot,
            value: value.into(),
        }
    }

    #[test]
    fn composite_values_split_on_the_last_bar_and_are_checked() {
        let ty = misp_type("filename|sha256").unwrap();
        let sha = "a".repeat(64);
        let got = terms(ty, &format!("odd|name.exe|{sha}")).unwrap();
        assert_eq!(
            got,
            vec![term(FileName, "odd|name.exe"), term(Hash("SHA-256"), &sha)]
        );
        assert!(terms(ty, "x.exe|abc").unwrap_err().contains("SHA-256"));
        assert!(terms(misp_type("ip-dst|port").unwrap(), "192.0.2.1|99999").is_err());
        assert!(terms(misp_type("ip-dst").unwrap(), "192.0.2.0/33").is_err());
        assert_eq!(
            terms(misp_type("AS").unwrap(), "AS174").unwrap(),
            vec![term(As, "174")]
        );
    }

    #[test]
    fn patterns_read_back_to_the_same_terms() {
        for (ty, value) in [
            ("ip-dst", "2001:db8::/32"),
            ("ip-src|port", "192.0.2.7|8443"),
            ("domain|ip", "evil.example|198.51.100.9"),
            (
                "filename|md5",
                "it's \\ odd.doc|d41d8cd98f00b204e9800998ecf8427e",
            ),
            ("AS", "64496"),
        ] {
            let terms = terms(misp_type(ty).unwrap(), value).unwrap();
            let p = pattern(&terms);
            assert_eq!(parse_pattern(&p).as_deref(), Some(terms.as_slice()), "{p}");
            assert_eq!(
                attribute_of(&terms, Some(ty)),
                Some((misp_type(ty).unwrap().name, value.to_owned()))
            );
        }
        assert_eq!(
            pattern(&[term(DstIp, "192.0.2.1"), term(DstPort, "443")]),
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '192.0.2.1' AND network-traffic:dst_port = 443]"
        );
        for other in [
            "[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2']",
            "[file:name MATCHES '^a']",
            "[process:name = 'x']",
            "[ipv4-addr:value = '192.0.2.1'] WITHIN 5 SECONDS",
            "[url:value = 'unterminated]",
        ] {
            assert_eq!(parse_pattern(other), None, "{other}");
        }
    }

    #[test]
    fn scos_read_back_to_the_same_terms() {
        let owner = Uuid::nil();
        let given = vec![
            term(ResolvesTo, "192.0.2.1"),
            term(Domain, "a.example"),
            term(FileName, "x.exe"),
            term(Hash("MD5"), "d41d8cd98f00b204e9800998ecf8427e"),
            term(DstIp, "2001:db8::1"),
            term(DstPort, "53"),
        ];
        let objects = scos(&given, owner);
        let ids: Vec<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
        let find = |id: &str| objects.iter().find(|o| o["id"] == id);
        let mut notes = Vec::new();
        let back = terms_of_scos(&ids, find, &mut notes);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(back.len(), given.len());
        assert!(given.iter().all(|t| back.contains(t)), "{back:?}");
        let nt = objects
            .iter()
            .find(|o| o["type"] == "network-traffic")
            .unwrap();
        assert_eq!(nt["protocols"], json!(["ipv6"]));
        assert_eq!(scos(&given, owner), objects, "ids are deterministic");
    }
}
