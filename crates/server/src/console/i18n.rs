//! The console's words in Japanese and English.

/// The console language: from the `lang` cookie, else `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// Pick from a cookie value or an `Accept-Language` header (first match wins).
    pub fn pick(cookie: Option<&str>, accept: Option<&str>) -> Lang {
        match cookie {
            Some("ja") => return Lang::Ja,
            Some("en") => return Lang::En,
            _ => {}
        }
        for part in accept.unwrap_or("").split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("ja") {
                return Lang::Ja;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The text of `key` in this language (the key itself if unknown).
    pub fn t(self, key: &'static str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, en, ja)| if self == Lang::Ja { *ja } else { *en })
            .unwrap_or(key)
    }
}

const WORDS: &[(&str, &str, &str)] = &[
    ("app", "Sakimori", "防人 Sakimori"),
    ("login", "Sign in", "ログイン"),
    ("logout", "Sign out", "ログアウト"),
    ("username", "User name", "ユーザー名"),
    ("password", "Password", "パスワード"),
    ("or_token", "or an API token", "または API トークン"),
    ("token", "API token", "API トークン"),
    (
        "bad_login",
        "Wrong user name, password or token.",
        "ユーザー名、パスワードまたはトークンが正しくありません。",
    ),
    ("home", "Home", "ホーム"),
    ("reports", "Incident reports", "情報連絡"),
    ("new_report", "Report an incident", "情報連絡を送る"),
    ("advisories", "Advisories", "情報提供"),
    ("inbox", "Inbox", "受信箱"),
    ("unread", "unread", "未読"),
    ("unacknowledged", "not acknowledged", "未確認"),
    ("summary", "Summary (one line)", "概要（1行）"),
    ("detected_at", "Detected at", "検知日時"),
    (
        "service_affected",
        "A service to the public is affected",
        "国民向けサービスに影響あり",
    ),
    ("status", "Status", "状況"),
    ("more", "More details (optional)", "詳細（任意）"),
    ("event_class", "Event", "事象"),
    ("description", "Description", "詳細説明"),
    (
        "submit",
        "Send once to every recipient",
        "全ての連絡先へ一度に送信",
    ),
    ("recipients", "Recipients", "連絡先"),
    ("delivered", "delivered", "配信済"),
    ("read", "read", "既読"),
    ("acknowledged", "acknowledged", "受領確認済"),
    ("acknowledge", "Acknowledge", "受領確認"),
    ("timeline", "Timeline", "経過"),
    ("from", "From", "報告元"),
    ("number", "No.", "番号"),
    ("none", "Nothing yet.", "まだありません。"),
    ("tlp", "TLP", "TLP"),
    ("category", "Category", "区分"),
    ("title", "Title", "件名"),
    ("language", "日本語", "English"),
    ("signed_in_as", "Signed in as", "ログイン中"),
    ("required", "required", "必須"),
    (
        "not_found",
        "Not found, or not for you.",
        "見つからないか、閲覧できません。",
    ),
    (
        "outage",
        "Large-scale outage mode is on",
        "大規模重要インフラサービス障害対応時モードです",
    ),
    ("dashboard", "Situation", "状況ボード"),
    ("sector", "Sector", "分野"),
    ("not_evaluated", "not evaluated", "未評価"),
    ("severity", "Severity", "深刻度"),
    ("awaiting", "Advisories awaiting acknowledgement", "受領確認待ちの情報提供"),
    ("tier", "Tier", "階層"),
    ("statistics", "Statistics", "統計"),
    ("fiscal_year", "Fiscal year", "年度"),
    ("registry", "Registry", "構成員台帳"),
    ("organisations", "Organisations", "組織"),
    ("kind", "Kind", "種別"),
    ("contacts", "Contacts", "連絡先"),
    ("last_verified", "Last verified", "最終確認日"),
    ("confirm", "Confirm still valid", "有効であることを確認"),
    ("assets", "Network assets", "ネットワーク資産"),
    (
        "private",
        "Contacts and assets are visible to the organisation, its supervising ministry, its CEPTOAR and NISC.",
        "連絡先と資産は、当該組織・所管省庁・セプター・NISC のみ閲覧できます。",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, ja) in WORDS {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ja.is_empty(), "{k}");
        }
        assert_eq!(Lang::pick(None, Some("ja-JP,ja;q=0.9,en;q=0.8")), Lang::Ja);
        assert_eq!(
            Lang::pick(Some("en"), Some("ja")),
            Lang::En,
            "the cookie wins"
        );
        assert_eq!(Lang::pick(None, None), Lang::En);
    }
}
