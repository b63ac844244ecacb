//! The shipped registry data and the demo installation.

use crate::output;
use sakimori_core::registry::Format;
use sakimori_core::{Actor, Role};
use sakimori_store::{NewUser, Store};
use serde::Serialize;

/// The reference registry: 15 sectors, ministries, CEPTOARs, the Council.
pub const REFERENCE: &str = include_str!("../../../data/reference/registry.yaml");
/// The fictional demo constituency (documentation address ranges only).
pub const CONSTITUENCY: &str = include_str!("../../../data/demo/constituency.yaml");
/// The password of every demo user, for the console.
pub const PASSWORD: &str = "sakimori-demo-2026";

/// One demo user per role: (username, organisation, role).
pub const USERS: &[(&str, &str, Role)] = &[
    ("demo-admin", "nisc", Role::Administrator),
    ("demo-coordinator", "nisc", Role::Coordinator),
    ("demo-ministry", "meti", Role::MinistryOfficer),
    ("demo-hub", "ceptoar-electricity", Role::HubSecretariat),
    ("demo-operator", "kanto-power", Role::Operator),
    ("demo-analyst", "jpcert", Role::Analyst),
    // GSOC: triages the events requiring confirmation at the centre.
    ("demo-gsoc", "nisc", Role::Analyst),
    ("demo-sensor", "nisc", Role::Sensor),
];

#[derive(Serialize)]
pub struct DemoUser {
    pub username: String,
    pub org: String,
    pub role: Role,
    pub token: String,
}

/// Load the demo constituency and users (idempotent), and issue fresh tokens.
pub async fn install(store: &Store) -> anyhow::Result<Vec<DemoUser>> {
    let system = Actor::system();
    store
        .import_text(&system, CONSTITUENCY, Format::Yaml)
        .await
        .map_err(|e| anyhow::anyhow!("demo constituency: {e}"))?;
    let mut out = Vec::new();
    for (username, org, role) in USERS {
        let user = match store.user_by_name(username).await? {
            Some(u) => u,
            None => {
                store
                    .create_user(
                        &system,
                        &NewUser {
                            username: (*username).into(),
                            display_name: None,
                            org: (*org).into(),
                            roles: vec![*role],
                            password: Some(PASSWORD.into()),
                        },
                    )
                    .await?
            }
        };
        let (_, token) = store
            .create_token(&system, &user.id, "demo", Some(30))
            .await?;
        out.push(DemoUser {
            username: user.username,
            org: user.org,
            role: *role,
            token,
        });
    }
    Ok(out)
}

pub fn print(url: &str, users: &[DemoUser]) {
    let rows = users
        .iter()
        .map(|u| {
            vec![
                u.role.to_string(),
                u.username.clone(),
                u.org.clone(),
                u.token.clone(),
            ]
        })
        .collect();
    println!("\nSakimori demo is running at {url}");
    println!("  health:   {url}/healthz");
    println!("  API docs: {url}/api/v1/openapi.json");
    println!("  password of every demo user: {PASSWORD}\n");
    println!(
        "{}",
        output::table(&["role", "user", "organisation", "API token"], rows)
    );
    if let Some(c) = users.iter().find(|u| u.role == Role::Coordinator) {
        println!(
            "\nTry: curl -H 'Authorization: Bearer {}' {url}/api/v1/sectors",
            c.token
        );
    }
    println!();
}
