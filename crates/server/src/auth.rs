//! Authentication (bearer token, or HTTP Basic with the token as password) and
//! the per-route permission check, applied uniformly from the route table.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sakimori_core::policy::{allows, Permission};
use sakimori_core::Actor;

/// The token in `Authorization: Bearer T` or `Authorization: Basic base64(user:T)`,
/// with the user name when Basic was used.
pub(crate) fn credentials(req: &Request) -> Option<(Option<String>, String)> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => Some((None, rest.trim().to_owned())),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (user, token) = text.split_once(':')?;
            Some((Some(user.to_owned()), token.to_owned()))
        }
        _ => None,
    }
}

pub async fn authenticate(
    state: &AppState,
    creds: Option<(Option<String>, String)>,
) -> Result<Actor, ApiError> {
    let (user, token) = creds.ok_or_else(ApiError::unauthorized)?;
    let actor = state
        .store
        .authenticate(&token)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if user.is_some_and(|u| u != actor.username) {
        return Err(ApiError::unauthorized());
    }
    Ok(actor)
}

/// Middleware: authenticate, check the route's permission, hand the actor on.
pub async fn require(
    State((state, permission)): State<(AppState, Permission)>,
    mut req: Request,
    next: Next,
) -> Response {
    let actor = match authenticate(&state, credentials(&req)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if !allows(&actor, permission) {
        return ApiError::forbidden(&format!("{permission:?} is not granted to your roles"))
            .into_response();
    }
    req.extensions_mut().insert(actor);
    next.run(req).await
}
