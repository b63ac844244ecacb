//! CEPTOAR drills (セプター訓練) for the coordinator: the list, the form that
//! starts one (as `POST /api/v1/drills`), and the drill's reachability report
//! (as `GET /api/v1/drills/{id}/report`): per tier, sector and CEPTOAR, the
//! organisations that did not confirm, stale or bounced contacts, self-checks,
//! and the bar chart of `core::drill`.

use super::pages::{forbidden, not_found, page, unprocessable, when};
use super::{api_route, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use sakimori_core::drill::{chart_svg, DrillKind, Rate};
use sakimori_store::DrillScope;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

type Page = Result<Response, Response>;

fn kind_label(l: Lang, kind: &str) -> &'static str {
    match kind {
        "provision" => l.t("drill_provision"),
        "report" => l.t("drill_report"),
        _ => l.t("unknown"),
    }
}

fn tier_order(tier: &str) -> u8 {
    match tier {
        "ministry" => 0,
        "coordination-centre" => 1,
        "hub" => 2,
        "organisation" => 3,
        _ => 4,
    }
}

fn tier_label(l: Lang, tier: &str) -> String {
    match tier {
        "ministry" => l.t("tier_ministry").into(),
        "hub" => l.t("tier_hub").into(),
        "organisation" => l.t("tier_organisation").into(),
        "reporter" => l.t("tier_reporter").into(),
        "coordination-centre" => l.t("tier_centre").into(),
        other => other.into(),
    }
}

pub async fn list(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::LIST_DRILLS) {
        return Ok(forbidden(&sess));
    }
    Ok(list_page(&s, &sess, &FormData(vec![]), None).await)
}

async fn list_page(s: &AppState, sess: &Session, f: &FormData, error: Option<String>) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let drills = s.store.drills().await.unwrap_or_default();
    let sectors = s.store.sectors().await.unwrap_or_default();
    let can_create = may_route(&sess.actor, &api_route::CREATE_DRILL);
    let kind = f.opt("kind").unwrap_or("provision");
    page(
        l,
        t("drills"),
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            @if drills.is_empty() { p.muted { (t("none")) } } @else {
                table {
                    thead { tr { th scope="col" { (t("number")) } th scope="col" { (t("title")) } th scope="col" { (t("kind")) } th scope="col" { (t("scope")) } th scope="col" { (t("created")) } } }
                    tbody {
                        @for d in &drills {
                            @let scope: DrillScope = serde_json::from_str(&d.scope).unwrap_or_default();
                            tr {
                                td { a href={ "/drills/" (d.id) } { "#" (d.number) } }
                                td { a href={ "/drills/" (d.id) } { (d.title) } }
                                td { (kind_label(l, &d.kind)) }
                                td { @if scope.all { (t("all_orgs")) } @else { (scope.sectors.join(", ")) } }
                                td { (when(&d.created_at)) " · " (d.created_by) }
                            }
                        }
                    }
                }
            }
            @if can_create {
                section aria-labelledby="new-drill" {
                    h2 #new-drill { (t("new_drill")) }
                    form.stack method="post" action="/drills" {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="drill-title" { (t("title")) " (" (t("required")) ")" }
                        input #drill-title type="text" name="title" required maxlength="200" value=(f.get("title"));
                        fieldset {
                            legend { (t("kind")) }
                            @for k in DrillKind::ALL {
                                label { input type="radio" name="kind" value=(k.as_str()) checked[k.as_str() == kind]; " " (kind_label(l, k.as_str())) }
                            }
                        }
                        fieldset {
                            legend { (t("scope")) }
                            label { input type="checkbox" name="all" value="yes" checked[f.has("all")]; " " (t("all_orgs")) }
                            div.checks {
                                @for sec in &sectors {
                                    label { input type="checkbox" name="sectors" value=(sec.id) checked[f.all("sectors").contains(&sec.id)]; " " @if l == Lang::Ja { (sec.name.ja) } @else { (sec.name.en) } }
                                }
                            }
                        }
                        button type="submit" { (t("new_drill")) }
                    }
                }
            }
        },
    )
}

