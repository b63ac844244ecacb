//! `sakimori ingest`, `sakimori sensor ...` and `sakimori events ...`: the
//! GSOC triage pipeline from the command line.
//!
//! `ingest` runs the pipeline in this process against the configured
//! database. `sensor run` runs near the traffic and publishes to NATS
//! JetStream (spooling on disk while NATS is unreachable); `sensor consume`
//! is the centre's end. `events` goes through the API of a running server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use reqwest::Method as M;
use sakimori_pipeline::{
    consume, read_batches, Centre, CentreConfig, ConsumeOptions, Format, NatsConfig, Publisher,
    Totals, WireBatch,
};
use sakimori_sensor::Sensor;
use serde::Deserialize;
use serde_json::{json, Value};

use super::intel::urlencode;

const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";
use super::report::{Api, Client};
use crate::{output, Global};

/// Where the records come from and who saw them.
#[derive(Args, Clone)]
pub struct SourceArgs {
    /// Log files (`-` for standard input)
    files: Vec<PathBuf>,
    /// eve, zeek or dns (bind/unbound); default: guessed from the first line
    #[arg(long)]
    format: Option<String>,
    /// Collect NetFlow v5/v9/IPFIX on this UDP address (e.g. 0.0.0.0:2055)
    #[arg(long, value_name = "ADDR")]
    netflow_listen: Option<SocketAddr>,
    /// Read newline-delimited records in --format (default eve) on this TCP address
    #[arg(long, value_name = "ADDR")]
    tcp_listen: Option<SocketAddr>,
    /// With listeners: stop after this many seconds without a record (default: run until Ctrl-C)
    #[arg(long, value_name = "SECS")]
    until_idle: Option<u64>,
    /// The sensor's id
    #[arg(long)]
    sensor: Option<String>,
    /// The site the sensor watches
    #[arg(long)]
    site: Option<String>,
    /// Records per batch
    #[arg(long)]
    batch: Option<usize>,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  sakimori ingest /var/log/suricata/eve.json --sensor gsoc1-tap-03 --site kasumigaseki\n  sakimori ingest conn.log dns.log --format zeek --sensor zeek-1 --site osaka\n  zcat eve.json.gz | sakimori ingest - --format eve --json\n  sakimori ingest --netflow-listen 0.0.0.0:2055 --sensor border-1 --site kasumigaseki"
)]
pub struct IngestArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Bundling window in seconds: attempts at most this far apart are one event
    /// (default: `[sensor] window_secs`, else 3600)
    #[arg(long)]
    window: Option<i64>,
}

#[derive(Subcommand)]
pub enum SensorCommand {
    /// Run near the traffic: read logs and publish them to NATS JetStream (spooled on disk while NATS is unreachable)
    #[command(
        after_help = "Examples:\n  sakimori sensor run --config /etc/sakimori/sensor.toml\n  sakimori sensor run eve.json --sensor gsoc1-tap-03 --site kasumigaseki --nats nats://centre:4222 --spool /var/spool/sakimori\n  tail -F eve.json | sakimori sensor run - --format eve --sensor tap-1 --site dc1\n\nConfiguration file (TOML):\n  id = \"gsoc1-tap-03\"\n  site = \"kasumigaseki\"\n  nats_url = \"nats://centre:4222\"\n  spool_dir = \"/var/spool/sakimori\"\n  [[source]]\n  path = \"/var/log/suricata/eve.json\"\n  format = \"eve\""
    )]
    Run(Box<RunArgs>),
    /// The centre's end: consume the JetStream stream durably into the events
    #[command(
        after_help = "Examples:\n  sakimori sensor consume --nats nats://127.0.0.1:4222\n  sakimori sensor consume --until-idle 10 --json"
    )]
    Consume(ConsumeArgs),
    /// Records, noise and matches per sensor, and the indicators in use
    Status,
}

