//! Fiscal-year statistics of reports (情報連絡の件数), in the layout of NISC's
//! official tables: the volumes of the three flows (reports in, shares from
//! ministries and agencies, provisions out) and the breakdown of the reports in by
//! event (事象別), cause (原因別), cyber-attack type (サイバー攻撃の種類) and sector
//! (分野別), per quarter of the fiscal year and in total.
//!
//! Pure: the store supplies one [`StatInput`] per non-drill report (with its fiscal
//! year and quarter from [`crate::report::fiscal_quarter`]), [`compute`] counts,
//! and the renderers turn a [`Statistics`] into CSV, HTML or SVG.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::classification::{AttackType, Cause, CauseGroup, EventClass, EventGroup, Label};
use crate::registry::{string_enum, OrgKind, Sector};
use crate::report::ReportFields;

string_enum!(
    /// The language of labels in rendered statistics.
    Lang {
        En => "en",
        Ja => "ja",
    }
);

// string_enum! cannot put `#[default]` on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Lang {
    fn default() -> Self {
        Lang::En
    }
}

impl Lang {
    fn pick<'a>(self, en: &'a str, ja: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

/// One non-drill report, as the statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatInput {
    /// Fiscal year (April to March, Japan time) of the report.
    pub fiscal_year: i32,
    /// Quarter of the fiscal year: 1 = April–June … 4 = January–March. Inputs with
    /// another value are not counted.
    pub quarter: u8,
    /// The sector id of the report, if any.
    pub sector: Option<String>,
    /// The kind of the reporting organisation: decides report in or share.
    pub reporter_kind: OrgKind,
    pub fields: ReportFields,
}

/// Does a report from this kind of organisation count as a share from ministries
/// and agencies (情報共有) rather than a report in (情報連絡)? True for ministries,
/// security organisations and the coordination centre.
pub fn is_share(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::Ministry | OrgKind::SecurityOrganisation | OrgKind::CoordinationCentre
    )
}

/// Counts per quarter of the fiscal year, and their total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub q1: u64,
    pub q2: u64,
    pub q3: u64,
    pub q4: u64,
    pub total: u64,
}

impl Counts {
    /// Counts from the four quarters; the total is their sum.
    pub fn from_quarters(q: [u64; 4]) -> Counts {
        Counts {
            q1: q[0],
            q2: q[1],
            q3: q[2],
            q4: q[3],
            total: q.iter().sum(),
        }
    }

    pub fn quarters(&self) -> [u64; 4] {
        [self.q1, self.q2, self.q3, self.q4]
    }

    /// The four quarters and the total, in column order.
    pub fn columns(&self) -> [u64; 5] {
        [self.q1, self.q2, self.q3, self.q4, self.total]
    }

    /// Count one in a quarter (1 to 4).
    fn add(&mut self, quarter: u8) {
        match quarter {
            1 => self.q1 += 1,
            2 => self.q2 += 1,
            3 => self.q3 += 1,
            4 => self.q4 += 1,
            _ => return,
        }
        self.total += 1;
    }

    fn sum<'a>(items: impl IntoIterator<Item = &'a Counts>) -> Counts {
        items.into_iter().fold(Counts::default(), |a, c| Counts {
            q1: a.q1 + c.q1,
            q2: a.q2 + c.q2,
            q3: a.q3 + c.q3,
            q4: a.q4 + c.q4,
            total: a.total + c.total,
        })
    }
}

/// One row of a table: an id (event, cause, attack type or sector id), its labels
/// and its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    pub id: String,
    pub en: String,
    pub ja: String,
    pub counts: Counts,
}

impl Row {
    fn new(id: &str, l: Label, counts: Counts) -> Row {
        Row {
            id: id.into(),
            en: l.en.into(),
            ja: l.ja.into(),
            counts,
        }
    }

    pub fn label(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.ja)
    }
}

/// A group of rows (an event group or a cause group) with its subtotal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: String,
    pub en: String,
    pub ja: String,
    /// The sum of the group's rows.
    pub subtotal: Counts,
    pub rows: Vec<Row>,
}