/// Start a drill; a provision drill sends its marked advisory down the tiers at once.
pub async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::CREATE_DRILL).await?;
    let scope = DrillScope {
        all: f.has("all"),
        sectors: f.all("sectors"),
    };
    let result = match f.get("kind").parse::<DrillKind>() {
        Ok(kind) => s
            .store
            .create_drill(
                &sess.actor,
                kind,
                f.get("title").trim(),
                &scope,
                &s.settings.relay,
            )
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!("kind: {e}")),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/drills/{}", d.id)).into_response()),
        Err(e) => Ok(unprocessable(list_page(&s, &sess, &f, Some(e)).await)),
    }
}

#[derive(Deserialize)]
pub struct DrillQuery {
    stale_days: Option<i64>,
}

fn rate_table(l: Lang, caption: &str, head: &str, id: &str, rows: &[(String, Rate)]) -> Markup {
    let t = |k| l.t(k);
    html! {
        table id=(id) {
            caption { (caption) }
            thead { tr { th scope="col" { (head) } th scope="col" { (t("hops")) } th scope="col" { (t("reached")) } th scope="col" { (t("acknowledged")) } th scope="col" { (t("rate")) } } }
            tbody {
                @for (name, r) in rows {
                    tr class=[(r.rate < 0.8).then_some("low")] {
                        th scope="row" { (name) }
                        td { (r.hops) } td { (r.reached) } td { (r.acknowledged) }
                        td { meter min="0" max="1" value=(format!("{:.3}", r.rate)) { (format!("{:.0}%", r.rate * 100.0)) } " " (format!("{:.0}%", r.rate * 100.0)) }
                    }
                }
            }
        }
    }
}

