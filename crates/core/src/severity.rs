//! The severity evaluation criteria (深刻度評価基準, first edition, 2018-07-25) as a
//! rule set with explicit thresholds, and an NCISS-style score for partners abroad.
//!
//! The official criteria name the viewpoints, the indicators and the five levels but
//! publish no figures. The thresholds here are Sakimori's documented defaults
//! ([`SeverityRules::default`], `docs/severity.md`); every one of them can be
//! overridden in configuration.
//!
//! Method (as in the criteria): each viewpoint is rated 0 to 4 on its own; the overall
//! level is the highest of them. Loss of trust alone never reaches level 4. Every
//! level the evaluation gives comes with the indicator and the input that produced it
//! ([`Reason`]). Whatever the configured thresholds, more harm never gives a lower
//! level (the evaluation is monotone; tested).

use serde::{Deserialize, Serialize};

use crate::classification::Label;
use crate::registry::string_enum;

// ---------------------------------------------------------------------------------
// Levels and viewpoints
// ---------------------------------------------------------------------------------

/// A severity level, 0 to 4. Serialised as the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
#[repr(u8)]
pub enum Level {
    /// レベル0 (なし): no impact (影響なし).
    None = 0,
    /// レベル1 (低): almost no impact (ほぼ影響なし).
    Low = 1,
    /// レベル2 (中): some impact (一定の影響).
    Medium = 2,
    /// レベル3 (高): large impact (大きな影響).
    High = 3,
    /// レベル4 (危機): extremely serious impact (著しく深刻な影響).
    Crisis = 4,
}

impl Level {
    pub const ALL: &'static [Level] = &[
        Level::None,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Crisis,
    ];

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The level for `n`, clamped to 0..=4.
    pub fn clamped(n: u8) -> Level {
        match n {
            0 => Level::None,
            1 => Level::Low,
            2 => Level::Medium,
            3 => Level::High,
            _ => Level::Crisis,
        }
    }

    /// The English name: none, low, medium, high, crisis.
    pub fn name(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Crisis => "crisis",
        }
    }

    pub fn label(self) -> Label {
        let (en, ja) = match self {
            Level::None => ("None", "なし"),
            Level::Low => ("Low", "低"),
            Level::Medium => ("Medium", "中"),
            Level::High => ("High", "高"),
            Level::Crisis => ("Crisis", "危機"),
        };
        Label { en, ja }
    }

    /// The official description of the level's impact on the continuity or the
    /// safety of the service.
    pub fn impact(self) -> Label {
        let (en, ja) = match self {
            Level::None => ("No impact", "影響なし"),
            Level::Low => ("Almost no impact", "ほぼ影響なし"),
            Level::Medium => ("Some impact", "一定の影響"),
            Level::High => ("Large impact", "大きな影響"),
            Level::Crisis => ("Extremely serious impact", "著しく深刻な影響"),
        };
        Label { en, ja }
    }

    /// Raised by `by` levels, never above 4.
    pub fn raised(self, by: u8) -> Level {
        Level::clamped(self.as_u8().saturating_add(by))
    }

    /// Lowered by `by` levels, never below 0.
    pub fn lowered(self, by: u8) -> Level {
        Level::clamped(self.as_u8().saturating_sub(by))
    }
}

impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.as_u8()
    }
}

impl TryFrom<u8> for Level {
    type Error = String;
    fn try_from(n: u8) -> Result<Level, String> {
        if n <= 4 {
            Ok(Level::clamped(n))
        } else {
            Err(format!("a severity level is 0 to 4, not {n}"))
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.as_u8(), self.name())
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Level {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(4))
            .description(Some(
                "Severity level: 0 none (なし), 1 low (低), 2 medium (中), 3 high (高), \
                 4 crisis (危機).",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Level {}

string_enum!(
    /// The viewpoints of the criteria (評価の観点).
    Viewpoint {
        Continuity => "continuity",
        Safety => "safety",
        Trust => "trust",
    }
);

impl Viewpoint {
    pub fn label(self) -> Label {
        let (en, ja) = match self {
            Viewpoint::Continuity => ("Continuity of the service", "サービスの持続性"),
            Viewpoint::Safety => (
                "Safety of the service, including facilities",
                "サービスに関する安全性",
            ),
            Viewpoint::Trust => ("Loss of trust in the service", "サービスに対する信頼低下"),
        };
        Label { en, ja }
    }
}

// ---------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------

string_enum!(
    /// The geographic extent of a disruption or of environmental damage, smallest first.
    Area {
        Facility => "facility",
        Municipality => "municipality",
        Prefecture => "prefecture",
        Region => "region",
        National => "national",
    }
);

impl Area {
    pub fn label(self) -> Label {
        let (en, ja) = match self {
            Area::Facility => ("A single facility or site", "施設・設備"),
            Area::Municipality => ("A municipality", "市区町村"),
            Area::Prefecture => ("A prefecture", "都道府県"),
            Area::Region => ("A region (several prefectures)", "地方（複数の都道府県）"),
            Area::National => ("The whole country", "全国"),
        };
        Label { en, ja }
    }
}

string_enum!(
    /// Whether the users of the disrupted service had a substitute, most substitutable
    /// first (less substitutable is more harm).
    Substitutability {
        Full => "full",
        Partial => "partial",
        None => "none",
    }
);

impl Substitutability {
    pub fn label(self) -> Label {
        let (en, ja) = match self {
            Substitutability::Full => (
                "Fully substitutable: users had an equivalent alternative",
                "代替手段により完全に代替可能",
            ),
            Substitutability::Partial => (
                "Partly substitutable: an alternative covered some users or functions",
                "一部代替可能",
            ),
            Substitutability::None => ("No substitute", "代替手段なし"),
        };
        Label { en, ja }
    }
}

string_enum!(
    /// How far trust in the service was lost, least first.
    ///
    /// - `none`: no sign of lost trust.
    /// - `limited`: complaints or concern confined to the customers directly
    ///   affected; no media coverage beyond them.
    /// - `local`: trust lost in a locality or in one sector's customer base; local or
    ///   trade press coverage; customers switch provider locally.
    /// - `national`: national media coverage, questions in the Diet or from the
    ///   supervising ministry in public, customers across the country lose confidence.
    /// - `international`: coverage abroad and concern from foreign governments or
    ///   partners; the reputation of Japan's critical infrastructure is at stake.
    TrustLoss {
        None => "none",
        Limited => "limited",
        Local => "local",
        National => "national",
        International => "international",
    }
);

impl TrustLoss {
    pub fn label(self) -> Label {
        let (en, ja) = match self {
            TrustLoss::None => ("No loss of trust", "信頼低下なし"),
            TrustLoss::Limited => (
                "Limited to the affected customers",
                "影響を受けた利用者に限定",
            ),
            TrustLoss::Local => ("Local or within the sector", "地域的・分野内"),
            TrustLoss::National => ("National", "全国的"),
            TrustLoss::International => ("International", "国際的"),
        };
        Label { en, ja }
    }
}

/// What is known of an outage's consequences. Every field is optional: the facts
/// arrive over time, and a missing input contributes nothing (it is listed in
/// [`Evaluation::missing`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SeverityInputs {
    /// Users or customers whose service was disrupted (提供支障の範囲).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_people: Option<u64>,
    /// The area over which the service was disrupted (提供支障の範囲).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_area: Option<Area>,
    /// How long the disruption lasted, in hours (提供支障の時間).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_hours: Option<f64>,
    /// Whether users had a substitute (代替性).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substitutability: Option<Substitutability>,
    /// Organisations affected at the same time by the same cause, the reporting one
    /// included (同時多発性).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simultaneous_organisations: Option<u32>,
    /// Critical-infrastructure sectors affected at the same time, the reporting
    /// organisation's included (同時多発性).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simultaneous_sectors: Option<u32>,
    /// Deaths (人的被害).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deaths: Option<u32>,
    /// People injured (人的被害).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injuries: Option<u32>,
    /// Physical damage, in yen (物的被害).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_damage_jpy: Option<u64>,
    /// Residents evacuated or told to shelter (住民避難等).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evacuated_people: Option<u64>,
    /// Cost of restoring the environment, in yen (環境影響: 原状回復費用).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_restoration_jpy: Option<u64>,
    /// Extent of the environmental damage (環境影響: 範囲).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_area: Option<Area>,
    /// Loss of trust in the service (サービスに対する信頼低下).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_trust: Option<TrustLoss>,
}

impl SeverityInputs {
    /// The field names, in order.
    pub const FIELDS: &'static [&'static str] = &[
        "affected_people",
        "affected_area",
        "duration_hours",
        "substitutability",
        "simultaneous_organisations",
        "simultaneous_sectors",
        "deaths",
        "injuries",
        "property_damage_jpy",
        "evacuated_people",
        "environmental_restoration_jpy",
        "environmental_area",
        "lost_trust",
    ];

    fn given(&self) -> [bool; 13] {
        [
            self.affected_people.is_some(),
            self.affected_area.is_some(),
            self.duration().is_some(),
            self.substitutability.is_some(),
            self.simultaneous_organisations.is_some(),
            self.simultaneous_sectors.is_some(),
            self.deaths.is_some(),
            self.injuries.is_some(),
            self.property_damage_jpy.is_some(),
            self.evacuated_people.is_some(),
            self.environmental_restoration_jpy.is_some(),
            self.environmental_area.is_some(),
            self.lost_trust.is_some(),
        ]
    }

    /// The names of the inputs not given (an invalid duration counts as not given).
    pub fn missing(&self) -> Vec<String> {
        Self::FIELDS
            .iter()
            .zip(self.given())
            .filter(|(_, given)| !given)
            .map(|(f, _)| (*f).to_owned())
            .collect()
    }

    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        *self == SeverityInputs::default()
    }

    /// Problems that make an input unusable (a negative or non-finite duration).
    /// [`evaluate`] ignores such an input; an API should refuse it.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        match self.duration_hours {
            Some(d) if !(d.is_finite() && d >= 0.0) => Err(vec![format!(
                "duration_hours must be a finite number of hours, 0 or more, not {d}"
            )]),
            _ => Ok(()),
        }
    }

    fn duration(&self) -> Option<f64> {
        self.duration_hours.filter(|d| d.is_finite() && *d >= 0.0)
    }
}