#[derive(Args)]
pub struct NatsArgs {
    /// NATS server
    #[arg(
        long,
        env = "SAKIMORI_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    nats: String,
    /// JetStream stream
    #[arg(long, default_value = "SAKIMORI_OBSERVATIONS")]
    stream: String,
    /// Subject the sensors publish to
    #[arg(long, default_value = "sakimori.observations")]
    subject: String,
}

impl NatsArgs {
    fn config(&self) -> NatsConfig {
        NatsConfig {
            url: self.nats.clone(),
            stream: self.stream.clone(),
            subject: self.subject.clone(),
            ..Default::default()
        }
    }
}

#[derive(Args)]
pub struct RunArgs {
    /// Sensor configuration (TOML); flags override it
    #[arg(long = "sensor-config")]
    sensor_config: Option<PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    nats: NatsArgs,
    /// Spool directory for batches not yet acknowledged by NATS
    #[arg(long)]
    spool: Option<PathBuf>,
    /// How long to keep trying to send the spool at the end, in seconds
    #[arg(long, default_value_t = 30)]
    drain_timeout: u64,
}

#[derive(Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    nats: NatsArgs,
    /// Durable consumer name
    #[arg(long, default_value = "sakimori-centre")]
    durable: String,
    /// Stop after this many seconds without a batch
    #[arg(long)]
    until_idle: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SensorFile {
    id: Option<String>,
    site: Option<String>,
    nats_url: Option<String>,
    spool_dir: Option<PathBuf>,
    netflow_listen: Option<SocketAddr>,
    tcp_listen: Option<SocketAddr>,
    tcp_format: Option<String>,
    #[serde(default)]
    source: Vec<SourceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    path: PathBuf,
    format: Option<String>,
}

#[derive(Args)]
pub struct EventsArgs {
    #[command(flatten)]
    client: Client,
    #[command(subcommand)]
    command: EventsCommand,
}

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Events requiring confirmation, newest activity first
    #[command(
        after_help = "Examples:\n  sakimori events list\n  sakimori events list --state open --org kanto-power --json"
    )]
    List {
        /// open, confirmed, dismissed or escalated
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One event with its evidence
    Show { id: String },
    /// Confirm: notify the owning organisation at the TLP you choose, and record sightings
    #[command(
        after_help = "Examples:\n  sakimori events confirm 12 --tlp amber --note \"VPN exploitation from a known C2\""
    )]
    Confirm {
        id: String,
        /// clear, green, amber or amber+strict
        #[arg(long, default_value = "amber")]
        tlp: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Dismiss as noise; --suppress silences the same source and technique from now on
    #[command(
        after_help = "Examples:\n  sakimori events dismiss 13 --note \"our own scanner\" --suppress"
    )]
    Dismiss {
        id: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        suppress: bool,
    },
    /// Escalate to an incident report
    Escalate {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
}

/// Opens a file or stdin, and the format (given, or guessed from the first line).
fn open(
    path: &Path,
    format: Option<&str>,
) -> anyhow::Result<(Box<dyn BufRead + Send>, Format, String)> {
    let label = path.display().to_string();
    let mut input: Box<dyn BufRead + Send> = if label == "-" {
        Box::new(BufReader::with_capacity(1 << 20, std::io::stdin()))
    } else {
        let f =
            std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot read {label}: {e}"))?;
        Box::new(BufReader::with_capacity(1 << 20, f))
    };
    let format = match format {
        Some(f) => Format::parse(f)
            .ok_or_else(|| anyhow::anyhow!("--format {f:?}: expected eve, zeek or dns"))?,
        None => {
            let head = input.fill_buf()?;
            let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
            Format::sniff(&String::from_utf8_lossy(first))
        }
    };
    Ok((input, format, label))
}

/// Prints malformed records: the first 20 in full, then a count.
struct ErrorReport {
    shown: usize,
}

