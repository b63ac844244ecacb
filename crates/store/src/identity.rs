//! Users, passwords (argon2) and API tokens (random, shown once, stored as SHA-256).

use crate::{now, Result, Store, StoreError};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sakimori_core::identity::{format_roles, parse_roles};
use sakimori_core::{Actor, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

/// The prefix of every Sakimori API token, so that secret scanners can find leaked ones.
pub const TOKEN_PREFIX: &str = "skm_";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub org: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: String,
}

#[derive(FromRow)]
struct UserRow {
    id: String,
    username: String,
    display_name: String,
    org_id: String,
    roles: String,
    password_hash: Option<String>,
    disabled: i64,
    created_at: String,
}

impl UserRow {
    fn into_user(self) -> User {
        User {
            roles: parse_roles(&self.roles).unwrap_or_default(),
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            org: self.org_id,
            disabled: self.disabled != 0,
            has_password: self.password_hash.is_some(),
            created_at: self.created_at,
        }
    }
}

const USER_COLUMNS: &str =
    "id, username, display_name, org_id, roles, password_hash, disabled, created_at";

/// What is needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub org: String,
    pub roles: Vec<Role>,
    pub password: Option<String>,
}

/// A token as listed: never the secret.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 12 {
        return Err(StoreError::invalid(
            "password",
            "use at least 12 characters",
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid("password", e.to_string()))
}

