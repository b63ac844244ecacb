//! Incident reports up the chain (情報連絡): one short report, sent once to every
//! recipient that the routing rules name, completed by later updates.
//!
//! Only five things are mandatory — reporting organisation (from the caller),
//! summary, detected at, whether a service is affected, status — because "all
//! facts are rarely known at first" (FY2023 exercise feedback). Everything else is
//! optional and added by updates; every update is a version.

use crate::classification::{AttackType, Cause, EventClass};
use crate::registry::string_enum;
use crate::severity::SeverityInputs;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

string_enum!(
    /// Where a report stands.
    ReportStatus {
        Reported => "reported",
        Acknowledged => "acknowledged",
        UnderResponse => "under-response",
        Recovered => "recovered",
        Closed => "closed",
    }
);

impl ReportStatus {
    pub fn label_ja(self) -> &'static str {
        match self {
            ReportStatus::Reported => "報告済み",
            ReportStatus::Acknowledged => "受領済み",
            ReportStatus::UnderResponse => "対応中",
            ReportStatus::Recovered => "復旧",
            ReportStatus::Closed => "終結",
        }
    }
}

string_enum!(
    /// Kinds of technical observable a report can carry.
    ObservableKind {
        Ipv4 => "ipv4",
        Ipv6 => "ipv6",
        Domain => "domain",
        Url => "url",
        Md5 => "md5",
        Sha1 => "sha1",
        Sha256 => "sha256",
        Email => "email",
    }
);

/// An IP address, domain, URL, file hash or e-mail address seen in the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Observable {
    pub kind: ObservableKind,
    pub value: String,
}

impl Observable {
    /// Check the value against its kind.
    pub fn check(&self) -> Result<(), String> {
        let v = self.value.trim();
        let hex = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit());
        let ok = match self.kind {
            ObservableKind::Ipv4 => v.parse::<Ipv4Addr>().is_ok(),
            ObservableKind::Ipv6 => v.parse::<Ipv6Addr>().is_ok(),
            ObservableKind::Domain => crate::registry::is_domain(&v.to_ascii_lowercase()),
            ObservableKind::Url => {
                (v.starts_with("http://") || v.starts_with("https://") || v.starts_with("ftp://"))
                    && v.len() > 8
                    && !v.contains(char::is_whitespace)
            }
            ObservableKind::Md5 => hex(32),
            ObservableKind::Sha1 => hex(40),
            ObservableKind::Sha256 => hex(64),
            ObservableKind::Email => v.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && crate::registry::is_domain(&d.to_ascii_lowercase())
            }),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{:?} is not a valid {}", self.value, self.kind))
        }
    }
}

/// Everything a report says. Mandatory fields first; the rest may come later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportFields {
    /// One line: what happened, as known now.
    pub summary: String,
    pub detected_at: DateTime<Utc>,
    /// Is a service to the public affected?
    pub service_affected: bool,
    pub status: ReportStatus,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_class: Option<EventClass>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attack_types: Vec<AttackType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_services: Vec<String>,
    /// Other sectors affected (knock-on), by sector id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_sectors: Vec<String>,
    /// Scope, duration, substitutability, harm, evacuation, environment, trust:
    /// the inputs of the severity evaluation.
    #[serde(default)]
    pub impact: SeverityInputs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observables: Vec<Observable>,
    /// Free text; never leaves the report's recipients (not in anonymised derivatives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The person to call back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Organisations ticked by the reporter in addition to the routed ones
    /// (police, IPA, JPCERT/CC), by organisation id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_notify: Vec<String>,
}

/// A problem with a report, naming its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The longest summary accepted: one line, not an essay.
pub const SUMMARY_MAX: usize = 300;

