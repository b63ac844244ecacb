//! The constituency registry (構成員台帳): sectors, organisations, contacts, network
//! assets and communities. The reference registry (15 sectors, ministries, CEPTOARs,
//! the Cybersecurity Council) is data shipped with the product and loaded through the
//! same file format as any import.

mod file;
mod validate;

pub use file::{parse, parse_csv, parse_yaml, to_csv, to_yaml, Format, Locator, ParseError};
pub(crate) use validate::valid_domain as is_domain;
pub use validate::{validate, Finding, ImportPlan, ValidationError};

use chrono::NaiveDate;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A name in Japanese and English; both are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub en: String,
    pub ja: String,
}

/// A critical-infrastructure sector (重要インフラ分野).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: String,
    pub name: Name,
    /// The supervising ministry (所管省庁), an organisation of kind `ministry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ministry: Option<String>,
    /// When the sector joined the list (airports 2018, ports 2024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsectors: Vec<Subsector>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Subsector {
    pub id: String,
    pub name: Name,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}, expected one of: {}",
                        stringify!($name).to_lowercase(),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What an organisation is in the information-sharing system.
    OrgKind {
        CoordinationCentre => "coordination-centre",
        Ministry => "ministry",
        Hub => "hub",
        Operator => "operator",
        GovernmentBody => "government-body",
        LocalGovernment => "local-government",
        SecurityOrganisation => "security-organisation",
        SpecialistVendor => "specialist-vendor",
    }
);

string_enum!(
    /// The function of a contact inside its organisation.
    ContactRole {
        Csirt => "csirt",
        Poc => "poc",
        Ciso => "ciso",
        Secretariat => "secretariat",
        Management => "management",
        DutyOfficer => "duty-officer",
    }
);

string_enum!(
    /// Communities share intelligence among their members.
    CommunityKind {
        Council => "council",
        Sector => "sector",
        Adhoc => "adhoc",
    }
);

string_enum!(
    /// The kinds of network asset an organisation registers.
    AssetKind {
        Prefix => "prefix",
        Asn => "asn",
        Domain => "domain",
        Service => "service",
    }
);

/// An organisation of the constituency (or of the reference registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub id: String,
    pub name: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
    pub kind: OrgKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsector: Option<String>,
    /// Supervising ministry; defaults to the sector's ministry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ministry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `None` in an import keeps the contacts already registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<Contact>>,
    /// `None` in an import keeps the assets already registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<Assets>,
}

/// A person to reach at an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub role: ContactRole,
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A deputy is reached when the primary contact does not answer.
    #[serde(default)]
    pub deputy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified: Option<NaiveDate>,
}

/// Network assets: what the lookup resolves sensor traffic to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assets {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub prefixes: Vec<IpNet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asns: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

impl Assets {
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
            && self.asns.is_empty()
            && self.domains.is_empty()
            && self.services.is_empty()
    }
}

/// The rules a community imposes on what is shared in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommunityRules {
    #[serde(default)]
    pub members_only: bool,
    /// Show a confidentiality notice on every view and export (the Council).
    #[serde(default)]
    pub confidentiality_notice: bool,
    /// Audit every read access, not only writes.
    #[serde(default)]
    pub audit_access: bool,
}

/// A sharing community: the Cybersecurity Council, a sector community, a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Community {
    pub id: String,
    pub name: Name,
    pub kind: CommunityKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(default)]
    pub rules: CommunityRules,
    #[serde(default)]
    pub members: Vec<String>,
}

/// A registry document: the content of an import or export file, or the whole registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistryDoc {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<Sector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<Organisation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<Community>,
}

impl RegistryDoc {
    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }

    pub fn sector(&self, id: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.id == id)
    }

    /// The supervising ministry of an organisation: its own, else its sector's.
    pub fn supervising_ministry<'a>(&'a self, org: &'a Organisation) -> Option<&'a str> {
        org.ministry.as_deref().or_else(|| {
            org.sector
                .as_deref()
                .and_then(|s| self.sector(s))
                .and_then(|s| s.ministry.as_deref())
        })
    }
}