impl Group {
    pub fn label(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.ja)
    }
}

/// A table of grouped rows (events, causes): every row of the official list, in
/// the official order, zero or not; the reports with no entry; the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupedTable {
    pub groups: Vec<Group>,
    /// Reports that have no entry in this classification (id `unclassified`).
    pub unclassified: Row,
    /// The sum of every row, unclassified included.
    pub total: Counts,
}

/// A flat table (attack types, sectors) and its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Table {
    pub rows: Vec<Row>,
    /// The sum of the rows.
    pub total: Counts,
}

/// The statistics of one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statistics {
    pub fiscal_year: i32,
    /// Reports in (情報連絡): from operators, government bodies, local governments,
    /// hubs and anyone else who is not a ministry, security organisation or the
    /// coordination centre.
    pub reports_in: Counts,
    /// Shares from ministries and agencies (情報共有): reports by a ministry, a
    /// security organisation or the coordination centre.
    pub shares_from_ministries: Counts,
    /// Provisions out (情報提供): advisories sent.
    pub provisions_out: Counts,
    /// Reports in by event (事象別), one per report.
    pub events: GroupedTable,
    /// Reports in by cause (原因別): several per report, so the total may exceed the
    /// number of reports.
    pub causes: GroupedTable,
    /// Reports in by cyber-attack type (NISC's re-analysis): only reports that have one.
    pub attack_types: Table,
    /// Reports in by sector id; `none` for reports without a sector.
    pub sectors: Table,
}

/// The row id of reports without a sector.
pub const NO_SECTOR: &str = "none";
/// The row id of reports without an event class, or without a cause.
pub const UNCLASSIFIED: &str = "unclassified";

const UNCLASSIFIED_LABEL: Label = Label {
    en: "Unclassified",
    ja: "未分類",
};
const NO_SECTOR_LABEL: Label = Label {
    en: "No sector",
    ja: "分野なし",
};

/// Count the reports of one fiscal year. `provisions_out` are the advisories sent
/// in each quarter (zeros if none). Inputs of other fiscal years, and inputs with a
/// quarter outside 1–4, are not counted.
///
/// The breakdowns (event, cause, attack type, sector) count the reports in only,
/// as the official tables do; shares from ministries are counted in
/// `shares_from_ministries` alone.
pub fn compute(inputs: &[StatInput], fiscal_year: i32, provisions_out: [u64; 4]) -> Statistics {
    let mut reports_in = Counts::default();
    let mut shares = Counts::default();
    let mut events = vec![Counts::default(); EventClass::ALL.len()];
    let mut no_event = Counts::default();
    let mut causes = vec![Counts::default(); Cause::ALL.len()];
    let mut no_cause = Counts::default();
    let mut attacks = vec![Counts::default(); AttackType::ALL.len()];
    let mut sectors: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut no_sector = Counts::default();

    for i in inputs
        .iter()
        .filter(|i| i.fiscal_year == fiscal_year && (1..=4).contains(&i.quarter))
    {
        let q = i.quarter;
        if is_share(i.reporter_kind) {
            shares.add(q);
            continue;
        }
        reports_in.add(q);
        let f = &i.fields;
        match f.event_class {
            Some(e) => events[position(EventClass::ALL, e)].add(q),
            None => no_event.add(q),
        }
        // A cause (or attack type) named twice in one report counts once.
        let mut seen = vec![false; Cause::ALL.len()];
        for c in &f.causes {
            seen[position(Cause::ALL, *c)] = true;
        }
        if !seen.contains(&true) {
            no_cause.add(q);
        }
        for (n, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            causes[n].add(q);
        }
        let mut seen = vec![false; AttackType::ALL.len()];
        for a in &f.attack_types {
            seen[position(AttackType::ALL, *a)] = true;
        }
        for (n, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            attacks[n].add(q);
        }
        match &i.sector {
            Some(s) if s != NO_SECTOR => sectors.entry(s.as_str()).or_default().add(q),
            _ => no_sector.add(q),
        }
    }

    let events = grouped(
        EventGroup::ALL,
        EventClass::ALL,
        &events,
        no_event,
        |g| (g.as_str(), g.label()),
        |e| (e.as_str(), e.label(), e.group()),
    );
    let causes = grouped(
        CauseGroup::ALL,
        Cause::ALL,
        &causes,
        no_cause,
        |g| (g.as_str(), g.label()),
        |c| (c.as_str(), c.label(), c.group()),
    );
    let attack_rows: Vec<Row> = AttackType::ALL
        .iter()
        .zip(&attacks)
        .map(|(a, c)| Row::new(a.as_str(), a.label(), *c))
        .collect();
    let mut sector_rows: Vec<Row> = sectors
        .into_iter()
        .map(|(id, c)| Row {
            id: id.into(),
            en: id.into(),
            ja: id.into(),
            counts: c,
        })
        .collect();
    if no_sector.total > 0 {
        sector_rows.push(Row::new(NO_SECTOR, NO_SECTOR_LABEL, no_sector));
    }

    Statistics {
        fiscal_year,
        reports_in,
        shares_from_ministries: shares,
        provisions_out: Counts::from_quarters(provisions_out),
        events,
        causes,
        attack_types: table(attack_rows),
        sectors: table(sector_rows),
    }
}

