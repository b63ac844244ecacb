//! CEPTOAR drills: a provision drill is a marked advisory down the real tiers; a
//! report drill collects marked reports up the real routing. The drill report
//! computes reachability from who acknowledged, and lists stale contacts.

use crate::advisories::RelayPolicy;
use crate::{now, Result, Store, StoreError};
use sakimori_core::advisory::{AdvisoryFields, Audience, Category};
use sakimori_core::drill::{reachability, DrillKind, Hop, Reachability, SELF_CHECK_QUESTIONS};
use sakimori_core::registry::{OrgKind, RegistryDoc};
use sakimori_core::routing::Urgency;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

/// Which part of the constituency a drill covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DrillScope {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub sectors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrillRecord {
    pub id: String,
    pub number: i64,
    pub kind: String,
    pub scope: String,
    pub title: String,
    pub advisory_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// A contact a drill should chase: not verified for long, or bounced.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleContact {
    pub org_id: String,
    pub name: String,
    pub email: String,
    pub last_verified: Option<String>,
    pub bounced_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrillReport {
    pub drill: DrillRecord,
    pub reachability: Reachability,
    /// Organisations that did not confirm (the broken links to chase).
    pub unconfirmed: Vec<String>,
    pub stale_contacts: Vec<StaleContact>,
    pub self_checks: Vec<serde_json::Value>,
}

const COLUMNS: &str = "id, number, kind, scope, title, advisory_id, created_at, created_by";

fn in_scope(scope: &DrillScope, sector: Option<&str>) -> bool {
    scope.all || sector.is_some_and(|s| scope.sectors.iter().any(|x| x == s))
}

fn hub_of(reg: &RegistryDoc, sector: Option<&str>) -> Option<String> {
    let s = sector?;
    reg.organisations
        .iter()
        .find(|o| o.kind == OrgKind::Hub && o.sector.as_deref() == Some(s))
        .map(|o| o.id.clone())
}

impl Store {
    /// Start a drill. A provision drill sends a marked advisory (TLP:GREEN,
    /// reference) down the real tiers at once.
    pub async fn create_drill(
        &self,
        actor: &Actor,
        kind: DrillKind,
        title: &str,
        scope: &DrillScope,
        relay: &RelayPolicy,
    ) -> Result<DrillRecord> {
        if title.trim().is_empty() {
            return Err(StoreError::invalid("title", "the drill needs a title"));
        }
        if !scope.all && scope.sectors.is_empty() {
            return Err(StoreError::invalid("scope", "all, or a list of sectors"));
        }
        let sectors = self.sectors().await?;
        for (i, s) in scope.sectors.iter().enumerate() {
            if !sectors.iter().any(|x| &x.id == s) {
                return Err(StoreError::invalid(
                    &format!("scope.sectors[{i}]"),
                    format!("unknown sector {s:?}"),
                ));
            }
        }
        let advisory_id = match kind {
            DrillKind::Provision => {
                let fields = AdvisoryFields {
                    title: format!("[DRILL / 訓練] {title}"),
                    title_ja: Some(format!("【訓練】{title}")),
                    body: "This is a **drill** message. Please acknowledge it to confirm that it reached you (reachability check).".into(),
                    body_ja: Some("これは**訓練**です。受領確認（疎通確認）のため、確認ボタンを押してください。".into()),
                    tlp: Tlp::Green,
                    category: Category::Reference,
                    urgency: Urgency::Normal,
                    valid_from: None,
                    valid_until: None,
                    indicators: vec![],
                    cves: vec![],
                    audience: Audience { all: scope.all, sectors: scope.sectors.clone(), ..Default::default() },
                };
                Some(self.create_advisory(actor, &fields, true, relay).await?.id)
            }
            DrillKind::Report => None,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let mut w = self.write().await?;
        let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM drills")
            .fetch_one(&mut *w.tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO drills ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&id)
        .bind(number)
        .bind(kind.as_str())
        .bind(serde_json::to_string(scope).expect("json"))
        .bind(title)
        .bind(&advisory_id)
        .bind(now())
        .bind(&actor.username)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "drill.create",
            "drill",
            &id,
            None,
            Some(&serde_json::json!({"kind": kind.as_str(), "scope": scope})),
        )
        .await?;
        w.commit().await?;
        self.drill(&id).await
    }

    pub async fn drill(&self, id: &str) -> Result<DrillRecord> {
        let d: Option<DrillRecord> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM drills WHERE id = $1 OR CAST(number AS TEXT) = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        d.ok_or_else(|| StoreError::not_found("drill", id))
    }

