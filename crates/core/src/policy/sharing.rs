//! Who may see a shared intelligence object, and in what form (情報共有ルール).
//!
//! Every stored object version carries a [`Handling`]: its TLP 2.0 marking, the
//! community it is shared in, its named recipients and the relays done since.
//! [`visibility`] is the one answer to "may this viewer see it, in full or
//! anonymised?"; REST, TAXII, exports, search and the console all ask it.
//!
//! - TLP:CLEAR — anyone, also the public feed (unless the community is members-only).
//! - TLP:GREEN — the members of the community it is shared in (no community: every
//!   organisation of the platform).
//! - TLP:AMBER — the recipient organisations and the members of recipient
//!   communities, and the constituents a recipient relayed it to ([`may_relay`]).
//! - TLP:AMBER+STRICT — the recipients only; no relay.
//! - TLP:RED — the named users only.
//!
//! The sharing organisation always sees its own objects in full (for TLP:RED, the
//! sharing user). A members-only community (the Cybersecurity Council) lets
//! nothing out, whatever the marking. Anyone outside the community of the source
//! sees the anonymised form ([`anonymise`]): the technique and the observables
//! travel, the victim does not.
//!
//! [`audience_keys`] and [`viewer_keys`] turn the same rules into keys a database
//! index can match, so a page of a million objects is filtered in SQL; the keys
//! are a superset, and [`visibility`] decides every row that comes back.

use super::{allows, OrgRelations, Permission};
use crate::identity::Actor;
use crate::registry::CommunityRules;
use crate::tlp::Tlp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// How one object version is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handling {
    pub tlp: Tlp,
    /// The community it is shared in; `None` is the platform's whole constituency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    /// TLP:AMBER and AMBER+STRICT: recipient organisations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_orgs: Vec<String>,
    /// TLP:AMBER and AMBER+STRICT: recipient communities (all their members).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_communities: Vec<String>,
    /// TLP:RED: the named users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_users: Vec<String>,
    /// The organisation that shared it.
    pub source_org: String,
    /// The user who shared it.
    pub source_user: String,
    /// TLP:AMBER: organisations a recipient relayed it to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayed_to: Vec<String>,
}

/// What the policy needs to know of a community.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommunityFacts {
    pub id: String,
    pub members: BTreeSet<String>,
    pub rules: CommunityRules,
}

/// Who is looking: a signed-in actor with the communities of their organisation,
/// or nobody (the public feed).
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub actor: Option<&'a Actor>,
    /// The communities the actor's organisation is a member of.
    pub communities: &'a BTreeSet<String>,
}

/// The answer of the policy for one viewer and one object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Hidden,
    /// Seen without the victim's identity ([`anonymise`]).
    Anonymised,
    Full,
}

impl Viewer<'_> {
    /// Membership counts only for a signed-in viewer.
    fn member(&self, community: &str) -> bool {
        self.actor.is_some() && self.communities.contains(community)
    }
}

/// May the viewer see an object shared with `h` (whose community, if any, is
/// `community`), and in which form?
pub fn visibility(viewer: &Viewer, h: &Handling, community: Option<&CommunityFacts>) -> Visibility {
    if let Some(a) = viewer.actor {
        if !allows(a, Permission::ReadIntel) {
            return Visibility::Hidden;
        }
        let source = if h.tlp == Tlp::Red {
            a.username == h.source_user
        } else {
            a.org == h.source_org
        };
        if source {
            return Visibility::Full;
        }
    }
    let in_community = h.community.as_deref().is_none_or(|c| viewer.member(c));
    let members_only = community.is_some_and(|c| c.rules.members_only);
    if members_only && !in_community {
        return Visibility::Hidden;
    }
    let org = viewer.actor.map(|a| a.org.as_str());
    let named_org = |orgs: &[String]| org.is_some_and(|o| orgs.iter().any(|x| x == o));
    let recipient =
        named_org(&h.recipient_orgs) || h.recipient_communities.iter().any(|c| viewer.member(c));
    let allowed = match h.tlp {
        Tlp::Clear => true,
        Tlp::Green => viewer.actor.is_some() && in_community,
        Tlp::Amber => recipient || named_org(&h.relayed_to),
        Tlp::AmberStrict => recipient,
        Tlp::Red => viewer
            .actor
            .is_some_and(|a| h.recipient_users.contains(&a.username)),
    };
    match (allowed, in_community) {
        (false, _) => Visibility::Hidden,
        (true, true) => Visibility::Full,
        (true, false) => Visibility::Anonymised,
    }
}

