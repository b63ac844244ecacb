//! `sakimori advisory ...`: advisories down the chain (情報提供・注意喚起)
//! through the API of a running server, as the token's user sees them.

use super::report::{Api, Client};
use crate::{output, Global};
use clap::{Args, Subcommand};
use reqwest::Method as M;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct AdvisoryArgs {
    #[command(flatten)]
    client: Client,
    #[command(subcommand)]
    command: AdvisoryCommand,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum AdvisoryCommand {
    /// Write an advisory: delivered down the tiers (ministry, CEPTOAR/ISAC, operators) to its audience
    #[command(
        after_help = "Examples:\n  sakimori advisory create --title 'VPN appliance campaign' --body-file vpn.md \\\n      --tlp TLP:AMBER --category alert --urgency high --cve CVE-2024-3400 \\\n      --sector electricity --sector gas\n  sakimori advisory create --title 'Phishing wave' --title-ja 'フィッシングの増加' --body 'Check **now**.' \\\n      --body-ja-file phishing.ja.md --tlp TLP:CLEAR --category early-warning --all\n  sakimori advisory create --title 'Exposed management port' --body-file note.md --tlp TLP:RED \\\n      --category vulnerability --org kanto-power --indicator ipv4:203.0.113.9\n  sakimori advisory create --file advisory.json --product 'ExampleVPN' --drill"
    )]
    Create {
        /// The whole advisory as JSON (fields as in the API); flags override it, audience flags add to it
        #[arg(long)]
        file: Option<PathBuf>,
        /// One line, at most 300 characters
        #[arg(long, required_unless_present = "file")]
        title: Option<String>,
        #[arg(long)]
        title_ja: Option<String>,
        /// The body (Markdown)
        #[arg(long, conflicts_with = "body_file")]
        body: Option<String>,
        /// Read the body (Markdown) from a file
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// Read the Japanese body (Markdown) from a file
        #[arg(long)]
        body_ja_file: Option<PathBuf>,
        /// TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED ("amber" is enough)
        #[arg(long, required_unless_present = "file")]
        tlp: Option<String>,
        /// alert, early-warning, vulnerability, attack or reference
        #[arg(long, required_unless_present = "file")]
        category: Option<String>,
        /// normal (default), high or immediate
        #[arg(long)]
        urgency: Option<String>,
        /// CVE-YYYY-NNNN (repeatable)
        #[arg(long)]
        cve: Vec<String>,
        /// kind:value, e.g. ipv4:203.0.113.9, domain:c2.example.net, sha256:... (repeatable)
        #[arg(long)]
        indicator: Vec<String>,
        /// Valid from (RFC 3339)
        #[arg(long)]
        valid_from: Option<String>,
        /// Valid until (RFC 3339)
        #[arg(long)]
        valid_until: Option<String>,
        /// Audience: every organisation of the constituency
        #[arg(long, help_heading = "Audience (criteria add up)")]
        all: bool,
        /// Audience: a sector id, e.g. electricity (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        sector: Vec<String>,
        /// Audience: a sub-sector id (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        subsector: Vec<String>,
        /// Audience: a community id (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        community: Vec<String>,
        /// Audience: an organisation id (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        org: Vec<String>,
        /// Audience: organisations with a registered prefix overlapping this CIDR (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        prefix: Vec<String>,
        /// Audience: organisations with a registered domain equal to or under this one (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        domain: Vec<String>,
        /// Audience: organisations with a registered service naming this product (repeatable)
        #[arg(long, help_heading = "Audience (criteria add up)")]
        product: Vec<String>,
        /// A drill advisory: delivered like any other, never counted
        #[arg(long)]
        drill: bool,
    },
    /// Your inbox: advisories your organisation wrote or received, with your state
    #[command(
        after_help = "Examples:\n  sakimori advisory list\n  sakimori advisory list --limit 20 --json"
    )]
    List {
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Show an advisory (id or number): its fields, Markdown body and your delivery; opening it marks it read
    #[command(
        after_help = "Examples:\n  sakimori advisory show 7\n  sakimori advisory show 7 --json"
    )]
    Show { id: String },
    /// Acknowledge an advisory your organisation received
    #[command(after_help = "Examples:\n  sakimori advisory ack 7")]
    Ack { id: String },
    /// Relay an advisory to the tier below after your review (ministry, CEPTOAR/ISAC)
    #[command(
        after_help = "Examples:\n  sakimori advisory relay 7\n  sakimori advisory relay 7 --note '電力分野: 週末までに適用してください'"
    )]
    Relay {
        id: String,
        /// A note for the tier below, e.g. sector-specific advice
        #[arg(long)]
        note: Option<String>,
    },
    /// The author's view: per tier, then per organisation, who has it, read it and acknowledged it
    #[command(
        after_help = "Examples:\n  sakimori advisory status 7\n  sakimori advisory status 7 --json"
    )]
    Status { id: String },
}

