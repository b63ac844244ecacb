//! STIX 2.1 objects → MISP event.
//!
//! Values come from the STIX (patterns and SCOs), so an edited indicator
//! exports as edited; the `x_misp_*` properties only fill in what STIX has no
//! word for (which MISP type, category, object relation). Objects MISP has no
//! form for are skipped with a warning.

use super::json::At;
use super::observable::{self, misp_type, Term, RULE_TYPES, TYPES};
use super::{derived_uuid, tlp_tag, Handling, MispError};
use chrono::{DateTime, Utc};
use sakimori_core::tlp::Tlp;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

type Result<T> = std::result::Result<T, MispError>;

/// A MISP event (`{"Event": {...}}`) and what it could not carry.
#[derive(Debug, Clone)]
pub struct Exported {
    pub event: Value,
    pub warnings: Vec<String>,
}

/// Exports STIX 2.1 objects as a MISP event shared under `handling`, on behalf
/// of `org_name` (the event's `Org`; its `Orgc` is the report's creator if
/// the objects include that identity).
pub fn export_event(objects: &[Value], handling: &Handling, org_name: &str) -> Result<Value> {
    export_event_with_warnings(objects, handling, org_name).map(|e| e.event)
}

/// [`export_event`], also saying what was skipped or approximated.
pub fn export_event_with_warnings(
    objects: &[Value],
    handling: &Handling,
    org_name: &str,
) -> Result<Exported> {
    let org_name = org_name.trim();
    if org_name.is_empty() {
        return Err(MispError {
            path: "org_name".into(),
            problem: "empty".into(),
        });
    }
    if handling
        .community
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err(MispError {
            path: "handling.community".into(),
            problem: "empty".into(),
        });
    }
    let mut ex = Exporter::new(objects, handling)?;
    let event = ex.event(org_name)?;
    Ok(Exported {
        event: json!({ "Event": event }),
        warnings: ex.warnings,
    })
}

/// The STIX 2.1 cyber-observable types (SCOs have no `created`).
const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// The TLP 1.0 marking definitions of STIX 2.1, read as their TLP 2.0 counterparts.
const TLP_1_0: &[(&str, Tlp)] = &[
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];

struct Exporter<'a> {
    objects: Vec<At<'a>>,
    by_id: HashMap<&'a str, &'a Value>,
    handling: &'a Handling,
    /// The event's time, for what has none of its own (SCOs).
    time: DateTime<Utc>,
    warnings: Vec<String>,
}

/// One MISP attribute on its way out.
struct Attr {
    uuid: String,
    ty: String,
    category: String,
    value: String,
    to_ids: bool,
    comment: String,
    timestamp: i64,
    /// Labels, without the TLP.
    tags: Vec<String>,
    /// A TLP stricter than the event's.
    restriction: Option<Tlp>,
    relation: Option<String>,
}

