//! The leak property: random organisations, communities, users, markings,
//! recipients, relays and objects; then every user asks for every object
//! through REST search, the REST object route, a TAXII collection and the STIX
//! export, and must see exactly what the handling rules allow, in the form they
//! allow (full or anonymised). Runs on both engines; each (user, object, path)
//! triple is one case, and each engine checks at least 10,000 cases.
//!
//! The oracle below restates the rules of docs/sharing.md independently of
//! `sakimori_core::policy::sharing`.

mod common;

use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sakimori_core::registry::{
    Community, CommunityKind, CommunityRules, Name, OrgKind, Organisation, RegistryDoc,
};
use sakimori_core::tlp::Tlp;
use sakimori_core::{Actor, Role};
use sakimori_server::{app, AppState};
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::{Store, INBOX_COLLECTION, SHARED_COLLECTION};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tower::ServiceExt;

const ROLES: &[Role] = &[
    Role::Analyst,
    Role::Operator,
    Role::HubSecretariat,
    Role::MinistryOfficer,
    Role::Coordinator,
    Role::Sensor,
];

/// One generated world, added to the store under the prefix `w{n}-`.
#[derive(Debug, Clone)]
struct Spec {
    /// Per organisation: the index of its parent, if any.
    orgs: Vec<Option<usize>>,
    /// Per community: members (org indexes), members_only, notice, audit.
    communities: Vec<(BTreeSet<usize>, bool)>,
    /// Per user: org index, role.
    users: Vec<(usize, usize)>,
    objects: Vec<ObjectSpec>,
    /// (user, object, target org)
    relays: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone)]
struct ObjectSpec {
    sharer: usize,
    /// Community index to share into (its collection), or the platform.
    community: Option<usize>,
    tlp: Tlp,
    /// A TLP marking inside the object as well.
    marking: Option<Tlp>,
    recipient_orgs: BTreeSet<usize>,
    recipient_communities: BTreeSet<usize>,
    recipient_users: BTreeSet<usize>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (3usize..6, 1usize..4, 4usize..8).prop_flat_map(|(n_orgs, n_comms, n_users)| {
        let orgs = prop::collection::vec(prop::option::weighted(0.4, 0..n_orgs), n_orgs);
        let comms = prop::collection::vec(
            (
                prop::collection::btree_set(0..n_orgs, 0..=n_orgs),
                any::<bool>(),
            ),
            n_comms,
        );
        let users = prop::collection::vec((0..n_orgs, 0..ROLES.len()), n_users);
        let tlp = prop::sample::select(Tlp::ALL.to_vec());
        let object = (
            0..n_users,
            prop::option::of(0..n_comms),
            tlp.clone(),
            prop::option::weighted(0.3, tlp),
            prop::collection::btree_set(0..n_orgs, 0..3),
            prop::collection::btree_set(0..n_comms, 0..2),
            prop::collection::btree_set(0..n_users, 0..3),
        )
            .prop_map(|(sharer, community, tlp, marking, ro, rc, ru)| ObjectSpec {
                sharer,
                community,
                tlp,
                marking,
                recipient_orgs: ro,
                recipient_communities: rc,
                recipient_users: ru,
            });
        let objects = prop::collection::vec(object, 8..16);
        let relays = prop::collection::vec((0..n_users, 0..8usize, 0..n_orgs), 0..6);
        (orgs, comms, users, objects, relays).prop_map(
            |(orgs, communities, users, objects, relays)| {
                // No cycles: a parent always comes earlier.
                let orgs = orgs
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| p.filter(|p| *p < i))
                    .collect();
                Spec {
                    orgs,
                    communities,
                    users,
                    objects,
                    relays,
                }
            },
        )
    })
}

/// What the oracle knows of a stored object.
#[derive(Debug, Clone)]
struct Known {
    id: String,
    tlp: Tlp,
    community: Option<String>,
    members_only: bool,
    source_org: String,
    source_user: String,
    recipient_orgs: BTreeSet<String>,
    recipient_communities: BTreeSet<String>,
    recipient_users: BTreeSet<String>,
    relayed_to: BTreeSet<String>,
}

