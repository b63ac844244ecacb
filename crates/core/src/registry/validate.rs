//! Validation of an import against the registry it is merged into.
//!
//! The incoming document is merged over the existing registry (by id) and every
//! invariant is checked on the merged view; each error names the incoming item's
//! line and field. Nothing is written unless the whole file passes.

use super::{file::Locator, Assets, OrgKind, Organisation, ParseError, RegistryDoc};
use ipnet::IpNet;
use prefix_trie::PrefixMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A located validation error (same shape as a parse error).
pub type ValidationError = ParseError;

/// Something allowed but worth reporting, such as a more specific prefix
/// registered inside another organisation's block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

/// What an import will write, in an order that satisfies every reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportPlan {
    pub sectors: Vec<super::Sector>,
    pub organisations: Vec<Organisation>,
    pub communities: Vec<super::Community>,
    pub findings: Vec<Finding>,
}

struct Check<'a> {
    loc: &'a Locator,
    errors: Vec<ValidationError>,
    findings: Vec<Finding>,
}

impl Check<'_> {
    fn error(&mut self, field: String, message: impl Into<String>) {
        self.errors.push(ParseError {
            line: self.loc.line(&field),
            field: Some(field),
            message: message.into(),
        });
    }

    fn finding(&mut self, field: String, message: String) {
        self.findings.push(Finding {
            line: self.loc.line(&field),
            field,
            message,
        });
    }

    fn slug(&mut self, field: String, id: &str) {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.starts_with('-');
        if !ok {
            self.error(
                field,
                format!("invalid id {id:?}: use 1-64 characters a-z, 0-9 and '-'"),
            );
        }
    }

    fn name(&mut self, path: &str, name: &super::Name) {
        if name.en.trim().is_empty() {
            self.error(format!("{path}.name.en"), "the English name is empty");
        }
        if name.ja.trim().is_empty() {
            self.error(format!("{path}.name.ja"), "the Japanese name is empty");
        }
    }
}

