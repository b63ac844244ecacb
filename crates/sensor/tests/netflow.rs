//! The NetFlow v5 / v9 / IPFIX collector: hand-built datagrams, byte by byte,
//! then a real exporter (softflowd) reading a capture that the test writes.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use sakimori_sensor::{
    ErrorKind, FlowRecord, Kind, NetflowCollector, Observation, Outcome, ParseError, Sensor,
    Transport,
};

#[path = "support/pcap.rs"]
mod pcap;

use pcap::{ipv4_frame, ipv6_frame, pcap, softflowd, tcp4, udp, Packet, ACK, FIN, PSH, RST, SYN};

/// 2024-05-01T00:00:00Z, the export time of the hand-built datagrams.
const T0: i64 = 1_714_521_600;

fn collector() -> NetflowCollector {
    NetflowCollector::new(Sensor::new("gsoc1-collector", "kasumigaseki-dc1"))
}

fn exporter(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn ms(o: &Observation) -> i64 {
    o.time.timestamp_millis()
}

/// The observations of a datagram that must be well-formed.
fn ok(items: Vec<Result<Observation, ParseError>>) -> Vec<Observation> {
    items
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("unexpected error: {e}")))
        .collect()
}

/// The flow records of a datagram that must be well-formed.
fn records(items: Vec<Result<FlowRecord, ParseError>>) -> Vec<FlowRecord> {
    items
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("unexpected error: {e}")))
        .collect()
}

/// The one error of a datagram that must be malformed.
fn err(items: Vec<Result<Observation, ParseError>>) -> ParseError {
    assert_eq!(items.len(), 1, "{items:?}");
    items.into_iter().next().unwrap().unwrap_err()
}

// ---------------------------------------------------------------------------
// NetFlow v5

/// Header and two 48-byte records.
const V5: &[u8] = &[
    0x00, 0x05, // version 5
    0x00, 0x02, // count: 2 records
    0x00, 0x00, 0xEA, 0x60, // sys_uptime: 60,000 ms
    0x66, 0x31, 0x86, 0x00, // unix_secs: 1714521600
    0x1D, 0xCD, 0x65, 0x00, // unix_nsecs: 500,000,000
    0x00, 0x00, 0x00, 0x01, // flow_sequence
    0x00, 0x00, // engine type, engine id
    0x00, 0x00, // sampling interval
    // record 0: 192.0.2.66:51515 -> 203.0.113.5:22, TCP, SYN only
    192, 0, 2, 66, // srcaddr
    203, 0, 113, 5, // dstaddr
    0, 0, 0, 0, // nexthop
    0x00, 0x01, 0x00, 0x02, // input, output interfaces
    0x00, 0x00, 0x00, 0x02, // dPkts: 2
    0x00, 0x00, 0x00, 0x78, // dOctets: 120
    0x00, 0x00, 0xDE, 0xA8, // first: 57,000 ms
    0x00, 0x00, 0xE2, 0x90, // last: 58,000 ms
    0xC9, 0x3B, // srcport 51515
    0x00, 0x16, // dstport 22
    0x00, // pad1
    0x02, // tcp_flags: SYN
    0x06, // prot: TCP
    0x00, // tos
    0x00, 0x00, 0x00, 0x00, // src_as, dst_as
    0x00, 0x00, 0x00, 0x00, // src_mask, dst_mask, pad2
    // record 1: 192.0.2.10:53000 -> 198.51.100.53:53, UDP
    192, 0, 2, 10, // srcaddr
    198, 51, 100, 53, // dstaddr
    0, 0, 0, 0, // nexthop
    0x00, 0x01, 0x00, 0x02, // input, output interfaces
    0x00, 0x00, 0x00, 0x01, // dPkts: 1
    0x00, 0x00, 0x00, 0x30, // dOctets: 48
    0x00, 0x00, 0xE6, 0x78, // first: 59,000 ms
    0x00, 0x00, 0xE6, 0x78, // last: 59,000 ms
    0xCF, 0x08, // srcport 53000
    0x00, 0x35, // dstport 53
    0x00, // pad1
    0x00, // tcp_flags
    0x11, // prot: UDP
    0x00, // tos
    0x00, 0x00, 0x00, 0x00, // src_as, dst_as
    0x00, 0x00, 0x00, 0x00, // src_mask, dst_mask, pad2
];

