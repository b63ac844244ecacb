//! The one access policy: "may user U of organisation O do or see X?".
//!
//! Every route of the API declares a [`Permission`]; [`allows`] answers it from the
//! caller's roles. Reads of an organisation's private data (contacts, assets,
//! users) are decided per object by [`may_view_private`] from the relations of
//! the target organisation ([`OrgRelations`]). Shared intelligence — TLP 2.0,
//! communities, named recipients, relays and anonymisation — is decided in
//! [`sharing`], and nowhere else.

pub mod sharing;

use crate::identity::{Actor, Role};
use serde::Serialize;

/// What a route or command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Anyone, without a token: signing in.
    Public,
    /// Any authenticated caller, e.g. "who am I".
    Authenticated,
    /// Sectors, the organisation directory and communities.
    ReadRegistry,
    /// Resolve an address or domain to its owning organisation.
    Whois,
    /// Read an organisation's private data; decided per object as well.
    ReadOrgPrivate,
    /// Add or verify contacts; decided per object as well.
    EditOrgContacts,
    /// Export the registry; the content is filtered per object.
    ExportRegistry,
    /// Import registry files and edit organisations.
    ManageRegistry,
    /// Create, list and disable users.
    ManageUsers,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// Read and verify the audit log.
    ReadAudit,
    /// Submit and update incident reports of one's own organisation.
    SubmitReport,
    /// Read reports; decided per report as well ([`may_view_report`]).
    ReadReports,
    /// Acknowledge and comment reports received; decided per report as well.
    HandleReports,
    /// Classify, link into incidents, evaluate severity, switch the mode.
    CoordinateReports,
    /// Read the fiscal-year statistics (aggregates only).
    ReadStatistics,
    /// Write advisories: the centre to anyone, a ministry or hub to its own constituents.
    WriteAdvisories,
    /// Read, acknowledge and relay advisories received; decided per advisory as well.
    ReceiveAdvisories,
    /// Read shared intelligence (STIX objects, TAXII); decided per object by
    /// [`sharing::visibility`].
    ReadIntel,
    /// Share intelligence into a collection one may read; relay TLP:AMBER received.
    SubmitIntel,
    /// Create collections, delete any object, publish reports as intelligence.
    ManageIntel,
    /// Send sensor observations to the triage pipeline.
    SubmitObservations,
    /// Read, confirm, dismiss and escalate events requiring confirmation, and
    /// manage suppressions; the store also requires a coordination centre.
    TriageEvents,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::Public,
        Permission::Authenticated,
        Permission::ReadRegistry,
        Permission::Whois,
        Permission::ReadOrgPrivate,
        Permission::EditOrgContacts,
        Permission::ExportRegistry,
        Permission::ManageRegistry,
        Permission::ManageUsers,
        Permission::ManageOwnTokens,
        Permission::ReadAudit,
        Permission::SubmitReport,
        Permission::ReadReports,
        Permission::HandleReports,
        Permission::CoordinateReports,
        Permission::ReadStatistics,
        Permission::WriteAdvisories,
        Permission::ReceiveAdvisories,
        Permission::ReadIntel,
        Permission::SubmitIntel,
        Permission::ManageIntel,
        Permission::SubmitObservations,
        Permission::TriageEvents,
    ];
}

/// Whether a role grants a permission.
pub fn role_grants(role: Role, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match p {
        Public | Authenticated | Whois => true,
        ReadRegistry | ReadOrgPrivate | EditOrgContacts | ExportRegistry | ManageOwnTokens => {
            role.is_human()
        }
        ManageRegistry => matches!(role, Administrator | Coordinator),
        ManageUsers => role == Administrator,
        ReadAudit => matches!(role, Administrator | Coordinator),
        SubmitReport | ReadReports | HandleReports => role.is_human(),
        CoordinateReports => role == Coordinator,
        ReadStatistics => matches!(
            role,
            Administrator | Coordinator | MinistryOfficer | HubSecretariat | Analyst
        ),
        WriteAdvisories => matches!(role, Coordinator | MinistryOfficer | HubSecretariat),
        ReceiveAdvisories => role.is_human(),
        // Sensors match traffic against the indicators they may use.
        ReadIntel => true,
        SubmitIntel => role.is_human(),
        ManageIntel => matches!(role, Administrator | Coordinator),
        SubmitObservations => matches!(role, Sensor | Administrator | Coordinator),
        TriageEvents => matches!(role, Coordinator | Analyst),
    }
}

/// Whether any of the actor's roles grants the permission.
pub fn allows(actor: &Actor, p: Permission) -> bool {
    actor.roles.iter().any(|r| role_grants(*r, p))
}

