//! The report page's working parts: the update form (a new version with the
//! fields that changed, as the API's PATCH), the severity evaluations with their
//! reasons per viewpoint and the NCISS-style score, and the coordinator's form
//! to record a provisional or final evaluation.

use super::pages::{forbidden, not_found, render_report, unprocessable, when};
use super::{api_route, check_csrf, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use sakimori_core::classification::{AttackType, Cause, EventClass, Label};
use sakimori_core::policy::{may_update_report, may_view_report};
use sakimori_core::report::{ReportFields, ReportStatus};
use sakimori_core::severity::{
    evaluate, nciss, Area, SeverityInputs, Substitutability, TrustLoss, Viewpoint,
};
use sakimori_store::{ReportRecord, SeverityRecord};

type Page = Result<Response, Response>;

pub(super) fn lab(l: Lang, x: Label) -> &'static str {
    if l == Lang::Ja {
        x.ja
    } else {
        x.en
    }
}

/// The severity inputs: (field, kind) where kind is `n` (a count), `h` (hours)
/// or the vocabulary of a choice.
enum InputKind {
    Count,
    Hours,
    Area,
    Substitutability,
    Trust,
}

const IMPACT_FIELDS: &[(&str, InputKind)] = &[
    ("affected_people", InputKind::Count),
    ("affected_area", InputKind::Area),
    ("duration_hours", InputKind::Hours),
    ("substitutability", InputKind::Substitutability),
    ("simultaneous_organisations", InputKind::Count),
    ("simultaneous_sectors", InputKind::Count),
    ("deaths", InputKind::Count),
    ("injuries", InputKind::Count),
    ("property_damage_jpy", InputKind::Count),
    ("evacuated_people", InputKind::Count),
    ("environmental_restoration_jpy", InputKind::Count),
    ("environmental_area", InputKind::Area),
    ("lost_trust", InputKind::Trust),
];

/// The label key of an input field (`imp_<field>` in the word table).
fn impact_label(l: Lang, field: &str) -> &'static str {
    let key = match field {
        "affected_people" => "imp_affected_people",
        "affected_area" => "imp_affected_area",
        "duration_hours" => "imp_duration_hours",
        "substitutability" => "imp_substitutability",
        "simultaneous_organisations" => "imp_simultaneous_organisations",
        "simultaneous_sectors" => "imp_simultaneous_sectors",
        "deaths" => "imp_deaths",
        "injuries" => "imp_injuries",
        "property_damage_jpy" => "imp_property_damage_jpy",
        "evacuated_people" => "imp_evacuated_people",
        "environmental_restoration_jpy" => "imp_environmental_restoration_jpy",
        "environmental_area" => "imp_environmental_area",
        "lost_trust" => "imp_lost_trust",
        _ => "unknown",
    };
    l.t(key)
}

