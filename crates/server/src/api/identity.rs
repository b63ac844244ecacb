//! Identity routes: who am I, users, tokens.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use sakimori_core::policy::{allows, may_view_private, Permission};
use sakimori_core::registry::Organisation;
use sakimori_core::{Actor, Role};
use sakimori_store::{NewUser, TokenInfo, User};
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub actor: Actor,
    pub organisation: Organisation,
}

pub async fn me(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Me>> {
    let organisation = s.store.organisation(&actor.org).await?;
    Ok(Json(Me {
        actor,
        organisation,
    }))
}

#[derive(Deserialize)]
pub struct UsersQuery {
    org: Option<String>,
}

pub async fn users(
    State(s): State<AppState>,
    Query(q): Query<UsersQuery>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(s.store.users(q.org.as_deref()).await?))
}

pub async fn org_users(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<User>>> {
    let rel = s.store.relations(&id).await?;
    if !may_view_private(&actor, &rel) {
        return Err(ApiError::forbidden(&format!(
            "users of organisation {id:?}"
        )));
    }
    Ok(Json(s.store.users(Some(&id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: Option<String>,
    pub org: String,
    pub roles: Vec<Role>,
    /// At least 12 characters; omit for token-only (API) users.
    pub password: Option<String>,
}

pub async fn create_user(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<User>> {
    let b: NewUserBody = parse_json(&body)?;
    let new = NewUser {
        username: b.username,
        display_name: b.display_name,
        org: b.org,
        roles: b.roles,
        password: b.password,
    };
    Ok(Json(s.store.create_user(&actor, &new).await?))
}

pub async fn disable_user(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.store.disable_user(&actor, &id).await?))
}

pub async fn tokens(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(s.store.tokens(&actor.user_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub label: String,
    /// Days until expiry (default 90); 0 is refused.
    pub expires_in_days: Option<u32>,
    /// Issue for another user (administrators only).
    pub user_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTokenAnswer {
    /// The secret: shown this once, stored only as a hash.
    pub token: String,
    pub info: TokenInfo,
}

pub async fn create_token(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<NewTokenAnswer>> {
    let b: NewTokenBody = parse_json(&body)?;
    let user = match b.user_id {
        Some(u) if u != actor.user_id => {
            if !allows(&actor, Permission::ManageUsers) {
                return Err(ApiError::forbidden("tokens for other users"));
            }
            u
        }
        _ => actor.user_id.clone(),
    };
    let days = b.expires_in_days.unwrap_or(90);
    if days == 0 {
        return Err(ApiError::invalid("expires_in_days", "must be at least 1"));
    }
    let (info, token) = s
        .store
        .create_token(&actor, &user, &b.label, Some(days))
        .await?;
    Ok(Json(NewTokenAnswer { token, info }))
}

pub async fn revoke_token(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenInfo>> {
    let t = s.store.token(&id).await?;
    if t.user_id != actor.user_id && !allows(&actor, Permission::ManageUsers) {
        // Do not confirm that another user's token exists.
        return Err(ApiError::not_found(format!("token {id:?} not found")));
    }
    Ok(Json(s.store.revoke_token(&actor, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// Exchange a password for a session token (12 hours). Failures say nothing about
/// which part was wrong.
pub async fn sign_in(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<NewTokenAnswer>> {
    let b: SignIn = parse_json(&body)?;
    let actor = s
        .store
        .login(&b.username, &b.password)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "wrong user name or password",
            )
        })?;
    let (info, token) = s.store.create_session(&actor).await?;
    Ok(Json(NewTokenAnswer { token, info }))
}