// ---------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------

/// A count (people, yen) at or above which an indicator reaches `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub at_least: u64,
    pub level: Level,
}

/// A duration in hours at or above which the duration reaches `level`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HoursThreshold {
    pub at_least: f64,
    pub level: Level,
}

/// The level of each area. A larger area never rates lower than a smaller one: the
/// level used for an area is the highest configured for it or any smaller area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct AreaLevels {
    pub facility: Level,
    pub municipality: Level,
    pub prefecture: Level,
    pub region: Level,
    pub national: Level,
}

impl Default for AreaLevels {
    fn default() -> Self {
        AreaLevels {
            facility: Level::Low,
            municipality: Level::Medium,
            prefecture: Level::High,
            region: Level::Crisis,
            national: Level::Crisis,
        }
    }
}

impl AreaLevels {
    fn configured(&self, area: Area) -> Level {
        match area {
            Area::Facility => self.facility,
            Area::Municipality => self.municipality,
            Area::Prefecture => self.prefecture,
            Area::Region => self.region,
            Area::National => self.national,
        }
    }

    /// The level of `area`: the highest configured for it or a smaller area.
    pub fn level(&self, area: Area) -> Level {
        Area::ALL
            .iter()
            .filter(|a| **a <= area)
            .map(|a| self.configured(*a))
            .max()
            .unwrap_or(Level::None)
    }
}

/// How substitutability adjusts the continuity level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SubstitutabilityRules {
    /// Full substitutability caps the continuity level here (before simultaneity).
    pub full_max: Level,
    /// Partial substitutability lowers the continuity level by this many levels, but
    /// never below what full substitutability would give.
    pub partial_lower_by: u8,
}

impl Default for SubstitutabilityRules {
    fn default() -> Self {
        SubstitutabilityRules {
            full_max: Level::Low,
            partial_lower_by: 1,
        }
    }
}

/// When simultaneity (同時多発性) raises the continuity and the safety level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SimultaneityRules {
    /// Raise when at least this many organisations were affected at the same time.
    pub organisations_at_least: u32,
    /// Raise when at least this many sectors were affected at the same time.
    pub sectors_at_least: u32,
    /// By how many levels (never above 4). A viewpoint at level 0 is not raised.
    pub raise_by: u8,
}

impl Default for SimultaneityRules {
    fn default() -> Self {
        SimultaneityRules {
            organisations_at_least: 3,
            sectors_at_least: 2,
            raise_by: 1,
        }
    }
}

/// The level of each degree of lost trust. As with areas, a greater loss never
/// rates lower than a smaller one. Whatever is configured, the trust viewpoint never
/// exceeds level 3 (a rule of the criteria, not a threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TrustLevels {
    pub none: Level,
    pub limited: Level,
    pub local: Level,
    pub national: Level,
    pub international: Level,
}

impl Default for TrustLevels {
    fn default() -> Self {
        TrustLevels {
            none: Level::None,
            limited: Level::Low,
            local: Level::Medium,
            national: Level::High,
            international: Level::High,
        }
    }
}

impl TrustLevels {
    fn configured(&self, t: TrustLoss) -> Level {
        match t {
            TrustLoss::None => self.none,
            TrustLoss::Limited => self.limited,
            TrustLoss::Local => self.local,
            TrustLoss::National => self.national,
            TrustLoss::International => self.international,
        }
    }

    /// The configured level of `t`: the highest for it or a smaller loss (before the
    /// cap at 3).
    pub fn level(&self, t: TrustLoss) -> Level {
        TrustLoss::ALL
            .iter()
            .filter(|x| **x <= t)
            .map(|x| self.configured(*x))
            .max()
            .unwrap_or(Level::None)
    }
}

/// The tunable rule set. `Default` is the documented defaults (`docs/severity.md`);
/// a configuration file overrides any field, the others keep their defaults. A
/// threshold list replaces the default list as a whole. An indicator's level is the
/// highest level among the thresholds its input reaches (the order of a list does not
/// matter); an input below every threshold gives level 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SeverityRules {
    /// Continuity: scope of the disruption, people.
    pub affected_people: Vec<Threshold>,
    /// Continuity: scope of the disruption, area.
    pub affected_area: AreaLevels,
    /// Continuity: the duration's own level, which pulls the scope level one step
    /// towards it.
    pub duration_hours: Vec<HoursThreshold>,
    /// Continuity: substitutability.
    pub substitutability: SubstitutabilityRules,
    /// Continuity and safety: simultaneity.
    pub simultaneity: SimultaneityRules,
    /// Safety: deaths.
    pub deaths: Vec<Threshold>,
    /// Safety: injuries.
    pub injuries: Vec<Threshold>,
    /// Safety: physical damage in yen.
    pub property_damage_jpy: Vec<Threshold>,
    /// Safety: residents evacuated.
    pub evacuated_people: Vec<Threshold>,
    /// Safety: environmental restoration cost in yen.
    pub environmental_restoration_jpy: Vec<Threshold>,
    /// Safety: extent of the environmental damage.
    pub environmental_area: AreaLevels,
    /// Trust: level of each degree of lost trust (capped at 3).
    pub lost_trust: TrustLevels,
}

fn counts(steps: &[(u64, u8)]) -> Vec<Threshold> {
    steps
        .iter()
        .map(|&(at_least, level)| Threshold {
            at_least,
            level: Level::clamped(level),
        })
        .collect()
}

impl Default for SeverityRules {
    fn default() -> Self {
        const YEN_STEPS: &[(u64, u8)] = &[
            (1, 1),
            (100_000_000, 2),
            (1_000_000_000, 3),
            (10_000_000_000, 4),
        ];
        SeverityRules {
            affected_people: counts(&[(1, 1), (1_000, 2), (100_000, 3), (1_000_000, 4)]),
            affected_area: AreaLevels::default(),
            duration_hours: [(1.0, 1), (6.0, 2), (24.0, 3), (72.0, 4)]
                .iter()
                .map(|&(at_least, level)| HoursThreshold {
                    at_least,
                    level: Level::clamped(level),
                })
                .collect(),
            substitutability: SubstitutabilityRules::default(),
            simultaneity: SimultaneityRules::default(),
            deaths: counts(&[(1, 3), (10, 4)]),
            injuries: counts(&[(1, 2), (10, 3), (100, 4)]),
            property_damage_jpy: counts(YEN_STEPS),
            evacuated_people: counts(&[(1, 2), (1_000, 3), (100_000, 4)]),
            environmental_restoration_jpy: counts(YEN_STEPS),
            environmental_area: AreaLevels::default(),
            lost_trust: TrustLevels::default(),
        }
    }
}

impl SeverityRules {
    /// Problems with a configured rule set: hours that are negative or not finite,
    /// simultaneity thresholds of 0. Each problem names its field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        for (i, t) in self.duration_hours.iter().enumerate() {
            if !(t.at_least.is_finite() && t.at_least >= 0.0) {
                errors.push(format!(
                    "duration_hours[{i}].at_least must be a finite number of hours, 0 or more, not {}",
                    t.at_least
                ));
            }
        }
        if self.simultaneity.organisations_at_least == 0 {
            errors.push("simultaneity.organisations_at_least must be 1 or more".into());
        }
        if self.simultaneity.sectors_at_least == 0 {
            errors.push("simultaneity.sectors_at_least must be 1 or more".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

// ---------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------

/// Why a viewpoint has its level: one step of the evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The input field (a [`SeverityInputs`] field name).
    pub indicator: String,
    /// Its value.
    pub input: String,
    /// The rule applied, with its threshold.
    pub rule: String,
    /// For an indicator rated on its own (people, area, deaths, ...): its level. For
    /// an adjustment (duration, substitutability, simultaneity, the trust cap): the
    /// viewpoint's level after it.
    pub level: Level,
}

/// The level of one viewpoint and the steps that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ViewpointResult {
    pub viewpoint: Viewpoint,
    pub level: Level,
    pub reasons: Vec<Reason>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// The highest of the viewpoint levels.
    pub overall: Level,
    /// Continuity, safety and trust, in that order.
    pub viewpoints: Vec<ViewpointResult>,
    /// The inputs not given, which contributed nothing.
    pub missing: Vec<String>,
}

impl Evaluation {
    pub fn viewpoint(&self, v: Viewpoint) -> &ViewpointResult {
        self.viewpoints
            .iter()
            .find(|r| r.viewpoint == v)
            .expect("evaluate gives every viewpoint")
    }

