//! CEPTOAR drills (セプター訓練): the reachability table (疎通確認) computed from
//! who received and acknowledged the drill's messages, hop by hop.

use crate::registry::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum!(
    /// A provision drill goes down the tiers; a report drill goes up the chain.
    DrillKind {
        Provision => "provision",
        Report => "report",
    }
);

/// One hop of a drill: an organisation that should have received a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub organisation: String,
    /// `ministry`, `hub`, `organisation` (provision), or the recipient's tier
    /// (report): `ministry`, `coordination-centre`, `hub`, and `reporter`.
    pub tier: String,
    pub sector: Option<String>,
    /// The CEPTOAR of the hop's sector, if any.
    pub hub: Option<String>,
    pub reached: bool,
    pub acknowledged: bool,
}

/// Reachability of a group of hops.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub hops: u64,
    pub reached: u64,
    pub acknowledged: u64,
    /// Acknowledged / hops, 0..=1: a hop counts as reachable when confirmed.
    pub rate: f64,
}

impl Rate {
    fn add(&mut self, h: &Hop) {
        self.hops += 1;
        self.reached += h.reached as u64;
        self.acknowledged += h.acknowledged as u64;
        self.rate = self.acknowledged as f64 / self.hops as f64;
    }
}

/// The reachability table of a drill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reachability {
    pub overall: Rate,
    pub by_tier: BTreeMap<String, Rate>,
    pub by_sector: BTreeMap<String, Rate>,
    pub by_ceptoar: BTreeMap<String, Rate>,
}

pub fn reachability(hops: &[Hop]) -> Reachability {
    let mut r = Reachability::default();
    for h in hops {
        r.overall.add(h);
        r.by_tier.entry(h.tier.clone()).or_default().add(h);
        r.by_sector
            .entry(h.sector.clone().unwrap_or_else(|| "none".into()))
            .or_default()
            .add(h);
        if let Some(hub) = &h.hub {
            r.by_ceptoar.entry(hub.clone()).or_default().add(h);
        }
    }
    r
}

/// A bar chart of the reachability rate per tier and per CEPTOAR (self-contained SVG).
pub fn chart_svg(r: &Reachability, title: &str) -> String {
    let rows: Vec<(String, f64)> = r
        .by_tier
        .iter()
        .map(|(k, v)| (format!("tier: {k}"), v.rate))
        .chain(r.by_ceptoar.iter().map(|(k, v)| (k.clone(), v.rate)))
        .collect();
    let (w, bar, gap, left) = (640.0, 18.0, 8.0, 220.0);
    let h = 50.0 + rows.len() as f64 * (bar + gap);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="sans-serif" font-size="12"><title>{}</title><text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#,
        esc(title),
        esc(title)
    );
    for (i, (label, rate)) in rows.iter().enumerate() {
        let y = 36.0 + i as f64 * (bar + gap);
        let len = (w - left - 60.0) * rate;
        let colour = if *rate >= 0.95 {
            "#2e7d32"
        } else if *rate >= 0.8 {
            "#f9a825"
        } else {
            "#c62828"
        };
        out.push_str(&format!(
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{y}" width="{len:.1}" height="{bar}" fill="{colour}"/><text x="{}" y="{}">{:.0}%</text>"#,
            left - 6.0,
            y + 13.0,
            esc(label),
            left + len + 4.0,
            y + 13.0,
            rate * 100.0
        ));
    }
    out.push_str("</svg>");
    out
}

/// The self-check sheet operators fill after a drill (questions and answers).
pub const SELF_CHECK_QUESTIONS: &[(&str, &str, &str)] = &[
    (
        "received",
        "Did the drill message reach the right person?",
        "訓練メッセージは適切な担当者に届きましたか",
    ),
    (
        "contacts_current",
        "Is your registered contact list up to date?",
        "登録している連絡先は最新ですか",
    ),
    (
        "knew_recipients",
        "Did you know whom to report to, and in which order?",
        "誰にどの順で連絡すべきか把握していましたか",
    ),
    (
        "minutes_to_respond",
        "How many minutes did the response take?",
        "対応に要した時間（分）",
    ),
    ("comment", "Issues found, comments", "気付いた課題・意見"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(
        org: &str,
        tier: &str,
        sector: &str,
        hub: Option<&str>,
        reached: bool,
        ack: bool,
    ) -> Hop {
        Hop {
            organisation: org.into(),
            tier: tier.into(),
            sector: Some(sector.into()),
            hub: hub.map(Into::into),
            reached,
            acknowledged: ack,
        }
    }

    #[test]
    fn rates_per_tier_sector_and_ceptoar() {
        let hops = vec![
            hop("meti", "ministry", "electricity", None, true, true),
            hop(
                "ceptoar-electricity",
                "hub",
                "electricity",
                Some("ceptoar-electricity"),
                true,
                true,
            ),
            hop(
                "kanto-power",
                "organisation",
                "electricity",
                Some("ceptoar-electricity"),
                true,
                true,
            ),
            hop(
                "aoba-power",
                "organisation",
                "electricity",
                Some("ceptoar-electricity"),
                true,
                false,
            ),
            hop(
                "hinode-gas",
                "organisation",
                "gas",
                Some("ceptoar-gas"),
                false,
                false,
            ),
        ];
        let r = reachability(&hops);
        assert_eq!((r.overall.hops, r.overall.acknowledged), (5, 3));
        assert_eq!(r.by_tier["organisation"].rate, 1.0 / 3.0);
        assert_eq!(r.by_sector["gas"].rate, 0.0);
        assert_eq!(r.by_ceptoar["ceptoar-electricity"].acknowledged, 2);
        let svg = chart_svg(&r, "Drill <1>");
        assert!(
            svg.starts_with("<svg") && svg.ends_with("</svg>") && svg.contains("Drill &lt;1&gt;")
        );
    }
}