/// Everything the oracle knows, across worlds.
#[derive(Default)]
struct Oracle {
    /// community id → members
    members: BTreeMap<String, BTreeSet<String>>,
    members_only: BTreeMap<String, bool>,
    /// org id → ancestors
    ancestors: BTreeMap<String, BTreeSet<String>>,
    /// username → (org, role)
    users: BTreeMap<String, (String, Role)>,
    objects: Vec<Known>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Full,
    Anonymised,
}

impl Oracle {
    fn member(&self, org: &str, community: &str) -> bool {
        self.members.get(community).is_some_and(|m| m.contains(org))
    }

    /// The rules of docs/sharing.md.
    fn sees(&self, user: &str, o: &Known) -> Option<Form> {
        let (org, _) = &self.users[user];
        let is_source = if o.tlp == Tlp::Red {
            user == o.source_user
        } else {
            *org == o.source_org
        };
        if is_source {
            return Some(Form::Full);
        }
        let in_community = o.community.as_deref().is_none_or(|c| self.member(org, c));
        if o.members_only && !in_community {
            return None;
        }
        let recipient = o.recipient_orgs.contains(org)
            || o.recipient_communities.iter().any(|c| self.member(org, c));
        let allowed = match o.tlp {
            Tlp::Clear => true,
            Tlp::Green => in_community,
            Tlp::Amber => recipient || o.relayed_to.contains(org),
            Tlp::AmberStrict => recipient,
            Tlp::Red => o.recipient_users.contains(user),
        };
        allowed.then_some(if in_community {
            Form::Full
        } else {
            Form::Anonymised
        })
    }

    fn may_relay(&self, user: &str, o: &Known, to: &str) -> bool {
        let (org, role) = &self.users[user];
        *role != Role::Sensor
            && o.tlp == Tlp::Amber
            && self.sees(user, o).is_some()
            && (o.recipient_orgs.contains(org)
                || o.recipient_communities.iter().any(|c| self.member(org, c)))
            && self.ancestors.get(to).is_some_and(|a| a.contains(org))
    }
}

struct Client {
    app: axum::Router,
    tokens: BTreeMap<String, String>,
}