fn position<T: PartialEq + Copy>(all: &[T], x: T) -> usize {
    all.iter()
        .position(|a| *a == x)
        .expect("every variant is in ALL")
}

fn table(rows: Vec<Row>) -> Table {
    let total = Counts::sum(rows.iter().map(|r| &r.counts));
    Table { rows, total }
}

fn grouped<G: Copy + PartialEq, I: Copy>(
    groups: &[G],
    items: &[I],
    counts: &[Counts],
    unclassified: Counts,
    group_info: impl Fn(G) -> (&'static str, Label),
    item_info: impl Fn(I) -> (&'static str, Label, G),
) -> GroupedTable {
    let groups: Vec<Group> = groups
        .iter()
        .map(|&g| {
            let (id, l) = group_info(g);
            let rows: Vec<Row> = items
                .iter()
                .zip(counts)
                .filter_map(|(&i, c)| {
                    let (id, l, ig) = item_info(i);
                    (ig == g).then(|| Row::new(id, l, *c))
                })
                .collect();
            Group {
                id: id.into(),
                en: l.en.into(),
                ja: l.ja.into(),
                subtotal: Counts::sum(rows.iter().map(|r| &r.counts)),
                rows,
            }
        })
        .collect();
    let total = Counts::sum(
        groups
            .iter()
            .map(|g| &g.subtotal)
            .chain(std::iter::once(&unclassified)),
    );
    GroupedTable {
        groups,
        unclassified: Row::new(UNCLASSIFIED, UNCLASSIFIED_LABEL, unclassified),
        total,
    }
}

impl Statistics {
    /// Name the sector rows from the registry and list every registered sector, in
    /// registry order (zero rows included); ids the registry does not know follow,
    /// then `none`.
    pub fn name_sectors(&mut self, registry: &[Sector]) {
        let mut rows = std::mem::take(&mut self.sectors.rows);
        let none = rows
            .iter()
            .position(|r| r.id == NO_SECTOR)
            .map(|i| rows.remove(i));
        let mut out = Vec::with_capacity(registry.len() + rows.len() + 1);
        for s in registry {
            let mut row = match rows.iter().position(|r| r.id == s.id) {
                Some(i) => rows.remove(i),
                None => Row {
                    id: s.id.clone(),
                    en: String::new(),
                    ja: String::new(),
                    counts: Counts::default(),
                },
            };
            row.en = s.name.en.clone();
            row.ja = s.name.ja.clone();
            out.push(row);
        }
        out.extend(rows);
        out.extend(none);
        self.sectors = table(out);
    }
}

// ---------------------------------------------------------------------------
// Labels shared by the renderers.

struct Titles {
    volumes: &'static str,
    events: &'static str,
    causes: &'static str,
    attack_types: &'static str,
    sectors: &'static str,
    reports_in: &'static str,
    shares: &'static str,
    provisions: &'static str,
    total: &'static str,
    subtotal: &'static str,
    quarters: [&'static str; 4],
    quarter_months: [&'static str; 4],
}

const EN: Titles = Titles {
    volumes: "Reports in, shares, provisions out",
    events: "Event",
    causes: "Cause",
    attack_types: "Cyber-attack type",
    sectors: "Sector",
    reports_in: "Reports in",
    shares: "Shares from ministries and agencies",
    provisions: "Provisions out",
    total: "Total",
    subtotal: " (subtotal)",
    quarters: ["Q1", "Q2", "Q3", "Q4"],
    quarter_months: ["Apr–Jun", "Jul–Sep", "Oct–Dec", "Jan–Mar"],
};

const JA: Titles = Titles {
    volumes: "情報連絡・情報共有・情報提供の件数",
    events: "事象別",
    causes: "原因別",
    attack_types: "サイバー攻撃の種類",
    sectors: "分野別",
    reports_in: "情報連絡",
    shares: "情報共有（省庁・関係機関から）",
    provisions: "情報提供",
    total: "合計",
    subtotal: "（小計）",
    quarters: ["第1四半期", "第2四半期", "第3四半期", "第4四半期"],
    quarter_months: ["4〜6月", "7〜9月", "10〜12月", "1〜3月"],
};

fn titles(lang: Lang) -> &'static Titles {
    match lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    }
}

fn fy_label(fy: i32, lang: Lang) -> String {
    match lang {
        Lang::En => format!("FY{fy}"),
        Lang::Ja => format!("{fy}年度"),
    }
}

/// One line of any table, as the renderers see it.
enum Line<'a> {
    Leaf(&'a str, Counts),
    Subtotal(String, Counts),
    Total(Counts),
}

fn grouped_lines<'a>(g: &'a GroupedTable, lang: Lang) -> Vec<Line<'a>> {
    let t = titles(lang);
    let mut lines = Vec::new();
    for group in &g.groups {
        lines.push(Line::Subtotal(
            format!("{}{}", group.label(lang), t.subtotal),
            group.subtotal,
        ));
        lines.extend(
            group
                .rows
                .iter()
                .map(|r| Line::Leaf(r.label(lang), r.counts)),
        );
    }
    lines.push(Line::Leaf(
        g.unclassified.label(lang),
        g.unclassified.counts,
    ));
    lines.push(Line::Total(g.total));
    lines
}