impl ErrorReport {
    fn report(&mut self, e: &sakimori_sensor::ParseError) {
        self.shown += 1;
        if self.shown <= 20 {
            eprintln!("malformed: {e}");
        } else if self.shown == 21 {
            eprintln!("malformed: … (more not shown; see the totals)");
        }
    }
}

/// Progress on a terminal: a line rewritten in place.
struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        Self {
            on: std::io::stderr().is_terminal(),
            start: Instant::now(),
            last: Instant::now(),
        }
    }

    fn tick(&mut self, records: u64) {
        if self.on && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            let secs = self.start.elapsed().as_secs_f64().max(1e-3);
            eprint!("\r{records} records, {:.0}/s   ", records as f64 / secs);
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

/// Where batches go: the centre in this process, or JetStream.
enum Sink {
    Centre {
        centre: Box<Centre>,
        new_events: u64,
        updated: u64,
        duplicates: u64,
    },
    Nats(Box<Publisher>),
}

impl Sink {
    async fn send(&mut self, b: &WireBatch) -> anyhow::Result<()> {
        match self {
            Sink::Centre {
                centre,
                new_events,
                updated,
                duplicates,
            } => {
                let out = centre.process(b).await?;
                *new_events += out.new_events;
                *updated += out.updated_events;
                *duplicates += out.duplicate as u64;
            }
            Sink::Nats(p) => p.publish(b).await?,
        }
        Ok(())
    }
}

/// Every input of one run.
struct Inputs {
    files: Vec<(PathBuf, Option<String>)>,
    netflow: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    tcp_format: Format,
    until_idle: Option<Duration>,
    batch: usize,
}

/// Reads files, then listens (if asked), sending every batch to `sink`.
async fn drive(inputs: Inputs, sensor: Arc<Sensor>, sink: &mut Sink) -> anyhow::Result<Totals> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<WireBatch>(4);
    let mut readers = Vec::new();
    for (path, format) in inputs.files {
        let (input, format, label) = open(&path, format.as_deref())?;
        let (tx, sensor, batch) = (tx.clone(), sensor.clone(), inputs.batch);
        readers.push(tokio::task::spawn_blocking(move || {
            let mut errs = ErrorReport { shown: 0 };
            read_batches(
                input,
                &label,
                format,
                sensor,
                batch,
                &mut |e| errs.report(e),
                &mut |b| {
                    tx.blocking_send(b)
                        .map_err(|_| std::io::Error::other("the pipeline stopped"))
                },
            )
        }));
    }
    let flush = Duration::from_secs(1);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut listening = false;
    if let Some(addr) = inputs.netflow {
        let (socket, bound) = sakimori_pipeline::listen::bind_netflow(addr)
            .await
            .map_err(|e| anyhow::anyhow!("--netflow-listen {addr}: {e}"))?;
        eprintln!("collecting NetFlow/IPFIX on udp://{bound}");
        tokio::spawn(sakimori_pipeline::listen::netflow(
            socket,
            sensor.clone(),
            inputs.batch,
            flush,
            tx.clone(),
            stopped.clone(),
        ));
        listening = true;
    }
    if let Some(addr) = inputs.tcp {
        let (l, bound) = sakimori_pipeline::listen::bind_lines(addr)
            .await
            .map_err(|e| anyhow::anyhow!("--tcp-listen {addr}: {e}"))?;
        eprintln!("reading {:?} lines on tcp://{bound}", inputs.tcp_format);
        tokio::spawn(sakimori_pipeline::listen::lines(
            l,
            inputs.tcp_format,
            sensor.clone(),
            inputs.batch,
            flush,
            tx.clone(),
            stopped.clone(),
        ));
        listening = true;
    }
    drop(tx);
    let mut progress = Progress::new();
    let mut totals = Totals::default();
    let mut records = 0;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut stopping = false;
    loop {
        let idle = async {
            match (listening, inputs.until_idle) {
                (true, Some(d)) => tokio::time::sleep(d).await,
                _ => std::future::pending().await,
            }
        };
        let b = if stopping {
            // Listeners seal what they hold and return; wait for it.
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap_or(None)
        } else {
            tokio::select! {
                b = rx.recv() => b,
                // Files alone stop at once; listeners first seal what they hold.
                _ = &mut ctrl_c => {
                    if !listening {
                        break;
                    }
                    stopping = true;
                    let _ = stop.send(true);
                    continue;
                }
                _ = idle => {
                    stopping = true;
                    let _ = stop.send(true);
                    continue;
                }
            }
        };
        let Some(b) = b else { break };
        // Counted per batch, whatever its source; readers add only what
        // batches do not carry (records skipped).
        records += b.records;
        totals.ok += b.observations.len() as u64;
        totals.malformed += b.malformed;
        totals.batches += 1;
        sink.send(&b).await?;
        progress.tick(records);
    }
    progress.done();
    for r in readers {
        if let Ok(t) = r.await? {
            totals.skipped += t.skipped;
        }
    }
    Ok(totals)
}

