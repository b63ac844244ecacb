//! The fiscal-year statistics against NISC's published FY2023 figures
//! (DOMAIN.md §3), their renderings, and their invariants on random inputs.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use sakimori_core::classification::{AttackType, Cause, EventClass};
use sakimori_core::registry::{Name, OrgKind, Sector};
use sakimori_core::report::{fiscal_quarter, ReportFields, ReportStatus};
use sakimori_core::stats::{
    compute, to_csv, to_html, to_svg, trend_svg, Counts, GroupedTable, Lang, StatInput, Statistics,
};

const QUARTERS_IN: [u64; 4] = [99, 53, 63, 57];
const PROVISIONS: [u64; 4] = [25, 37, 34, 31];
const SHARES: [u64; 4] = [6, 4, 5, 4];

const EVENTS: [(EventClass, u64); 8] = [
    (EventClass::NearMiss, 12),
    (EventClass::Confidentiality, 20),
    (EventClass::Integrity, 18),
    (EventClass::Availability, 148),
    (EventClass::MalwareInfection, 20),
    (EventClass::MaliciousCode, 3),
    (EventClass::Intrusion, 13),
    (EventClass::Other, 38),
];

/// The published causes, and a few more so that some reports have several.
const CAUSES: [(Cause, u64); 8] = [
    (Cause::Ddos, 32),
    (Cause::ContractorError, 50),
    (Cause::EquipmentFailure, 38),
    (Cause::Vulnerability, 35),
    (Cause::Unknown, 51),
    (Cause::SuspiciousEmail, 9),
    (Cause::OperationError, 15),
    (Cause::Environmental, 6),
];

const ATTACKS: [(AttackType, u64); 4] = [
    (AttackType::Ransomware, 36),
    (AttackType::Malware, 4),
    (AttackType::Ddos, 28),
    (AttackType::Other, 55),
];

const SECTORS: [&str; 5] = [
    "electricity",
    "finance",
    "information-and-communications",
    "logistics",
    "water",
];

/// A time in the middle of a quarter of a fiscal year.
fn time_in(fy: i32, q: u8) -> DateTime<Utc> {
    let (y, m) = match q {
        1 => (fy, 5),
        2 => (fy, 8),
        3 => (fy, 11),
        _ => (fy + 1, 2),
    };
    Utc.with_ymd_and_hms(y, m, 15, 3, 0, 0).unwrap()
}

fn fields(t: DateTime<Utc>) -> ReportFields {
    ReportFields {
        summary: "Outage".into(),
        detected_at: t,
        service_affected: true,
        status: ReportStatus::Reported,
        event_class: None,
        causes: vec![],
        attack_types: vec![],
        affected_services: vec![],
        affected_sectors: vec![],
        impact: Default::default(),
        observables: vec![],
        description: None,
        contact: None,
        also_notify: vec![],
    }
}

fn input(fy: i32, q: u8, kind: OrgKind, sector: Option<&str>) -> StatInput {
    let t = time_in(fy, q);
    assert_eq!(fiscal_quarter(t), (fy, q));
    StatInput {
        fiscal_year: fy,
        quarter: q,
        sector: sector.map(str::to_owned),
        reporter_kind: kind,
        fields: fields(t),
    }
}

fn quarter_of(i: usize) -> u8 {
    let mut end = 0;
    for (q, n) in QUARTERS_IN.iter().enumerate() {
        end += *n as usize;
        if i < end {
            return q as u8 + 1;
        }
    }
    unreachable!()
}

