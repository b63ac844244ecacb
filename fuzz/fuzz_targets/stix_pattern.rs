//! STIX patterns come from every sharing partner: parsing must never panic, and the
//! canonical form of a pattern must parse back to the same pattern.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_core::pattern::{Observation, Pattern};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(pattern) = Pattern::parse(text) {
            let canonical = pattern.to_string();
            assert_eq!(Pattern::parse(&canonical).as_ref(), Ok(&pattern), "{canonical}");
            let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
            let observation = Observation {
                first_observed: at,
                last_observed: at,
                number_observed: 2,
                objects: vec![serde_json::json!({"type": "file", "id": "file--1", "name": "a"})],
            };
            let _ = pattern.matches(&[observation]);
        }
    }
});