/// The inputs of a run: `files` with their formats, and the listeners.
fn inputs_of(
    a: &SourceArgs,
    files: Vec<(PathBuf, Option<String>)>,
    batch: usize,
) -> anyhow::Result<Inputs> {
    if files.is_empty() && a.netflow_listen.is_none() && a.tcp_listen.is_none() {
        anyhow::bail!("nothing to read: give log files, --netflow-listen or --tcp-listen");
    }
    let tcp_format = match &a.format {
        Some(f) => Format::parse(f)
            .ok_or_else(|| anyhow::anyhow!("--format {f:?}: expected eve, zeek or dns"))?,
        None => Format::Eve,
    };
    Ok(Inputs {
        files,
        netflow: a.netflow_listen,
        tcp: a.tcp_listen,
        tcp_format,
        until_idle: a.until_idle.map(Duration::from_secs),
        batch: a.batch.unwrap_or(batch),
    })
}

fn files_of(a: &SourceArgs) -> Vec<(PathBuf, Option<String>)> {
    a.files
        .iter()
        .map(|f| (f.clone(), a.format.clone()))
        .collect()
}

/// The store and the pipeline's settings from the configuration.
async fn centre_setup(g: &Global) -> anyhow::Result<(Arc<sakimori_store::Store>, CentreConfig)> {
    let cfg = crate::config::load(&g.overrides())?;
    let settings = super::serve::settings(&cfg)?;
    let store = Arc::new(crate::open_store(&cfg).await?);
    Ok((store, super::serve::centre_config(&settings)))
}

