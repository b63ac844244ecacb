//! Configuration: a TOML file, then environment variables, then flags.
//!
//! ```toml
//! data_dir = "./sakimori-data"
//! [server]
//! listen = "127.0.0.1:8080"
//! [database]
//! url = "postgres://sakimori@db.example/sakimori"   # default: SQLite in data_dir
//! [log]
//! level = "info"      # error, warn, info, debug, trace
//! format = "text"     # text or json
//! ```

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<Spanned<String>>,
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub log: LogSection,
    #[serde(default)]
    pub reports: ReportsSection,
    /// Overrides of the severity thresholds (docs/severity.md).
    #[serde(default)]
    pub severity: Option<sakimori_core::severity::SeverityRules>,
    #[serde(default)]
    pub notify: Option<sakimori_notify::NotifyConfig>,
    #[serde(default)]
    pub advisories: AdvisoriesSection,
    #[serde(default)]
    pub intel: IntelSection,
    #[serde(default)]
    pub sensor: SensorSection,
}

/// `[sensor]`: the centre's triage pipeline.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSection {
    /// When set, `serve` consumes the sensors' JetStream stream from this NATS server.
    pub nats_url: Option<String>,
    /// JetStream stream (default SAKIMORI_OBSERVATIONS).
    pub stream: Option<String>,
    /// Subject the sensors publish to (default sakimori.observations).
    pub subject: Option<String>,
    /// Durable consumer name (default sakimori-centre); every centre process shares it.
    pub durable: Option<String>,
    /// Bundling window in seconds (default 3600).
    pub window_secs: Option<i64>,
    /// Drop attempts that visibly failed (default true).
    pub drop_failed: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntelSection {
    /// Serve TLP:CLEAR objects without a token at /api/v1/intel/public (default off).
    pub public_feed: Option<bool>,
    /// A directory of warninglist files (*.txt) that add to or replace the shipped ones.
    pub warninglists_dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoriesSection {
    /// Ministries relay at once (default) or after their review.
    pub ministry_auto: Option<bool>,
    /// CEPTOARs and ISACs relay at once (default) or after their review.
    pub hub_auto: Option<bool>,
    /// Remind unacknowledged recipients after this many minutes (default 240).
    pub remind_after_minutes: Option<u32>,
    /// Then escalate to deputy contacts after this many minutes (default 480).
    pub escalate_after_minutes: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsSection {
    /// A routing rules file replacing data/routing/default.yaml.
    pub routing: Option<Spanned<String>>,
    /// The largest attachment accepted, in bytes (default 10 MiB).
    pub attachment_max_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    pub url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub level: Option<Spanned<String>>,
    pub format: Option<Spanned<String>>,
}

/// The effective configuration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database_url: String,
    pub log_level: String,
    pub log_json: bool,
    pub routing_file: Option<PathBuf>,
    pub attachment_max_bytes: usize,
    pub severity: sakimori_core::severity::SeverityRules,
    pub notify: sakimori_notify::NotifyConfig,
    pub relay: sakimori_store::RelayPolicy,
    pub remind_after_minutes: u32,
    pub escalate_after_minutes: u32,
    pub public_feed: bool,
    pub warninglists_dir: Option<PathBuf>,
    /// The centre consumes this JetStream stream (from `[sensor]`).
    pub sensor_nats: Option<sakimori_pipeline::NatsConfig>,
    pub sensor_window_secs: i64,
    pub sensor_drop_failed: bool,
}

/// A configuration problem with its place.
#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parse and check a configuration file's text; every problem names its line.
pub fn parse_file(name: &str, text: &str) -> Result<FileConfig, Vec<ConfigError>> {
    let cfg: FileConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        vec![ConfigError {
            file: name.to_owned(),
            line,
            key: None,
            message: e.message().to_owned(),
        }]
    })?;
    let mut errors = Vec::new();
    let mut bad = |v: &Spanned<String>, key: &str, message: String| {
        errors.push(ConfigError {
            file: name.to_owned(),
            line: Some(line_of(text, v.span().start)),
            key: Some(key.to_owned()),
            message,
        })
    };
    if let Some(v) = &cfg.server.listen {
        if let Err(e) = v.get_ref().parse::<SocketAddr>() {
            bad(
                v,
                "server.listen",
                format!("{e}: expected an address like 127.0.0.1:8080"),
            );
        }
    }
    if let Some(v) = &cfg.database.url {
        let u = v.get_ref();
        if !(u.starts_with("sqlite:") || u.starts_with("postgres:") || u.starts_with("postgresql:"))
        {
            bad(
                v,
                "database.url",
                "expected sqlite://PATH or postgres://...".into(),
            );
        }
    }
    if let Some(v) = &cfg.log.level {
        if !["error", "warn", "info", "debug", "trace"].contains(&v.get_ref().as_str()) {
            bad(
                v,
                "log.level",
                "expected one of error, warn, info, debug, trace".into(),
            );
        }
    }
    if let Some(v) = &cfg.log.format {
        if !["text", "json"].contains(&v.get_ref().as_str()) {
            bad(v, "log.format", "expected text or json".into());
        }
    }
    if let Some(rules) = &cfg.severity {
        if let Err(problems) = rules.validate() {
            for p in problems {
                errors.push(ConfigError {
                    file: name.to_owned(),
                    line: None,
                    key: Some("severity".into()),
                    message: p,
                });
            }
        }
    }
    if let Some(v) = &cfg.reports.routing {
        if v.get_ref().trim().is_empty() {
            errors.push(ConfigError {
                file: name.to_owned(),
                line: Some(line_of(text, v.span().start)),
                key: Some("reports.routing".into()),
                message: "empty path".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors)
    }
}

/// Overrides from flags and environment (flags win; clap reads the env vars).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<SocketAddr>,
}

