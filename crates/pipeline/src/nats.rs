//! NATS JetStream between remote sensors and the centre.
//!
//! A sensor seals batches ([`WireBatch`]) and hands them to a [`Publisher`],
//! which writes each to a spool directory first (fsync), then publishes the
//! spool oldest first with the batch id as `Nats-Msg-Id` and deletes a file
//! only once JetStream acknowledged it. A sensor that cannot reach NATS keeps
//! its batches on disk and sends them when it can: nothing read is lost.
//!
//! The centre [`consume`]s with a durable pull consumer and explicit
//! acknowledgement: a batch is acknowledged after its transaction committed.
//! A crash between the two redelivers the batch, and the store, which keeps
//! every processed batch id, changes nothing the second time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, message::AckKind, stream};
use futures_util::StreamExt;
use serde::Serialize;

use crate::centre::Centre;
use crate::source::WireBatch;

/// Records per batch sent over NATS: a batch must fit NATS's default 1 MiB
/// message limit.
pub const NATS_BATCH: usize = 1_000;

/// Where and how the pipeline talks to NATS.
#[derive(Debug, Clone, Serialize)]
pub struct NatsConfig {
    /// Server URL, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// JetStream stream name.
    pub stream: String,
    /// Subject the sensors publish to.
    pub subject: String,
    /// Durable consumer name of the centre.
    pub durable: String,
    /// How long JetStream waits for an acknowledgement before redelivering.
    pub ack_wait: Duration,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            stream: "SAKIMORI_OBSERVATIONS".into(),
            subject: "sakimori.observations".into(),
            durable: "sakimori-centre".into(),
            ack_wait: Duration::from_secs(30),
        }
    }
}

/// Errors of the NATS end.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("NATS at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error("spool {path}: {source}")]
    Spool {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] sakimori_store::StoreError),
}

fn js_err(e: impl std::fmt::Display) -> NatsError {
    NatsError::JetStream(e.to_string())
}

async fn connect(cfg: &NatsConfig) -> Result<jetstream::Context, NatsError> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .name("sakimori")
        .connect(&cfg.url)
        .await
        .map_err(|e| NatsError::Connect {
            url: cfg.url.clone(),
            message: e.to_string(),
        })?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![cfg.subject.clone()],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(600),
        max_age: Duration::from_secs(14 * 24 * 3600),
        ..Default::default()
    })
    .await
    .map_err(js_err)?;
    Ok(js)
}

/// What a [`Publisher`] did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PublishStats {
    /// Batches published and acknowledged by JetStream.
    pub sent: u64,
    /// Of those, batches JetStream already had (same id within its window).
    pub duplicates: u64,
    /// Batches still waiting in the spool.
    pub spooled: u64,
}

/// The sensor's end: spool on disk, then JetStream.
pub struct Publisher {
    cfg: NatsConfig,
    spool: PathBuf,
    js: Option<jetstream::Context>,
    stats: PublishStats,
    /// The last connection error, for the operator.
    pub last_error: Option<String>,
}

impl Publisher {
    /// A publisher spooling in `spool` (created if missing). Does not connect yet.
    pub fn new(cfg: NatsConfig, spool: &Path) -> Result<Self, NatsError> {
        std::fs::create_dir_all(spool).map_err(|source| NatsError::Spool {
            path: spool.to_owned(),
            source,
        })?;
        let mut p = Self {
            cfg,
            spool: spool.to_owned(),
            js: None,
            stats: PublishStats::default(),
            last_error: None,
        };
        p.stats.spooled = p.pending()?.len() as u64;
        Ok(p)
    }

    /// What was done so far.
    pub fn stats(&self) -> PublishStats {
        self.stats
    }

