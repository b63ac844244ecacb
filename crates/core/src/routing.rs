//! Who receives a report, in which order: rules on sector, organisation, report
//! attributes and mode. The rules are data (`data/routing/default.yaml`), loaded
//! and overridable by configuration; the default implements operator →
//! supervising ministry → NISC, plus the sector's CEPTOAR, plus whom the
//! reporter ticked.

use crate::classification::{AttackType, EventClass};
use crate::registry::{string_enum, OrgKind};
use crate::report::ReportFields;
use serde::{Deserialize, Serialize};

string_enum!(
    /// The two modes of the information-sharing system: normal, and large-scale
    /// critical-infrastructure outage (大規模重要インフラサービス障害対応時).
    Mode {
        Normal => "normal",
        LargeScaleOutage => "large-scale-outage",
    }
);

string_enum!(
    /// How fast a recipient is expected to act.
    Urgency {
        Normal => "normal",
        High => "high",
        Immediate => "immediate",
    }
);

/// Conditions of a rule; all given conditions must hold, empty lists match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub org_kinds: Vec<OrgKind>,
    #[serde(default)]
    pub organisations: Vec<String>,
    #[serde(default)]
    pub service_affected: Option<bool>,
    #[serde(default)]
    pub event_classes: Vec<EventClass>,
    #[serde(default)]
    pub attack_types: Vec<AttackType>,
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub when: When,
    /// `supervising-ministry`, `coordination-centre`, `sector-hubs`, `parent`,
    /// `ticked` (the reporter's `also_notify`), or `org:<id>`.
    pub recipients: Vec<String>,
    /// 1 is first. Recipients named by several rules keep the best priority.
    pub priority: u32,
    #[serde(default = "normal")]
    pub urgency: Urgency,
}

fn normal() -> Urgency {
    Urgency::Normal
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    pub rules: Vec<Rule>,
}

/// Facts about the reporter that the targets resolve against.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub reporter: String,
    pub reporter_kind: Option<OrgKind>,
    pub sector: Option<String>,
    pub supervising_ministry: Option<String>,
    pub parent: Option<String>,
    pub sector_hubs: Vec<String>,
    pub coordination_centres: Vec<String>,
    pub mode: Mode,
}

#[allow(clippy::derivable_impls)] // the enum comes from a macro
impl Default for Mode {
    fn default() -> Self {
        Mode::Normal
    }
}

/// One routed recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipient {
    pub organisation: String,
    pub priority: u32,
    pub urgency: Urgency,
    /// The rule that named it (the first, by priority).
    pub rule: String,
}

impl When {
    fn holds(&self, f: &ReportFields, c: &Context) -> bool {
        (self.sectors.is_empty() || c.sector.as_ref().is_some_and(|s| self.sectors.contains(s)))
            && (self.org_kinds.is_empty()
                || c.reporter_kind.is_some_and(|k| self.org_kinds.contains(&k)))
            && (self.organisations.is_empty() || self.organisations.contains(&c.reporter))
            && self
                .service_affected
                .is_none_or(|v| v == f.service_affected)
            && (self.event_classes.is_empty()
                || f.event_class
                    .is_some_and(|e| self.event_classes.contains(&e)))
            && (self.attack_types.is_empty()
                || f.attack_types.iter().any(|a| self.attack_types.contains(a)))
            && self.mode.is_none_or(|m| m == c.mode)
    }
}

impl RoutingRules {
    /// Check targets' syntax; unknown organisations are checked by the caller.
    pub fn check(&self) -> Result<(), String> {
        for r in &self.rules {
            for t in &r.recipients {
                let known = matches!(
                    t.as_str(),
                    "supervising-ministry"
                        | "coordination-centre"
                        | "sector-hubs"
                        | "parent"
                        | "ticked"
                ) || t.strip_prefix("org:").is_some_and(|id| !id.is_empty());
                if !known {
                    return Err(format!("rule {:?}: unknown recipient {t:?}", r.name));
                }
            }
        }
        Ok(())
    }

