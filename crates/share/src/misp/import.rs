//! MISP event → STIX 2.1 objects.

use super::json::At;
use super::observable::{self, misp_type, RULE_TYPES};
use super::{
    derived_uuid, stix_time, tlp_of_distribution, tlp_of_tag, Handling, Imported, MispError,
};
use chrono::{DateTime, NaiveDate, Utc};
use sakimori_core::tlp::Tlp;
use serde_json::{json, Map, Value};
use uuid::Uuid;

type Result<T> = std::result::Result<T, MispError>;

/// Imports a MISP event: `{"Event": {...}}` or the bare event object.
pub fn import_event(json: &[u8]) -> Result<Imported> {
    let doc: Value = serde_json::from_slice(json).map_err(|e| MispError {
        path: "$".into(),
        problem: format!("not JSON: {e}"),
    })?;
    let root = At::root(&doc, "");
    let event = match &doc {
        Value::Object(m) if m.contains_key("Event") => root.get("Event"),
        Value::Object(m) if m.contains_key("info") => root,
        _ => {
            return Err(
                root.err("not a MISP event: expected {\"Event\": {...}} or an event with \"info\"")
            )
        }
    };
    if !event.present().is_some_and(Value::is_object) {
        return Err(event.err("expected an object"));
    }
    Importer::new(&event)?.run(&event)
}

/// One attribute as read, before it becomes STIX.
struct Attribute<'a> {
    at: At<'a>,
    uuid: Uuid,
    ty: &'a str,
    value: String,
    category: Option<&'a str>,
    to_ids: bool,
    comment: &'a str,
    labels: Vec<String>,
    tlp: Tlp,
    time: DateTime<Utc>,
}

struct Importer {
    uuid: Uuid,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    tlp: Tlp,
    community: Option<String>,
    identity: Value,
    objects: Vec<Value>,
    warnings: Vec<String>,
}