impl Client {
    async fn call(
        &self,
        who: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.tokens[who]))
            .header("accept", "application/taxii+json;version=2.1");
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// Add one world to the store and the oracle; returns the cases checked.
async fn run_world(
    store: &Arc<Store>,
    client: &mut Client,
    oracle: &mut Oracle,
    n: usize,
    s: &Spec,
) -> usize {
    let org = |i: usize| format!("w{n}-o{i}");
    let com = |i: usize| format!("w{n}-c{i}");
    let user = |i: usize| format!("w{n}-u{i}");
    let doc = RegistryDoc {
        sectors: vec![],
        organisations: s
            .orgs
            .iter()
            .enumerate()
            .map(|(i, parent)| Organisation {
                id: org(i),
                name: Name {
                    en: format!("Org {n}-{i}"),
                    ja: format!("組織{n}-{i}"),
                },
                short: None,
                kind: OrgKind::Operator,
                sector: None,
                subsector: None,
                ministry: None,
                parent: parent.map(org),
                tags: vec![],
                contacts: None,
                assets: None,
            })
            .collect(),
        communities: s
            .communities
            .iter()
            .enumerate()
            .map(|(i, (members, members_only))| Community {
                id: com(i),
                name: Name {
                    en: format!("Community {n}-{i}"),
                    ja: format!("コミュニティ{n}-{i}"),
                },
                kind: CommunityKind::Adhoc,
                sector: None,
                rules: CommunityRules {
                    members_only: *members_only,
                    confidentiality_notice: *members_only,
                    audit_access: false,
                },
                members: members.iter().map(|m| org(*m)).collect(),
            })
            .collect(),
    };
    store
        .import_doc(&Actor::system(), &doc, &Default::default())
        .await
        .unwrap();
    for (i, parent) in s.orgs.iter().enumerate() {
        let mut a = BTreeSet::new();
        let mut p = *parent;
        while let Some(x) = p {
            a.insert(org(x));
            p = s.orgs[x];
        }
        oracle.ancestors.insert(org(i), a);
    }
    for (i, (members, members_only)) in s.communities.iter().enumerate() {
        oracle
            .members
            .insert(com(i), members.iter().map(|m| org(*m)).collect());
        oracle.members_only.insert(com(i), *members_only);
    }
    for (i, (o, r)) in s.users.iter().enumerate() {
        let token = common::user_token(store, &user(i), &org(*o), ROLES[*r]).await;
        client.tokens.insert(user(i), token);
        oracle.users.insert(user(i), (org(*o), ROLES[*r]));
    }
    // Each community's collection id, as its members list them.
    let (_, cols) = client
        .call("admin", Method::GET, "/api/v1/intel/collections", None)
        .await;
    let collection_of = |c: &str| -> String {
        cols.as_array()
            .unwrap()
            .iter()
            .find(|x| x["community_id"] == c)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = oracle.objects.len();
    for (k, o) in s.objects.iter().enumerate() {
        let id = format!("indicator--{}", uuid::Uuid::new_v4());
        let sharer = user(o.sharer);
        let (sharer_org, role) = oracle.users[&sharer].clone();
        let mut object = json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
            "name": format!("Indicator {n}-{k} from Org {n}-{}", o.sharer),
            "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", k),
            "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z",
            "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
        });
        if let Some(m) = o.marking {
            object["object_marking_refs"] = json!([m.stix_marking_id()]);
        }
        let community = o.community.map(com);
        let collection = community
            .as_deref()
            .map(collection_of)
            .unwrap_or_else(|| SHARED_COLLECTION.to_owned());
        let mut recipients: Vec<String> = o.recipient_orgs.iter().map(|i| org(*i)).collect();
        recipients.extend(
            o.recipient_communities
                .iter()
                .map(|c| format!("community:{}", com(*c))),
        );
        let users: Vec<String> = o.recipient_users.iter().map(|u| user(*u)).collect();
        let body = json!({"collection": collection, "objects": [object], "tlp": o.tlp,
                          "recipients": recipients, "recipient_users": users});
        let (status, answer) = client
            .call(&sharer, Method::POST, "/api/v1/intel/objects", Some(body))
            .await;
        // The oracle's view of what handling the object gets, if accepted.
        let tlp = o.tlp.max(o.marking.unwrap_or(Tlp::Clear));
        let may_write = role != Role::Sensor
            && community
                .as_deref()
                .is_none_or(|c| oracle.member(&sharer_org, c));
        let mut rc: BTreeSet<String> = o.recipient_communities.iter().map(|c| com(*c)).collect();
        let ro: BTreeSet<String> = o.recipient_orgs.iter().map(|i| org(*i)).collect();
        let needs_recipients =
            matches!(tlp, Tlp::Amber | Tlp::AmberStrict) && ro.is_empty() && rc.is_empty();
        if needs_recipients {
            if let Some(c) = &community {
                rc.insert(c.clone());
            }
        }
        let accepted = may_write && !(needs_recipients && community.is_none());
        assert_eq!(
            status == StatusCode::OK,
            accepted,
            "share {o:?} by {sharer}: {status} {answer}"
        );
        if accepted {
            oracle.objects.push(Known {
                id,
                tlp,
                members_only: community.as_ref().is_some_and(|c| oracle.members_only[c]),
                community,
                source_org: sharer_org,
                source_user: sharer.clone(),
                recipient_orgs: ro,
                recipient_communities: rc,
                recipient_users: if tlp == Tlp::Red {
                    users.into_iter().collect()
                } else {
                    BTreeSet::new()
                },
                relayed_to: BTreeSet::new(),
            });
        }
    }
    for (u, o, to) in &s.relays {
        let Some(idx) =
            (first..oracle.objects.len()).nth(*o % (oracle.objects.len() - first).max(1))
        else {
            continue;
        };
        let known = oracle.objects[idx].clone();
        let (u, to) = (user(*u), org(*to));
        let collection = known
            .community
            .as_deref()
            .map(collection_of)
            .unwrap_or_else(|| SHARED_COLLECTION.to_owned());
        let (status, answer) = client
            .call(
                &u,
                Method::POST,
                &format!("/api/v1/intel/objects/{}/relay", known.id),
                Some(json!({"collection": collection, "to": to})),
            )
            .await;
        let expected = oracle.may_relay(&u, &known, &to);
        assert_eq!(
            status == StatusCode::OK,
            expected,
            "relay {} by {u} to {to}: {status} {answer} ({known:?})",
            known.id
        );
        if expected {
            oracle.objects[idx].relayed_to.insert(to);
        }
    }
    // Every user of this world, every object so far, every path.
    let mut cases = 0;
    let world_users: Vec<String> = (0..s.users.len()).map(user).collect();
    for u in &world_users {
        let search = visible_in(
            client,
            u,
            "/api/v1/intel/objects?limit=1000",
            |v| v["objects"].clone(),
            |o| (o["id"].clone(), o["visibility"] == "anonymised"),
        )
        .await;
        let taxii = visible_in(
            client,
            u,
            &format!("/taxii2/api/collections/{INBOX_COLLECTION}/objects/?limit=10000"),
            |v| v["objects"].clone(),
            |o| (o["id"].clone(), o.get("created_by_ref").is_none()),
        )
        .await;
        let export = visible_in(
            client,
            u,
            "/api/v1/intel/export",
            |v| v["objects"].clone(),
            |o| (o["id"].clone(), o.get("created_by_ref").is_none()),
        )
        .await;
        for o in &oracle.objects {
            let want = oracle.sees(u, o);
            let as_form = |m: &BTreeMap<String, bool>| {
                m.get(&o.id)
                    .map(|anon| if *anon { Form::Anonymised } else { Form::Full })
            };
            for (path, got) in [
                ("search", as_form(&search)),
                ("taxii", as_form(&taxii)),
                ("export", as_form(&export)),
            ] {
                assert_eq!(got, want, "{path}: {u} ({:?}) and {o:?}", oracle.users[u]);
                cases += 1;
            }
            if o.source_org.starts_with(&format!("w{n}-")) {
                let (status, v) = client
                    .call(
                        u,
                        Method::GET,
                        &format!("/api/v1/intel/objects/{}", o.id),
                        None,
                    )
                    .await;
                let got = (status == StatusCode::OK).then(|| {
                    if v["versions"][0]["visibility"] == "anonymised" {
                        Form::Anonymised
                    } else {
                        Form::Full
                    }
                });
                assert_eq!(got, want, "object route: {u} and {o:?}");
                cases += 1;
            }
        }
    }
    cases
}

