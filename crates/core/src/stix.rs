//! STIX 2.1 objects (構造化脅威情報): validation on ingest, versions, markings.
//!
//! Objects are kept as the JSON they arrived in (`serde_json::Value` with key
//! order preserved), so every SDO, SRO, SCO, meta object, custom object and
//! custom property round-trips byte-for-byte in meaning: nothing a peer sent is
//! dropped because this code did not know it. [`validate`] checks what the
//! specification requires of each type (identifiers, timestamps, required
//! properties, references, patterns) and names the object id and the property
//! of the first problem.

use crate::tlp::Tlp;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::fmt;

/// A problem with one object: which object, which property, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StixError {
    /// The object's id when it has a usable one.
    pub id: Option<String>,
    pub property: String,
    pub message: String,
}

impl fmt::Display for StixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id}: {}: {}", self.property, self.message),
            None => write!(f, "{}: {}", self.property, self.message),
        }
    }
}

impl std::error::Error for StixError {}

/// The three families of STIX objects, plus meta objects and custom ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Domain,
    Relationship,
    Observable,
    Meta,
    Custom,
}

/// Domain objects and their required properties (beyond the common ones).
const SDO: &[(&str, &[&str])] = &[
    ("attack-pattern", &["name"]),
    ("campaign", &["name"]),
    ("course-of-action", &["name"]),
    ("grouping", &["context", "object_refs"]),
    ("identity", &["name"]),
    ("incident", &["name"]),
    ("indicator", &["pattern", "pattern_type", "valid_from"]),
    ("infrastructure", &["name"]),
    ("intrusion-set", &["name"]),
    ("location", &[]),
    ("malware", &["is_family"]),
    ("malware-analysis", &["product"]),
    ("note", &["content", "object_refs"]),
    (
        "observed-data",
        &["first_observed", "last_observed", "number_observed"],
    ),
    ("opinion", &["opinion", "object_refs"]),
    ("report", &["name", "published", "object_refs"]),
    ("threat-actor", &["name"]),
    ("tool", &["name"]),
    ("vulnerability", &["name"]),
];

const SRO: &[(&str, &[&str])] = &[
    (
        "relationship",
        &["relationship_type", "source_ref", "target_ref"],
    ),
    ("sighting", &["sighting_of_ref"]),
];

const SCO: &[(&str, &[&str])] = &[
    ("artifact", &[]),
    ("autonomous-system", &["number"]),
    ("directory", &["path"]),
    ("domain-name", &["value"]),
    ("email-addr", &["value"]),
    ("email-message", &["is_multipart"]),
    ("file", &[]),
    ("ipv4-addr", &["value"]),
    ("ipv6-addr", &["value"]),
    ("mac-addr", &["value"]),
    ("mutex", &["name"]),
    ("network-traffic", &["protocols"]),
    ("process", &[]),
    ("software", &["name"]),
    ("url", &["value"]),
    ("user-account", &[]),
    ("windows-registry-key", &[]),
    ("x509-certificate", &[]),
];

const META: &[(&str, &[&str])] = &[
    ("marking-definition", &[]),
    ("language-content", &["object_ref", "contents"]),
    (
        "extension-definition",
        &[
            "name",
            "schema",
            "version",
            "extension_types",
            "created_by_ref",
        ],
    ),
];

/// The family of a type name.
pub fn family(ty: &str) -> Family {
    let is = |table: &[(&str, &[&str])]| table.iter().any(|(t, _)| *t == ty);
    if is(SDO) {
        Family::Domain
    } else if is(SRO) {
        Family::Relationship
    } else if is(SCO) {
        Family::Observable
    } else if is(META) {
        Family::Meta
    } else {
        Family::Custom
    }
}

fn required(ty: &str) -> &'static [&'static str] {
    [SDO, SRO, SCO, META]
        .iter()
        .flat_map(|t| t.iter())
        .find(|(t, _)| *t == ty)
        .map(|(_, r)| *r)
        .unwrap_or(&[])
}