    pub fn level(&self, v: Viewpoint) -> Level {
        self.viewpoint(v).level
    }
}

fn reason(indicator: &str, input: impl ToString, rule: String, level: Level) -> Reason {
    Reason {
        indicator: indicator.to_owned(),
        input: input.to_string(),
        rule,
        level,
    }
}

/// The level of a count against thresholds, and the rule text.
fn count_level(field: &str, value: u64, thresholds: &[Threshold]) -> (Level, String) {
    let best = thresholds
        .iter()
        .filter(|t| value >= t.at_least)
        .max_by_key(|t| (t.level, std::cmp::Reverse(t.at_least)));
    match best {
        Some(t) => (
            t.level,
            format!("{field} >= {} -> level {}", t.at_least, t.level.as_u8()),
        ),
        None => (
            Level::None,
            below(field, "level", thresholds.iter().map(|t| t.at_least).min()),
        ),
    }
}

fn hours_level(value: f64, thresholds: &[HoursThreshold]) -> (Level, String) {
    let best = thresholds
        .iter()
        .filter(|t| value >= t.at_least)
        .max_by(|a, b| {
            a.level
                .cmp(&b.level)
                .then(b.at_least.total_cmp(&a.at_least))
        });
    match best {
        Some(t) => (
            t.level,
            format!(
                "duration_hours >= {} -> duration level {}",
                t.at_least,
                t.level.as_u8()
            ),
        ),
        None => {
            let min = thresholds.iter().map(|t| t.at_least).min_by(f64::total_cmp);
            (Level::None, below("duration_hours", "duration level", min))
        }
    }
}

fn below(field: &str, what: &str, min: Option<impl std::fmt::Display>) -> String {
    match min {
        Some(m) => format!("{field} < {m} -> {what} 0"),
        None => format!("no {field} thresholds configured -> {what} 0"),
    }
}

/// Applies simultaneity to a viewpoint's level, with a reason per given input.
fn simultaneity(
    level: Level,
    inputs: &SeverityInputs,
    rules: &SimultaneityRules,
    reasons: &mut Vec<Reason>,
) -> Level {
    let mut current = level;
    let mut raised = false;
    let checks = [
        (
            "simultaneous_organisations",
            inputs.simultaneous_organisations,
            rules.organisations_at_least,
        ),
        (
            "simultaneous_sectors",
            inputs.simultaneous_sectors,
            rules.sectors_at_least,
        ),
    ];
    for (field, value, at_least) in checks {
        let Some(n) = value else { continue };
        let rule = if n < at_least {
            format!("{field} < {at_least}: no raise")
        } else if level == Level::None {
            format!("{field} >= {at_least}, but there is no impact to raise")
        } else if raised {
            format!("{field} >= {at_least}: already raised (simultaneity raises once)")
        } else {
            raised = true;
            let before = current;
            current = current.raised(rules.raise_by);
            format!(
                "{field} >= {at_least}: simultaneity raises the level by {} from {} to {}",
                rules.raise_by,
                before.as_u8(),
                current.as_u8()
            )
        };
        reasons.push(reason(field, n, rule, current));
    }
    current
}

fn continuity(inputs: &SeverityInputs, rules: &SeverityRules) -> ViewpointResult {
    let mut reasons = Vec::new();
    let mut scope = Level::None;
    if let Some(n) = inputs.affected_people {
        let (l, rule) = count_level("affected_people", n, &rules.affected_people);
        reasons.push(reason("affected_people", n, rule, l));
        scope = scope.max(l);
    }
    if let Some(a) = inputs.affected_area {
        let l = rules.affected_area.level(a);
        let rule = format!("affected_area = {a} -> level {}", l.as_u8());
        reasons.push(reason("affected_area", a, rule, l));
        scope = scope.max(l);
    }

    let mut level = scope;
    if let Some(d) = inputs.duration() {
        let (dl, rule) = hours_level(d, &rules.duration_hours);
        let rule = if scope == Level::None {
            format!("{rule}; no disruption scope to adjust")
        } else {
            let new = match dl.cmp(&level) {
                std::cmp::Ordering::Greater => level.raised(1),
                std::cmp::Ordering::Less => level.lowered(1).max(Level::Low),
                std::cmp::Ordering::Equal => level,
            };
            let text = match (dl.cmp(&level), new.cmp(&level)) {
                (std::cmp::Ordering::Equal, _) => {
                    format!("{rule}, the same as the scope level: {}", new.as_u8())
                }
                (_, std::cmp::Ordering::Equal) => format!(
                    "{rule}, below the scope level {}, but a disruption stays at level 1 \
                     or above: {}",
                    level.as_u8(),
                    new.as_u8()
                ),
                (_, ord) => format!(
                    "{rule}, which {} the scope level {} one step towards it: {}",
                    if ord == std::cmp::Ordering::Greater {
                        "raises"
                    } else {
                        "lowers"
                    },
                    level.as_u8(),
                    new.as_u8()
                ),
            };
            level = new;
            text
        };
        reasons.push(reason("duration_hours", d, rule, level));
    }

    if let Some(s) = inputs.substitutability {
        let sub = &rules.substitutability;
        let rule = if level == Level::None {
            format!("substitutability = {s}; no disruption scope to adjust")
        } else {
            let before = level;
            let capped = level.min(sub.full_max);
            let text = match s {
                Substitutability::Full => {
                    level = capped;
                    format!(
                        "full substitutability caps the level at {}",
                        sub.full_max.as_u8()
                    )
                }
                Substitutability::Partial => {
                    level = level.lowered(sub.partial_lower_by).max(capped);
                    format!(
                        "partial substitutability lowers the level by {} (not below {})",
                        sub.partial_lower_by,
                        capped.as_u8()
                    )
                }
                Substitutability::None => "no substitute: level unchanged".to_owned(),
            };
            format!("{text}: {} -> {}", before.as_u8(), level.as_u8())
        };
        reasons.push(reason("substitutability", s, rule, level));
    }

    let level = simultaneity(level, inputs, &rules.simultaneity, &mut reasons);
    ViewpointResult {
        viewpoint: Viewpoint::Continuity,
        level,
        reasons,
    }
}

fn safety(inputs: &SeverityInputs, rules: &SeverityRules) -> ViewpointResult {
    let mut reasons = Vec::new();
    let counted = [
        ("deaths", inputs.deaths.map(u64::from), &rules.deaths),
        ("injuries", inputs.injuries.map(u64::from), &rules.injuries),
        (
            "property_damage_jpy",
            inputs.property_damage_jpy,
            &rules.property_damage_jpy,
        ),
        (
            "evacuated_people",
            inputs.evacuated_people,
            &rules.evacuated_people,
        ),
        (
            "environmental_restoration_jpy",
            inputs.environmental_restoration_jpy,
            &rules.environmental_restoration_jpy,
        ),
    ];
    let mut level = Level::None;
    for (field, value, thresholds) in counted {
        if let Some(n) = value {
            let (l, rule) = count_level(field, n, thresholds);
            reasons.push(reason(field, n, rule, l));
            level = level.max(l);
        }
    }
    if let Some(a) = inputs.environmental_area {
        let l = rules.environmental_area.level(a);
        let rule = format!("environmental_area = {a} -> level {}", l.as_u8());
        reasons.push(reason("environmental_area", a, rule, l));
        level = level.max(l);
    }
    let level = simultaneity(level, inputs, &rules.simultaneity, &mut reasons);
    ViewpointResult {
        viewpoint: Viewpoint::Safety,
        level,
        reasons,
    }
}

fn trust(inputs: &SeverityInputs, rules: &SeverityRules) -> ViewpointResult {
    let mut reasons = Vec::new();
    let mut level = Level::None;
    if let Some(t) = inputs.lost_trust {
        let configured = rules.lost_trust.level(t);
        level = configured.min(Level::High);
        let rule = if configured > level {
            format!(
                "lost_trust = {t} -> level {}, capped at 3: loss of trust alone never reaches level 4",
                configured.as_u8()
            )
        } else {
            format!("lost_trust = {t} -> level {}", level.as_u8())
        };
        reasons.push(reason("lost_trust", t, rule, level));
    }
    ViewpointResult {
        viewpoint: Viewpoint::Trust,
        level,
        reasons,
    }
}

/// Rates each viewpoint on its own and takes the highest as the overall level.
///
/// - Continuity (サービスの持続性): the scope level is the higher of the people and
///   the area level. The duration has its own level and pulls the scope level one
///   step towards it (up if longer, down if shorter, never below 1). Full
///   substitutability then caps the level (default 1); partial lowers it (default by
///   1); no substitute leaves it. An unknown duration or substitutability leaves the
///   scope level unadjusted. Without a scope, continuity is 0.
/// - Safety (サービスに関する安全性): the highest of the deaths, injuries, property
///   damage, evacuation, restoration cost and environmental area levels.
/// - Simultaneity (同時多発性) then raises continuity and safety (default by 1, when
///   at least 3 organisations or 2 sectors were hit), not from 0, never above 4.
/// - Trust (信頼低下): the level of the degree of lost trust, never above 3.
pub fn evaluate(inputs: &SeverityInputs, rules: &SeverityRules) -> Evaluation {
    let viewpoints = vec![
        continuity(inputs, rules),
        safety(inputs, rules),
        trust(inputs, rules),
    ];
    let overall = viewpoints
        .iter()
        .map(|v| v.level)
        .max()
        .unwrap_or(Level::None);
    Evaluation {
        overall,
        viewpoints,
        missing: inputs.missing(),
    }
}

