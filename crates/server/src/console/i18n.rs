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
    // Refusals and forms.
    ("forbidden", "Your roles do not allow this page.", "このページを利用する権限がありません。"),
    ("save", "Save as a new version", "新しい版として保存"),
    ("unknown", "unknown", "不明"),
    ("time", "Time", "日時"),
    ("created", "Created", "作成日時"),
    ("by", "by", "記録者"),
    // Report updates.
    ("version", "version", "版"),
    ("update_report", "Update this report", "この情報連絡を更新"),
    (
        "update_hint",
        "Change what you now know. Only the fields you change are recorded, as a new version in the timeline, and every recipient is told.",
        "判明した内容に更新してください。変更した項目だけが新しい版として経過に記録され、全ての連絡先に通知されます。",
    ),
    ("causes", "Causes", "原因"),
    ("attack_types", "Attack types", "攻撃の種類"),
    ("affected_services", "Affected services (one per line)", "影響を受けたサービス（1行に1つ）"),
    ("affected_sectors", "Other sectors affected", "影響が波及した他分野"),
    (
        "observables",
        "Observables (one per line, kind:value, e.g. ipv4:203.0.113.9)",
        "観測情報（1行に1つ、種別:値。例 ipv4:203.0.113.9）",
    ),
    ("contact", "Person to call back", "連絡担当者"),
    ("impact", "Impact (the inputs of the severity evaluation)", "影響（深刻度評価の入力）"),
    // Severity.
    ("severity_evaluation", "Severity evaluation", "深刻度評価"),
    ("provisional", "Provisional", "暫定評価"),
    ("final", "Final", "確定評価"),
    ("overall", "overall level", "総合レベル"),
    ("viewpoint", "Viewpoint", "観点"),
    ("indicator", "Indicator", "指標"),
    ("input", "Input", "入力値"),
    ("rule", "Rule and threshold", "適用した基準"),
    ("level", "Level", "レベル"),
    ("reasons", "Reasons per viewpoint", "観点別の根拠"),
    ("no_input", "no input", "入力なし"),
    ("missing_inputs", "Inputs not given (they contributed nothing)", "未入力の項目（評価に寄与していません）"),
    ("nciss", "NCISS-style score (for partners abroad)", "NCISS 相当スコア（海外連携用）"),
    ("priority", "priority", "優先度"),
    ("weight", "Weight", "重み"),
    ("value", "Value", "値"),
    ("basis", "Basis", "根拠"),
    ("no_evaluation", "Not evaluated yet.", "まだ評価されていません。"),
    ("earlier_evaluations", "Earlier evaluations", "過去の評価"),
    ("record_severity", "Record a severity evaluation", "深刻度評価を記録"),
    (
        "severity_hint",
        "Filled in with the report's impact; correct what NISC knows better. The level of each viewpoint is computed with its reasons.",
        "情報連絡の影響欄を初期値としています。NISC で把握している内容に修正してください。観点ごとのレベルが根拠とともに算出されます。",
    ),
    ("imp_affected_people", "People affected (users or customers)", "影響を受けた利用者数"),
    ("imp_affected_area", "Area of the disruption", "提供支障の範囲（地域）"),
    ("imp_duration_hours", "Duration of the disruption (hours)", "提供支障の時間（時間）"),
    ("imp_substitutability", "Substitutability", "代替性"),
    ("imp_simultaneous_organisations", "Organisations hit at the same time", "同時に被害を受けた組織数"),
    ("imp_simultaneous_sectors", "Sectors hit at the same time", "同時に被害を受けた分野数"),
    ("imp_deaths", "Deaths", "死者数"),
    ("imp_injuries", "Injuries", "負傷者数"),
    ("imp_property_damage_jpy", "Property damage (yen)", "物的被害額（円）"),
    ("imp_evacuated_people", "Residents evacuated", "避難した住民数"),
    ("imp_environmental_restoration_jpy", "Environmental restoration cost (yen)", "環境の原状回復費用（円）"),
    ("imp_environmental_area", "Extent of the environmental damage", "環境被害の範囲"),
    ("imp_lost_trust", "Loss of trust", "信頼低下"),
    // Writing and tracking advisories.
    ("new_advisory", "Write an advisory", "情報提供を作成"),
    ("title_en", "Title (English)", "件名（英語）"),
    ("title_ja", "Title (Japanese)", "件名（日本語）"),
    ("body_en", "Body (English, Markdown)", "本文（英語、Markdown）"),
    ("body_ja", "Body (Japanese, Markdown)", "本文（日本語、Markdown）"),
    ("urgency", "Urgency", "緊急度"),
    ("urg_normal", "Normal", "通常"),
    ("urg_high", "High", "高"),
    ("urg_immediate", "Immediate", "至急"),
    ("valid_from", "Valid from (UTC)", "有効期間の開始（UTC）"),
    ("valid_until", "Valid until (UTC)", "有効期間の終了（UTC）"),
    ("audience", "Audience", "宛先"),
    (
        "audience_hint",
        "The criteria add up: every organisation matching one of them receives it, through its ministry and its CEPTOAR. Organisations outside your constituency are left out.",
        "条件は合算されます。いずれかに該当する組織に、所管省庁・セプターを経由して届きます。所管外の組織は除かれます。",
    ),
    ("all_orgs", "Every organisation", "全ての組織"),
    ("sectors", "Sectors", "分野"),
    ("subsectors", "Sub-sectors", "サブ分野"),
    ("communities", "Communities", "コミュニティ"),
    ("prefixes", "Holders of these address ranges (one per line)", "次の IP アドレス範囲の保有組織（1行に1つ）"),
    ("domains", "Holders of these domains (one per line)", "次のドメインの保有組織（1行に1つ）"),
    ("products", "Users of these products (one per line)", "次の製品の利用組織（1行に1つ）"),
    ("indicators", "Indicators (one per line, kind:value)", "指標情報（1行に1つ、種別:値）"),
    ("cves", "CVE ids (separated by spaces or commas)", "CVE 番号（空白またはカンマ区切り）"),
    ("send_advisory", "Send down the tiers", "各階層へ送信"),
    ("tracking", "Delivery tracking", "配信状況"),
    ("author", "Author", "発信元"),
    ("per_tier", "Per tier", "階層別"),
    ("per_organisation", "Per organisation", "組織別"),
    ("waiting_for_relay", "waiting for relay", "中継待ち"),
    ("median_minutes", "Median minutes to acknowledge", "受領確認までの中央値（分）"),
    ("via", "Via", "経由"),
    ("relayed", "relayed", "中継済"),
    ("reminded", "reminded", "督促済"),
    ("escalated", "escalated to deputies", "代理連絡先へ連絡済"),
    ("tier_ministry", "Supervising ministries", "所管省庁"),
    ("tier_hub", "CEPTOARs / ISACs", "セプター等"),
    ("tier_organisation", "Operators and bodies", "事業者等"),
    ("tier_reporter", "Reporting operators", "報告する事業者等"),
    ("tier_centre", "NISC", "NISC"),
    ("relay", "Relay to the tier below", "下位の階層へ中継"),
    ("relay_note", "Note for the tier below (optional)", "下位の階層への補足（任意）"),
    ("relay_waiting", "organisation(s) below you wait for your review.", "組織が貴組織の確認を待っています。"),
    ("notes_from_above", "Notes from the tiers above", "上位階層からの補足"),
    // Drills.
    ("drills", "Drills", "訓練"),
    ("drill", "Drill", "訓練"),
    ("no_sector", "No sector (ministries, NISC)", "分野なし（省庁・NISC）"),
    ("contact_name", "Name", "氏名"),
    ("new_drill", "Start a drill", "訓練を開始"),
    ("drill_provision", "Provision drill (down the tiers)", "情報提供訓練（下り）"),
    ("drill_report", "Report drill (up the chain)", "情報連絡訓練（上り）"),
    ("scope", "Scope", "対象"),
    ("reachability", "Reachability (confirmed / expected hops)", "疎通確認（確認済み／対象）"),
    ("hops", "Expected", "対象"),
    ("reached", "reached", "到達"),
    ("rate", "Rate", "疎通率"),
    ("by_tier", "By tier", "階層別"),
    ("by_sector", "By sector", "分野別"),
    ("by_ceptoar", "By CEPTOAR", "セプター別"),
    ("unconfirmed", "Organisations that did not confirm", "疎通確認が取れていない組織"),
    (
        "stale_contacts",
        "Contacts not verified for {} days, or bounced",
        "{} 日以上確認されていない、または不達の連絡先",
    ),
    ("bounced", "bounced", "不達"),
    ("self_checks", "Self-check sheets", "自己点検シート"),
    // Users and tokens.
    ("users", "Users", "ユーザー"),
    ("user", "User", "ユーザー"),
    ("new_user", "Create a user", "ユーザーを作成"),
    ("user_created", "User created", "ユーザーを作成しました"),
    ("display_name", "Display name", "表示名"),
    ("organisation", "Organisation", "組織"),
    ("roles", "Roles", "ロール"),
    (
        "password_optional",
        "Password (at least 12 characters; leave empty for a user of the API only)",
        "パスワード（12文字以上。API のみを使うユーザーは空欄）",
    ),
    ("disabled", "disabled", "無効"),
    ("active", "active", "有効"),
    ("token_only", "API only", "API のみ"),
    ("disable", "Disable", "無効にする"),
    ("role_administrator", "Administrator", "システム管理者"),
    ("role_coordinator", "Coordinator (NISC)", "調整担当（NISC）"),
    ("role_ministry", "Ministry officer", "所管省庁担当"),
    ("role_hub", "CEPTOAR secretariat", "セプター事務局"),
    ("role_operator", "Operator CSIRT", "事業者 CSIRT"),
    ("role_analyst", "Analyst", "分析担当"),
    ("role_sensor", "Sensor (machine)", "センサー（機械）"),
    ("tokens", "API tokens", "API トークン"),
    ("my_tokens", "Your tokens", "自分のトークン"),
    ("all_tokens", "Tokens of the other users", "他のユーザーのトークン"),
    ("label", "Label", "ラベル"),
    ("expires", "Expires", "有効期限"),
    ("revoked", "revoked", "失効済"),
    ("expired", "expired", "期限切れ"),
    ("revoke", "Revoke", "失効させる"),
    ("new_token", "Create a token", "トークンを作成"),
    ("token_created", "Token created", "トークンを作成しました"),
    ("expires_in_days", "Days until it expires", "有効日数"),
    ("for_user", "For user", "対象ユーザー"),
    ("myself", "myself", "自分"),
    (
        "token_once",
        "Copy this token now: it is shown only this once, and stored only as a hash.",
        "このトークンを今すぐ控えてください。表示はこの一度だけで、ハッシュとしてのみ保存されます。",
    ),
    // Intelligence.
    ("intel", "Intelligence", "脅威情報"),
    ("share_intel", "Share intelligence", "脅威情報を共有"),
    ("platform_wide", "Whole platform", "プラットフォーム全体"),
    ("anonymised", "anonymised", "匿名化"),
    (
        "anonymised_hint",
        "Shown anonymised: it left the community of its source, so the source's identity is removed.",
        "提供元のコミュニティ外への共有のため、提供元を特定できる情報を除いて表示しています。",
    ),
    ("warninglist", "warninglist", "警告リスト"),
    (
        "warninglist_hint",
        "A value of this object is on a warninglist: likely a false positive.",
        "この情報の値が警告リストに掲載されています（誤検知の可能性があります）。",
    ),
    (
        "confidential_notice",
        "CONFIDENTIAL — shared under the rules of {}: members only, duty of confidentiality; do not disclose.",
        "機密 — {} の規約に基づき共有された情報です。構成員限り・守秘義務があります。開示しないでください。",
    ),
    ("intel_text", "Text, address, domain or hash", "文字列・IP アドレス・ドメイン・ハッシュ値"),
    ("stix_type", "Type", "種別"),
    ("all_types", "All types", "すべての種別"),
    ("collection", "Collection", "コレクション"),
    ("search", "Search", "検索"),
    ("no_objects", "No intelligence that you may see.", "閲覧できる脅威情報はありません。"),
    ("name_value", "Name or value", "名称・値"),
    ("community", "Shared in", "共有範囲"),
    ("date_added", "Added", "登録日時"),
    ("first_page", "First page", "最初のページ"),
    ("next_page", "Next page", "次のページ"),
    ("export_bundle", "Download as a STIX bundle", "STIX バンドルとしてダウンロード"),
    (
        "export_hint",
        "(everything this search selects that you may see, with its TLP marking)",
        "（この検索条件で閲覧できるすべての情報。TLP マーキング付き）",
    ),
    ("newest_intel", "Newest intelligence", "最新の脅威情報"),
    ("relayed_to", "Relayed to", "中継先"),
    ("shared_by", "shared by", "提供元"),
    ("intel_recipients", "Recipients", "共有先"),
    ("properties", "Properties", "主な項目"),
    ("intel_name", "Name", "名称"),
    ("external_references", "External references", "外部参照"),
    ("versions", "Versions you may see", "閲覧できる版"),
    ("visibility", "Shown", "表示"),
    ("full", "in full", "全体"),
    ("correlations", "Correlations", "相関"),
    ("no_values", "This object carries no observable value.", "この情報には観測値がありません。"),
    (
        "correlations_hint",
        "Per value: the objects you may see that carry it, and how many organisations shared it in all (a count only); the organisations you may know are named.",
        "値ごとに、閲覧できる情報の件数と、共有した組織の総数（件数のみ）を示します。組織名は閲覧できる範囲でのみ表示します。",
    ),
    ("objects_you_see", "Objects you may see", "閲覧できる件数"),
    ("organisations_in_all", "Organisations in all", "共有組織の総数"),
    ("organisations_known", "Organisations you may know", "表示できる組織"),
    ("sightings", "Sightings", "観測報告"),
    ("no_sightings", "No sightings of this object yet.", "この情報の観測報告はまだありません。"),
    ("sightings_you_see", "Sightings you may see", "閲覧できる観測報告"),
    ("sighting_count", "Times seen", "観測回数"),
    ("last_seen", "Last seen", "最終観測"),
    (
        "unnamed_orgs",
        "more organisation(s) sighted it; they are not named to you.",
        "組織からも観測報告がありますが、組織名は表示できません。",
    ),
    ("sightings_list", "List of the sightings you may see", "閲覧できる観測報告の一覧"),
    ("intel_version", "Version", "版"),
    ("intel_relay", "Relay to a constituent", "傘下の組織へ中継"),
    (
        "intel_relay_hint",
        "You received this TLP:AMBER object as a recipient: you may pass it on to the organisations you serve.",
        "貴組織は TLP:AMBER の共有先です。貴組織が所管・支援する組織へ中継できます。",
    ),
    ("relay_to", "Organisation", "中継先の組織"),
    ("raw_json", "The object as JSON", "JSON 形式"),
    ("shared_objects", "Shared", "共有しました"),
    ("nothing_shared", "Nothing was shared.", "何も共有されていません。"),
    ("objects_refused", "{} object(s) refused:", "{} 件の情報を受け付けられませんでした。"),
    ("object", "Object", "オブジェクト"),
    ("property", "Property", "項目"),
    ("problem", "Problem", "問題"),
    ("stix_json", "STIX 2.1 JSON", "STIX 2.1 JSON"),
    (
        "stix_json_hint",
        "Paste a bundle, one object or a list of objects. Every object is checked; if one is refused, nothing is shared.",
        "バンドル、1つのオブジェクト、またはオブジェクトの配列を貼り付けてください。全て検査し、1つでも不備があれば何も共有しません。",
    ),
    ("tlp_as_marked", "As marked (else the collection's default)", "マーキングのとおり（なければコレクションの既定）"),
    (
        "intel_recipients_hint",
        "TLP:AMBER and AMBER+STRICT: the organisations and communities that receive it (in a community's collection, its members by default). TLP:RED: the named users only.",
        "TLP:AMBER・AMBER+STRICT の共有先の組織・コミュニティ（コミュニティのコレクションでは既定でその構成員）。TLP:RED は指名したユーザーのみ。",
    ),
    ("recipient_users", "TLP:RED: named users (user names, separated by commas or spaces)", "TLP:RED の指名ユーザー（ユーザー名、カンマまたは空白区切り）"),
    ("share", "Share", "共有"),
    // Events requiring confirmation.
    ("events", "Sensor events", "確認を要するイベント"),
    ("event", "Event", "イベント"),
    (
        "events_hint",
        "Similar attempts seen by the government sensors, bundled after the noise was removed. Confirm to notify the organisation that owns the target, dismiss noise, or escalate to an incident report.",
        "政府センサーで観測された同種の通信を、ノイズ除去の後に一つにまとめたものです。確認して対象の保有組織へ通報するか、ノイズとして却下するか、インシデントとしてエスカレーションしてください。",
    ),
    ("ev_open", "open", "未対応"),
    ("ev_confirmed", "confirmed, notified", "確認済（通報済）"),
    ("ev_dismissed", "dismissed", "却下"),
    ("ev_escalated", "escalated", "エスカレーション済"),
    ("ev_all", "All states", "すべての状態"),
    ("ev_state", "State", "状態"),
    ("ev_technique", "Technique", "手口"),
    ("ev_source", "Source", "送信元"),
    ("ev_target_org", "Target organisation", "対象組織"),
    ("ev_targets", "Targeted addresses", "対象アドレス"),
    ("ev_count", "Records", "件数"),
    ("ev_first_seen", "First seen", "初回観測"),
    ("ev_unregistered", "not registered", "未登録"),
    ("no_events", "No events in this state.", "この状態のイベントはありません。"),
    ("ev_more", "Only the newest 500 are shown: narrow the filter.", "最新の500件のみ表示しています。条件を絞り込んでください。"),
    ("ev_sensors", "Sensors", "センサー"),
    ("ev_decided", "Decided by", "判断者"),
    ("ev_note", "Analyst's note", "分析担当の所見"),
    ("ev_notification", "Notification", "通報"),
    ("ev_report", "Incident report", "情報連絡"),
    ("ev_suppression", "Suppression", "抑止ルール"),
    ("ev_indicators", "Matching indicators", "合致した指標"),
    ("ev_no_indicators", "No indicator matched: a sensor signature fired.", "合致した指標はありません（センサーのシグネチャによる検知です）。"),
    ("ev_evidence", "Evidence", "証跡"),
    ("ev_evidence_hint", "The first records of the event; the count covers them all.", "イベントの最初の記録です。件数はすべての記録を数えています。"),
    ("ev_sensor", "Sensor", "センサー"),
    ("ev_src", "Source address", "送信元アドレス"),
    ("ev_dst", "Destination address", "宛先アドレス"),
    ("ev_signature", "Signature", "シグネチャ"),
    ("ev_hits", "Indicator hits and names", "指標の合致・名前"),
    ("ev_confirm", "Confirm and notify the owner", "確認して保有組織へ通報"),
    (
        "ev_confirm_hint",
        "The target organisation alone receives a notification at this TLP, directly from the centre; each matching indicator gets a sighting shared with it.",
        "対象組織のみに、この TLP で NISC から直接通報します。合致した指標ごとに観測報告を対象組織と共有します。",
    ),
    ("ev_no_owner", "Nobody registered the target: there is no organisation to notify. Dismiss or escalate.", "対象を登録している組織がないため通報できません。却下するか、エスカレーションしてください。"),
    ("ev_note_optional", "Note (optional)", "所見（任意）"),
    ("ev_confirm_button", "Confirm and notify", "確認して通報"),
    ("ev_dismiss", "Dismiss as noise", "ノイズとして却下"),
    ("ev_dismiss_note", "Why it is noise (recommended)", "ノイズと判断した理由（推奨）"),
    ("ev_suppress", "Also drop the same source and technique from now on", "今後、同じ送信元・手口の通信も除外する"),
    ("ev_dismiss_button", "Dismiss", "却下"),
    ("ev_escalate", "Escalate to an incident report", "インシデントとしてエスカレーション"),
    ("ev_escalate_hint", "An incident report of the centre, with the evidence, routed like any report; the target organisation is told.", "証跡を添えた NISC の情報連絡として、通常の情報連絡と同じ経路で送ります。対象組織にも通知されます。"),
    ("ev_escalate_button", "Escalate", "エスカレーション"),
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

    /// Every word the pages ask for is in the table: an unknown key would show
    /// itself instead of a label.
    #[test]
    fn every_key_the_console_uses_is_in_the_table() {
        let sources = [
            include_str!("pages.rs"),
            include_str!("report_edit.rs"),
            include_str!("authoring.rs"),
            include_str!("drills.rs"),
            include_str!("admin.rs"),
            include_str!("intel.rs"),
            include_str!("events.rs"),
        ];
        let known = |k: &str| WORDS.iter().any(|(w, _, _)| *w == k);
        let mut checked = 0;
        for src in sources {
            // t("key"), l.t("key"), sess.lang.t("key")
            for (i, _) in src.match_indices("t(\"") {
                let before = src[..i].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let key = src[i + 3..].split('"').next().unwrap();
                assert!(known(key), "{key:?} is not in WORDS");
                checked += 1;
            }
            // Keys chosen by a match: "imp_...", "role_...", "tier_...", "urg_...", "drill_...".
            for part in src.split('"').skip(1).step_by(2) {
                if ["imp_", "role_", "tier_", "urg_", "drill_"]
                    .iter()
                    .any(|p| part.starts_with(p))
                    && !part.contains(' ')
                {
                    assert!(known(part), "{part:?} is not in WORDS");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
