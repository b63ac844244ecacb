//! Registry files: YAML (the canonical form) and CSV (for spreadsheets).
//!
//! Parsing keeps a [`Locator`] from every logical path (`organisations[3].sector`)
//! to the line it came from, so that validation, which runs later on the typed
//! document, can still name the line of the offending field.

use super::{
    Assets, Community, CommunityKind, CommunityRules, Contact, Name, Organisation, RegistryDoc,
    Sector, Subsector,
};
use marked_yaml::types::Node;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The two registry file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Csv,
}

impl Format {
    /// Guess the format from a file name; YAML unless it ends in `.csv`.
    pub fn from_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Yaml
        }
    }
}

/// A problem in a registry file, located by line and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParseError {
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Maps logical paths in a parsed document to source lines.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    lines: HashMap<String, usize>,
}

impl Locator {
    fn set(&mut self, path: String, line: usize) {
        self.lines.entry(path).or_insert(line);
    }

    /// The line of `path`, or of its nearest located ancestor.
    pub fn line(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(l) = self.lines.get(p) {
                return Some(*l);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

/// Parse a registry file in the given format.
pub fn parse(text: &str, format: Format) -> Result<(RegistryDoc, Locator), ParseError> {
    match format {
        Format::Yaml => parse_yaml(text),
        Format::Csv => parse_csv(text),
    }
}

/// Parse the YAML form. Unknown keys, wrong types and bad values are errors.
pub fn parse_yaml(text: &str) -> Result<(RegistryDoc, Locator), ParseError> {
    if text.trim().is_empty() {
        return Ok((RegistryDoc::default(), Locator::default()));
    }
    let mut node = marked_yaml::parse_yaml(0, text).map_err(|e| ParseError {
        line: load_error_line(&e),
        field: None,
        message: format!("invalid YAML: {e}"),
    })?;
    strip_nulls(&mut node);
    let mut locator = Locator::default();
    locate(&node, String::new(), &mut locator);
    let doc: RegistryDoc = marked_yaml::from_node(&node).map_err(|e| ParseError {
        line: e.start_mark().map(|m| m.line()),
        field: e.path().map(str::to_owned),
        message: e.into_inner().to_string(),
    })?;
    Ok((doc, locator))
}

fn load_error_line(e: &marked_yaml::LoadError) -> Option<usize> {
    use marked_yaml::LoadError::*;
    match e {
        TopLevelMustBeMapping(m)
        | TopLevelMustBeSequence(m)
        | UnexpectedAnchor(m)
        | MappingKeyMustBeScalar(m)
        | UnexpectedTag(m)
        | ScanError(m, _) => Some(m.line()),
        DuplicateKey(inner) => inner.key.span().start().map(|m| m.line()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// YAML `null`, `~` and empty values mean "not given": drop them, since the
/// marked loader would otherwise hand them to serde as strings.
fn strip_nulls(node: &mut Node) {
    match node {
        Node::Mapping(map) => {
            map.retain(|_, v| !is_null(v));
            for (_, v) in map.iter_mut() {
                strip_nulls(v);
            }
        }
        Node::Sequence(seq) => seq.iter_mut().for_each(strip_nulls),
        Node::Scalar(_) => {}
    }
}

fn is_null(node: &Node) -> bool {
    matches!(node, Node::Scalar(s) if matches!(s.as_str(), "null" | "~" | "" | "Null" | "NULL"))
}

fn locate(node: &Node, path: String, loc: &mut Locator) {
    if let Some(m) = node.span().start() {
        loc.set(path.clone(), m.line());
    }
    match node {
        Node::Mapping(map) => {
            for (k, v) in map.iter() {
                let child = if path.is_empty() {
                    k.as_str().to_owned()
                } else {
                    format!("{path}.{}", k.as_str())
                };
                if let Some(m) = k.span().start() {
                    loc.set(child.clone(), m.line());
                }
                locate(v, child, loc);
            }
        }
        Node::Sequence(seq) => {
            for (i, v) in seq.iter().enumerate() {
                locate(v, format!("{path}[{i}]"), loc);
            }
        }
        Node::Scalar(_) => {}
    }
}

/// Serialise a registry document as YAML.
pub fn to_yaml(doc: &RegistryDoc) -> String {
    serde_norway::to_string(doc).expect("registry documents always serialise")
}

/// One row of the CSV form. The `record` column says what the row is; see
/// `docs/registry.md` for which columns each record uses.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    record: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_ja: String,
    #[serde(default)]
    short: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    subsector: String,
    #[serde(default)]
    ministry: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    deputy: String,
    #[serde(default)]
    last_verified: String,
    #[serde(default)]
    value: String,
}

const CSV_COLUMNS: &[&str] = &[
    "record",
    "org",
    "id",
    "name_en",
    "name_ja",
    "short",
    "kind",
    "sector",
    "subsector",
    "ministry",
    "parent",
    "tags",
    "role",
    "name",
    "email",
    "phone",
    "deputy",
    "last_verified",
    "value",
];

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn words(s: &str) -> Vec<String> {
    s.split([' ', ';', ','])
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parse the CSV form: a header row, then one row per record.
pub fn parse_csv(text: &str) -> Result<(RegistryDoc, Locator), ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(&e))?.clone();
    for h in headers.iter() {
        if !CSV_COLUMNS.contains(&h) {
            return Err(ParseError {
                line: Some(1),
                field: Some(h.to_owned()),
                message: format!(
                    "unknown column, expected some of: {}",
                    CSV_COLUMNS.join(", ")
                ),
            });
        }
    }
    if !headers.iter().any(|h| h == "record") {
        return Err(ParseError {
            line: Some(1),
            field: Some("record".into()),
            message: "the header must have a `record` column".into(),
        });
    }

    let mut b = CsvBuilder::default();
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(&e))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let row: CsvRow = record.deserialize(Some(&headers)).map_err(|e| ParseError {
            line: Some(line),
            field: None,
            message: format!("invalid CSV row: {e}"),
        })?;
        b.row(row, line)?;
    }
    Ok((b.doc, b.loc))
}

#[derive(Default)]
struct CsvBuilder {
    doc: RegistryDoc,
    loc: Locator,
    orgs: HashMap<String, usize>,
    communities: HashMap<String, usize>,
}

impl CsvBuilder {
    fn row(&mut self, r: CsvRow, line: usize) -> Result<(), ParseError> {
        let err = |field: &str, message: String| ParseError {
            line: Some(line),
            field: Some(field.to_owned()),
            message,
        };
        let name = || Name {
            en: r.name_en.clone(),
            ja: r.name_ja.clone(),
        };
        match r.record.as_str() {
            "sector" => {
                let added = match opt(&r.value) {
                    Some(v) => Some(v.parse().map_err(|e| err("value", format!("invalid date: {e}")))?),
                    None => None,
                };
                self.loc.set(format!("sectors[{}]", self.doc.sectors.len()), line);
                self.doc.sectors.push(Sector {
                    id: r.id.clone(),
                    name: name(),
                    ministry: opt(&r.ministry),
                    added,
                    subsectors: vec![],
                });
            }
            "subsector" => {
                let (i, sector) = self
                    .doc
                    .sectors
                    .iter_mut()
                    .enumerate()
                    .find(|(_, s)| s.id == r.sector)
                    .ok_or_else(|| err("sector", format!("no sector row {:?} above this subsector", r.sector)))?;
                self.loc
                    .set(format!("sectors[{i}].subsectors[{}]", sector.subsectors.len()), line);
                sector.subsectors.push(Subsector { id: r.id.clone(), name: name() });
            }
            "organisation" => {
                let i = self.doc.organisations.len();
                self.loc.set(format!("organisations[{i}]"), line);
                self.orgs.insert(r.id.clone(), i);
                self.doc.organisations.push(Organisation {
                    id: r.id.clone(),
                    name: name(),
                    short: opt(&r.short),
                    kind: r.kind.parse().map_err(|e| err("kind", e))?,
                    sector: opt(&r.sector),
                    subsector: opt(&r.subsector),
                    ministry: opt(&r.ministry),
                    parent: opt(&r.parent),
                    tags: words(&r.tags),
                    contacts: None,
                    assets: None,
                });
            }
            "contact" | "prefix" | "asn" | "domain" | "service" => {
                let i = *self.orgs.get(&r.org).ok_or_else(|| {
                    err("org", format!("no organisation row {:?} above this {} row", r.org, r.record))
                })?;
                let org = &mut self.doc.organisations[i];
                if r.record == "contact" {
                    let contacts = org.contacts.get_or_insert_with(Vec::new);
                    self.loc.set(format!("organisations[{i}].contacts[{}]", contacts.len()), line);
                    let deputy = match r.deputy.to_ascii_lowercase().as_str() {
                        "" | "false" | "no" | "0" => false,
                        "true" | "yes" | "1" => true,
                        other => return Err(err("deputy", format!("expected true or false, got {other:?}"))),
                    };
                    let last_verified = match opt(&r.last_verified) {
                        Some(v) => Some(v.parse().map_err(|e| err("last_verified", format!("invalid date: {e}")))?),
                        None => None,
                    };
                    contacts.push(Contact {
                        role: r.role.parse().map_err(|e| err("role", e))?,
                        name: r.name.clone(),
                        email: r.email.clone(),
                        phone: opt(&r.phone),
                        deputy,
                        last_verified,
                    });
                    return Ok(());
                }
                let assets = org.assets.get_or_insert_with(Assets::default);
                let value = r.value.trim();
                let path = |list: &str, n: usize| format!("organisations[{i}].assets.{list}[{n}]");
                match r.record.as_str() {
                    "prefix" => {
                        self.loc.set(path("prefixes", assets.prefixes.len()), line);
                        assets.prefixes.push(value.parse().map_err(|e| err("value", format!("invalid CIDR prefix {value:?}: {e}")))?);
                    }
                    "asn" => {
                        self.loc.set(path("asns", assets.asns.len()), line);
                        let v = value.trim_start_matches("AS").trim_start_matches("as");
                        assets.asns.push(v.parse().map_err(|e| err("value", format!("invalid AS number {value:?}: {e}")))?);
                    }
                    "domain" => {
                        self.loc.set(path("domains", assets.domains.len()), line);
                        assets.domains.push(value.to_owned());
                    }
                    _ => {
                        self.loc.set(path("services", assets.services.len()), line);
                        assets.services.push(value.to_owned());
                    }
                }
            }
            "community" => {
                let i = self.doc.communities.len();
                self.loc.set(format!("communities[{i}]"), line);
                self.communities.insert(r.id.clone(), i);
                let mut rules = CommunityRules::default();
                for w in words(&r.tags) {
                    match w.as_str() {
                        "members_only" => rules.members_only = true,
                        "confidentiality_notice" => rules.confidentiality_notice = true,
                        "audit_access" => rules.audit_access = true,
                        other => return Err(err("tags", format!("unknown community rule {other:?}, expected members_only, confidentiality_notice or audit_access"))),
                    }
                }
                self.doc.communities.push(Community {
                    id: r.id.clone(),
                    name: name(),
                    kind: r.kind.parse::<CommunityKind>().map_err(|e| err("kind", e))?,
                    sector: opt(&r.sector),
                    rules,
                    members: vec![],
                });
            }
            "member" => {
                let i = *self.communities.get(&r.id).ok_or_else(|| {
                    err("id", format!("no community row {:?} above this member row", r.id))
                })?;
                let c = &mut self.doc.communities[i];
                self.loc.set(format!("communities[{i}].members[{}]", c.members.len()), line);
                c.members.push(r.org.clone());
            }
            other => {
                return Err(err(
                    "record",
                    format!("unknown record type {other:?}, expected one of: sector, subsector, organisation, contact, prefix, asn, domain, service, community, member"),
                ))
            }
        }
        Ok(())
    }
}

/// Serialise a registry document as CSV, in the form [`parse_csv`] reads.
pub fn to_csv(doc: &RegistryDoc) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut put = |row: CsvRow| w.serialize(row).expect("write to memory");
    for s in &doc.sectors {
        put(CsvRow {
            record: "sector".into(),
            id: s.id.clone(),
            name_en: s.name.en.clone(),
            name_ja: s.name.ja.clone(),
            ministry: s.ministry.clone().unwrap_or_default(),
            value: s.added.map(|d| d.to_string()).unwrap_or_default(),
            ..Default::default()
        });
        for sub in &s.subsectors {
            put(CsvRow {
                record: "subsector".into(),
                sector: s.id.clone(),
                id: sub.id.clone(),
                name_en: sub.name.en.clone(),
                name_ja: sub.name.ja.clone(),
                ..Default::default()
            });
        }
    }
    for o in &doc.organisations {
        put(CsvRow {
            record: "organisation".into(),
            id: o.id.clone(),
            name_en: o.name.en.clone(),
            name_ja: o.name.ja.clone(),
            short: o.short.clone().unwrap_or_default(),
            kind: o.kind.to_string(),
            sector: o.sector.clone().unwrap_or_default(),
            subsector: o.subsector.clone().unwrap_or_default(),
            ministry: o.ministry.clone().unwrap_or_default(),
            parent: o.parent.clone().unwrap_or_default(),
            tags: o.tags.join(" "),
            ..Default::default()
        });
        for c in o.contacts.iter().flatten() {
            put(CsvRow {
                record: "contact".into(),
                org: o.id.clone(),
                role: c.role.to_string(),
                name: c.name.clone(),
                email: c.email.clone(),
                phone: c.phone.clone().unwrap_or_default(),
                deputy: c.deputy.to_string(),
                last_verified: c.last_verified.map(|d| d.to_string()).unwrap_or_default(),
                ..Default::default()
            });
        }
        if let Some(a) = &o.assets {
            let lists: [(&str, Vec<String>); 4] = [
                (
                    "prefix",
                    a.prefixes.iter().map(ToString::to_string).collect(),
                ),
                ("asn", a.asns.iter().map(ToString::to_string).collect()),
                ("domain", a.domains.clone()),
                ("service", a.services.clone()),
            ];
            for (record, values) in lists {
                for value in values {
                    put(CsvRow {
                        record: record.into(),
                        org: o.id.clone(),
                        value,
                        ..Default::default()
                    });
                }
            }
        }
    }
    for c in &doc.communities {
        let r = c.rules;
        let rules: Vec<&str> = [
            (r.members_only, "members_only"),
            (r.confidentiality_notice, "confidentiality_notice"),
            (r.audit_access, "audit_access"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        put(CsvRow {
            record: "community".into(),
            id: c.id.clone(),
            name_en: c.name.en.clone(),
            name_ja: c.name.ja.clone(),
            kind: c.kind.to_string(),
            sector: c.sector.clone().unwrap_or_default(),
            tags: rules.join(" "),
            ..Default::default()
        });
        for m in &c.members {
            put(CsvRow {
                record: "member".into(),
                id: c.id.clone(),
                org: m.clone(),
                ..Default::default()
            });
        }
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of UTF-8 strings")
}

fn csv_error(e: &csv::Error) -> ParseError {
    ParseError {
        line: e.position().map(|p| p.line() as usize),
        field: None,
        message: format!("invalid CSV: {e}"),
    }
}
