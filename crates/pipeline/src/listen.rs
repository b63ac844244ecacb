//! Network sources: a NetFlow/IPFIX collector on UDP, and log lines over TCP
//! (EVE or Zeek JSON, DNS log lines, as syslog-style shippers send them).
//!
//! Each listener seals what it receives into batches of `batch` records or
//! every `flush` interval, whichever comes first, and hands them to a channel.
//! When `stop` turns true it seals what it holds, sends it and returns, so
//! nothing received is dropped at shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sakimori_sensor::{
    DnsLogParser, EveParser, LineParser, NetflowCollector, Observation, Parsed, Sensor, ZeekParser,
};
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};

use crate::source::{Format, WireBatch};

/// Resolves when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Gathers observations into sealed batches.
struct Batcher {
    sensor: Arc<Sensor>,
    size: usize,
    buf: Vec<Observation>,
    malformed: u64,
    records: u64,
    out: mpsc::Sender<WireBatch>,
}

impl Batcher {
    fn new(sensor: Arc<Sensor>, size: usize, out: mpsc::Sender<WireBatch>) -> Self {
        Self {
            sensor,
            size: size.max(1),
            buf: Vec::new(),
            malformed: 0,
            records: 0,
            out,
        }
    }

    async fn push(&mut self, r: Result<Observation, String>) -> bool {
        self.records += 1;
        match r {
            Ok(o) => self.buf.push(o),
            Err(e) => {
                self.malformed += 1;
                tracing::warn!(sensor = %self.sensor.id, "malformed: {e}");
            }
        }
        if self.buf.len() >= self.size {
            return self.flush().await;
        }
        true
    }

    /// Sends what is buffered; false when the receiver is gone.
    async fn flush(&mut self) -> bool {
        if self.buf.is_empty() && self.malformed == 0 {
            return true;
        }
        let b = WireBatch::seal(
            &self.sensor,
            std::mem::take(&mut self.buf),
            self.malformed,
            self.records,
        );
        self.malformed = 0;
        self.records = 0;
        self.out.send(b).await.is_ok()
    }
}

/// Binds a UDP socket for NetFlow v5/v9/IPFIX; returns it with its address.
pub async fn bind_netflow(addr: SocketAddr) -> std::io::Result<(UdpSocket, SocketAddr)> {
    let s = UdpSocket::bind(addr).await?;
    let a = s.local_addr()?;
    Ok((s, a))
}

/// Collects NetFlow/IPFIX datagrams until the channel closes.
pub async fn netflow(
    socket: UdpSocket,
    sensor: Arc<Sensor>,
    batch: usize,
    flush: Duration,
    out: mpsc::Sender<WireBatch>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut collector = NetflowCollector::new(sensor.clone());
    let mut b = Batcher::new(sensor, batch, out);
    let mut dgram = vec![0u8; 65_536];
    let mut tick = tokio::time::interval(flush);
    loop {
        tokio::select! {
            r = socket.recv_from(&mut dgram) => {
                let (n, from) = r?;
                for rec in collector.feed(&dgram[..n], from) {
                    if !b.push(rec.map_err(|e| e.to_string())).await {
                        return Ok(());
                    }
                }
            }
            _ = tick.tick() => {
                if !b.flush().await {
                    return Ok(());
                }
            }
            _ = stopped(&mut stop) => {
                b.flush().await;
                return Ok(());
            }
        }
    }
}

/// Binds a TCP listener for log lines; returns it with its address.
pub async fn bind_lines(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let l = TcpListener::bind(addr).await?;
    let a = l.local_addr()?;
    Ok((l, a))
}

fn parser(format: Format, sensor: Arc<Sensor>) -> Box<dyn LineParser + Send> {
    match format {
        Format::Eve => Box::new(EveParser::new(sensor)),
        Format::Zeek => Box::new(ZeekParser::new(sensor, None)),
        Format::Dns => Box::new(DnsLogParser::new(sensor)),
    }
}

/// Accepts connections and reads newline-delimited records in `format`,
/// one parser per connection (a Zeek TSV header belongs to its stream).
pub async fn lines(
    listener: TcpListener,
    format: Format,
    sensor: Arc<Sensor>,
    batch: usize,
    flush: Duration,
    out: mpsc::Sender<WireBatch>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut stopping = stop.clone();
    loop {
        let (conn, peer) = tokio::select! {
            c = listener.accept() => c?,
            _ = stopped(&mut stopping) => return Ok(()),
        };
        let (sensor, out, mut stop) = (sensor.clone(), out.clone(), stop.clone());
        tokio::spawn(async move {
            let mut p = parser(format, sensor.clone());
            let mut b = Batcher::new(sensor, batch, out);
            let mut reader = tokio::io::BufReader::new(conn);
            let mut line = Vec::new();
            let mut n = 0u64;
            let mut tick = tokio::time::interval(flush);
            loop {
                line.clear();
                tokio::select! {
                    r = reader.read_until(b'\n', &mut line) => {
                        match r {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                        n += 1;
                        while line.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                            line.pop();
                        }
                        let r = match p.parse_line(&line) {
                            Ok(Parsed::Record(o)) => Ok(o),
                            Ok(_) => continue,
                            Err(e) => Err(format!(
                                "{peer} line {n}: {}{}",
                                e.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(),
                                e.message
                            )),
                        };
                        if !b.push(r).await {
                            return;
                        }
                    }
                    _ = tick.tick() => {
                        if !b.flush().await {
                            return;
                        }
                    }
                    _ = stopped(&mut stop) => break,
                }
            }
            b.flush().await;
        });
    }
}