/// The drill page: reachability tables, the chart, the broken links to chase.
pub async fn drill(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DrillQuery>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::DRILL_REPORT) {
        return Ok(forbidden(&sess));
    }
    let stale_days = q.stale_days.unwrap_or(365).clamp(1, 3650);
    let Ok(rep) = s.store.drill_report(&id, stale_days).await else {
        return Ok(not_found(&sess));
    };
    let l = sess.lang;
    let t = |k| l.t(k);
    let sectors: HashMap<String, String> = s
        .store
        .sectors()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|x| (x.id, if l == Lang::Ja { x.name.ja } else { x.name.en }))
        .collect();
    let orgs: HashMap<String, String> = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|o| (o.id, if l == Lang::Ja { o.name.ja } else { o.name.en }))
        .collect();
    let name_of = |id: &str| orgs.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let r = &rep.reachability;
    let rows = |m: &BTreeMap<String, Rate>, f: &dyn Fn(&str) -> String| -> Vec<(String, Rate)> {
        m.iter().map(|(k, v)| (f(k), v.clone())).collect()
    };
    // Down the chain: ministries first, then NISC, the hubs, the organisations.
    let mut tiers: Vec<(&String, &Rate)> = r.by_tier.iter().collect();
    tiers.sort_by_key(|(k, _)| tier_order(k));
    let by_tier: Vec<(String, Rate)> = tiers
        .into_iter()
        .map(|(k, v)| (tier_label(l, k), v.clone()))
        .collect();
    let by_sector = rows(&r.by_sector, &|k| {
        sectors.get(k).cloned().unwrap_or_else(|| match k {
            "none" => l.t("no_sector").to_owned(),
            other => other.to_owned(),
        })
    });
    let by_ceptoar = rows(&r.by_ceptoar, &|k| name_of(k));
    let d = &rep.drill;
    let scope: DrillScope = serde_json::from_str(&d.scope).unwrap_or_default();
    Ok(page(
        l,
        &format!("{} #{}: {}", t("drill"), d.number, d.title),
        Some(&sess),
        html! {
            p {
                (kind_label(l, &d.kind)) " · " (t("scope")) ": " @if scope.all { (t("all_orgs")) } @else { (scope.sectors.iter().map(|x| sectors.get(x).cloned().unwrap_or_else(|| x.clone())).collect::<Vec<_>>().join(", ")) }
                " · " (when(&d.created_at)) " · " (d.created_by)
                @if let Some(aid) = &d.advisory_id { " · " a href={ "/advisories/" (aid) "/status" } { (t("tracking")) } }
            }
            h2 { (t("reachability")) }
            p.big { strong { (format!("{:.0}%", r.overall.rate * 100.0)) } " — " (r.overall.acknowledged) "/" (r.overall.hops) " " (t("acknowledged")) " (" (r.overall.reached) " " (t("reached")) ")" }
            p { img src={ "/drills/" (d.id) "/chart.svg" } alt=(t("reachability")) width="640"; }
            (rate_table(l, t("by_tier"), t("tier"), "by-tier", &by_tier))
            (rate_table(l, t("by_sector"), t("sector"), "by-sector", &by_sector))
            (rate_table(l, t("by_ceptoar"), "CEPTOAR", "by-ceptoar", &by_ceptoar))
            h2 { (t("unconfirmed")) " (" (rep.unconfirmed.len()) ")" }
            @if rep.unconfirmed.is_empty() { p.muted { (t("none")) } } @else {
                ul.columns #unconfirmed { @for o in &rep.unconfirmed { li { a href={ "/registry/" (o) } { (name_of(o)) } " " span.muted { "(" (o) ")" } } } }
            }
            h2 { (t("stale_contacts").replace("{}", &stale_days.to_string())) " (" (rep.stale_contacts.len()) ")" }
            @if rep.stale_contacts.is_empty() { p.muted { (t("none")) } } @else {
                table.cards #stale {
                    thead { tr { th scope="col" { (t("organisation")) } th scope="col" { (t("contact_name")) } th scope="col" { "e-mail" } th scope="col" { (t("last_verified")) } th scope="col" { (t("bounced")) } } }
                    tbody {
                        @for c in &rep.stale_contacts {
                            tr {
                                th scope="row" { a href={ "/registry/" (c.org_id) } { (name_of(&c.org_id)) } }
                                td data-label=(t("contact_name")) { (c.name) }
                                td data-label="e-mail" { (c.email) }
                                td data-label=(t("last_verified")) { (c.last_verified.as_deref().unwrap_or("—")) }
                                td data-label=(t("bounced")) { @if let Some(b) = &c.bounced_at { span.badge { (t("bounced")) } " " (when(b)) } @else { "—" } }
                            }
                        }
                    }
                }
            }
            h2 { (t("self_checks")) " (" (rep.self_checks.len()) ")" }
            @if rep.self_checks.is_empty() { p.muted { (t("none")) } } @else {
                table {
                    thead { tr { th scope="col" { (t("organisation")) } th scope="col" { (t("time")) } @for (_, en, ja) in sakimori_core::drill::SELF_CHECK_QUESTIONS { th scope="col" { @if l == Lang::Ja { (ja) } @else { (en) } } } } }
                    tbody {
                        @for c in &rep.self_checks {
                            tr {
                                td { (name_of(c["organisation"].as_str().unwrap_or(""))) }
                                td { (when(c["at"].as_str().unwrap_or(""))) }
                                @for (q, _, _) in sakimori_core::drill::SELF_CHECK_QUESTIONS {
                                    td { @match &c["answers"][q] { serde_json::Value::Null => { "—" } serde_json::Value::String(s) => { (s) } v => { (v.to_string()) } } }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The reachability bar chart of `core::drill`.
pub async fn chart(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::DRILL_REPORT) {
        return Ok(forbidden(&sess));
    }
    let Ok(rep) = s.store.drill_report(&id, 365).await else {
        return Ok(not_found(&sess));
    };
    let title = format!(
        "{} #{}: {}",
        sess.lang.t("drill"),
        rep.drill.number,
        sess.lang.t("reachability")
    );
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        chart_svg(&rep.reachability, &title),
    )
        .into_response())
}
