//! Administration: users (list, create with role and organisation, disable) for
//! `Permission::ManageUsers`, and API tokens (list with expiry, create — the
//! secret shown once —, revoke) for `Permission::ManageOwnTokens`; an
//! administrator sees and revokes every user's tokens, as the API allows.

use super::pages::{forbidden, not_found, page, unprocessable, when};
use super::{api_route, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use sakimori_core::policy::{allows, Permission};
use sakimori_core::Role;
use sakimori_store::{NewUser, TokenInfo, User};

type Page = Result<Response, Response>;

pub(super) fn role_label(l: Lang, r: Role) -> &'static str {
    l.t(match r {
        Role::Administrator => "role_administrator",
        Role::Coordinator => "role_coordinator",
        Role::MinistryOfficer => "role_ministry",
        Role::HubSecretariat => "role_hub",
        Role::Operator => "role_operator",
        Role::Analyst => "role_analyst",
        Role::Sensor => "role_sensor",
    })
}

pub async fn users(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::LIST_USERS) {
        return Ok(forbidden(&sess));
    }
    Ok(users_page(&s, &sess, &FormData(vec![]), None, None).await)
}

async fn users_page(
    s: &AppState,
    sess: &Session,
    f: &FormData,
    error: Option<String>,
    created: Option<&User>,
) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let users = s.store.users(None).await.unwrap_or_default();
    let orgs = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default();
    let can_create = may_route(&sess.actor, &api_route::CREATE_USER);
    let can_disable = may_route(&sess.actor, &api_route::DISABLE_USER);
    let org = f.opt("org").unwrap_or(&sess.actor.org);
    page(
        l,
        t("users"),
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            @if let Some(u) = created { p.ok role="status" { (t("user_created")) ": " strong { (u.username) } " (" (u.org) ")" } }
            table.cards #users {
                thead { tr { th scope="col" { (t("username")) } th scope="col" { (t("display_name")) } th scope="col" { (t("organisation")) } th scope="col" { (t("roles")) } th scope="col" { (t("status")) } th scope="col" { (t("created")) } th scope="col" { "" } } }
                tbody {
                    @for u in &users {
                        tr {
                            th scope="row" { (u.username) }
                            td data-label=(t("display_name")) { (u.display_name) }
                            td data-label=(t("organisation")) { a href={ "/registry/" (u.org) } { (u.org) } }
                            td data-label=(t("roles")) { (u.roles.iter().map(|r| role_label(l, *r)).collect::<Vec<_>>().join(", ")) }
                            td data-label=(t("status")) { @if u.disabled { span.badge { (t("disabled")) } } @else { (t("active")) } @if !u.has_password { " · " span.muted { (t("token_only")) } } }
                            td data-label=(t("created")) { (when(&u.created_at)) }
                            td {
                                @if can_disable && !u.disabled && u.id != sess.actor.user_id {
                                    form method="post" action={ "/admin/users/" (u.id) "/disable" } {
                                        input type="hidden" name="csrf" value=(sess.csrf());
                                        button.danger type="submit" aria-label={ (t("disable")) " " (u.username) } { (t("disable")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_create {
                section aria-labelledby="new-user" {
                    h2 #new-user { (t("new_user")) }
                    form.stack method="post" action="/admin/users" {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="nu-username" { (t("username")) " (" (t("required")) ")" }
                        input #nu-username type="text" name="username" required maxlength="64" autocomplete="off" value=(f.get("username"));
                        label for="nu-display" { (t("display_name")) }
                        input #nu-display type="text" name="display_name" value=(f.get("display_name"));
                        label for="nu-org" { (t("organisation")) }
                        select #nu-org name="org" {
                            @for o in &orgs { option value=(o.id) selected[o.id == org] { @if l == Lang::Ja { (o.name.ja) } @else { (o.name.en) } " (" (o.id) ")" } }
                        }
                        fieldset {
                            legend { (t("roles")) }
                            div.checks {
                                @for r in Role::ALL {
                                    label { input type="checkbox" name="roles" value=(r.as_str()) checked[f.all("roles").iter().any(|x| x == r.as_str())]; " " (role_label(l, *r)) }
                                }
                            }
                        }
                        label for="nu-password" { (t("password_optional")) }
                        input #nu-password type="password" name="password" autocomplete="new-password" minlength="12";
                        button type="submit" { (t("new_user")) }
                    }
                }
            }
        },
    )
}

pub async fn create_user(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::CREATE_USER).await?;
    let mut roles = Vec::new();
    for r in f.all("roles") {
        match r.parse::<Role>() {
            Ok(r) => roles.push(r),
            Err(e) => {
                return Ok(unprocessable(
                    users_page(&s, &sess, &f, Some(format!("roles: {e}")), None).await,
                ))
            }
        }
    }
    let new = NewUser {
        username: f.get("username").trim().to_owned(),
        display_name: f.opt("display_name").map(str::to_owned),
        org: f.get("org").to_owned(),
        roles,
        password: Some(f.get("password").to_owned()).filter(|p| !p.is_empty()),
    };
    match s.store.create_user(&sess.actor, &new).await {
        Ok(u) => Ok(users_page(&s, &sess, &FormData(vec![]), None, Some(&u)).await),
        Err(e) => Ok(unprocessable(
            users_page(&s, &sess, &f, Some(e.to_string()), None).await,
        )),
    }
}

pub async fn disable_user(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, _) = super::form_action(&s, &headers, form, &api_route::DISABLE_USER).await?;
    match s.store.disable_user(&sess.actor, &id).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(_) => Ok(not_found(&sess)),
    }
}

/// The tokens page: one's own, and for an administrator every user's.
pub async fn tokens(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::LIST_TOKENS) {
        return Ok(forbidden(&sess));
    }
    Ok(tokens_page(&s, &sess, None, None).await)
}

/// Every user's tokens, for those who manage users.
fn manages_users(sess: &Session) -> bool {
    allows(&sess.actor, Permission::ManageUsers)
}

fn token_table(sess: &Session, id: &str, rows: &[(String, TokenInfo)]) -> Markup {
    let l = sess.lang;
    let t = |k| l.t(k);
    let now = sakimori_store::now();
    html! {
        table.cards id=(id) {
            thead { tr { th scope="col" { (t("user")) } th scope="col" { (t("label")) } th scope="col" { (t("created")) } th scope="col" { (t("expires")) } th scope="col" { (t("status")) } th scope="col" { "" } } }
            tbody {
                @for (user, tok) in rows {
                    @let expired = tok.expires_at.as_deref().is_some_and(|e| e <= now.as_str());
                    tr {
                        th scope="row" { (user) }
                        td data-label=(t("label")) { (tok.label) }
                        td data-label=(t("created")) { (when(&tok.created_at)) }
                        td data-label=(t("expires")) { (tok.expires_at.as_deref().map(when).unwrap_or_else(|| "—".into())) }
                        td data-label=(t("status")) {
                            @if let Some(r) = &tok.revoked_at { span.muted { (t("revoked")) " " (when(r)) } }
                            @else if expired { span.muted { (t("expired")) } }
                            @else { (t("active")) }
                        }
                        td {
                            @if tok.revoked_at.is_none() && !expired {
                                form method="post" action={ "/tokens/" (tok.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(sess.csrf());
                                    button.danger type="submit" aria-label={ (t("revoke")) " " (tok.label) } { (t("revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn tokens_page(
    s: &AppState,
    sess: &Session,
    error: Option<String>,
    secret: Option<(&TokenInfo, &str)>,
) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let own: Vec<(String, TokenInfo)> = s
        .store
        .tokens(&sess.actor.user_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|x| (sess.actor.username.clone(), x))
        .collect();
    let admin = manages_users(sess);
    let users = if admin {
        s.store.users(None).await.unwrap_or_default()
    } else {
        vec![]
    };
    let mut others: Vec<(String, TokenInfo)> = Vec::new();
    for u in users.iter().filter(|u| u.id != sess.actor.user_id) {
        for x in s.store.tokens(&u.id).await.unwrap_or_default() {
            others.push((format!("{} ({})", u.username, u.org), x));
        }
    }
    let can_create = may_route(&sess.actor, &api_route::CREATE_TOKEN);
    let mut resp = page(
        l,
        t("tokens"),
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            @if let Some((info, secret)) = secret {
                section.secret role="status" aria-labelledby="secret" {
                    h2 #secret { (t("token_created")) ": " (info.label) }
                    p { strong { (t("token_once")) } }
                    p { label for="new-secret" { (t("token")) } }
                    input #new-secret type="text" readonly value=(secret) autocomplete="off" spellcheck="false";
                    p.muted { (t("expires")) ": " (info.expires_at.as_deref().map(when).unwrap_or_else(|| "—".into())) }
                }
            }
            h2 { (t("my_tokens")) }
            (token_table(sess, "own-tokens", &own))
            @if admin {
                h2 { (t("all_tokens")) }
                (token_table(sess, "all-tokens", &others))
            }
            @if can_create {
                section aria-labelledby="new-token" {
                    h2 #new-token { (t("new_token")) }
                    form.stack method="post" action="/tokens" {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="nt-label" { (t("label")) " (" (t("required")) ")" }
                        input #nt-label type="text" name="label" required maxlength="100";
                        label for="nt-days" { (t("expires_in_days")) }
                        input #nt-days type="number" name="expires_in_days" min="1" max="3650" value="90" inputmode="numeric";
                        @if admin {
                            label for="nt-user" { (t("for_user")) }
                            select #nt-user name="user_id" {
                                option value="" { (t("myself")) " (" (sess.actor.username) ")" }
                                @for u in users.iter().filter(|u| !u.disabled && u.id != sess.actor.user_id) { option value=(u.id) { (u.username) " (" (u.org) ")" } }
                            }
                        }
                        button type="submit" { (t("new_token")) }
                    }
                }
            }
        },
    );
    // A page with a secret on it is never kept by the browser or a proxy.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub async fn create_token(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::CREATE_TOKEN).await?;
    // As the API: issuing for another user needs `ManageUsers`.
    let user = match f.opt("user_id") {
        Some(u) if u != sess.actor.user_id => {
            if !manages_users(&sess) {
                return Ok(forbidden(&sess));
            }
            u.to_owned()
        }
        _ => sess.actor.user_id.clone(),
    };
    let days = match f.opt("expires_in_days").map(str::parse::<u32>) {
        None => 90,
        Some(Ok(d)) if d >= 1 => d,
        _ => {
            return Ok(unprocessable(
                tokens_page(
                    &s,
                    &sess,
                    Some(format!("{}: ≥ 1", sess.lang.t("expires_in_days"))),
                    None,
                )
                .await,
            ))
        }
    };
    let label = f.get("label").trim();
    if label.is_empty() {
        return Ok(unprocessable(
            tokens_page(
                &s,
                &sess,
                Some(format!(
                    "{}: {}",
                    sess.lang.t("label"),
                    sess.lang.t("required")
                )),
                None,
            )
            .await,
        ));
    }
    match s
        .store
        .create_token(&sess.actor, &user, label, Some(days))
        .await
    {
        Ok((info, secret)) => Ok(tokens_page(&s, &sess, None, Some((&info, &secret))).await),
        Err(e) => Ok(unprocessable(
            tokens_page(&s, &sess, Some(e.to_string()), None).await,
        )),
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, _) = super::form_action(&s, &headers, form, &api_route::REVOKE_TOKEN).await?;
    let Ok(tok) = s.store.token(&id).await else {
        return Ok(not_found(&sess));
    };
    // As the API: another user's token is not confirmed to exist.
    if tok.user_id != sess.actor.user_id && !manages_users(&sess) {
        return Ok(not_found(&sess));
    }
    let _ = s.store.revoke_token(&sess.actor, &tok.id).await;
    Ok(Redirect::to("/tokens").into_response())
}