#[test]
fn v5_records() {
    let mut c = collector();
    let recs = records(c.feed_flows(V5, exporter("192.0.2.1:2055")));
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].packets, recs[0].bytes), (Some(2), Some(120)));
    assert_eq!((recs[1].packets, recs[1].bytes), (Some(1), Some(48)));

    let syn = &recs[0].observation;
    assert_eq!(syn.kind, Kind::Flow);
    assert_eq!(syn.sensor.id, "gsoc1-collector");
    assert_eq!((syn.src_ip, syn.src_port), (ip("192.0.2.66"), Some(51515)));
    assert_eq!((syn.dst_ip, syn.dst_port), (ip("203.0.113.5"), Some(22)));
    assert_eq!(syn.transport, Some(Transport::Tcp));
    assert_eq!(syn.outcome, Outcome::NoReply);
    // Export at T0 + 0.5 s with uptime 60 s; the flow ended at uptime 58 s.
    assert_eq!(ms(syn), T0 * 1000 + 500 - 2_000);

    let dns = &recs[1].observation;
    assert_eq!(dns.transport, Some(Transport::Udp));
    assert_eq!((dns.dst_ip, dns.dst_port), (ip("198.51.100.53"), Some(53)));
    assert_eq!(dns.outcome, Outcome::Unknown);
    assert_eq!(ms(dns), T0 * 1000 + 500 - 1_000);

    assert_eq!(c.counts().ok, 2);
    assert_eq!(c.netflow_counts().datagrams, 1);
    assert_eq!(c.exporters(), 0, "v5 has no templates to keep");
}

// ---------------------------------------------------------------------------
// NetFlow v9

/// A v9 header from source id `id`: uptime 60,000 ms at T0.
const fn v9_header(count: u8, id: u8) -> [u8; 20] {
    [
        0x00, 0x09, // version 9
        0x00, count, // count: records in the packet
        0x00, 0x00, 0xEA, 0x60, // sys_uptime: 60,000 ms
        0x66, 0x31, 0x86, 0x00, // unix_secs: 1714521600
        0x00, 0x00, 0x00, 0x01, // sequence number
        0x00, 0x00, 0x00, id, // source id
    ]
}

/// Template flowset: template 256, ten fields, 30-byte records.
const V9_TEMPLATE: [u8; 48] = [
    0x00, 0x00, // flowset id 0: templates
    0x00, 0x30, // length 48
    0x01, 0x00, // template id 256
    0x00, 0x0A, // 10 fields
    0x00, 0x08, 0x00, 0x04, // IPV4_SRC_ADDR, 4 bytes
    0x00, 0x0C, 0x00, 0x04, // IPV4_DST_ADDR, 4
    0x00, 0x07, 0x00, 0x02, // L4_SRC_PORT, 2
    0x00, 0x0B, 0x00, 0x02, // L4_DST_PORT, 2
    0x00, 0x04, 0x00, 0x01, // PROTOCOL, 1
    0x00, 0x06, 0x00, 0x01, // TCP_FLAGS, 1
    0x00, 0x02, 0x00, 0x04, // IN_PKTS, 4
    0x00, 0x01, 0x00, 0x04, // IN_BYTES, 4
    0x00, 0x16, 0x00, 0x04, // FIRST_SWITCHED, 4
    0x00, 0x15, 0x00, 0x04, // LAST_SWITCHED, 4
];

/// Data flowset of template 256: two records.
const V9_DATA: [u8; 64] = [
    0x01, 0x00, // flowset id 256
    0x00, 0x40, // length 64 = 4 + 2 x 30
    // 192.0.2.10:40000 -> 198.51.100.7:443, SYN|ACK|PSH, 3 packets, 205 bytes
    192, 0, 2, 10, 198, 51, 100, 7, // addresses
    0x9C, 0x40, 0x01, 0xBB, // ports 40000, 443
    0x06, 0x1A, // TCP; SYN|ACK|PSH
    0x00, 0x00, 0x00, 0x03, // 3 packets
    0x00, 0x00, 0x00, 0xCD, // 205 bytes
    0x00, 0x00, 0xE6, 0x78, // first 59,000 ms
    0x00, 0x00, 0xE6, 0xDC, // last 59,100 ms
    // 203.0.113.5:23 -> 192.0.2.66:51516, RST|ACK, 1 packet of 40 bytes:
    // the server refusing a connection
    203, 0, 113, 5, 192, 0, 2, 66, // addresses
    0x00, 0x17, 0xC9, 0x3C, // ports 23, 51516
    0x06, 0x14, // TCP; RST|ACK
    0x00, 0x00, 0x00, 0x01, // 1 packet
    0x00, 0x00, 0x00, 0x28, // 40 bytes
    0x00, 0x00, 0xE2, 0x90, // first 58,000 ms
    0x00, 0x00, 0xE2, 0x90, // last 58,000 ms
];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn v9_template_and_data() {
    let d = cat(&[&v9_header(3, 7), &V9_TEMPLATE, &V9_DATA]);
    assert_eq!(d.len(), 132);
    let mut c = collector();
    let recs = records(c.feed_flows(&d, exporter("192.0.2.1:2055")));
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].packets, recs[0].bytes), (Some(3), Some(205)));
    assert_eq!((recs[1].packets, recs[1].bytes), (Some(1), Some(40)));

    let web = &recs[0].observation;
    assert_eq!((web.src_ip, web.src_port), (ip("192.0.2.10"), Some(40000)));
    assert_eq!((web.dst_ip, web.dst_port), (ip("198.51.100.7"), Some(443)));
    assert_eq!(web.transport, Some(Transport::Tcp));
    assert_eq!(web.outcome, Outcome::Answered);
    assert_eq!(ms(web), T0 * 1000 - 900);

    let refused = &recs[1].observation;
    assert_eq!(
        (refused.src_ip, refused.src_port),
        (ip("203.0.113.5"), Some(23))
    );
    assert_eq!(refused.outcome, Outcome::Rejected);
    assert_eq!(ms(refused), T0 * 1000 - 2_000);

    // The template stays: a later datagram with data only is read too.
    let obs = ok(c.feed(
        &cat(&[&v9_header(2, 7), &V9_DATA]),
        exporter("192.0.2.1:2055"),
    ));
    assert_eq!(obs.len(), 2);
    assert_eq!(c.counts().ok, 4);
    assert_eq!(c.exporters(), 1);
}

