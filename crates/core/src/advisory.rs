//! Advisories down the chain (情報提供・注意喚起): who an advisory is for (its
//! audience), and the tiers it travels through — NISC → ministry → CEPTOAR/ISAC
//! → operators — each tier relaying automatically or after its own review.

use crate::registry::{string_enum, OrgKind, Organisation, RegistryDoc};
use crate::report::{FieldError, Observable};
use crate::routing::Urgency;
use crate::tlp::Tlp;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

string_enum!(
    /// What kind of provision this is.
    Category {
        Alert => "alert",
        EarlyWarning => "early-warning",
        Vulnerability => "vulnerability",
        Attack => "attack",
        Reference => "reference",
    }
);

impl Category {
    pub fn label_ja(self) -> &'static str {
        match self {
            Category::Alert => "注意喚起",
            Category::EarlyWarning => "早期警戒",
            Category::Vulnerability => "脆弱性情報",
            Category::Attack => "攻撃情報",
            Category::Reference => "参考情報",
        }
    }
}

/// Who an advisory is for. Several criteria add up; `all` means every
/// organisation of the constituency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub all: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<String>,
    /// Organisations with a registered prefix overlapping one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub prefixes: Vec<IpNet>,
    /// Organisations with a registered domain equal to or under one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Organisations with a registered service naming this product (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// What the author writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdvisoryFields {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_ja: Option<String>,
    /// Markdown; rendered to sanitised HTML for display.
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_ja: Option<String>,
    pub tlp: Tlp,
    pub category: Category,
    #[serde(default = "normal")]
    pub urgency: Urgency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Observable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    pub audience: Audience,
}

fn normal() -> Urgency {
    Urgency::Normal
}

/// `CVE-YYYY-NNNN` with four or more digits.
pub fn is_cve(s: &str) -> bool {
    let mut parts = s.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(y), Some(n), None)
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
            && n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit())
    )
}

impl AdvisoryFields {
    /// Check what serde cannot; every error names its field.
    pub fn check(&self) -> Result<(), FieldError> {
        let err = |field: &str, message: String| {
            Err(FieldError {
                field: field.into(),
                message,
            })
        };
        if self.title.trim().is_empty() {
            return err("title", "the title is empty".into());
        }
        if self.title.chars().count() > 300 || self.title.contains('\n') {
            return err("title", "one line of at most 300 characters".into());
        }
        if self.body.trim().is_empty() {
            return err("body", "the body is empty".into());
        }
        if let (Some(a), Some(b)) = (self.valid_from, self.valid_until) {
            if b <= a {
                return err("valid_until", "must be after valid_from".into());
            }
        }
        for (i, c) in self.cves.iter().enumerate() {
            if !is_cve(c) {
                return err(
                    &format!("cves[{i}]"),
                    format!("{c:?} is not a CVE id (CVE-YYYY-NNNN)"),
                );
            }
        }
        for (i, o) in self.indicators.iter().enumerate() {
            if let Err(m) = o.check() {
                return err(&format!("indicators[{i}].value"), m);
            }
        }
        let a = &self.audience;
        if !a.all
            && a.sectors.is_empty()
            && a.subsectors.is_empty()
            && a.communities.is_empty()
            && a.organisations.is_empty()
            && a.prefixes.is_empty()
            && a.domains.is_empty()
            && a.products.is_empty()
        {
            return err("audience", "name an audience: all, sectors, sub-sectors, communities, organisations, prefixes, domains or products".into());
        }
        if matches!(self.tlp, Tlp::Red)
            && (a.all
                || !a.sectors.is_empty()
                || !a.subsectors.is_empty()
                || !a.communities.is_empty())
        {
            return err(
                "audience",
                "TLP:RED goes to named organisations only".into(),
            );
        }
        Ok(())
    }
}