impl Importer {
    fn new(event: &At) -> Result<Importer> {
        let info = event.get("info").str()?;
        let date = event.get("date");
        let date = date
            .opt_str()?
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| date.err(format!("not a date (YYYY-MM-DD): {d:?}")))
            })
            .transpose()?;
        let timestamp = time(&event.get("timestamp"))?;
        let (created, modified) = match (date, timestamp) {
            (Some(d), t) => {
                let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
                (midnight, t.unwrap_or(midnight).max(midnight))
            }
            (None, Some(t)) => (t, t),
            (None, None) => return Err(event.get("date").err("missing (and no timestamp)")),
        };
        let uuid = match event.get("uuid").opt_uuid()? {
            Some(u) => u,
            None => derived_uuid(&format!("event:{info}:{created}")),
        };
        let mut warnings = Vec::new();
        let (tlp, community) = event_handling(event, &mut warnings)?;
        let identity = identity(event, created)?;
        Ok(Importer {
            uuid,
            created,
            modified,
            tlp,
            community,
            identity,
            objects: Vec::new(),
            warnings,
        })
    }

    fn run(mut self, event: &At) -> Result<Imported> {
        // A MISP export asked for deleted data marks it `deleted`: it is not intelligence.
        for a in event.get("Attribute").items()? {
            if !deleted(&a)? {
                let attribute = self.attribute(&a)?;
                self.standalone(attribute)?;
            }
        }
        for o in event.get("Object").items()? {
            if !deleted(&o)? {
                self.object(&o)?;
            }
        }
        let mut labels = non_tlp_tags(event)?;
        for g in event.get("Galaxy").items()? {
            self.galaxy(&g, &mut labels)?;
        }
        let mut seen = std::collections::HashSet::new();
        let warnings = &mut self.warnings;
        self.objects.retain(|o| {
            let fresh = seen.insert(o["id"].clone());
            if !fresh {
                let id = o["id"].as_str().unwrap_or_default();
                warnings.push(format!(
                    "{id}: the same uuid appears twice; the first is kept"
                ));
            }
            fresh
        });
        let mut report = self.sdo(
            "report",
            self.uuid,
            self.created,
            self.modified,
            self.tlp,
            labels,
        );
        report.insert("name".into(), json!(event.get("info").str()?));
        report.insert("published".into(), json!(stix_time(self.created)));
        report.insert("report_types".into(), json!(["threat-report"]));
        let refs: Vec<&Value> = std::iter::once(&self.identity["id"])
            .chain(self.objects.iter().map(|o| &o["id"]))
            .collect();
        report.insert("object_refs".into(), json!(refs));
        for (key, range) in [("threat_level_id", 1..=4), ("analysis", 0..=2)] {
            let at = event.get(key);
            match at.opt_int()? {
                Some(n) if range.contains(&n) => {
                    report.insert(format!("x_misp_{key}"), json!(n));
                }
                Some(n) => return Err(at.err(format!("{n} is not in {range:?}"))),
                None => {}
            }
        }
        let objects = [self.identity, Value::Object(report)]
            .into_iter()
            .chain(self.objects)
            .collect();
        Ok(Imported {
            objects,
            handling: Handling {
                tlp: self.tlp,
                community: self.community,
            },
            warnings: self.warnings,
        })
    }

    /// The properties every object made from the event has.
    fn sdo(
        &self,
        ty: &str,
        uuid: Uuid,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
        tlp: Tlp,
        labels: Vec<String>,
    ) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(format!("{ty}--{uuid}")));
        m.insert("created".into(), json!(stix_time(created)));
        m.insert("modified".into(), json!(stix_time(modified.max(created))));
        if ty != "attack-pattern" {
            m.insert("created_by_ref".into(), self.identity["id"].clone());
        }
        m.insert("object_marking_refs".into(), json!([tlp.stix_marking_id()]));
        if !labels.is_empty() {
            m.insert("labels".into(), json!(labels));
        }
        m
    }

    fn attribute<'a>(&self, at: &At<'a>) -> Result<Attribute<'a>> {
        let ty = at.get("type").str()?;
        let v = at.get("value");
        let value = match v.present() {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(v.err("expected a string")),
            None => return Err(v.err("missing")),
        };
        let uuid = match at.get("uuid").opt_uuid()? {
            Some(u) => u,
            None => derived_uuid(&format!("{}/{}", self.uuid, at.path)),
        };
        let (labels, tlp) = self.marking(at)?;
        Ok(Attribute {
            uuid,
            ty,
            value,
            category: at.get("category").opt_str()?,
            to_ids: at.get("to_ids").opt_bool()?.unwrap_or(false),
            comment: at.get("comment").opt_str()?.unwrap_or_default(),
            labels,
            tlp,
            time: time(&at.get("timestamp"))?.unwrap_or(self.modified),
            at: at.clone(),
        })
    }

    /// The non-TLP tags of an attribute or object and its marking: never less
    /// restricted than the event, restricted further by its own TLP tag or
    /// distribution.
    fn marking(&self, at: &At) -> Result<(Vec<String>, Tlp)> {
        let mut tlp = self.tlp;
        let mut labels = Vec::new();
        for tag in at.get("Tag").tag_names()? {
            match tlp_of_tag(&tag) {
                Some(t) => tlp = tlp.max(t),
                None => labels.push(tag),
            }
        }
        let d = at.get("distribution");
        match d.opt_int()? {
            None | Some(5) => {}
            Some(n) => {
                tlp =
                    tlp.max(tlp_of_distribution(n).ok_or_else(|| {
                        d.err(format!("{n} is not a distribution level (0 to 5)"))
                    })?)
            }
        }
        Ok((labels, tlp))
    }

    fn standalone(&mut self, a: Attribute) -> Result<()> {
        let rule = RULE_TYPES
            .iter()
            .find(|(t, _, _)| *t == a.ty)
            .filter(|_| a.to_ids);
        let mut scos = Vec::new();
        let mut o = if let Some((_, pattern_type, _)) = rule {
            let mut o = self.indicator(&a);
            o.insert("pattern".into(), json!(a.value));
            o.insert("pattern_type".into(), json!(pattern_type));
            o
        } else if let Some(ty) = misp_type(a.ty) {
            let terms = observable::terms(ty, &a.value).map_err(|e| a.at.get("value").err(e))?;
            if a.to_ids {
                let mut o = self.indicator(&a);
                o.insert("pattern".into(), json!(observable::pattern(&terms)));
                o.insert("pattern_type".into(), json!("stix"));
                o.insert("pattern_version".into(), json!("2.1"));
                o
            } else {
                scos = observable::scos(&terms, a.uuid);
                let mut o = self.observed(&a, &scos);
                if !a.comment.is_empty() {
                    o.insert("x_misp_comment".into(), json!(a.comment));
                }
                o
            }
        } else {
            self.warnings.push(format!(
                "{}: attribute type {:?} has no STIX 2.1 form; kept as an x-misp-attribute custom object",
                a.at.path, a.ty
            ));
            let mut o = self.sdo(
                "x-misp-attribute",
                a.uuid,
                a.time,
                a.time,
                a.tlp,
                a.labels.clone(),
            );
            o.insert("x_misp_value".into(), json!(a.value));
            o.insert("x_misp_to_ids".into(), json!(a.to_ids));
            if !a.comment.is_empty() {
                o.insert("x_misp_comment".into(), json!(a.comment));
            }
            o
        };
        o.insert("x_misp_type".into(), json!(a.ty));
        if let Some(c) = a.category {
            o.insert("x_misp_category".into(), json!(c));
        }
        self.objects.push(Value::Object(o));
        self.objects.extend(scos);
        Ok(())
    }

    fn indicator(&self, a: &Attribute) -> Map<String, Value> {
        let mut o = self.sdo("indicator", a.uuid, a.time, a.time, a.tlp, a.labels.clone());
        o.insert("name".into(), json!(a.value));
        if !a.comment.is_empty() {
            o.insert("description".into(), json!(a.comment));
        }
        o.insert("indicator_types".into(), json!(["malicious-activity"]));
        o.insert("valid_from".into(), json!(stix_time(a.time)));
        o
    }

    fn observed(&self, a: &Attribute, scos: &[Value]) -> Map<String, Value> {
        let mut o = self.sdo(
            "observed-data",
            a.uuid,
            a.time,
            a.time,
            a.tlp,
            a.labels.clone(),
        );
        o.insert("first_observed".into(), json!(stix_time(a.time)));
        o.insert("last_observed".into(), json!(stix_time(a.time)));
        o.insert("number_observed".into(), json!(1));
        o.insert(
            "object_refs".into(),
            json!(scos.iter().map(|s| &s["id"]).collect::<Vec<_>>()),
        );
        o
    }

    /// A MISP object: its mapped attributes make one indicator (if any is
    /// `to_ids`) or one observed-data; `x_misp_attributes` keeps what MISP
    /// knows of each attribute, and the attributes STIX has no property for.
    fn object(&mut self, at: &At) -> Result<()> {
        let name = at.get("name").str()?;
        let uuid = match at.get("uuid").opt_uuid()? {
            Some(u) => u,
            None => derived_uuid(&format!("{}/{}", self.uuid, at.path)),
        };
        let (_, mut tlp) = self.marking(at)?;
        let time = time(&at.get("timestamp"))?.unwrap_or(self.modified);
        let (mut terms, mut meta, mut to_ids) = (Vec::new(), Vec::new(), false);
        for a in at.get("Attribute").items()? {
            if deleted(&a)? {
                continue;
            }
            let relation = a.get("object_relation").str()?;
            let a = self.attribute(&a)?;
            if let Some(ty) = misp_type(a.ty) {
                terms
                    .extend(observable::terms(ty, &a.value).map_err(|e| a.at.get("value").err(e))?);
                to_ids |= a.to_ids;
            }
            tlp = tlp.max(a.tlp);
            let mut m = json!({
                "uuid": a.uuid.to_string(), "object_relation": relation, "type": a.ty,
                "category": a.category.or(misp_type(a.ty).map(|t| t.category)).unwrap_or("Other"),
                "value": a.value, "to_ids": a.to_ids,
            });
            if !a.comment.is_empty() {
                m["comment"] = json!(a.comment);
            }
            if !a.labels.is_empty() {
                m["labels"] = json!(a.labels);
            }
            meta.push(m);
        }
        let terms = observable::in_object(name, terms);
        let comment = at.get("comment").opt_str()?.unwrap_or_default();
        let kind = match (terms.is_empty(), to_ids) {
            (true, _) => {
                self.warnings.push(format!(
                    "{}: no attribute of object {name:?} has a STIX 2.1 form; kept as an x-misp-object custom object",
                    at.path
                ));
                "x-misp-object"
            }
            (false, true) => "indicator",
            (false, false) => "observed-data",
        };
        let mut o = self.sdo(kind, uuid, time, time, tlp, Vec::new());
        let mut scos = Vec::new();
        match kind {
            "indicator" => {
                o.insert("name".into(), json!(name));
                if !comment.is_empty() {
                    o.insert("description".into(), json!(comment));
                }
                o.insert("indicator_types".into(), json!(["malicious-activity"]));
                o.insert("pattern".into(), json!(observable::pattern(&terms)));
                o.insert("pattern_type".into(), json!("stix"));
                o.insert("pattern_version".into(), json!("2.1"));
                o.insert("valid_from".into(), json!(stix_time(time)));
            }
            _ => {
                if kind == "observed-data" {
                    scos = observable::scos(&terms, uuid);
                    o.insert("first_observed".into(), json!(stix_time(time)));
                    o.insert("last_observed".into(), json!(stix_time(time)));
                    o.insert("number_observed".into(), json!(1));
                    o.insert(
                        "object_refs".into(),
                        json!(scos.iter().map(|s| &s["id"]).collect::<Vec<_>>()),
                    );
                }
                if !comment.is_empty() {
                    o.insert("x_misp_comment".into(), json!(comment));
                }
            }
        }
        o.insert("x_misp_object_name".into(), json!(name));
        if let Some(c) = at.get("meta-category").opt_str()? {
            o.insert("x_misp_meta_category".into(), json!(c));
        }
        if let Some(t) = at.get("template_uuid").opt_uuid()? {
            o.insert("x_misp_template_uuid".into(), json!(t.to_string()));
        }
        if let Some(v) = at.get("template_version").opt_int()? {
            o.insert("x_misp_template_version".into(), json!(v));
        }
        o.insert("x_misp_attributes".into(), json!(meta));
        self.objects.push(Value::Object(o));
        self.objects.extend(scos);
        Ok(())
    }

    /// Galaxy clusters: their tags are labels of the report (MISP usually lists
    /// them among the event tags already); ATT&CK techniques also become
    /// `attack-pattern` objects, which other STIX tools understand.
    fn galaxy(&mut self, g: &At, labels: &mut Vec<String>) -> Result<()> {
        let galaxy_type = g.get("type").opt_str()?;
        for c in g.get("GalaxyCluster").items()? {
            if let Some(tag) = c.get("tag_name").opt_str()? {
                if !labels.iter().any(|l| l == tag) {
                    labels.push(tag.to_owned());
                }
            }
            if c.get("type").opt_str()?.or(galaxy_type) != Some("mitre-attack-pattern") {
                continue;
            }
            let value = c.get("value").str()?;
            let meta = c.get("meta");
            let external_id = meta_list(&meta.get("external_id"))?
                .into_iter()
                .find(|id| is_attack_id(id))
                .or_else(|| {
                    value
                        .rsplit_once(" - ")
                        .map(|(_, id)| id.to_owned())
                        .filter(|id| is_attack_id(id))
                });
            let Some(external_id) = external_id else {
                self.warnings.push(format!(
                    "{}: no ATT&CK id (T1234) in the cluster; kept as a label only",
                    c.path
                ));
                continue;
            };
            let uuid = match c.get("uuid").opt_uuid()? {
                Some(u) => u,
                None => derived_uuid(&format!("attack-pattern:{external_id}")),
            };
            let url = meta_list(&meta.get("refs"))?
                .into_iter()
                .find(|r| r.starts_with("https://attack.mitre.org/"))
                .unwrap_or_else(|| {
                    format!(
                        "https://attack.mitre.org/techniques/{}",
                        external_id.replace('.', "/")
                    )
                });
            let name = value
                .strip_suffix(&format!(" - {external_id}"))
                .unwrap_or(value);
            let mut o = self.sdo(
                "attack-pattern",
                uuid,
                self.created,
                self.modified,
                self.tlp,
                Vec::new(),
            );
            o.insert("name".into(), json!(name));
            if let Some(d) = c.get("description").opt_str()? {
                o.insert("description".into(), json!(d));
            }
            o.insert(
                "external_references".into(),
                json!([{"source_name": "mitre-attack", "external_id": external_id, "url": url}]),
            );
            let phases: Vec<Value> = meta_list(&meta.get("kill_chain"))?
                .iter()
                .filter_map(|k| k.split_once(':'))
                .map(|(chain, phase)| json!({"kill_chain_name": chain, "phase_name": phase}))
                .collect();
            if !phases.is_empty() {
                o.insert("kill_chain_phases".into(), json!(phases));
            }
            self.objects.push(Value::Object(o));
        }
        Ok(())
    }
}