#[test]
fn v9_template_after_data() {
    let mut c = collector();
    let from = exporter("192.0.2.1:2055");
    // Data first: held, nothing yet, counted.
    let first = ok(c.feed(&cat(&[&v9_header(2, 7), &V9_DATA]), from));
    assert!(first.is_empty());
    assert_eq!(c.netflow_counts().no_template, 1);
    assert_eq!(c.counts().ok, 0);
    // The template comes: the held records are read with it.
    let obs = ok(c.feed(&cat(&[&v9_header(1, 7), &V9_TEMPLATE]), from));
    assert_eq!(obs.len(), 2);
    assert_eq!(obs[0].src_port, Some(40000));
    assert_eq!(obs[1].outcome, Outcome::Rejected);
    let n = c.netflow_counts();
    assert_eq!(
        (n.datagrams, n.no_template, n.replayed, n.dropped),
        (2, 1, 1, 0)
    );
    assert_eq!(c.counts().ok, 2);
}

/// Two exporters both use template 256, with different layouts.
#[test]
fn templates_are_kept_per_exporter() {
    // Exporter A: template 256 = source, destination, protocol (9 bytes).
    let a_template: &[u8] = &[
        0x00, 0x00, 0x00, 0x14, // flowset 0, length 20
        0x01, 0x00, 0x00, 0x03, // template 256, 3 fields
        0x00, 0x08, 0x00, 0x04, // IPV4_SRC_ADDR
        0x00, 0x0C, 0x00, 0x04, // IPV4_DST_ADDR
        0x00, 0x04, 0x00, 0x01, // PROTOCOL
    ];
    let a_data: &[u8] = &[
        0x01, 0x00, 0x00, 0x10, // flowset 256, length 16 (9 + 3 padding)
        10, 0, 0, 1, 10, 0, 0, 2, 17, // 10.0.0.1 -> 10.0.0.2, UDP
        0, 0, 0, // padding
    ];
    // Exporter B: template 256 = destination, destination port, source,
    // protocol (11 bytes).
    let b_template: &[u8] = &[
        0x00, 0x00, 0x00, 0x18, // flowset 0, length 24
        0x01, 0x00, 0x00, 0x04, // template 256, 4 fields
        0x00, 0x0C, 0x00, 0x04, // IPV4_DST_ADDR
        0x00, 0x0B, 0x00, 0x02, // L4_DST_PORT
        0x00, 0x08, 0x00, 0x04, // IPV4_SRC_ADDR
        0x00, 0x04, 0x00, 0x01, // PROTOCOL
    ];
    let b_data: &[u8] = &[
        0x01, 0x00, 0x00, 0x10, // flowset 256, length 16 (11 + 1 padding)
        10, 0, 0, 2, 0x01, 0xBB, 10, 0, 0, 1, 6, // 10.0.0.1 -> 10.0.0.2:443, TCP
        0, // padding
    ];
    let a = exporter("192.0.2.1:2055");
    let b = exporter("192.0.2.2:2055");
    let mut c = collector();
    assert!(ok(c.feed(&cat(&[&v9_header(1, 0), a_template]), a)).is_empty());
    assert!(ok(c.feed(&cat(&[&v9_header(1, 0), b_template]), b)).is_empty());

    let from_a = ok(c.feed(&cat(&[&v9_header(1, 0), a_data]), a));
    let from_b = ok(c.feed(&cat(&[&v9_header(1, 0), b_data]), b));
    for o in [&from_a[0], &from_b[0]] {
        assert_eq!(o.src_ip, ip("10.0.0.1"));
        assert_eq!(o.dst_ip, ip("10.0.0.2"));
    }
    assert_eq!(from_a[0].transport, Some(Transport::Udp));
    assert_eq!(from_a[0].dst_port, None);
    assert_eq!(from_b[0].transport, Some(Transport::Tcp));
    assert_eq!(from_b[0].dst_port, Some(443));
    assert_eq!(c.exporters(), 2);

    // Same address and port as A but another source id: another scope, where
    // template 256 is unknown.
    assert!(ok(c.feed(&cat(&[&v9_header(1, 9), a_data]), a)).is_empty());
    assert_eq!(c.netflow_counts().no_template, 1);
    assert_eq!(c.exporters(), 3);
    // Another port of the same host is another exporter too.
    assert!(ok(c.feed(
        &cat(&[&v9_header(1, 0), a_data]),
        exporter("192.0.2.1:2056")
    ))
    .is_empty());
    assert_eq!(c.netflow_counts().no_template, 2);
}

