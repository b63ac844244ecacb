//! `sakimori`: the one binary of the platform.

mod bench;
mod cmd;
mod config;
mod demo;
mod output;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  sakimori serve --demo                      # demo constituency, tokens printed
  sakimori serve --config /etc/sakimori.toml
  sakimori registry import constituency.yaml
  sakimori registry whois 198.51.100.7 mail.example.jp
  sakimori user add --username tanaka --org kanto-power --role operator
  sakimori token create --org nisc --role coordinator --json
  sakimori audit verify
  SAKIMORI_TOKEN=skm_... sakimori report submit --summary 'Ransom note on file server' --service-affected no
  SAKIMORI_TOKEN=skm_... sakimori advisory create --title 'VPN campaign' --body-file vpn.md \
      --tlp TLP:AMBER --category alert --sector electricity --sector gas
  SAKIMORI_TOKEN=skm_... sakimori intel add indicators.json --tlp TLP:GREEN
  sakimori intel pull --peer https://centre.example/taxii2/ --collection ID --peer-token skm_... --as sync-user
  SAKIMORI_TOKEN=skm_... sakimori drill run --kind provision --title 'FY2026 CEPTOAR drill' --all
Docs: README.md and docs/ (日本語: docs/ja/)";

/// Sakimori (防人): an open platform for national cyber defence.
#[derive(Parser)]
#[command(name = "sakimori", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Configuration file (TOML)
    #[arg(long, global = true, env = "SAKIMORI_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory of the embedded SQLite database
    #[arg(long, global = true, env = "SAKIMORI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://...), overrides the data directory
    #[arg(long, global = true, env = "SAKIMORI_DATABASE_URL")]
    database_url: Option<String>,
    /// Machine-readable JSON output
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Run the HTTP server (API, metrics)
    #[command(
        after_help = "Examples:\n  sakimori serve --demo\n  sakimori serve --listen 0.0.0.0:8080 --database-url postgres://sakimori@db/sakimori"
    )]
    Serve(cmd::serve::ServeArgs),
    /// Database administration
    #[command(subcommand)]
    Db(cmd::db::DbCommand),
    /// Check or show the configuration
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// The constituency registry: import, export, whois, list
    #[command(subcommand)]
    Registry(cmd::registry::RegistryCommand),
    /// Incident reports (情報連絡) through a running server: submit, update, ack, show, list, link, severity, stats
    Report(cmd::report::ReportArgs),
    /// Advisories (情報提供・注意喚起) through a running server: create, list, show, ack, relay, status
    Advisory(cmd::advisory::AdvisoryArgs),
    /// CEPTOAR drills (セプター訓練) through a running server: run, list, report, self-check
    Drill(cmd::drill::DrillArgs),
    /// Shared intelligence (STIX 2.1 / TAXII 2.1): add, search, export, correlate, relay; pull and push with peers
    Intel(cmd::intel::IntelArgs),
    /// Run sensor logs (Suricata EVE, Zeek, DNS query logs) through the triage pipeline in this process
    Ingest(cmd::sensor::IngestArgs),
    /// Sensors: run near the traffic and publish to NATS JetStream, consume at the centre, status
    #[command(subcommand)]
    Sensor(cmd::sensor::SensorCommand),
    /// Events requiring confirmation (確認を要するイベント) through a running server: list, show, confirm, dismiss, escalate
    Events(cmd::sensor::EventsArgs),
    /// Users: add, list, disable, set a password
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// API tokens: create, list, revoke
    #[command(subcommand)]
    Token(cmd::token::TokenCommand),
    /// The hash-chained audit log
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
    /// Print the OpenAPI 3.1 document of the REST API
    Openapi,
    /// Benchmarks (results go to docs/BENCHMARKS.md)
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        let g = cli.global;
        match cli.command {
            Command::Serve(a) => cmd::serve::run(&g, a).await,
            Command::Db(c) => cmd::db::run(&g, c).await,
            Command::Config(c) => cmd::config::run(&g, c).await,
            Command::Registry(c) => cmd::registry::run(&g, c).await,
            Command::User(c) => cmd::user::run(&g, c).await,
            Command::Report(a) => cmd::report::run(&g, a).await,
            Command::Advisory(a) => cmd::advisory::run(&g, a).await,
            Command::Drill(a) => cmd::drill::run(&g, a).await,
            Command::Intel(a) => cmd::intel::run(&g, a).await,
            Command::Token(c) => cmd::token::run(&g, c).await,
            Command::Ingest(a) => cmd::sensor::ingest(&g, a).await,
            Command::Sensor(c) => cmd::sensor::run(&g, c).await,
            Command::Events(a) => cmd::sensor::events(&g, a).await,
            Command::Audit(c) => cmd::audit::run(&g, c).await,
            Command::Bench(c) => bench::run(&g, c).await,
            Command::Openapi => {
                let doc = sakimori_server::openapi_document();
                println!("{}", serde_json::to_string_pretty(&doc)?);
                Ok(std::process::ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

impl Global {
    pub fn overrides(&self) -> config::Overrides {
        config::Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            listen: None,
        }
    }

    /// Open the configured store (migrating it).
    pub async fn store(&self) -> anyhow::Result<sakimori_store::Store> {
        let cfg = config::load(&self.overrides())?;
        open_store(&cfg).await
    }
}

pub async fn open_store(cfg: &config::Config) -> anyhow::Result<sakimori_store::Store> {
    let store = sakimori_store::Store::open(&cfg.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    store
        .ensure_reference(demo::REFERENCE)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the reference registry: {e}"))?;
    Ok(store)
}

/// The identity of administration from the command line, which works directly
/// on the database; the operating-system user is recorded in the audit log.
pub fn cli_actor() -> sakimori_core::Actor {
    let os_user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    sakimori_core::Actor {
        user_id: "cli".into(),
        username: format!("cli:{os_user}"),
        org: String::new(),
        roles: vec![sakimori_core::Role::Administrator],
    }
}
