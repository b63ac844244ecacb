//! Registry CSV files come from outside: parsing and validation must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sakimori_core::registry::{self, RegistryDoc};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((doc, loc)) = registry::parse_csv(text) {
            let _ = registry::validate(&RegistryDoc::default(), &doc, &loc);
        }
    }
});
