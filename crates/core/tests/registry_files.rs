//! The shipped registry files parse and validate, and bad files are refused with
//! the line and field of the problem.

use sakimori_core::registry::{self, Format, RegistryDoc};

const REFERENCE: &str = include_str!("../../../data/reference/registry.yaml");
const DEMO: &str = include_str!("../../../data/demo/constituency.yaml");

fn reference() -> RegistryDoc {
    let (doc, loc) = registry::parse_yaml(REFERENCE).expect("reference parses");
    let plan =
        registry::validate(&RegistryDoc::default(), &doc, &loc).expect("reference validates");
    RegistryDoc {
        sectors: plan.sectors,
        organisations: plan.organisations,
        communities: plan.communities,
    }
}

fn errors_of(existing: &RegistryDoc, text: &str, format: Format) -> Vec<String> {
    match registry::parse(text, format) {
        Err(e) => vec![e.to_string()],
        Ok((doc, loc)) => match registry::validate(existing, &doc, &loc) {
            Ok(_) => vec![],
            Err(errs) => errs.iter().map(ToString::to_string).collect(),
        },
    }
}

#[test]
fn reference_has_fifteen_sectors_with_ministries_and_ceptoars() {
    let r = reference();
    assert_eq!(r.sectors.len(), 15);
    for s in &r.sectors {
        let m = s.ministry.as_deref().expect("every sector has a ministry");
        assert!(
            r.organisation(m).is_some(),
            "ministry {m} of {} exists",
            s.id
        );
        assert!(
            r.organisations
                .iter()
                .any(|o| o.kind == registry::OrgKind::Hub && o.sector.as_deref() == Some(&s.id)),
            "sector {} has a CEPTOAR",
            s.id
        );
        assert!(!s.name.ja.is_empty() && !s.name.en.is_empty());
    }
    let council = r
        .communities
        .iter()
        .find(|c| c.id == "cybersecurity-council")
        .unwrap();
    assert!(
        council.rules.members_only
            && council.rules.confidentiality_notice
            && council.rules.audit_access
    );
}

#[test]
fn demo_validates_on_top_of_reference_and_reports_the_nested_prefix() {
    let r = reference();
    let (doc, loc) = registry::parse_yaml(DEMO).unwrap();
    let plan = registry::validate(&r, &doc, &loc).unwrap();
    assert!(plan.organisations.len() >= 30);
    assert!(
        plan.findings
            .iter()
            .any(|f| f.message.contains("lies inside")),
        "the hospital /28 inside the city /27 is reported: {:?}",
        plan.findings
    );
}

#[test]
fn yaml_and_csv_round_trip_to_the_same_document() {
    let r = reference();
    let (demo, _) = registry::parse_yaml(DEMO).unwrap();
    for doc in [&r, &demo] {
        let (from_yaml, _) = registry::parse_yaml(&registry::to_yaml(doc)).unwrap();
        assert_eq!(&from_yaml, doc);
        let (from_csv, _) = registry::parse_csv(&registry::to_csv(doc)).unwrap();
        assert_eq!(&from_csv, doc);
    }
}

#[test]
fn unknown_sector_is_named_with_its_line() {
    let r = reference();
    let text = "organisations:\n  - id: x-power\n    name: {en: X Power, ja: X電力}\n    kind: operator\n    sector: electrcity\n";
    let errs = errors_of(&r, text, Format::Yaml);
    assert_eq!(
        errs,
        vec![r#"line 5: organisations[0].sector: unknown sector "electrcity""#]
    );
}

#[test]
fn invalid_cidr_and_unknown_key_are_refused_with_place() {
    let r = reference();
    let text = "organisations:\n  - id: x-power\n    name: {en: X Power, ja: X電力}\n    kind: operator\n    assets:\n      prefixes: [192.0.2.0/33]\n";
    let errs = errors_of(&r, text, Format::Yaml);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("line 6: organisations[0].assets.prefixes[0]:"),
        "{errs:?}"
    );

    let text = "organisations:\n  - id: x-power\n    name: {en: X Power, ja: X電力}\n    kind: operator\n    colour: red\n";
    let errs = errors_of(&r, text, Format::Yaml);
    assert!(
        errs[0].starts_with("line 5:") && errs[0].contains("colour"),
        "{errs:?}"
    );
}

