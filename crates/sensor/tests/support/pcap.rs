//! Captures for a real flow exporter: Ethernet frames of IPv4 and IPv6 TCP
//! and UDP packets, written as a classic pcap file, and softflowd found and
//! run over such a file.
//!
//! Shared by the tests of two crates, each including this file as a module:
//! `crates/sensor/tests/netflow.rs` (`#[path = "support/pcap.rs"] mod pcap;`)
//! and `crates/cli/tests/cli.rs`
//! (`#[path = "../../sensor/tests/support/pcap.rs"] mod pcap;`). Plain
//! functions of the standard library only; items one of the two does not use
//! are marked `#[allow(dead_code)]`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One packet of a capture: seconds after the capture's start, and the
/// Ethernet frame.
pub struct Packet(pub f64, pub Vec<u8>);

/// TCP flags.
pub const FIN: u8 = 0x01;
/// TCP flags.
pub const SYN: u8 = 0x02;
/// TCP flags.
#[allow(dead_code)]
pub const RST: u8 = 0x04;
/// TCP flags.
pub const PSH: u8 = 0x08;
/// TCP flags.
pub const ACK: u8 = 0x10;

/// An Ethernet frame carrying an IPv4 packet of `protocol` (6 TCP, 17 UDP)
/// with the layer-4 bytes `l4`; the header checksum is computed.
pub fn ipv4_frame(src: [u8; 4], dst: [u8; 4], protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x45, 0]; // IPv4, header 20 bytes; DSCP
    ip.extend(((20 + l4.len()) as u16).to_be_bytes()); // total length
    ip.extend([0, 1, 0x40, 0]); // identification; don't fragment
    ip.extend([64, protocol, 0, 0]); // TTL, protocol, checksum (below)
    ip.extend(src);
    ip.extend(dst);
    let sum = ip
        .chunks(2)
        .fold(0u32, |s, w| s + u32::from(u16::from_be_bytes([w[0], w[1]])));
    let sum = !((sum & 0xFFFF) + (sum >> 16)) as u16;
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(l4);
    ethernet(0x0800, &ip)
}

/// An Ethernet frame carrying an IPv6 packet whose next header is `next`.
#[allow(dead_code)]
pub fn ipv6_frame(src: [u8; 16], dst: [u8; 16], next: u8, l4: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0]; // IPv6, no traffic class or flow label
    ip.extend((l4.len() as u16).to_be_bytes()); // payload length
    ip.extend([next, 64]); // next header, hop limit
    ip.extend(src);
    ip.extend(dst);
    ip.extend_from_slice(l4);
    ethernet(0x86DD, &ip)
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]; // dst, src MAC
    f.extend(ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A TCP segment (no options, checksum left 0: softflowd does not check it).
pub fn tcp(sport: u16, dport: u16, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend([0, 0, 0, 1, 0, 0, 0, 0]); // sequence, acknowledgement
    t.extend([0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]); // offset 5, flags, window, checksum, urgent
    t.extend_from_slice(data);
    t
}

/// A UDP datagram (no checksum).
#[allow(dead_code)]
pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((8 + data.len()) as u16).to_be_bytes());
    u.extend([0, 0]); // no checksum
    u.extend_from_slice(data);
    u
}

/// An Ethernet frame of an IPv4 TCP segment: `ipv4_frame` over `tcp`.
pub fn tcp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8, data: &[u8]) -> Vec<u8> {
    ipv4_frame(src, dst, 6, &tcp(sport, dport, flags, data))
}

/// Classic pcap (microsecond timestamps, Ethernet), packets in time order;
/// a packet at `p.0` seconds is stamped `start + p.0` (Unix seconds).
pub fn pcap(start: i64, packets: &[Packet]) -> Vec<u8> {
    let mut sorted: Vec<&Packet> = packets.iter().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut p = Vec::new();
    p.extend(0xA1B2_C3D4u32.to_le_bytes()); // magic: microseconds, little-endian
    p.extend(2u16.to_le_bytes()); // version 2.4
    p.extend(4u16.to_le_bytes());
    p.extend(0i32.to_le_bytes()); // thiszone
    p.extend(0u32.to_le_bytes()); // sigfigs
    p.extend(65535u32.to_le_bytes()); // snaplen
    p.extend(1u32.to_le_bytes()); // linktype: Ethernet
    for Packet(at, frame) in sorted {
        let micros = (at * 1e6).round() as i64;
        p.extend(((start + micros / 1_000_000) as u32).to_le_bytes());
        p.extend(((micros % 1_000_000) as u32).to_le_bytes());
        p.extend((frame.len() as u32).to_le_bytes()); // captured length
        p.extend((frame.len() as u32).to_le_bytes()); // original length
        p.extend_from_slice(frame);
    }
    p
}

/// softflowd's path (Debian puts it in /usr/sbin, outside a user's PATH).
/// Without it: a panic in CI (`CI` set), a loud warning elsewhere, and
/// `None` so that the caller skips.
pub fn softflowd() -> Option<PathBuf> {
    let runs = |p: &PathBuf| {
        Command::new(p)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let found = [
        "softflowd",
        "/usr/sbin/softflowd",
        "/usr/local/sbin/softflowd",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(runs);
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "softflowd is required in CI: apt-get install softflowd (scripts/test.sh does it)"
            );
        }
        eprintln!("\n!!! SKIPPED: softflowd not installed (apt-get install softflowd) !!!\n");
    }
    found
}

/// Runs softflowd over `pcap_file`, exporting NetFlow `version` (5, 9 or 10
/// for IPFIX; plus `extra` flags) to `to`, and waits for it to finish (30 s
/// at most). Panics if it fails; returns what it wrote on stderr.
pub fn softflowd_run(
    softflowd: &Path,
    pcap_file: &Path,
    to: SocketAddr,
    version: &str,
    extra: &[&str],
) -> String {
    // -d: foreground; -a: flow times from the capture, not the clock;
    // -r: read the capture and export everything at its end; -c none: no
    // control socket. softflowd 1.1.0 reading a file never sets up its poll
    // array, so with a control socket it may block in accept() on stack
    // garbage (it did here for some socket path lengths).
    let mut child = Command::new(softflowd)
        .args(["-d", "-a", "-c", "none", "-r"])
        .arg(pcap_file)
        .args(["-n", &to.to_string(), "-v", version])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("softflowd starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("softflowd -v {version} did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut stderr).ok();
    }
    assert!(
        status.success(),
        "softflowd -v {version}: {status}\n{stderr}"
    );
    stderr
}
