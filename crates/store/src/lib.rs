//! Persistence for Sakimori: one repository layer (sqlx `Any`) over SQLite, the
//! embedded default, and PostgreSQL, for real deployments.
//!
//! All SQL is written once, in the dialect both engines share (`$1` parameters,
//! `ON CONFLICT`, BIGINT integers, text times). Every write goes through
//! [`Store::write`], which serialises writers and appends to the hash-chained
//! audit log in the same transaction as the change it records.

mod advisories;
mod audit;
mod drills;
mod identity;
mod intel;
mod outbox;
mod registry;
mod reports;
mod sensor;
pub mod testing;

pub use advisories::{tier_status, AdvisoryRecord, DeliveryState, RelayPolicy, TierStatus};
pub use drills::{DrillRecord, DrillReport, DrillScope, StaleContact};
pub use identity::{NewUser, TokenInfo, User};
pub use intel::{
    collection_access, version_key, AddStatus, Collection, Correlation, ObjectFilter,
    ObjectOutcome, ObjectPage, ObjectRow, ShareOptions, SharingFacts, VersionMatch,
    INBOX_COLLECTION, SHARED_COLLECTION,
};
pub use outbox::OutboxItem;
pub use registry::{ContactRecord, Flag, ImportReport, OrgFilter};
pub use reports::{
    AttachmentInfo, ModeState, RecipientState, ReportRecord, SeverityRecord, TimelineEntry,
};
pub use sensor::{
    BatchOutcome, EventDetail, EventFilter, EventState, SensorEvent, SensorStatistics, SensorStatus,
};

use sakimori_core::audit::{digest, AuditEntry, GENESIS};
use sakimori_core::registry::ValidationError;
use sakimori_core::Actor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The migrations, portable across both engines.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{entity} {id:?} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the import was refused: {} problem(s)", .0.len())]
    Import(Vec<ValidationError>),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            id: id.into(),
        }
    }
}

/// Which engine the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database of one Sakimori installation.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Serialises writers inside this process; PostgreSQL writers in other
    /// processes are serialised by an advisory lock (see [`Store::write`]).
    write_lock: tokio::sync::Mutex<()>,
    /// Report submissions waiting to be committed together (group commit).
    pending_submissions: std::sync::Mutex<Vec<reports::SubmitJob>>,
}

/// The database URL of the embedded default inside a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("sakimori.db").display()
    )
}

impl Store {
    /// Connect to `url` (`sqlite://...` or `postgres://...`) and apply migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::invalid(
                "database.url",
                format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://..."),
            ));
        };
        if backend == Backend::Sqlite {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .and_then(|p| p.split('?').next())
            {
                if let Some(dir) = Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::invalid(
                            "data_dir",
                            format!("cannot create {}: {e}", dir.display()),
                        )
                    })?;
                }
            }
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; NORMAL sync survives a process
                        // kill (the WAL is in the OS page cache); foreign keys on.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            write_lock: tokio::sync::Mutex::new(()),
            pending_submissions: std::sync::Mutex::new(Vec::new()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Apply pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_migrations().await.unwrap_or(0);
        MIGRATOR.run(&self.pool).await?;
        Ok(self.applied_migrations().await?.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begin a write: one writer at a time, audit entries chained in order.
    pub async fn write(&self) -> Result<Write<'_>> {
        let guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(727501)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(Write {
            tx,
            _guard: guard,
            head: None,
        })
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// A write transaction holding the writer lock. Dropping it rolls back.
pub struct Write<'a> {
    pub(crate) tx: Transaction<'static, sqlx::Any>,
    _guard: tokio::sync::MutexGuard<'a, ()>,
    head: Option<(i64, String)>,
}

impl Write<'_> {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Append an audit entry for a change made in this transaction.
    pub async fn audit(
        &mut self,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<()> {
        let (last_seq, prev_hash) = match self.head.take() {
            Some(h) => h,
            None => {
                let row: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *self.tx)
                        .await?;
                row.unwrap_or((0, GENESIS.to_owned()))
            }
        };
        let mut e = AuditEntry {
            seq: last_seq + 1,
            at: now(),
            actor_user: actor.username.clone(),
            actor_org: actor.org.clone(),
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
            before_digest: before.map(digest),
            after_digest: after.map(digest),
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_user, actor_org, action, entity, entity_id, \
             before_digest, after_digest, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.seq)
        .bind(&e.at)
        .bind(&e.actor_user)
        .bind(&e.actor_org)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(&e.before_digest)
        .bind(&e.after_digest)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *self.tx)
        .await?;
        self.head = Some((e.seq, e.hash));
        Ok(())
    }

    /// Commit the change and its audit entries together.
    pub async fn commit(mut self) -> Result<()> {
        if let Some((seq, hash)) = self.head.take() {
            set_meta(&mut self.tx, "audit_head", &format!("{seq} {hash}")).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

pub(crate) async fn set_meta(conn: &mut AnyConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// The current time as stored: RFC 3339 UTC with microseconds.
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}
