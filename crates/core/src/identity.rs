//! Who is asking: users, their organisation and their roles.

use crate::registry::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

string_enum!(
    /// What a user may do in the system; a user holds one or more roles.
    Role {
        Administrator => "administrator",
        Coordinator => "coordinator",
        MinistryOfficer => "ministry",
        HubSecretariat => "hub",
        Operator => "operator",
        Analyst => "analyst",
        Sensor => "sensor",
    }
);

impl Role {
    /// A role held by a person (as opposed to a machine identity such as a sensor).
    pub fn is_human(self) -> bool {
        self != Role::Sensor
    }
}

/// An authenticated caller: a user acting for an organisation with some roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub org: String,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The identity used for writes done by the system itself (start-up, demo, migrations).
    pub fn system() -> Actor {
        Actor {
            user_id: "system".into(),
            username: "system".into(),
            org: String::new(),
            roles: vec![Role::Administrator],
        }
    }
}

/// Parse a comma-separated list of roles, as stored and as given on the command line.
pub fn parse_roles(s: &str) -> Result<Vec<Role>, String> {
    let mut roles = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let r: Role = part.parse()?;
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    if roles.is_empty() {
        return Err("at least one role is required".into());
    }
    roles.sort();
    Ok(roles)
}

pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.username, self.org)
    }
}