impl<'a> Exporter<'a> {
    fn new(objects: &'a [Value], handling: &'a Handling) -> Result<Self> {
        let mut by_id = HashMap::new();
        let mut list = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            let at = At::root(o, &format!("objects[{i}]"));
            if !o.is_object() {
                return Err(at.err("expected a STIX object"));
            }
            let ty = at.get("type").str()?;
            let id = at.get("id").str()?;
            let uuid_ok = id
                .strip_prefix(ty)
                .and_then(|r| r.strip_prefix("--"))
                .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
            if !uuid_ok {
                return Err(at.get("id").err(format!("not a STIX id of a {ty}: {id:?}")));
            }
            by_id.insert(id, o);
            list.push(at);
        }
        Ok(Exporter {
            objects: list,
            by_id,
            handling,
            time: DateTime::UNIX_EPOCH,
            warnings: Vec::new(),
        })
    }

    fn event(&mut self, org_name: &str) -> Result<Map<String, Value>> {
        let reports: Vec<At<'a>> = self
            .objects
            .iter()
            .filter(|o| type_of(o) == "report")
            .cloned()
            .collect();
        for extra in reports.iter().skip(1) {
            self.warnings.push(format!(
                "{}: only the first report becomes the event; skipped",
                extra.path
            ));
        }
        let report = reports.first();
        // Observables owned by an observed-data (and addresses other SCOs refer to) go with it.
        let mut owned: HashSet<&str> = HashSet::new();
        for o in &self.objects {
            let v = o.present().unwrap_or(&Value::Null);
            let refs = ["object_refs", "resolves_to_refs"]
                .iter()
                .flat_map(|k| v[*k].as_array().into_iter().flatten());
            let single = ["src_ref", "dst_ref"].iter().map(|k| &v[*k]);
            if type_of(o) == "observed-data" || SCO_TYPES.contains(&type_of(o)) {
                owned.extend(refs.chain(single).filter_map(Value::as_str));
            }
        }
        let (info, uuid, date, modified) = match report {
            Some(r) => {
                let modified = modified_of(r)?.ok_or_else(|| r.get("modified").err("missing"))?;
                let published = stix_time(&r.get("published"))?.unwrap_or(modified);
                (
                    r.get("name").str()?.to_owned(),
                    uuid_of(r)?,
                    published,
                    modified,
                )
            }
            None => {
                self.warnings.push(
                    "no report among the objects: the event info and date are made up".into(),
                );
                let times: Vec<_> = self
                    .objects
                    .iter()
                    .map(modified_of)
                    .collect::<Result<_>>()?;
                let latest = times.into_iter().flatten().max().unwrap_or_else(Utc::now);
                let mut ids: Vec<&str> = self.by_id.keys().copied().collect();
                ids.sort_unstable();
                (
                    "Sakimori export".to_owned(),
                    derived_uuid(&ids.join(",")).to_string(),
                    latest,
                    latest,
                )
            }
        };
        self.time = modified;
        let (mut attributes, mut objects, mut clusters) = (Vec::new(), Vec::new(), Vec::new());
        for o in self.objects.clone() {
            let ty = type_of(&o);
            let is_object = o.get("x_misp_object_name").present().is_some();
            match ty {
                "report" | "identity" | "marking-definition" => {}
                "indicator" | "observed-data" | "x-misp-object" if is_object => {
                    objects.push(self.object(&o)?)
                }
                "indicator" => attributes.extend(self.indicator(&o)?),
                "observed-data" => attributes.extend(self.observed(&o)?),
                "x-misp-attribute" => attributes.push(self.custom_attribute(&o)?),
                "attack-pattern" => clusters.extend(self.cluster(&o)?),
                _ if SCO_TYPES.contains(&ty) => {
                    let id = o.get("id").str()?;
                    if !owned.contains(id) {
                        attributes.extend(self.observables(&o, &[id], None, String::new())?);
                    }
                }
                _ => self
                    .warnings
                    .push(format!("{}: a {ty} has no MISP form; skipped", o.path)),
            }
        }
        let mut event = Map::new();
        let orgc = report
            .and_then(|r| r.get("created_by_ref").opt_str().ok().flatten())
            .and_then(|id| self.by_id.get(id))
            .and_then(|i| {
                Some((
                    i["name"].as_str()?,
                    i["id"].as_str()?.strip_prefix("identity--")?.to_owned(),
                ))
            });
        let org = json!({ "name": org_name, "uuid": derived_uuid(org_name).to_string() });
        event.insert("uuid".into(), json!(uuid));
        event.insert("info".into(), json!(info));
        event.insert("date".into(), json!(date.format("%Y-%m-%d").to_string()));
        event.insert("timestamp".into(), json!(modified.timestamp().to_string()));
        event.insert("published".into(), json!(false));
        for (key, default) in [("threat_level_id", 4), ("analysis", 0)] {
            let n = match report {
                Some(r) => r
                    .get(&format!("x_misp_{key}"))
                    .opt_int()?
                    .unwrap_or(default),
                None => default,
            };
            event.insert(key.into(), json!(n.to_string()));
        }
        let (distribution, tags) = self.event_handling();
        event.insert("distribution".into(), json!(distribution.to_string()));
        if distribution == 4 {
            let name = self.handling.community.as_deref().unwrap_or_default();
            event.insert(
                "SharingGroup".into(),
                json!({ "name": name, "uuid": derived_uuid(name).to_string() }),
            );
        }
        event.insert(
            "Orgc".into(),
            match orgc {
                Some((name, uuid)) => json!({ "name": name, "uuid": uuid }),
                None => org.clone(),
            },
        );
        event.insert("Org".into(), org);
        let mut tags = tags;
        if let Some(r) = report {
            for label in r.get("labels").strings()? {
                if super::tlp_of_tag(&label).is_some() {
                    self.warnings.push(format!(
                        "{}: label {label:?} is a TLP tag; the handling decides the TLP",
                        r.path
                    ));
                } else if !tags.contains(&label) {
                    tags.push(label);
                }
            }
        }
        for c in &clusters {
            if let Some(tag) = c["tag_name"]
                .as_str()
                .filter(|t| !tags.iter().any(|x| x == t))
            {
                tags.push(tag.to_owned());
            }
        }
        event.insert("Tag".into(), tag_list(&tags));
        event.insert(
            "Attribute".into(),
            json!(attributes
                .into_iter()
                .map(attribute_json)
                .collect::<Vec<_>>()),
        );
        event.insert("Object".into(), json!(objects));
        if !clusters.is_empty() {
            event.insert(
                "Galaxy".into(),
                json!([{
                    "uuid": "c4e851fa-775f-11e7-8163-b774922098cd",
                    "name": "Attack Pattern",
                    "type": "mitre-attack-pattern",
                    "namespace": "mitre-attack",
                    "description": "ATT&CK Tactic",
                    "GalaxyCluster": clusters,
                }]),
            );
        }
        Ok(event)
    }

    /// The event's distribution and TLP tag: TLP:CLEAR → 3 (all communities),
    /// GREEN → 1 (this community) or 4 (the sharing group of the community),
    /// AMBER, AMBER+STRICT and RED → 0 (this organisation only).
    fn event_handling(&mut self) -> (u8, Vec<String>) {
        let h = self.handling;
        let distribution = match (h.tlp, &h.community) {
            (Tlp::Green, Some(_)) => 4,
            (t, c) => {
                if c.is_some() && t != Tlp::Clear {
                    self.warnings.push(format!(
                        "MISP has no sharing group for {t}: exported to this organisation only, without the community"
                    ));
                }
                distribution_of(t)
            }
        };
        (distribution, vec![tlp_tag(h.tlp)])
    }

    /// When the object last changed; the event's time for SCOs, which do not say.
    fn modified(&self, o: &At) -> Result<DateTime<Utc>> {
        Ok(modified_of(o)?.unwrap_or(self.time))
    }

    /// The restriction an object adds to the event's: its TLP when stricter.
    fn restriction(&self, o: &At) -> Result<Option<Tlp>> {
        let marked = o
            .get("object_marking_refs")
            .strings()?
            .iter()
            .filter_map(|m| marking_tlp(m))
            .max();
        Ok(marked.filter(|t| *t > self.handling.tlp))
    }

    fn indicator(&mut self, o: &At) -> Result<Option<Attr>> {
        let pattern = o.get("pattern").str()?;
        let pattern_type = o.get("pattern_type").opt_str()?.unwrap_or("stix");
        let hint = o.get("x_misp_type").opt_str()?;
        let (ty, value) = if let Some((ty, _, _)) = RULE_TYPES
            .iter()
            .find(|(_, p, _)| *p == pattern_type && *p != "stix")
        {
            (ty.to_string(), pattern.to_owned())
        } else if pattern_type != "stix" {
            self.warnings.push(format!(
                "{}: pattern type {pattern_type:?} has no MISP type; skipped",
                o.path
            ));
            return Ok(None);
        } else {
            match observable::parse_pattern(pattern)
                .and_then(|t| observable::attribute_of(&t, hint))
            {
                Some((ty, value)) => (ty.to_owned(), value),
                None => {
                    if hint != Some("stix2-pattern") {
                        self.warnings.push(format!(
                            "{}: the pattern is not one MISP attribute; exported as a stix2-pattern attribute",
                            o.path
                        ));
                    }
                    ("stix2-pattern".to_owned(), pattern.to_owned())
                }
            }
        };
        let comment = o
            .get("description")
            .opt_str()?
            .unwrap_or_default()
            .to_owned();
        Ok(Some(self.attr(o, ty, value, true, comment)?))
    }

    fn observed(&mut self, o: &At) -> Result<Vec<Attr>> {
        let refs = o.get("object_refs").strings()?;
        if refs.is_empty() {
            self.warnings.push(format!(
                "{}: no object_refs (STIX 2.0 style?); skipped",
                o.path
            ));
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = refs.iter().map(String::as_str).collect();
        let hint = o.get("x_misp_type").opt_str()?;
        let comment = o
            .get("x_misp_comment")
            .opt_str()?
            .unwrap_or_default()
            .to_owned();
        self.observables(o, &ids, hint, comment)
    }

    /// The attributes (`to_ids` false) the SCOs `ids` make: one if a MISP type
    /// covers them all, else as many as it takes.
    fn observables(
        &mut self,
        o: &At,
        ids: &[&str],
        hint: Option<&str>,
        comment: String,
    ) -> Result<Vec<Attr>> {
        let mut notes = Vec::new();
        let by_id = &self.by_id;
        let terms = observable::terms_of_scos(ids, |id| by_id.get(id).copied(), &mut notes);
        self.warnings
            .extend(notes.into_iter().map(|n| format!("{}: {n}", o.path)));
        let values = match observable::attribute_of(&terms, hint) {
            Some(one) => vec![one],
            None => self.split(o, terms),
        };
        let mut out = Vec::new();
        for (n, (ty, value)) in values.into_iter().enumerate() {
            let mut a = self.attr(o, ty.to_owned(), value, false, comment.clone())?;
            if n > 0 {
                a.uuid = derived_uuid(&format!("{}/{n}", a.uuid)).to_string();
            }
            out.push(a);
        }
        Ok(out)
    }

    /// Attributes for terms no single MISP type covers, first type first.
    fn split(&mut self, o: &At, mut pool: Vec<Term>) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        while !pool.is_empty() {
            let Some((ty, (used, value))) = TYPES
                .iter()
                .find_map(|t| Some((t, observable::take(t, &pool)?)))
            else {
                let values: Vec<&str> = pool.iter().map(|t| t.value.as_str()).collect();
                self.warnings.push(format!(
                    "{}: {values:?} make no MISP attribute; skipped",
                    o.path
                ));
                break;
            };
            out.push((ty.name, value));
            pool = pool
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(_, t)| t)
                .collect();
        }
        out
    }

    fn custom_attribute(&self, o: &At) -> Result<Attr> {
        let ty = o.get("x_misp_type").str()?.to_owned();
        let value = o.get("x_misp_value").str()?.to_owned();
        let to_ids = o.get("x_misp_to_ids").opt_bool()?.unwrap_or(false);
        let comment = o
            .get("x_misp_comment")
            .opt_str()?
            .unwrap_or_default()
            .to_owned();
        self.attr(o, ty, value, to_ids, comment)
    }

    /// An attribute with what the STIX object says of it: uuid, time, tags.
    fn attr(
        &self,
        o: &At,
        ty: String,
        value: String,
        to_ids: bool,
        comment: String,
    ) -> Result<Attr> {
        let category = match o.get("x_misp_category").opt_str()? {
            Some(c) => c.to_owned(),
            None => default_category(&ty).to_owned(),
        };
        Ok(Attr {
            restriction: self.restriction(o)?,
            tags: o.get("labels").strings()?,
            uuid: uuid_of(o)?,
            ty,
            category,
            value,
            to_ids,
            comment,
            timestamp: self.modified(o)?.timestamp(),
            relation: None,
        })
    }

    /// A MISP object from an indicator, observed-data or x-misp-object with
    /// `x_misp_object_name`. Each attribute recorded in `x_misp_attributes`
    /// whose value is still in the STIX comes back with its relation, category
    /// and `to_ids`; values STIX gained since come back with defaults.
    fn object(&mut self, o: &At) -> Result<Value> {
        let name = o.get("x_misp_object_name").str()?;
        let is_indicator = type_of(o) == "indicator";
        let pool = match type_of(o) {
            "indicator" => {
                let pattern = o.get("pattern").str()?;
                observable::parse_pattern(pattern).unwrap_or_else(|| {
                    self.warnings.push(format!(
                        "{}: the pattern is not readable as MISP values; using x_misp_attributes",
                        o.path
                    ));
                    Vec::new()
                })
            }
            "observed-data" => {
                let refs = o.get("object_refs").strings()?;
                let ids: Vec<&str> = refs.iter().map(String::as_str).collect();
                let mut notes = Vec::new();
                let by_id = &self.by_id;
                let terms =
                    observable::terms_of_scos(&ids, |id| by_id.get(id).copied(), &mut notes);
                self.warnings
                    .extend(notes.into_iter().map(|n| format!("{}: {n}", o.path)));
                terms
            }
            _ => Vec::new(),
        };
        let restriction = self.restriction(o)?;
        let timestamp = self.modified(o)?.timestamp();
        let mut pool = observable::out_of_object(name, pool);
        let from_stix = !pool.is_empty();
        let mut attributes = Vec::new();
        for m in o.get("x_misp_attributes").items()? {
            let ty = m.get("type").str()?;
            let value = m.get("value").str()?;
            if let Some(mapped) = misp_type(ty).filter(|_| from_stix) {
                let wanted = observable::terms(mapped, value).unwrap_or_default();
                if wanted.is_empty() || !consume(&mut pool, &wanted) {
                    self.warnings.push(format!(
                        "{}: {ty} {value:?} is no longer in the STIX object; dropped",
                        m.path
                    ));
                    continue;
                }
            }
            attributes.push(Attr {
                uuid: match m.get("uuid").opt_uuid()? {
                    Some(u) => u.to_string(),
                    None => derived_uuid(&format!("{}/{}", o.path, m.path)).to_string(),
                },
                ty: ty.to_owned(),
                category: m
                    .get("category")
                    .opt_str()?
                    .unwrap_or(default_category(ty))
                    .to_owned(),
                value: value.to_owned(),
                to_ids: m.get("to_ids").opt_bool()?.unwrap_or(is_indicator),
                comment: m.get("comment").opt_str()?.unwrap_or_default().to_owned(),
                timestamp,
                tags: m.get("labels").strings()?,
                restriction,
                relation: Some(m.get("object_relation").str()?.to_owned()),
            });
        }
        let object_uuid = uuid_of(o)?;
        for (n, (ty, value)) in self.split(o, pool).into_iter().enumerate() {
            attributes.push(Attr {
                uuid: derived_uuid(&format!("{object_uuid}/new/{n}")).to_string(),
                ty: ty.to_owned(),
                category: default_category(ty).to_owned(),
                value,
                to_ids: is_indicator,
                comment: String::new(),
                timestamp,
                tags: Vec::new(),
                restriction,
                relation: Some(ty.to_owned()),
            });
        }
        let mut obj = json!({
            "uuid": object_uuid,
            "name": name,
            "meta-category": o.get("x_misp_meta_category").opt_str()?.unwrap_or("misc"),
            "comment": o.get("x_misp_comment").opt_str()?.or(o.get("description").opt_str()?).unwrap_or_default(),
            "timestamp": timestamp.to_string(),
            "distribution": restriction.map_or(5, distribution_of).to_string(),
            "Attribute": attributes.into_iter().map(attribute_json).collect::<Vec<_>>(),
        });
        if let Some(t) = o.get("x_misp_template_uuid").opt_str()? {
            obj["template_uuid"] = json!(t);
        }
        if let Some(v) = o.get("x_misp_template_version").opt_int()? {
            obj["template_version"] = json!(v.to_string());
        }
        Ok(obj)
    }

    /// An ATT&CK technique as a cluster of MISP's mitre-attack-pattern galaxy.
    fn cluster(&mut self, o: &At) -> Result<Option<Value>> {
        let name = o.get("name").str()?;
        let mut attack = None;
        for r in o.get("external_references").items()? {
            if r.get("source_name").opt_str()? == Some("mitre-attack") {
                if let Some(id) = r.get("external_id").opt_str()? {
                    attack = Some((id, r.get("url").opt_str()?));
                }
            }
        }
        let Some((external_id, url)) = attack else {
            self.warnings.push(format!(
                "{}: an attack-pattern without an ATT&CK id has no MISP galaxy; skipped",
                o.path
            ));
            return Ok(None);
        };
        let value = format!("{name} - {external_id}");
        let mut meta = json!({ "external_id": [external_id] });
        if let Some(url) = url {
            meta["refs"] = json!([url]);
        }
        let phases: Vec<String> = o
            .get("kill_chain_phases")
            .items()?
            .iter()
            .map(|k| {
                Ok(format!(
                    "{}:{}",
                    k.get("kill_chain_name").str()?,
                    k.get("phase_name").str()?
                ))
            })
            .collect::<Result<_>>()?;
        if !phases.is_empty() {
            meta["kill_chain"] = json!(phases);
        }
        let mut cluster = json!({
            "uuid": uuid_of(o)?,
            "type": "mitre-attack-pattern",
            "value": value,
            "tag_name": format!("misp-galaxy:mitre-attack-pattern=\"{value}\""),
            "meta": meta,
        });
        if let Some(d) = o.get("description").opt_str()? {
            cluster["description"] = json!(d);
        }
        Ok(Some(cluster))
    }
}