/// The 272 reports in of FY2023, the 19 shares from ministries, and reports of the
/// neighbouring years that must not count.
fn fy2023() -> Vec<StatInput> {
    let n = QUARTERS_IN.iter().sum::<u64>() as usize;
    assert_eq!(n, 272);
    let events: Vec<EventClass> = EVENTS
        .iter()
        .flat_map(|(e, c)| std::iter::repeat_n(*e, *c as usize))
        .collect();
    assert_eq!(events.len(), n);
    let mut out: Vec<StatInput> = (0..n)
        .map(|i| {
            let kind = match i % 17 {
                0 => OrgKind::GovernmentBody,
                1 => OrgKind::LocalGovernment,
                2 => OrgKind::Hub,
                _ => OrgKind::Operator,
            };
            let sector = match kind {
                OrgKind::GovernmentBody | OrgKind::LocalGovernment => None,
                _ => Some(SECTORS[i % SECTORS.len()]),
            };
            let mut r = input(2023, quarter_of(i), kind, sector);
            // 7 is prime to 272: a permutation, so the events spread over the quarters.
            r.fields.event_class = Some(events[(i * 7) % n]);
            r
        })
        .collect();
    // Each cause on a run of distinct reports (stride 3, prime to 272); the runs
    // overlap, so some reports have several causes and some none.
    for (k, (cause, count)) in CAUSES.iter().enumerate() {
        for j in 0..*count as usize {
            out[(k * 41 + j * 3) % n].fields.causes.push(*cause);
        }
    }
    // A cause named twice in one report counts once.
    let dup = out
        .iter()
        .position(|r| r.fields.causes.contains(&Cause::Ddos))
        .unwrap();
    out[dup].fields.causes.push(Cause::Ddos);
    let mut next = 0;
    for (a, count) in ATTACKS {
        for _ in 0..count {
            out[(next * 5) % n].fields.attack_types.push(a);
            next += 1;
        }
    }
    // Shares from ministries: classified too, but not part of the breakdowns.
    let share_kinds = [
        OrgKind::Ministry,
        OrgKind::SecurityOrganisation,
        OrgKind::CoordinationCentre,
    ];
    for (q, count) in SHARES.iter().enumerate() {
        for j in 0..*count as usize {
            let mut r = input(2023, q as u8 + 1, share_kinds[j % 3], None);
            r.fields.event_class = Some(EventClass::Availability);
            r.fields.causes = vec![Cause::Ddos];
            r.fields.attack_types = vec![AttackType::Ddos];
            out.push(r);
        }
    }
    // Other fiscal years, including the days either side of FY2023.
    for (fy, q) in [(2022, 4), (2024, 1), (2022, 1), (2024, 3)] {
        let mut r = input(fy, q, OrgKind::Operator, Some("electricity"));
        r.fields.event_class = Some(EventClass::Availability);
        r.fields.causes = vec![Cause::Ddos];
        r.fields.attack_types = vec![AttackType::Ransomware];
        out.push(r);
        out.push(input(fy, q, OrgKind::Ministry, None));
    }
    out
}

fn counts(q: [u64; 4]) -> Counts {
    Counts::from_quarters(q)
}

