//! The official classification of reports (別添5-5): the event of a report, its
//! causes and, for cyber attacks, the attack type. These are the lists NISC counts
//! reports by in its annual statistics; every id is a kebab-case string and every
//! entry carries its Japanese and English label.

use serde::{Deserialize, Serialize};

use crate::registry::string_enum;

/// A label in English and Japanese, for lists and forms. Output only: the texts are
/// static, so it is serialised but never read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub en: &'static str,
    pub ja: &'static str,
}

const fn label(en: &'static str, ja: &'static str) -> Label {
    Label { en, ja }
}

string_enum!(
    /// What happened (事象別): exactly one per report.
    EventClass {
        NearMiss => "near-miss",
        Confidentiality => "confidentiality",
        Integrity => "integrity",
        Availability => "availability",
        MalwareInfection => "malware-infection",
        MaliciousCode => "malicious-code",
        Intrusion => "intrusion",
        Other => "other",
    }
);

string_enum!(
    /// The three groups of events: not occurred (未発生), occurred (発生した事象),
    /// leading to an occurred event (上記につながる事象).
    EventGroup {
        NotOccurred => "not-occurred",
        Occurred => "occurred",
        LeadingTo => "leading-to",
    }
);

string_enum!(
    /// A cause (原因別類型): several may apply to one report.
    Cause {
        SuspiciousEmail => "suspicious-email",
        Impersonation => "impersonation",
        Ddos => "ddos",
        IllicitAcquisition => "illicit-acquisition",
        Insider => "insider",
        ImproperOperation => "improper-operation",
        OperationError => "operation-error",
        ManagementError => "management-error",
        SuspiciousFile => "suspicious-file",
        SuspiciousSite => "suspicious-site",
        ContractorError => "contractor-error",
        EquipmentFailure => "equipment-failure",
        Vulnerability => "vulnerability",
        KnockOn => "knock-on",
        Environmental => "environmental",
        Other => "other",
        Unknown => "unknown",
    }
);

string_enum!(
    /// The groups of causes: intentional (意図的), accidental (偶発的),
    /// environmental (環境的), other (その他).
    CauseGroup {
        Intentional => "intentional",
        Accidental => "accidental",
        Environmental => "environmental",
        Other => "other",
    }
);

string_enum!(
    /// The type of a cyber attack, in NISC's re-analysis of the reports.
    AttackType {
        Ransomware => "ransomware",
        Malware => "malware",
        Ddos => "ddos",
        Other => "other",
    }
);

impl EventClass {
    /// The group the event belongs to.
    pub fn group(self) -> EventGroup {
        match self {
            EventClass::NearMiss => EventGroup::NotOccurred,
            EventClass::Confidentiality | EventClass::Integrity | EventClass::Availability => {
                EventGroup::Occurred
            }
            EventClass::MalwareInfection
            | EventClass::MaliciousCode
            | EventClass::Intrusion
            | EventClass::Other => EventGroup::LeadingTo,
        }
    }

    pub fn label(self) -> Label {
        match self {
            EventClass::NearMiss => label("Warning sign or near miss", "予兆・ヒヤリハット"),
            EventClass::Confidentiality => label("Threat to confidentiality", "機密性を脅かす事象"),
            EventClass::Integrity => label("Threat to integrity", "完全性を脅かす事象"),
            EventClass::Availability => label("Threat to availability", "可用性を脅かす事象"),
            EventClass::MalwareInfection => label("Malware infection", "マルウェア等の感染"),
            EventClass::MaliciousCode => label("Execution of malicious code", "不正コード等の実行"),
            EventClass::Intrusion => label("Intrusion into systems", "システム等への侵入"),
            EventClass::Other => label("Other", "その他"),
        }
    }
}

impl EventGroup {
    pub fn label(self) -> Label {
        match self {
            EventGroup::NotOccurred => label("Not occurred", "未発生"),
            EventGroup::Occurred => label("Occurred", "発生した事象"),
            EventGroup::LeadingTo => label("Leading to the above", "上記につながる事象"),
        }
    }
}