/// What ingest needs to know of a valid object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub id: String,
    pub ty: String,
    pub family: Family,
    /// The version: `modified`, else `created`; `None` for SCOs without either
    /// (TAXII then uses the date it was added).
    pub version: Option<String>,
    pub spec_version: String,
    pub revoked: bool,
    /// The TLP of `object_marking_refs`, if it names one.
    pub tlp: Option<Tlp>,
}

/// `type--uuid`, with the type's own syntax.
pub fn valid_id(id: &str) -> bool {
    id.split_once("--").is_some_and(|(ty, uuid)| {
        valid_type(ty) && uuid::Uuid::parse_str(uuid).is_ok() && uuid.len() == 36
    })
}

/// Type names: lowercase ASCII letters, digits and single hyphens, 3–250 characters.
pub fn valid_type(ty: &str) -> bool {
    (3..=250).contains(&ty.len())
        && ty.starts_with(|c: char| c.is_ascii_lowercase())
        && !ty.ends_with('-')
        && !ty.contains("--")
        && ty
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A STIX timestamp: RFC 3339 in UTC with the `Z` suffix.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if !s.ends_with('Z') || s.len() < 20 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Format a timestamp as STIX writes it, with milliseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Validate one object as STIX 2.1 requires.
pub fn validate(object: &Value) -> Result<Checked, StixError> {
    let map = object.as_object().ok_or_else(|| StixError {
        id: None,
        property: "(object)".into(),
        message: "a STIX object must be a JSON object".into(),
    })?;
    let raw_id = map.get("id").and_then(Value::as_str).map(str::to_owned);
    let err = |property: &str, message: String| StixError {
        id: raw_id.clone(),
        property: property.into(),
        message,
    };
    let ty = str_prop(map, "type")
        .ok_or_else(|| err("type", "required string property missing".into()))?;
    if !valid_type(ty) {
        return Err(err("type", format!("{ty:?} is not a valid type name (lowercase letters, digits and hyphens, 3–250 characters)")));
    }
    if ty == "bundle" {
        return Err(err(
            "type",
            "a bundle is not an object: send its objects".into(),
        ));
    }
    let id = raw_id
        .clone()
        .ok_or_else(|| err("id", "required string property missing".into()))?;
    if !valid_id(&id) || id.split_once("--").map(|(t, _)| t) != Some(ty) {
        return Err(err("id", format!("must be \"{ty}--\" followed by a UUID")));
    }
    let family = family(ty);
    let sdo_like = matches!(
        family,
        Family::Domain | Family::Relationship | Family::Custom
    );
    let spec_version = match str_prop(map, "spec_version") {
        Some(v) => v.to_owned(),
        None if family == Family::Observable => "2.1".into(),
        None => {
            return Err(err(
                "spec_version",
                "required property missing (\"2.1\")".into(),
            ))
        }
    };
    if spec_version != "2.1" {
        return Err(err(
            "spec_version",
            format!("{spec_version:?} is not supported: this store takes STIX 2.1"),
        ));
    }
    let mut stamps = Vec::new();
    for p in ["created", "modified"] {
        match map.get(p) {
            Some(Value::String(s)) => match parse_timestamp(s) {
                Some(t) => stamps.push(t),
                None => {
                    return Err(err(
                        p,
                        format!("{s:?} is not a STIX timestamp (e.g. 2024-05-01T12:00:00.000Z)"),
                    ))
                }
            },
            Some(_) => return Err(err(p, "must be a timestamp string".into())),
            None if sdo_like || (p == "created" && matches!(family, Family::Meta)) => {
                return Err(err(p, "required property missing".into()))
            }
            None => {}
        }
    }
    if let [created, modified] = stamps[..] {
        if modified < created {
            return Err(err("modified", "must not be earlier than created".into()));
        }
    }
    for p in required(ty) {
        if !map.contains_key(*p) {
            return Err(err(p, "required property missing".into()));
        }
    }
    check_type_rules(ty, map).map_err(|(p, m)| err(&p, m))?;
    for (k, v) in map {
        check_refs(k, v).map_err(|m| err(k, m))?;
        if let Some(s) = v.as_str() {
            let is_stamp = matches!(
                k.as_str(),
                "valid_from"
                    | "valid_until"
                    | "first_seen"
                    | "last_seen"
                    | "published"
                    | "first_observed"
                    | "last_observed"
            );
            if is_stamp && parse_timestamp(s).is_none() {
                return Err(err(k, format!("{s:?} is not a STIX timestamp")));
            }
        }
    }
    let version = str_prop(map, "modified")
        .or_else(|| str_prop(map, "created"))
        .map(str::to_owned);
    let tlp = map
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(tlp_of_marking)
        .max();
    Ok(Checked {
        id,
        ty: ty.to_owned(),
        family,
        version,
        spec_version,
        revoked: map.get("revoked").and_then(Value::as_bool).unwrap_or(false),
        tlp,
    })
}

fn str_prop<'a>(map: &'a Map<String, Value>, p: &str) -> Option<&'a str> {
    map.get(p).and_then(Value::as_str)
}

