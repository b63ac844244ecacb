//! The notifier: sends what the outbox holds, records every attempt, retries.
//!
//! E-mail goes to an SMTP relay (`smtp://host:port`, plain SMTP as a local relay
//! such as Postfix speaks it). Webhooks are POSTed as JSON with the header
//! `X-Sakimori-Signature: sha256=<hex HMAC-SHA256 of the body with the org's secret>`
//! and `X-Sakimori-Event`.

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sakimori_store::{OutboxItem, Store};
use serde::Deserialize;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// Where notifications go.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// The SMTP relay, `smtp://host:port`; without it e-mails are recorded as not sent.
    pub smtp_url: Option<String>,
    /// The sender address of e-mails.
    #[serde(default = "default_from")]
    pub from: String,
    /// The console's public URL, for links in messages.
    pub base_url: Option<String>,
}

fn default_from() -> String {
    "sakimori@localhost".into()
}

/// Sign a webhook body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a send failed: worth retrying, or a permanent refusal of the address.
#[derive(Debug)]
enum Failure {
    Temporary(String),
    Bounced(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Temporary(e)
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Temporary(e.to_owned())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Temporary(e) => f.write_str(e),
            Failure::Bounced(e) => write!(f, "bounced: {e}"),
        }
    }
}

pub struct Notifier {
    store: Arc<Store>,
    config: NotifyConfig,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    http: reqwest::Client,
}

impl Notifier {
    pub fn new(store: Arc<Store>, config: NotifyConfig) -> Result<Self, String> {
        let smtp = match &config.smtp_url {
            Some(url) => {
                let rest = url
                    .strip_prefix("smtp://")
                    .ok_or_else(|| format!("notify.smtp_url {url:?}: use smtp://host:port"))?;
                let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
                    Some((h, p)) => (
                        h.to_owned(),
                        p.parse()
                            .map_err(|_| format!("notify.smtp_url {url:?}: bad port"))?,
                    ),
                    None => (rest.trim_end_matches('/').to_owned(), 25),
                };
                Some(
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                        .port(port)
                        .timeout(Some(Duration::from_secs(10)))
                        .build(),
                )
            }
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Notifier {
            store,
            config,
            smtp,
            http,
        })
    }

    /// Send everything due now; returns how many items were attempted.
    pub async fn run_once(&self) -> Result<usize, sakimori_store::StoreError> {
        let due = self.store.due_notifications(100).await?;
        for item in &due {
            if item.channel == "email" && self.smtp.is_none() {
                self.store
                    .record_skipped(
                        &item.id,
                        "not sent: no SMTP relay configured (notify.smtp_url)",
                    )
                    .await?;
                continue;
            }
            let result = self.send(item).await;
            if let Err(Failure::Bounced(e)) = &result {
                // A permanent refusal: mark the contact, do not retry.
                self.store.mark_bounced(&item.target).await?;
                self.store
                    .record_skipped(&item.id, &format!("bounced: {e}"))
                    .await?;
                tracing::warn!(target = %item.target, error = %e, "e-mail bounced; contact marked");
                continue;
            }
            let result = result.map_err(|f| f.to_string());
            if let Err(e) = &result {
                tracing::warn!(id = %item.id, channel = %item.channel, target = %item.target, error = %e, "notification failed");
            }
            // Back-off: 30 s, 1 min, 2 min, ... up to an hour.
            let retry = chrono::Duration::seconds((30i64 << item.attempts.min(7)).min(3600));
            self.store.record_attempt(&item.id, result, retry).await?;
        }
        Ok(due.len())
    }

    /// Run until the process ends, polling every `interval`.
    pub async fn run(self, interval: Duration) {
        loop {
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, "notifier: storage failure");
            }
            tokio::time::sleep(interval).await;
        }
    }

    async fn send(&self, item: &OutboxItem) -> Result<(), Failure> {
        match item.channel.as_str() {
            "email" => self.send_email(item).await,
            "webhook" => self.send_webhook(item).await.map_err(Failure::Temporary),
            other => Err(Failure::Temporary(format!("unknown channel {other:?}"))),
        }
    }

    async fn send_email(&self, item: &OutboxItem) -> Result<(), Failure> {
        let smtp = self
            .smtp
            .as_ref()
            .ok_or("no SMTP relay configured (notify.smtp_url)")?;
        let payload: serde_json::Value = serde_json::from_str(&item.payload).unwrap_or_default();
        let mut body = format!("Sakimori notification: {}\n\n", item.subject);
        if let Some(obj) = payload.as_object() {
            for (k, v) in obj {
                body.push_str(&format!(
                    "{k}: {}\n",
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                ));
            }
        }
        if let (Some(base), Some(id)) = (
            &self.config.base_url,
            payload.get("report_id").and_then(|v| v.as_str()),
        ) {
            body.push_str(&format!("\n{base}/reports/{id}\n"));
        }
        let message = Message::builder()
            .from(
                self.config
                    .from
                    .parse()
                    .map_err(|e| format!("notify.from: {e}"))?,
            )
            .to(item
                .target
                .parse()
                .map_err(|e| format!("recipient {:?}: {e}", item.target))?)
            .subject(format!("[Sakimori] {}", item.subject))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| Failure::Temporary(e.to_string()))?;
        smtp.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                Failure::Bounced(e.to_string())
            } else {
                Failure::Temporary(e.to_string())
            }
        })
    }

    async fn send_webhook(&self, item: &OutboxItem) -> Result<(), String> {
        let (url, secret) = self
            .store
            .webhook(&item.target)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("organisation {:?} has no webhook any more", item.target))?;
        let body = item.payload.clone().into_bytes();
        let event = serde_json::from_str::<serde_json::Value>(&item.payload)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let resp = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-sakimori-signature", signature(&secret, &body))
            .header("x-sakimori-event", event)
            .header("x-sakimori-delivery", &item.id)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", resp.status()))
        }
    }
}