fn row<'a>(t: &'a GroupedTable, id: &str) -> &'a Counts {
    t.groups
        .iter()
        .flat_map(|g| &g.rows)
        .find(|r| r.id == id)
        .map(|r| &r.counts)
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[test]
fn fy2023_figures_are_reproduced() {
    let inputs = fy2023();
    let s = compute(&inputs, 2023, PROVISIONS);
    assert_eq!(s.fiscal_year, 2023);

    assert_eq!(s.reports_in, counts(QUARTERS_IN));
    assert_eq!(s.reports_in.total, 272);
    assert_eq!(s.shares_from_ministries, counts(SHARES));
    assert_eq!(s.shares_from_ministries.total, 19);
    assert_eq!(s.provisions_out, counts(PROVISIONS));
    assert_eq!(s.provisions_out.total, 127);

    // Events: every report once, in the quarters of the reports.
    for (e, n) in EVENTS {
        assert_eq!(row(&s.events, e.as_str()).total, n, "{e}");
    }
    assert_eq!(s.events.total, counts(QUARTERS_IN));
    assert_eq!(s.events.unclassified.counts, Counts::default());
    assert_eq!(s.events.unclassified.id, "unclassified");
    let subtotals: Vec<(&str, u64)> = s
        .events
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.subtotal.total))
        .collect();
    assert_eq!(
        subtotals,
        [("not-occurred", 12), ("occurred", 186), ("leading-to", 74)]
    );
    assert_eq!(s.events.groups[1].ja, "発生した事象");

    // Causes: several per report, a report with none counted as unclassified.
    for (c, n) in CAUSES {
        assert_eq!(row(&s.causes, c.as_str()).total, n, "{c}");
    }
    assert_eq!(row(&s.causes, "insider").total, 0);
    let without_cause = inputs
        .iter()
        .filter(|r| r.fiscal_year == 2023 && !sakimori_core::stats::is_share(r.reporter_kind))
        .filter(|r| r.fields.causes.is_empty())
        .count() as u64;
    assert!(without_cause > 0);
    assert_eq!(s.causes.unclassified.counts.total, without_cause);
    let named: u64 = CAUSES.iter().map(|c| c.1).sum();
    assert_eq!(s.causes.total.total, named + without_cause);
    assert!(
        s.causes.total.total - without_cause > 272 - without_cause,
        "some reports have several causes"
    );
    let group = |id: &str| {
        s.causes
            .groups
            .iter()
            .find(|g| g.id == id)
            .unwrap()
            .subtotal
            .total
    };
    assert_eq!(group("intentional"), 32 + 9);
    assert_eq!(group("accidental"), 50 + 38 + 35 + 15);
    assert_eq!(group("environmental"), 6);
    assert_eq!(group("other"), 51);

    // Attack types: only the reports that have one.
    let attacks: Vec<(&str, u64)> = s
        .attack_types
        .rows
        .iter()
        .map(|r| (r.id.as_str(), r.counts.total))
        .collect();
    assert_eq!(
        attacks,
        [
            ("ransomware", 36),
            ("malware", 4),
            ("ddos", 28),
            ("other", 55)
        ]
    );
    assert_eq!(s.attack_types.total.total, 123);

    // Sectors: every report in once; government reporters without a sector.
    assert_eq!(s.sectors.total, counts(QUARTERS_IN));
    let none = s.sectors.rows.last().unwrap();
    assert_eq!(none.id, "none");
    assert_eq!(none.ja, "分野なし");
    assert_eq!(none.counts.total, 16 + 16);
    assert_eq!(s.sectors.rows.len(), SECTORS.len() + 1);

    // JSON has the documented shape.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["reports_in"]["q1"], 99);
    assert_eq!(json["events"]["groups"][0]["rows"][0]["id"], "near-miss");
    assert_eq!(json["attack_types"]["total"]["total"], 123);
}

#[test]
fn other_years_and_bad_quarters_are_ignored() {
    let inputs = fy2023();
    let s2022 = compute(&inputs, 2022, [0; 4]);
    assert_eq!(s2022.reports_in, counts([1, 0, 0, 1]));
    assert_eq!(s2022.shares_from_ministries, counts([1, 0, 0, 1]));
    assert_eq!(s2022.attack_types.rows[0].counts.total, 2);
    assert_eq!(s2022.provisions_out, Counts::default());
    let empty = compute(&inputs, 2030, [0; 4]);
    assert_eq!(empty.reports_in.total, 0);
    assert_eq!(empty.events.total.total, 0);
    assert!(empty.sectors.rows.is_empty());
    assert_eq!(empty.events.groups.len(), 3, "the layout stays complete");

    let mut odd = input(2023, 1, OrgKind::Operator, None);
    odd.quarter = 5;
    let mut with_odd = inputs.clone();
    with_odd.push(odd);
    assert_eq!(
        compute(&with_odd, 2023, PROVISIONS),
        compute(&inputs, 2023, PROVISIONS)
    );
}

/// Parse the CSV into (table, row, [q1, q2, q3, q4, total]).
fn parse_csv(text: &str) -> Vec<(String, String, [u64; 5])> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        r.headers().unwrap(),
        vec!["table", "row", "q1", "q2", "q3", "q4", "total"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let mut n = [0u64; 5];
            for (k, v) in n.iter_mut().enumerate() {
                *v = rec[k + 2].parse().unwrap();
            }
            (rec[0].to_owned(), rec[1].to_owned(), n)
        })
        .collect()
}

