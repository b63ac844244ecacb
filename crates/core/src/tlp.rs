//! The Traffic Light Protocol, version 2.0 (FIRST): the handling marking of every
//! advisory and intelligence object. Who may see what under each marking is
//! decided in [`crate::policy`]; this module is the vocabulary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A TLP 2.0 marking, from least to most restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Tlp {
    /// Anyone; public disclosure allowed.
    #[serde(rename = "TLP:CLEAR")]
    Clear,
    /// The recipient's community.
    #[serde(rename = "TLP:GREEN")]
    Green,
    /// The recipient organisation and its clients, on a need-to-know basis.
    #[serde(rename = "TLP:AMBER")]
    Amber,
    /// The recipient organisation only.
    #[serde(rename = "TLP:AMBER+STRICT")]
    AmberStrict,
    /// The named recipients only.
    #[serde(rename = "TLP:RED")]
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The label exactly as TLP 2.0 writes it.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The text colour of the label on a black background (FIRST TLP 2.0, RGB).
    pub fn colour(self) -> &'static str {
        match self {
            Tlp::Clear => "#FFFFFF",
            Tlp::Green => "#33FF00",
            Tlp::Amber | Tlp::AmberStrict => "#FFC000",
            Tlp::Red => "#FF2B2B",
        }
    }

    /// The STIX 2.1 marking-definition id of the TLP 2.0 extension (the same UUIDs
    /// the OASIS CACAO and STIX TLP 2.0 definitions use).
    pub fn stix_marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The meaning in Japanese, for labels in the console and e-mails.
    pub fn meaning_ja(self) -> &'static str {
        match self {
            Tlp::Clear => "公開可",
            Tlp::Green => "コミュニティ内で共有可",
            Tlp::Amber => "受信組織とその顧客の必要な者に限り共有可",
            Tlp::AmberStrict => "受信組織内に限り共有可",
            Tlp::Red => "指名された受信者限り",
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Tlp {
    type Err = String;

    /// Accepts the TLP 2.0 labels, case-insensitively, with or without `TLP:`.
    /// TLP 1.0's WHITE is refused with a pointer to CLEAR.
    fn from_str(s: &str) -> Result<Tlp, String> {
        let upper = s.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("TLP:").unwrap_or(&upper);
        match bare {
            "CLEAR" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            "WHITE" => Err("TLP:WHITE is TLP 1.0; TLP 2.0 calls it TLP:CLEAR".into()),
            _ => Err(format!(
                "{s:?} is not a TLP 2.0 marking: use TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_back_and_order_by_restriction() {
        for t in Tlp::ALL {
            assert_eq!(t.label().parse::<Tlp>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.label());
        }
        assert!(
            Tlp::Clear < Tlp::Green
                && Tlp::Green < Tlp::Amber
                && Tlp::Amber < Tlp::AmberStrict
                && Tlp::AmberStrict < Tlp::Red
        );
        assert_eq!("amber+strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert!("TLP:WHITE"
            .parse::<Tlp>()
            .unwrap_err()
            .contains("TLP:CLEAR"));
        assert!("TLP:PURPLE".parse::<Tlp>().is_err());
        assert!(serde_json::from_str::<Tlp>("\"TLP:AMBER\"").is_ok());
        assert!(
            serde_json::from_str::<Tlp>("\"amber\"").is_err(),
            "the wire form is the exact label"
        );
    }

    #[test]
    fn stix_ids_are_distinct_marking_definitions() {
        let ids: std::collections::HashSet<_> =
            Tlp::ALL.iter().map(|t| t.stix_marking_id()).collect();
        assert_eq!(ids.len(), 5);
        assert!(ids
            .iter()
            .all(|i| i.starts_with("marking-definition--") && i.len() == 56));
    }
}