#[test]
fn held_data_is_bounded() {
    let mut c = collector();
    let data = cat(&[&v9_header(2, 7), &V9_DATA]);
    for _ in 0..65 {
        assert!(ok(c.feed(&data, exporter("192.0.2.1:2055"))).is_empty());
    }
    let n = c.netflow_counts();
    assert_eq!((n.no_template, n.dropped), (65, 1), "64 sets a template id");
    // The template brings back the 64 held sets: 128 records.
    let obs = ok(c.feed(
        &cat(&[&v9_header(1, 7), &V9_TEMPLATE]),
        exporter("192.0.2.1:2055"),
    ));
    assert_eq!(obs.len(), 128);
    assert_eq!(c.netflow_counts().replayed, 64);
}

#[test]
fn forgotten_exporters_release_held_data() {
    let mut c = collector().max_exporters(1);
    let data = cat(&[&v9_header(2, 7), &V9_DATA]);
    assert!(ok(c.feed(&data, exporter("192.0.2.1:2055"))).is_empty());
    assert!(ok(c.feed(&data, exporter("192.0.2.2:2055"))).is_empty());
    assert_eq!(c.exporters(), 1);
    let n = c.netflow_counts();
    assert_eq!((n.no_template, n.dropped), (2, 1));
}

// ---------------------------------------------------------------------------
// IPFIX

/// IPFIX message: template 300 (IPv6, 63-byte records) and one data record.
const IPFIX: &[u8] = &[
    0x00, 0x0A, // version 10
    0x00, 0x80, // message length 128
    0x66, 0x31, 0x86, 0x00, // export time 1714521600
    0x00, 0x00, 0x00, 0x00, // sequence number
    0x00, 0x00, 0x00, 0x01, // observation domain 1
    // Template set
    0x00, 0x02, // set id 2: templates
    0x00, 0x2C, // length 44
    0x01, 0x2C, // template id 300
    0x00, 0x09, // 9 fields
    0x00, 0x1B, 0x00, 0x10, // sourceIPv6Address, 16
    0x00, 0x1C, 0x00, 0x10, // destinationIPv6Address, 16
    0x00, 0x07, 0x00, 0x02, // sourceTransportPort, 2
    0x00, 0x0B, 0x00, 0x02, // destinationTransportPort, 2
    0x00, 0x04, 0x00, 0x01, // protocolIdentifier, 1
    0x00, 0x06, 0x00, 0x02, // tcpControlBits, 2
    0x00, 0x02, 0x00, 0x08, // packetDeltaCount, 8
    0x00, 0x01, 0x00, 0x08, // octetDeltaCount, 8
    0x00, 0x99, 0x00, 0x08, // flowEndMilliseconds, 8
    // Data set
    0x01, 0x2C, // set id 300
    0x00, 0x44, // length 68 = 4 + 63 + 1 padding
    0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, // 2001:db8::10
    0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, // 2001:db8::7
    0xC3, 0x50, // port 50000
    0x01, 0xBB, // port 443
    0x06, // TCP
    0x00, 0x02, // SYN
    0, 0, 0, 0, 0, 0, 0, 3, // 3 packets
    0, 0, 0, 0, 0, 0, 0, 180, // 180 bytes
    0x00, 0x00, 0x01, 0x8F, 0x31, 0x73, 0x70, 0xFA, // 1714521600250 ms
    0x00, // padding
];