fn flat_lines(tb: &Table, lang: Lang) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = tb
        .rows
        .iter()
        .map(|r| Line::Leaf(r.label(lang), r.counts))
        .collect();
    lines.push(Line::Total(tb.total));
    lines
}

/// The tables in order, each with its title and its lines.
fn tables(s: &Statistics, lang: Lang) -> Vec<(&'static str, Vec<Line<'_>>)> {
    let t = titles(lang);
    let volumes = vec![
        Line::Leaf(t.reports_in, s.reports_in),
        Line::Leaf(t.shares, s.shares_from_ministries),
        Line::Leaf(t.provisions, s.provisions_out),
    ];
    vec![
        (t.volumes, volumes),
        (t.events, grouped_lines(&s.events, lang)),
        (t.causes, grouped_lines(&s.causes, lang)),
        (t.attack_types, flat_lines(&s.attack_types, lang)),
        (t.sectors, flat_lines(&s.sectors, lang)),
    ]
}

// ---------------------------------------------------------------------------
// CSV

/// A spreadsheet program runs a cell that starts with one of these as a formula;
/// a leading apostrophe makes it text.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// All tables in one CSV, `table,row,q1,q2,q3,q4,total`, with table and row labels
/// in `lang`. Group subtotal rows are labelled "… (subtotal)" / "…（小計）" and
/// each table but the first ends with a "Total" / "合計" row.
pub fn to_csv(s: &Statistics, lang: Lang) -> String {
    let t = titles(lang);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["table", "row", "q1", "q2", "q3", "q4", "total"])
        .expect("writing to memory");
    for (title, lines) in tables(s, lang) {
        for line in lines {
            let (label, c) = match line {
                Line::Leaf(l, c) => (l.to_owned(), c),
                Line::Subtotal(l, c) => (l, c),
                Line::Total(c) => (t.total.to_owned(), c),
            };
            let mut record = vec![title.to_owned(), csv_text(&label)];
            record.extend(c.columns().iter().map(u64::to_string));
            w.write_record(&record).expect("writing to memory");
        }
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

// ---------------------------------------------------------------------------
// HTML

/// Escape text for HTML and XML, in content and in quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn cells(out: &mut String, c: Counts) {
    for n in c.columns() {
        let _ = write!(out, "<td>{n}</td>");
    }
}