const TIERS: [&str; 3] = ["ministry", "hub", "organisation"];
const TLPS: [&str; 5] = [
    "TLP:CLEAR",
    "TLP:GREEN",
    "TLP:AMBER",
    "TLP:AMBER+STRICT",
    "TLP:RED",
];
const CATEGORIES: [&str; 5] = [
    "alert",
    "early-warning",
    "vulnerability",
    "attack",
    "reference",
];
const URGENCIES: [&str; 3] = ["normal", "high", "immediate"];

fn tier_order(t: &str) -> usize {
    TIERS.iter().position(|x| *x == t).unwrap_or(TIERS.len())
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn read_text(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

/// `amber`, `tlp:amber+strict` and `TLP:AMBER` all mean TLP:AMBER(+STRICT).
fn tlp_label(t: &str) -> String {
    let t = t.trim().to_ascii_uppercase();
    if t.starts_with("TLP:") {
        t
    } else {
        format!("TLP:{t}")
    }
}

/// Check a flag against its allowed values before asking the server, whose
/// answer to an unknown value cannot name the field.
fn one_of(flag: &str, v: Option<String>, allowed: &[&str]) -> anyhow::Result<Option<String>> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => {
            anyhow::bail!("--{flag} {x:?}: expected one of {}", allowed.join(", "))
        }
        v => Ok(v),
    }
}

fn rfc3339(flag: &str, v: Option<String>) -> anyhow::Result<Option<String>> {
    if let Some(x) = &v {
        chrono::DateTime::parse_from_rfc3339(x).map_err(|e| {
            anyhow::anyhow!(
                "--{flag} {x:?}: not an RFC 3339 time ({e}), e.g. 2026-12-31T23:59:00+09:00"
            )
        })?;
    }
    Ok(v)
}

/// The state of one delivery row.
fn delivery_state(d: &Value) -> &'static str {
    if d["acknowledged_at"].is_string() {
        "acknowledged"
    } else if d["read_at"].is_string() {
        "read"
    } else if d["delivered_at"].is_string() {
        "delivered"
    } else {
        "waiting for relay"
    }
}

/// The caller's own delivery row, if any.
fn my_delivery<'a>(a: &'a Value, me: &str) -> Option<&'a Value> {
    a["deliveries"]
        .as_array()?
        .iter()
        .find(|d| d["org_id"] == me)
}

/// The caller's state: from its own delivery row, or `author` for the author's organisation.
fn my_state(a: &Value, me: &str) -> &'static str {
    match my_delivery(a, me) {
        Some(d) => delivery_state(d),
        None if a["author_org"] == me => "author",
        None => "-",
    }
}

/// The caller's organisation.
async fn my_org(api: &Api) -> anyhow::Result<String> {
    let me = api.json(M::GET, "/api/v1/me", None, &[]).await?;
    Ok(s(&me["actor"]["org"]).to_owned())
}