#[test]
fn ipfix_template_and_data() {
    assert_eq!(IPFIX.len(), 128);
    let mut c = collector();
    let recs = records(c.feed_flows(IPFIX, exporter("[2001:db8::1]:4739")));
    assert_eq!(recs.len(), 1);
    assert_eq!((recs[0].packets, recs[0].bytes), (Some(3), Some(180)));
    let o = &recs[0].observation;
    assert_eq!((o.src_ip, o.src_port), (ip("2001:db8::10"), Some(50000)));
    assert_eq!((o.dst_ip, o.dst_port), (ip("2001:db8::7"), Some(443)));
    assert_eq!(o.transport, Some(Transport::Tcp));
    assert_eq!(o.outcome, Outcome::NoReply);
    assert_eq!(ms(o), T0 * 1000 + 250);
    assert_eq!(c.exporters(), 1);
}

/// softflowd's IPFIX: times in sysUpTime, the boot time in options data.
#[test]
fn ipfix_uptime_with_system_init_time() {
    let d: &[u8] = &[
        0x00, 0x0A, 0x00, 0x56, // IPFIX, length 86
        0x66, 0x31, 0x86, 0x00, // export time 1714521600
        0x00, 0x00, 0x00, 0x00, // sequence
        0x00, 0x00, 0x00, 0x00, // domain 0
        0x00, 0x03, 0x00, 0x12, // options template set, length 18
        0x01, 0x00, 0x00, 0x02, 0x00, 0x01, // template 256, 2 fields, 1 scope
        0x00, 0x8F, 0x00, 0x04, // meteringProcessId, 4 (scope)
        0x00, 0xA0, 0x00, 0x08, // systemInitTimeMilliseconds, 8
        0x00, 0x02, 0x00, 0x14, // template set, length 20
        0x01, 0x01, 0x00, 0x03, // template 257, 3 fields
        0x00, 0x08, 0x00, 0x04, // sourceIPv4Address
        0x00, 0x0C, 0x00, 0x04, // destinationIPv4Address
        0x00, 0x15, 0x00, 0x04, // flowEndSysUpTime
        0x01, 0x00, 0x00, 0x10, // options data, length 16
        0x00, 0x00, 0x00, 0x01, // meteringProcessId 1
        0x00, 0x00, 0x01, 0x8F, 0x31, 0x11, 0xC8, 0x00, // init: T0 - 6,400 s
        0x01, 0x01, 0x00, 0x10, // data, length 16
        192, 0, 2, 1, 192, 0, 2, 2, // addresses
        0x00, 0x00, 0x03, 0xE8, // flowEndSysUpTime: 1,000 ms
    ];
    assert_eq!(d.len(), 86);
    let mut c = collector();
    let obs = ok(c.feed(d, exporter("192.0.2.1:4739")));
    assert_eq!(obs.len(), 1);
    assert_eq!(ms(&obs[0]), (T0 - 6_400) * 1000 + 1_000);
    assert_eq!(obs[0].transport, None);
    assert_eq!(c.counts().skipped, 1, "the options record");
}

// ---------------------------------------------------------------------------
// Malformed datagrams