/// A self-contained HTML fragment: a `<section>` with one `<table>` per table,
/// each with its `<caption>`, column and row headers, group subtotal rows and the
/// totals row. Every text is escaped; no styles, scripts or external resources
/// (style it through the `sakimori-statistics` class).
pub fn to_html(s: &Statistics, lang: Lang) -> String {
    let t = titles(lang);
    let mut o = String::new();
    let _ = write!(
        o,
        "<section class=\"sakimori-statistics\" lang=\"{}\" data-fiscal-year=\"{}\">\n<h2>{}</h2>\n",
        lang.as_str(),
        s.fiscal_year,
        esc(&match lang {
            Lang::En => format!("Statistics of reports, {}", fy_label(s.fiscal_year, lang)),
            Lang::Ja => format!("{} 情報連絡等の件数", fy_label(s.fiscal_year, lang)),
        })
    );
    let notes = [
        None,
        Some(lang.pick(
            "One event per report, among the reports in.",
            "情報連絡1件につき1つの事象を計上しています。",
        )),
        Some(lang.pick(
            "Several causes may apply to one report, so the total may exceed the number of reports.",
            "1件の情報連絡に複数の原因が該当し得るため、合計は情報連絡の件数を上回ることがあります。",
        )),
        Some(lang.pick(
            "NISC's re-analysis; only reports with a cyber-attack type are counted.",
            "NISCによる再分析。サイバー攻撃の種類が判明した情報連絡のみを計上しています。",
        )),
        None,
    ];
    let classes = ["volumes", "events", "causes", "attack-types", "sectors"];
    for (((title, lines), note), class) in tables(s, lang).into_iter().zip(notes).zip(classes) {
        let _ = write!(
            o,
            "<table class=\"{class}\">\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>",
            esc(title),
            esc(lang.pick("Row", "区分"))
        );
        for (q, m) in t.quarters.iter().zip(t.quarter_months) {
            let months = match lang {
                Lang::En => format!(" ({m})"),
                Lang::Ja => format!("（{m}）"),
            };
            let _ = write!(
                o,
                "<th scope=\"col\">{}<span class=\"months\">{}</span></th>",
                esc(q),
                esc(&months)
            );
        }
        let _ = writeln!(o, "<th scope=\"col\">{}</th></tr></thead>", esc(t.total));
        let mut body_open = false;
        let mut footer = None;
        for line in lines {
            match line {
                Line::Subtotal(label, c) => {
                    if body_open {
                        o.push_str("</tbody>\n");
                    }
                    let _ = write!(
                        o,
                        "<tbody class=\"group\">\n<tr class=\"subtotal\"><th scope=\"rowgroup\">{}</th>",
                        esc(&label)
                    );
                    cells(&mut o, c);
                    o.push_str("</tr>\n");
                    body_open = true;
                }
                Line::Leaf(label, c) => {
                    if !body_open {
                        o.push_str("<tbody>\n");
                        body_open = true;
                    }
                    let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(label));
                    cells(&mut o, c);
                    o.push_str("</tr>\n");
                }
                Line::Total(c) => footer = Some(c),
            }
        }
        if body_open {
            o.push_str("</tbody>\n");
        }
        if let Some(c) = footer {
            let _ = write!(
                o,
                "<tfoot><tr class=\"total\"><th scope=\"row\">{}</th>",
                esc(t.total)
            );
            cells(&mut o, c);
            o.push_str("</tr></tfoot>\n");
        }
        o.push_str("</table>\n");
        if let Some(n) = note {
            let _ = writeln!(o, "<p class=\"note\">{}</p>", esc(n));
        }
    }
    o.push_str("</section>\n");
    o
}

