//! `sakimori drill ...`: CEPTOAR drills (セプター訓練) through a running server.

use super::report::{Api, Client};
use crate::{output, Global};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Args)]
pub struct DrillArgs {
    #[command(flatten)]
    client: Client,
    #[command(subcommand)]
    command: DrillCommand,
}

#[derive(Subcommand)]
pub enum DrillCommand {
    /// Start a drill: provision (a marked advisory down the tiers) or report (marked reports up)
    #[command(
        after_help = "Examples:\n  sakimori drill run --kind provision --title 'FY2026 CEPTOAR drill' --all\n  sakimori drill run --kind report --title 'Report drill' --sector electricity --sector gas"
    )]
    Run {
        /// provision or report
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        sector: Vec<String>,
    },
    /// List drills
    List,
    /// The reachability table per tier, sector and CEPTOAR, who did not confirm, stale contacts
    #[command(
        after_help = "Examples:\n  sakimori drill report 1\n  sakimori drill report 1 --format svg > drill-1.svg"
    )]
    Report {
        id: String,
        /// Contacts not verified for this many days are listed
        #[arg(long, default_value_t = 365)]
        stale_days: u32,
        /// table (default), json or svg
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Your organisation's self-check sheet after a drill: --answer id=value
    #[command(
        after_help = "Example:\n  sakimori drill self-check 1 --answer received=true --answer contacts_current=false --answer 'comment=担当者の異動で連絡先が古かった'"
    )]
    SelfCheck {
        id: String,
        #[arg(long, required = true)]
        answer: Vec<String>,
    },
}

fn rate_rows(map: &Value) -> Vec<Vec<String>> {
    map.as_object()
        .into_iter()
        .flatten()
        .map(|(k, r)| {
            vec![
                k.clone(),
                r["hops"].to_string(),
                r["reached"].to_string(),
                r["acknowledged"].to_string(),
                format!("{:.0}%", r["rate"].as_f64().unwrap_or(0.0) * 100.0),
            ]
        })
        .collect()
}

pub async fn run(g: &Global, a: DrillArgs) -> anyhow::Result<ExitCode> {
    let api = Api::new(&a.client)?;
    use reqwest::Method as M;
    match a.command {
        DrillCommand::Run {
            kind,
            title,
            all,
            sector,
        } => {
            let v = api
                .json(M::POST, "/api/v1/drills", Some(json!({"kind": kind, "title": title, "scope": {"all": all, "sectors": sector}})), &[])
                .await?;
            output::emit(g.json, &v, || {
                format!(
                    "drill #{} ({}) started: {}",
                    v["number"],
                    v["kind"].as_str().unwrap_or(""),
                    v["title"].as_str().unwrap_or("")
                )
            });
        }
        DrillCommand::List => {
            let v = api.json(M::GET, "/api/v1/drills", None, &[]).await?;
            output::emit(g.json, &v, || {
                output::table(
                    &["#", "kind", "started", "title"],
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .map(|d| {
                            vec![
                                d["number"].to_string(),
                                d["kind"].as_str().unwrap_or("").into(),
                                d["created_at"].as_str().unwrap_or("").into(),
                                d["title"].as_str().unwrap_or("").into(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        DrillCommand::Report {
            id,
            stale_days,
            format,
        } => {
            if format == "svg" {
                let (status, text) = api
                    .call(
                        M::GET,
                        &format!("/api/v1/drills/{id}/report?format=svg&stale_days={stale_days}"),
                        None,
                        &[],
                    )
                    .await?;
                anyhow::ensure!(status.is_success(), "{}: {text}", status.as_u16());
                print!("{text}");
                return Ok(ExitCode::SUCCESS);
            }
            let v = api
                .json(
                    M::GET,
                    &format!("/api/v1/drills/{id}/report?stale_days={stale_days}"),
                    None,
                    &[],
                )
                .await?;
            output::emit(g.json || format == "json", &v, || {
                let r = &v["reachability"];
                let head = ["", "hops", "reached", "confirmed", "rate"];
                let mut s = format!(
                    "drill #{} ({}) — {}\n",
                    v["drill"]["number"],
                    v["drill"]["kind"].as_str().unwrap_or(""),
                    v["drill"]["title"].as_str().unwrap_or("")
                );
                s.push_str(&format!(
                    "overall: {:.0}% confirmed\n\nper tier\n",
                    r["overall"]["rate"].as_f64().unwrap_or(0.0) * 100.0
                ));
                s.push_str(&output::table(&head, rate_rows(&r["by_tier"])));
                s.push_str("\n\nper sector\n");
                s.push_str(&output::table(&head, rate_rows(&r["by_sector"])));
                s.push_str("\n\nper CEPTOAR\n");
                s.push_str(&output::table(&head, rate_rows(&r["by_ceptoar"])));
                let unconfirmed: Vec<&str> = v["unconfirmed"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str())
                    .collect();
                s.push_str(&format!(
                    "\n\nnot confirmed ({}): {}\n",
                    unconfirmed.len(),
                    unconfirmed.join(", ")
                ));
                let stale = v["stale_contacts"].as_array().cloned().unwrap_or_default();
                s.push_str(&format!("\nstale or bounced contacts ({})\n", stale.len()));
                s.push_str(&output::table(
                    &["organisation", "name", "e-mail", "last verified", "bounced"],
                    stale
                        .iter()
                        .map(|c| {
                            vec![
                                c["org_id"].as_str().unwrap_or("").into(),
                                c["name"].as_str().unwrap_or("").into(),
                                c["email"].as_str().unwrap_or("").into(),
                                c["last_verified"].as_str().unwrap_or("never").into(),
                                c["bounced_at"].as_str().unwrap_or("").into(),
                            ]
                        })
                        .collect(),
                ));
                s
            });
        }
        DrillCommand::SelfCheck { id, answer } => {
            let mut answers = serde_json::Map::new();
            for kv in &answer {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--answer {kv:?}: use id=value"))?;
                answers.insert(
                    k.to_owned(),
                    serde_json::from_str(v).unwrap_or_else(|_| json!(v)),
                );
            }
            api.json(
                M::POST,
                &format!("/api/v1/drills/{id}/self-check"),
                Some(json!({"answers": answers})),
                &[],
            )
            .await?;
            output::emit(g.json, &json!({"ok": true}), || {
                "self-check recorded".into()
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