/// Validate `incoming` against `existing` and plan the import.
pub fn validate(
    existing: &RegistryDoc,
    incoming: &RegistryDoc,
    loc: &Locator,
) -> Result<ImportPlan, Vec<ValidationError>> {
    let mut c = Check {
        loc,
        errors: vec![],
        findings: vec![],
    };
    let merged = merge(existing, incoming);
    let orgs: HashMap<&str, &Organisation> = merged
        .organisations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let is_ministry = |id: &str| orgs.get(id).is_some_and(|o| o.kind == OrgKind::Ministry);

    // Sectors.
    let mut seen = HashSet::new();
    let mut subsector_owner: HashMap<&str, &str> = existing
        .sectors
        .iter()
        .flat_map(|s| {
            s.subsectors
                .iter()
                .map(move |sub| (sub.id.as_str(), s.id.as_str()))
        })
        .collect();
    for (i, s) in incoming.sectors.iter().enumerate() {
        let p = format!("sectors[{i}]");
        c.slug(format!("{p}.id"), &s.id);
        if !seen.insert(s.id.as_str()) {
            c.error(
                format!("{p}.id"),
                format!("sector {:?} appears twice in this file", s.id),
            );
        }
        c.name(&p, &s.name);
        if let Some(m) = &s.ministry {
            if !is_ministry(m) {
                c.error(format!("{p}.ministry"), format!("unknown ministry {m:?}"));
            }
        }
        for (j, sub) in s.subsectors.iter().enumerate() {
            let sp = format!("{p}.subsectors[{j}]");
            c.slug(format!("{sp}.id"), &sub.id);
            c.name(&sp, &sub.name);
            match subsector_owner.insert(&sub.id, &s.id) {
                Some(owner) if owner != s.id => c.error(
                    format!("{sp}.id"),
                    format!(
                        "sub-sector {:?} already belongs to sector {owner:?}",
                        sub.id
                    ),
                ),
                _ => {}
            }
        }
    }
    let sectors: HashMap<&str, &super::Sector> =
        merged.sectors.iter().map(|s| (s.id.as_str(), s)).collect();

    // Organisations.
    let mut names_en: HashMap<String, &str> = HashMap::new();
    let mut names_ja: HashMap<&str, &str> = HashMap::new();
    for o in &merged.organisations {
        names_en
            .entry(o.name.en.trim().to_lowercase())
            .or_insert(&o.id);
        names_ja.entry(o.name.ja.trim()).or_insert(&o.id);
    }
    let mut seen = HashSet::new();
    for (i, o) in incoming.organisations.iter().enumerate() {
        let p = format!("organisations[{i}]");
        c.slug(format!("{p}.id"), &o.id);
        if !seen.insert(o.id.as_str()) {
            c.error(
                format!("{p}.id"),
                format!("organisation {:?} appears twice in this file", o.id),
            );
        }
        c.name(&p, &o.name);
        if let Some(other) = names_en.get(&o.name.en.trim().to_lowercase()) {
            if *other != o.id {
                c.error(
                    format!("{p}.name.en"),
                    format!(
                        "duplicate name {:?}: already used by organisation {other:?}",
                        o.name.en
                    ),
                );
            }
        }
        if let Some(other) = names_ja.get(o.name.ja.trim()) {
            if *other != o.id {
                c.error(
                    format!("{p}.name.ja"),
                    format!(
                        "duplicate name {:?}: already used by organisation {other:?}",
                        o.name.ja
                    ),
                );
            }
        }
        match (&o.sector, &o.subsector) {
            (Some(s), sub) => match sectors.get(s.as_str()) {
                None => c.error(format!("{p}.sector"), format!("unknown sector {s:?}")),
                Some(sector) => {
                    if let Some(sub) = sub {
                        if !sector.subsectors.iter().any(|x| &x.id == sub) {
                            c.error(
                                format!("{p}.subsector"),
                                format!("unknown sub-sector {sub:?} of sector {s:?}"),
                            );
                        }
                    }
                }
            },
            (None, Some(_)) => c.error(format!("{p}.subsector"), "a sub-sector needs a sector"),
            (None, None) => {}
        }
        if let Some(m) = &o.ministry {
            if !is_ministry(m) {
                c.error(format!("{p}.ministry"), format!("unknown ministry {m:?}"));
            }
        }
        if let Some(parent) = &o.parent {
            if parent == &o.id {
                c.error(
                    format!("{p}.parent"),
                    "an organisation cannot be its own parent",
                );
            } else if !orgs.contains_key(parent.as_str()) {
                c.error(
                    format!("{p}.parent"),
                    format!("unknown parent organisation {parent:?}"),
                );
            } else if has_cycle(&orgs, &o.id) {
                c.error(
                    format!("{p}.parent"),
                    "the parent chain loops back to this organisation",
                );
            }
        }
        for (j, ct) in o.contacts.iter().flatten().enumerate() {
            let cp = format!("{p}.contacts[{j}]");
            if ct.name.trim().is_empty() {
                c.error(format!("{cp}.name"), "the contact name is empty");
            }
            if !valid_email(&ct.email) {
                c.error(
                    format!("{cp}.email"),
                    format!("invalid e-mail address {:?}", ct.email),
                );
            }
            if let Some(phone) = &ct.phone {
                if !phone
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || "+-() ".contains(ch))
                    || !phone.chars().any(|ch| ch.is_ascii_digit())
                {
                    c.error(
                        format!("{cp}.phone"),
                        format!("invalid phone number {phone:?}"),
                    );
                }
            }
        }
        if let Some(a) = &o.assets {
            check_asset_shapes(&mut c, &p, a);
        }
    }
    check_asset_conflicts(&mut c, &merged, incoming);

    // Communities.
    let mut seen = HashSet::new();
    for (i, com) in incoming.communities.iter().enumerate() {
        let p = format!("communities[{i}]");
        c.slug(format!("{p}.id"), &com.id);
        if !seen.insert(com.id.as_str()) {
            c.error(
                format!("{p}.id"),
                format!("community {:?} appears twice in this file", com.id),
            );
        }
        c.name(&p, &com.name);
        match (&com.sector, com.kind) {
            (Some(s), _) if !sectors.contains_key(s.as_str()) => {
                c.error(format!("{p}.sector"), format!("unknown sector {s:?}"))
            }
            (None, super::CommunityKind::Sector) => {
                c.error(format!("{p}.sector"), "a sector community needs a sector")
            }
            _ => {}
        }
        let mut members = HashSet::new();
        for (j, m) in com.members.iter().enumerate() {
            if !orgs.contains_key(m.as_str()) {
                c.error(
                    format!("{p}.members[{j}]"),
                    format!("unknown organisation {m:?}"),
                );
            } else if !members.insert(m) {
                c.error(
                    format!("{p}.members[{j}]"),
                    format!("{m:?} is listed twice"),
                );
            }
        }
    }

    if !c.errors.is_empty() {
        c.errors.sort_by_key(|e| e.line.unwrap_or(0));
        return Err(c.errors);
    }
    Ok(ImportPlan {
        sectors: incoming.sectors.clone(),
        organisations: dependency_order(&incoming.organisations),
        communities: incoming.communities.clone(),
        findings: c.findings,
    })
}

