//! NetFlow and IPFIX datagrams come from any host that can reach the
//! collector's port: the collector must never panic, must answer every
//! datagram with records or exactly one located error, and must keep going.
//!
//! The input is a sequence of datagrams, so that templates from one reach the
//! data of the next: each is `[exporter, length hi, length lo, bytes...]`
//! (exporter picks one of four sources), and a short or over-long length takes
//! what is left.
#![no_main]
use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sakimori_sensor::{NetflowCollector, Sensor};

fuzz_target!(|data: &[u8]| {
    let exporters: [SocketAddr; 4] = [
        "192.0.2.1:2055".parse().unwrap(),
        "192.0.2.1:4739".parse().unwrap(),
        "192.0.2.2:2055".parse().unwrap(),
        "[2001:db8::1]:2055".parse().unwrap(),
    ];
    let mut collector = NetflowCollector::new(Sensor::new("fuzz", "fuzz")).max_exporters(2);
    let mut rest = data;
    let mut fed = 0u64;
    while rest.len() >= 3 {
        let exporter = exporters[usize::from(rest[0] % 4)];
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
        let body = &rest[3..];
        let (datagram, next) = body.split_at(len.min(body.len()));
        rest = next;
        fed += 1;
        let out = collector.feed(datagram, exporter);
        let errors = out.iter().filter(|r| r.is_err()).count();
        assert!(
            errors == 0 || out.len() == 1,
            "one error per malformed datagram"
        );
        for item in out {
            if let Err(e) = item {
                assert_eq!(e.line, fed);
                assert!(e.offset <= datagram.len() as u64);
                assert_eq!(&*e.label, exporter.to_string());
            }
        }
    }
    assert_eq!(collector.netflow_counts().datagrams, fed);
    assert!(collector.counts().malformed <= fed);
    assert!(collector.exporters() <= 2);
});