/// The TLP and community of the event: a TLP tag decides, else the
/// distribution. A sharing group without a name is an error rather than a
/// guess, since sharing "in the community" would reach further than it.
fn event_handling(event: &At, warnings: &mut Vec<String>) -> Result<(Tlp, Option<String>)> {
    let tags: Vec<Tlp> = event
        .get("Tag")
        .tag_names()?
        .iter()
        .filter_map(|t| tlp_of_tag(t))
        .collect();
    let most = tags.iter().max().copied();
    if tags.iter().any(|t| Some(*t) != most) {
        warnings.push(format!(
            "{}: several TLP tags; the most restrictive, {}, applies",
            event.get("Tag").path,
            most.unwrap_or(Tlp::Red)
        ));
    }
    let d = event.get("distribution");
    let distribution = d.opt_int()?;
    let community = match distribution {
        Some(4) => Some(event.get("SharingGroup").get("name").str()?.to_owned()),
        Some(5) => return Err(d.err("5 (inherit) is only valid on attributes and objects")),
        Some(n) if !(0..=3).contains(&n) => {
            return Err(d.err(format!("{n} is not a distribution level (0 to 4)")))
        }
        _ => None,
    };
    let tlp = match (most, distribution) {
        (Some(t), _) => t,
        (None, Some(n)) => tlp_of_distribution(n).unwrap_or(Tlp::AmberStrict),
        (None, None) => {
            warnings.push(format!(
                "{}: no TLP tag and no distribution; handled as TLP:AMBER+STRICT",
                d.path
            ));
            Tlp::AmberStrict
        }
    };
    Ok((tlp, community))
}