/// Takes `wanted` out of `pool` if all of it is there.
fn consume(pool: &mut Vec<Term>, wanted: &[Term]) -> bool {
    let mut left = pool.clone();
    for w in wanted {
        match left.iter().position(|t| t == w) {
            Some(i) => left.remove(i),
            None => return false,
        };
    }
    *pool = left;
    true
}

fn attribute_json(a: Attr) -> Value {
    let mut tags = a.tags;
    tags.extend(a.restriction.map(tlp_tag));
    let mut v = json!({
        "uuid": a.uuid,
        "type": a.ty,
        "category": a.category,
        "value": a.value,
        "to_ids": a.to_ids,
        "comment": a.comment,
        "timestamp": a.timestamp.to_string(),
        "distribution": a.restriction.map_or(5, distribution_of).to_string(),
    });
    if !tags.is_empty() {
        v["Tag"] = tag_list(&tags);
    }
    if let Some(r) = a.relation {
        v["object_relation"] = json!(r);
    }
    v
}

fn tag_list(tags: &[String]) -> Value {
    json!(tags
        .iter()
        .map(|t| json!({ "name": t }))
        .collect::<Vec<_>>())
}

/// The MISP distribution of a TLP without a community.
fn distribution_of(tlp: Tlp) -> u8 {
    match tlp {
        Tlp::Clear => 3,
        Tlp::Green => 1,
        Tlp::Amber | Tlp::AmberStrict | Tlp::Red => 0,
    }
}

