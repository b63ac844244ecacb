//! `sakimori intel ...`: shared intelligence. `add`, `get`, `search`, `export`,
//! `correlate`, `relay`, `collections` and the MISP commands go through the API
//! of a running server as the token's user; `pull` and `push` federate this
//! installation's database with another TAXII 2.1 server.

use super::report::{Api, Client};
use crate::{output, Global};
use clap::{Args, Subcommand};
use reqwest::Method as M;
use sakimori_share::taxii_client::{Auth, TaxiiClient};
use sakimori_store::{
    ObjectFilter, ShareOptions, VersionMatch, INBOX_COLLECTION, SHARED_COLLECTION,
};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct IntelArgs {
    #[command(flatten)]
    client: Client,
    #[command(subcommand)]
    command: IntelCommand,
}

/// The peer of `pull` and `push`.
#[derive(Args)]
pub struct Peer {
    /// The peer's TAXII discovery URL (…/taxii2/) or API root
    #[arg(long)]
    peer: String,
    /// The peer's collection id
    #[arg(long)]
    collection: String,
    /// Your user name at the peer (HTTP Basic); without it the token is sent as a bearer token
    #[arg(long, env = "SAKIMORI_PEER_USER")]
    peer_user: Option<String>,
    /// Your token (or password) at the peer
    #[arg(long, env = "SAKIMORI_PEER_TOKEN", hide_env_values = true)]
    peer_token: Option<String>,
    /// The local user the objects are shared as (their organisation becomes the source)
    #[arg(long = "as")]
    as_user: String,
}