impl Cause {
    /// The group the cause belongs to.
    pub fn group(self) -> CauseGroup {
        use Cause::*;
        match self {
            SuspiciousEmail | Impersonation | Ddos | IllicitAcquisition | Insider
            | ImproperOperation => CauseGroup::Intentional,
            OperationError | ManagementError | SuspiciousFile | SuspiciousSite
            | ContractorError | EquipmentFailure | Vulnerability | KnockOn => {
                CauseGroup::Accidental
            }
            Environmental => CauseGroup::Environmental,
            Other | Unknown => CauseGroup::Other,
        }
    }

    pub fn label(self) -> Label {
        match self {
            Cause::SuspiciousEmail => label("Suspicious e-mail received", "不審メール等の受信"),
            Cause::Impersonation => label("Impersonated user ID", "ユーザID等の偽り"),
            Cause::Ddos => label("DDoS attack or mass access", "DDoS攻撃等の大量アクセス"),
            Cause::IllicitAcquisition => {
                label("Illicit acquisition of information", "情報の不正取得")
            }
            Cause::Insider => label("Insider wrongdoing", "内部不正"),
            Cause::ImproperOperation => label(
                "Proper system operation not done",
                "適切なシステム等運用の未実施",
            ),
            Cause::OperationError => label("User operation error", "ユーザの操作ミス"),
            Cause::ManagementError => label("User management error", "ユーザの管理ミス"),
            Cause::SuspiciousFile => label("Suspicious file executed", "不審なファイルの実行"),
            Cause::SuspiciousSite => label("Suspicious site browsed", "不審なサイトの閲覧"),
            Cause::ContractorError => label("Contractor management error", "外部委託先の管理ミス"),
            Cause::EquipmentFailure => label("Equipment failure", "機器等の故障"),
            Cause::Vulnerability => label("System vulnerability", "システムの脆弱性"),
            Cause::KnockOn => label(
                "Knock-on from another sector's outage",
                "他分野の障害からの波及",
            ),
            Cause::Environmental => label("Environmental", "環境的"),
            Cause::Other => label("Other", "その他"),
            Cause::Unknown => label("Unknown", "不明"),
        }
    }
}

impl CauseGroup {
    pub fn label(self) -> Label {
        match self {
            CauseGroup::Intentional => label("Intentional", "意図的"),
            CauseGroup::Accidental => label("Accidental", "偶発的"),
            CauseGroup::Environmental => label("Environmental", "環境的"),
            CauseGroup::Other => label("Other", "その他"),
        }
    }
}

impl AttackType {
    pub fn label(self) -> Label {
        match self {
            AttackType::Ransomware => label("Ransomware", "ランサムウェア"),
            AttackType::Malware => label(
                "Malware infection other than ransomware",
                "ランサムウェア以外のマルウェア感染",
            ),
            AttackType::Ddos => label("DDoS attack or mass access", "DDoS攻撃等の大量アクセス"),
            AttackType::Other => label("Other", "その他"),
        }
    }
}

fn entry(id: &str, group: Option<&str>, l: Label) -> serde_json::Value {
    let mut v = serde_json::json!({ "id": id, "en": l.en, "ja": l.ja });
    if let Some(g) = group {
        v["group"] = g.into();
    }
    v
}