/// Check that in every table of the CSV each row's total is the sum of its
/// quarters and the leaf rows add up to the total row; return the total rows.
fn resum(text: &str, lang: Lang) -> Vec<(String, [u64; 5])> {
    let (total, subtotal) = match lang {
        Lang::En => ("Total", " (subtotal)"),
        Lang::Ja => ("合計", "（小計）"),
    };
    let rows = parse_csv(text);
    let mut tables: Vec<String> = Vec::new();
    for (t, _, n) in &rows {
        assert_eq!(n[..4].iter().sum::<u64>(), n[4]);
        if !tables.contains(t) {
            tables.push(t.clone());
        }
    }
    assert_eq!(tables.len(), 5, "{tables:?}");
    let mut totals = Vec::new();
    for t in tables.iter().skip(1) {
        let mut sum = [0u64; 5];
        let mut group_sum = [0u64; 5];
        let mut found = None;
        for (_, label, n) in rows.iter().filter(|r| &r.0 == t) {
            if label == total {
                found = Some(*n);
            } else if label.ends_with(subtotal) {
                (0..5).for_each(|k| group_sum[k] += n[k]);
            } else {
                (0..5).for_each(|k| sum[k] += n[k]);
            }
        }
        let found = found.unwrap_or_else(|| panic!("no total in {t}"));
        assert_eq!(sum, found, "{t}");
        if group_sum != [0; 5] {
            let unclassified = rows
                .iter()
                .find(|r| &r.0 == t && (r.1 == "Unclassified" || r.1 == "未分類"))
                .unwrap()
                .2;
            (0..5).for_each(|k| group_sum[k] += unclassified[k]);
            assert_eq!(group_sum, found, "subtotals of {t}");
        }
        totals.push((t.clone(), found));
    }
    totals
}

#[test]
fn csv_re_sums_to_the_same_totals() {
    let s = compute(&fy2023(), 2023, PROVISIONS);
    for lang in [Lang::En, Lang::Ja] {
        let text = to_csv(&s, lang);
        assert!(text.starts_with("table,row,q1,q2,q3,q4,total\n"));
        let totals = resum(&text, lang);
        let want = [
            s.events.total.columns(),
            s.causes.total.columns(),
            s.attack_types.total.columns(),
            s.sectors.total.columns(),
        ];
        let got: Vec<[u64; 5]> = totals.iter().map(|t| t.1).collect();
        assert_eq!(got, want);
        assert_eq!(got[0], [99, 53, 63, 57, 272]);
        assert_eq!(got[2][4], 123);
    }
    let ja = to_csv(&s, Lang::Ja);
    let rows = parse_csv(&ja);
    let find = |t: &str, r: &str| rows.iter().find(|x| x.0 == t && x.1 == r).unwrap().2;
    assert_eq!(find("事象別", "可用性を脅かす事象")[4], 148);
    assert_eq!(find("事象別", "発生した事象（小計）")[4], 186);
    assert_eq!(find("原因別", "外部委託先の管理ミス")[4], 50);
    assert_eq!(find("サイバー攻撃の種類", "ランサムウェア")[4], 36);
    assert_eq!(
        find("情報連絡・情報共有・情報提供の件数", "情報提供"),
        [25, 37, 34, 31, 127]
    );
    let en = parse_csv(&to_csv(&s, Lang::En));
    assert!(en
        .iter()
        .any(|r| r.0 == "Event" && r.1 == "Threat to availability" && r.2[4] == 148));
}