/// The registry as it will be after the import: incoming items replace existing
/// ones with the same id; omitted contacts or assets keep the existing ones.
pub(super) fn merge(existing: &RegistryDoc, incoming: &RegistryDoc) -> RegistryDoc {
    let mut merged = existing.clone();
    for s in &incoming.sectors {
        match merged.sectors.iter_mut().find(|x| x.id == s.id) {
            Some(x) => *x = s.clone(),
            None => merged.sectors.push(s.clone()),
        }
    }
    for o in &incoming.organisations {
        match merged.organisations.iter_mut().find(|x| x.id == o.id) {
            Some(x) => {
                let mut new = o.clone();
                if new.contacts.is_none() {
                    new.contacts = x.contacts.take();
                }
                if new.assets.is_none() {
                    new.assets = x.assets.take();
                }
                *x = new;
            }
            None => merged.organisations.push(o.clone()),
        }
    }
    for com in &incoming.communities {
        match merged.communities.iter_mut().find(|x| x.id == com.id) {
            Some(x) => *x = com.clone(),
            None => merged.communities.push(com.clone()),
        }
    }
    merged
}

fn has_cycle(orgs: &HashMap<&str, &Organisation>, start: &str) -> bool {
    let mut cur = orgs.get(start).and_then(|o| o.parent.as_deref());
    let mut steps = 0;
    while let Some(id) = cur {
        if id == start || steps > orgs.len() {
            return true;
        }
        steps += 1;
        cur = orgs.get(id).and_then(|o| o.parent.as_deref());
    }
    false
}

/// Order organisations so that a ministry or parent comes before those naming it.
fn dependency_order(orgs: &[Organisation]) -> Vec<Organisation> {
    let index: HashMap<&str, usize> = orgs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    let mut done = vec![false; orgs.len()];
    let mut out = Vec::with_capacity(orgs.len());
    fn visit(
        i: usize,
        orgs: &[Organisation],
        index: &HashMap<&str, usize>,
        done: &mut [bool],
        out: &mut Vec<Organisation>,
    ) {
        if done[i] {
            return;
        }
        done[i] = true;
        for dep in [&orgs[i].ministry, &orgs[i].parent].into_iter().flatten() {
            if let Some(&j) = index.get(dep.as_str()) {
                visit(j, orgs, index, done, out);
            }
        }
        out.push(orgs[i].clone());
    }
    for i in 0..orgs.len() {
        visit(i, orgs, &index, &mut done, &mut out);
    }
    out
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && valid_domain(domain)
}