#[test]
fn host_bits_duplicates_and_claimed_prefixes_are_errors() {
    let r = reference();
    let text = "\
organisations:
  - id: a-power
    name: {en: A Power, ja: A電力}
    kind: operator
    assets: {prefixes: [192.0.2.0/24, 198.51.100.7/24], domains: [a.example.jp]}
  - id: b-power
    name: {en: A Power, ja: B電力}
    kind: operator
    assets: {prefixes: [192.0.2.0/24, 192.0.2.128/25], domains: [a.example.jp, sub.a.example.jp]}
";
    let errs = errors_of(&r, text, Format::Yaml);
    let joined = errs.join("\n");
    assert!(
        joined.contains("host bits set; did you mean 198.51.100.0/24"),
        "{joined}"
    );
    assert!(
        joined.contains(r#"line 7: organisations[1].name.en: duplicate name "A Power""#),
        "{joined}"
    );
    assert!(
        joined.contains(r#"192.0.2.0/24 is already claimed by organisation "a-power""#),
        "{joined}"
    );
    assert!(
        joined.contains(r#"a.example.jp is already claimed by organisation "a-power""#),
        "{joined}"
    );
    // Claims inside one file are reported at both places.
    assert_eq!(errs.len(), 6, "{joined}");
}

#[test]
fn csv_errors_name_line_and_column() {
    let r = reference();
    let text = "record,id,name_en,name_ja,kind,sector,org,value\n\
organisation,c-gas,C Gas,Cガス,operator,gas,,\n\
prefix,,,,,,c-gas,10.0.0.0/8\n\
prefix,,,,,,c-gas,not-a-prefix\n";
    let errs = errors_of(&r, text, Format::Csv);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("line 4: value: invalid CIDR prefix"),
        "{errs:?}"
    );

    let text =
        "record,id,name_en,name_ja,kind,sector\norganisation,c-gas,C Gas,Cガス,operator,gass\n";
    let errs = errors_of(&r, text, Format::Csv);
    assert_eq!(
        errs,
        vec![r#"line 2: organisations[0].sector: unknown sector "gass""#]
    );

    let errs = errors_of(&r, "record,colour\n", Format::Csv);
    assert!(
        errs[0].starts_with("line 1: colour: unknown column"),
        "{errs:?}"
    );
}

#[test]
fn parent_cycles_are_refused() {
    let r = reference();
    let text = "\
organisations:
  - {id: p-one, name: {en: P One, ja: P1}, kind: operator, parent: p-two}
  - {id: p-two, name: {en: P Two, ja: P2}, kind: operator, parent: p-one}
";
    let errs = errors_of(&r, text, Format::Yaml);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].contains("loops back"));
}

mod never_panics {
    use proptest::prelude::*;
    use sakimori_core::registry::{self, RegistryDoc};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary text gives a located error or a document, never a panic,
        /// and whatever parses also validates without panicking.
        #[test]
        fn yaml_parser(text in ".{0,400}") {
            if let Ok((doc, loc)) = registry::parse_yaml(&text) {
                let _ = registry::validate(&RegistryDoc::default(), &doc, &loc);
            }
        }

        #[test]
        fn yaml_parser_on_near_valid_input(
            id in "[a-z-]{0,8}", kind in "[a-z-]{0,12}", prefix in "[0-9./:a-f]{0,20}", sector in "[a-z]{0,6}"
        ) {
            let text = format!("organisations:\n  - id: {id}\n    name: {{en: N, ja: N}}\n    kind: {kind}\n    sector: {sector}\n    assets: {{prefixes: [\"{prefix}\"]}}\n");
            if let Ok((doc, loc)) = registry::parse_yaml(&text) {
                let _ = registry::validate(&RegistryDoc::default(), &doc, &loc);
            }
        }

        #[test]
        fn csv_parser(text in "(record|organisation|prefix|contact|,|[a-z0-9./:]|\n){0,300}") {
            if let Ok((doc, loc)) = registry::parse_csv(&text) {
                let _ = registry::validate(&RegistryDoc::default(), &doc, &loc);
            }
        }
    }
}

/// The examples in docs/registry.md are real: they parse (and the CSV validates).
#[test]
fn documentation_examples_parse() {
    let doc = include_str!("../../../docs/registry.md");
    let block = |lang: &str| {
        let start = doc.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
        doc[start..start + doc[start..].find("```").unwrap()].to_owned()
    };
    registry::parse_yaml(&block("yaml")).expect("YAML example parses");
    let (csv, loc) = registry::parse_csv(&block("csv")).expect("CSV example parses");
    registry::validate(&reference(), &csv, &loc).expect("CSV example validates");
    assert_eq!(
        csv.organisations[0].assets.as_ref().unwrap().prefixes.len(),
        1
    );
}