    pub async fn drills(&self) -> Result<Vec<DrillRecord>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM drills ORDER BY number DESC"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// An organisation's self-check sheet after a drill.
    pub async fn record_self_check(
        &self,
        actor: &Actor,
        drill_id: &str,
        answers: &serde_json::Value,
    ) -> Result<()> {
        let d = self.drill(drill_id).await?;
        let obj = answers
            .as_object()
            .ok_or_else(|| StoreError::invalid("answers", "a JSON object of answers"))?;
        for k in obj.keys() {
            if !SELF_CHECK_QUESTIONS.iter().any(|(q, _, _)| q == k) {
                return Err(StoreError::invalid(
                    &format!("answers.{k}"),
                    "not a question of the self-check sheet",
                ));
            }
        }
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO drill_self_checks (drill_id, org_id, answers, at, by_user) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (drill_id, org_id) DO UPDATE SET answers = excluded.answers, at = excluded.at, by_user = excluded.by_user",
        )
        .bind(&d.id)
        .bind(&actor.org)
        .bind(answers.to_string())
        .bind(now())
        .bind(&actor.username)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "drill.self_check",
            "drill",
            &d.id,
            None,
            Some(answers),
        )
        .await?;
        w.commit().await
    }

    /// The drill report: reachability per tier, sector and CEPTOAR, who did not
    /// confirm, contacts not verified for `stale_days` or bounced, self-checks.
    pub async fn drill_report(&self, id: &str, stale_days: i64) -> Result<DrillReport> {
        let d = self.drill(id).await?;
        let scope: DrillScope = serde_json::from_str(&d.scope).unwrap_or_default();
        let reg = self.registry().await?;
        let sector_of = |org: &str| reg.organisation(org).and_then(|o| o.sector.clone());
        let mut hops = Vec::new();
        if let Some(aid) = &d.advisory_id {
            for x in self.advisory(aid).await?.deliveries {
                let sector = sector_of(&x.org_id);
                hops.push(Hop {
                    hub: hub_of(&reg, sector.as_deref()),
                    organisation: x.org_id,
                    tier: x.tier,
                    sector,
                    reached: x.delivered_at.is_some(),
                    acknowledged: x.acknowledged_at.is_some(),
                });
            }
        } else {
            let reports: Vec<String> =
                sqlx::query_scalar("SELECT id FROM reports WHERE drill_id = $1")
                    .bind(&d.id)
                    .fetch_all(&self.pool)
                    .await?;
            let mut reporters = std::collections::HashSet::new();
            for rid in reports {
                let r = self.report(&rid).await?;
                reporters.insert(r.reporter_org.clone());
                for x in r.recipients {
                    let sector = sector_of(&r.reporter_org);
                    let tier = reg
                        .organisation(&x.org_id)
                        .map(|o| o.kind.as_str().to_owned())
                        .unwrap_or_default();
                    hops.push(Hop {
                        hub: hub_of(&reg, sector.as_deref()),
                        organisation: x.org_id,
                        tier,
                        sector,
                        reached: true,
                        acknowledged: x.acknowledged_at.is_some(),
                    });
                }
            }
            // Every operator in scope is expected to report: one hop each.
            for o in reg.organisations.iter().filter(|o| {
                matches!(
                    o.kind,
                    OrgKind::Operator | OrgKind::GovernmentBody | OrgKind::LocalGovernment
                )
            }) {
                if in_scope(&scope, o.sector.as_deref()) {
                    let done = reporters.contains(&o.id);
                    hops.push(Hop {
                        organisation: o.id.clone(),
                        tier: "reporter".into(),
                        sector: o.sector.clone(),
                        hub: hub_of(&reg, o.sector.as_deref()),
                        reached: done,
                        acknowledged: done,
                    });
                }
            }
        }
        let mut unconfirmed: Vec<String> = hops
            .iter()
            .filter(|h| !h.acknowledged)
            .map(|h| h.organisation.clone())
            .collect();
        unconfirmed.sort();
        unconfirmed.dedup();
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(stale_days))
            .date_naive()
            .to_string();
        let in_drill: std::collections::HashSet<&str> =
            hops.iter().map(|h| h.organisation.as_str()).collect();
        let contacts: Vec<StaleContact> = sqlx::query_as(
            "SELECT org_id, name, email, last_verified, bounced_at FROM contacts \
             WHERE bounced_at IS NOT NULL OR last_verified IS NULL OR last_verified < $1 ORDER BY org_id, position",
        )
        .bind(&cutoff)
        .fetch_all(&self.pool)
        .await?;
        let stale_contacts = contacts
            .into_iter()
            .filter(|c| in_drill.contains(c.org_id.as_str()))
            .collect();
        let checks: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT org_id, answers, at FROM drill_self_checks WHERE drill_id = $1 ORDER BY org_id",
        )
        .bind(&d.id)
        .fetch_all(&self.pool)
        .await?;
        let self_checks = checks
            .into_iter()
            .map(|(org, answers, at)| serde_json::json!({"organisation": org, "at": at, "answers": serde_json::from_str::<serde_json::Value>(&answers).unwrap_or_default()}))
            .collect();
        Ok(DrillReport {
            reachability: reachability(&hops),
            drill: d,
            unconfirmed,
            stale_contacts,
            self_checks,
        })
    }
}
