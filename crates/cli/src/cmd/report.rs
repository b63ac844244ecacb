//! `sakimori report ...`: incident reports through the API of a running server,
//! as the reporting organisation's user (token) sees them.

use crate::{output, Global};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Clone)]
pub(crate) struct Client {
    /// The Sakimori server
    #[arg(
        long,
        env = "SAKIMORI_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    server: String,
    /// Your API token
    #[arg(long, env = "SAKIMORI_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    client: Client,
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ReportCommand {
    /// Submit a report once: it goes to every recipient the routing names
    #[command(
        after_help = "Examples:\n  sakimori report submit --summary 'Ransom note on file server' --service-affected no\n  sakimori report submit --file report.json --idempotency-key 2026-11-22-fs01\n  sakimori report submit --summary 'Web defaced' --service-affected yes --event-class integrity \\\n      --cause vulnerability --observable ipv4:203.0.113.9 --also-notify npa"
    )]
    Submit {
        /// The whole report as JSON (fields as in the API); flags override it
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        summary: Option<String>,
        /// When it was detected (RFC 3339); default: now
        #[arg(long)]
        detected_at: Option<String>,
        /// Is a service to the public affected? (yes/no)
        #[arg(long)]
        service_affected: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        event_class: Option<String>,
        #[arg(long)]
        cause: Vec<String>,
        #[arg(long)]
        attack_type: Vec<String>,
        /// kind:value, e.g. ipv4:203.0.113.9, domain:c2.example.net, sha256:...
        #[arg(long)]
        observable: Vec<String>,
        /// Organisations to notify in addition (e.g. npa, ipa, jpcert)
        #[arg(long)]
        also_notify: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Retries with the same key store the report once
        #[arg(long)]
        idempotency_key: Option<String>,
        /// A drill report: delivered like any other, never counted
        #[arg(long)]
        drill: bool,
    },
    /// Update a report (a new version): --set field=value (JSON values allowed) or --file patch.json
    #[command(
        after_help = "Examples:\n  sakimori report update 12 --set status=under-response --set event_class=malware-infection\n  sakimori report update 12 --set 'impact={\"affected_people\": 20000, \"duration_hours\": 8}'"
    )]
    Update {
        id: String,
        #[arg(long)]
        set: Vec<String>,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Acknowledge a report your organisation received
    Ack { id: String },
    /// Show a report, its recipients and its timeline
    Show { id: String },
    /// List the reports your organisation sent or received
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Link reports into one incident (coordinator)
    Link {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, default_value = "")]
        title: String,
        /// Add to an existing incident
        #[arg(long)]
        incident: Option<String>,
    },
    /// Split a report out of its incident (coordinator)
    Unlink { id: String },
    /// Evaluate severity (coordinator), from the report's impact or a file of inputs
    Severity {
        id: String,
        #[arg(long, default_value = "provisional")]
        kind: String,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Switch a scope (national or a sector id) to large-scale outage mode or back (coordinator)
    Mode { scope: String, mode: String },
    /// Fiscal-year statistics in the official layout
    #[command(
        after_help = "Examples:\n  sakimori report stats --fy 2023\n  sakimori report stats --fy 2023 --format html --lang ja > fy2023.html\n  sakimori report stats --fy 2023 --format svg > fy2023.svg"
    )]
    Stats {
        #[arg(long)]
        fy: Option<i32>,
        /// json, csv, html, svg, or trend-svg (every fiscal year)
        #[arg(long, default_value = "json")]
        format: String,
        /// en or ja
        #[arg(long, default_value = "en")]
        lang: String,
    },
}

pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    pub(crate) fn new(c: &Client) -> anyhow::Result<Api> {
        let token = c
            .token
            .clone()
            .ok_or_else(|| anyhow::anyhow!("give --token or set SAKIMORI_TOKEN"))?;
        Ok(Api {
            http: reqwest::Client::new(),
            base: c.server.trim_end_matches('/').to_owned(),
            token,
        })
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, String)],
    ) -> anyhow::Result<(reqwest::StatusCode, String)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach {}: {e}", self.base))?;
        let status = resp.status();
        Ok((status, resp.text().await?))
    }

    /// Call and decode JSON, turning API errors into messages that name the field.
    pub(crate) async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, String)],
    ) -> anyhow::Result<Value> {
        let (status, text) = self.call(method, path, body, headers).await?;
        if !status.is_success() {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let e = &v["error"];
            let field = e["field"]
                .as_str()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            anyhow::bail!(
                "{} {}{}",
                status.as_u16(),
                field,
                e["message"].as_str().unwrap_or(&text)
            );
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_str(&text)?)
    }
}