/// The current value of an input field, as the form shows it.
fn impact_value(i: &SeverityInputs, field: &str) -> String {
    let v = serde_json::to_value(i).unwrap_or_default();
    match v.get(field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The inputs of the severity evaluation as labelled form fields; `prefix`
/// keeps the ids unique when two forms are on one page.
fn impact_fields(l: Lang, prefix: &str, current: &SeverityInputs) -> Markup {
    let choice = |field: &str, options: Vec<(&'static str, &'static str)>, value: &str| {
        html! {
            select id={ (prefix) "-" (field) } name=(field) {
                option value="" { "— " (l.t("unknown")) }
                @for (id, text) in &options { option value=(id) selected[*id == value] { (text) } }
            }
        }
    };
    html! {
        div.grid {
            @for (field, kind) in IMPACT_FIELDS {
                @let value = impact_value(current, field);
                div {
                    label for={ (prefix) "-" (field) } { (impact_label(l, field)) }
                    @match kind {
                        InputKind::Count => { input id={ (prefix) "-" (field) } type="number" min="0" step="1" inputmode="numeric" name=(field) value=(value); }
                        InputKind::Hours => { input id={ (prefix) "-" (field) } type="number" min="0" step="any" inputmode="decimal" name=(field) value=(value); }
                        InputKind::Area => { (choice(field, Area::ALL.iter().map(|a| (a.as_str(), lab(l, a.label()))).collect(), &value)) }
                        InputKind::Substitutability => { (choice(field, Substitutability::ALL.iter().map(|a| (a.as_str(), lab(l, a.label()))).collect(), &value)) }
                        InputKind::Trust => { (choice(field, TrustLoss::ALL.iter().map(|a| (a.as_str(), lab(l, a.label()))).collect(), &value)) }
                    }
                }
            }
        }
    }
}

/// The severity inputs from a form; a bad number is refused naming its field.
fn parse_impact(l: Lang, f: &FormData) -> Result<SeverityInputs, String> {
    let mut obj = serde_json::Map::new();
    for (field, kind) in IMPACT_FIELDS {
        let Some(v) = f.opt(field) else { continue };
        let value = match kind {
            InputKind::Count => v
                .parse::<u64>()
                .map(serde_json::Value::from)
                .map_err(|_| format!("{}: {v:?}", impact_label(l, field)))?,
            InputKind::Hours => v
                .parse::<f64>()
                .ok()
                .filter(|h| h.is_finite() && *h >= 0.0)
                .map(serde_json::Value::from)
                .ok_or_else(|| format!("{}: {v:?}", impact_label(l, field)))?,
            _ => serde_json::Value::from(v),
        };
        obj.insert((*field).to_owned(), value);
    }
    let inputs: SeverityInputs = serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|e| format!("{}: {e}", l.t("impact")))?;
    inputs.validate().map_err(|p| p.join("; "))?;
    Ok(inputs)
}

/// The sections the report page adds for this actor: the update form, the
/// severity evaluations and the coordinator's form.
pub(super) async fn sections(s: &AppState, sess: &Session, r: &ReportRecord) -> Markup {
    let l = sess.lang;
    let t = |k| l.t(k);
    let can_update = may_update_report(&sess.actor, &r.reporter_org);
    let can_read_severity = may_route(&sess.actor, &api_route::READ_SEVERITY);
    let can_evaluate = may_route(&sess.actor, &api_route::EVALUATE_SEVERITY);
    let records = if can_read_severity {
        s.store
            .severities("report", &r.id)
            .await
            .unwrap_or_default()
    } else {
        vec![]
    };
    let sectors = if can_update {
        s.store.sectors().await.unwrap_or_default()
    } else {
        vec![]
    };
    html! {
        @if can_read_severity {
            section aria-labelledby="severity" {
                h2 #severity { (t("severity_evaluation")) }
                @if let Some(latest) = records.last() {
                    (evaluation(l, latest))
                    @if records.len() > 1 {
                        details {
                            summary { (t("earlier_evaluations")) " (" (records.len() - 1) ")" }
                            @for rec in records.iter().rev().skip(1) { (evaluation(l, rec)) }
                        }
                    }
                } @else { p.muted { (t("no_evaluation")) } }
                @if can_evaluate {
                    details.form #record-severity {
                        summary { (t("record_severity")) }
                        form.stack method="post" action={ "/reports/" (r.id) "/severity" } {
                            input type="hidden" name="csrf" value=(sess.csrf());
                            fieldset {
                                legend { (t("kind")) }
                                label { input type="radio" name="kind" value="provisional" checked; " " (t("provisional")) }
                                label { input type="radio" name="kind" value="final"; " " (t("final")) }
                            }
                            p.muted { (t("severity_hint")) }
                            (impact_fields(l, "s", &records.last().map(|x| x.inputs.clone()).filter(|i| !i.is_empty()).unwrap_or_else(|| r.fields.impact.clone())))
                            button type="submit" { (t("record_severity")) }
                        }
                    }
                }
            }
        }
        @if can_update {
            details.form #update {
                summary { (t("update_report")) }
                (update_form(sess, r, &sectors))
            }
        }
    }
}