impl ReportFields {
    /// Check what serde cannot: summary shape, times, observables.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        let err = |field: &str, message: String| {
            Err(FieldError {
                field: field.into(),
                message,
            })
        };
        let s = self.summary.trim();
        if s.is_empty() {
            return err("summary", "the summary is empty".into());
        }
        if s.chars().count() > SUMMARY_MAX {
            return err("summary", format!("keep the summary to one line of at most {SUMMARY_MAX} characters; put details in description"));
        }
        if s.contains('\n') {
            return err(
                "summary",
                "the summary is one line; put details in description".into(),
            );
        }
        if self.detected_at > now + chrono::Duration::minutes(10) {
            return err(
                "detected_at",
                format!("{} is in the future", self.detected_at.to_rfc3339()),
            );
        }
        for (i, o) in self.observables.iter().enumerate() {
            if let Err(m) = o.check() {
                return err(&format!("observables[{i}].value"), m);
            }
        }
        if let Some(h) = self.impact.duration_hours {
            if !(h.is_finite() && h >= 0.0) {
                return err(
                    "impact.duration_hours",
                    "must be a non-negative number of hours".into(),
                );
            }
        }
        Ok(())
    }

    /// Apply an update: a JSON object of the fields to change. Returns the new
    /// fields and the names of the fields that changed.
    pub fn apply(
        &self,
        patch: &serde_json::Value,
    ) -> Result<(ReportFields, Vec<String>), FieldError> {
        let serde_json::Value::Object(patch) = patch else {
            return Err(FieldError {
                field: "body".into(),
                message: "an update is a JSON object of fields".into(),
            });
        };
        let mut current = serde_json::to_value(self).expect("fields serialise");
        let obj = current.as_object_mut().expect("an object");
        let mut changed = Vec::new();
        for (k, v) in patch {
            if obj.get(k) != Some(v) {
                changed.push(k.clone());
            }
            if v.is_null() {
                obj.remove(k);
            } else {
                obj.insert(k.clone(), v.clone());
            }
        }
        let new: ReportFields = serde_json::from_value(current).map_err(|e| FieldError {
            field: field_of(&e.to_string()).unwrap_or_else(|| "body".into()),
            message: e.to_string(),
        })?;
        // Only fields that really differ after normalisation count as changes.
        let before = serde_json::to_value(self).expect("serialise");
        let after = serde_json::to_value(&new).expect("serialise");
        changed.retain(|k| before.get(k) != after.get(k));
        Ok((new, changed))
    }
}

/// The field a serde error message names (`missing field `x``, `unknown field `x``).
pub fn field_of(message: &str) -> Option<String> {
    if message.contains("field `") {
        message.split('`').nth(1).map(str::to_owned)
    } else {
        None
    }
}

/// A report as shared outside its recipients: the victim's identity and
/// identifying details removed, the technique and observables kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnonymisedReport {
    /// The sector of the reporter, not the reporter.
    pub sector: Option<String>,
    pub detected_at: DateTime<Utc>,
    pub service_affected: bool,
    pub event_class: Option<EventClass>,
    pub causes: Vec<Cause>,
    pub attack_types: Vec<AttackType>,
    pub affected_sectors: Vec<String>,
    pub observables: Vec<Observable>,
}

impl ReportFields {
    /// The sharing-ready derivative: no reporter, no summary or description
    /// (free text names people and systems), no services, contacts or impact
    /// figures; the technique and the observables stay. Observables of the
    /// victim's own infrastructure should be left out by the caller (see
    /// [`AnonymisedReport`] users); e-mail addresses are always dropped.
    pub fn anonymise(&self, sector: Option<&str>) -> AnonymisedReport {
        AnonymisedReport {
            sector: sector.map(str::to_owned),
            detected_at: self.detected_at,
            service_affected: self.service_affected,
            event_class: self.event_class,
            causes: self.causes.clone(),
            attack_types: self.attack_types.clone(),
            affected_sectors: self.affected_sectors.clone(),
            observables: self
                .observables
                .iter()
                .filter(|o| o.kind != ObservableKind::Email)
                .cloned()
                .collect(),
        }
    }
}