/// A well-formedness check good enough for generated markup: every element opened
/// is closed in order, attribute values are quoted, no raw `<` or `&` in text.
fn balanced(markup: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = markup;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            let end = entity.find(';').expect("entity ends with ;");
            assert!(
                entity[1..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#'),
                "raw & in {text:?}"
            );
        }
        let end = rest[start..].find('>').expect("tag closes") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "raw < in {tag:?}");
        assert_eq!(tag.matches('"').count() % 2, 0, "quotes in {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_owned();
            if name != "br" {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn html_has_the_official_captions_and_escapes() {
    let mut inputs = fy2023();
    inputs.push(input(
        2023,
        2,
        OrgKind::Operator,
        Some("<script>alert(\"x\")</script>"),
    ));
    let s = compute(&inputs, 2023, PROVISIONS);
    let ja = to_html(&s, Lang::Ja);
    balanced(&ja);
    assert!(ja.starts_with("<section") && ja.trim_end().ends_with("</section>"));
    for caption in [
        "情報連絡・情報共有・情報提供の件数",
        "事象別",
        "原因別",
        "サイバー攻撃の種類",
        "分野別",
    ] {
        assert!(
            ja.contains(&format!("<caption>{caption}</caption>")),
            "{caption}"
        );
    }
    assert!(ja.contains("lang=\"ja\""));
    assert!(ja.contains("2023年度"));
    assert!(ja.contains("<th scope=\"col\">合計</th>"));
    assert!(ja.contains("<th scope=\"rowgroup\">未発生（小計）</th><td>"));
    assert!(ja.contains("<th scope=\"row\">可用性を脅かす事象</th>"));
    assert!(ja.contains("<tfoot><tr class=\"total\"><th scope=\"row\">合計</th><td>99</td><td>54</td><td>63</td><td>57</td><td>273</td></tr></tfoot>"));
    assert_eq!(ja.matches("<table").count(), 5);
    assert_eq!(ja.matches("<caption>").count(), 5);
    assert!(!ja.contains("<script"));
    assert!(ja.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));

    let en = to_html(&s, Lang::En);
    balanced(&en);
    for caption in [
        "Reports in, shares, provisions out",
        "Event",
        "Cause",
        "Cyber-attack type",
        "Sector",
    ] {
        assert!(en.contains(&format!("<caption>{caption}</caption>")));
    }
    assert!(!en.contains("<script"));
    assert!(!en.contains("事象別"));

    // CSV: the id stays text, safely quoted.
    let csv = to_csv(&s, Lang::En);
    assert!(csv.contains("\"<script>alert(\"\"x\"\")</script>\""));
}

#[test]
fn sectors_take_registry_names_and_order() {
    let mut s = compute(&fy2023(), 2023, PROVISIONS);
    let sector = |id: &str, en: &str, ja: &str| Sector {
        id: id.into(),
        name: Name {
            en: en.into(),
            ja: ja.into(),
        },
        ministry: None,
        added: None,
        subsectors: vec![],
    };
    let before = s.sectors.total;
    s.name_sectors(&[
        sector("water", "Water", "水道"),
        sector("ports", "Ports", "港湾"),
        sector("electricity", "Electricity", "電力"),
    ]);
    let ids: Vec<&str> = s.sectors.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "water",
            "ports",
            "electricity",
            "finance",
            "information-and-communications",
            "logistics",
            "none"
        ]
    );
    assert_eq!(s.sectors.rows[0].ja, "水道");
    assert_eq!(s.sectors.rows[1].counts, Counts::default());
    assert_eq!(s.sectors.total, before);
    assert!(to_html(&s, Lang::Ja).contains("<th scope=\"row\">電力</th>"));
}

#[test]
fn svg_charts_are_self_contained() {
    let s = compute(&fy2023(), 2023, PROVISIONS);
    for lang in [Lang::En, Lang::Ja] {
        let svg = to_svg(&s, lang);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        balanced(&svg);
        assert!(svg.contains("<title id=\"sakimori-stats-2023-title\">"));
        assert!(!svg.contains("<script") && !svg.contains("href") && !svg.contains("@font-face"));
        let title = match lang {
            Lang::En => "FY2023: reports in and provisions out per quarter",
            Lang::Ja => "2023年度 四半期別の情報連絡・情報提供の件数",
        };
        assert!(svg.contains(title), "{title}");
        for v in ["99", "53", "63", "57", "25", "37", "34", "31"] {
            assert!(svg.contains(&format!(">{v}</text>")), "{v}");
        }
    }
    assert!(to_svg(&s, Lang::En).contains("Q1: 99 reports in, 25 provisions out"));
    assert!(to_svg(&s, Lang::Ja).contains("件数"));

    let inputs = fy2023();
    let years: Vec<Statistics> = [2024, 2022, 2023]
        .iter()
        .map(|fy| compute(&inputs, *fy, if *fy == 2023 { PROVISIONS } else { [0; 4] }))
        .collect();
    for lang in [Lang::En, Lang::Ja] {
        let svg = trend_svg(&years, lang);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        balanced(&svg);
        assert!(svg.contains("<title id=\"sakimori-trend-title\">"));
        assert_eq!(svg.matches("<polyline").count(), 3);
    }
    let en = trend_svg(&years, Lang::En);
    let (a, b, c) = (
        en.find(">FY2022<").unwrap(),
        en.find(">FY2023<").unwrap(),
        en.find(">FY2024<").unwrap(),
    );
    assert!(a < b && b < c, "years in order");
    assert!(en.contains("FY2023: 272 reports in, 19 shares, 127 provisions out"));
    let empty = trend_svg(&[], Lang::Ja);
    assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
    balanced(&empty);
    assert!(empty.contains("データなし"));
}

