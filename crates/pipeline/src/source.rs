//! Sources: a stream of sensor log lines read into sealed batches.

use std::io::BufRead;
use std::sync::Arc;

use sakimori_sensor::{
    DnsLogReader, EveReader, Observation, ParseError, Reader, Sensor, ZeekLog, ZeekReader,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Records per batch by default: large enough to amortise a transaction,
/// small enough that a redelivered batch is cheap.
pub const DEFAULT_BATCH: usize = 5_000;

/// The format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Suricata EVE JSON.
    Eve,
    /// Zeek logs, TSV or JSON.
    Zeek,
    /// BIND or Unbound query logs.
    Dns,
}

impl Format {
    /// Parses `eve`, `zeek`, `dns` (also `bind`, `unbound`).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "eve" | "suricata" => Format::Eve,
            "zeek" | "bro" => Format::Zeek,
            "dns" | "bind" | "unbound" => Format::Dns,
            _ => return None,
        })
    }

    /// Guesses from the first non-empty line: JSON with `event_type` is EVE,
    /// a `#separator` header or JSON with `uid`/`ts` is Zeek, else a DNS log.
    pub fn sniff(first_line: &str) -> Format {
        let l = first_line.trim_start();
        if l.starts_with("#separator") || l.starts_with("#fields") {
            Format::Zeek
        } else if l.starts_with('{') {
            if l.contains("\"event_type\"") {
                Format::Eve
            } else {
                Format::Zeek
            }
        } else {
            Format::Dns
        }
    }
}

/// A batch of observations, sealed with an id that depends only on its
/// content, so the same records sent twice are recognised downstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireBatch {
    /// `sha256(sensor, site, observations)`, hex.
    pub id: String,
    /// Which sensor at which site.
    pub sensor: Sensor,
    /// Records read, malformed ones included.
    pub records: u64,
    /// Malformed records (reported in the sensor's log with line and field).
    pub malformed: u64,
    /// The observations.
    pub observations: Vec<Observation>,
}

impl WireBatch {
    /// Seals a batch.
    pub fn seal(
        sensor: &Sensor,
        observations: Vec<Observation>,
        malformed: u64,
        records: u64,
    ) -> Self {
        let body = serde_json::to_vec(&observations).expect("observations serialise");
        let mut h = Sha256::new();
        h.update(sensor.id.as_bytes());
        h.update([0]);
        h.update(sensor.site.as_bytes());
        h.update([0]);
        h.update(malformed.to_le_bytes());
        h.update(&body);
        Self {
            id: hex::encode(h.finalize()),
            sensor: sensor.clone(),
            records,
            malformed,
            observations,
        }
    }
}

/// Reads `input` in `format` into batches of `batch` records, calling `sink`
/// with each; malformed records go to `on_error` and never stop the stream.
pub fn read_batches<R: BufRead>(
    input: R,
    label: &str,
    format: Format,
    sensor: Arc<Sensor>,
    batch: usize,
    on_error: &mut dyn FnMut(&ParseError),
    sink: &mut dyn FnMut(WireBatch) -> std::io::Result<()>,
) -> std::io::Result<Totals> {
    match format {
        Format::Eve => drain(
            EveReader::new(input, label, sensor.clone()),
            &sensor,
            batch,
            on_error,
            sink,
        ),
        Format::Zeek => drain(
            ZeekReader::new(input, label, sensor.clone(), ZeekLog::from_file_name(label)),
            &sensor,
            batch,
            on_error,
            sink,
        ),
        Format::Dns => drain(
            DnsLogReader::new(input, label, sensor.clone()),
            &sensor,
            batch,
            on_error,
            sink,
        ),
    }
}

/// What a source yielded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Observations.
    pub ok: u64,
    /// Malformed records.
    pub malformed: u64,
    /// Well-formed records of types not normalised.
    pub skipped: u64,
    /// Batches sealed.
    pub batches: u64,
}

fn drain<R: BufRead, P: sakimori_sensor::LineParser>(
    mut reader: Reader<R, P>,
    sensor: &Sensor,
    batch: usize,
    on_error: &mut dyn FnMut(&ParseError),
    sink: &mut dyn FnMut(WireBatch) -> std::io::Result<()>,
) -> std::io::Result<Totals> {
    let batch = batch.max(1);
    let mut totals = Totals::default();
    let mut buf = Vec::with_capacity(batch);
    let mut bad = 0u64;
    let mut seen = 0u64;
    let mut flush =
        |buf: &mut Vec<Observation>, bad: &mut u64, seen: &mut u64, totals: &mut Totals| {
            let b = WireBatch::seal(sensor, std::mem::take(buf), *bad, *seen);
            *bad = 0;
            *seen = 0;
            totals.batches += 1;
            sink(b)
        };
    for item in reader.by_ref() {
        seen += 1;
        match item {
            Ok(o) => buf.push(o),
            Err(e) => {
                if e.error.kind == sakimori_sensor::ErrorKind::Io {
                    return Err(std::io::Error::other(e.to_string()));
                }
                bad += 1;
                on_error(&e);
            }
        }
        if buf.len() >= batch {
            flush(&mut buf, &mut bad, &mut seen, &mut totals)?;
        }
    }
    if !buf.is_empty() || bad > 0 {
        flush(&mut buf, &mut bad, &mut seen, &mut totals)?;
    }
    let c = reader.counts();
    totals.ok = c.ok;
    totals.malformed = c.malformed;
    totals.skipped = c.skipped;
    Ok(totals)
}
