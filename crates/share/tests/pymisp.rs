//! The MISP interchange checked by the reference tools: PyMISP must load our
//! export and see the fixture's content in it, the OASIS validator must find
//! our STIX valid, and PyMISP's re-serialisation must import back to the same
//! STIX. The Python side is `pymisp_roundtrip.py`, run with the test venv.

use sakimori_share::misp::{export_event, import_event};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn pymisp_and_the_stix_validator_accept_what_we_write() {
    let Some(python) = sakimori_store::testing::python() else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let fixture = dir.join("data/misp_event.json");
    let first = import_event(&std::fs::read(&fixture).unwrap()).unwrap();
    let exported = export_event(&first.objects, &first.handling, "NISC (demo)").unwrap();
    let input = json!({
        "fixture": fixture,
        "exported": exported,
        "stix": first.objects,
    });

    let mut child = Command::new(python)
        .arg(dir.join("pymisp_roundtrip.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the venv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pymisp_roundtrip.py failed:\n{stderr}"
    );
    eprintln!("{}", stderr.lines().last().unwrap_or_default());

    // What PyMISP wrote imports back to the very same STIX.
    let second = import_event(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.handling, first.handling);
    // PyMISP writes the bare event, so the paths lose their `Event.`.
    let bare: Vec<String> = first
        .warnings
        .iter()
        .map(|w| w.trim_start_matches("Event.").to_owned())
        .collect();
    assert_eq!(second.warnings, bare);
    let pattern = |objects: &[Value], id: &str| {
        objects
            .iter()
            .find(|o| o["id"] == id)
            .map(|o| o["pattern"].clone())
    };
    for o in first.objects.iter().filter(|o| o["type"] == "indicator") {
        let id = o["id"].as_str().unwrap();
        assert_eq!(
            pattern(&second.objects, id),
            Some(o["pattern"].clone()),
            "{id}"
        );
    }
    assert_eq!(same_instants(second.objects), same_instants(first.objects));
}

/// PyMISP parses `datetime` attribute values and writes them its own way
/// (`...09:00:00.000000+00:00` becomes `...09:00:00+00:00`): compare the instants.
fn same_instants(mut objects: Vec<Value>) -> Vec<Value> {
    for o in &mut objects {
        for a in o["x_misp_attributes"].as_array_mut().into_iter().flatten() {
            if a["type"] == "datetime" {
                let t = chrono::DateTime::parse_from_rfc3339(a["value"].as_str().unwrap()).unwrap();
                a["value"] = json!(t.timestamp_micros());
            }
        }
    }
    objects
}