// ---------------------------------------------------------------------------------
// NCISS-style score
// ---------------------------------------------------------------------------------

string_enum!(
    /// The priority levels of CISA's NCISS, by score: baseline (white) below 35, low
    /// (green) 35-49, medium (yellow) 50-64, high (orange) 65-79, severe (red) 80-89,
    /// emergency (black) 90 and above.
    NcissPriority {
        Baseline => "baseline",
        Low => "low",
        Medium => "medium",
        High => "high",
        Severe => "severe",
        Emergency => "emergency",
    }
);

impl NcissPriority {
    /// The priority of a score.
    pub fn from_score(score: u8) -> NcissPriority {
        match score {
            0..=34 => NcissPriority::Baseline,
            35..=49 => NcissPriority::Low,
            50..=64 => NcissPriority::Medium,
            65..=79 => NcissPriority::High,
            80..=89 => NcissPriority::Severe,
            _ => NcissPriority::Emergency,
        }
    }

    /// NCISS level number, 0 (baseline) to 5 (emergency).
    pub fn level(self) -> u8 {
        match self {
            NcissPriority::Baseline => 0,
            NcissPriority::Low => 1,
            NcissPriority::Medium => 2,
            NcissPriority::High => 3,
            NcissPriority::Severe => 4,
            NcissPriority::Emergency => 5,
        }
    }

    pub fn colour(self) -> &'static str {
        match self {
            NcissPriority::Baseline => "white",
            NcissPriority::Low => "green",
            NcissPriority::Medium => "yellow",
            NcissPriority::High => "orange",
            NcissPriority::Severe => "red",
            NcissPriority::Emergency => "black",
        }
    }

    pub fn label(self) -> Label {
        let (en, ja) = match self {
            NcissPriority::Baseline => ("Baseline", "ベースライン"),
            NcissPriority::Low => ("Low", "低"),
            NcissPriority::Medium => ("Medium", "中"),
            NcissPriority::High => ("High", "高"),
            NcissPriority::Severe => ("Severe", "深刻"),
            NcissPriority::Emergency => ("Emergency", "緊急"),
        };
        Label { en, ja }
    }
}

string_enum!(
    /// The categories of the NCISS-style score, with the NCISS category each stands
    /// for: impact (Functional Impact, and Potential Impact on public health and
    /// safety), recoverability (Recoverability), cross-sector (Cross-Sector
    /// Dependency), public-confidence (Potential Impact on public confidence).
    NcissCategory {
        Impact => "impact",
        Recoverability => "recoverability",
        CrossSector => "cross-sector",
        PublicConfidence => "public-confidence",
    }
);

impl NcissCategory {
    /// The category's weight in points; the points add up to 100.
    pub fn points(self) -> u8 {
        match self {
            NcissCategory::Impact => 70,
            NcissCategory::Recoverability => 10,
            NcissCategory::CrossSector => 10,
            NcissCategory::PublicConfidence => 10,
        }
    }

    /// The category's weight, 0 to 1; the weights add up to 1.
    pub fn weight(self) -> f64 {
        f64::from(self.points()) / 100.0
    }
}

/// One category of the NCISS-style score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NcissScore {
    pub category: NcissCategory,
    pub weight: f64,
    /// 0 to 1.
    pub value: f64,
    /// Which inputs gave the value.
    pub basis: String,
}

/// An NCISS-style score: an approximation of CISA's National Cyber Incident Scoring
/// System for partners abroad, not the NCISS itself (whose categories need facts a
/// Japanese report does not carry, such as the observed activity and the actor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Nciss {
    /// 0 to 100: the weighted sum of the category values, times 100, rounded.
    pub score: u8,
    pub priority: NcissPriority,
    pub categories: Vec<NcissScore>,
}

/// The NCISS-style score of the inputs, or `None` when nothing is known.
///
/// It is computed with the default rules ([`SeverityRules::default`]) whatever the
/// configured ones, so that a score means the same wherever it comes from:
///
/// - impact (weight 0.7): the higher of the continuity and the safety level, / 4;
/// - recoverability (0.1): the duration level / 4, times 0.25 if fully
///   substitutable, 0.5 if partly, 1 if not or unknown; 0 if the duration is unknown;
/// - cross-sector (0.1): (sectors − 1) / 3 up to 1, or 0.25 from 3 organisations
///   and 0.5 from 10, whichever is higher;
/// - public confidence (0.1): none 0, limited 0.25, local 0.5, national 0.75,
///   international 1.
pub fn nciss(inputs: &SeverityInputs) -> Option<Nciss> {
    if inputs.is_empty() {
        return None;
    }
    let rules = SeverityRules::default();
    let eval = evaluate(inputs, &rules);
    let continuity = eval.level(Viewpoint::Continuity);
    let safety = eval.level(Viewpoint::Safety);
    let (impact_level, from) = if safety > continuity {
        (safety, Viewpoint::Safety)
    } else {
        (continuity, Viewpoint::Continuity)
    };
    let impact = f64::from(impact_level.as_u8()) / 4.0;

    let (recoverability, recover_basis) = match inputs.duration() {
        None => (0.0, "duration unknown".to_owned()),
        Some(d) => {
            let (dl, _) = hours_level(d, &rules.duration_hours);
            let factor = match inputs.substitutability {
                Some(Substitutability::Full) => 0.25,
                Some(Substitutability::Partial) => 0.5,
                Some(Substitutability::None) | None => 1.0,
            };
            let subst = inputs
                .substitutability
                .map_or("unknown", Substitutability::as_str);
            (
                f64::from(dl.as_u8()) / 4.0 * factor,
                format!(
                    "duration {d} h (duration level {}) x substitutability {subst} ({factor})",
                    dl.as_u8()
                ),
            )
        }
    };

    let sectors = inputs.simultaneous_sectors.unwrap_or(0);
    let by_sectors = (f64::from(sectors.saturating_sub(1)) / 3.0).min(1.0);
    let orgs = inputs.simultaneous_organisations.unwrap_or(0);
    let by_orgs = match orgs {
        0..=2 => 0.0,
        3..=9 => 0.25,
        _ => 0.5,
    };
    let cross = by_sectors.max(by_orgs);

    let confidence = match inputs.lost_trust {
        None | Some(TrustLoss::None) => 0.0,
        Some(TrustLoss::Limited) => 0.25,
        Some(TrustLoss::Local) => 0.5,
        Some(TrustLoss::National) => 0.75,
        Some(TrustLoss::International) => 1.0,
    };

    let categories = vec![
        NcissScore {
            category: NcissCategory::Impact,
            weight: NcissCategory::Impact.weight(),
            value: impact,
            basis: format!(
                "{} level {} (continuity {}, safety {})",
                from,
                impact_level.as_u8(),
                continuity.as_u8(),
                safety.as_u8()
            ),
        },
        NcissScore {
            category: NcissCategory::Recoverability,
            weight: NcissCategory::Recoverability.weight(),
            value: recoverability,
            basis: recover_basis,
        },
        NcissScore {
            category: NcissCategory::CrossSector,
            weight: NcissCategory::CrossSector.weight(),
            value: cross,
            basis: format!(
                "simultaneous sectors {}, organisations {}",
                inputs
                    .simultaneous_sectors
                    .map_or("unknown".to_owned(), |n| n.to_string()),
                inputs
                    .simultaneous_organisations
                    .map_or("unknown".to_owned(), |n| n.to_string()),
            ),
        },
        NcissScore {
            category: NcissCategory::PublicConfidence,
            weight: NcissCategory::PublicConfidence.weight(),
            value: confidence,
            basis: format!(
                "lost trust {}",
                inputs.lost_trust.map_or("unknown", TrustLoss::as_str)
            ),
        },
    ];
    // Points (exact integers) times values: 70 x 0.75 is exactly 52.5, rounded to 53.
    let sum: f64 = categories
        .iter()
        .map(|c| f64::from(c.category.points()) * c.value)
        .sum();
    // The points add up to 100 and every value is within 0..=1.
    let score = sum.round().clamp(0.0, 100.0) as u8;
    Some(Nciss {
        score,
        priority: NcissPriority::from_score(score),
        categories,
    })
}