/// `*_ref` properties hold one identifier, `*_refs` a list of them.
fn check_refs(key: &str, v: &Value) -> Result<(), String> {
    if key.ends_with("_ref") {
        match v.as_str() {
            Some(id) if valid_id(id) => Ok(()),
            _ => Err("must be a STIX identifier (type--uuid)".into()),
        }
    } else if key.ends_with("_refs") {
        match v.as_array() {
            Some(ids) if ids.iter().all(|i| i.as_str().is_some_and(valid_id)) => Ok(()),
            _ => Err("must be a list of STIX identifiers (type--uuid)".into()),
        }
    } else {
        Ok(())
    }
}

fn check_type_rules(ty: &str, map: &Map<String, Value>) -> Result<(), (String, String)> {
    let bad = |p: &str, m: &str| Err((p.to_owned(), m.to_owned()));
    match ty {
        "indicator" => {
            let pattern = str_prop(map, "pattern")
                .ok_or(("pattern".to_owned(), "must be a string".to_owned()))?;
            if str_prop(map, "pattern_type") == Some("stix") {
                check_pattern(pattern).map_err(|m| ("pattern".to_owned(), m))?;
            }
        }
        "observed-data" => {
            let n = map.get("number_observed").and_then(Value::as_u64);
            if !n.is_some_and(|n| (1..=999_999_999).contains(&n)) {
                return bad(
                    "number_observed",
                    "must be an integer from 1 to 999,999,999",
                );
            }
            if !map.contains_key("object_refs") && !map.contains_key("objects") {
                return bad("object_refs", "observed-data needs object_refs");
            }
        }
        "report" | "grouping" | "note" | "opinion"
            if map
                .get("object_refs")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty()) =>
        {
            return bad("object_refs", "must list at least one object");
        }
        "malware" if !map.get("is_family").is_some_and(Value::is_boolean) => {
            return bad("is_family", "must be true or false");
        }
        "marking-definition"
            if !map.contains_key("definition_type") && !map.contains_key("extensions") =>
        {
            return bad(
                "definition_type",
                "a marking definition needs definition_type or extensions",
            );
        }
        "ipv4-addr" | "ipv6-addr" => {
            let v = str_prop(map, "value").unwrap_or_default();
            let ok = if ty == "ipv4-addr" {
                v.parse::<std::net::Ipv4Addr>().is_ok() || v.parse::<ipnet::Ipv4Net>().is_ok()
            } else {
                v.parse::<std::net::Ipv6Addr>().is_ok() || v.parse::<ipnet::Ipv6Net>().is_ok()
            };
            if !ok {
                return bad(
                    "value",
                    "must be an address or CIDR block of the type's family",
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// Parse a STIX pattern; the message carries the character offset.
fn check_pattern(pattern: &str) -> Result<(), String> {
    crate::pattern::Pattern::parse(pattern)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The observable values an object carries, in one normal form
/// (`type:property=value`, lower-case where case does not matter): the SCO's
/// own value or hashes, the equality terms of an indicator's STIX pattern, the
/// values of the SCOs embedded in observed-data. Correlation links objects that
/// share a value.
pub fn observable_values(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(map) = object.as_object() else {
        return out;
    };
    let ty = str_prop(map, "type").unwrap_or_default();
    match ty {
        "indicator" if str_prop(map, "pattern_type") == Some("stix") => {
            for (t, path, value) in pattern_terms(str_prop(map, "pattern").unwrap_or_default()) {
                out.push(observable_key(&t, &path, &value));
            }
        }
        "observed-data" => {
            if let Some(objects) = map.get("objects").and_then(Value::as_object) {
                for o in objects.values() {
                    out.extend(observable_values(o));
                }
            }
        }
        // What a sighting saw: correlating on it counts the sightings of an object.
        "sighting" => {
            if let Some(r) = str_prop(map, "sighting_of_ref") {
                out.push(observable_key("sighting", "sighting_of_ref", r));
            }
        }
        _ if family(ty) == Family::Observable => {
            for p in ["value", "name", "number"] {
                if let Some(v) = map.get(p) {
                    let v = v
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string());
                    out.push(observable_key(ty, p, &v));
                }
            }
            if let Some(hashes) = map.get("hashes").and_then(Value::as_object) {
                for (alg, h) in hashes {
                    if let Some(h) = h.as_str() {
                        out.push(observable_key(ty, &format!("hashes.{alg}"), h));
                    }
                }
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

/// `type:path=value`, quotes dropped from the path, the value lower-cased
/// unless it is case-sensitive (file names, URLs' paths are kept as given).
pub fn observable_key(ty: &str, path: &str, value: &str) -> String {
    let path = path.replace('\'', "");
    let value = match (ty, path.as_str()) {
        ("file", "name") | ("url", _) | ("mutex", _) => value.to_owned(),
        _ => value.to_ascii_lowercase(),
    };
    format!("{ty}:{path}={value}")
}

/// The equality terms of a STIX pattern (none when it does not parse).
fn pattern_terms(pattern: &str) -> Vec<(String, String, String)> {
    crate::pattern::Pattern::parse(pattern)
        .map(|p| p.equality_terms())
        .unwrap_or_default()
}

/// The namespace STIX 2.1 gives for deterministic SCO identifiers (§2.9).
const SCO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// A cyber-observable with its deterministic id (UUIDv5 of its identifying
/// properties, as the specification asks), and the pattern that matches it.
pub fn observable_sco(kind: crate::report::ObservableKind, value: &str) -> (Value, String) {
    use crate::report::ObservableKind as K;
    let v = value.trim();
    let (ty, contributing, pattern) = match kind {
        K::Ipv4 => (
            "ipv4-addr",
            json!({"value": v}),
            format!("[ipv4-addr:value = '{v}']"),
        ),
        K::Ipv6 => (
            "ipv6-addr",
            json!({"value": v}),
            format!("[ipv6-addr:value = '{v}']"),
        ),
        K::Domain => {
            let d = v.to_ascii_lowercase();
            (
                "domain-name",
                json!({"value": d}),
                format!("[domain-name:value = '{d}']"),
            )
        }
        K::Url => (
            "url",
            json!({"value": v}),
            format!(
                "[url:value = '{}']",
                v.replace('\\', "\\\\").replace('\'', "\\'")
            ),
        ),
        K::Email => (
            "email-addr",
            json!({"value": v}),
            format!("[email-addr:value = '{v}']"),
        ),
        K::Md5 | K::Sha1 | K::Sha256 => {
            let alg = match kind {
                K::Md5 => "MD5",
                K::Sha1 => "SHA-1",
                _ => "SHA-256",
            };
            let h = v.to_ascii_lowercase();
            (
                "file",
                json!({"hashes": {alg: h}}),
                format!("[file:hashes.'{alg}' = '{h}']"),
            )
        }
    };
    let id = format!(
        "{ty}--{}",
        uuid::Uuid::new_v5(&SCO_NAMESPACE, contributing.to_string().as_bytes())
    );
    let mut sco = json!({"type": ty, "spec_version": "2.1", "id": id});
    for (k, v) in contributing.as_object().expect("object") {
        sco[k] = v.clone();
    }
    (sco, pattern)
}

/// The anonymised derivative of an incident report as STIX: a `report` with its
/// observables (SCOs) and one indicator per observable. Ids derive from the
/// incident report's id, so publishing again makes a new version of the same
/// objects.
pub fn report_objects(
    report_id: &str,
    number: i64,
    r: &crate::report::AnonymisedReport,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let t = timestamp(now);
    let seeded = |what: &str| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("sakimori:report:{report_id}:{what}").as_bytes(),
        )
    };
    let mut objects = Vec::new();
    let mut refs = Vec::new();
    for o in &r.observables {
        let (sco, pattern) = observable_sco(o.kind, &o.value);
        let indicator_id = format!(
            "indicator--{}",
            seeded(sco["id"].as_str().unwrap_or_default())
        );
        refs.push(json!(sco["id"]));
        refs.push(json!(indicator_id));
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1", "id": indicator_id,
            "created": t, "modified": t, "valid_from": timestamp(r.detected_at),
            "name": format!("{} seen in incident report {number}", o.value),
            "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix",
        }));
        objects.push(sco);
    }
    let mut labels: Vec<String> = Vec::new();
    if let Some(c) = r.event_class {
        labels.push(format!("event-class:{}", c.as_str()));
    }
    labels.extend(r.causes.iter().map(|c| format!("cause:{}", c.as_str())));
    labels.extend(
        r.attack_types
            .iter()
            .map(|a| format!("attack-type:{}", a.as_str())),
    );
    if let Some(s) = &r.sector {
        labels.push(format!("sector:{s}"));
    }
    if refs.is_empty() {
        // A report must refer to something: the note of what was reported.
        let note_id = format!("note--{}", seeded("note"));
        refs.push(json!(note_id));
        objects.push(json!({
            "type": "note", "spec_version": "2.1", "id": note_id, "created": t, "modified": t,
            "content": "The incident report carried no shareable observables.",
            "object_refs": [format!("report--{}", seeded("report"))],
        }));
    }
    let mut report = json!({
        "type": "report", "spec_version": "2.1", "id": format!("report--{}", seeded("report")),
        "created": t, "modified": t, "published": timestamp(r.detected_at),
        "name": format!("Incident report {number} (anonymised) / 情報連絡 {number}（匿名化）"),
        "description": format!(
            "Anonymised incident report: detected {}, public service affected: {}.",
            timestamp(r.detected_at),
            if r.service_affected { "yes" } else { "no" }
        ),
        "report_types": ["threat-report"],
        "object_refs": refs,
    });
    if !labels.is_empty() {
        report["labels"] = json!(labels);
    }
    objects.insert(0, report);
    objects
}

/// The first marking an object refers to that is neither a TLP marking nor one
/// of `known` (marking definitions already stored or sent alongside), with the
/// property that names it: such an object is refused, since nobody here could
/// honour a marking it does not know.
pub fn unknown_marking(
    object: &Value,
    known: &std::collections::BTreeSet<String>,
) -> Option<(&'static str, String)> {
    let refs = object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| ("object_marking_refs", r));
    let granular = object
        .get("granular_markings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("marking_ref"))
        .map(|r| ("granular_markings", r));
    refs.chain(granular)
        .filter_map(|(p, r)| r.as_str().map(|r| (p, r)))
        .find(|(_, r)| tlp_of_marking(r).is_none() && !known.contains(*r))
        .map(|(p, r)| (p, r.to_owned()))
}

/// The TLP a marking-definition id stands for (TLP 2.0, and TLP 1.0 mapped forward).
pub fn tlp_of_marking(id: &str) -> Option<Tlp> {
    Tlp::ALL
        .into_iter()
        .find(|t| t.stix_marking_id() == id)
        .or(match id {
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Some(Tlp::Clear),
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Some(Tlp::Green),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Some(Tlp::Amber),
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Some(Tlp::Red),
            _ => None,
        })
}

/// The TLP 2.0 marking-definition object, as the OASIS TLP 2.0 extension defines it.
pub fn tlp_marking_definition(tlp: Tlp) -> Value {
    let level = tlp.label().trim_start_matches("TLP:").to_ascii_lowercase();
    serde_json::json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp.stix_marking_id(),
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.label(),
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": level
            }
        }
    })
}