/// The facts about a target organisation that decide who may see its private data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgRelations {
    pub id: String,
    /// Parent, grandparent, ...: a city hall sees its hospital.
    pub ancestors: Vec<String>,
    /// The ministry that supervises it (its own, or its sector's).
    pub supervising_ministry: Option<String>,
    /// The hubs (CEPTOARs, ISACs) of its sector.
    pub sector_hubs: Vec<String>,
}

/// May the actor read the private data (contacts, assets, users) of `target`?
pub fn may_view_private(actor: &Actor, target: &OrgRelations) -> bool {
    if !allows(actor, Permission::ReadOrgPrivate) {
        return false;
    }
    if actor.has(Role::Administrator) || actor.has(Role::Coordinator) {
        return true;
    }
    if actor.org == target.id || target.ancestors.contains(&actor.org) {
        return true;
    }
    if actor.has(Role::MinistryOfficer)
        && target.supervising_ministry.as_deref() == Some(&actor.org)
    {
        return true;
    }
    actor.has(Role::HubSecretariat) && target.sector_hubs.contains(&actor.org)
}

/// May the actor add or verify contacts of `target`? Its own organisation and the centre.
pub fn may_edit_contacts(actor: &Actor, target: &OrgRelations) -> bool {
    allows(actor, Permission::EditOrgContacts)
        && (actor.has(Role::Administrator)
            || actor.has(Role::Coordinator)
            || actor.org == target.id)
}

/// May the actor read a report? Its reporting organisation, its recipients, and
/// the centre (coordinator, administrator).
pub fn may_view_report(actor: &Actor, reporter: &str, recipients: &[String]) -> bool {
    allows(actor, Permission::ReadReports)
        && (actor.has(Role::Coordinator)
            || actor.has(Role::Administrator)
            || actor.org == reporter
            || recipients.contains(&actor.org))
}

/// May the actor update a report? Its reporting organisation and the coordinator.
pub fn may_update_report(actor: &Actor, reporter: &str) -> bool {
    allows(actor, Permission::SubmitReport)
        && (actor.org == reporter || actor.has(Role::Coordinator))
}

/// May the actor acknowledge or comment a report? Its recipients (and, for
/// comments, the reporter, who answers questions).
pub fn may_handle_report(actor: &Actor, recipients: &[String]) -> bool {
    allows(actor, Permission::HandleReports) && recipients.contains(&actor.org)
}

/// May the actor read an advisory? Its author organisation, the organisations it
/// was delivered to (not those still waiting for a relay), and the coordinator.
/// TLP:CLEAR advisories may be read by anyone signed in.
pub fn may_view_advisory(
    actor: &Actor,
    author: &str,
    tlp: crate::tlp::Tlp,
    delivered_to: &[String],
) -> bool {
    allows(actor, Permission::ReceiveAdvisories)
        && (tlp == crate::tlp::Tlp::Clear
            || actor.has(Role::Coordinator)
            || actor.org == author
            || delivered_to.contains(&actor.org))
}

/// May the actor follow an advisory's delivery to every organisation (the
/// per-tier status)? Its author's organisation and the coordinator.
pub fn may_track_advisory(actor: &Actor, author: &str) -> bool {
    allows(actor, Permission::ReceiveAdvisories)
        && (actor.org == author || actor.has(Role::Coordinator))
}