fn heading(a: &Value) -> String {
    let f = &a["fields"];
    format!(
        "advisory #{} ({}) from {} — {} {}, urgency {}{}",
        a["number"],
        s(&a["id"]),
        s(&a["author_org"]),
        s(&f["tlp"]),
        s(&f["category"]),
        f["urgency"].as_str().unwrap_or("normal"),
        if a["drill"] == true { " [drill]" } else { "" }
    )
}

/// Deliveries per tier: how many have it now, how many wait for a relay, and who.
fn deliveries_by_tier(a: &Value) -> String {
    let mut ds: Vec<&Value> = a["deliveries"].as_array().into_iter().flatten().collect();
    ds.sort_by_key(|d| (tier_order(s(&d["tier"])), s(&d["org_id"]).to_owned()));
    let mut rows = Vec::new();
    let mut tiers: Vec<&str> = ds.iter().map(|d| s(&d["tier"])).collect();
    tiers.dedup();
    for t in tiers {
        let of: Vec<&&Value> = ds.iter().filter(|d| d["tier"] == t).collect();
        let delivered = of.iter().filter(|d| d["delivered_at"].is_string()).count();
        let mut names: Vec<&str> = of.iter().map(|d| s(&d["org_id"])).collect();
        let more = names.len().saturating_sub(8);
        names.truncate(8);
        let mut list = names.join(", ");
        if more > 0 {
            list.push_str(&format!(", … (+{more})"));
        }
        rows.push(vec![
            t.to_owned(),
            delivered.to_string(),
            (of.len() - delivered).to_string(),
            list,
        ]);
    }
    output::table(
        &["tier", "delivered", "waiting for relay", "organisations"],
        rows,
    )
}