/// The index keys under which an object is stored: a superset of its viewers'
/// [`viewer_keys`] (the rows they select are then decided by [`visibility`]).
pub fn audience_keys(h: &Handling, community: Option<&CommunityFacts>) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if h.tlp == Tlp::Red {
        keys.insert(format!("user:{}", h.source_user));
    } else {
        keys.insert(format!("org:{}", h.source_org));
    }
    let members_only = community.is_some_and(|c| c.rules.members_only);
    let shared_in = |keys: &mut BTreeSet<String>| match &h.community {
        Some(c) => keys.insert(format!("community:{c}")),
        None => keys.insert("platform".to_owned()),
    };
    match h.tlp {
        Tlp::Clear if members_only => {
            shared_in(&mut keys);
        }
        Tlp::Clear => {
            keys.insert("public".to_owned());
        }
        Tlp::Green => {
            shared_in(&mut keys);
        }
        Tlp::Amber | Tlp::AmberStrict => {
            let relayed = if h.tlp == Tlp::Amber {
                &h.relayed_to[..]
            } else {
                &[]
            };
            for o in h.recipient_orgs.iter().chain(relayed) {
                keys.insert(format!("org:{o}"));
            }
            for c in &h.recipient_communities {
                keys.insert(format!("community:{c}"));
            }
        }
        Tlp::Red => {
            for u in &h.recipient_users {
                keys.insert(format!("user:{u}"));
            }
        }
    }
    keys
}

/// The keys a viewer matches (see [`audience_keys`]).
pub fn viewer_keys(viewer: &Viewer) -> BTreeSet<String> {
    let mut keys = BTreeSet::from(["public".to_owned()]);
    if let Some(a) = viewer.actor {
        if !allows(a, Permission::ReadIntel) {
            return BTreeSet::new();
        }
        keys.insert("platform".to_owned());
        keys.insert(format!("org:{}", a.org));
        keys.insert(format!("user:{}", a.username));
        keys.extend(viewer.communities.iter().map(|c| format!("community:{c}")));
    }
    keys
}

/// May the actor relay a TLP:AMBER object to `to`? Only a direct recipient, and
/// only to its own constituents: its descendants, the organisations it
/// supervises as a ministry, or serves as their sector's hub.
pub fn may_relay(
    actor: &Actor,
    actor_communities: &BTreeSet<String>,
    h: &Handling,
    to: &OrgRelations,
) -> Result<(), &'static str> {
    if !allows(actor, Permission::SubmitIntel) {
        return Err("relaying needs the SubmitIntel permission");
    }
    if h.tlp != Tlp::Amber {
        return Err("only TLP:AMBER may be relayed (AMBER+STRICT and RED never)");
    }
    let recipient = h.recipient_orgs.contains(&actor.org)
        || h.recipient_communities
            .iter()
            .any(|c| actor_communities.contains(c));
    if !recipient {
        return Err("only a named recipient may relay");
    }
    let constituent = to.ancestors.contains(&actor.org)
        || to.sector_hubs.contains(&actor.org)
        || to.supervising_ministry.as_deref() == Some(actor.org.as_str());
    if !constituent {
        return Err("a recipient may relay only to its own constituents");
    }
    Ok(())
}

/// Properties that identify the source or victim, removed from the anonymised form.
const IDENTIFYING: &[&str] = &[
    "created_by_ref",
    "where_sighted_refs",
    "x_sakimori_recipients",
    "x_sakimori_recipient_users",
];

/// External references that name techniques, weaknesses and vulnerabilities
/// (kept); any other reference may point at the victim (removed).
const PUBLIC_SOURCES: &[&str] = &[
    "mitre-attack",
    "capec",
    "cve",
    "cwe",
    "nvd",
    "mitre-ics-attack",
];