#[test]
fn malformed_datagrams_are_located_and_the_collector_goes_on() {
    let v9 = |sets: &[&[u8]]| {
        let mut d = v9_header(1, 0).to_vec();
        for s in sets {
            d.extend_from_slice(s);
        }
        d
    };
    let mut ipfix_bad_length = IPFIX.to_vec();
    ipfix_bad_length[3] = 0x7F; // message length 127, datagram 128
    let mut ipfix_zero_field = IPFIX.to_vec();
    ipfix_zero_field[30..32].copy_from_slice(&[0, 0]); // field[1] length 0
    let cases: Vec<(&str, Vec<u8>, u64, &str, ErrorKind)> = vec![
        ("empty", vec![], 0, "header.version", ErrorKind::Syntax),
        (
            "v5 header cut",
            V5[..10].to_vec(),
            10,
            "header",
            ErrorKind::Syntax,
        ),
        (
            "v5 record cut",
            V5[..24 + 30].to_vec(),
            54,
            "record[0]",
            ErrorKind::Syntax,
        ),
        ("v5 trailing", cat(&[V5, &[0]]), 120, "", ErrorKind::Syntax),
        (
            "v5 no records",
            cat(&[&[0, 5, 0, 0], &V5[4..24]]),
            2,
            "header.count",
            ErrorKind::Field,
        ),
        (
            "version 7",
            cat(&[&[0, 7], &V5[2..]]),
            0,
            "header.version",
            ErrorKind::Field,
        ),
        (
            "garbage",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            0,
            "header.version",
            ErrorKind::Field,
        ),
        (
            "v9 header only",
            v9_header(0, 0).to_vec(),
            20,
            "flowset[0]",
            ErrorKind::Syntax,
        ),
        (
            "v9 flowset length 2",
            v9(&[&[0x01, 0x00, 0x00, 0x02]]),
            22,
            "flowset[0].length",
            ErrorKind::Field,
        ),
        (
            "v9 flowset past the end",
            v9(&[&V9_TEMPLATE, &V9_DATA[..40]]),
            70,
            "flowset[1].length",
            ErrorKind::Syntax,
        ),
        (
            "v9 trailing bytes",
            v9(&[&V9_TEMPLATE, &[0, 0]]),
            68,
            "flowset[1]",
            ErrorKind::Syntax,
        ),
        (
            "v9 reserved flowset id",
            v9(&[&[0x00, 0x05, 0x00, 0x04]]),
            20,
            "flowset[0].id",
            ErrorKind::Field,
        ),
        (
            "v9 template id below 256",
            v9(&[&[0, 0, 0, 12, 0x00, 0x05, 0, 1, 0, 8, 0, 4]]),
            24,
            "flowset[0].template[0].id",
            ErrorKind::Field,
        ),
        (
            "v9 template fields past the set",
            v9(&[&[0, 0, 0, 12, 0x01, 0x00, 0, 2, 0, 8, 0, 4]]),
            32,
            "flowset[0].template[0].field[1]",
            ErrorKind::Syntax,
        ),
        (
            "v9 options template without scope",
            v9(&[&[0, 1, 0, 16, 0x01, 0x00, 0, 0, 0, 4, 0, 34, 0, 4, 0, 0]]),
            26,
            "flowset[0].options_template[0].scope_length",
            ErrorKind::Field,
        ),
        (
            "ipfix length mismatch",
            ipfix_bad_length,
            2,
            "header.length",
            ErrorKind::Syntax,
        ),
        (
            "ipfix cut",
            IPFIX[..100].to_vec(),
            2,
            "header.length",
            ErrorKind::Syntax,
        ),
        (
            "ipfix zero-length field",
            ipfix_zero_field,
            30,
            "set[0].template[0].field[1].length",
            ErrorKind::Field,
        ),
    ];

    let from = exporter("192.0.2.1:2055");
    let mut c = collector();
    let mut line = 0;
    for (name, d, offset, field, kind) in &cases {
        let e = err(c.feed(d, from));
        line += 1;
        assert_eq!(&*e.label, "192.0.2.1:2055", "{name}");
        assert_eq!(e.line, line, "{name}");
        assert_eq!(e.offset, *offset, "{name}: {e}");
        assert_eq!(
            e.error.field.as_deref().unwrap_or(""),
            *field,
            "{name}: {e}"
        );
        assert_eq!(e.error.kind, *kind, "{name}: {e}");
        // The next good datagram is read as usual.
        assert_eq!(ok(c.feed(V5, from)).len(), 2, "after {name}");
        line += 1;
    }
    let n = cases.len() as u64;
    assert_eq!(c.counts().malformed, n);
    assert_eq!(c.counts().ok, 2 * n);
    assert_eq!(c.netflow_counts().datagrams, 2 * n);
    assert_eq!(c.exporters(), 0, "a malformed datagram leaves no state");

    let shown = err(c.feed(&v9(&[&[0x01, 0x00, 0x00, 0x02]]), from)).to_string();
    assert_eq!(
        shown,
        format!(
            "192.0.2.1:2055:{}: flowset[0].length: length 2 is shorter than the 4-byte set header (byte 22)",
            2 * n + 1
        )
    );
}

/// A malformed datagram teaches no template.
#[test]
fn templates_of_a_malformed_datagram_are_not_learnt() {
    let from = exporter("192.0.2.1:2055");
    let mut c = collector();
    let bad = cat(&[&v9_header(2, 7), &V9_TEMPLATE, &[0x00, 0x05, 0x00, 0x04]]);
    err(c.feed(&bad, from));
    assert!(ok(c.feed(&cat(&[&v9_header(2, 7), &V9_DATA]), from)).is_empty());
    assert_eq!(c.netflow_counts().no_template, 1);
}