/// The scales with their labels, for an API endpoint: the five levels with their
/// official impact description, the three viewpoints, the input vocabularies
/// (areas, substitutability, lost trust) and the NCISS priorities.
pub fn scale() -> serde_json::Value {
    fn entries<T: Copy>(
        all: &[T],
        id: impl Fn(T) -> &'static str,
        label: impl Fn(T) -> Label,
    ) -> Vec<serde_json::Value> {
        all.iter()
            .map(|x| serde_json::json!({ "id": id(*x), "en": label(*x).en, "ja": label(*x).ja }))
            .collect()
    }
    serde_json::json!({
        "levels": Level::ALL.iter().map(|l| serde_json::json!({
            "level": l.as_u8(),
            "id": l.name(),
            "en": l.label().en,
            "ja": l.label().ja,
            "impact": { "en": l.impact().en, "ja": l.impact().ja },
        })).collect::<Vec<_>>(),
        "viewpoints": entries(Viewpoint::ALL, Viewpoint::as_str, Viewpoint::label),
        "areas": entries(Area::ALL, Area::as_str, Area::label),
        "substitutability": entries(Substitutability::ALL, Substitutability::as_str, Substitutability::label),
        "lost_trust": entries(TrustLoss::ALL, TrustLoss::as_str, TrustLoss::label),
        "nciss_priorities": NcissPriority::ALL.iter().map(|p| serde_json::json!({
            "id": p.as_str(),
            "level": p.level(),
            "colour": p.colour(),
            "en": p.label().en,
            "ja": p.label().ja,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> SeverityRules {
        SeverityRules::default()
    }

    /// (indicator, input, rule, level) of every reason of a viewpoint.
    fn reasons(e: &Evaluation, v: Viewpoint) -> Vec<(String, String, String, u8)> {
        e.viewpoint(v)
            .reasons
            .iter()
            .map(|r| {
                (
                    r.indicator.clone(),
                    r.input.clone(),
                    r.rule.clone(),
                    r.level.as_u8(),
                )
            })
            .collect()
    }

    fn r(indicator: &str, input: &str, rule: &str, level: u8) -> (String, String, String, u8) {
        (indicator.into(), input.into(), rule.into(), level)
    }

    fn levels(e: &Evaluation) -> [u8; 4] {
        [
            e.overall.as_u8(),
            e.level(Viewpoint::Continuity).as_u8(),
            e.level(Viewpoint::Safety).as_u8(),
            e.level(Viewpoint::Trust).as_u8(),
        ]
    }

    /// Worked example 1 of docs/severity.md: DDoS on online banking.
    fn bank_ddos() -> SeverityInputs {
        SeverityInputs {
            affected_people: Some(20_000),
            duration_hours: Some(3.0),
            substitutability: Some(Substitutability::Partial),
            simultaneous_organisations: Some(1),
            lost_trust: Some(TrustLoss::Limited),
            ..Default::default()
        }
    }

    /// Worked example 2: ransomware stops a railway's ticketing and seat reservation.
    fn railway_ransomware() -> SeverityInputs {
        SeverityInputs {
            affected_people: Some(300_000),
            affected_area: Some(Area::Prefecture),
            duration_hours: Some(30.0),
            substitutability: Some(Substitutability::Partial),
            lost_trust: Some(TrustLoss::National),
            ..Default::default()
        }
    }

    /// Worked example 3: attack on a power grid's control systems, knock-on to water
    /// and telecommunications.
    fn grid_attack() -> SeverityInputs {
        SeverityInputs {
            affected_people: Some(1_200_000),
            affected_area: Some(Area::Region),
            duration_hours: Some(50.0),
            substitutability: Some(Substitutability::None),
            simultaneous_organisations: Some(2),
            simultaneous_sectors: Some(3),
            deaths: Some(2),
            injuries: Some(15),
            property_damage_jpy: Some(5_000_000_000),
            evacuated_people: Some(3_000),
            lost_trust: Some(TrustLoss::International),
            ..Default::default()
        }
    }

    #[test]
    fn level_0_nothing_known_or_no_harm() {
        let e = evaluate(&SeverityInputs::default(), &rules());
        assert_eq!(levels(&e), [0, 0, 0, 0]);
        assert!(e.viewpoints.iter().all(|v| v.reasons.is_empty()));
        assert_eq!(e.missing.len(), SeverityInputs::FIELDS.len());
        assert_eq!(nciss(&SeverityInputs::default()), None);

        let inputs = SeverityInputs {
            affected_people: Some(0),
            duration_hours: Some(12.0),
            deaths: Some(0),
            simultaneous_sectors: Some(4),
            lost_trust: Some(TrustLoss::None),
            ..Default::default()
        };
        let e = evaluate(&inputs, &rules());
        assert_eq!(levels(&e), [0, 0, 0, 0]);
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r("affected_people", "0", "affected_people < 1 -> level 0", 0),
                r(
                    "duration_hours",
                    "12",
                    "duration_hours >= 6 -> duration level 2; no disruption scope to adjust",
                    0
                ),
                r(
                    "simultaneous_sectors",
                    "4",
                    "simultaneous_sectors >= 2, but there is no impact to raise",
                    0
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Safety),
            vec![
                r("deaths", "0", "deaths < 1 -> level 0", 0),
                r(
                    "simultaneous_sectors",
                    "4",
                    "simultaneous_sectors >= 2, but there is no impact to raise",
                    0
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Trust),
            vec![r("lost_trust", "none", "lost_trust = none -> level 0", 0)]
        );
        // Recoverability and spread still count in the NCISS-style score.
        let n = nciss(&inputs).unwrap();
        assert_eq!((n.score, n.priority), (15, NcissPriority::Baseline));
        let nothing = SeverityInputs {
            affected_people: Some(0),
            ..Default::default()
        };
        assert_eq!(nciss(&nothing).unwrap().score, 0);
    }

    #[test]
    fn level_1_bank_ddos() {
        let e = evaluate(&bank_ddos(), &rules());
        assert_eq!(levels(&e), [1, 1, 0, 1]);
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r(
                    "affected_people",
                    "20000",
                    "affected_people >= 1000 -> level 2",
                    2
                ),
                r(
                    "duration_hours",
                    "3",
                    "duration_hours >= 1 -> duration level 1, which lowers the scope level 2 \
                     one step towards it: 1",
                    1
                ),
                r(
                    "substitutability",
                    "partial",
                    "partial substitutability lowers the level by 1 (not below 1): 1 -> 1",
                    1
                ),
                r(
                    "simultaneous_organisations",
                    "1",
                    "simultaneous_organisations < 3: no raise",
                    1
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Safety),
            vec![r(
                "simultaneous_organisations",
                "1",
                "simultaneous_organisations < 3: no raise",
                0
            )]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Trust),
            vec![r(
                "lost_trust",
                "limited",
                "lost_trust = limited -> level 1",
                1
            )]
        );
        assert_eq!(
            e.missing,
            [
                "affected_area",
                "simultaneous_sectors",
                "deaths",
                "injuries",
                "property_damage_jpy",
                "evacuated_people",
                "environmental_restoration_jpy",
                "environmental_area",
            ]
        );
        let n = nciss(&bank_ddos()).unwrap();
        assert_eq!((n.score, n.priority), (21, NcissPriority::Baseline));
    }

    #[test]
    fn level_2_long_outage_without_substitute_or_one_injury() {
        let inputs = SeverityInputs {
            affected_people: Some(5_000),
            duration_hours: Some(8.0),
            substitutability: Some(Substitutability::None),
            ..Default::default()
        };
        let e = evaluate(&inputs, &rules());
        assert_eq!(levels(&e), [2, 2, 0, 0]);
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r(
                    "affected_people",
                    "5000",
                    "affected_people >= 1000 -> level 2",
                    2
                ),
                r(
                    "duration_hours",
                    "8",
                    "duration_hours >= 6 -> duration level 2, the same as the scope level: 2",
                    2
                ),
                r(
                    "substitutability",
                    "none",
                    "no substitute: level unchanged: 2 -> 2",
                    2
                ),
            ]
        );

        let inputs = SeverityInputs {
            injuries: Some(1),
            environmental_area: Some(Area::Facility),
            ..Default::default()
        };
        let e = evaluate(&inputs, &rules());
        assert_eq!(levels(&e), [2, 0, 2, 0]);
        assert_eq!(
            reasons(&e, Viewpoint::Safety),
            vec![
                r("injuries", "1", "injuries >= 1 -> level 2", 2),
                r(
                    "environmental_area",
                    "facility",
                    "environmental_area = facility -> level 1",
                    1
                ),
            ]
        );
    }

    #[test]
    fn level_3_railway_ransomware_driven_by_trust() {
        let e = evaluate(&railway_ransomware(), &rules());
        assert_eq!(levels(&e), [3, 2, 0, 3]);
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r(
                    "affected_people",
                    "300000",
                    "affected_people >= 100000 -> level 3",
                    3
                ),
                r(
                    "affected_area",
                    "prefecture",
                    "affected_area = prefecture -> level 3",
                    3
                ),
                r(
                    "duration_hours",
                    "30",
                    "duration_hours >= 24 -> duration level 3, the same as the scope level: 3",
                    3
                ),
                r(
                    "substitutability",
                    "partial",
                    "partial substitutability lowers the level by 1 (not below 1): 3 -> 2",
                    2
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Trust),
            vec![r(
                "lost_trust",
                "national",
                "lost_trust = national -> level 3",
                3
            )]
        );
        let n = nciss(&railway_ransomware()).unwrap();
        assert_eq!((n.score, n.priority), (46, NcissPriority::Low));
    }

    #[test]
    fn level_4_grid_attack_raised_by_simultaneity() {
        let e = evaluate(&grid_attack(), &rules());
        assert_eq!(levels(&e), [4, 4, 4, 3]);
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r(
                    "affected_people",
                    "1200000",
                    "affected_people >= 1000000 -> level 4",
                    4
                ),
                r(
                    "affected_area",
                    "region",
                    "affected_area = region -> level 4",
                    4
                ),
                r(
                    "duration_hours",
                    "50",
                    "duration_hours >= 24 -> duration level 3, which lowers the scope level 4 \
                     one step towards it: 3",
                    3
                ),
                r(
                    "substitutability",
                    "none",
                    "no substitute: level unchanged: 3 -> 3",
                    3
                ),
                r(
                    "simultaneous_organisations",
                    "2",
                    "simultaneous_organisations < 3: no raise",
                    3
                ),
                r(
                    "simultaneous_sectors",
                    "3",
                    "simultaneous_sectors >= 2: simultaneity raises the level by 1 from 3 to 4",
                    4
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Safety),
            vec![
                r("deaths", "2", "deaths >= 1 -> level 3", 3),
                r("injuries", "15", "injuries >= 10 -> level 3", 3),
                r(
                    "property_damage_jpy",
                    "5000000000",
                    "property_damage_jpy >= 1000000000 -> level 3",
                    3
                ),
                r(
                    "evacuated_people",
                    "3000",
                    "evacuated_people >= 1000 -> level 3",
                    3
                ),
                r(
                    "simultaneous_organisations",
                    "2",
                    "simultaneous_organisations < 3: no raise",
                    3
                ),
                r(
                    "simultaneous_sectors",
                    "3",
                    "simultaneous_sectors >= 2: simultaneity raises the level by 1 from 3 to 4",
                    4
                ),
            ]
        );
        assert_eq!(
            reasons(&e, Viewpoint::Trust),
            vec![r(
                "lost_trust",
                "international",
                "lost_trust = international -> level 3",
                3
            )]
        );
        assert_eq!(
            e.missing,
            ["environmental_restoration_jpy", "environmental_area"]
        );
        let n = nciss(&grid_attack()).unwrap();
        assert_eq!((n.score, n.priority), (94, NcissPriority::Emergency));
        assert_eq!(n.priority.colour(), "black");
    }

    #[test]
    fn level_4_from_deaths_or_one_million_people_alone() {
        let e = evaluate(
            &SeverityInputs {
                deaths: Some(10),
                ..Default::default()
            },
            &rules(),
        );
        assert_eq!(levels(&e), [4, 0, 4, 0]);
        assert_eq!(
            reasons(&e, Viewpoint::Safety),
            vec![r("deaths", "10", "deaths >= 10 -> level 4", 4)]
        );
        let e = evaluate(
            &SeverityInputs {
                affected_people: Some(1_000_000),
                ..Default::default()
            },
            &rules(),
        );
        assert_eq!(levels(&e), [4, 4, 0, 0]);
    }

    #[test]
    fn adjustments_full_substitutability_duration_and_both_simultaneity_inputs() {
        // Full substitutability caps at 1; simultaneity still raises afterwards.
        let inputs = SeverityInputs {
            affected_area: Some(Area::National),
            duration_hours: Some(100.0),
            substitutability: Some(Substitutability::Full),
            simultaneous_organisations: Some(12),
            simultaneous_sectors: Some(2),
            ..Default::default()
        };
        let e = evaluate(&inputs, &rules());
        assert_eq!(
            reasons(&e, Viewpoint::Continuity),
            vec![
                r(
                    "affected_area",
                    "national",
                    "affected_area = national -> level 4",
                    4
                ),
                r(
                    "duration_hours",
                    "100",
                    "duration_hours >= 72 -> duration level 4, the same as the scope level: 4",
                    4
                ),
                r(
                    "substitutability",
                    "full",
                    "full substitutability caps the level at 1: 4 -> 1",
                    1
                ),
                r(
                    "simultaneous_organisations",
                    "12",
                    "simultaneous_organisations >= 3: simultaneity raises the level by 1 \
                     from 1 to 2",
                    2
                ),
                r(
                    "simultaneous_sectors",
                    "2",
                    "simultaneous_sectors >= 2: already raised (simultaneity raises once)",
                    2
                ),
            ]
        );
        // A long outage of a small scope is raised by one step, never more.
        let e = evaluate(
            &SeverityInputs {
                affected_people: Some(10),
                duration_hours: Some(500.0),
                ..Default::default()
            },
            &rules(),
        );
        assert_eq!(e.level(Viewpoint::Continuity), Level::Medium);
        // A short outage is lowered, never below 1.
        let e = evaluate(
            &SeverityInputs {
                affected_people: Some(10),
                duration_hours: Some(0.1),
                ..Default::default()
            },
            &rules(),
        );
        assert_eq!(e.level(Viewpoint::Continuity), Level::Low);
        assert_eq!(
            e.viewpoint(Viewpoint::Continuity).reasons[1].rule,
            "duration_hours < 1 -> duration level 0, below the scope level 1, but a disruption \
             stays at level 1 or above: 1"
        );
    }

    #[test]
    fn trust_is_capped_at_3_whatever_the_configuration() {
        let mut rules = rules();
        rules.lost_trust.international = Level::Crisis;
        let e = evaluate(
            &SeverityInputs {
                lost_trust: Some(TrustLoss::International),
                ..Default::default()
            },
            &rules,
        );
        assert_eq!(levels(&e), [3, 0, 0, 3]);
        assert_eq!(
            reasons(&e, Viewpoint::Trust),
            vec![r(
                "lost_trust",
                "international",
                "lost_trust = international -> level 4, capped at 3: loss of trust alone \
                 never reaches level 4",
                3
            )]
        );
    }

    #[test]
    fn invalid_duration_is_refused_by_validate_and_ignored_by_evaluate() {
        let inputs = SeverityInputs {
            affected_people: Some(10),
            duration_hours: Some(-2.0),
            ..Default::default()
        };
        assert!(inputs.validate().unwrap_err()[0].contains("duration_hours"));
        let e = evaluate(&inputs, &rules());
        assert!(e.missing.contains(&"duration_hours".to_owned()));
        assert_eq!(e.viewpoint(Viewpoint::Continuity).reasons.len(), 1);
        assert!(bank_ddos().validate().is_ok());
        let nan = SeverityInputs {
            duration_hours: Some(f64::NAN),
            ..Default::default()
        };
        assert!(nan.validate().is_err());
    }

    #[test]
    fn inputs_refuse_unknown_fields_and_serialise_compactly() {
        let err = serde_json::from_str::<SeverityInputs>(r#"{"affected_poeple": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{err}");
        let json = serde_json::to_string(&bank_ddos()).unwrap();
        assert_eq!(
            json,
            r#"{"affected_people":20000,"duration_hours":3.0,"substitutability":"partial","simultaneous_organisations":1,"lost_trust":"limited"}"#
        );
        assert_eq!(
            serde_json::from_str::<SeverityInputs>(&json).unwrap(),
            bank_ddos()
        );
        assert!(serde_json::from_str::<SeverityInputs>(r#"{"lost_trust":"huge"}"#).is_err());
    }

    #[test]
    fn levels_serialise_as_numbers_0_to_4() {
        assert_eq!(serde_json::to_string(&Level::High).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Level>("4").unwrap(), Level::Crisis);
        let err = serde_json::from_str::<Level>("5").unwrap_err().to_string();
        assert!(err.contains("0 to 4"), "{err}");
        assert_eq!(Level::Crisis.to_string(), "4 (crisis)");
        assert_eq!(Level::Crisis.label().ja, "危機");
        assert_eq!(Level::Medium.impact().ja, "一定の影響");
        let e = serde_json::to_value(evaluate(&bank_ddos(), &rules())).unwrap();
        assert_eq!(e["overall"], 1);
        assert_eq!(e["viewpoints"][0]["viewpoint"], "continuity");
        assert_eq!(
            e["viewpoints"][0]["reasons"][0]["indicator"],
            "affected_people"
        );
    }

    #[test]
    fn defaults_validate_and_bad_rules_are_reported() {
        assert!(rules().validate().is_ok());
        let mut bad = rules();
        bad.duration_hours[1].at_least = -1.0;
        bad.simultaneity.sectors_at_least = 0;
        let errs = bad.validate().unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0].starts_with("duration_hours[1].at_least"),
            "{errs:?}"
        );
    }

    #[test]
    fn custom_rules_from_json_override_only_what_they_name() {
        let custom: SeverityRules = serde_json::from_str(
            r#"{
                "affected_people": [{"at_least": 10, "level": 4}],
                "simultaneity": {"organisations_at_least": 10},
                "lost_trust": {"limited": 2}
            }"#,
        )
        .unwrap();
        let d = rules();
        assert_eq!(
            custom.affected_people,
            vec![Threshold {
                at_least: 10,
                level: Level::Crisis
            }]
        );
        assert_eq!(custom.simultaneity.organisations_at_least, 10);
        assert_eq!(custom.simultaneity.sectors_at_least, 2);
        assert_eq!(custom.lost_trust.limited, Level::Medium);
        assert_eq!(custom.lost_trust.national, Level::High);
        assert_eq!(custom.deaths, d.deaths);
        assert_eq!(custom.duration_hours, d.duration_hours);
        let e = evaluate(
            &SeverityInputs {
                affected_people: Some(10),
                ..Default::default()
            },
            &custom,
        );
        assert_eq!(e.overall, Level::Crisis);
        assert_eq!(
            e.viewpoint(Viewpoint::Continuity).reasons[0].rule,
            "affected_people >= 10 -> level 4"
        );

        for bad in [
            r#"{"affected_peple": []}"#,
            r#"{"simultaneity": {"orgs": 3}}"#,
            r#"{"deaths": [{"at_least": 1, "level": 5}]}"#,
            r#"{"deaths": [{"at_least": 1, "level": 3, "note": "x"}]}"#,
        ] {
            assert!(serde_json::from_str::<SeverityRules>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scale_lists_levels_viewpoints_and_priorities() {
        let s = scale();
        assert_eq!(s["levels"][4]["ja"], "危機");
        assert_eq!(s["levels"][4]["impact"]["ja"], "著しく深刻な影響");
        assert_eq!(s["viewpoints"][0]["ja"], "サービスの持続性");
        assert_eq!(s["areas"].as_array().unwrap().len(), 5);
        assert_eq!(s["nciss_priorities"][5]["colour"], "black");
        for (score, p) in [
            (0, NcissPriority::Baseline),
            (34, NcissPriority::Baseline),
            (35, NcissPriority::Low),
            (50, NcissPriority::Medium),
            (65, NcissPriority::High),
            (79, NcissPriority::High),
            (80, NcissPriority::Severe),
            (89, NcissPriority::Severe),
            (90, NcissPriority::Emergency),
            (100, NcissPriority::Emergency),
        ] {
            assert_eq!(NcissPriority::from_score(score), p, "{score}");
        }
        let total: u32 = NcissCategory::ALL
            .iter()
            .map(|c| u32::from(c.points()))
            .sum();
        assert_eq!(total, 100);
        // Impact alone: Japanese levels 1 to 4 give 18, 35, 53 and 70.
        for (deaths, injuries, score) in [(0, 0, 0), (0, 1, 35), (1, 0, 53), (10, 0, 70)] {
            let inputs = SeverityInputs {
                deaths: Some(deaths),
                injuries: Some(injuries),
                ..Default::default()
            };
            assert_eq!(nciss(&inputs).unwrap().score, score, "{inputs:?}");
        }
        let low = SeverityInputs {
            affected_area: Some(Area::Facility),
            ..Default::default()
        };
        assert_eq!(nciss(&low).unwrap().score, 18);
    }

    #[test]
    fn nciss_maximum_is_100() {
        let worst = SeverityInputs {
            affected_people: Some(u64::MAX),
            affected_area: Some(Area::National),
            duration_hours: Some(1_000.0),
            substitutability: Some(Substitutability::None),
            simultaneous_organisations: Some(u32::MAX),
            simultaneous_sectors: Some(15),
            deaths: Some(u32::MAX),
            injuries: Some(u32::MAX),
            property_damage_jpy: Some(u64::MAX),
            evacuated_people: Some(u64::MAX),
            environmental_restoration_jpy: Some(u64::MAX),
            environmental_area: Some(Area::National),
            lost_trust: Some(TrustLoss::International),
        };
        let n = nciss(&worst).unwrap();
        assert_eq!((n.score, n.priority), (100, NcissPriority::Emergency));
        assert_eq!(evaluate(&worst, &rules()).missing, Vec::<String>::new());
    }

    // --- the worked examples of docs/severity.md are real ------------------------

    fn examples() -> [SeverityInputs; 3] {
        [bank_ddos(), railway_ransomware(), grid_attack()]
    }

    #[test]
    fn docs_show_the_real_inputs_and_results() {
        let en = include_str!("../../../docs/severity.md");
        let ja = include_str!("../../../docs/ja/severity.md");
        for inputs in examples() {
            let json = serde_json::to_string_pretty(&inputs).unwrap();
            let e = evaluate(&inputs, &rules());
            let n = nciss(&inputs).unwrap();
            let [o, c, s, t] = levels(&e);
            let en_line = format!(
                "**Result:** overall level {o} ({}); continuity {c}, safety {s}, trust {t}; \
                 NCISS-style score {} ({}).",
                e.overall.name(),
                n.score,
                n.priority
            );
            let ja_line = format!(
                "**結果：** 総合 レベル{o}（{}）、サービスの持続性 {c}、サービスに関する安全性 {s}、\
                 信頼低下 {t}、NCISS 方式のスコア {}（{}）",
                e.overall.label().ja,
                n.score,
                n.priority
            );
            for (doc, line) in [(en, &en_line), (ja, &ja_line)] {
                assert!(doc.contains(&json), "docs show the inputs:\n{json}");
                assert!(doc.contains(line.as_str()), "docs show the result:\n{line}");
            }
            // Every reason of the evaluation appears in the English walk-through.
            for v in &e.viewpoints {
                for reason in &v.reasons {
                    assert!(en.contains(&reason.rule), "docs show {:?}", reason.rule);
                }
            }
        }
    }

    /// The default rule set in TOML, as docs/severity.md shows it.
    fn defaults_as_toml() -> String {
        /// 1000000 -> 1_000_000
        fn n(x: u64) -> String {
            let reversed: Vec<char> = x.to_string().chars().rev().collect();
            let groups: Vec<String> = reversed
                .chunks(3)
                .map(|c| c.iter().rev().collect())
                .rev()
                .collect();
            groups.join("_")
        }
        fn list(name: &str, items: Vec<(String, u8)>) -> String {
            let mut s = format!("{name} = [\n");
            for (at_least, level) in items {
                s += &format!("    {{ at_least = {at_least}, level = {level} }},\n");
            }
            s + "]\n"
        }
        let d = rules();
        let counts = |v: &[Threshold]| -> Vec<(String, u8)> {
            v.iter().map(|t| (n(t.at_least), t.level.as_u8())).collect()
        };
        let area = |name: &str, a: &AreaLevels| {
            format!(
                "\n[severity.{name}]\nfacility = {}\nmunicipality = {}\nprefecture = {}\n\
                 region = {}\nnational = {}\n",
                a.facility.as_u8(),
                a.municipality.as_u8(),
                a.prefecture.as_u8(),
                a.region.as_u8(),
                a.national.as_u8()
            )
        };
        let mut s = String::from("[severity]\n");
        s += &list("affected_people", counts(&d.affected_people));
        s += &list(
            "duration_hours",
            d.duration_hours
                .iter()
                .map(|t| (format!("{:.1}", t.at_least), t.level.as_u8()))
                .collect(),
        );
        s += &list("deaths", counts(&d.deaths));
        s += &list("injuries", counts(&d.injuries));
        s += &list("property_damage_jpy", counts(&d.property_damage_jpy));
        s += &list("evacuated_people", counts(&d.evacuated_people));
        s += &list(
            "environmental_restoration_jpy",
            counts(&d.environmental_restoration_jpy),
        );
        s += &area("affected_area", &d.affected_area);
        s += &format!(
            "\n[severity.substitutability]\nfull_max = {}\npartial_lower_by = {}\n",
            d.substitutability.full_max.as_u8(),
            d.substitutability.partial_lower_by
        );
        s += &format!(
            "\n[severity.simultaneity]\norganisations_at_least = {}\nsectors_at_least = {}\n\
             raise_by = {}\n",
            d.simultaneity.organisations_at_least,
            d.simultaneity.sectors_at_least,
            d.simultaneity.raise_by
        );
        s += &area("environmental_area", &d.environmental_area);
        let t = &d.lost_trust;
        s += &format!(
            "\n[severity.lost_trust]\nnone = {}\nlimited = {}\nlocal = {}\nnational = {}\n\
             international = {}\n",
            t.none.as_u8(),
            t.limited.as_u8(),
            t.local.as_u8(),
            t.national.as_u8(),
            t.international.as_u8()
        );
        s
    }

    #[test]
    fn docs_show_the_real_default_rules() {
        let toml = defaults_as_toml();
        for doc in [
            include_str!("../../../docs/severity.md"),
            include_str!("../../../docs/ja/severity.md"),
        ] {
            assert!(doc.contains(&toml), "docs show the defaults:\n{toml}");
        }
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn openapi_schemas_include_the_level() {
        use utoipa::ToSchema;
        let mut schemas = Vec::new();
        Evaluation::schemas(&mut schemas);
        SeverityRules::schemas(&mut schemas);
        let names: Vec<String> = schemas.iter().map(|(n, _)| n.clone()).collect();
        for expected in ["Level", "Viewpoint", "Reason", "Threshold", "AreaLevels"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
    }

    // --- properties ------------------------------------------------------------

    /// Counts across magnitudes, so that every threshold is crossed.
    fn magnitude() -> impl Strategy<Value = u64> {
        prop_oneof![0..20u64, 0..5_000u64, 0..5_000_000u64, 0..50_000_000_000u64,]
    }

    /// A count and a count at least as harmful (unknown < 0 < 1 < ...).
    fn count_pair() -> impl Strategy<Value = (Option<u64>, Option<u64>)> {
        (prop::option::of(magnitude()), prop::option::of(magnitude())).prop_map(|(a, d)| match a {
            None => (None, d),
            Some(x) => (Some(x), Some(x.saturating_add(d.unwrap_or(0)))),
        })
    }

    fn count32_pair() -> impl Strategy<Value = (Option<u32>, Option<u32>)> {
        let narrow = |x: u64| u32::try_from(x / 1_000).unwrap_or(u32::MAX);
        count_pair().prop_map(move |(a, b)| (a.map(narrow), b.map(narrow)))
    }

    /// An ordered value and one at least as harmful; unknown is the least harmful.
    fn ordered_pair<T: Copy + Ord + std::fmt::Debug + 'static>(
        all: &'static [T],
    ) -> impl Strategy<Value = (Option<T>, Option<T>)> {
        (
            prop::option::of(prop::sample::select(all)),
            prop::option::of(prop::sample::select(all)),
        )
            .prop_map(|(a, b)| match a {
                None => (None, b),
                Some(x) => (Some(x), Some(b.map_or(x, |y| x.max(y)))),
            })
    }

    /// Duration and substitutability adjust the scope level; unknown means "not
    /// adjusted", so harm grows only between known values.
    fn duration_pair() -> impl Strategy<Value = (Option<f64>, Option<f64>)> {
        prop::option::of((0.0..200.0f64, 0.0..200.0f64))
            .prop_map(|o| o.map_or((None, None), |(x, d)| (Some(x), Some(x + d))))
    }

    fn substitutability_pair(
    ) -> impl Strategy<Value = (Option<Substitutability>, Option<Substitutability>)> {
        prop::option::of((
            prop::sample::select(Substitutability::ALL),
            prop::sample::select(Substitutability::ALL),
        ))
        .prop_map(|o| o.map_or((None, None), |(x, y)| (Some(x.min(y)), Some(x.max(y)))))
    }

    /// Two inputs, the second at least as harmful as the first in every field.
    fn harm_pair() -> impl Strategy<Value = (SeverityInputs, SeverityInputs)> {
        (
            (
                count_pair(),
                ordered_pair(Area::ALL),
                duration_pair(),
                substitutability_pair(),
                count32_pair(),
                count32_pair(),
                count32_pair(),
            ),
            (
                count32_pair(),
                count_pair(),
                count_pair(),
                count_pair(),
                ordered_pair(Area::ALL),
                ordered_pair(TrustLoss::ALL),
            ),
        )
            .prop_map(|((p, a, d, s, o, sec, de), (inj, pr, ev, env, ea, t))| {
                let pick = |first: bool| SeverityInputs {
                    affected_people: if first { p.0 } else { p.1 },
                    affected_area: if first { a.0 } else { a.1 },
                    duration_hours: if first { d.0 } else { d.1 },
                    substitutability: if first { s.0 } else { s.1 },
                    simultaneous_organisations: if first { o.0 } else { o.1 },
                    simultaneous_sectors: if first { sec.0 } else { sec.1 },
                    deaths: if first { de.0 } else { de.1 },
                    injuries: if first { inj.0 } else { inj.1 },
                    property_damage_jpy: if first { pr.0 } else { pr.1 },
                    evacuated_people: if first { ev.0 } else { ev.1 },
                    environmental_restoration_jpy: if first { env.0 } else { env.1 },
                    environmental_area: if first { ea.0 } else { ea.1 },
                    lost_trust: if first { t.0 } else { t.1 },
                };
                (pick(true), pick(false))
            })
    }

    fn level() -> impl Strategy<Value = Level> {
        prop::sample::select(Level::ALL)
    }

    fn thresholds() -> impl Strategy<Value = Vec<Threshold>> {
        prop::collection::vec(
            (magnitude(), level()).prop_map(|(at_least, level)| Threshold { at_least, level }),
            0..5,
        )
    }

    fn area_levels() -> impl Strategy<Value = AreaLevels> {
        (level(), level(), level(), level(), level()).prop_map(|(a, b, c, d, e)| AreaLevels {
            facility: a,
            municipality: b,
            prefecture: c,
            region: d,
            national: e,
        })
    }

    /// Any rule set, however odd.
    fn any_rules() -> impl Strategy<Value = SeverityRules> {
        (
            (
                thresholds(),
                area_levels(),
                prop::collection::vec(
                    // Quarter hours: exact in JSON, as a configuration would write them.
                    (0..400u32, level()).prop_map(|(q, level)| HoursThreshold {
                        at_least: f64::from(q) / 4.0,
                        level,
                    }),
                    0..5,
                ),
                (level(), 0..5u8).prop_map(|(full_max, partial_lower_by)| SubstitutabilityRules {
                    full_max,
                    partial_lower_by,
                }),
                (1..12u32, 1..5u32, 0..4u8).prop_map(|(o, s, by)| SimultaneityRules {
                    organisations_at_least: o,
                    sectors_at_least: s,
                    raise_by: by,
                }),
                thresholds(),
            ),
            (
                thresholds(),
                thresholds(),
                thresholds(),
                thresholds(),
                area_levels(),
                (level(), level(), level(), level(), level()).prop_map(|(a, b, c, d, e)| {
                    TrustLevels {
                        none: a,
                        limited: b,
                        local: c,
                        national: d,
                        international: e,
                    }
                }),
            ),
        )
            .prop_map(
                |((p, a, d, s, sim, de), (inj, pr, ev, env, ea, t))| SeverityRules {
                    affected_people: p,
                    affected_area: a,
                    duration_hours: d,
                    substitutability: s,
                    simultaneity: sim,
                    deaths: de,
                    injuries: inj,
                    property_damage_jpy: pr,
                    evacuated_people: ev,
                    environmental_restoration_jpy: env,
                    environmental_area: ea,
                    lost_trust: t,
                },
            )
    }

    fn rules_default_or_any() -> impl Strategy<Value = SeverityRules> {
        prop_oneof![Just(SeverityRules::default()), any_rules()]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// (a) The overall level is the highest viewpoint level; every viewpoint is
        /// there once, in order; `missing` names exactly the inputs not given.
        #[test]
        fn overall_is_the_maximum((inputs, _) in harm_pair(), rules in rules_default_or_any()) {
            let e = evaluate(&inputs, &rules);
            let max = e.viewpoints.iter().map(|v| v.level).max().unwrap();
            prop_assert_eq!(e.overall, max);
            let order: Vec<Viewpoint> = e.viewpoints.iter().map(|v| v.viewpoint).collect();
            prop_assert_eq!(order, Viewpoint::ALL.to_vec());
            let given = serde_json::to_value(&inputs).unwrap();
            for f in SeverityInputs::FIELDS {
                prop_assert_eq!(e.missing.contains(&(*f).to_owned()), given.get(*f).is_none());
            }
        }

        /// Every level above 0 is explained by a reason with that level, and every
        /// reason names a given input.
        #[test]
        fn every_level_is_explained((inputs, _) in harm_pair(), rules in rules_default_or_any()) {
            let e = evaluate(&inputs, &rules);
            for v in &e.viewpoints {
                if v.level > Level::None {
                    prop_assert!(v.reasons.iter().any(|r| r.level == v.level), "{:?}", v);
                }
                for r in &v.reasons {
                    prop_assert!(SeverityInputs::FIELDS.contains(&r.indicator.as_str()));
                    prop_assert!(!e.missing.contains(&r.indicator));
                    prop_assert!(!r.rule.is_empty() && !r.input.is_empty());
                }
            }
        }

        /// (b) More harm in any input never lowers a viewpoint or the overall level,
        /// with the default rules and with any configured rules.
        #[test]
        fn monotone_in_harm((less, more) in harm_pair(), rules in rules_default_or_any()) {
            let a = evaluate(&less, &rules);
            let b = evaluate(&more, &rules);
            prop_assert!(b.overall >= a.overall);
            for v in Viewpoint::ALL {
                prop_assert!(b.level(*v) >= a.level(*v), "{} {:?} -> {:?}", v, less, more);
            }
        }

        /// (c) Loss of trust alone never goes above level 3, whatever the rules.
        #[test]
        fn lost_trust_alone_tops_out_at_3(
            t in prop::sample::select(TrustLoss::ALL),
            rules in rules_default_or_any(),
        ) {
            let inputs = SeverityInputs { lost_trust: Some(t), ..Default::default() };
            let e = evaluate(&inputs, &rules);
            prop_assert!(e.overall <= Level::High);
            prop_assert_eq!(e.level(Viewpoint::Continuity), Level::None);
            prop_assert_eq!(e.level(Viewpoint::Safety), Level::None);
        }

        /// (d) The NCISS-style score is within 0..=100, matches its priority and
        /// grows with harm.
        #[test]
        fn nciss_bounded_and_monotone((less, more) in harm_pair()) {
            let a = nciss(&less);
            let b = nciss(&more);
            prop_assert_eq!(a.is_none(), less.is_empty());
            if let Some(b) = &b {
                prop_assert!(b.score <= 100);
                prop_assert_eq!(b.priority, NcissPriority::from_score(b.score));
                for c in &b.categories {
                    prop_assert!((0.0..=1.0).contains(&c.value), "{:?}", c);
                }
            }
            if let (Some(a), Some(b)) = (a, b) {
                prop_assert!(b.score >= a.score, "{} -> {}", a.score, b.score);
            }
        }

        /// (e) Any rule set survives JSON, and a document naming one field overrides
        /// exactly that field; the others keep their defaults.
        #[test]
        fn custom_rules_override_defaults(custom in any_rules(), i in 0..12usize) {
            let json = serde_json::to_string(&custom).unwrap();
            prop_assert_eq!(&serde_json::from_str::<SeverityRules>(&json).unwrap(), &custom);

            let custom_v = serde_json::to_value(&custom).unwrap();
            let default_v = serde_json::to_value(SeverityRules::default()).unwrap();
            let fields: Vec<String> = custom_v.as_object().unwrap().keys().cloned().collect();
            prop_assert_eq!(fields.len(), 12);
            let field = &fields[i];
            let doc = serde_json::json!({ field.clone(): custom_v[field].clone() });
            let parsed: SeverityRules = serde_json::from_value(doc).unwrap();
            let parsed_v = serde_json::to_value(&parsed).unwrap();
            for f in &fields {
                let expected = if f == field { &custom_v[f] } else { &default_v[f] };
                prop_assert_eq!(&parsed_v[f], expected, "field {}", f);
            }
        }
    }
}