/// The anonymised form of an object, or `None` when the object is itself
/// identifying (identities, locations, and relationships to them). `names` are
/// the source organisation's names, replaced in free text.
pub fn anonymise(object: &Value, names: &[String]) -> Option<Value> {
    const IDENTIFYING_TYPES: &[&str] = &["identity", "location"];
    let is_identifying_ref = |v: &Value| {
        v.as_str().is_some_and(|id| {
            IDENTIFYING_TYPES
                .iter()
                .any(|t| id.strip_prefix(t).is_some_and(|r| r.starts_with("--")))
        })
    };
    let map = object.as_object()?;
    let ty = map.get("type").and_then(Value::as_str).unwrap_or_default();
    if IDENTIFYING_TYPES.contains(&ty) {
        return None;
    }
    if ty == "relationship"
        && ["source_ref", "target_ref"]
            .iter()
            .any(|p| map.get(*p).is_some_and(is_identifying_ref))
    {
        return None;
    }
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        if IDENTIFYING.contains(&k.as_str()) || k.starts_with("x_sakimori_source") {
            continue;
        }
        let v = match (k.as_str(), v) {
            (_, Value::String(s)) if matches!(k.as_str(), "name" | "description" | "content") => {
                Value::String(redact(s, names))
            }
            ("object_refs", Value::Array(refs)) => Value::Array(
                refs.iter()
                    .filter(|r| !is_identifying_ref(r))
                    .cloned()
                    .collect(),
            ),
            ("external_references", Value::Array(refs)) => Value::Array(
                refs.iter()
                    .filter(|r| {
                        r.get("source_name")
                            .and_then(Value::as_str)
                            .is_some_and(|s| {
                                PUBLIC_SOURCES.contains(&s.to_ascii_lowercase().as_str())
                            })
                    })
                    .cloned()
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Some(Value::Object(out))
}

fn redact(text: &str, names: &[String]) -> String {
    let mut s = text.to_owned();
    for n in names.iter().filter(|n| n.chars().count() >= 2) {
        s = s.replace(n.as_str(), "[匿名化 anonymised]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use proptest::prelude::*;

    const ORGS: &[&str] = &["o1", "o2", "o3", "o4"];
    const USERS: &[&str] = &["u1", "u2", "u3", "u4", "u5"];
    const COMMUNITIES: &[&str] = &["c1", "c2", "c3"];

    fn subset(items: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
        prop::sample::subsequence(items.to_vec(), 0..=items.len())
            .prop_map(|v| v.into_iter().map(str::to_owned).collect())
    }

    fn handling() -> impl Strategy<Value = Handling> {
        (
            prop::sample::select(Tlp::ALL.to_vec()),
            prop::option::of(prop::sample::select(COMMUNITIES.to_vec())),
            subset(ORGS),
            subset(COMMUNITIES),
            subset(USERS),
            prop::sample::select(ORGS.to_vec()),
            prop::sample::select(USERS.to_vec()),
            subset(ORGS),
        )
            .prop_map(|(tlp, c, ro, rc, ru, so, su, rel)| Handling {
                tlp,
                community: c.map(str::to_owned),
                recipient_orgs: ro,
                recipient_communities: rc,
                recipient_users: ru,
                source_org: so.into(),
                source_user: su.into(),
                relayed_to: rel,
            })
    }

    fn community() -> impl Strategy<Value = (CommunityFacts, bool)> {
        (subset(ORGS), any::<bool>()).prop_map(|(m, members_only)| {
            (
                CommunityFacts {
                    id: String::new(),
                    members: m.into_iter().collect(),
                    rules: CommunityRules {
                        members_only,
                        ..Default::default()
                    },
                },
                members_only,
            )
        })
    }

    fn actor(org: &str, user: &str, role: Role) -> Actor {
        Actor {
            user_id: user.into(),
            username: user.into(),
            org: org.into(),
            roles: vec![role],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The index keys never hide what the policy shows, and what they do
        /// not select the policy hides too.
        #[test]
        fn keys_are_a_superset_of_the_policy(
            h in handling(),
            (mut facts, _) in community(),
            org in prop::sample::select(ORGS.to_vec()),
            user in prop::sample::select(USERS.to_vec()),
            memberships in subset(COMMUNITIES),
            public in any::<bool>(),
            role in prop::sample::select(Role::ALL.to_vec()),
        ) {
            facts.id = h.community.clone().unwrap_or_default();
            let mine: BTreeSet<String> = memberships.into_iter().collect();
            let a = actor(org, user, role);
            let viewer = Viewer { actor: (!public).then_some(&a), communities: &mine };
            let c = h.community.as_ref().map(|_| &facts);
            let v = visibility(&viewer, &h, c);
            let keyed = !audience_keys(&h, c).is_disjoint(&viewer_keys(&viewer));
            prop_assert!(v == Visibility::Hidden || keyed, "{v:?} but no key for {viewer:?} / {h:?}");
        }

        /// The handling rules as the issue states them, checked for every input.
        #[test]
        fn the_tlp_rules_hold(
            h in handling(),
            (mut facts, members_only) in community(),
            org in prop::sample::select(ORGS.to_vec()),
            user in prop::sample::select(USERS.to_vec()),
            memberships in subset(COMMUNITIES),
        ) {
            facts.id = h.community.clone().unwrap_or_default();
            let mine: BTreeSet<String> = memberships.into_iter().collect();
            let a = actor(org, user, Role::Analyst);
            let viewer = Viewer { actor: Some(&a), communities: &mine };
            let c = h.community.as_ref().map(|_| &facts);
            let v = visibility(&viewer, &h, c);
            let source = if h.tlp == Tlp::Red { user == h.source_user } else { org == h.source_org };
            let in_c = h.community.as_ref().is_none_or(|c| mine.contains(c));
            let named = h.recipient_orgs.iter().any(|o| o == org)
                || h.recipient_communities.iter().any(|c| mine.contains(c));
            if source {
                prop_assert_eq!(v, Visibility::Full);
            } else if members_only && h.community.is_some() && !in_c {
                prop_assert_eq!(v, Visibility::Hidden);
            } else {
                let may = match h.tlp {
                    Tlp::Clear => true,
                    Tlp::Green => in_c,
                    Tlp::Amber => named || h.relayed_to.iter().any(|o| o == org),
                    Tlp::AmberStrict => named,
                    Tlp::Red => h.recipient_users.iter().any(|u| u == user),
                };
                let expected = if !may { Visibility::Hidden } else if in_c { Visibility::Full } else { Visibility::Anonymised };
                prop_assert_eq!(v, expected);
            }
            // Nobody without a token sees anything but TLP:CLEAR.
            let public = Viewer { actor: None, communities: &BTreeSet::new() };
            if visibility(&public, &h, c) != Visibility::Hidden {
                prop_assert_eq!(h.tlp, Tlp::Clear);
            }
        }
    }

    #[test]
    fn relay_only_amber_from_a_recipient_to_its_constituents() {
        let hub = actor("ceptoar-x", "h", Role::HubSecretariat);
        let none = BTreeSet::new();
        let mut h = Handling {
            tlp: Tlp::Amber,
            community: None,
            recipient_orgs: vec!["ceptoar-x".into()],
            recipient_communities: vec![],
            recipient_users: vec![],
            source_org: "nisc".into(),
            source_user: "n".into(),
            relayed_to: vec![],
        };
        let member = OrgRelations {
            id: "op".into(),
            sector_hubs: vec!["ceptoar-x".into()],
            ..Default::default()
        };
        let stranger = OrgRelations {
            id: "other".into(),
            ..Default::default()
        };
        assert!(may_relay(&hub, &none, &h, &member).is_ok());
        assert!(may_relay(&hub, &none, &h, &stranger).is_err());
        h.tlp = Tlp::AmberStrict;
        assert!(may_relay(&hub, &none, &h, &member).is_err());
        h.tlp = Tlp::Amber;
        h.recipient_orgs.clear();
        assert!(may_relay(&hub, &none, &h, &member).is_err());
    }

    #[test]
    fn anonymised_form_keeps_technique_and_observables() {
        let indicator = serde_json::json!({
            "type": "indicator", "id": "indicator--1", "created_by_ref": "identity--v",
            "name": "C2 seen at Asagiri Bank", "pattern": "[ipv4-addr:value = '203.0.113.9']",
            "external_references": [
                {"source_name": "mitre-attack", "external_id": "T1071"},
                {"source_name": "asagiri-ticket", "url": "https://tickets.asagiri.example/42"}
            ],
            "x_sakimori_source_org": "asagiri-bank"
        });
        let a = anonymise(&indicator, &["Asagiri Bank".into()]).unwrap();
        assert!(a.get("created_by_ref").is_none());
        assert!(a.get("x_sakimori_source_org").is_none());
        assert_eq!(a["pattern"], indicator["pattern"]);
        assert!(!a["name"].as_str().unwrap().contains("Asagiri"));
        assert_eq!(a["external_references"].as_array().unwrap().len(), 1);
        let identity =
            serde_json::json!({"type": "identity", "id": "identity--v", "name": "Asagiri Bank"});
        assert!(anonymise(&identity, &[]).is_none());
        let rel = serde_json::json!({"type": "relationship", "id": "relationship--1",
            "relationship_type": "targets", "source_ref": "attack-pattern--1", "target_ref": "identity--v"});
        assert!(anonymise(&rel, &[]).is_none());
    }
}