/// Arbitrary bytes, and valid datagrams cut or flipped anywhere: never a
/// panic, every error inside the datagram.
#[test]
fn junk_never_panics() {
    let v9 = cat(&[&v9_header(3, 7), &V9_TEMPLATE, &V9_DATA]);
    let samples: [&[u8]; 3] = [V5, &v9, IPFIX];
    let mut c = collector();
    let from = exporter("192.0.2.1:2055");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3000 {
        let mut d = samples[round % 3].to_vec();
        match round % 4 {
            0 => d.truncate(next() as usize % (d.len() + 1)),
            1 => {
                for _ in 0..1 + next() % 4 {
                    let i = next() as usize % d.len();
                    d[i] = next() as u8;
                }
            }
            2 => d = (0..next() % 200).map(|_| next() as u8).collect(),
            _ => {
                let i = next() as usize % d.len();
                d[i..].iter_mut().for_each(|b| *b = next() as u8);
            }
        }
        for item in c.feed(&d, from) {
            if let Err(e) = item {
                assert!(e.offset <= d.len() as u64, "{e}");
            }
        }
    }
    assert_eq!(c.netflow_counts().datagrams, 3000);
}

// ---------------------------------------------------------------------------
// A real exporter: softflowd reads a capture written here and exports it.

/// The capture: five flows, every kind of outcome.
fn capture() -> Vec<Packet> {
    let (client, web) = ([192, 0, 2, 10], [198, 51, 100, 7]);
    let (scanner, target) = ([203, 0, 113, 9], [192, 0, 2, 20]);
    let dns = [198, 51, 100, 53];
    let v6 = |last: u8| {
        let mut a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        a[15] = last;
        a
    };
    vec![
        // 1. A web connection: handshake, request, answer, close.
        Packet(0.00, tcp4(client, web, 40000, 443, SYN, b"")),
        Packet(0.05, tcp4(web, client, 443, 40000, SYN | ACK, b"")),
        Packet(0.10, tcp4(client, web, 40000, 443, ACK | PSH, b"hello")),
        Packet(0.15, tcp4(web, client, 443, 40000, ACK | PSH, b"world!")),
        Packet(0.20, tcp4(client, web, 40000, 443, FIN | ACK, b"")),
        Packet(0.25, tcp4(web, client, 443, 40000, FIN | ACK, b"")),
        Packet(0.30, tcp4(client, web, 40000, 443, ACK, b"")),
        // 2. A SYN nobody answers, sent twice, from the higher address.
        Packet(1.00, tcp4(scanner, target, 51515, 22, SYN, b"")),
        Packet(2.00, tcp4(scanner, target, 51515, 22, SYN, b"")),
        // 3. A SYN the server refuses.
        Packet(1.50, tcp4(scanner, target, 51516, 23, SYN, b"")),
        Packet(1.501, tcp4(target, scanner, 23, 51516, RST | ACK, b"")),
        // 4. A DNS query and its answer.
        Packet(
            3.00,
            ipv4_frame(client, dns, 17, &udp(53000, 53, &[0x42; 20])),
        ),
        Packet(
            3.01,
            ipv4_frame(dns, client, 17, &udp(53, 53000, &[0x42; 40])),
        ),
        // 5. An IPv6 datagram without answer.
        Packet(
            4.00,
            ipv6_frame(v6(0x10), v6(0x53), 17, &udp(5353, 53, &[0x42; 12])),
        ),
    ]
}

/// Runs softflowd over `pcap_file` exporting version `version` (plus `extra`
/// flags) to a socket of ours, and feeds every datagram to a new collector.
fn softflowd_export(
    softflowd: &std::path::Path,
    pcap_file: &std::path::Path,
    version: &str,
    extra: &[&str],
) -> (NetflowCollector, Vec<FlowRecord>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = socket.local_addr().unwrap();
    let stderr = pcap::softflowd_run(softflowd, pcap_file, to, version, extra);

    let mut c = collector();
    let mut obs = Vec::new();
    let mut datagrams = 0;
    let mut buf = vec![0u8; 65535];
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    while let Ok((n, from)) = socket.recv_from(&mut buf) {
        datagrams += 1;
        obs.extend(records(c.feed_flows(&buf[..n], from)));
    }
    assert!(
        datagrams > 0,
        "softflowd -v {version} sent nothing\n{stderr}"
    );
    (c, obs)
}

type Tuple = (IpAddr, u16, IpAddr, u16, Transport);

fn tuple(o: &Observation) -> Tuple {
    (
        o.src_ip.unwrap(),
        o.src_port.unwrap(),
        o.dst_ip.unwrap(),
        o.dst_port.unwrap(),
        o.transport.unwrap(),
    )
}

fn t(src: &str, sp: u16, dst: &str, dp: u16, tr: Transport) -> Tuple {
    (src.parse().unwrap(), sp, dst.parse().unwrap(), dp, tr)
}