#[derive(Subcommand)]
pub enum IntelCommand {
    /// Share STIX 2.1 objects from a file (a bundle or a list of objects)
    #[command(
        after_help = "Examples:\n  sakimori intel add bundle.json --tlp TLP:GREEN\n  sakimori intel add c2.json --tlp TLP:AMBER --recipient ceptoar-electricity --recipient community:sector-electricity\n  sakimori intel add red.json --tlp TLP:RED --recipient-user tanaka\n  sakimori intel add feed.json --collection 455c6ee7-0944-563a-9caa-0580d32cae00 --partial"
    )]
    Add {
        file: PathBuf,
        /// Collection id (default: shared with the whole platform)
        #[arg(long)]
        collection: Option<String>,
        /// TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED
        #[arg(long)]
        tlp: Option<String>,
        /// TLP:AMBER recipients: organisation ids or community:ID
        #[arg(long)]
        recipient: Vec<String>,
        /// TLP:RED: the named users
        #[arg(long)]
        recipient_user: Vec<String>,
        /// Keep the valid objects when some are invalid (TAXII semantics)
        #[arg(long)]
        partial: bool,
    },
    /// One object: its versions you may see, and its correlations
    Get { id: String },
    /// Search what you may see
    #[command(
        after_help = "Examples:\n  sakimori intel search 198.51.100.7\n  sakimori intel search --type indicator --limit 20\n  sakimori intel search emotet --json"
    )]
    Search {
        /// Text anywhere in the object
        text: Option<String>,
        #[arg(long = "type")]
        ty: Option<String>,
        #[arg(long)]
        collection: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Export what you may see as a STIX 2.1 bundle
    Export {
        #[arg(long)]
        collection: Option<String>,
        #[arg(long = "type")]
        ty: Option<String>,
        /// Write to a file instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// How often values appear in shared intelligence, and from how many organisations
    Correlate {
        /// Addresses, domains, URLs or hashes
        #[arg(required = true)]
        values: Vec<String>,
    },
    /// Relay a TLP:AMBER object you received to one of your constituents
    Relay {
        id: String,
        #[arg(long)]
        collection: String,
        #[arg(long)]
        to: String,
    },
    /// The collections you may read and write
    Collections,
    /// Import a MISP event (JSON as MISP exports it); its distribution and sharing group become the TLP and community
    #[command(
        after_help = "Examples:\n  sakimori intel misp-import event.json\n  sakimori intel misp-import event.json --collection 455c6ee7-0944-563a-9caa-0580d32cae00"
    )]
    MispImport {
        file: PathBuf,
        /// Collection id (default: the sharing group's community, else the platform)
        #[arg(long)]
        collection: Option<String>,
    },
    /// Export what you may see as one MISP event
    MispExport {
        #[arg(long)]
        collection: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Pull a peer's collection into this installation, resuming where the last pull stopped
    #[command(
        after_help = "Examples:\n  # a ministry's instance pulls what the centre shares with it\n  sakimori intel pull --peer https://centre.example/taxii2/ --collection a9d2c1f0-5a4e-4c1b-9f3e-000000000001 \\\n      --peer-user meti-sync --peer-token skm_... --as meti-sync\n  # from OpenCTI or medallion\n  sakimori intel pull --peer https://opencti.example/taxii2/root/ --collection ID --peer-token TOKEN --as isac-sync"
    )]
    Pull {
        #[command(flatten)]
        peer: Peer,
        /// The local collection to add to (default: shared with the platform)
        #[arg(long)]
        into: Option<String>,
        /// Objects per request
        #[arg(long, default_value_t = 1000)]
        page_size: usize,
        /// Ignore where the last pull stopped
        #[arg(long)]
        from_start: bool,
    },
    /// Push the objects the local user may see (from one collection) to a peer
    Push {
        #[command(flatten)]
        peer: Peer,
        /// The local collection to push (default: everything the user may see)
        #[arg(long)]
        from: Option<String>,
        /// Only objects added locally after this time
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

pub async fn run(g: &Global, a: IntelArgs) -> anyhow::Result<ExitCode> {
    match a.command {
        IntelCommand::Pull {
            peer,
            into,
            page_size,
            from_start,
        } => pull(g, &peer, into.as_deref(), page_size, from_start).await,
        IntelCommand::Push {
            peer,
            from,
            since,
            batch,
        } => push(g, &peer, from.as_deref(), since.as_deref(), batch).await,
        command => api_command(g, &Api::new(&a.client)?, command).await,
    }
}

async fn api_command(g: &Global, api: &Api, command: IntelCommand) -> anyhow::Result<ExitCode> {
    match command {
        IntelCommand::Add {
            file,
            collection,
            tlp,
            recipient,
            recipient_user,
            partial,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let mut body = match v {
                Value::Array(objects) => json!({ "objects": objects }),
                b if b["type"] == "bundle" => json!({ "bundle": b }),
                o if o.get("type").is_some() => json!({ "objects": [o] }),
                _ => anyhow::bail!(
                    "{}: expected a STIX bundle, an object or a list of objects",
                    file.display()
                ),
            };
            body["partial"] = json!(partial);
            body["recipients"] = json!(recipient);
            body["recipient_users"] = json!(recipient_user);
            if let Some(c) = collection {
                body["collection"] = json!(c);
            }
            if let Some(t) = tlp {
                body["tlp"] = json!(t
                    .parse::<sakimori_core::tlp::Tlp>()
                    .map_err(|e| anyhow::anyhow!("--tlp: {e}"))?);
            }
            let st = api
                .json(M::POST, "/api/v1/intel/objects", Some(body), &[])
                .await?;
            output::emit(g.json, &st, || {
                let mut s = format!(
                    "{} of {} objects shared",
                    st["success_count"], st["total_count"]
                );
                for f in st["failures"].as_array().into_iter().flatten() {
                    s.push_str(&format!(
                        "\n  refused {}: {}",
                        f["id"].as_str().unwrap_or("?"),
                        f["message"].as_str().unwrap_or("")
                    ));
                }
                s
            });
            Ok(if st["failure_count"] == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        IntelCommand::Get { id } => {
            let v = api
                .json(M::GET, &format!("/api/v1/intel/objects/{id}"), None, &[])
                .await?;
            notice(&v["notice"]);
            output::emit(g.json, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            });
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Search {
            text,
            ty,
            collection,
            limit,
        } => {
            let mut q = vec![format!("limit={limit}")];
            for (k, v) in [("q", text), ("type", ty), ("collection", collection)] {
                if let Some(v) = v {
                    q.push(format!("{k}={}", urlencode(&v)));
                }
            }
            let v = api
                .json(
                    M::GET,
                    &format!("/api/v1/intel/objects?{}", q.join("&")),
                    None,
                    &[],
                )
                .await?;
            notice(&v["notice"]);
            output::emit(g.json, &v, || {
                let rows = v["objects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        vec![
                            o["tlp"].as_str().unwrap_or("").to_owned(),
                            o["id"].as_str().unwrap_or("").to_owned(),
                            o["object"]["name"]
                                .as_str()
                                .or(o["object"]["value"].as_str())
                                .unwrap_or("")
                                .to_owned(),
                            if o["visibility"] == "anonymised" {
                                "anonymised".into()
                            } else {
                                String::new()
                            },
                            o["warninglists"]
                                .as_array()
                                .map(|w| {
                                    w.iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(",")
                                })
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["TLP", "ID", "NAME", "FORM", "WARNINGLIST"], rows)
            });
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Export {
            collection,
            ty,
            output: out,
        } => {
            let mut q = Vec::new();
            for (k, v) in [("type", ty), ("collection", collection)] {
                if let Some(v) = v {
                    q.push(format!("{k}={}", urlencode(&v)));
                }
            }
            let (status, text) = api
                .call(
                    M::GET,
                    &format!("/api/v1/intel/export?{}", q.join("&")),
                    None,
                    &[],
                )
                .await?;
            if !status.is_success() {
                anyhow::bail!("export refused ({status}): {text}");
            }
            match out {
                Some(p) => {
                    std::fs::write(&p, &text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                    let n = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|b| b["objects"].as_array().map(Vec::len))
                        .unwrap_or(0);
                    eprintln!("{n} objects written to {}", p.display());
                }
                None => println!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Correlate { values } => {
            let v = api
                .json(
                    M::GET,
                    &format!(
                        "/api/v1/intel/correlations?value={}",
                        urlencode(&values.join(","))
                    ),
                    None,
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                let rows = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        vec![
                            c["value"].as_str().unwrap_or("").to_owned(),
                            c["objects"]
                                .as_array()
                                .map(Vec::len)
                                .unwrap_or(0)
                                .to_string(),
                            c["organisations"].to_string(),
                            c["warninglists"]
                                .as_array()
                                .map(|w| {
                                    w.iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(",")
                                })
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(
                    &["VALUE", "OBJECTS YOU SEE", "ORGANISATIONS", "WARNINGLIST"],
                    rows,
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Relay { id, collection, to } => {
            let v = api
                .json(
                    M::POST,
                    &format!("/api/v1/intel/objects/{id}/relay"),
                    Some(json!({"collection": collection, "to": to})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || format!("{id} relayed to {to}"));
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Collections => {
            let v = api
                .json(M::GET, "/api/v1/intel/collections", None, &[])
                .await?;
            output::emit(g.json, &v, || {
                let rows = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        vec![
                            c["id"].as_str().unwrap_or("").to_owned(),
                            if c["can_write"] == true {
                                "rw".into()
                            } else {
                                "r".into()
                            },
                            c["community_id"].as_str().unwrap_or("-").to_owned(),
                            c["title"].as_str().unwrap_or("").to_owned(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "ACCESS", "COMMUNITY", "TITLE"], rows)
            });
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::MispImport { file, collection } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let event: Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let path = match collection {
                Some(c) => format!("/api/v1/intel/misp?collection={}", urlencode(&c)),
                None => "/api/v1/intel/misp".to_owned(),
            };
            let v = api.json(M::POST, &path, Some(event), &[]).await?;
            output::emit(g.json, &v, || {
                let mut s = format!(
                    "{} objects shared as {} into collection {}",
                    v["status"]["success_count"],
                    v["tlp"].as_str().unwrap_or("?"),
                    v["collection"].as_str().unwrap_or("?")
                );
                for w in v["warnings"].as_array().into_iter().flatten() {
                    s.push_str(&format!("\n  note: {}", w.as_str().unwrap_or("")));
                }
                s
            });
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::MispExport {
            collection,
            output: out,
        } => {
            let path = match collection {
                Some(c) => format!("/api/v1/intel/misp?collection={}", urlencode(&c)),
                None => "/api/v1/intel/misp".to_owned(),
            };
            let v = api.json(M::GET, &path, None, &[]).await?;
            let text = serde_json::to_string_pretty(&v)?;
            match out {
                Some(p) => {
                    std::fs::write(&p, text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                    eprintln!("MISP event written to {}", p.display());
                }
                None => println!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        IntelCommand::Pull { .. } | IntelCommand::Push { .. } => unreachable!("handled in run"),
    }
}

fn notice(v: &Value) {
    if let Some(n) = v.as_str() {
        eprintln!("!! {n}");
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut u = reqwest::Url::parse("http://x/").expect("static url");
    u.query_pairs_mut().append_pair("v", s);
    u.query()
        .unwrap_or("v=")
        .trim_start_matches("v=")
        .to_owned()
}

fn auth_of(p: &Peer) -> Auth {
    match (&p.peer_user, &p.peer_token) {
        (Some(u), Some(t)) => Auth::Basic {
            user: u.clone(),
            password: t.clone(),
        },
        (None, Some(t)) => Auth::Bearer(t.clone()),
        _ => Auth::None,
    }
}

async fn local_actor(
    store: &sakimori_store::Store,
    username: &str,
) -> anyhow::Result<sakimori_core::Actor> {
    let u = super::user::find(store, username).await?;
    Ok(sakimori_core::Actor {
        user_id: u.id.clone(),
        username: u.username.clone(),
        org: u.org.clone(),
        roles: u.roles.clone(),
    })
}

async fn pull(
    g: &Global,
    p: &Peer,
    into: Option<&str>,
    page_size: usize,
    from_start: bool,
) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    let actor = local_actor(&store, &p.as_user).await?;
    let into = into.unwrap_or(SHARED_COLLECTION);
    let client = TaxiiClient::new(&p.peer, auth_of(p));
    let root = client.api_root().await?;
    let peer_key = format!("{root}collections/{}/", p.collection);
    let mut after = if from_start {
        None
    } else {
        store.sync_state(&peer_key, &p.collection).await?
    };
    // What the peer shared with us stays with our organisation (AMBER) or our user (RED).
    let options = ShareOptions {
        tlp: None,
        recipients: vec![actor.org.clone()],
        recipient_users: vec![actor.username.clone()],
    };
    let (mut added, mut refused, mut pages) = (0usize, 0usize, 0usize);
    let mut next: Option<String> = None;
    loop {
        let page = client
            .objects(
                &root,
                &p.collection,
                after.as_deref(),
                next.as_deref(),
                page_size,
            )
            .await?;
        pages += 1;
        if !page.objects.is_empty() {
            let st = store
                .add_objects(&actor, into, &page.objects, &options, false)
                .await?;
            added += st.success_count;
            refused += st.failure_count;
            for f in &st.failures {
                eprintln!("refused {}: {}", f.id, f.message.as_deref().unwrap_or(""));
            }
        }
        // Resume from the last date the peer reported, once the page is stored.
        match (&page.date_added_last, &page.next) {
            (Some(last), _) => {
                store
                    .set_sync_state(&actor, &peer_key, &p.collection, last)
                    .await?;
                after = Some(last.clone());
                next = None;
            }
            (None, Some(n)) => next = Some(n.clone()),
            (None, None) if page.more => anyhow::bail!(
                "the peer says more but gives neither next nor X-TAXII-Date-Added-Last"
            ),
            _ => {}
        }
        if !g.json {
            eprint!("\r{pages} pages, {added} objects added, {refused} refused");
            let _ = std::io::stderr().flush();
        }
        if !page.more || page.objects.is_empty() {
            break;
        }
    }
    if !g.json {
        eprintln!();
    }
    let summary = json!({"peer": peer_key, "pages": pages, "added": added, "refused": refused, "resume_after": after});
    output::emit(g.json, &summary, || {
        format!("pulled {added} objects from {peer_key} ({refused} refused); next pull resumes after {}", after.as_deref().unwrap_or("-"))
    });
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn push(
    g: &Global,
    p: &Peer,
    from: Option<&str>,
    since: Option<&str>,
    batch: usize,
) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    let actor = local_actor(&store, &p.as_user).await?;
    let client = TaxiiClient::new(&p.peer, auth_of(p));
    let root = client.api_root().await?;
    let mut filter = ObjectFilter {
        limit: batch.clamp(1, 10_000),
        versions: VersionMatch::All,
        include_revoked: true,
        added_after: match since {
            Some(t) => Some(sakimori_store::version_key(
                sakimori_core::stix::parse_timestamp(t)
                    .ok_or_else(|| anyhow::anyhow!("--since {t:?}: not a timestamp"))?,
            )),
            None => None,
        },
        ..Default::default()
    };
    let (mut sent, mut refused) = (0usize, 0usize);
    loop {
        let page = store
            .objects_page(Some(&actor), from.unwrap_or(INBOX_COLLECTION), &filter)
            .await?;
        let objects: Vec<Value> = page.rows.iter().map(|r| r.object.clone()).collect();
        if !objects.is_empty() {
            let st = client.add(&root, &p.collection, &objects).await?;
            sent += st["success_count"].as_u64().unwrap_or(0) as usize;
            refused += st["failure_count"].as_u64().unwrap_or(0) as usize;
        }
        if !g.json {
            eprint!("\r{sent} objects pushed, {refused} refused");
        }
        if !page.more {
            break;
        }
        filter.after_seq = page.next;
    }
    if !g.json {
        eprintln!();
    }
    let summary = json!({"pushed": sent, "refused": refused});
    output::emit(g.json, &summary, || {
        format!("pushed {sent} objects ({refused} refused by the peer)")
    });
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