/// Render Markdown to HTML that is safe to show (no scripts, no event handlers,
/// no raw HTML that escapes the sanitiser).
pub fn render_markdown(md: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(
        md,
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

/// Unknown names in an audience, each with its field.
pub fn check_audience(a: &Audience, reg: &RegistryDoc) -> Result<(), FieldError> {
    let err = |field: String, message: String| Err(FieldError { field, message });
    for (i, s) in a.sectors.iter().enumerate() {
        if reg.sector(s).is_none() {
            return err(
                format!("audience.sectors[{i}]"),
                format!("unknown sector {s:?}"),
            );
        }
    }
    for (i, s) in a.subsectors.iter().enumerate() {
        if !reg
            .sectors
            .iter()
            .any(|x| x.subsectors.iter().any(|y| &y.id == s))
        {
            return err(
                format!("audience.subsectors[{i}]"),
                format!("unknown sub-sector {s:?}"),
            );
        }
    }
    for (i, c) in a.communities.iter().enumerate() {
        if !reg.communities.iter().any(|x| &x.id == c) {
            return err(
                format!("audience.communities[{i}]"),
                format!("unknown community {c:?}"),
            );
        }
    }
    for (i, o) in a.organisations.iter().enumerate() {
        if reg.organisation(o).is_none() {
            return err(
                format!("audience.organisations[{i}]"),
                format!("unknown organisation {o:?}"),
            );
        }
    }
    Ok(())
}

/// The organisations an audience names (before tiers are added).
pub fn resolve_audience(a: &Audience, reg: &RegistryDoc) -> BTreeSet<String> {
    let lower = |s: &str| s.to_ascii_lowercase();
    let products: Vec<String> = a.products.iter().map(|p| lower(p)).collect();
    let domains: Vec<String> = a
        .domains
        .iter()
        .map(|d| lower(d.trim_end_matches('.')))
        .collect();
    let mut out = BTreeSet::new();
    for o in &reg.organisations {
        let assets = o.assets.clone().unwrap_or_default();
        let hit = a.all
            || o.sector.as_ref().is_some_and(|s| a.sectors.contains(s))
            || o.subsector
                .as_ref()
                .is_some_and(|s| a.subsectors.contains(s))
            || a.organisations.contains(&o.id)
            || a.communities.iter().any(|c| {
                reg.communities
                    .iter()
                    .any(|x| &x.id == c && x.members.contains(&o.id))
            })
            || assets
                .prefixes
                .iter()
                .any(|p| a.prefixes.iter().any(|q| p.contains(q) || q.contains(p)))
            || assets.domains.iter().any(|d| {
                let d = lower(d);
                domains
                    .iter()
                    .any(|q| d == *q || d.ends_with(&format!(".{q}")))
            })
            || assets.services.iter().any(|s| {
                let s = lower(s);
                products.iter().any(|p| s.contains(p.as_str()))
            });
        if hit {
            out.insert(o.id.clone());
        }
    }
    out
}

string_enum!(
    /// The tiers of the provision chain.
    Tier {
        Ministry => "ministry",
        Hub => "hub",
        Organisation => "organisation",
    }
);

/// One planned delivery: who receives, at which tier, from whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDelivery {
    pub organisation: String,
    pub tier: Tier,
    /// The organisation that relays it; `None` when the author delivers directly.
    pub via: Option<String>,
}

/// Plan the deliveries of an advisory written by `author`: every target reaches
/// its organisation tier through its supervising ministry and its sector's hubs,
/// which receive it first and relay it. Organisations without a ministry or hub
/// receive it from the tier above, or directly. TLP:RED and TLP:AMBER+STRICT go
/// directly to the targets: nobody relays them.
pub fn plan(
    author: &str,
    targets: &BTreeSet<String>,
    tlp: Tlp,
    reg: &RegistryDoc,
) -> Vec<PlannedDelivery> {
    let orgs: BTreeMap<&str, &Organisation> = reg
        .organisations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let mut out: BTreeMap<String, PlannedDelivery> = BTreeMap::new();
    let direct = matches!(tlp, Tlp::Red | Tlp::AmberStrict);
    let mut hubs_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for h in reg.organisations.iter().filter(|h| h.kind == OrgKind::Hub) {
        if let Some(s) = &h.sector {
            hubs_of.entry(s.as_str()).or_default().push(h.id.clone());
        }
    }
    let author_kind = orgs.get(author).map(|o| o.kind);
    for t in targets {
        if t == author {
            continue;
        }
        let Some(org) = orgs.get(t.as_str()) else {
            continue;
        };
        let tier_of = |o: &Organisation| match o.kind {
            OrgKind::Ministry => Tier::Ministry,
            OrgKind::Hub => Tier::Hub,
            _ => Tier::Organisation,
        };
        if direct {
            out.insert(
                t.clone(),
                PlannedDelivery {
                    organisation: t.clone(),
                    tier: tier_of(org),
                    via: None,
                },
            );
            continue;
        }
        // The chain above the target, top first, without the author's own tier and above.
        let ministry = reg
            .supervising_ministry(org)
            .filter(|m| *m != t.as_str())
            .map(str::to_owned);
        let hubs: Vec<String> = match (org.kind, &org.sector) {
            (OrgKind::Hub | OrgKind::Ministry | OrgKind::CoordinationCentre, _) => vec![],
            (_, Some(s)) => hubs_of.get(s.as_str()).cloned().unwrap_or_default(),
            (_, None) => vec![],
        };
        let author_is_hub = author_kind == Some(OrgKind::Hub);
        let mut via: Option<String> = None;
        if let Some(m) = &ministry {
            if m != author && !author_is_hub {
                out.entry(m.clone()).or_insert(PlannedDelivery {
                    organisation: m.clone(),
                    tier: Tier::Ministry,
                    via: None,
                });
                via = Some(m.clone());
            }
        }
        let mut hub_via = None;
        for h in &hubs {
            if h == author {
                continue;
            }
            out.entry(h.clone()).or_insert(PlannedDelivery {
                organisation: h.clone(),
                tier: Tier::Hub,
                via: via.clone(),
            });
            hub_via.get_or_insert(h.clone());
        }
        let via = hub_via.or(via);
        out.entry(t.clone()).or_insert(PlannedDelivery {
            organisation: t.clone(),
            tier: tier_of(org),
            via,
        });
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> RegistryDoc {
        let (r, _) =
            crate::registry::parse_yaml(include_str!("../../../data/reference/registry.yaml"))
                .unwrap();
        let (d, _) =
            crate::registry::parse_yaml(include_str!("../../../data/demo/constituency.yaml"))
                .unwrap();
        RegistryDoc {
            sectors: r.sectors,
            organisations: r.organisations.into_iter().chain(d.organisations).collect(),
            communities: r.communities.into_iter().chain(d.communities).collect(),
        }
    }

    #[test]
    fn an_electricity_advisory_travels_through_meti_and_the_ceptoar() {
        let r = reg();
        let a = Audience {
            sectors: vec!["electricity".into()],
            ..Default::default()
        };
        let targets = resolve_audience(&a, &r);
        assert!(targets.contains("kanto-power") && targets.contains("ceptoar-electricity"));
        assert!(!targets.contains("hinode-gas"));
        let p = plan("nisc", &targets, Tlp::Amber, &r);
        let get = |o: &str| p.iter().find(|d| d.organisation == o).unwrap().clone();
        assert_eq!(
            get("meti"),
            PlannedDelivery {
                organisation: "meti".into(),
                tier: Tier::Ministry,
                via: None
            }
        );
        assert_eq!(get("ceptoar-electricity").via.as_deref(), Some("meti"));
        assert_eq!(
            get("kanto-power"),
            PlannedDelivery {
                organisation: "kanto-power".into(),
                tier: Tier::Organisation,
                via: Some("ceptoar-electricity".into())
            }
        );
        assert!(p.iter().all(|d| d.organisation != "nisc"));
    }

    #[test]
    fn strict_markings_skip_the_relays() {
        let r = reg();
        let a = Audience {
            organisations: vec!["kanto-power".into()],
            ..Default::default()
        };
        let p = plan("nisc", &resolve_audience(&a, &r), Tlp::Red, &r);
        assert_eq!(
            p,
            vec![PlannedDelivery {
                organisation: "kanto-power".into(),
                tier: Tier::Organisation,
                via: None
            }]
        );
    }

    #[test]
    fn audience_by_asset_and_product() {
        let r = reg();
        let by_prefix = resolve_audience(
            &Audience {
                prefixes: vec!["198.51.100.7/32".parse().unwrap()],
                ..Default::default()
            },
            &r,
        );
        assert_eq!(
            by_prefix.into_iter().collect::<Vec<_>>(),
            vec!["asagiri-bank"]
        );
        let by_domain = resolve_audience(
            &Audience {
                domains: vec!["example.jp".into()],
                ..Default::default()
            },
            &r,
        );
        assert!(
            by_domain.len() > 10,
            "every demo domain is under example.jp"
        );
        let nobody = resolve_audience(
            &Audience {
                products: vec!["no such product".into()],
                ..Default::default()
            },
            &r,
        );
        assert!(nobody.is_empty());
    }

    #[test]
    fn checks_name_fields() {
        let mut f: AdvisoryFields = serde_json::from_value(serde_json::json!({
            "title": "VPN appliance campaign", "body": "Patch now.", "tlp": "TLP:AMBER", "category": "alert",
            "audience": {"sectors": ["electricity"]}, "cves": ["CVE-2024-3400"]
        }))
        .unwrap();
        assert!(f.check().is_ok());
        f.cves.push("CVE-24-1".into());
        assert_eq!(f.check().unwrap_err().field, "cves[1]");
        f.cves.pop();
        f.title = " ".into();
        assert_eq!(f.check().unwrap_err().field, "title");
        f.title = "x".into();
        f.audience = Audience::default();
        assert_eq!(f.check().unwrap_err().field, "audience");
        let e = serde_json::from_value::<AdvisoryFields>(serde_json::json!({"title": "x", "body": "y", "tlp": "TLP:WHITE", "category": "alert", "audience": {"all": true}})).unwrap_err();
        assert!(
            e.to_string().contains("TLP:WHITE") || e.to_string().contains("unknown variant"),
            "{e}"
        );
        let e = check_audience(
            &Audience {
                sectors: vec!["space".into()],
                ..Default::default()
            },
            &reg(),
        )
        .unwrap_err();
        assert_eq!(e.field, "audience.sectors[0]");
    }

    #[test]
    fn markdown_is_rendered_safely() {
        let html = render_markdown("# Patch\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **now** <img src=x onerror=alert(1)>");
        assert!(
            html.contains("<h1>Patch</h1>") && html.contains("<strong>now</strong>"),
            "{html}"
        );
        assert!(
            !html.contains("<script") && !html.contains("javascript:") && !html.contains("onerror"),
            "{html}"
        );
    }
}