/// Resolve the effective configuration: file, then `SAKIMORI_*` environment, then flags.
pub fn load(o: &Overrides) -> anyhow::Result<Config> {
    let file = match &o.config {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read configuration {name}: {e}"))?;
            parse_file(&name, &text).map_err(|errs| {
                anyhow::anyhow!(errs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"))
            })?
        }
        None => FileConfig::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let data_dir = o
        .data_dir
        .clone()
        .or_else(|| file.data_dir.as_ref().map(|v| PathBuf::from(v.get_ref())))
        .unwrap_or_else(|| PathBuf::from("./sakimori-data"));
    let listen = match o.listen {
        Some(l) => l,
        None => env("SAKIMORI_LISTEN")
            .or_else(|| file.server.listen.as_ref().map(|v| v.get_ref().clone()))
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|e| anyhow::anyhow!("SAKIMORI_LISTEN: {e}"))?,
    };
    let database_url = o
        .database_url
        .clone()
        .or_else(|| file.database.url.as_ref().map(|v| v.get_ref().clone()))
        .unwrap_or_else(|| sakimori_store::sqlite_url(&data_dir));
    Ok(Config {
        data_dir,
        listen,
        database_url,
        log_level: env("SAKIMORI_LOG_LEVEL")
            .or_else(|| file.log.level.as_ref().map(|v| v.get_ref().clone()))
            .unwrap_or_else(|| "info".into()),
        log_json: env("SAKIMORI_LOG_FORMAT")
            .or_else(|| file.log.format.as_ref().map(|v| v.get_ref().clone()))
            .is_some_and(|f| f == "json"),
        routing_file: file
            .reports
            .routing
            .as_ref()
            .map(|v| PathBuf::from(v.get_ref())),
        attachment_max_bytes: file
            .reports
            .attachment_max_bytes
            .unwrap_or(10 * 1024 * 1024),
        severity: file.severity.clone().unwrap_or_default(),
        relay: sakimori_store::RelayPolicy {
            ministry_auto: file.advisories.ministry_auto.unwrap_or(true),
            hub_auto: file.advisories.hub_auto.unwrap_or(true),
        },
        remind_after_minutes: file.advisories.remind_after_minutes.unwrap_or(240),
        escalate_after_minutes: file.advisories.escalate_after_minutes.unwrap_or(480),
        public_feed: file.intel.public_feed.unwrap_or(false),
        warninglists_dir: file.intel.warninglists_dir.as_ref().map(PathBuf::from),
        sensor_nats: file.sensor.nats_url.as_ref().map(|url| {
            let d = sakimori_pipeline::NatsConfig::default();
            sakimori_pipeline::NatsConfig {
                url: url.clone(),
                stream: file.sensor.stream.clone().unwrap_or(d.stream),
                subject: file.sensor.subject.clone().unwrap_or(d.subject),
                durable: file.sensor.durable.clone().unwrap_or(d.durable),
                ack_wait: d.ack_wait,
            }
        }),
        sensor_window_secs: file
            .sensor
            .window_secs
            .unwrap_or(sakimori_sensor::engine::DEFAULT_WINDOW_SECS)
            .max(1),
        sensor_drop_failed: file.sensor.drop_failed.unwrap_or(true),
        notify: {
            let mut n = file.notify.clone().unwrap_or_default();
            if let Some(url) = env("SAKIMORI_SMTP_URL") {
                n.smtp_url = Some(url);
            }
            n
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let text = "data_dir = \"/var/lib/sakimori\"\n[server]\nlisten = \"127.0.0.1:8080\"\nlisen = \"x\"\n";
        let errs = parse_file("sakimori.toml", text).unwrap_err();
        let msg = errs[0].to_string();
        assert!(
            msg.starts_with("sakimori.toml:4: unknown field `lisen`"),
            "{msg}"
        );
    }

    #[test]
    fn bad_values_are_named_with_key_and_line() {
        let text = "[server]\nlisten = \"localhost\"\n\n[log]\nformat = \"xml\"\n";
        let errs = parse_file("c.toml", text).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(msgs[0].starts_with("c.toml:2: server.listen:"), "{msgs:?}");
        assert!(
            msgs[1].starts_with("c.toml:5: log.format: expected text or json"),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_good_file_passes() {
        let text = "data_dir = \"d\"\n[server]\nlisten = \"0.0.0.0:9000\"\n[database]\nurl = \"postgres://u@h/db\"\n[log]\nlevel = \"debug\"\nformat = \"json\"\n";
        assert!(parse_file("ok.toml", text).is_ok());
    }
}

#[cfg(test)]
mod report_settings {
    use super::*;

    #[test]
    fn reports_severity_and_notify_sections_are_checked() {
        let text = "[reports]\nattachment_max_bytes = 1000\n[severity]\naffected_people = [{at_least = 1, level = 1}, {at_least = 500, level = 2}]\n[notify]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"s@example.jp\"\n";
        let cfg = parse_file("c.toml", text).unwrap();
        assert_eq!(cfg.severity.unwrap().affected_people.len(), 2);
        let bad = "[severity]\naffected_peple = []\n";
        let errs = parse_file("c.toml", bad).unwrap_err();
        assert!(errs[0].to_string().starts_with("c.toml:2:"), "{}", errs[0]);
        assert!(errs[0].to_string().contains("affected_peple"));
    }
}
