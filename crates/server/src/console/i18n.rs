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
];