    /// The recipients of a report, best priority first; never the reporter itself.
    pub fn route(&self, f: &ReportFields, c: &Context) -> Vec<Recipient> {
        let mut out: Vec<Recipient> = Vec::new();
        let mut rules: Vec<&Rule> = self.rules.iter().filter(|r| r.when.holds(f, c)).collect();
        rules.sort_by_key(|r| r.priority);
        for r in rules {
            for t in &r.recipients {
                let orgs: Vec<String> = match t.as_str() {
                    "supervising-ministry" => c.supervising_ministry.iter().cloned().collect(),
                    "coordination-centre" => c.coordination_centres.clone(),
                    "sector-hubs" => c.sector_hubs.clone(),
                    "parent" => c.parent.iter().cloned().collect(),
                    "ticked" => f.also_notify.clone(),
                    other => other
                        .strip_prefix("org:")
                        .map(str::to_owned)
                        .into_iter()
                        .collect(),
                };
                for org in orgs {
                    if org == c.reporter {
                        continue;
                    }
                    match out.iter_mut().find(|x| x.organisation == org) {
                        Some(x) => {
                            if r.urgency > x.urgency {
                                x.urgency = r.urgency;
                            }
                        }
                        None => out.push(Recipient {
                            organisation: org,
                            priority: r.priority,
                            urgency: r.urgency,
                            rule: r.name.clone(),
                        }),
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(a.organisation.cmp(&b.organisation))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../../../data/routing/default.yaml");

    fn rules() -> RoutingRules {
        let r: RoutingRules = serde_norway::from_str(DEFAULT).unwrap();
        r.check().unwrap();
        r
    }

    fn report(also: &[&str]) -> ReportFields {
        let mut f: ReportFields = serde_json::from_value(serde_json::json!({
            "summary": "Outage of billing system", "detected_at": "2026-11-20T01:00:00Z",
            "service_affected": true, "status": "reported"
        }))
        .unwrap();
        f.also_notify = also.iter().map(|s| s.to_string()).collect();
        f
    }

    fn ctx(mode: Mode) -> Context {
        Context {
            reporter: "kanto-power".into(),
            reporter_kind: Some(OrgKind::Operator),
            sector: Some("electricity".into()),
            supervising_ministry: Some("meti".into()),
            parent: None,
            sector_hubs: vec!["ceptoar-electricity".into()],
            coordination_centres: vec!["nisc".into()],
            mode,
        }
    }

    #[test]
    fn default_rules_route_to_ministry_nisc_and_ceptoar_in_order() {
        let got = rules().route(&report(&["npa"]), &ctx(Mode::Normal));
        let orgs: Vec<(&str, u32)> = got
            .iter()
            .map(|r| (r.organisation.as_str(), r.priority))
            .collect();
        assert_eq!(
            orgs,
            vec![
                ("meti", 1),
                ("nisc", 2),
                ("ceptoar-electricity", 3),
                ("npa", 4)
            ]
        );
        assert!(got.iter().all(|r| r.urgency == Urgency::Normal));
    }

    #[test]
    fn outage_mode_raises_nisc_and_urgency() {
        let got = rules().route(&report(&[]), &ctx(Mode::LargeScaleOutage));
        let nisc = got.iter().find(|r| r.organisation == "nisc").unwrap();
        assert_eq!((nisc.priority, nisc.urgency), (1, Urgency::Immediate));
        assert!(got.iter().all(|r| r.urgency == Urgency::Immediate));
    }

    #[test]
    fn a_ministry_reporting_does_not_receive_its_own_report() {
        let mut c = ctx(Mode::Normal);
        c.reporter = "meti".into();
        c.reporter_kind = Some(OrgKind::Ministry);
        let got = rules().route(&report(&[]), &c);
        assert!(got.iter().all(|r| r.organisation != "meti"));
        assert!(got.iter().any(|r| r.organisation == "nisc"));
    }

    #[test]
    fn unknown_targets_are_refused() {
        let r = RoutingRules {
            rules: vec![Rule {
                name: "x".into(),
                when: When::default(),
                recipients: vec!["everyone".into()],
                priority: 1,
                urgency: Urgency::Normal,
            }],
        };
        assert!(r.check().unwrap_err().contains("everyone"));
    }
}