// ---------------------------------------------------------------------------
// SVG

const BLUE: &str = "#1f5fa8";
const ORANGE: &str = "#c8611a";
const GREEN: &str = "#2e7d4f";
const INK: &str = "#222222";
const GRID: &str = "#d0d0d0";

/// An axis from 0 to `top` in steps of 1, 2 or 5 × 10ⁿ, with at most 6 steps,
/// leaving room above the highest value for its label.
fn nice_axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let max = max.saturating_add(max / 12);
    let mut mag: u64 = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * mag;
            if step.saturating_mul(6) >= max {
                return (max.div_ceil(step) * step, step);
            }
        }
        mag = mag.saturating_mul(10);
    }
}

struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn plot_w(&self) -> f64 {
        self.w - self.left - self.right
    }
    fn plot_h(&self) -> f64 {
        self.h - self.top - self.bottom
    }
    fn y(&self, v: u64, top_v: u64) -> f64 {
        self.h - self.bottom - self.plot_h() * v as f64 / top_v as f64
    }
}

/// Open the SVG: root element, `<title>`, `<desc>`, visible title.
fn svg_open(o: &mut String, f: &Frame, id: &str, title: &str, desc: &str, lang: Lang) {
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" lang=\"{lang}\" \
         font-family=\"sans-serif\" font-size=\"12\" fill=\"{INK}\">\n\
         <title id=\"{id}-title\">{t}</title>\n<desc id=\"{id}-desc\">{d}</desc>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
         <text x=\"{cx}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{t}</text>\n",
        w = f.w,
        h = f.h,
        lang = lang.as_str(),
        t = esc(title),
        d = esc(desc),
        cx = f.w / 2.0,
    );
}

/// Gridlines, tick labels and both axis titles.
fn svg_axes(o: &mut String, f: &Frame, top_v: u64, step: u64, x_title: &str, y_title: &str) {
    let (x0, x1) = (f.left, f.w - f.right);
    let mut v = 0;
    while v <= top_v {
        let y = f.y(v, top_v);
        let _ = write!(
            o,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{x1}\" y2=\"{y:.1}\" stroke=\"{GRID}\" stroke-width=\"1\"/>\n\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{v}</text>\n",
            tx = x0 - 6.0,
            ty = y + 4.0,
        );
        v += step;
    }
    let base = f.h - f.bottom;
    let _ = write!(
        o,
        "<line x1=\"{x0}\" y1=\"{base}\" x2=\"{x1}\" y2=\"{base}\" stroke=\"{INK}\" stroke-width=\"1\"/>\n\
         <line x1=\"{x0}\" y1=\"{t}\" x2=\"{x0}\" y2=\"{base}\" stroke=\"{INK}\" stroke-width=\"1\"/>\n\
         <text x=\"{cx}\" y=\"{xy}\" text-anchor=\"middle\">{xt}</text>\n\
         <text transform=\"translate(16 {cy}) rotate(-90)\" text-anchor=\"middle\">{yt}</text>\n",
        t = f.top,
        cx = f.left + f.plot_w() / 2.0,
        xy = f.h - 12.0,
        xt = esc(x_title),
        cy = f.top + f.plot_h() / 2.0,
        yt = esc(y_title),
    );
}

/// A legend under the title: (label, colour) per series.
fn svg_legend(o: &mut String, f: &Frame, items: &[(&str, &str)]) {
    let mut x = f.left;
    for (label, colour) in items {
        let _ = write!(
            o,
            "<rect x=\"{x}\" y=\"38\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\n\
             <text x=\"{tx}\" y=\"48\">{l}</text>\n",
            tx = x + 16.0,
            l = esc(label),
        );
        // Wide characters take about a full em, narrow ones about half.
        let width: f64 = label
            .chars()
            .map(|c| if c.is_ascii() { 7.0 } else { 12.0 })
            .sum();
        x += width + 40.0;
    }
}

