//! A test installation shared by the API test files: the reference registry, the
//! demo constituency, one user (and token) per name, and the app in memory.

#![allow(dead_code)] // each test file uses some of these

use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sakimori_core::registry::Format;
use sakimori_core::{Actor, Role};
use sakimori_server::{app, AppState, Settings};
use sakimori_store::{NewUser, Store};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

pub const REFERENCE: &str = include_str!("../../../../data/reference/registry.yaml");
pub const DEMO: &str = include_str!("../../../../data/demo/constituency.yaml");

pub struct World {
    pub app: Router,
    pub store: Arc<Store>,
    pub tokens: HashMap<String, String>,
}

/// Load the registries, create `users` (name, organisation, role) with tokens.
pub async fn world(
    store: Store,
    users: &[(&'static str, &str, Role)],
    settings: Settings,
) -> World {
    store.ensure_reference(REFERENCE).await.unwrap();
    store
        .import_text(&Actor::system(), DEMO, Format::Yaml)
        .await
        .unwrap();
    let mut tokens = HashMap::new();
    for (name, org, role) in users {
        tokens.insert(
            (*name).to_owned(),
            user_token(&store, name, org, *role).await,
        );
    }
    let store = Arc::new(store);
    World {
        app: app(AppState::with_settings(store.clone(), settings)),
        store,
        tokens,
    }
}

/// Create a user with one role and return a fresh token of theirs.
pub async fn user_token(store: &Store, name: &str, org: &str, role: Role) -> String {
    let u = store
        .create_user(
            &Actor::system(),
            &NewUser {
                username: name.into(),
                display_name: None,
                org: org.into(),
                roles: vec![role],
                password: None,
            },
        )
        .await
        .unwrap();
    store
        .create_token(&Actor::system(), &u.id, "t", Some(1))
        .await
        .unwrap()
        .1
}

#[allow(dead_code)] // each test file uses some of these
impl World {
    /// A request as user `who`; the answer's status and body text.
    pub async fn raw(
        &self,
        who: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.tokens[who]));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A JSON request as user `who`; the answer as JSON (`Null` when empty).
    pub async fn call(
        &self,
        who: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(who, method, uri, body, &[]).await
    }

    pub async fn call_with(
        &self,
        who: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let (status, text) = self.raw(who, method, uri, body, headers).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