/// A DNS name of LDH labels (IDNs as A-labels), without a trailing dot.
pub(crate) fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn check_asset_shapes(c: &mut Check, p: &str, a: &Assets) {
    let mut seen = HashSet::new();
    for (k, net) in a.prefixes.iter().enumerate() {
        if net.trunc() != *net {
            c.error(
                format!("{p}.assets.prefixes[{k}]"),
                format!("{net} has host bits set; did you mean {}?", net.trunc()),
            );
        }
        if !seen.insert(*net) {
            c.error(
                format!("{p}.assets.prefixes[{k}]"),
                format!("{net} is listed twice"),
            );
        }
    }
    let mut seen = HashSet::new();
    for (k, asn) in a.asns.iter().enumerate() {
        if *asn == 0 || *asn == 23456 || *asn == u32::MAX {
            c.error(
                format!("{p}.assets.asns[{k}]"),
                format!("AS{asn} is reserved"),
            );
        }
        if !seen.insert(*asn) {
            c.error(
                format!("{p}.assets.asns[{k}]"),
                format!("AS{asn} is listed twice"),
            );
        }
    }
    let mut seen = HashSet::new();
    for (k, d) in a.domains.iter().enumerate() {
        if !valid_domain(d) {
            c.error(
                format!("{p}.assets.domains[{k}]"),
                format!("invalid domain {d:?}: use lower-case labels of a-z, 0-9 and '-', no trailing dot"),
            );
        }
        if !seen.insert(d) {
            c.error(
                format!("{p}.assets.domains[{k}]"),
                format!("{d} is listed twice"),
            );
        }
    }
}

/// Two organisations may not claim the same prefix, ASN or domain; a more
/// specific prefix or a sub-domain inside another's is allowed and reported.
fn check_asset_conflicts(c: &mut Check, merged: &RegistryDoc, incoming: &RegistryDoc) {
    let mut prefixes: PrefixMap<ipnet::Ipv4Net, &str> = PrefixMap::new();
    let mut prefixes6: PrefixMap<ipnet::Ipv6Net, &str> = PrefixMap::new();
    let mut owners: HashMap<IpNet, Vec<&str>> = HashMap::new();
    let mut asns: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    let mut domains: HashMap<&str, Vec<&str>> = HashMap::new();
    for o in &merged.organisations {
        for a in o.assets.iter() {
            for net in &a.prefixes {
                let net = net.trunc();
                owners.entry(net).or_default().push(&o.id);
                match net {
                    IpNet::V4(n) => {
                        prefixes.insert(n, &o.id);
                    }
                    IpNet::V6(n) => {
                        prefixes6.insert(n, &o.id);
                    }
                }
            }
            for asn in &a.asns {
                asns.entry(*asn).or_default().push(&o.id);
            }
            for d in &a.domains {
                domains.entry(d.as_str()).or_default().push(&o.id);
            }
        }
    }
    for (i, o) in incoming.organisations.iter().enumerate() {
        let Some(a) = &o.assets else { continue };
        let p = format!("organisations[{i}].assets");
        for (k, net) in a.prefixes.iter().enumerate() {
            let field = format!("{p}.prefixes[{k}]");
            let net = net.trunc();
            if let Some(other) = owners[&net].iter().find(|x| **x != o.id) {
                c.error(
                    field,
                    format!("{net} is already claimed by organisation {other:?}"),
                );
                continue;
            }
            let covering = match net {
                IpNet::V4(n) => n
                    .supernet()
                    .and_then(|s| prefixes.get_lpm(&s))
                    .map(|(q, id)| (IpNet::V4(q), *id)),
                IpNet::V6(n) => n
                    .supernet()
                    .and_then(|s| prefixes6.get_lpm(&s))
                    .map(|(q, id)| (IpNet::V6(q), *id)),
            };
            if let Some((outer, owner)) = covering {
                if owner != o.id {
                    c.finding(field, format!("{net} lies inside {outer} of organisation {owner:?}: the more specific prefix wins in lookups"));
                }
            }
        }
        for (k, asn) in a.asns.iter().enumerate() {
            if let Some(other) = asns[asn].iter().find(|x| **x != o.id) {
                c.error(
                    format!("{p}.asns[{k}]"),
                    format!("AS{asn} is already claimed by organisation {other:?}"),
                );
            }
        }
        for (k, d) in a.domains.iter().enumerate() {
            let field = format!("{p}.domains[{k}]");
            if let Some(other) = domains[d.as_str()].iter().find(|x| **x != o.id) {
                c.error(
                    field,
                    format!("{d} is already claimed by organisation {other:?}"),
                );
                continue;
            }
            let mut rest = d.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if let Some(owner) = domains.get(parent).and_then(|v| v.first()) {
                    if *owner != o.id {
                        c.finding(field.clone(), format!("{d} lies under {parent} of organisation {owner:?}: the longer suffix wins in lookups"));
                    }
                    break;
                }
                rest = parent;
            }
        }
    }
}