pub async fn ingest(g: &Global, a: IngestArgs) -> anyhow::Result<ExitCode> {
    let inputs = inputs_of(
        &a.source,
        files_of(&a.source),
        sakimori_pipeline::DEFAULT_BATCH,
    )?;
    let (store, mut config) = centre_setup(g).await?;
    if let Some(w) = a.window {
        config.window = chrono::Duration::seconds(w.max(1));
    }
    let sensor = Sensor::new(
        a.source.sensor.clone().unwrap_or_else(|| "local".into()),
        a.source.site.clone().unwrap_or_else(|| "local".into()),
    );
    let mut sink = Sink::Centre {
        centre: Box::new(Centre::new(store, config).await?),
        new_events: 0,
        updated: 0,
        duplicates: 0,
    };
    let totals = drive(inputs, sensor, &mut sink).await?;
    let Sink::Centre {
        centre,
        new_events,
        updated,
        duplicates,
    } = sink
    else {
        unreachable!("in-process sink")
    };
    let indicators = centre.indicators().await;
    let summary = json!({
        "observations": totals.ok, "malformed": totals.malformed, "skipped": totals.skipped,
        "batches": totals.batches, "duplicate_batches": duplicates,
        "new_events": new_events, "updated_events": updated,
        "indicators": indicators,
    });
    output::emit(g.json, &summary, || {
        format!(
            "{} observations ({} malformed, {} skipped) in {} batches{}; {} new events, {} updated; {} indicators in use",
            totals.ok,
            totals.malformed,
            totals.skipped,
            totals.batches,
            if duplicates > 0 { format!(" ({duplicates} already ingested, unchanged)") } else { String::new() },
            new_events,
            updated,
            indicators.active
        )
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn run(g: &Global, c: SensorCommand) -> anyhow::Result<ExitCode> {
    match c {
        SensorCommand::Run(a) => sensor_run(g, *a).await,
        SensorCommand::Consume(a) => sensor_consume(g, a).await,
        SensorCommand::Status => {
            let store = Arc::new(g.store().await?);
            let centre = Centre::new(store.clone(), CentreConfig::default()).await?;
            let indicators = centre.refresh().await?;
            let sensors = store.sensor_status(&sakimori_core::Actor::system()).await?;
            let v = json!({"sensors": sensors, "indicators": indicators});
            output::emit(g.json, &v, || {
                let rows = sensors
                    .iter()
                    .map(|s| {
                        vec![
                            s.sensor.clone(),
                            s.site.clone(),
                            s.records.to_string(),
                            s.malformed.to_string(),
                            s.noise.to_string(),
                            s.matched.to_string(),
                            s.candidates.to_string(),
                            s.last_seen.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "{}\n{} indicators in use ({} not usable)",
                    output::table(
                        &[
                            "SENSOR",
                            "SITE",
                            "RECORDS",
                            "MALFORMED",
                            "NOISE",
                            "MATCHED",
                            "IN EVENTS",
                            "LAST BATCH"
                        ],
                        rows
                    ),
                    indicators.active,
                    indicators.unusable
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn sensor_run(g: &Global, a: RunArgs) -> anyhow::Result<ExitCode> {
    let file: SensorFile = match &a.sensor_config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => SensorFile::default(),
    };
    let mut src = a.source.clone();
    src.netflow_listen = src.netflow_listen.or(file.netflow_listen);
    src.tcp_listen = src.tcp_listen.or(file.tcp_listen);
    if src.format.is_none() && src.files.is_empty() {
        src.format = file.tcp_format.clone();
    }
    let mut files = files_of(&src);
    if files.is_empty() {
        files = file
            .source
            .into_iter()
            .map(|s| (s.path, s.format.or(src.format.clone())))
            .collect();
    }
    let inputs = inputs_of(&src, files, sakimori_pipeline::nats::NATS_BATCH)?;
    let id = src
        .sensor
        .or(file.id)
        .ok_or_else(|| anyhow::anyhow!("give --sensor or `id` in the sensor configuration"))?;
    let site = src
        .site
        .or(file.site)
        .ok_or_else(|| anyhow::anyhow!("give --site or `site` in the sensor configuration"))?;
    let mut cfg = a.nats.config();
    if let Some(u) = file.nats_url {
        if std::env::var_os("SAKIMORI_NATS_URL").is_none() && a.nats.nats == DEFAULT_NATS {
            cfg.url = u;
        }
    }
    let spool = a
        .spool
        .or(file.spool_dir)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("sakimori-spool-{id}")));
    let sensor = Sensor::new(id, site);
    let mut sink = Sink::Nats(Box::new(Publisher::new(cfg, &spool)?));
    let totals = drive(inputs, sensor, &mut sink).await?;
    let Sink::Nats(mut publisher) = sink else {
        unreachable!("NATS sink")
    };
    let deadline = Instant::now() + Duration::from_secs(a.drain_timeout);
    while publisher.stats().spooled > 0 && Instant::now() < deadline {
        if publisher.flush().await? == 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let st = publisher.stats();
    let v = json!({"observations": totals.ok, "malformed": totals.malformed, "batches": totals.batches,
                   "sent": st.sent, "duplicates": st.duplicates, "spooled": st.spooled,
                   "spool": spool, "last_error": publisher.last_error});
    output::emit(g.json, &v, || {
        let mut s = format!(
            "{} observations ({} malformed) in {} batches; {} sent to JetStream",
            totals.ok, totals.malformed, totals.batches, st.sent
        );
        if st.spooled > 0 {
            s.push_str(&format!(
                "\n{} batches wait in {} (NATS: {}); they are sent first on the next run",
                st.spooled,
                spool.display(),
                publisher.last_error.as_deref().unwrap_or("unreachable")
            ));
        }
        s
    });
    // Buffered is not lost, but the operator must know it is not delivered yet.
    Ok(if st.spooled > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

async fn sensor_consume(g: &Global, a: ConsumeArgs) -> anyhow::Result<ExitCode> {
    let (store, config) = centre_setup(g).await?;
    let centre = Centre::new(store, config).await?;
    let mut cfg = a.nats.config();
    cfg.durable = a.durable;
    let opts = ConsumeOptions {
        idle_exit: a.until_idle.map(Duration::from_secs),
        crash_after: None,
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let st = consume(&centre, &cfg, &opts, stop).await?;
    output::emit(g.json, &st, || {
        format!(
            "{} batches ({} observations); {} redelivered and recognised; {} new events, {} updated",
            st.batches, st.observations, st.duplicates, st.new_events, st.updated_events
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn event_row(e: &Value) -> Vec<String> {
    let s = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
    vec![
        e["number"].to_string(),
        s("state"),
        s("technique"),
        s("source"),
        s("target_org"),
        e["count"].to_string(),
        s("first_seen"),
        s("last_seen"),
    ]
}

pub async fn events(g: &Global, a: EventsArgs) -> anyhow::Result<ExitCode> {
    let api = Api::new(&a.client)?;
    let headers = [
        "NO",
        "STATE",
        "TECHNIQUE",
        "SOURCE",
        "TARGET",
        "COUNT",
        "FIRST",
        "LAST",
    ];
    match a.command {
        EventsCommand::List { state, org, limit } => {
            let mut q: BTreeMap<&str, String> = BTreeMap::new();
            q.insert("limit", limit.to_string());
            if let Some(s) = state {
                q.insert("state", s);
            }
            if let Some(o) = org {
                q.insert("org", o);
            }
            let qs: Vec<String> = q
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            let v = api
                .json(
                    M::GET,
                    &format!("/api/v1/events?{}", qs.join("&")),
                    None,
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                let list = v
                    .as_array()
                    .cloned()
                    .or_else(|| v["events"].as_array().cloned())
                    .unwrap_or_default();
                output::table(&headers, list.iter().map(event_row).collect())
            });
        }
        EventsCommand::Show { id } => {
            let v = api
                .json(
                    M::GET,
                    &format!("/api/v1/events/{}", urlencode(&id)),
                    None,
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            });
        }
        EventsCommand::Confirm { id, tlp, note } => {
            let v = api
                .json(
                    M::POST,
                    &format!("/api/v1/events/{}/confirm", urlencode(&id)),
                    Some(json!({"tlp": tlp, "note": note})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                format!("event {id} confirmed; the owning organisation is notified")
            });
        }
        EventsCommand::Dismiss { id, note, suppress } => {
            let v = api
                .json(
                    M::POST,
                    &format!("/api/v1/events/{}/dismiss", urlencode(&id)),
                    Some(json!({"note": note, "suppress": suppress})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                format!(
                    "event {id} dismissed{}",
                    if suppress { " and suppressed" } else { "" }
                )
            });
        }
        EventsCommand::Escalate { id, note } => {
            let v = api
                .json(
                    M::POST,
                    &format!("/api/v1/events/{}/escalate", urlencode(&id)),
                    Some(json!({"note": note})),
                    &[],
                )
                .await?;
            output::emit(g.json, &v, || {
                format!("event {id} escalated to an incident report")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
