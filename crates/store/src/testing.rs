//! Test support: fresh stores on both engines.
//!
//! SQLite stores live in a temporary directory. PostgreSQL stores each get a
//! schema of their own in the database named by `SAKIMORI_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`). When PostgreSQL cannot
//! be reached the tests fail under CI (`CI` set) and otherwise say so loudly and
//! run on SQLite only.

use crate::{Backend, Store};
use std::future::Future;
use std::path::PathBuf;

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store for a test and what keeps it alive.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub backend: Backend,
    /// The SQLite data directory (`None` on PostgreSQL).
    pub data_dir: Option<PathBuf>,
}

pub mod tempdir {
    /// Removes the directory when dropped.
    pub struct TempDirGuard(pub std::path::PathBuf);
    impl Drop for TempDirGuard {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sakimori-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

pub fn postgres_base() -> String {
    std::env::var("SAKIMORI_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

/// Which backends to test: `SAKIMORI_TEST_BACKENDS=sqlite,postgres` (default both).
pub fn wanted_backends() -> Vec<Backend> {
    let spec = std::env::var("SAKIMORI_TEST_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    spec.split(',')
        .filter_map(|b| match b.trim() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        })
        .collect()
}

/// A fresh, migrated SQLite store; the guard removes its directory when dropped.
pub async fn sqlite() -> (TestDb, tempdir::TempDirGuard) {
    let dir = scratch_dir();
    let url = crate::sqlite_url(&dir);
    let store = Store::open(&url).await.expect("open sqlite");
    let guard = tempdir::TempDirGuard(dir.clone());
    (
        TestDb {
            store,
            url,
            backend: Backend::Sqlite,
            data_dir: Some(dir),
        },
        guard,
    )
}

/// A fresh, migrated PostgreSQL store in its own schema, or `None` when
/// PostgreSQL is unreachable outside CI.
pub async fn postgres() -> Option<TestDb> {
    let base = postgres_base();
    sqlx::any::install_default_drivers();
    let admin = match sqlx::AnyConnection::connect_lazy(&base).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL at {base} is required in CI: {e}");
            }
            // Written to the raw stderr so that the test harness does not swallow it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! PostgreSQL at {base} is unreachable ({e}): SKIPPING the PostgreSQL half of this test !!!\n"
            );
            return None;
        }
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    admin.create_schema(&schema).await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::open(&url).await.expect("open postgres");
    Some(TestDb {
        store,
        url,
        backend: Backend::Postgres,
        data_dir: None,
    })
}

/// Run `body` once per wanted backend, each on a fresh store.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in wanted_backends() {
        let (db, _guard) = match backend {
            Backend::Sqlite => {
                let (db, guard) = sqlite().await;
                (db, Some(guard))
            }
            Backend::Postgres => match postgres().await {
                Some(db) => (db, None),
                None => continue,
            },
        };
        body(db).await;
    }
}

trait ConnectLazy: Sized {
    async fn connect_lazy(url: &str) -> Result<Self, sqlx::Error>;
    async fn create_schema(self, schema: &str);
}

impl ConnectLazy for sqlx::AnyConnection {
    async fn connect_lazy(url: &str) -> Result<Self, sqlx::Error> {
        use sqlx::Connection;
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::AnyConnection::connect(url),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn create_schema(mut self, schema: &str) {
        use sqlx::Executor;
        self.execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("create schema");
    }
}

/// The Python of the test venv that `scripts/test.sh` creates (the standards' own
/// validators and reference clients: stix2-validator, taxii2-client, PyMISP):
/// `SAKIMORI_TEST_PYTHON`, else `.venv/bin/python` at the workspace root.
/// Missing: a panic under CI, a loud `None` otherwise.
pub fn python() -> Option<PathBuf> {
    let path = std::env::var_os("SAKIMORI_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
        });
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "the test venv ({}) is required in CI: run scripts/test.sh",
            path.display()
        );
    }
    eprintln!(
        "!!! SKIPPED: no test venv at {} (run scripts/test.sh once to create it) !!!",
        path.display()
    );
    None
}