fn arb_input() -> impl Strategy<Value = StatInput> {
    (
        2022..=2024i32,
        1..=4u8,
        prop::option::of(prop::sample::select(vec![
            "electricity",
            "finance",
            "water",
        ])),
        prop::sample::select(OrgKind::ALL.to_vec()),
        prop::option::of(prop::sample::select(EventClass::ALL.to_vec())),
        prop::collection::vec(prop::sample::select(Cause::ALL.to_vec()), 0..4),
        prop::collection::vec(prop::sample::select(AttackType::ALL.to_vec()), 0..3),
    )
        .prop_map(|(fy, q, sector, kind, event, causes, attacks)| {
            let mut r = input(fy, q, kind, sector);
            r.fields.event_class = event;
            r.fields.causes = causes;
            r.fields.attack_types = attacks;
            r
        })
}

fn check_counts(c: &Counts) {
    assert_eq!(c.q1 + c.q2 + c.q3 + c.q4, c.total);
}

fn check_grouped(t: &GroupedTable) {
    let mut sum = t.unclassified.counts.columns();
    check_counts(&t.unclassified.counts);
    for g in &t.groups {
        check_counts(&g.subtotal);
        let mut gs = [0u64; 5];
        for r in &g.rows {
            check_counts(&r.counts);
            (0..5).for_each(|k| gs[k] += r.counts.columns()[k]);
        }
        assert_eq!(gs, g.subtotal.columns());
        (0..5).for_each(|k| sum[k] += gs[k]);
    }
    check_counts(&t.total);
    assert_eq!(sum, t.total.columns());
}

proptest! {
    #[test]
    fn totals_are_sums_of_quarters(
        inputs in prop::collection::vec(arb_input(), 0..120),
        provisions in prop::array::uniform4(0..50u64),
    ) {
        let s = compute(&inputs, 2023, provisions);
        let of_year: Vec<&StatInput> = inputs.iter().filter(|i| i.fiscal_year == 2023).collect();
        let reports = of_year
            .iter()
            .filter(|i| !sakimori_core::stats::is_share(i.reporter_kind))
            .count() as u64;
        for c in [&s.reports_in, &s.shares_from_ministries, &s.provisions_out] {
            check_counts(c);
        }
        prop_assert_eq!(s.reports_in.total, reports);
        prop_assert_eq!(s.reports_in.total + s.shares_from_ministries.total, of_year.len() as u64);
        prop_assert_eq!(s.provisions_out.quarters(), provisions);
        check_grouped(&s.events);
        check_grouped(&s.causes);
        prop_assert_eq!(s.events.total, s.reports_in);
        prop_assert_eq!(s.sectors.total, s.reports_in);
        prop_assert!(s.causes.total.total >= reports);
        for t in [&s.attack_types, &s.sectors] {
            let mut sum = [0u64; 5];
            for r in &t.rows {
                check_counts(&r.counts);
                (0..5).for_each(|k| sum[k] += r.counts.columns()[k]);
            }
            prop_assert_eq!(sum, t.total.columns());
        }
        for lang in [Lang::En, Lang::Ja] {
            resum(&to_csv(&s, lang), lang);
        }
    }
}
