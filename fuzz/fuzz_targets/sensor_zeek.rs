//! Zeek logs (TSV with headers, or JSON lines) come from sensors outside our
//! control: the reader must never panic, and every error must be located.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_sensor::{Sensor, ZeekLog, ZeekReader};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the hint, so JSON without `_path` is exercised too.
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let hint = match pick % 7 {
        0 => Some(ZeekLog::Conn),
        1 => Some(ZeekLog::Dns),
        2 => Some(ZeekLog::Http),
        3 => Some(ZeekLog::Ssl),
        4 => Some(ZeekLog::Files),
        5 => Some(ZeekLog::Notice),
        _ => None,
    };
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let mut reader = ZeekReader::new(data, "fuzz", Sensor::new("fuzz", "fuzz"), hint);
    for item in &mut reader {
        if let Err(e) = item {
            assert!(e.line >= 1 && e.line <= lines);
            assert!(e.offset <= data.len() as u64);
        }
    }
    assert!(reader.counts().total() <= lines);
});
