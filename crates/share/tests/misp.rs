//! MISP interchange against a realistic event (`data/misp_event.json`, shaped
//! like MISP's own JSON export): what the import makes, that a round trip
//! through the export loses nothing, and that bad input is refused with the
//! path of the problem.

use sakimori_core::tlp::Tlp;
use sakimori_share::misp::{
    export_event, export_event_with_warnings, import_event, Handling, Imported,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const FIXTURE: &str = include_str!("data/misp_event.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

fn import(v: &Value) -> Imported {
    import_event(v.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn find<'a>(objects: &'a [Value], id: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn green_in(community: &str) -> Handling {
    Handling {
        tlp: Tlp::Green,
        community: Some(community.into()),
    }
}

/// What a MISP attribute is, for comparing events: type, value, category, to_ids, comment, tags.
type Key = (String, String, String, bool, String, Vec<String>);

/// A MISP object: name, comment, attributes with their relation.
type ObjectKey = (String, String, BTreeSet<(String, Key)>);

fn attribute_key(a: &Value) -> Key {
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
    let tags = a["Tag"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    (
        s("type"),
        s("value"),
        s("category"),
        a["to_ids"].as_bool().unwrap(),
        s("comment"),
        tags,
    )
}

fn attributes(event: &Value) -> BTreeSet<Key> {
    event["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(attribute_key)
        .collect()
}

fn objects(event: &Value) -> BTreeSet<ObjectKey> {
    event["Event"]["Object"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let attrs = o["Attribute"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["object_relation"].as_str().unwrap().to_owned(),
                        attribute_key(a),
                    )
                })
                .collect();
            (
                o["name"].as_str().unwrap().to_owned(),
                o["comment"].as_str().unwrap().to_owned(),
                attrs,
            )
        })
        .collect()
}

fn tags(event: &Value) -> BTreeSet<String> {
    event["Event"]["Tag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_fixture_imports_as_stix_2_1() {
    let imported = import(&fixture());
    assert_eq!(imported.handling, green_in("CEPTOAR Electricity"));
    assert_eq!(imported.warnings.len(), 2, "{:?}", imported.warnings);
    assert!(imported.warnings[0]
        .starts_with("Event.Attribute[12]: attribute type \"ja3-fingerprint-md5\""));
    assert!(imported.warnings[1].starts_with("Event.Attribute[14]: attribute type \"text\""));
    let o = &imported.objects;

    for obj in o {
        assert_eq!(obj["spec_version"], "2.1", "{obj}");
        let (ty, uuid) = obj["id"].as_str().unwrap().split_once("--").unwrap();
        assert_eq!(obj["type"], ty);
        assert!(uuid::Uuid::parse_str(uuid).is_ok());
        let is_sco = obj.get("created").is_none();
        if !is_sco {
            assert!(obj["modified"].as_str().unwrap().ends_with(".000Z"));
            assert!(obj["modified"].as_str() >= obj["created"].as_str());
        }
        if !is_sco && ty != "identity" {
            assert_eq!(
                obj["object_marking_refs"],
                json!([Tlp::Green.stix_marking_id()]),
                "{obj}"
            );
        }
    }

    let report = find(o, "report--4c069fdc-38d4-46e1-9cb0-2c2d7f9cd531");
    assert_eq!(
        report["name"],
        "Spearphishing against electricity operators with invoice lures (fictional)"
    );
    assert_eq!(report["published"], "2024-05-01T00:00:00.000Z");
    assert_eq!(
        report["created_by_ref"],
        "identity--c80c4fe9-ad5e-4bd4-829a-79554ad03b57"
    );
    assert_eq!(
        find(o, "identity--c80c4fe9-ad5e-4bd4-829a-79554ad03b57")["name"],
        "JPCERT/CC (demo)"
    );
    assert_eq!(
        report["labels"],
        json!([
            "misp-galaxy:mitre-attack-pattern=\"Spearphishing Attachment - T1566.001\"",
            "circl:incident-classification=\"phishing\"",
            "estimative-language:confidence-in-analytic-judgment=\"moderate\""
        ])
    );
    let refs: BTreeSet<&str> = report["object_refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let others: BTreeSet<&str> = o
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .filter(|id| !id.starts_with("report--"))
        .collect();
    assert_eq!(
        refs, others,
        "the report refers to everything the import made"
    );

    let pattern = |id: &str| find(o, id)["pattern"].as_str().unwrap().to_owned();
    assert_eq!(
        pattern("indicator--96383672-0646-4e37-98fa-40934665bca1"),
        "[ipv4-addr:value = '198.51.100.23']"
    );
    assert_eq!(
        pattern("indicator--5675dae1-c28e-4005-8a73-5a20d87a7804"),
        "[ipv4-addr:value = '203.0.113.0/24']"
    );
    assert_eq!(
        pattern("indicator--7ed2fa06-b730-4d5f-948b-926e8639309d"),
        "[file:name = '請求書_2024年5月.lnk' AND file:hashes.'SHA-256' = '3b0c8f1f2e9c1d77a9e4f6c5d2b8a1e0f9c7d6b5a4e3f2c1d0b9a8f7e6d5c4b3']"
    );
    assert_eq!(
        pattern("indicator--2440cb34-c5f5-465f-b857-a97176134a37"),
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.23' AND network-traffic:dst_port = 8443]"
    );
    let url = find(o, "indicator--326b5b24-8f80-4aa9-9bb2-1c035314bbfc");
    assert_eq!(url["labels"], json!(["kill-chain:Delivery"]));
    assert_eq!(url["description"], "Download link in the e-mail");
    assert_eq!(url["valid_from"], "2024-05-01T12:00:00.000Z");
    assert_eq!(url["indicator_types"], json!(["malicious-activity"]));
    let snort = find(o, "indicator--614577bd-41eb-4361-8580-080151a84307");
    assert_eq!(snort["pattern_type"], "snort");

    // to_ids false: an observation and its SCOs.
    let hostname = find(o, "observed-data--c5b323ff-1fc9-4726-bd9d-3d4643d66b48");
    let sco = find(o, hostname["object_refs"][0].as_str().unwrap());
    assert_eq!(
        (sco["type"].as_str(), sco["value"].as_str()),
        (Some("domain-name"), Some("mail.update-denki.example"))
    );
    let domain_ip = find(o, "observed-data--7733ba33-489a-4c95-aa8b-c9e8086678af");
    let domain = find(o, domain_ip["object_refs"][0].as_str().unwrap());
    let ip = find(o, domain["resolves_to_refs"][0].as_str().unwrap());
    assert_eq!(
        (ip["type"].as_str(), ip["value"].as_str()),
        (Some("ipv6-addr"), Some("2001:db8:85a3::8a2e:370:7334"))
    );

    // The JA3 fingerprint has no STIX property: a custom object that gives it back.
    let ja3 = find(o, "x-misp-attribute--0ef37bbd-61c0-4fca-983c-0c565510497c");
    assert_eq!(ja3["x_misp_value"], "e7d705a3286e19ea42f587b344ee6865");
    assert_eq!(ja3["x_misp_to_ids"], true);

    // MISP objects: the file object has to_ids attributes, the domain-ip object none.
    let file = find(o, "indicator--06929692-3033-4c01-8b97-957c9ecbb1ab");
    assert_eq!(file["x_misp_object_name"], "file");
    assert_eq!(
        file["pattern"],
        "[file:name = 'svchost_update.exe' AND file:hashes.'SHA-256' = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8' \
         AND file:hashes.'MD5' = '098f6bcd4621d373cade4e832627b4f6' AND file:size = 245760]"
    );
    let pdns = find(o, "observed-data--62c5c24a-b6bd-4894-987f-e4d6759dcf7b");
    assert_eq!(pdns["x_misp_object_name"], "domain-ip");
    let domain = find(o, pdns["object_refs"][0].as_str().unwrap());
    assert_eq!(domain["value"], "update-denki.example");
    assert_eq!(domain["resolves_to_refs"].as_array().unwrap().len(), 2);

    let attack = find(o, "attack-pattern--2e34237d-8574-43f6-aaf5-b1e4b5c7ecea");
    assert_eq!(attack["name"], "Spearphishing Attachment");
    assert_eq!(attack["external_references"][0]["external_id"], "T1566.001");
    assert_eq!(
        attack["external_references"][0]["source_name"],
        "mitre-attack"
    );
    assert_eq!(
        attack["kill_chain_phases"],
        json!([{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}])
    );
}

#[test]
fn importing_again_gives_the_same_objects() {
    assert_eq!(import(&fixture()).objects, import(&fixture()).objects);
    // A bare event (no {"Event": ...} wrapper) is the same event.
    assert_eq!(
        import(&fixture()["Event"]).objects,
        import(&fixture()).objects
    );
}

#[test]
fn a_round_trip_keeps_attributes_objects_tags_tlp_and_community() {
    let first = import(&fixture());
    let exported =
        export_event_with_warnings(&first.objects, &first.handling, "NISC (demo)").unwrap();
    assert!(exported.warnings.is_empty(), "{:?}", exported.warnings);
    let event = &exported.event;
    assert_eq!(attributes(event), attributes(&fixture()));
    assert_eq!(objects(event), objects(&fixture()));
    assert_eq!(tags(event), tags(&fixture()));
    assert_eq!(event["Event"]["distribution"], "4");
    assert_eq!(
        event["Event"]["SharingGroup"]["name"],
        "CEPTOAR Electricity"
    );
    assert_eq!(event["Event"]["Orgc"]["name"], "JPCERT/CC (demo)");
    assert_eq!(event["Event"]["Org"]["name"], "NISC (demo)");
    assert_eq!(event["Event"]["date"], "2024-05-01");
    assert_eq!(event["Event"]["uuid"], fixture()["Event"]["uuid"]);
    assert_eq!(
        event["Event"]["Galaxy"][0]["GalaxyCluster"][0]["value"],
        "Spearphishing Attachment - T1566.001"
    );

    let second = import(event);
    assert_eq!(second.handling, first.handling);
    assert_eq!(second.warnings, first.warnings);
    assert_eq!(
        second.objects, first.objects,
        "the STIX survives the round trip unchanged"
    );
}

#[test]
fn tlp_comes_from_tags_first_then_distribution() {
    let with = |tags: &[&str], distribution: Value| {
        let mut e = fixture();
        e["Event"]["Tag"] = json!(tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>());
        e["Event"]["distribution"] = distribution;
        import(&e).handling
    };
    let plain = |tlp| Handling {
        tlp,
        community: None,
    };
    assert_eq!(with(&[], json!("0")), plain(Tlp::AmberStrict));
    assert_eq!(with(&[], json!(1)), plain(Tlp::Green));
    assert_eq!(with(&[], json!("2")), plain(Tlp::Green));
    assert_eq!(with(&[], json!("3")), plain(Tlp::Clear));
    assert_eq!(with(&[], json!("4")), green_in("CEPTOAR Electricity"));
    assert_eq!(with(&["tlp:white"], json!("0")), plain(Tlp::Clear));
    assert_eq!(with(&["tlp:clear"], json!("0")), plain(Tlp::Clear));
    assert_eq!(with(&["TLP:AMBER"], json!("3")), plain(Tlp::Amber));
    assert_eq!(
        with(&["tlp:amber+strict"], json!("3")),
        plain(Tlp::AmberStrict)
    );
    assert_eq!(
        with(&["tlp:red"], json!("4")),
        Handling {
            tlp: Tlp::Red,
            community: Some("CEPTOAR Electricity".into())
        }
    );
    // Two TLP tags: the stricter one, with a warning.
    let mut e = fixture();
    e["Event"]["Tag"] = json!([{"name": "tlp:green"}, {"name": "tlp:amber"}]);
    let imported = import(&e);
    assert_eq!(imported.handling.tlp, Tlp::Amber);
    assert!(imported
        .warnings
        .iter()
        .any(|w| w.contains("several TLP tags")));
    // Neither: the strictest reading MISP's distribution allows, said aloud.
    let mut e = fixture();
    e["Event"]["Tag"] = json!([]);
    e["Event"].as_object_mut().unwrap().remove("distribution");
    let imported = import(&e);
    assert_eq!(imported.handling, plain(Tlp::AmberStrict));
    assert!(imported
        .warnings
        .iter()
        .any(|w| w.starts_with("Event.distribution: no TLP tag")));
}

#[test]
fn export_maps_every_tlp_to_a_distribution_and_back() {
    let objects = import(&fixture()).objects;
    for (handling, distribution) in [
        (
            Handling {
                tlp: Tlp::Clear,
                community: None,
            },
            "3",
        ),
        (
            Handling {
                tlp: Tlp::Green,
                community: None,
            },
            "1",
        ),
        (green_in("Water ISAC"), "4"),
        (
            Handling {
                tlp: Tlp::Amber,
                community: None,
            },
            "0",
        ),
        (
            Handling {
                tlp: Tlp::AmberStrict,
                community: None,
            },
            "0",
        ),
        (
            Handling {
                tlp: Tlp::Red,
                community: None,
            },
            "0",
        ),
    ] {
        let event = export_event(&objects, &handling, "NISC (demo)").unwrap();
        assert_eq!(event["Event"]["distribution"], distribution, "{handling:?}");
        let tlp_tags: Vec<String> = tags(&event)
            .into_iter()
            .filter(|t| t.starts_with("tlp:"))
            .collect();
        assert_eq!(tlp_tags, vec![handling.tlp.label().to_ascii_lowercase()]);
        assert_eq!(import(&event).handling, handling, "back again");
    }
    let sg =
        &export_event(&objects, &green_in("Water ISAC"), "x").unwrap()["Event"]["SharingGroup"];
    let again =
        &export_event(&objects, &green_in("Water ISAC"), "y").unwrap()["Event"]["SharingGroup"];
    assert_eq!(
        sg["uuid"], again["uuid"],
        "a community's sharing group uuid is derived from its name"
    );
    assert_eq!(
        uuid::Uuid::parse_str(sg["uuid"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        5
    );
    // MISP cannot share AMBER in a sharing group: organisation only, and a warning.
    let amber = Handling {
        tlp: Tlp::Amber,
        community: Some("Water ISAC".into()),
    };
    let ex = export_event_with_warnings(&objects, &amber, "x").unwrap();
    assert_eq!(ex.event["Event"]["distribution"], "0");
    assert!(ex.event["Event"].get("SharingGroup").is_none());
    assert!(ex
        .warnings
        .iter()
        .any(|w| w.contains("no sharing group for TLP:AMBER")));
}

#[test]
fn an_attribute_is_never_shared_wider_than_its_own_marking() {
    let mut e = fixture();
    e["Event"]["Attribute"][0]["Tag"] = json!([{"name": "tlp:red"}, {"name": "c2"}]);
    e["Event"]["Attribute"][1]["distribution"] = json!("0");
    e["Event"]["Attribute"][2]["distribution"] = json!("3");
    let imported = import(&e);
    let marking = |id: &str| find(&imported.objects, id)["object_marking_refs"][0].clone();
    assert_eq!(
        marking("indicator--96383672-0646-4e37-98fa-40934665bca1"),
        Tlp::Red.stix_marking_id()
    );
    assert_eq!(
        find(
            &imported.objects,
            "indicator--96383672-0646-4e37-98fa-40934665bca1"
        )["labels"],
        json!(["c2"])
    );
    assert_eq!(
        marking("indicator--5675dae1-c28e-4005-8a73-5a20d87a7804"),
        Tlp::AmberStrict.stix_marking_id()
    );
    assert_eq!(
        marking("indicator--6b39b3e6-9acb-4229-af41-8c5495bcf8e6"),
        Tlp::Green.stix_marking_id(),
        "not wider than the event"
    );

    let event = export_event(&imported.objects, &imported.handling, "NISC (demo)").unwrap();
    let a = &event["Event"]["Attribute"][0];
    assert_eq!(a["distribution"], "0");
    assert_eq!(a["Tag"], json!([{"name": "c2"}, {"name": "tlp:red"}]));
    assert_eq!(event["Event"]["Attribute"][2]["distribution"], "5");
    assert_eq!(import(&event).objects, imported.objects);
}

#[test]
fn foreign_stix_exports_with_misp_defaults() {
    let marking = |t: &str| json!([t]);
    let objects = vec![
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
               "created": "2024-06-01T00:00:00Z", "modified": "2024-06-02T00:00:00Z", "valid_from": "2024-06-01T00:00:00Z",
               "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
               "object_marking_refs": marking("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82")}),
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--0d4b7a3a-3b7b-4b5e-9d5e-4a8f0c1e2d3f",
               "created": "2024-06-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z", "valid_from": "2024-06-01T00:00:00Z",
               "pattern": "[url:value = 'http://a.example/' OR url:value = 'http://b.example/']", "pattern_type": "stix"}),
        json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--6a5e2f1c-4d3b-4a2e-8f1d-0c9b8a7e6d5c",
               "created": "2024-06-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z",
               "first_observed": "2024-06-01T00:00:00Z", "last_observed": "2024-06-01T00:00:00Z", "number_observed": 1,
               "object_refs": ["file--5a3e1f0c-2b4d-5e6f-8a9b-0c1d2e3f4a5b"]}),
        json!({"type": "file", "spec_version": "2.1", "id": "file--5a3e1f0c-2b4d-5e6f-8a9b-0c1d2e3f4a5b",
               "name": "a.exe", "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}}),
        json!({"type": "email-addr", "spec_version": "2.1", "id": "email-addr--1b2c3d4e-5f60-5a7b-8c9d-0e1f2a3b4c5d",
               "value": "x@example.org"}),
        json!({"type": "malware", "spec_version": "2.1", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc",
               "created": "2024-06-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z", "name": "Demo", "is_family": true}),
    ];
    let ex = export_event_with_warnings(
        &objects,
        &Handling {
            tlp: Tlp::Green,
            community: None,
        },
        "NISC (demo)",
    )
    .unwrap();
    let event = &ex.event["Event"];
    assert_eq!(event["info"], "Sakimori export");
    assert_eq!(event["date"], "2024-06-02");
    assert_eq!(event["Orgc"]["name"], "NISC (demo)");
    let got: Vec<(String, String, bool, Vec<String>)> = event["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let (ty, value, _, to_ids, _, tags) = attribute_key(a);
            (ty, value, to_ids, tags)
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        vec![
            (s("ip-dst"), s("192.0.2.1"), true, vec![s("tlp:amber")]),
            (
                s("stix2-pattern"),
                s("[url:value = 'http://a.example/' OR url:value = 'http://b.example/']"),
                true,
                vec![]
            ),
            (
                s("filename|md5"),
                s("a.exe|d41d8cd98f00b204e9800998ecf8427e"),
                false,
                vec![]
            ),
            (s("email"), s("x@example.org"), false, vec![]),
        ]
    );
    assert_eq!(
        event["Attribute"][0]["distribution"], "0",
        "TLP 1.0 AMBER on a GREEN event: organisation only"
    );
    assert_eq!(event["Attribute"][0]["category"], "Network activity");
    assert_eq!(ex.warnings.len(), 3, "{:?}", ex.warnings);
    assert!(ex.warnings[0].starts_with("no report"));
    assert!(ex.warnings[1].starts_with("objects[1]: the pattern is not one MISP attribute"));
    assert!(ex.warnings[2].starts_with("objects[5]: a malware has no MISP form"));
}

#[test]
fn deleted_attributes_and_objects_are_not_imported() {
    let mut e = fixture();
    e["Event"]["Attribute"][0]["deleted"] = json!(true);
    e["Event"]["Object"][1]["deleted"] = json!("1");
    e["Event"]["Object"][0]["Attribute"][2]["deleted"] = json!(true);
    let objects = import(&e).objects;
    let has = |id: &str| objects.iter().any(|o| o["id"] == id);
    assert!(!has("indicator--96383672-0646-4e37-98fa-40934665bca1"));
    assert!(!has("observed-data--62c5c24a-b6bd-4894-987f-e4d6759dcf7b"));
    let file = find(&objects, "indicator--06929692-3033-4c01-8b97-957c9ecbb1ab");
    assert!(!file["pattern"].as_str().unwrap().contains("MD5"));
    assert_eq!(file["x_misp_attributes"].as_array().unwrap().len(), 3);
}

#[test]
fn patterns_misp_cannot_hold_export_as_stix2_pattern() {
    let pattern = "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'a.example' AND network-traffic:dst_port = 443]";
    let objects = vec![json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2024-06-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z", "valid_from": "2024-06-01T00:00:00Z",
        "pattern": pattern, "pattern_type": "stix",
    })];
    let handling = Handling {
        tlp: Tlp::Clear,
        community: None,
    };
    let ex = export_event_with_warnings(&objects, &handling, "x").unwrap();
    let a = &ex.event["Event"]["Attribute"][0];
    assert_eq!(
        (a["type"].as_str(), a["value"].as_str()),
        (Some("stix2-pattern"), Some(pattern))
    );
    assert_eq!(a["category"], "Payload installation");
    // ... and come back as the same indicator pattern.
    let back = import(&ex.event);
    assert_eq!(
        find(
            &back.objects,
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        )["pattern"],
        pattern
    );
}

/// Each (change to the fixture, the error it must give).
#[test]
fn import_errors_name_the_path() {
    type Edit = fn(&mut Value);
    let cases: Vec<(Edit, &str)> = vec![
        (|e| e["Event"].as_object_mut().unwrap().clear(), "Event.info: missing"),
        (|e| e["Event"]["info"] = json!(7), "Event.info: expected a string"),
        (|e| e["Event"]["Attribute"][3]["type"] = json!(5), "Event.Attribute[3].type: expected a string"),
        (|e| drop(e["Event"]["Attribute"][3].as_object_mut().unwrap().remove("value")), "Event.Attribute[3].value: missing"),
        (|e| e["Event"]["Attribute"][0]["value"] = json!("not-an-ip"), "Event.Attribute[0].value: not an IP address or CIDR block: \"not-an-ip\""),
        (|e| e["Event"]["Attribute"][5]["value"] = json!("abc"), "Event.Attribute[5].value: not a SHA-256 hash (64 hex digits): \"abc\""),
        (|e| e["Event"]["Attribute"][10]["value"] = json!("198.51.100.23"), "Event.Attribute[10].value: a ip-dst|port value is written a|b, found \"198.51.100.23\""),
        (|e| e["Event"]["Attribute"][10]["value"] = json!("198.51.100.23|http"), "Event.Attribute[10].value: not a port: \"http\""),
        (|e| e["Event"]["Attribute"][8]["value"] = json!("billing"), "Event.Attribute[8].value: not an e-mail address: \"billing\""),
        (|e| e["Event"]["Attribute"][0]["uuid"] = json!("xyz"), "Event.Attribute[0].uuid: not a UUID: \"xyz\""),
        (|e| e["Event"]["Attribute"][0]["to_ids"] = json!("maybe"), "Event.Attribute[0].to_ids: expected a boolean, found \"maybe\""),
        (|e| e["Event"]["Attribute"][0]["timestamp"] = json!("yesterday"), "Event.Attribute[0].timestamp: expected an integer, found \"yesterday\""),
        (|e| e["Event"]["Attribute"][0]["timestamp"] = json!(i64::MAX), "Event.Attribute[0].timestamp: 9223372036854775807 is not a timestamp"),
        (|e| e["Event"]["Attribute"][0]["distribution"] = json!("9"), "Event.Attribute[0].distribution: 9 is not a distribution level (0 to 5)"),
        (|e| e["Event"]["Attribute"][4]["Tag"][0] = json!({}), "Event.Attribute[4].Tag[0].name: missing"),
        (|e| e["Event"]["Attribute"] = json!({}), "Event.Attribute: expected an array"),
        (|e| e["Event"]["distribution"] = json!("5"), "Event.distribution: 5 (inherit) is only valid on attributes and objects"),
        (|e| e["Event"]["distribution"] = json!(-1), "Event.distribution: -1 is not a distribution level (0 to 4)"),
        (|e| drop(e["Event"].as_object_mut().unwrap().remove("SharingGroup")), "Event.SharingGroup.name: missing"),
        (|e| e["Event"]["date"] = json!("01/05/2024"), "Event.date: not a date (YYYY-MM-DD): \"01/05/2024\""),
        (|e| {
            let ev = e["Event"].as_object_mut().unwrap();
            ev.remove("date");
            ev.remove("timestamp");
        }, "Event.date: missing (and no timestamp)"),
        (|e| {
            let ev = e["Event"].as_object_mut().unwrap();
            ev.remove("Orgc");
            ev.remove("Org");
        }, "Event.Orgc.name: missing"),
        (|e| e["Event"]["Orgc"]["uuid"] = json!("0"), "Event.Orgc.uuid: not a UUID: \"0\""),
        (|e| e["Event"]["threat_level_id"] = json!("9"), "Event.threat_level_id: 9 is not in 1..=4"),
        (|e| e["Event"]["Tag"] = json!("tlp:red"), "Event.Tag: expected an array"),
        (|e| drop(e["Event"]["Object"][0].as_object_mut().unwrap().remove("name")), "Event.Object[0].name: missing"),
        (|e| drop(e["Event"]["Object"][0]["Attribute"][1].as_object_mut().unwrap().remove("object_relation")), "Event.Object[0].Attribute[1].object_relation: missing"),
        (|e| e["Event"]["Object"][1]["Attribute"][1]["value"] = json!("999.1.1.1"), "Event.Object[1].Attribute[1].value: not an IP address or CIDR block: \"999.1.1.1\""),
        (|e| e["Event"]["Object"][0]["Attribute"][3]["value"] = json!("-1"), "Event.Object[0].Attribute[3].value: not a size in bytes: \"-1\""),
        (|e| drop(e["Event"]["Galaxy"][0]["GalaxyCluster"][0].as_object_mut().unwrap().remove("value")), "Event.Galaxy[0].GalaxyCluster[0].value: missing"),
        (|e| e["Event"]["Galaxy"][0]["GalaxyCluster"][0]["meta"]["external_id"] = json!(5), "Event.Galaxy[0].GalaxyCluster[0].meta.external_id: expected an array"),
        (|e| *e = e["Event"].clone(), ""), // the bare event is fine
        (|e| {
            *e = e["Event"].clone();
            e["Attribute"][2]["value"] = json!(null);
        }, "Attribute[2].value: missing"),
        (|e| *e = json!([1, 2]), "$: not a MISP event: expected {\"Event\": {...}} or an event with \"info\""),
        (|e| *e = json!({"Event": []}), "Event: expected an object"),
    ];
    for (i, (edit, want)) in cases.into_iter().enumerate() {
        let mut e = fixture();
        edit(&mut e);
        match import_event(e.to_string().as_bytes()) {
            Ok(_) => assert_eq!(want, "", "case {i}: imported, expected {want:?}"),
            Err(err) => assert_eq!(err.to_string(), want, "case {i}"),
        }
    }
    let err = import_event(b"{\"Event\": ").unwrap_err();
    assert_eq!(err.path, "$");
    assert!(
        err.problem.starts_with("not JSON: EOF while parsing"),
        "{err}"
    );
}

#[test]
fn export_errors_name_the_path() {
    let objects = import(&fixture()).objects;
    let handling = green_in("CEPTOAR Electricity");
    type Edit = fn(&mut Vec<Value>);
    let cases: Vec<(Edit, &str)> = vec![
        (|o| o[2] = json!(5), "objects[2]: expected a STIX object"),
        (|o| drop(o[0].as_object_mut().unwrap().remove("type")), "objects[0].type: missing"),
        (|o| o[1]["id"] = json!("indicator--4c069fdc-38d4-46e1-9cb0-2c2d7f9cd531"), "objects[1].id: not a STIX id of a report: \"indicator--4c069fdc-38d4-46e1-9cb0-2c2d7f9cd531\""),
        (|o| o[1]["id"] = json!("report--1"), "objects[1].id: not a STIX id of a report: \"report--1\""),
        (|o| o[1]["modified"] = json!("yesterday"), "objects[1].modified: not a STIX timestamp: \"yesterday\""),
        (|o| o[1]["labels"] = json!("phishing"), "objects[1].labels: expected an array"),
        (|o| drop(o[2].as_object_mut().unwrap().remove("pattern")), "objects[2].pattern: missing"),
        (|o| o[2]["labels"] = json!([1]), "objects[2].labels[0]: expected a string"),
        (|o| o[5]["object_refs"] = json!({}), "objects[5].object_refs: expected an array"),
        (|o| drop(o[19].as_object_mut().unwrap().remove("x_misp_value")), "objects[19].x_misp_value: missing"),
        (|o| o[22]["x_misp_attributes"][1]["to_ids"] = json!("often"), "objects[22].x_misp_attributes[1].to_ids: expected a boolean, found \"often\""),
        (|o| drop(o[22]["x_misp_attributes"][0].as_object_mut().unwrap().remove("object_relation")), "objects[22].x_misp_attributes[0].object_relation: missing"),
        (|o| o[27]["kill_chain_phases"] = json!([{"phase_name": "x"}]), "objects[27].kill_chain_phases[0].kill_chain_name: missing"),
    ];
    assert_eq!(objects[19]["type"], "x-misp-attribute");
    assert_eq!(objects[22]["x_misp_object_name"], "file");
    assert_eq!(objects[27]["type"], "attack-pattern");
    for (i, (edit, want)) in cases.into_iter().enumerate() {
        let mut o = objects.clone();
        edit(&mut o);
        let err = export_event(&o, &handling, "NISC (demo)").unwrap_err();
        assert_eq!(err.to_string(), want, "case {i}");
    }
    assert_eq!(
        export_event(&objects, &handling, " ")
            .unwrap_err()
            .to_string(),
        "org_name: empty"
    );
    assert_eq!(
        export_event(&objects, &green_in(""), "x")
            .unwrap_err()
            .to_string(),
        "handling.community: empty"
    );
}

/// Every value of the fixture replaced by every wrong kind of JSON value:
/// an error or an import, never a panic; likewise for the export.
#[test]
fn malformed_input_never_panics() {
    fn paths(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| paths(x, [at.clone(), vec![json!(k)]].concat(), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| paths(x, [at.clone(), vec![json!(i)]].concat(), out)),
            _ => {}
        }
    }
    fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
        path.iter().fold(v, |v, k| match k {
            Value::String(k) => &mut v[k.as_str()],
            k => &mut v[k.as_u64().unwrap() as usize],
        })
    }
    let wrong = [
        json!(null),
        json!(-7),
        json!("x|y"),
        json!([]),
        json!({}),
        json!(1e300),
    ];
    let event = fixture();
    let mut all = Vec::new();
    paths(&event, Vec::new(), &mut all);
    for path in &all {
        for w in &wrong {
            let mut e = event.clone();
            *at(&mut e, path) = w.clone();
            let _ = import_event(e.to_string().as_bytes());
        }
    }
    let objects = Value::Array(import(&event).objects);
    let handling = green_in("CEPTOAR Electricity");
    let mut all = Vec::new();
    paths(&objects, Vec::new(), &mut all);
    for path in all.iter().filter(|p| !p.is_empty()) {
        for w in &wrong {
            let mut o = objects.clone();
            *at(&mut o, path) = w.clone();
            let _ = export_event(o.as_array().unwrap(), &handling, "NISC (demo)");
        }
    }
}
