//! The centre's end of the pipeline: batches in, events out.
//!
//! [`Centre`] keeps the [`Engine`] current — indicators added and revoked in
//! the intelligence store since the last batch, suppressions, the registry's
//! addresses — and applies each batch to the store in one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sakimori_core::identity::{Actor, Role};
use sakimori_core::registry::OrgKind;
use sakimori_core::warninglist::Warninglists;
use sakimori_sensor::detect::IndicatorError;
use sakimori_sensor::Engine;
use sakimori_store::{
    BatchOutcome, ObjectFilter, Store, StoreError, VersionMatch, INBOX_COLLECTION,
};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::source::WireBatch;

/// How often the registry's addresses are reloaded.
const ASSETS_EVERY: Duration = Duration::from_secs(30);

/// Settings of the centre's pipeline.
#[derive(Debug, Clone)]
pub struct CentreConfig {
    /// Bundling window.
    pub window: chrono::Duration,
    /// Drop attempts that visibly failed.
    pub drop_failed: bool,
    /// Warninglists in use (shipped ones by default).
    pub warninglists: Warninglists,
}

impl Default for CentreConfig {
    fn default() -> Self {
        Self {
            window: chrono::Duration::seconds(sakimori_sensor::engine::DEFAULT_WINDOW_SECS),
            drop_failed: true,
            warninglists: Warninglists::shipped(),
        }
    }
}

/// What the centre holds about its indicators.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct IndicatorState {
    /// Last intelligence row read.
    pub seq: i64,
    /// Indicators in the matcher.
    pub active: usize,
    /// Indicators that could not be used (not STIX patterns, bad patterns).
    pub unusable: u64,
}

struct State {
    engine: Engine,
    indicators: IndicatorState,
    assets_at: Option<Instant>,
}

/// The centre's pipeline over one store.
pub struct Centre {
    store: Arc<Store>,
    actor: Actor,
    window: chrono::Duration,
    state: Mutex<State>,
}

impl Centre {
    /// A pipeline acting as the coordination centre of the store's registry
    /// (it sees the indicators the centre may use).
    pub async fn new(store: Arc<Store>, config: CentreConfig) -> Result<Self, StoreError> {
        let reg = store.registry_without_contacts().await?;
        let org = reg
            .organisations
            .iter()
            .find(|o| o.kind == OrgKind::CoordinationCentre)
            .map(|o| o.id.clone())
            .ok_or_else(|| {
                StoreError::invalid(
                    "registry",
                    "no coordination centre is registered: import the registry first",
                )
            })?;
        let actor = Actor {
            user_id: "pipeline".into(),
            username: "sakimori-pipeline".into(),
            org,
            roles: vec![Role::Sensor],
        };
        let mut engine = Engine::new();
        engine.window = config.window;
        engine.noise.drop_failed = config.drop_failed;
        engine.noise.warninglists = config.warninglists;
        Ok(Self {
            store,
            actor,
            window: config.window,
            state: Mutex::new(State {
                engine,
                indicators: IndicatorState::default(),
                assets_at: None,
            }),
        })
    }

    /// The identity the pipeline reads and writes as.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Indicators held now.
    pub async fn indicators(&self) -> IndicatorState {
        self.state.lock().await.indicators
    }

    /// Brings indicators, suppressions and (every 30 s) the registry's
    /// addresses up to date.
    pub async fn refresh(&self) -> Result<IndicatorState, StoreError> {
        let mut st = self.state.lock().await;
        self.refresh_locked(&mut st).await?;
        Ok(st.indicators)
    }

    async fn refresh_locked(&self, st: &mut State) -> Result<(), StoreError> {
        let now = Utc::now();
        loop {
            let filter = ObjectFilter {
                types: vec!["indicator".into()],
                versions: VersionMatch::Last,
                after_seq: Some(st.indicators.seq),
                include_revoked: true,
                limit: 10_000,
                ..Default::default()
            };
            let page = self
                .store
                .objects_page(Some(&self.actor), INBOX_COLLECTION, &filter)
                .await?;
            for row in &page.rows {
                let o = &row.object;
                let revoked = o.get("revoked").and_then(|v| v.as_bool()) == Some(true);
                let expired = o
                    .get("valid_until")
                    .and_then(|v| v.as_str())
                    .and_then(sakimori_core::stix::parse_timestamp)
                    .is_some_and(|t| t <= now);
                if revoked || expired {
                    st.engine.matcher.remove(&row.id);
                } else if let Err(e) = st.engine.matcher.insert_stix(o) {
                    if !matches!(e, IndicatorError::NotApplicable(_)) {
                        tracing::warn!(indicator = %row.id, error = %e, "indicator not usable");
                    }
                    st.indicators.unusable += 1;
                    st.engine.matcher.remove(&row.id);
                }
            }
            if let Some(n) = page.next {
                st.indicators.seq = st.indicators.seq.max(n);
            }
            if !page.more {
                break;
            }
        }
        st.indicators.active = st.engine.matcher.stats().indicators;
        st.engine.noise.suppressions = self.store.suppressions().await?;
        if st.assets_at.is_none_or(|t| t.elapsed() >= ASSETS_EVERY) {
            st.engine.assets = self.store.asset_index().await?;
            st.assets_at = Some(Instant::now());
        }
        Ok(())
    }

    /// Forces the registry's addresses to be reloaded with the next batch.
    pub async fn registry_changed(&self) {
        self.state.lock().await.assets_at = None;
    }

    /// Processes one batch: refresh, run the engine, write the outcome.
    pub async fn process(&self, batch: &WireBatch) -> Result<BatchOutcome, StoreError> {
        let mut st = self.state.lock().await;
        self.refresh_locked(&mut st).await?;
        let mut out = st.engine.run(&batch.observations);
        drop(st);
        if batch.malformed > 0 {
            out.tallies
                .entry((batch.sensor.id.clone(), batch.sensor.site.clone()))
                .or_default()
                .malformed += batch.malformed;
        }
        self.store
            .apply_sensor_batch(
                &self.actor,
                &batch.id,
                &batch.sensor.id,
                batch.records,
                &out,
                self.window,
            )
            .await
    }
}