/// The creating organisation (`Orgc`, else the owner `Org`) as an identity.
fn identity(event: &At, created: DateTime<Utc>) -> Result<Value> {
    let org = match event.get("Orgc").present() {
        Some(_) => event.get("Orgc"),
        None if event.get("Org").present().is_some() => event.get("Org"),
        None => event.get("Orgc"),
    };
    let name = org.get("name").str()?;
    let uuid = org
        .get("uuid")
        .opt_uuid()?
        .unwrap_or_else(|| derived_uuid(name));
    Ok(json!({
        "type": "identity", "spec_version": "2.1", "id": format!("identity--{uuid}"),
        "created": stix_time(created), "modified": stix_time(created),
        "name": name, "identity_class": "organization",
    }))
}

fn non_tlp_tags(event: &At) -> Result<Vec<String>> {
    Ok(event
        .get("Tag")
        .tag_names()?
        .into_iter()
        .filter(|t| tlp_of_tag(t).is_none())
        .collect())
}

fn deleted(at: &At) -> Result<bool> {
    Ok(at.get("deleted").opt_bool()?.unwrap_or(false))
}

/// A MISP timestamp: seconds since the epoch, as a number or a string.
fn time(at: &At) -> Result<Option<DateTime<Utc>>> {
    at.opt_int()?
        .map(|s| {
            DateTime::from_timestamp(s, 0).ok_or_else(|| at.err(format!("{s} is not a timestamp")))
        })
        .transpose()
}

/// A galaxy `meta` entry: MISP writes one value as a string, several as a list.
fn meta_list(at: &At) -> Result<Vec<String>> {
    match at.present() {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        _ => at.strings(),
    }
}

fn is_attack_id(id: &str) -> bool {
    let digits = |s: &str| s.len() >= 3 && s.bytes().all(|b| b.is_ascii_digit());
    id.strip_prefix('T')
        .is_some_and(|rest| match rest.split_once('.') {
            Some((a, b)) => digits(a) && digits(b),
            None => digits(rest),
        })
}