/// A bar chart of the reports in and the provisions out per quarter: a
/// self-contained SVG (no fonts, scripts or links) with a `<title>` and a `<desc>`
/// giving every figure, for screen readers.
pub fn to_svg(s: &Statistics, lang: Lang) -> String {
    let t = titles(lang);
    let f = Frame {
        w: 640.0,
        h: 400.0,
        left: 64.0,
        right: 24.0,
        top: 72.0,
        bottom: 64.0,
    };
    let fy = fy_label(s.fiscal_year, lang);
    let title = match lang {
        Lang::En => format!("{fy}: reports in and provisions out per quarter"),
        Lang::Ja => format!("{fy} 四半期別の情報連絡・情報提供の件数"),
    };
    let series = [
        (t.reports_in, s.reports_in.quarters(), BLUE),
        (t.provisions, s.provisions_out.quarters(), ORANGE),
    ];
    let desc = (0..4)
        .map(|q| match lang {
            Lang::En => format!(
                "{}: {} reports in, {} provisions out",
                t.quarters[q], series[0].1[q], series[1].1[q]
            ),
            Lang::Ja => format!(
                "{}：情報連絡 {}件、情報提供 {}件",
                t.quarters[q], series[0].1[q], series[1].1[q]
            ),
        })
        .collect::<Vec<_>>()
        .join(lang.pick("; ", "。"));
    let id = format!("sakimori-stats-{}", s.fiscal_year);
    let mut o = String::new();
    svg_open(&mut o, &f, &id, &title, &desc, lang);
    let max = series.iter().flat_map(|s| s.1).max().unwrap_or(0);
    let (top_v, step) = nice_axis(max);
    svg_axes(
        &mut o,
        &f,
        top_v,
        step,
        &match lang {
            Lang::En => format!("Quarter ({fy})"),
            Lang::Ja => format!("四半期（{fy}）"),
        },
        lang.pick("Count", "件数"),
    );
    svg_legend(
        &mut o,
        &f,
        &series.iter().map(|s| (s.0, s.2)).collect::<Vec<_>>(),
    );
    let slot = f.plot_w() / 4.0;
    let bar = slot * 0.3;
    let base = f.h - f.bottom;
    for q in 0..4 {
        let x_slot = f.left + slot * q as f64;
        let first = x_slot + (slot - bar * series.len() as f64) / 2.0;
        for (n, (label, values, colour)) in series.iter().enumerate() {
            let v = values[q];
            let x = first + bar * n as f64;
            let y = f.y(v, top_v);
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
                 <title>{l} {q}: {v}</title></rect>\n\
                 <text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{v}</text>\n",
                h = base - y,
                l = esc(label),
                q = esc(t.quarters[q]),
                cx = x + bar / 2.0,
                ty = y - 4.0,
            );
        }
        let _ = writeln!(
            o,
            "<text x=\"{cx:.1}\" y=\"{y}\" text-anchor=\"middle\">{l}</text>",
            cx = x_slot + slot / 2.0,
            y = base + 18.0,
            l = esc(t.quarters[q]),
        );
    }
    o.push_str("</svg>");
    o
}