fn marking_tlp(id: &str) -> Option<Tlp> {
    Tlp::ALL
        .into_iter()
        .find(|t| t.stix_marking_id() == id)
        .or_else(|| TLP_1_0.iter().find(|(m, _)| *m == id).map(|(_, t)| *t))
}

fn default_category(ty: &str) -> &'static str {
    misp_type(ty)
        .map(|t| t.category)
        .or_else(|| {
            RULE_TYPES
                .iter()
                .find(|(t, _, _)| *t == ty)
                .map(|(_, _, c)| *c)
        })
        .unwrap_or("Other")
}

fn type_of<'a>(o: &At<'a>) -> &'a str {
    o.present()
        .and_then(|v| v["type"].as_str())
        .unwrap_or_default()
}

/// The UUID part of the object's STIX id (checked in [`Exporter::new`]).
fn uuid_of(o: &At) -> Result<String> {
    let id = o.get("id").str()?;
    Ok(id
        .rsplit_once("--")
        .map(|(_, u)| u)
        .unwrap_or(id)
        .to_owned())
}

fn stix_time(at: &At) -> Result<Option<DateTime<Utc>>> {
    at.opt_str()?
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| at.err(format!("not a STIX timestamp: {s:?}")))
        })
        .transpose()
}

/// When the object last changed: `modified`, else `created`.
fn modified_of(o: &At) -> Result<Option<DateTime<Utc>>> {
    Ok(stix_time(&o.get("modified"))?.or(stix_time(&o.get("created"))?))
}