/// A bundle of objects with a fresh id.
pub fn bundle(objects: Vec<Value>) -> Value {
    serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn indicator() -> Value {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "indicator_types": ["malicious-activity"], "name": "Poison Ivy Malware",
            "pattern": "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
            "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
            "x_custom": {"kept": [1, 2, 3]}
        })
    }

    #[test]
    fn valid_objects_of_every_family() {
        let c = validate(&indicator()).unwrap();
        assert_eq!(
            (c.family, c.version.as_deref()),
            (Family::Domain, Some("2016-04-06T20:03:48.000Z"))
        );
        let sco = json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"});
        let c = validate(&sco).unwrap();
        assert_eq!((c.family, c.version), (Family::Observable, None));
        let custom = json!({"type": "x-acme-widget", "spec_version": "2.1", "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "anything": true});
        assert_eq!(validate(&custom).unwrap().family, Family::Custom);
        for t in Tlp::ALL {
            let c = validate(&tlp_marking_definition(t)).unwrap();
            assert_eq!(c.family, Family::Meta);
            assert_eq!(tlp_of_marking(&c.id), Some(t));
        }
    }

    #[test]
    fn errors_name_the_object_and_property() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"id": "indicator--x"}), "type"),
            (
                {
                    let mut o = indicator();
                    o["id"] = json!("indicator--not-a-uuid");
                    o
                },
                "id",
            ),
            (
                {
                    let mut o = indicator();
                    o["id"] = json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
                    o
                },
                "id",
            ),
            (
                {
                    let mut o = indicator();
                    o["created"] = json!("2016-04-06 20:03:48");
                    o
                },
                "created",
            ),
            (
                {
                    let mut o = indicator();
                    o["modified"] = json!("2015-01-01T00:00:00Z");
                    o
                },
                "modified",
            ),
            (
                {
                    let mut o = indicator();
                    o.as_object_mut().unwrap().remove("valid_from");
                    o
                },
                "valid_from",
            ),
            (
                {
                    let mut o = indicator();
                    o.as_object_mut().unwrap().remove("spec_version");
                    o
                },
                "spec_version",
            ),
            (
                {
                    let mut o = indicator();
                    o["pattern"] = json!("[file:name = 'x'");
                    o
                },
                "pattern",
            ),
            (
                {
                    let mut o = indicator();
                    o["created_by_ref"] = json!("nobody");
                    o
                },
                "created_by_ref",
            ),
            (
                json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "example.com"}),
                "value",
            ),
        ];
        for (obj, property) in cases {
            let e = validate(&obj).unwrap_err();
            assert_eq!(e.property, property, "{e}");
            if property != "type" && property != "id" {
                assert_eq!(e.id.as_deref(), obj["id"].as_str());
            }
        }
        let e = validate(&{
            let mut o = indicator();
            o["pattern"] = json!("[file:name = 'x'");
            o
        })
        .unwrap_err();
        assert!(e.message.contains("character"), "{e}");
    }
}