/// One stored evaluation: the overall level, each viewpoint with its reasons,
/// the inputs not given, and the NCISS-style score of its inputs.
fn evaluation(l: Lang, rec: &SeverityRecord) -> Markup {
    let t = |k| l.t(k);
    let e = &rec.evaluation;
    let kind = match rec.kind.as_str() {
        "final" => t("final"),
        _ => t("provisional"),
    };
    let score = nciss(&rec.inputs);
    html! {
        article.evaluation {
            h3 {
                (kind) ": " (t("overall")) " "
                span class={ "level level-" (e.overall.as_u8()) } { (e.overall.as_u8()) " " (lab(l, e.overall.label())) }
            }
            p.muted { (when(&rec.at)) " · " (t("by")) " " (rec.author_user) " (" (rec.author_org) ")" " · " (lab(l, e.overall.impact())) }
            table.cards {
                caption { (t("reasons")) }
                thead { tr { th scope="col" { (t("viewpoint")) } th scope="col" { (t("indicator")) } th scope="col" { (t("input")) } th scope="col" { (t("rule")) } th scope="col" { (t("level")) } } }
                tbody {
                    @for v in Viewpoint::ALL {
                        @let vr = e.viewpoint(*v);
                        @if vr.reasons.is_empty() {
                            tr { th scope="row" { (lab(l, v.label())) " — " (vr.level.as_u8()) } td colspan="3" { span.muted { (t("no_input")) } } td data-label=(t("level")) { (vr.level.as_u8()) } }
                        }
                        @for (i, reason) in vr.reasons.iter().enumerate() {
                            tr {
                                @if i == 0 { th scope="row" rowspan=(vr.reasons.len()) { (lab(l, v.label())) " — " span class={ "level level-" (vr.level.as_u8()) } { (vr.level.as_u8()) } } }
                                td data-label=(t("indicator")) { (impact_label(l, &reason.indicator)) br; code { (reason.indicator) } }
                                td data-label=(t("input")) { (reason.input) }
                                td data-label=(t("rule")) { code { (reason.rule) } }
                                td data-label=(t("level")) { (reason.level.as_u8()) }
                            }
                        }
                    }
                }
            }
            @if !e.missing.is_empty() {
                p { (t("missing_inputs")) ": " (e.missing.iter().map(|m| impact_label(l, m)).collect::<Vec<_>>().join(", ")) }
            }
            @if let Some(n) = score {
                table.cards {
                    caption { (t("nciss")) ": " strong { (n.score) } " — " (t("priority")) " " (lab(l, n.priority.label())) " (" (n.priority.colour()) ")" }
                    thead { tr { th scope="col" { (t("category")) } th scope="col" { (t("weight")) } th scope="col" { (t("value")) } th scope="col" { (t("basis")) } } }
                    tbody {
                        @for c in &n.categories {
                            tr { th scope="row" { (c.category) } td data-label=(t("weight")) { (format!("{:.1}", c.weight)) } td data-label=(t("value")) { (format!("{:.3}", c.value)) } td data-label=(t("basis")) { (c.basis) } }
                        }
                    }
                }
            }
        }
    }
}

fn update_form(
    sess: &Session,
    r: &ReportRecord,
    sectors: &[sakimori_core::registry::Sector],
) -> Markup {
    let l = sess.lang;
    let t = |k| l.t(k);
    let f = &r.fields;
    let observables = f
        .observables
        .iter()
        .map(|o| format!("{}:{}", o.kind, o.value))
        .collect::<Vec<_>>()
        .join("\n");
    html! {
        form.stack method="post" action={ "/reports/" (r.id) "/update" } {
            input type="hidden" name="csrf" value=(sess.csrf());
            p.muted { (t("update_hint")) }
            label for="u-summary" { (t("summary")) }
            input #u-summary type="text" name="summary" required maxlength="300" value=(f.summary);
            label for="u-detected_at" { (t("detected_at")) " (UTC)" }
            input #u-detected_at type="datetime-local" name="detected_at" value=(f.detected_at.format("%Y-%m-%dT%H:%M")) required;
            label { input type="checkbox" name="service_affected" value="yes" checked[f.service_affected]; " " (t("service_affected")) }
            label for="u-status" { (t("status")) }
            select #u-status name="status" {
                @for st in ReportStatus::ALL { option value=(st.as_str()) selected[*st == f.status] { @if l == Lang::Ja { (st.label_ja()) } @else { (st) } } }
            }
            label for="u-event_class" { (t("event_class")) }
            select #u-event_class name="event_class" {
                option value="" { "—" }
                @for e in EventClass::ALL { option value=(e.as_str()) selected[Some(*e) == f.event_class] { (lab(l, e.label())) } }
            }
            fieldset {
                legend { (t("causes")) }
                div.checks { @for c in Cause::ALL { label { input type="checkbox" name="causes" value=(c.as_str()) checked[f.causes.contains(c)]; " " (lab(l, c.label())) } } }
            }
            fieldset {
                legend { (t("attack_types")) }
                div.checks { @for a in AttackType::ALL { label { input type="checkbox" name="attack_types" value=(a.as_str()) checked[f.attack_types.contains(a)]; " " (lab(l, a.label())) } } }
            }
            label for="u-affected_services" { (t("affected_services")) }
            textarea #u-affected_services name="affected_services" rows="2" { (f.affected_services.join("\n")) }
            fieldset {
                legend { (t("affected_sectors")) }
                div.checks { @for sec in sectors { label { input type="checkbox" name="affected_sectors" value=(sec.id) checked[f.affected_sectors.contains(&sec.id)]; " " @if l == Lang::Ja { (sec.name.ja) } @else { (sec.name.en) } } } }
            }
            fieldset {
                legend { (t("impact")) }
                (impact_fields(l, "u", &f.impact))
            }
            label for="u-observables" { (t("observables")) }
            textarea #u-observables name="observables" rows="3" { (observables) }
            label for="u-description" { (t("description")) }
            textarea #u-description name="description" rows="5" { (f.description.as_deref().unwrap_or("")) }
            label for="u-contact" { (t("contact")) }
            input #u-contact type="text" name="contact" value=(f.contact.as_deref().unwrap_or(""));
            button type="submit" { (t("save")) }
        }
    }
}