/// May the actor read and decide events requiring confirmation (who was
/// attacked, with the evidence)? The centre's coordinators and analysts only:
/// `org_kind` is the kind of the actor's own organisation.
pub fn may_triage_events(actor: &Actor, org_kind: Option<crate::registry::OrgKind>) -> bool {
    allows(actor, Permission::TriageEvents)
        && org_kind == Some(crate::registry::OrgKind::CoordinationCentre)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    fn org() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c", "d", "e"]).prop_map(str::to_owned)
    }

    fn actor() -> impl Strategy<Value = Actor> {
        (org(), prop::collection::vec(role(), 1..3)).prop_map(|(org, roles)| Actor {
            user_id: "u".into(),
            username: "u".into(),
            org,
            roles,
        })
    }

    fn relations() -> impl Strategy<Value = OrgRelations> {
        (
            org(),
            prop::collection::vec(org(), 0..3),
            prop::option::of(org()),
            prop::collection::vec(org(), 0..2),
        )
            .prop_map(
                |(id, ancestors, supervising_ministry, sector_hubs)| OrgRelations {
                    id,
                    ancestors,
                    supervising_ministry,
                    sector_hubs,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// Only the centre's coordinators and analysts triage, whatever else
        /// they hold; nobody outside the centre does.
        #[test]
        fn only_the_centres_analysts_triage(a in actor(), centre in any::<bool>()) {
            use crate::registry::OrgKind;
            let kind = if centre { OrgKind::CoordinationCentre } else { OrgKind::Operator };
            let may = may_triage_events(&a, Some(kind));
            prop_assert_eq!(
                may,
                centre && (a.has(Role::Coordinator) || a.has(Role::Analyst))
            );
            prop_assert!(!may_triage_events(&a, None));
        }

        /// Nobody sees private data of an organisation they have no relation to,
        /// unless they are the centre.
        #[test]
        fn unrelated_never_see_private(a in actor(), t in relations()) {
            let related = a.org == t.id
                || t.ancestors.contains(&a.org)
                || t.supervising_ministry.as_deref() == Some(&a.org)
                || t.sector_hubs.contains(&a.org);
            let centre = a.has(Role::Administrator) || a.has(Role::Coordinator);
            if !related && !centre {
                prop_assert!(!may_view_private(&a, &t));
            }
        }

        /// A ministry officer sees a supervised organisation only through the
        /// ministry role, not through an unrelated operator role.
        #[test]
        fn relation_needs_matching_role(a in actor(), t in relations()) {
            let via_ministry_only = a.org != t.id
                && !t.ancestors.contains(&a.org)
                && !t.sector_hubs.contains(&a.org)
                && t.supervising_ministry.as_deref() == Some(&a.org);
            if via_ministry_only && !a.has(Role::MinistryOfficer) && !a.has(Role::Administrator) && !a.has(Role::Coordinator) {
                prop_assert!(!may_view_private(&a, &t));
            }
        }

        /// A sensor identity never reads private data, whatever its organisation.
        #[test]
        fn sensors_see_no_private_data(org in org(), t in relations()) {
            let a = Actor { user_id: "s".into(), username: "s".into(), org, roles: vec![Role::Sensor] };
            prop_assert!(!may_view_private(&a, &t));
            prop_assert!(!may_edit_contacts(&a, &t));
        }

        /// Adding a role never takes a permission away.
        #[test]
        fn roles_only_add(a in actor(), extra in role(), t in relations()) {
            let mut more = a.clone();
            more.roles.push(extra);
            for p in Permission::ALL {
                prop_assert!(!allows(&a, *p) || allows(&more, *p));
            }
            prop_assert!(!may_view_private(&a, &t) || may_view_private(&more, &t));
        }

        /// Reports: nobody outside the reporter, the recipients and the centre reads
        /// one, and whoever may update or handle it may also read it.
        #[test]
        fn reports_stay_with_reporter_recipients_and_centre(a in actor(), reporter in org(), recipients in prop::collection::vec(org(), 0..3)) {
            let centre = a.has(Role::Coordinator) || a.has(Role::Administrator);
            if !centre && a.org != reporter && !recipients.contains(&a.org) {
                prop_assert!(!may_view_report(&a, &reporter, &recipients));
            }
            if may_update_report(&a, &reporter) || may_handle_report(&a, &recipients) {
                prop_assert!(may_view_report(&a, &reporter, &recipients));
            }
            if a.roles == vec![Role::Sensor] {
                prop_assert!(!may_view_report(&a, &reporter, &recipients));
            }
        }

        /// An advisory marked above CLEAR never reaches an organisation it was not
        /// delivered to, unless the actor is its author or the coordinator.
        #[test]
        fn advisories_stay_with_their_audience(a in actor(), author in org(), delivered in prop::collection::vec(org(), 0..3), tlp in prop::sample::select(crate::tlp::Tlp::ALL.to_vec())) {
            if tlp != crate::tlp::Tlp::Clear && !a.has(Role::Coordinator) && a.org != author && !delivered.contains(&a.org) {
                prop_assert!(!may_view_advisory(&a, &author, tlp, &delivered));
            }
            if a.roles == vec![Role::Sensor] {
                prop_assert!(!may_view_advisory(&a, &author, tlp, &delivered));
            }
        }

        /// Anyone who may edit contacts may also see them.
        #[test]
        fn edit_implies_view(a in actor(), t in relations()) {
            prop_assert!(!may_edit_contacts(&a, &t) || may_view_private(&a, &t));
        }
    }

    #[test]
    fn own_org_sees_itself_and_centre_sees_all() {
        let t = OrgRelations {
            id: "bank".into(),
            ..Default::default()
        };
        let op = Actor {
            user_id: "1".into(),
            username: "op".into(),
            org: "bank".into(),
            roles: vec![Role::Operator],
        };
        assert!(may_view_private(&op, &t));
        let other = Actor {
            org: "power".into(),
            ..op.clone()
        };
        assert!(!may_view_private(&other, &t));
        let nisc = Actor {
            org: "nisc".into(),
            roles: vec![Role::Coordinator],
            ..op
        };
        assert!(may_view_private(&nisc, &t));
    }
}