/// The one-way flows of the capture, with the outcome each must have, its
/// packets and the capture time of its last packet.
fn one_way_flows(ipv6: bool) -> Vec<(Tuple, Outcome, u64, f64)> {
    use Transport::{Tcp, Udp};
    let mut flows = vec![
        (
            t("192.0.2.10", 40000, "198.51.100.7", 443, Tcp),
            Outcome::Answered,
            4,
            0.30,
        ),
        (
            t("198.51.100.7", 443, "192.0.2.10", 40000, Tcp),
            Outcome::Answered,
            3,
            0.25,
        ),
        (
            t("203.0.113.9", 51515, "192.0.2.20", 22, Tcp),
            Outcome::NoReply,
            2,
            2.00,
        ),
        (
            t("203.0.113.9", 51516, "192.0.2.20", 23, Tcp),
            Outcome::NoReply,
            1,
            1.50,
        ),
        (
            t("192.0.2.20", 23, "203.0.113.9", 51516, Tcp),
            Outcome::Rejected,
            1,
            1.501,
        ),
        (
            t("192.0.2.10", 53000, "198.51.100.53", 53, Udp),
            Outcome::Unknown,
            1,
            3.00,
        ),
        (
            t("198.51.100.53", 53, "192.0.2.10", 53000, Udp),
            Outcome::Unknown,
            1,
            3.01,
        ),
    ];
    if ipv6 {
        flows.push((
            t("2001:db8::10", 5353, "2001:db8::53", 53, Udp),
            Outcome::Unknown,
            1,
            4.00,
        ));
    }
    flows
}

fn check_flows(what: &str, recs: &[FlowRecord], want: &[(Tuple, Outcome, u64, f64)]) {
    let got: HashSet<Tuple> = recs.iter().map(|r| tuple(&r.observation)).collect();
    let expected: HashSet<Tuple> = want.iter().map(|w| w.0).collect();
    assert_eq!(got, expected, "{what}: the flows of the capture");
    assert_eq!(recs.len(), want.len(), "{what}: one record per flow");
    for (flow, outcome, packets, last) in want {
        let r = recs
            .iter()
            .find(|r| tuple(&r.observation) == *flow)
            .unwrap();
        let o = &r.observation;
        assert_eq!(o.outcome, *outcome, "{what}: outcome of {flow:?}");
        assert_eq!(r.packets, Some(*packets), "{what}: packets of {flow:?}");
        assert!(
            r.bytes.unwrap() >= 40 * packets,
            "{what}: bytes of {flow:?}"
        );
        assert_eq!(o.kind, Kind::Flow);
        // v9 headers have whole seconds only; allow a second either way.
        let end = (T0 as f64 + last) * 1000.0;
        let off = ms(o) as f64 - end;
        assert!(
            off.abs() <= 1000.0,
            "{what}: {flow:?} at {} ({off} ms off)",
            o.time
        );
    }
}

#[test]
fn softflowd_exports_are_read() {
    let Some(softflowd) = softflowd() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("sakimori-softflowd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("flows.pcap");
    std::fs::write(&file, pcap(T0, &capture())).unwrap();

    // NetFlow v5: IPv4 only.
    let (c, obs) = softflowd_export(&softflowd, &file, "5", &[]);
    check_flows("v5", &obs, &one_way_flows(false));
    assert_eq!(c.exporters(), 0);

    // NetFlow v9 and IPFIX: templates first, IPv6 too.
    for version in ["9", "10"] {
        let (c, obs) = softflowd_export(&softflowd, &file, version, &[]);
        check_flows(&format!("v{version}"), &obs, &one_way_flows(true));
        assert_eq!(c.exporters(), 1);
        assert_eq!(c.counts().malformed, 0);
        assert_eq!(c.netflow_counts().no_template, 0);
        assert!(c.counts().skipped >= 1, "softflowd sends options data");
    }

    // IPFIX biflows (-b): one record a connection, the initiator first.
    use Transport::{Tcp, Udp};
    let (_, obs) = softflowd_export(&softflowd, &file, "10", &["-b"]);
    let biflows = [
        (
            t("192.0.2.10", 40000, "198.51.100.7", 443, Tcp),
            Outcome::Answered,
            7,
            0.30,
        ),
        (
            t("203.0.113.9", 51515, "192.0.2.20", 22, Tcp),
            Outcome::NoReply,
            2,
            2.00,
        ),
        (
            t("203.0.113.9", 51516, "192.0.2.20", 23, Tcp),
            Outcome::Rejected,
            2,
            1.501,
        ),
        (
            t("192.0.2.10", 53000, "198.51.100.53", 53, Udp),
            Outcome::Answered,
            2,
            3.01,
        ),
        (
            t("2001:db8::10", 5353, "2001:db8::53", 53, Udp),
            Outcome::NoReply,
            1,
            4.00,
        ),
    ];
    check_flows("IPFIX biflow", &obs, &biflows);

    std::fs::remove_dir_all(&dir).ok();
}