/// The update the form asks for, as the API's PATCH body: every field of the
/// form. The store records a new version with only the fields that really
/// changed (none changed: no version). The detection time is sent only when it
/// changed at the form's precision (minutes), so that seconds are not lost.
fn patch_of(l: Lang, current: &ReportFields, f: &FormData) -> Result<serde_json::Value, String> {
    use serde_json::{json, Value};
    let mut p = serde_json::Map::new();
    p.insert("summary".into(), json!(f.get("summary").trim()));
    let shown = current.detected_at.format("%Y-%m-%dT%H:%M").to_string();
    let sent = f.get("detected_at").trim();
    if sent != shown {
        let d = chrono::NaiveDateTime::parse_from_str(sent, "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(sent, "%Y-%m-%dT%H:%M:%S"))
            .map_err(|_| format!("{}: {sent:?}", l.t("detected_at")))?;
        p.insert("detected_at".into(), json!(d.and_utc().to_rfc3339()));
    }
    p.insert("service_affected".into(), json!(f.has("service_affected")));
    p.insert("status".into(), json!(f.get("status")));
    p.insert(
        "event_class".into(),
        f.opt("event_class").map_or(Value::Null, |v| json!(v)),
    );
    p.insert("causes".into(), json!(f.all("causes")));
    p.insert("attack_types".into(), json!(f.all("attack_types")));
    let services: Vec<String> = f
        .get("affected_services")
        .lines()
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect();
    p.insert("affected_services".into(), json!(services));
    p.insert("affected_sectors".into(), json!(f.all("affected_sectors")));
    p.insert(
        "impact".into(),
        serde_json::to_value(parse_impact(l, f)?).expect("json"),
    );
    let mut observables = Vec::new();
    for line in f
        .get("observables")
        .lines()
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        let (kind, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{}: {line:?}", l.t("observables")))?;
        observables.push(json!({"kind": kind.trim(), "value": value.trim()}));
    }
    p.insert("observables".into(), Value::Array(observables));
    for k in ["description", "contact"] {
        p.insert(k.into(), f.opt(k).map_or(Value::Null, |v| json!(v)));
    }
    Ok(Value::Object(p))
}

/// Update a report: a new version, as `PATCH /api/v1/reports/{id}`.
pub async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let f = FormData(form);
    check_csrf(&sess, f.csrf())?;
    let Ok(r) = s.store.report_by_ref(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_report(&sess.actor, &r.reporter_org, &r.recipient_orgs()) {
        return Ok(not_found(&sess));
    }
    if !(may_route(&sess.actor, &api_route::UPDATE_REPORT)
        && may_update_report(&sess.actor, &r.reporter_org))
    {
        return Ok(forbidden(&sess));
    }
    let result = match patch_of(sess.lang, &r.fields, &f) {
        Ok(patch) => s
            .store
            .update_report(&sess.actor, &r.id, &patch)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reports/{}", r.id)).into_response()),
        Err(e) => Ok(unprocessable(render_report(&s, &sess, &r, Some(e)).await)),
    }
}

/// Record a provisional or final severity evaluation, as
/// `POST /api/v1/reports/{id}/severity`: the inputs from the form, evaluated with
/// the configured rules.
pub async fn record_severity(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let f = FormData(form);
    check_csrf(&sess, f.csrf())?;
    let Ok(r) = s.store.report_by_ref(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_report(&sess.actor, &r.reporter_org, &r.recipient_orgs()) {
        return Ok(not_found(&sess));
    }
    if !may_route(&sess.actor, &api_route::EVALUATE_SEVERITY) {
        return Ok(forbidden(&sess));
    }
    let result = match parse_impact(sess.lang, &f) {
        Ok(inputs) => {
            let evaluation = evaluate(&inputs, &s.settings.severity);
            s.store
                .record_severity(
                    &sess.actor,
                    "report",
                    &r.id,
                    f.get("kind"),
                    &inputs,
                    &evaluation,
                )
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reports/{}#severity", r.id)).into_response()),
        Err(e) => Ok(unprocessable(render_report(&s, &sess, &r, Some(e)).await)),
    }
}
