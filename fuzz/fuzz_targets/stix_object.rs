//! STIX objects arrive from any TAXII client and any peer: validating them,
//! extracting their observables and anonymising them must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_core::policy::sharing::anonymise;
use sakimori_core::stix;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let objects = match value.get("objects").and_then(|o| o.as_array()) {
            Some(list) => list.clone(),
            None => vec![value],
        };
        for o in &objects {
            let _ = stix::validate(o);
            let _ = stix::observable_values(o);
            let _ = anonymise(o, &["Asagiri Bank".to_owned()]);
        }
    }
});
