use crate::{output, Global};
use clap::{Subcommand, ValueEnum};
use sakimori_core::registry::{self, Format};
use sakimori_store::{OrgFilter, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Yaml,
    Csv,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Format {
        match f {
            FileFormat::Yaml => Format::Yaml,
            FileFormat::Csv => Format::Csv,
        }
    }
}

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Import organisations, contacts, assets and communities: all or nothing
    #[command(
        after_help = "Examples:\n  sakimori registry import constituency.yaml\n  sakimori registry import --check members.csv   # validate only"
    )]
    Import {
        file: PathBuf,
        /// File format (default: from the extension)
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Validate only; write nothing
        #[arg(long)]
        check: bool,
    },
    /// Export the whole registry
    #[command(
        after_help = "Examples:\n  sakimori registry export > registry.yaml\n  sakimori registry export --format csv --output registry.csv"
    )]
    Export {
        #[arg(long, value_enum, default_value = "yaml")]
        format: FileFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Who owns an IP address (longest prefix) or a domain (longest suffix)?
    #[command(
        after_help = "Examples:\n  sakimori registry whois 198.51.100.7\n  sakimori registry whois mail.example.jp 2001:db8:10::1"
    )]
    Whois {
        #[arg(required = true)]
        queries: Vec<String>,
    },
    /// List the sectors
    Sectors,
    /// List organisations
    Orgs {
        #[arg(long)]
        sector: Option<String>,
        #[arg(long)]
        kind: Option<String>,
    },
}

pub async fn run(g: &Global, c: RegistryCommand) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    match c {
        RegistryCommand::Import {
            file,
            format,
            check,
        } => {
            let name = file.display().to_string();
            let bytes =
                std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{name}: not UTF-8 at byte offset {}",
                    e.utf8_error().valid_up_to()
                )
            })?;
            let format = format
                .map(Format::from)
                .unwrap_or_else(|| Format::from_path(&name));
            let result = if check {
                match registry::parse(&text, format) {
                    Err(e) => Err(StoreError::Import(vec![e])),
                    Ok((doc, loc)) => registry::validate(&store.registry().await?, &doc, &loc)
                        .map(|plan| sakimori_store::ImportReport {
                            sectors: plan.sectors.len(),
                            organisations: plan.organisations.len(),
                            contacts: plan
                                .organisations
                                .iter()
                                .filter_map(|o| o.contacts.as_ref())
                                .map(Vec::len)
                                .sum(),
                            assets: 0,
                            communities: plan.communities.len(),
                            findings: plan.findings,
                        })
                        .map_err(StoreError::Import),
                }
            } else {
                store.import_text(&crate::cli_actor(), &text, format).await
            };
            match result {
                Ok(report) => {
                    output::emit(g.json, &report, || {
                        let mut s = format!(
                            "{name}: {} {} sector(s), {} organisation(s), {} contact(s), {} asset(s), {} community(ies)",
                            if check { "valid:" } else { "imported" },
                            report.sectors, report.organisations, report.contacts, report.assets, report.communities
                        );
                        for f in &report.findings {
                            s.push_str(&format!(
                                "\n{name}:{}: note: {}: {}",
                                f.line.unwrap_or(0),
                                f.field,
                                f.message
                            ));
                        }
                        s
                    });
                    Ok(ExitCode::SUCCESS)
                }
                Err(StoreError::Import(problems)) => {
                    output::emit(
                        g.json,
                        &serde_json::json!({"file": name, "ok": false, "problems": problems}),
                        || {
                            let mut s: Vec<String> = problems
                                .iter()
                                .map(|p| {
                                    let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                                    let field = p
                                        .field
                                        .as_ref()
                                        .map(|f| format!(" {f}:"))
                                        .unwrap_or_default();
                                    format!("{name}{line}:{field} {}", p.message)
                                })
                                .collect();
                            s.push("import refused: nothing was written".into());
                            s.join("\n")
                        },
                    );
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        RegistryCommand::Export {
            format,
            output: out,
        } => {
            let doc = store.registry().await?;
            let text = match Format::from(format) {
                Format::Yaml => registry::to_yaml(&doc),
                Format::Csv => registry::to_csv(&doc),
            };
            match out {
                Some(path) => std::fs::write(&path, text)?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        RegistryCommand::Whois { queries } => {
            let index = store.asset_index().await?;
            let mut answers = Vec::new();
            let mut all_found = true;
            for q in &queries {
                let m = index.lookup(q);
                let org = match &m {
                    Some(m) => Some(store.organisation(m.organisation).await?),
                    None => {
                        all_found = false;
                        None
                    }
                };
                answers.push(serde_json::json!({
                    "query": q,
                    "matched": m.as_ref().map(|m| m.matched.clone()),
                    "organisation": org,
                }));
            }
            output::emit(g.json, &answers, || {
                answers
                    .iter()
                    .map(|a| match a["organisation"].as_object() {
                        Some(o) => format!(
                            "{}  ->  {} ({} / {})  via {}",
                            a["query"].as_str().unwrap_or(""),
                            o["id"].as_str().unwrap_or(""),
                            o["name"]["en"].as_str().unwrap_or(""),
                            o["name"]["ja"].as_str().unwrap_or(""),
                            a["matched"].as_str().unwrap_or("")
                        ),
                        None => format!(
                            "{}  ->  no registered owner",
                            a["query"].as_str().unwrap_or("")
                        ),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(if all_found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(4)
            })
        }
        RegistryCommand::Sectors => {
            let sectors = store.sectors().await?;
            output::emit(g.json, &sectors, || {
                output::table(
                    &["id", "English", "日本語", "ministry", "sub-sectors"],
                    sectors
                        .iter()
                        .map(|s| {
                            vec![
                                s.id.clone(),
                                s.name.en.clone(),
                                s.name.ja.clone(),
                                s.ministry.clone().unwrap_or_default(),
                                s.subsectors
                                    .iter()
                                    .map(|x| x.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" "),
                            ]
                        })
                        .collect(),
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        RegistryCommand::Orgs { sector, kind } => {
            let kind = kind
                .map(|k| k.parse())
                .transpose()
                .map_err(|e: String| anyhow::anyhow!(e))?;
            let orgs = store.organisations(&OrgFilter { kind, sector }).await?;
            output::emit(g.json, &orgs, || {
                output::table(
                    &["id", "kind", "sector", "English", "日本語"],
                    orgs.iter()
                        .map(|o| {
                            vec![
                                o.id.clone(),
                                o.kind.to_string(),
                                o.sector.clone().unwrap_or_default(),
                                o.name.en.clone(),
                                o.name.ja.clone(),
                            ]
                        })
                        .collect(),
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
