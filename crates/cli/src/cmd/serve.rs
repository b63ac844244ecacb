use crate::{config, demo, open_store, Global};
use clap::Args;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "SAKIMORI_LISTEN")]
    listen: Option<SocketAddr>,
    /// Load the demo constituency and users, and print their tokens
    #[arg(long)]
    demo: bool,
}

pub async fn run(g: &Global, a: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut o = g.overrides();
    o.listen = a.listen;
    let cfg = config::load(&o)?;
    init_logging(&cfg);
    let store = Arc::new(open_store(&cfg).await?);
    store.ensure_collections().await?;
    let demo_users = if a.demo {
        Some(demo::install(&store).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, database = %redact(&cfg.database_url), "Sakimori listening");
    match demo_users {
        Some(users) if g.json => println!(
            "{}",
            serde_json::json!({"url": url, "password": demo::PASSWORD, "users": users})
        ),
        Some(users) => demo::print(&url, &users),
        None if g.json => println!("{}", serde_json::json!({"url": url})),
        None => println!("Sakimori is running at {url}"),
    }
    let settings = settings(&cfg)?;
    let notifier = sakimori_notify::Notifier::new(store.clone(), cfg.notify.clone())
        .map_err(|e| anyhow::anyhow!(e))?;
    tokio::spawn(notifier.run(std::time::Duration::from_secs(1)));
    tokio::spawn(remind(
        store.clone(),
        settings.remind_after,
        settings.escalate_after,
    ));
    if let Some(nats) = cfg.sensor_nats.clone() {
        tokio::spawn(consume_sensors(
            store.clone(),
            centre_config(&settings),
            nats,
        ));
    }
    let state = sakimori_server::AppState::with_settings(store, settings);
    sakimori_server::serve(listener, state, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The pipeline's settings from the configuration.
pub(crate) fn centre_config(
    settings: &sakimori_server::Settings,
) -> sakimori_pipeline::CentreConfig {
    let mut c = settings.pipeline.clone();
    c.warninglists = settings.warninglists.clone();
    c
}

/// The centre's end of the sensors' stream, for as long as the server runs;
/// retried every 5 s while NATS or the stream is unavailable.
async fn consume_sensors(
    store: Arc<sakimori_store::Store>,
    config: sakimori_pipeline::CentreConfig,
    nats: sakimori_pipeline::NatsConfig,
) {
    let centre = loop {
        match sakimori_pipeline::Centre::new(store.clone(), config.clone()).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::error!(error = %e, "sensor pipeline cannot start; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    };
    loop {
        let opts = sakimori_pipeline::ConsumeOptions::default();
        match sakimori_pipeline::consume(&centre, &nats, &opts, std::future::pending()).await {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, url = %nats.url, "sensor stream: retrying in 5 s")
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

fn init_logging(cfg: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// The report settings from configuration: routing rules (shipped default or a
/// file), severity thresholds, attachment limit.
pub(crate) fn settings(cfg: &config::Config) -> anyhow::Result<sakimori_server::Settings> {
    let mut s = sakimori_server::Settings::default();
    if let Some(path) = &cfg.routing_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reports.routing {}: {e}", path.display()))?;
        let rules: sakimori_core::routing::RoutingRules = serde_norway::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        rules
            .check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        s.routing = rules;
    }
    s.severity = cfg.severity.clone();
    s.attachment_max_bytes = cfg.attachment_max_bytes;
    s.relay = cfg.relay;
    s.remind_after = chrono::Duration::minutes(cfg.remind_after_minutes as i64);
    s.escalate_after = chrono::Duration::minutes(cfg.escalate_after_minutes as i64);
    s.public_feed = cfg.public_feed;
    if let Some(dir) = &cfg.warninglists_dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("intel.warninglists_dir {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x == "txt") {
                let text = std::fs::read_to_string(&path)?;
                let name = path.file_stem().unwrap_or_default().to_string_lossy();
                let list = sakimori_core::warninglist::Warninglist::parse(&name, &text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                s.warninglists.add(list);
            }
        }
    }
    s.pipeline = sakimori_pipeline::CentreConfig {
        window: chrono::Duration::seconds(cfg.sensor_window_secs),
        drop_failed: cfg.sensor_drop_failed,
        warninglists: s.warninglists.clone(),
    };
    Ok(s)
}

/// Every minute: remind, then escalate, unacknowledged advisories.
async fn remind(
    store: Arc<sakimori_store::Store>,
    remind_after: chrono::Duration,
    escalate_after: chrono::Duration,
) {
    loop {
        match store.advisory_reminders(remind_after, escalate_after).await {
            Ok((0, 0)) => {}
            Ok((r, e)) => tracing::info!(reminded = r, escalated = e, "advisory reminders queued"),
            Err(e) => tracing::error!(error = %e, "advisory reminders failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}