fn yes_no(s: &str) -> anyhow::Result<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        other => anyhow::bail!("--service-affected: expected yes or no, got {other:?}"),
    }
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn print_report(json_out: bool, r: &Value) {
    output::emit(json_out, r, || {
        let f = &r["fields"];
        let mut s = format!(
            "report #{} ({}) v{} from {} — {}\n  status: {}   detected: {}   service affected: {}\n",
            r["number"], r["id"].as_str().unwrap_or(""), r["version"], r["reporter_org"].as_str().unwrap_or(""),
            f["summary"].as_str().unwrap_or(""), f["status"].as_str().unwrap_or(""), f["detected_at"].as_str().unwrap_or(""), f["service_affected"]
        );
        let rows = r["recipients"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                let state = if x["acknowledged_at"].is_string() {
                    "acknowledged"
                } else if x["read_at"].is_string() {
                    "read"
                } else {
                    "delivered"
                };
                vec![
                    x["priority"].to_string(),
                    x["org_id"].as_str().unwrap_or("").to_owned(),
                    x["urgency"].as_str().unwrap_or("").to_owned(),
                    state.to_owned(),
                    x["acknowledged_at"].as_str().unwrap_or("").to_owned(),
                ]
            })
            .collect();
        s.push_str(&output::table(
            &["#", "recipient", "urgency", "state", "acknowledged at"],
            rows,
        ));
        s
    });
}