fn print_show(a: &Value, me: &str) -> String {
    let f = &a["fields"];
    let mut out = heading(a);
    out.push_str(&format!("\n  title: {}\n", s(&f["title"])));
    if let Some(t) = f["title_ja"].as_str() {
        out.push_str(&format!("  title (ja): {t}\n"));
    }
    if f["valid_from"].is_string() || f["valid_until"].is_string() {
        out.push_str(&format!(
            "  valid: {} – {}\n",
            s(&f["valid_from"]),
            s(&f["valid_until"])
        ));
    }
    let cves: Vec<&str> = f["cves"].as_array().into_iter().flatten().map(s).collect();
    if !cves.is_empty() {
        out.push_str(&format!("  CVEs: {}\n", cves.join(", ")));
    }
    let indicators: Vec<String> = f["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| format!("{}:{}", s(&i["kind"]), s(&i["value"])))
        .collect();
    if !indicators.is_empty() {
        out.push_str(&format!("  indicators: {}\n", indicators.join(", ")));
    }
    match my_delivery(a, me) {
        Some(d) => {
            out.push_str(&format!(
                "  my state: {} (via {}; delivered {}",
                delivery_state(d),
                d["via"].as_str().unwrap_or("the author, directly"),
                s(&d["delivered_at"])
            ));
            if let Some(t) = d["read_at"].as_str() {
                out.push_str(&format!(", read {t}"));
            }
            if let Some(t) = d["acknowledged_at"].as_str() {
                out.push_str(&format!(
                    ", acknowledged {t} by {}",
                    s(&d["acknowledged_by"])
                ));
            }
            out.push_str(")\n");
        }
        None => out.push_str(&format!("  my state: {}\n", my_state(a, me))),
    }
    for d in a["deliveries"].as_array().into_iter().flatten() {
        if let Some(n) = d["relay_note"].as_str() {
            out.push_str(&format!("  relay note of {}: {n}\n", s(&d["org_id"])));
        }
    }
    out.push_str(&format!("\n{}\n", s(&f["body"]).trim_end()));
    if let Some(b) = f["body_ja"].as_str() {
        out.push_str(&format!("\n--- 日本語 ---\n{}\n", b.trim_end()));
    }
    out
}

fn status_tables(v: &Value) -> String {
    let tiers = v["tiers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            vec![
                s(&t["tier"]).to_owned(),
                t["organisations"].to_string(),
                t["delivered"].to_string(),
                t["read"].to_string(),
                t["acknowledged"].to_string(),
                t["waiting_for_relay"].to_string(),
                t["median_minutes_to_acknowledge"]
                    .as_f64()
                    .map(|m| format!("{m:.1}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut ds: Vec<&Value> = v["deliveries"].as_array().into_iter().flatten().collect();
    ds.sort_by_key(|d| (tier_order(s(&d["tier"])), s(&d["org_id"]).to_owned()));
    let notes: String = ds
        .iter()
        .filter_map(|d| {
            let n = d["relay_note"].as_str()?;
            Some(format!(
                "\nrelay note of {} ({}): {n}",
                s(&d["org_id"]),
                s(&d["relayed_at"])
            ))
        })
        .collect();
    let orgs = ds
        .into_iter()
        .map(|d| {
            vec![
                s(&d["org_id"]).to_owned(),
                s(&d["tier"]).to_owned(),
                d["via"].as_str().unwrap_or("direct").to_owned(),
                d["delivered_at"]
                    .as_str()
                    .unwrap_or("waiting for relay")
                    .to_owned(),
                s(&d["read_at"]).to_owned(),
                s(&d["acknowledged_at"]).to_owned(),
            ]
        })
        .collect();
    format!(
        "advisory #{} ({})\n\n{}\n\n{}\n{notes}",
        v["number"],
        s(&v["id"]),
        output::table(
            &[
                "tier",
                "organisations",
                "delivered",
                "read",
                "acknowledged",
                "waiting for relay",
                "median minutes to ack",
            ],
            tiers,
        ),
        output::table(
            &[
                "organisation",
                "tier",
                "via",
                "delivered at",
                "read at",
                "acknowledged at",
            ],
            orgs,
        )
    )
}

pub async fn run(g: &Global, a: AdvisoryArgs) -> anyhow::Result<ExitCode> {
    let api = Api::new(&a.client)?;
    match a.command {
        AdvisoryCommand::Create {
            file,
            title,
            title_ja,
            body,
            body_file,
            body_ja_file,
            tlp,
            category,
            urgency,
            cve,
            indicator,
            valid_from,
            valid_until,
            all,
            sector,
            subsector,
            community,
            org,
            prefix,
            domain,
            product,
            drill,
        } => {
            let mut fields = match &file {
                Some(p) => serde_json::from_str(&read_text(p)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                None => json!({}),
            };
            let obj = fields
                .as_object_mut()
                .ok_or_else(|| anyhow::anyhow!("the advisory file must hold a JSON object"))?;
            let body = match (body, &body_file) {
                (Some(b), _) => Some(b),
                (None, Some(p)) => Some(read_text(p)?),
                (None, None) => None,
            };
            let body_ja = body_ja_file.as_ref().map(read_text).transpose()?;
            for (k, v) in [
                ("title", title),
                ("title_ja", title_ja),
                ("body", body),
                ("body_ja", body_ja),
                ("tlp", one_of("tlp", tlp.as_deref().map(tlp_label), &TLPS)?),
                ("category", one_of("category", category, &CATEGORIES)?),
                ("urgency", one_of("urgency", urgency, &URGENCIES)?),
                ("valid_from", rfc3339("valid-from", valid_from)?),
                ("valid_until", rfc3339("valid-until", valid_until)?),
            ] {
                if let Some(v) = v {
                    obj.insert(k.to_owned(), json!(v));
                }
            }
            if !cve.is_empty() {
                obj.insert("cves".into(), json!(cve));
            }
            if !indicator.is_empty() {
                let mut list = Vec::new();
                for i in &indicator {
                    let (k, v) = i
                        .split_once(':')
                        .ok_or_else(|| anyhow::anyhow!("--indicator {i:?}: use kind:value"))?;
                    list.push(json!({"kind": k, "value": v}));
                }
                obj.insert("indicators".into(), Value::Array(list));
            }
            let audience = obj.entry("audience").or_insert_with(|| json!({}));
            let audience = audience
                .as_object_mut()
                .ok_or_else(|| anyhow::anyhow!("audience: must be a JSON object"))?;
            if all {
                audience.insert("all".into(), json!(true));
            }
            for (k, add) in [
                ("sectors", sector),
                ("subsectors", subsector),
                ("communities", community),
                ("organisations", org),
                ("prefixes", prefix),
                ("domains", domain),
                ("products", product),
            ] {
                if add.is_empty() {
                    continue;
                }
                let list = audience.entry(k).or_insert_with(|| json!([]));
                match list.as_array_mut() {
                    Some(l) => l.extend(add.into_iter().map(Value::String)),
                    None => anyhow::bail!("audience.{k}: must be a list"),
                }
            }
            let path = if drill {
                "/api/v1/advisories?drill=true"
            } else {
                "/api/v1/advisories"
            };
            let r = api.json(M::POST, path, Some(fields), &[]).await?;
            output::emit(g.json, &r, || {
                format!(
                    "{}\n  title: {}\n\n{}",
                    heading(&r),
                    s(&r["fields"]["title"]),
                    deliveries_by_tier(&r)
                )
            });
        }
        AdvisoryCommand::List { limit } => {
            let list = api
                .json(
                    M::GET,
                    &format!("/api/v1/advisories?limit={limit}"),
                    None,
                    &[],
                )
                .await?;
            let me = if g.json {
                String::new()
            } else {
                my_org(&api).await?
            };
            output::emit(g.json, &list, || {
                output::table(
                    &["#", "tlp", "category", "title", "my state"],
                    list.as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| {
                            let f = &a["fields"];
                            vec![
                                a["number"].to_string(),
                                s(&f["tlp"]).to_owned(),
                                s(&f["category"]).to_owned(),
                                format!(
                                    "{}{}",
                                    s(&f["title"]),
                                    if a["drill"] == true { " [drill]" } else { "" }
                                ),
                                my_state(a, &me).to_owned(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        AdvisoryCommand::Show { id } => {
            let r = api
                .json(M::GET, &format!("/api/v1/advisories/{id}"), None, &[])
                .await?;
            let me = if g.json {
                String::new()
            } else {
                my_org(&api).await?
            };
            output::emit(g.json, &r, || print_show(&r, &me));
        }
        AdvisoryCommand::Ack { id } => {
            let r = api
                .json(M::POST, &format!("/api/v1/advisories/{id}/ack"), None, &[])
                .await?;
            let me = if g.json {
                String::new()
            } else {
                my_org(&api).await?
            };
            output::emit(g.json, &r, || {
                let at = my_delivery(&r, &me)
                    .and_then(|d| d["acknowledged_at"].as_str())
                    .unwrap_or("");
                format!(
                    "advisory #{} acknowledged by {me} at {at}: {}",
                    r["number"],
                    s(&r["fields"]["title"])
                )
            });
        }
        AdvisoryCommand::Relay { id, note } => {
            let r = api
                .json(
                    M::POST,
                    &format!("/api/v1/advisories/{id}/relay"),
                    Some(json!({ "note": note })),
                    &[],
                )
                .await?;
            let me = if g.json {
                String::new()
            } else {
                my_org(&api).await?
            };
            output::emit(g.json, &r, || {
                let at = my_delivery(&r, &me)
                    .and_then(|d| d["relayed_at"].as_str())
                    .unwrap_or("");
                let mut out = format!(
                    "advisory #{} relayed by {me} at {at} to the tier below: {}",
                    r["number"],
                    s(&r["fields"]["title"])
                );
                if let Some(n) = &note {
                    out.push_str(&format!("\n  note: {n}"));
                }
                out
            });
        }
        AdvisoryCommand::Status { id } => {
            let v = api
                .json(
                    M::GET,
                    &format!("/api/v1/advisories/{id}/status"),
                    None,
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || status_tables(&v));
        }
    }
    Ok(ExitCode::SUCCESS)
}