/// The fiscal year (April to March) and its quarter (1 = April-June) of a time.
pub fn fiscal_quarter(t: DateTime<Utc>) -> (i32, u8) {
    use chrono::Datelike;
    // Japanese fiscal years follow Japan time.
    let jst = t + chrono::Duration::hours(9);
    let (y, m) = (jst.year(), jst.month());
    let fy = if m >= 4 { y } else { y - 1 };
    let q = match m {
        4..=6 => 1,
        7..=9 => 2,
        10..=12 => 3,
        _ => 4,
    };
    (fy, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> ReportFields {
        serde_json::from_value(serde_json::json!({
            "summary": "Ransom note on file server",
            "detected_at": "2026-11-20T01:00:00Z",
            "service_affected": false,
            "status": "reported"
        }))
        .unwrap()
    }

    #[test]
    fn five_fields_make_a_report() {
        let r = minimal();
        assert!(r.check(Utc::now()).is_ok());
        let e = serde_json::from_value::<ReportFields>(serde_json::json!({"summary": "x", "detected_at": "2026-11-20T01:00:00Z", "status": "reported"})).unwrap_err();
        assert_eq!(
            field_of(&e.to_string()).as_deref(),
            Some("service_affected")
        );
    }

    #[test]
    fn updates_are_merged_and_changes_named() {
        let r = minimal();
        let (new, changed) = r
            .apply(&serde_json::json!({"status": "under-response", "event_class": "malware-infection", "summary": "Ransom note on file server"}))
            .unwrap();
        assert_eq!(new.status, ReportStatus::UnderResponse);
        assert_eq!(changed, vec!["event_class", "status"]);
        let e = r
            .apply(&serde_json::json!({"event_class": "alien-invasion"}))
            .unwrap_err();
        assert!(e.message.contains("alien-invasion"), "{e}");
        let e = r.apply(&serde_json::json!({"colour": "red"})).unwrap_err();
        assert_eq!(e.field, "colour");
    }

    #[test]
    fn observables_are_checked() {
        let mut r = minimal();
        r.observables = vec![Observable {
            kind: ObservableKind::Sha256,
            value: "abc".into(),
        }];
        assert_eq!(
            r.check(Utc::now()).unwrap_err().field,
            "observables[0].value"
        );
        r.observables = vec![
            Observable {
                kind: ObservableKind::Ipv4,
                value: "203.0.113.9".into(),
            },
            Observable {
                kind: ObservableKind::Domain,
                value: "c2.example.net".into(),
            },
            Observable {
                kind: ObservableKind::Url,
                value: "https://c2.example.net/x".into(),
            },
        ];
        assert!(r.check(Utc::now()).is_ok());
    }

    #[test]
    fn fiscal_years_start_in_april_japan_time() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(fiscal_quarter(t("2024-03-31T14:00:00Z")), (2023, 4));
        assert_eq!(
            fiscal_quarter(t("2024-03-31T15:00:00Z")),
            (2024, 1),
            "midnight JST on 1 April"
        );
        assert_eq!(fiscal_quarter(t("2023-12-31T00:00:00Z")), (2023, 3));
        assert_eq!(fiscal_quarter(t("2023-07-01T00:00:00Z")), (2023, 2));
    }

    #[test]
    fn anonymised_derivative_drops_identity_keeps_technique() {
        let mut r = minimal();
        r.description = Some("Our server fs01 at Kanto Power".into());
        r.contact = Some("Sato 090-...".into());
        r.observables = vec![
            Observable {
                kind: ObservableKind::Ipv4,
                value: "203.0.113.9".into(),
            },
            Observable {
                kind: ObservableKind::Email,
                value: "sato@kanto-power.example.jp".into(),
            },
        ];
        let a = r.anonymise(Some("electricity"));
        let text = serde_json::to_string(&a).unwrap();
        assert!(
            !text.contains("Kanto")
                && !text.contains("Sato")
                && !text.contains("sato@")
                && !text.contains("Ransom")
        );
        assert!(text.contains("203.0.113.9") && text.contains("electricity"));
    }
}