fn valid_username(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

impl Store {
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        if !valid_username(&new.username) {
            return Err(StoreError::invalid(
                "username",
                "use 1-64 characters of a-z, A-Z, 0-9, '.', '_', '-' and '@'",
            ));
        }
        if new.roles.is_empty() {
            return Err(StoreError::invalid(
                "roles",
                "at least one role is required",
            ));
        }
        self.organisation(&new.org).await.map_err(|_| {
            StoreError::invalid("org", format!("unknown organisation {:?}", new.org))
        })?;
        if self.user_by_name(&new.username).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "user {:?} already exists",
                new.username
            )));
        }
        let password_hash = new.password.as_deref().map(hash_password).transpose()?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, org_id, roles, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&id)
        .bind(&new.username)
        .bind(new.display_name.as_deref().unwrap_or(&new.username))
        .bind(&new.org)
        .bind(format_roles(&new.roles))
        .bind(&password_hash)
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        let after = serde_json::json!({"username": new.username, "org": new.org, "roles": format_roles(&new.roles)});
        w.audit(actor, "user.create", "user", &id, None, Some(&after))
            .await?;
        w.commit().await?;
        self.user(&id).await
    }

    pub async fn user(&self, id: &str) -> Result<User> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(UserRow::into_user)
            .ok_or_else(|| StoreError::not_found("user", id))
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(UserRow::into_user))
    }

    /// Users, optionally of one organisation.
    pub async fn users(&self, org: Option<&str>) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR org_id = $1) ORDER BY username"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(UserRow::into_user).collect())
    }

    /// Disable a user: their tokens and password stop working at once.
    pub async fn disable_user(&self, actor: &Actor, id: &str) -> Result<User> {
        let before = self.user(id).await?;
        let mut w = self.write().await?;
        sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            actor,
            "user.disable",
            "user",
            id,
            Some(&serde_json::json!({"disabled": before.disabled})),
            Some(&serde_json::json!({"disabled": true})),
        )
        .await?;
        w.commit().await?;
        self.user(id).await
    }

    pub async fn set_password(&self, actor: &Actor, id: &str, password: &str) -> Result<()> {
        self.user(id).await?;
        let hash = hash_password(password)?;
        let mut w = self.write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        // The digest covers the fact of a change, never the hash itself.
        w.audit(
            actor,
            "user.password",
            "user",
            id,
            None,
            Some(&serde_json::json!({"password": "changed"})),
        )
        .await?;
        w.commit().await
    }

    /// Check a username and password; `None` for any failure, without saying which.
    pub async fn login(&self, username: &str, password: &str) -> Result<Option<Actor>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(stored) = row.password_hash.clone() else {
            return Ok(None);
        };
        let ok = PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        let user = row.into_user();
        Ok((ok && !user.disabled).then(|| actor_of(&user)))
    }

    /// Issue a token for a user; the secret is returned once and never stored.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: &str,
        label: &str,
        expires_in_days: Option<u32>,
    ) -> Result<(TokenInfo, String)> {
        let lifetime = expires_in_days.map(|d| chrono::Duration::days(d as i64));
        self.create_token_inner(actor, user_id, label, lifetime)
            .await
    }

    async fn create_token_inner(
        &self,
        actor: &Actor,
        user_id: &str,
        label: &str,
        lifetime: Option<chrono::Duration>,
    ) -> Result<(TokenInfo, String)> {
        let user = self.user(user_id).await?;
        if user.disabled {
            return Err(StoreError::invalid(
                "user",
                format!("user {:?} is disabled", user.username),
            ));
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let id = uuid::Uuid::new_v4().to_string();
        let created = now();
        let expires = lifetime.map(|d| {
            (chrono::Utc::now() + d)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        });
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO tokens (id, user_id, token_hash, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(hash_token(&secret))
        .bind(label)
        .bind(&created)
        .bind(&expires)
        .execute(&mut *w.tx)
        .await?;
        let after =
            serde_json::json!({"user": user.username, "label": label, "expires_at": expires});
        w.audit(actor, "token.create", "token", &id, None, Some(&after))
            .await?;
        w.commit().await?;
        let info = TokenInfo {
            id,
            user_id: user_id.to_owned(),
            label: label.to_owned(),
            created_at: created,
            expires_at: expires,
            revoked_at: None,
        };
        Ok((info, secret))
    }

    /// A session token after a password sign-in: 12 hours.
    pub async fn create_session(&self, actor: &Actor) -> Result<(TokenInfo, String)> {
        self.create_token_inner(
            actor,
            &actor.user_id,
            "session",
            Some(chrono::Duration::hours(12)),
        )
        .await
    }

    pub async fn token(&self, id: &str) -> Result<TokenInfo> {
        let t: Option<TokenInfo> = sqlx::query_as(
            "SELECT id, user_id, label, created_at, expires_at, revoked_at FROM tokens WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        t.ok_or_else(|| StoreError::not_found("token", id))
    }

    pub async fn tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, label, created_at, expires_at, revoked_at FROM tokens \
             WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<TokenInfo> {
        let before = self.token(id).await?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let t = now();
        let mut w = self.write().await?;
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2")
            .bind(&t)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            actor,
            "token.revoke",
            "token",
            id,
            Some(&serde_json::json!({"revoked_at": null})),
            Some(&serde_json::json!({"revoked_at": t})),
        )
        .await?;
        w.commit().await?;
        self.token(id).await
    }

    /// The actor a token stands for, if it is known, live and its user enabled.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Actor>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        // One query per request: the token and its user together.
        let row: Option<TokenUserRow> = sqlx::query_as(
            "SELECT t.expires_at, t.revoked_at, u.id, u.username, u.org_id, u.roles, u.disabled \
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(hash_token(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some((expires, revoked, user_id, username, org, roles, disabled)) = row else {
            return Ok(None);
        };
        if revoked.is_some() || expires.is_some_and(|e| e <= now()) || disabled != 0 {
            return Ok(None);
        }
        Ok(Some(Actor {
            user_id,
            username,
            org,
            roles: parse_roles(&roles).unwrap_or_default(),
        }))
    }
}

/// expires_at, revoked_at, user id, username, organisation, roles, disabled.
type TokenUserRow = (
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
);

pub(crate) fn actor_of(user: &User) -> Actor {
    Actor {
        user_id: user.id.clone(),
        username: user.username.clone(),
        org: user.org.clone(),
        roles: user.roles.clone(),
    }
}
