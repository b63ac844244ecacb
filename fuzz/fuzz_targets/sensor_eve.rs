//! Suricata EVE lines come from sensors outside our control: the reader must
//! never panic, and every error must be located inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_sensor::{EveReader, Sensor};

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let mut reader = EveReader::new(data, "fuzz", Sensor::new("fuzz", "fuzz")).max_line(4096);
    for item in &mut reader {
        if let Err(e) = item {
            assert!(e.line >= 1 && e.line <= lines);
            assert!(e.offset <= data.len() as u64);
        }
    }
    assert!(reader.counts().total() <= lines);
});
