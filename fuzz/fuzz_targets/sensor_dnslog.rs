//! BIND and Unbound query logs come from servers outside our control: the
//! reader must never panic, and every error must be located.
#![no_main]
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use sakimori_sensor::{DnsLogParser, Reader, Sensor};

fuzz_target!(|data: &[u8]| {
    let parser = DnsLogParser::new(Sensor::new("fuzz", "fuzz"))
        .default_time(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let mut reader = Reader::with_parser(data, "fuzz", parser);
    for item in &mut reader {
        if let Err(e) = item {
            assert!(e.line >= 1 && e.line <= lines);
            assert!(e.offset <= data.len() as u64);
        }
    }
    assert!(reader.counts().total() <= lines);
});