/// The ids (and whether anonymised) of the objects a listing shows.
async fn visible_in(
    client: &Client,
    who: &str,
    uri: &str,
    list: impl Fn(&Value) -> Value,
    item: impl Fn(&Value) -> (Value, bool),
) -> BTreeMap<String, bool> {
    let (status, v) = client.call(who, Method::GET, uri, None).await;
    assert_eq!(status, StatusCode::OK, "{who} {uri}: {v}");
    assert_ne!(v["more"], true, "one page holds the world");
    list(&v)
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|o| o["type"] == "indicator" || o.get("object").is_some())
        .map(|o| {
            let (id, anon) = item(o);
            (id.as_str().unwrap().to_owned(), anon)
        })
        .collect()
}

fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[test]
fn no_object_is_ever_visible_to_anyone_who_may_not_see_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(each_backend(|TestDb { store, backend, .. }| async move {
        let store = Arc::new(store);
        store.ensure_reference(common::REFERENCE).await.unwrap();
        let mut client = Client {
            app: app(AppState::new(store.clone())),
            tokens: BTreeMap::new(),
        };
        client.tokens.insert(
            "admin".into(),
            common::user_token(&store, "admin", "nisc", Role::Administrator).await,
        );
        let mut oracle = Oracle::default();
        // A new seed each run (printed, and settable to replay a failure).
        let seed: u64 = std::env::var("SAKIMORI_LEAK_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(rand_seed);
        eprintln!("{backend:?}: SAKIMORI_LEAK_SEED={seed}");
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &bytes,
        );
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        let mut cases = 0;
        let mut n = 0;
        while cases < 10_000 {
            let spec = spec().new_tree(&mut runner).unwrap().current();
            cases += run_world(&store, &mut client, &mut oracle, n, &spec).await;
            n += 1;
        }
        eprintln!(
            "{backend:?}: {cases} cases in {n} worlds, {} objects",
            oracle.objects.len()
        );
    }));
}