    fn pending(&self) -> Result<Vec<PathBuf>, NatsError> {
        let err = |source| NatsError::Spool {
            path: self.spool.clone(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.spool)
            .map_err(err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "batch"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Writes the batch to the spool (durably), then tries to send the spool.
    pub async fn publish(&mut self, batch: &WireBatch) -> Result<(), NatsError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = self
            .spool
            .join(format!("{nanos:024}-{}.batch", &batch.id[..16]));
        let tmp = path.with_extension("tmp");
        let body = serde_json::to_vec(batch).expect("batch serialises");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            Ok(())
        };
        write().map_err(|source| NatsError::Spool {
            path: path.clone(),
            source,
        })?;
        self.stats.spooled += 1;
        self.flush().await.map(|_| ())
    }

    /// Sends what the spool holds, oldest first; stops at the first failure
    /// and keeps the rest. Returns how many were sent.
    pub async fn flush(&mut self) -> Result<u64, NatsError> {
        let files = self.pending()?;
        if files.is_empty() {
            return Ok(0);
        }
        if self.js.is_none() {
            match connect(&self.cfg).await {
                Ok(js) => self.js = Some(js),
                Err(e) => {
                    self.last_error = Some(e.to_string());
                    return Ok(0);
                }
            }
        }
        let js = self.js.clone().expect("connected");
        let mut sent = 0;
        for f in files {
            let body = std::fs::read(&f).map_err(|source| NatsError::Spool {
                path: f.clone(),
                source,
            })?;
            let id = match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) => v["id"].as_str().unwrap_or_default().to_owned(),
                Err(_) => String::new(),
            };
            let msg = jetstream::message::PublishMessage::build()
                .payload(body.into())
                .message_id(&id);
            let ack = match js.send_publish(self.cfg.subject.clone(), msg).await {
                Ok(fut) => fut.await,
                Err(e) => Err(async_nats::jetstream::context::PublishError::with_source(
                    async_nats::jetstream::context::PublishErrorKind::Other,
                    e,
                )),
            };
            match ack {
                Ok(a) => {
                    if a.duplicate {
                        self.stats.duplicates += 1;
                    }
                    let _ = std::fs::remove_file(&f);
                    self.stats.sent += 1;
                    self.stats.spooled = self.stats.spooled.saturating_sub(1);
                    sent += 1;
                }
                Err(e) => {
                    self.last_error = Some(e.to_string());
                    // Reconnect next time: the client may be gone for good.
                    self.js = None;
                    break;
                }
            }
        }
        Ok(sent)
    }
}

/// How a consumer runs.
#[derive(Debug, Clone, Default)]
pub struct ConsumeOptions {
    /// Return after this long without a message (`None`: run until stopped).
    pub idle_exit: Option<Duration>,
    /// Testing crashes: after committing this many batches, return without
    /// acknowledging the last one, as a process killed between commit and
    /// acknowledgement would.
    pub crash_after: Option<u64>,
}

/// What a consumer did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ConsumeStats {
    /// Batches processed and acknowledged.
    pub batches: u64,
    /// Batches recognised as already processed (redeliveries).
    pub duplicates: u64,
    /// Messages that were not batches (terminated, never redelivered).
    pub rejected: u64,
    /// New events created.
    pub new_events: u64,
    /// Events that grew.
    pub updated_events: u64,
    /// Observations processed.
    pub observations: u64,
}

/// Consumes the stream durably into the centre until `stop` resolves (or the
/// idle time in `opts` passes).
pub async fn consume(
    centre: &Centre,
    cfg: &NatsConfig,
    opts: &ConsumeOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<ConsumeStats, NatsError> {
    let js = connect(cfg).await?;
    let stream = js.get_stream(&cfg.stream).await.map_err(js_err)?;
    let consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(
            &cfg.durable,
            pull::Config {
                durable_name: Some(cfg.durable.clone()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: cfg.ack_wait,
                ..Default::default()
            },
        )
        .await
        .map_err(js_err)?;
    let mut stats = ConsumeStats::default();
    let mut idle = Duration::ZERO;
    tokio::pin!(stop);
    loop {
        let fetch = consumer
            .fetch()
            .max_messages(16)
            .expires(Duration::from_millis(500))
            .messages();
        let mut messages = tokio::select! {
            _ = &mut stop => return Ok(stats),
            m = fetch => m.map_err(js_err)?,
        };
        let mut got = false;
        while let Some(m) = messages.next().await {
            let m = m.map_err(js_err)?;
            got = true;
            let batch: WireBatch = match serde_json::from_slice(&m.payload) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(subject = %m.subject, error = %e, "not an observation batch; dropped");
                    stats.rejected += 1;
                    m.ack_with(AckKind::Term).await.map_err(js_err)?;
                    continue;
                }
            };
            match centre.process(&batch).await {
                Ok(out) => {
                    if out.duplicate {
                        stats.duplicates += 1;
                    } else {
                        stats.batches += 1;
                        stats.observations += batch.observations.len() as u64;
                        stats.new_events += out.new_events;
                        stats.updated_events += out.updated_events;
                    }
                    if opts.crash_after.is_some_and(|n| stats.batches >= n) {
                        return Ok(stats);
                    }
                    m.double_ack().await.map_err(js_err)?;
                }
                Err(e) => {
                    tracing::error!(batch = %batch.id, error = %e, "batch not processed; will be redelivered");
                    m.ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                        .await
                        .map_err(js_err)?;
                }
            }
        }
        if got {
            idle = Duration::ZERO;
        } else {
            idle += Duration::from_millis(500);
            if opts.idle_exit.is_some_and(|d| idle >= d) {
                return Ok(stats);
            }
        }
    }
}
