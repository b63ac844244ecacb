//! Report bodies come from every organisation: parsing, checking and applying an
//! update must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_core::report::ReportFields;

fuzz_target!(|data: &[u8]| {
    if let Ok(fields) = serde_json::from_slice::<ReportFields>(data) {
        let _ = fields.check(chrono::Utc::now());
        let _ = fields.anonymise(None);
        if let Ok(patch) = serde_json::from_slice::<serde_json::Value>(data) {
            let _ = fields.apply(&patch);
        }
    }
});