pub async fn run(g: &Global, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let api = Api::new(&a.client)?;
    use reqwest::Method as M;
    match a.command {
        ReportCommand::Submit {
            file,
            summary,
            detected_at,
            service_affected,
            status,
            event_class,
            cause,
            attack_type,
            observable,
            also_notify,
            description,
            idempotency_key,
            drill,
        } => {
            let mut body = match &file {
                Some(p) => read_json(p)?,
                None => json!({}),
            };
            let obj = body
                .as_object_mut()
                .ok_or_else(|| anyhow::anyhow!("the report file must hold a JSON object"))?;
            let mut set = |k: &str, v: Value| {
                obj.insert(k.to_owned(), v);
            };
            if let Some(v) = summary {
                set("summary", json!(v));
            }
            if let Some(v) = detected_at {
                set("detected_at", json!(v));
            }
            if let Some(v) = service_affected {
                set("service_affected", json!(yes_no(&v)?));
            }
            if let Some(v) = status {
                set("status", json!(v));
            }
            if let Some(v) = event_class {
                set("event_class", json!(v));
            }
            if !cause.is_empty() {
                set("causes", json!(cause));
            }
            if !attack_type.is_empty() {
                set("attack_types", json!(attack_type));
            }
            if !also_notify.is_empty() {
                set("also_notify", json!(also_notify));
            }
            if let Some(v) = description {
                set("description", json!(v));
            }
            if !observable.is_empty() {
                let mut list = Vec::new();
                for o in &observable {
                    let (k, v) = o
                        .split_once(':')
                        .ok_or_else(|| anyhow::anyhow!("--observable {o:?}: use kind:value"))?;
                    list.push(json!({"kind": k, "value": v}));
                }
                set("observables", Value::Array(list));
            }
            obj.entry("detected_at")
                .or_insert_with(|| json!(chrono::Utc::now().to_rfc3339()));
            obj.entry("status").or_insert_with(|| json!("reported"));
            let headers: Vec<(&str, String)> = idempotency_key
                .into_iter()
                .map(|k| ("idempotency-key", k))
                .collect();
            let path = if drill {
                "/api/v1/reports?drill=true"
            } else {
                "/api/v1/reports"
            };
            let r = api.json(M::POST, path, Some(body), &headers).await?;
            print_report(g.json, &r);
        }
        ReportCommand::Update { id, set, file } => {
            let mut patch = match &file {
                Some(p) => read_json(p)?,
                None => json!({}),
            };
            let obj = patch
                .as_object_mut()
                .ok_or_else(|| anyhow::anyhow!("the patch must be a JSON object"))?;
            for kv in &set {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--set {kv:?}: use field=value"))?;
                obj.insert(
                    k.to_owned(),
                    serde_json::from_str(v).unwrap_or_else(|_| json!(v)),
                );
            }
            let r = api
                .json(M::PATCH, &format!("/api/v1/reports/{id}"), Some(patch), &[])
                .await?;
            print_report(g.json, &r);
        }
        ReportCommand::Ack { id } => {
            let r = api
                .json(M::POST, &format!("/api/v1/reports/{id}/ack"), None, &[])
                .await?;
            print_report(g.json, &r);
        }
        ReportCommand::Show { id } => {
            let r = api
                .json(M::GET, &format!("/api/v1/reports/{id}"), None, &[])
                .await?;
            let t = api
                .json(M::GET, &format!("/api/v1/reports/{id}/timeline"), None, &[])
                .await?;
            if g.json {
                output::emit(true, &json!({"report": r, "timeline": t}), String::new);
            } else {
                print_report(false, &r);
                let rows = t
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        vec![
                            e["at"].as_str().unwrap_or("").to_owned(),
                            e["organisation"].as_str().unwrap_or("").to_owned(),
                            e["what"].as_str().unwrap_or("").to_owned(),
                            if e["detail"].is_null() {
                                String::new()
                            } else {
                                e["detail"].to_string()
                            },
                        ]
                    })
                    .collect();
                println!(
                    "\n{}",
                    output::table(&["at", "organisation", "what", "detail"], rows)
                );
            }
        }
        ReportCommand::List { limit } => {
            let list = api
                .json(M::GET, &format!("/api/v1/reports?limit={limit}"), None, &[])
                .await?;
            output::emit(g.json, &list, || {
                output::table(
                    &["#", "from", "status", "detected", "acks", "summary"],
                    list.as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| {
                            let rec = r["recipients"].as_array().cloned().unwrap_or_default();
                            let acks = rec
                                .iter()
                                .filter(|x| x["acknowledged_at"].is_string())
                                .count();
                            vec![
                                r["number"].to_string(),
                                r["reporter_org"].as_str().unwrap_or("").to_owned(),
                                r["fields"]["status"].as_str().unwrap_or("").to_owned(),
                                r["fields"]["detected_at"].as_str().unwrap_or("").to_owned(),
                                format!("{acks}/{}", rec.len()),
                                r["fields"]["summary"].as_str().unwrap_or("").to_owned(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        ReportCommand::Link {
            ids,
            title,
            incident,
        } => {
            let v = api
                .json(
                    M::POST,
                    "/api/v1/incidents",
                    Some(json!({"reports": ids, "title": title, "incident": incident})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                format!(
                    "incident #{} {} ({}): {} report(s)",
                    v["number"],
                    v["title"].as_str().unwrap_or(""),
                    v["id"].as_str().unwrap_or(""),
                    v["reports"].as_array().map(Vec::len).unwrap_or(0)
                )
            });
        }
        ReportCommand::Unlink { id } => {
            let r = api
                .json(M::POST, &format!("/api/v1/reports/{id}/unlink"), None, &[])
                .await?;
            print_report(g.json, &r);
        }
        ReportCommand::Severity { id, kind, file } => {
            let inputs = match &file {
                Some(p) => Some(read_json(p)?),
                None => None,
            };
            let v = api
                .json(
                    M::POST,
                    &format!("/api/v1/reports/{id}/severity"),
                    Some(json!({"kind": kind, "inputs": inputs})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                let e = &v["record"]["evaluation"];
                let mut s = format!(
                    "severity ({}) of report {id}: level {}\n",
                    kind, e["overall"]
                );
                for vp in e["viewpoints"].as_array().into_iter().flatten() {
                    s.push_str(&format!(
                        "  {}: level {}\n",
                        vp["viewpoint"].as_str().unwrap_or(""),
                        vp["level"]
                    ));
                    for r in vp["reasons"].as_array().into_iter().flatten() {
                        s.push_str(&format!(
                            "    - {} = {}: {} -> {}\n",
                            r["indicator"].as_str().unwrap_or(""),
                            r["input"].as_str().unwrap_or(""),
                            r["rule"].as_str().unwrap_or(""),
                            r["level"]
                        ));
                    }
                }
                if let Some(n) = v["nciss"].as_object() {
                    s.push_str(&format!(
                        "  NCISS-style score {} ({})\n",
                        n["score"],
                        n["priority"].as_str().unwrap_or("")
                    ));
                }
                s
            });
        }
        ReportCommand::Mode { scope, mode } => {
            let v = api
                .json(
                    M::PUT,
                    &format!("/api/v1/modes/{scope}"),
                    Some(json!({"mode": mode})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                format!(
                    "{}: {} since {} (by {})",
                    v["scope"].as_str().unwrap_or(""),
                    v["mode"].as_str().unwrap_or(""),
                    v["since"].as_str().unwrap_or(""),
                    v["by_user"].as_str().unwrap_or("")
                )
            });
        }
        ReportCommand::Stats { fy, format, lang } => {
            let mut path = format!("/api/v1/statistics?format={format}&lang={lang}");
            if let Some(fy) = fy {
                path.push_str(&format!("&fy={fy}"));
            }
            let (status, text) = api.call(M::GET, &path, None, &[]).await?;
            if !status.is_success() {
                anyhow::bail!("{}: {text}", status.as_u16());
            }
            print!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
