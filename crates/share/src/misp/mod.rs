//! MISP event JSON interchange: a MISP event (as MISP exports it, as feeds
//! publish it, as PyMISP writes it) in as STIX 2.1 objects, STIX 2.1 objects out
//! as a MISP event. Sakimori keeps intelligence as STIX; MISP is how much of
//! the community shares it, so both directions must lose nothing that matters:
//! importing an event, exporting the objects and importing the export again
//! yields the same indicators, observables, tags, TLP and community.
//!
//! # Mapping
//!
//! | MISP | STIX 2.1 |
//! |---|---|
//! | Event | `report` (`name` = info, `published` = date, `labels` = tags other than TLP, `object_refs` = everything below) |
//! | `Orgc` | `identity` (`organization`), the `created_by_ref` of what the event holds |
//! | TLP tag, else `distribution` | `object_marking_refs` (TLP 2.0) and [`Handling`] |
//! | Attribute, `to_ids` true | `indicator` with a STIX pattern, `valid_from` = timestamp, `description` = comment, `labels` = tags |
//! | Attribute, `to_ids` false | `observed-data` and its SCOs |
//! | Attribute of a type without STIX form | `x-misp-attribute` custom object, with a warning |
//! | Object | one `indicator` (if any attribute is `to_ids`) or `observed-data`, with `x_misp_object_name` |
//! | Galaxy cluster `mitre-attack-pattern` | `attack-pattern` with its ATT&CK id in `external_references`; its tag stays a label |
//!
//! Attribute types and their STIX form (the table is `observable::TYPES`):
//! `ip-src`/`ip-dst` → `ipv4-addr`/`ipv6-addr:value` (CIDR allowed),
//! `domain`/`hostname` → `domain-name:value`, `url` → `url:value`,
//! `email`/`email-src`/`email-dst` → `email-addr:value`, `mac-address`,
//! `AS` → `autonomous-system:number`, `mutex`, `regkey`, `filename` → `file:name`,
//! `size-in-bytes` → `file:size`, `md5`/`sha1`/`sha256`/`sha512`/`sha3-256`/
//! `sha3-512`/`ssdeep`/`tlsh` → `file:hashes`, `filename|<hash>` → both,
//! `ip-dst|port`/`ip-src|port` → `network-traffic` with `dst_ref`/`src_ref` and
//! port, `domain|ip` → `domain-name:resolves_to_refs`. `snort`, `yara`, `sigma`
//! and `stix2-pattern` attributes with `to_ids` become indicators of that
//! `pattern_type`. `ja3-fingerprint-md5` has no STIX 2.1 property (and a
//! `network-traffic` SCO needs addresses a fingerprint alone does not give),
//! so, like MISP's own converter, it stays an `x-misp-attribute`.
//!
//! # TLP and community
//!
//! An event TLP tag decides (`tlp:white` reads as CLEAR; with several, the
//! strictest); else the distribution: 0 → AMBER+STRICT, 1 and 2 → GREEN,
//! 3 → CLEAR, 4 → GREEN in the community named by the sharing group, 5
//! (inherit) only on attributes and objects. Export is the inverse and always
//! writes the TLP tag too: CLEAR → 3, GREEN → 1, or 4 with a `SharingGroup`
//! whose uuid is UUIDv5 of the community name, AMBER, AMBER+STRICT and RED → 0.
//! An attribute or object is marked with the stricter of the event's TLP and
//! its own, never a wider one. Full description: `docs/misp.md`.
//!
//! What STIX cannot say but a round trip needs travels in `x_misp_*` custom
//! properties: the MISP type and category (`ip-src` and `ip-dst` are both an
//! `ipv4-addr`), the comment of an observation, and for objects the relation,
//! category and `to_ids` of each attribute (`x_misp_attributes`).
//!
//! STIX ids come from MISP uuids (attribute uuid → `indicator--<uuid>`), SCO ids
//! are UUIDv5 of the owning uuid, so importing the same event twice gives the
//! same objects.

mod export;
mod import;
mod json;
mod observable;

pub use export::{export_event, export_event_with_warnings, Exported};
pub use import::import_event;

use chrono::{DateTime, Utc};
use sakimori_core::tlp::Tlp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How an imported event is to be shared in Sakimori.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handling {
    pub tlp: Tlp,
    /// The community the object is shared in (MISP sharing group name), if any.
    pub community: Option<String>,
}

/// An imported MISP event.
#[derive(Debug, Clone)]
pub struct Imported {
    /// STIX 2.1 objects: the identity, the report, then what the event holds.
    pub objects: Vec<serde_json::Value>,
    pub handling: Handling,
    /// What was imported with less meaning than it had (custom objects, ...).
    pub warnings: Vec<String>,
}

/// What is wrong with a document, and where (`Event.Attribute[3].value`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct MispError {
    /// The JSON path of the offending value; `$` for the whole document.
    pub path: String,
    pub problem: String,
}

/// The MISP tag of a TLP marking (`tlp:amber+strict`).
fn tlp_tag(tlp: Tlp) -> String {
    tlp.label().to_ascii_lowercase()
}

/// The marking a MISP tag carries: TLP 2.0 tags and TLP 1.0's `tlp:white`.
fn tlp_of_tag(tag: &str) -> Option<Tlp> {
    let lower = tag.trim().to_ascii_lowercase();
    match lower.as_str() {
        "tlp:white" => Some(Tlp::Clear),
        _ if lower.starts_with("tlp:") => lower.parse().ok(),
        _ => None,
    }
}

/// The marking of a MISP distribution level (0 to 4); 5, inherit, is `None`.
fn tlp_of_distribution(distribution: i64) -> Option<Tlp> {
    match distribution {
        0 => Some(Tlp::AmberStrict),
        1..=2 | 4 => Some(Tlp::Green),
        3 => Some(Tlp::Clear),
        _ => None,
    }
}

/// Sakimori's namespace for the UUIDv5s it derives (SCOs, sharing groups,
/// organisations known by name only).
fn derived_uuid(name: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sakimori:misp");
    Uuid::new_v5(&namespace, name.as_bytes())
}

/// A STIX timestamp, with milliseconds as the STIX 2.1 examples write them.
fn stix_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_tags_read_both_versions_and_write_2_0() {
        assert_eq!(tlp_of_tag("tlp:white"), Some(Tlp::Clear));
        assert_eq!(tlp_of_tag("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(tlp_of_tag("tlp:ex:chr"), None);
        assert_eq!(tlp_of_tag("osint"), None);
        for t in Tlp::ALL {
            assert_eq!(tlp_of_tag(&tlp_tag(t)), Some(t));
        }
        assert_eq!(tlp_tag(Tlp::AmberStrict), "tlp:amber+strict");
    }
}