/// Every list with its ids and both labels, in the official order, for the API:
/// `events` and `causes` (each entry with its `group`), `event_groups`,
/// `cause_groups` and `attack_types`.
pub fn lists() -> serde_json::Value {
    serde_json::json!({
        "events": EventClass::ALL
            .iter()
            .map(|e| entry(e.as_str(), Some(e.group().as_str()), e.label()))
            .collect::<Vec<_>>(),
        "event_groups": EventGroup::ALL
            .iter()
            .map(|g| entry(g.as_str(), None, g.label()))
            .collect::<Vec<_>>(),
        "causes": Cause::ALL
            .iter()
            .map(|c| entry(c.as_str(), Some(c.group().as_str()), c.label()))
            .collect::<Vec<_>>(),
        "cause_groups": CauseGroup::ALL
            .iter()
            .map(|g| entry(g.as_str(), None, g.label()))
            .collect::<Vec<_>>(),
        "attack_types": AttackType::ALL
            .iter()
            .map(|a| entry(a.as_str(), None, a.label()))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_round_trip_through_serde_and_from_str() {
        for e in EventClass::ALL {
            let json = serde_json::to_string(e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
            assert_eq!(serde_json::from_str::<EventClass>(&json).unwrap(), *e);
            assert_eq!(e.as_str().parse::<EventClass>().unwrap(), *e);
        }
        for c in Cause::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(serde_json::from_str::<Cause>(&json).unwrap(), *c);
            assert_eq!(c.to_string().parse::<Cause>().unwrap(), *c);
        }
        for a in AttackType::ALL {
            assert_eq!(a.as_str().parse::<AttackType>().unwrap(), *a);
        }
        let err = "phishing".parse::<Cause>().unwrap_err();
        assert!(err.contains("suspicious-email"), "{err}");
    }

    #[test]
    fn official_lists_have_the_official_sizes_and_groups() {
        assert_eq!(EventClass::ALL.len(), 8);
        assert_eq!(Cause::ALL.len(), 17);
        assert_eq!(AttackType::ALL.len(), 4);
        let count = |g: EventGroup| EventClass::ALL.iter().filter(|e| e.group() == g).count();
        assert_eq!(count(EventGroup::NotOccurred), 1);
        assert_eq!(count(EventGroup::Occurred), 3);
        assert_eq!(count(EventGroup::LeadingTo), 4);
        let causes = |g: CauseGroup| Cause::ALL.iter().filter(|c| c.group() == g).count();
        assert_eq!(causes(CauseGroup::Intentional), 6);
        assert_eq!(causes(CauseGroup::Accidental), 8);
        assert_eq!(causes(CauseGroup::Environmental), 1);
        assert_eq!(causes(CauseGroup::Other), 2);
        assert_eq!(Cause::Ddos.label().ja, "DDoS攻撃等の大量アクセス");
        assert_eq!(Cause::KnockOn.label().ja, "他分野の障害からの波及");
        assert_eq!(EventClass::NearMiss.label().ja, "予兆・ヒヤリハット");
    }

    #[test]
    fn labels_are_present_and_distinct_within_a_list() {
        fn check(labels: Vec<Label>) {
            let en: HashSet<_> = labels.iter().map(|l| l.en).collect();
            let ja: HashSet<_> = labels.iter().map(|l| l.ja).collect();
            assert_eq!(en.len(), labels.len());
            assert_eq!(ja.len(), labels.len());
            assert!(labels.iter().all(|l| !l.en.is_empty() && !l.ja.is_empty()));
        }
        check(EventClass::ALL.iter().map(|e| e.label()).collect());
        check(EventGroup::ALL.iter().map(|e| e.label()).collect());
        check(Cause::ALL.iter().map(|e| e.label()).collect());
        check(CauseGroup::ALL.iter().map(|e| e.label()).collect());
        check(AttackType::ALL.iter().map(|e| e.label()).collect());
    }

    #[test]
    fn lists_carry_every_entry_with_both_labels() {
        let v = lists();
        let events = v["events"].as_array().unwrap();
        assert_eq!(events.len(), EventClass::ALL.len());
        assert_eq!(
            events[0],
            serde_json::json!({"id": "near-miss", "group": "not-occurred",
                "en": "Warning sign or near miss", "ja": "予兆・ヒヤリハット"})
        );
        let causes = v["causes"].as_array().unwrap();
        assert_eq!(causes.len(), Cause::ALL.len());
        for c in causes {
            let id: Cause = c["id"].as_str().unwrap().parse().unwrap();
            assert_eq!(c["group"], id.group().as_str());
            assert_eq!(c["ja"], id.label().ja);
        }
        assert_eq!(v["event_groups"].as_array().unwrap().len(), 3);
        assert_eq!(v["cause_groups"].as_array().unwrap().len(), 4);
        assert_eq!(v["attack_types"][0]["id"], "ransomware");
        assert!(v["attack_types"][0].get("group").is_none());
    }
}