/// A line chart of the yearly totals (reports in, shares from ministries,
/// provisions out) across fiscal years, in fiscal-year order; self-contained SVG
/// with `<title>` and `<desc>`.
pub fn trend_svg(years: &[Statistics], lang: Lang) -> String {
    let t = titles(lang);
    let f = Frame {
        w: 640.0,
        h: 400.0,
        left: 64.0,
        right: 24.0,
        top: 72.0,
        bottom: 64.0,
    };
    let mut years: Vec<&Statistics> = years.iter().collect();
    years.sort_by_key(|s| s.fiscal_year);
    let span = match (years.first(), years.last()) {
        (Some(a), Some(b)) if a.fiscal_year != b.fiscal_year => format!(
            "{}–{}",
            fy_label(a.fiscal_year, lang),
            fy_label(b.fiscal_year, lang)
        ),
        (Some(a), _) => fy_label(a.fiscal_year, lang),
        _ => String::new(),
    };
    let title = match lang {
        Lang::En => format!("Reports in, shares and provisions out per fiscal year {span}"),
        Lang::Ja => format!("年度別の情報連絡・情報共有・情報提供の件数 {span}"),
    };
    let title = title.trim_end().to_owned();
    let series: [(&str, Vec<u64>, &str, &str); 3] = [
        (
            t.reports_in,
            years.iter().map(|s| s.reports_in.total).collect(),
            BLUE,
            "",
        ),
        (
            t.shares,
            years
                .iter()
                .map(|s| s.shares_from_ministries.total)
                .collect(),
            GREEN,
            " stroke-dasharray=\"2 3\"",
        ),
        (
            t.provisions,
            years.iter().map(|s| s.provisions_out.total).collect(),
            ORANGE,
            " stroke-dasharray=\"6 3\"",
        ),
    ];
    let desc = if years.is_empty() {
        lang.pick("No data.", "データがありません。").to_owned()
    } else {
        years
            .iter()
            .enumerate()
            .map(|(i, s)| match lang {
                Lang::En => format!(
                    "{}: {} reports in, {} shares, {} provisions out",
                    fy_label(s.fiscal_year, lang),
                    series[0].1[i],
                    series[1].1[i],
                    series[2].1[i]
                ),
                Lang::Ja => format!(
                    "{}：情報連絡 {}件、情報共有 {}件、情報提供 {}件",
                    fy_label(s.fiscal_year, lang),
                    series[0].1[i],
                    series[1].1[i],
                    series[2].1[i]
                ),
            })
            .collect::<Vec<_>>()
            .join(lang.pick("; ", "。"))
    };
    let mut o = String::new();
    svg_open(&mut o, &f, "sakimori-trend", &title, &desc, lang);
    let max = series.iter().flat_map(|s| s.1.iter().copied()).max();
    let (top_v, step) = nice_axis(max.unwrap_or(0));
    svg_axes(
        &mut o,
        &f,
        top_v,
        step,
        lang.pick("Fiscal year", "年度"),
        lang.pick("Count", "件数"),
    );
    svg_legend(
        &mut o,
        &f,
        &series.iter().map(|s| (s.0, s.2)).collect::<Vec<_>>(),
    );
    if years.is_empty() {
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            f.left + f.plot_w() / 2.0,
            f.top + f.plot_h() / 2.0,
            esc(lang.pick("No data", "データなし"))
        );
        o.push_str("</svg>");
        return o;
    }
    let inset = 24.0;
    let n = years.len();
    let x_of = |i: usize| {
        if n == 1 {
            f.left + f.plot_w() / 2.0
        } else {
            f.left + inset + (f.plot_w() - 2.0 * inset) * i as f64 / (n - 1) as f64
        }
    };
    let base = f.h - f.bottom;
    for (i, s) in years.iter().enumerate() {
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x_of(i),
            base + 18.0,
            esc(&fy_label(s.fiscal_year, lang))
        );
    }
    for (label, values, colour, dash) in &series {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), f.y(*v, top_v)))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            o,
            "<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>"
        );
        for (i, v) in values.iter().enumerate() {
            let _ = writeln!(
                o,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"><title>{} {}: {v}</title></circle>",
                x_of(i),
                f.y(*v, top_v),
                esc(label),
                esc(&fy_label(years[i].fiscal_year, lang)),
            );
        }
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(nice_axis(0), (1, 1));
        assert_eq!(nice_axis(5), (5, 1));
        assert_eq!(nice_axis(99), (120, 20));
        assert_eq!(nice_axis(90), (100, 20));
        assert_eq!(nice_axis(272), (300, 50));
        assert!(nice_axis(u64::MAX / 2).1 > 0);
    }

    #[test]
    fn lang_parses() {
        assert_eq!("ja".parse::<Lang>().unwrap(), Lang::Ja);
        assert_eq!("en".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Lang::default(), Lang::En);
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_text("electricity"), "electricity");
    }
}
