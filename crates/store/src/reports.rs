//! Incident reports, their recipients, versions, comments and attachments;
//! incidents; severity evaluations; the operating mode; the outbox of
//! notifications written in the same transaction as what caused them.

use crate::{now, Result, Store, StoreError, Write};
use sakimori_core::registry::OrgKind;
use sakimori_core::report::{fiscal_quarter, FieldError, ReportFields, ReportStatus};
use sakimori_core::routing::{Context, Mode, Recipient, RoutingRules};
use sakimori_core::severity::{Evaluation, SeverityInputs};
use sakimori_core::stats::StatInput;
use sakimori_core::Actor;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

/// A report with where it stands at each recipient.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRecord {
    pub id: String,
    pub number: i64,
    pub reporter_org: String,
    pub reporter_user: String,
    pub version: i64,
    pub mode: String,
    /// Drill reports never count in statistics.
    pub drill: bool,
    pub incident_id: Option<String>,
    pub fields: ReportFields,
    pub created_at: String,
    pub updated_at: String,
    pub recipients: Vec<RecipientState>,
}

/// A prepared submission waiting for the writer lock.
pub(crate) struct SubmitJob {
    actor: Actor,
    fields: ReportFields,
    key: Option<String>,
    drill: bool,
    drill_id: Option<String>,
    ctx: Context,
    recipients: Vec<Recipient>,
    targets: Vec<Targets>,
    answer: tokio::sync::oneshot::Sender<std::result::Result<Submitted, String>>,
}

pub(crate) enum Submitted {
    New(Box<ReportRecord>),
    /// The idempotency key was already used: the id of the first report.
    Existing(String),
}

/// Write one submission inside the writer's transaction.
async fn write_submission(w: &mut Write<'_>, job: &SubmitJob) -> Result<Submitted> {
    let (actor, fields) = (&job.actor, &job.fields);
    if let Some(key) = &job.key {
        // Checked again under the writer lock: a concurrent retry may have won.
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM reports WHERE reporter_org = $1 AND idempotency_key = $2",
        )
        .bind(&actor.org)
        .bind(key)
        .fetch_optional(&mut *w.tx)
        .await?;
        if let Some(id) = id {
            return Ok(Submitted::Existing(id));
        }
    }
    let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM reports")
        .fetch_one(&mut *w.tx)
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    let t = now();
    let (fy, q) = fiscal_quarter(fields.detected_at);
    sqlx::query(
        "INSERT INTO reports (id, number, reporter_org, reporter_user, idempotency_key, version, status, \
         summary, detected_at, fiscal_year, fiscal_quarter, sector_id, mode, drill, fields, created_at, updated_at, drill_id) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)",
    )
    .bind(&id)
    .bind(number)
    .bind(&actor.org)
    .bind(&actor.username)
    .bind(job.key.as_deref())
    .bind(fields.status.as_str())
    .bind(&fields.summary)
    .bind(fields.detected_at.to_rfc3339())
    .bind(fy as i64)
    .bind(q as i64)
    .bind(&job.ctx.sector)
    .bind(job.ctx.mode.as_str())
    .bind(job.drill as i64)
    .bind(json(fields))
    .bind(&t)
    .bind(job.drill_id.as_deref())
    .execute(&mut *w.tx)
    .await?;
    insert_version(w, &id, 1, &t, actor, &["created".to_owned()], fields).await?;
    insert_recipients(w, &id, &job.recipients, &t).await?;
    let mut outbox = Vec::new();
    for (r, target) in job.recipients.iter().zip(&job.targets) {
        let payload = serde_json::json!({
            "event": "report.submitted", "report_id": id, "number": number, "drill": job.drill,
            "reporter": actor.org, "summary": fields.summary, "urgency": r.urgency, "priority": r.priority,
        });
        outbox.extend(target.messages(&format!("report {number}"), &payload));
    }
    insert_outbox_rows(w, &outbox, &t).await?;
    w.audit(
        actor,
        "report.submit",
        "report",
        &id,
        None,
        Some(&serde_json::to_value(fields).expect("json")),
    )
    .await?;
    Ok(Submitted::New(Box::new(ReportRecord {
        id,
        number,
        reporter_org: actor.org.clone(),
        reporter_user: actor.username.clone(),
        version: 1,
        mode: job.ctx.mode.as_str().to_owned(),
        drill: job.drill,
        incident_id: None,
        fields: fields.clone(),
        created_at: t.clone(),
        updated_at: t.clone(),
        recipients: job
            .recipients
            .iter()
            .map(|r| RecipientState {
                org_id: r.organisation.clone(),
                priority: r.priority as i64,
                urgency: r.urgency.as_str().to_owned(),
                rule: r.rule.clone(),
                delivered_at: t.clone(),
                read_at: None,
                acknowledged_at: None,
                acknowledged_by: None,
            })
            .collect(),
    })))
}

/// Delivered, read, acknowledged: per recipient.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientState {
    pub org_id: String,
    pub priority: i64,
    pub urgency: String,
    pub rule: String,
    pub delivered_at: String,
    pub read_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
}

#[derive(FromRow)]
struct ReportRow {
    id: String,
    number: i64,
    reporter_org: String,
    reporter_user: String,
    version: i64,
    mode: String,
    drill: i64,
    incident_id: Option<String>,
    fields: String,
    created_at: String,
    updated_at: String,
}

const REPORT_COLUMNS: &str = "id, number, reporter_org, reporter_user, version, mode, drill, \
                              incident_id, fields, created_at, updated_at";

/// One entry of a report's timeline: who did what, when.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub at: String,
    pub organisation: String,
    pub user: Option<String>,
    /// `version`, `delivered`, `read`, `acknowledged`, `comment`, `attachment`, `severity`.
    pub what: String,
    pub detail: serde_json::Value,
}

/// A stored severity evaluation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeverityRecord {
    pub id: String,
    /// `provisional` (while it unfolds) or `final` (after the fact).
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub inputs: SeverityInputs,
    pub evaluation: Evaluation,
    pub author_user: String,
    pub author_org: String,
    pub at: String,
}

/// An attachment's metadata; the content is fetched separately.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: String,
    pub report_id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub at: String,
    pub author_org: String,
}

/// The mode of one scope (`national` or a sector id).
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModeState {
    pub scope: String,
    pub mode: String,
    pub since: String,
    pub by_user: String,
}

fn field_error(e: FieldError) -> StoreError {
    StoreError::Invalid {
        field: e.field,
        message: e.message,
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
}

impl ReportRecord {
    /// The organisations it was delivered to.
    pub fn recipient_orgs(&self) -> Vec<String> {
        self.recipients.iter().map(|x| x.org_id.clone()).collect()
    }
}

impl ReportRow {
    fn into_record(self, recipients: Vec<RecipientState>) -> Result<ReportRecord> {
        Ok(ReportRecord {
            fields: serde_json::from_str(&self.fields).map_err(|e| {
                StoreError::Conflict(format!("stored report {} unreadable: {e}", self.id))
            })?,
            id: self.id,
            number: self.number,
            reporter_org: self.reporter_org,
            reporter_user: self.reporter_user,
            version: self.version,
            mode: self.mode,
            drill: self.drill != 0,
            incident_id: self.incident_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            recipients,
        })
    }
}

impl Store {
    /// The routing context of a reporting organisation, with the current mode.
    /// Four small reads: this runs for every submission.
    pub async fn routing_context(&self, org: &str) -> Result<Context> {
        let o = self.organisation(org).await?;
        let sector_ministry: Option<String> = match &o.sector {
            Some(s) => sqlx::query_scalar("SELECT ministry_id FROM sectors WHERE id = $1")
                .bind(s)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
            None => None,
        };
        let hubs_and_centres: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, kind FROM organisations WHERE kind = 'coordination-centre' \
             OR (kind = 'hub' AND sector_id = $1) ORDER BY id",
        )
        .bind(o.sector.as_deref())
        .fetch_all(&self.pool)
        .await?;
        let (centres, hubs): (Vec<_>, Vec<_>) = hubs_and_centres
            .into_iter()
            .partition(|(_, k)| k == "coordination-centre");
        let mode = self.mode_for(o.sector.as_deref()).await?;
        Ok(Context {
            reporter: o.id.clone(),
            reporter_kind: Some(o.kind),
            sector: o.sector.clone(),
            supervising_ministry: o.ministry.clone().or(sector_ministry),
            parent: o.parent.clone(),
            sector_hubs: hubs.into_iter().map(|(id, _)| id).collect(),
            coordination_centres: centres.into_iter().map(|(id, _)| id).collect(),
            mode,
        })
    }

    /// Submit a report once; it is delivered to every routed recipient in the same
    /// transaction. A repeated idempotency key returns the first report (`false`).
    ///
    /// Submissions that arrive while another one holds the writer lock are
    /// committed together by whichever of them takes the lock next (group
    /// commit): each is answered only after the transaction holding it committed.
    pub async fn submit_report(
        &self,
        actor: &Actor,
        fields: &ReportFields,
        idempotency_key: Option<&str>,
        rules: &RoutingRules,
        drill: bool,
    ) -> Result<(ReportRecord, bool)> {
        self.submit_report_in(actor, fields, idempotency_key, rules, drill, None)
            .await
    }

    /// Submit a report as part of a report drill (never counted in statistics).
    pub async fn submit_drill_report(
        &self,
        actor: &Actor,
        fields: &ReportFields,
        rules: &RoutingRules,
        drill_id: &str,
    ) -> Result<(ReportRecord, bool)> {
        let (kind,): (String,) =
            sqlx::query_as("SELECT kind FROM drills WHERE id = $1 OR CAST(number AS TEXT) = $1")
                .bind(drill_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| {
                    StoreError::invalid("drill_id", format!("unknown drill {drill_id:?}"))
                })?;
        if kind != "report" {
            return Err(StoreError::invalid(
                "drill_id",
                "that drill is not a report drill",
            ));
        }
        let id: String =
            sqlx::query_scalar("SELECT id FROM drills WHERE id = $1 OR CAST(number AS TEXT) = $1")
                .bind(drill_id)
                .fetch_one(&self.pool)
                .await?;
        self.submit_report_in(actor, fields, None, rules, true, Some(&id))
            .await
    }

    async fn submit_report_in(
        &self,
        actor: &Actor,
        fields: &ReportFields,
        idempotency_key: Option<&str>,
        rules: &RoutingRules,
        drill: bool,
        drill_id: Option<&str>,
    ) -> Result<(ReportRecord, bool)> {
        fields.check(chrono::Utc::now()).map_err(field_error)?;
        self.check_references(fields).await?;
        if let Some(key) = idempotency_key {
            if let Some(id) = self.report_by_key(&actor.org, key).await? {
                return Ok((self.report(&id).await?, false));
            }
        }
        let ctx = self.routing_context(&actor.org).await?;
        let recipients = rules.route(fields, &ctx);
        // Look the notification targets up before taking the writer lock.
        let orgs: Vec<&str> = recipients.iter().map(|r| r.organisation.as_str()).collect();
        let targets = self.notification_targets_of(&orgs).await?;
        let (answer, done) = tokio::sync::oneshot::channel();
        let job = SubmitJob {
            actor: actor.clone(),
            fields: fields.clone(),
            key: idempotency_key.map(str::to_owned),
            drill: drill || drill_id.is_some(),
            drill_id: drill_id.map(str::to_owned),
            ctx,
            recipients,
            targets,
            answer,
        };
        self.pending_submissions
            .lock()
            .expect("queue lock")
            .push(job);
        let mut w = self.write().await?;
        let jobs = std::mem::take(&mut *self.pending_submissions.lock().expect("queue lock"));
        if jobs.is_empty() {
            // Another submitter committed ours together with its own.
            drop(w);
        } else {
            let mut results = Vec::with_capacity(jobs.len());
            let mut failed = None;
            for job in &jobs {
                match write_submission(&mut w, job).await {
                    Ok(r) => results.push(r),
                    Err(e) => {
                        failed = Some(e.to_string());
                        break;
                    }
                }
            }
            let committed = match failed {
                None => w.commit().await.map_err(|e| e.to_string()),
                Some(e) => Err(e),
            };
            for (job, result) in jobs.into_iter().zip(
                results
                    .into_iter()
                    .map(Some)
                    .chain(std::iter::repeat_with(|| None)),
            ) {
                let answer = match (&committed, result) {
                    (Ok(()), Some(r)) => Ok(r),
                    (Err(e), _) => Err(e.clone()),
                    (Ok(()), None) => Err("not written".to_owned()),
                };
                let _ = job.answer.send(answer);
            }
        }
        match done
            .await
            .map_err(|_| StoreError::Conflict("the submission was dropped".into()))?
        {
            Ok(Submitted::New(r)) => Ok((*r, true)),
            Ok(Submitted::Existing(id)) => Ok((self.report(&id).await?, false)),
            Err(e) => Err(StoreError::Conflict(format!(
                "the report was not stored: {e}"
            ))),
        }
    }

    async fn report_by_key(&self, org: &str, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM reports WHERE reporter_org = $1 AND idempotency_key = $2",
        )
        .bind(org)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sectors and ticked organisations must exist.
    async fn check_references(&self, f: &ReportFields) -> Result<()> {
        for (i, s) in f.affected_sectors.iter().enumerate() {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sectors WHERE id = $1")
                .bind(s)
                .fetch_one(&self.pool)
                .await?;
            if n == 0 {
                return Err(StoreError::invalid(
                    &format!("affected_sectors[{i}]"),
                    format!("unknown sector {s:?}"),
                ));
            }
        }
        for (i, o) in f.also_notify.iter().enumerate() {
            if self.organisation(o).await.is_err() {
                return Err(StoreError::invalid(
                    &format!("also_notify[{i}]"),
                    format!("unknown organisation {o:?}"),
                ));
            }
        }
        Ok(())
    }

    pub async fn report(&self, id: &str) -> Result<ReportRecord> {
        let row: Option<ReportRow> = sqlx::query_as(&format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| StoreError::not_found("report", id))?;
        let recipients = self.recipients(id).await?;
        row.into_record(recipients)
    }

    /// Find a report by its id or its number.
    pub async fn report_by_ref(&self, r: &str) -> Result<ReportRecord> {
        if let Ok(n) = r.trim_start_matches('#').parse::<i64>() {
            let id: Option<String> = sqlx::query_scalar("SELECT id FROM reports WHERE number = $1")
                .bind(n)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(id) = id {
                return self.report(&id).await;
            }
        }
        self.report(r).await
    }

    async fn recipients(&self, id: &str) -> Result<Vec<RecipientState>> {
        Ok(sqlx::query_as(
            "SELECT org_id, priority, urgency, rule, delivered_at, read_at, acknowledged_at, acknowledged_by \
             FROM report_recipients WHERE report_id = $1 ORDER BY priority, org_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Reports that `org` sent or received (all reports when `org` is `None`),
    /// newest first. The caller still asks the policy about each.
    pub async fn reports_for(&self, org: Option<&str>, limit: i64) -> Result<Vec<ReportRecord>> {
        let rows: Vec<ReportRow> = sqlx::query_as(&format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE $1 IS NULL OR reporter_org = $1 \
             OR id IN (SELECT report_id FROM report_recipients WHERE org_id = $1) \
             ORDER BY number DESC LIMIT $2"
        ))
        .bind(org)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let rec = self.recipients(&r.id).await?;
            out.push(r.into_record(rec)?);
        }
        Ok(out)
    }

    /// The reports `actor` may read, newest first: the candidates of its
    /// organisation (all, for the centre), each passed through the access policy.
    pub async fn reports_visible_to(&self, actor: &Actor, limit: i64) -> Result<Vec<ReportRecord>> {
        let centre = actor.has(sakimori_core::Role::Coordinator)
            || actor.has(sakimori_core::Role::Administrator);
        let candidates = self
            .reports_for(if centre { None } else { Some(&actor.org) }, limit)
            .await?;
        Ok(candidates
            .into_iter()
            .filter(|r| {
                sakimori_core::policy::may_view_report(actor, &r.reporter_org, &r.recipient_orgs())
            })
            .collect())
    }

    /// Apply an update (a JSON object of changed fields) as a new version.
    pub async fn update_report(
        &self,
        actor: &Actor,
        id: &str,
        patch: &serde_json::Value,
    ) -> Result<ReportRecord> {
        let current = self.report(id).await?;
        let (fields, changed) = current.fields.apply(patch).map_err(field_error)?;
        fields.check(chrono::Utc::now()).map_err(field_error)?;
        self.check_references(&fields).await?;
        if changed.is_empty() {
            return Ok(current);
        }
        let mut w = self.write().await?;
        let version = self
            .write_fields(&mut w, &current, &fields, actor, &changed)
            .await?;
        for r in &current.recipients {
            queue_notifications(&mut w, self, &r.org_id, &format!("report {} updated", current.number), &serde_json::json!({
                "event": "report.updated", "report_id": id, "number": current.number, "version": version, "changed": changed,
            }))
            .await?;
        }
        w.commit().await?;
        self.report(id).await
    }

    async fn write_fields(
        &self,
        w: &mut Write<'_>,
        current: &ReportRecord,
        fields: &ReportFields,
        actor: &Actor,
        changed: &[String],
    ) -> Result<i64> {
        let version: i64 = sqlx::query_scalar("SELECT version FROM reports WHERE id = $1")
            .bind(&current.id)
            .fetch_one(&mut *w.tx)
            .await?;
        let version = version + 1;
        let (fy, q) = fiscal_quarter(fields.detected_at);
        sqlx::query(
            "UPDATE reports SET version = $1, status = $2, summary = $3, detected_at = $4, fiscal_year = $5, \
             fiscal_quarter = $6, fields = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(version)
        .bind(fields.status.as_str())
        .bind(&fields.summary)
        .bind(fields.detected_at.to_rfc3339())
        .bind(fy as i64)
        .bind(q as i64)
        .bind(json(fields))
        .bind(now())
        .bind(&current.id)
        .execute(&mut *w.tx)
        .await?;
        insert_version(w, &current.id, version, &now(), actor, changed, fields).await?;
        w.audit(
            actor,
            "report.update",
            "report",
            &current.id,
            Some(&serde_json::to_value(&current.fields).expect("json")),
            Some(&serde_json::to_value(fields).expect("json")),
        )
        .await?;
        Ok(version)
    }

    /// A recipient opened the report.
    pub async fn mark_report_read(&self, actor: &Actor, id: &str) -> Result<()> {
        let mut w = self.write().await?;
        let n = sqlx::query(
            "UPDATE report_recipients SET read_at = $1 WHERE report_id = $2 AND org_id = $3 AND read_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .bind(&actor.org)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n > 0 {
            w.audit(actor, "report.read", "report", id, None, None)
                .await?;
            w.commit().await?;
        }
        Ok(())
    }

    /// A recipient acknowledges; the first acknowledgement moves a `reported`
    /// report to `acknowledged`.
    pub async fn acknowledge_report(&self, actor: &Actor, id: &str) -> Result<ReportRecord> {
        let current = self.report(id).await?;
        if !current.recipients.iter().any(|r| r.org_id == actor.org) {
            return Err(StoreError::invalid(
                "report",
                "your organisation is not a recipient of this report",
            ));
        }
        let mut w = self.write().await?;
        let t = now();
        sqlx::query(
            "UPDATE report_recipients SET acknowledged_at = $1, acknowledged_by = $2, read_at = COALESCE(read_at, $1) \
             WHERE report_id = $3 AND org_id = $4 AND acknowledged_at IS NULL",
        )
        .bind(&t)
        .bind(&actor.username)
        .bind(id)
        .bind(&actor.org)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "report.acknowledge",
            "report",
            id,
            None,
            Some(&serde_json::json!({"org": actor.org})),
        )
        .await?;
        if current.fields.status == ReportStatus::Reported {
            let mut fields = current.fields.clone();
            fields.status = ReportStatus::Acknowledged;
            self.write_fields(&mut w, &current, &fields, actor, &["status".to_owned()])
                .await?;
        }
        queue_notifications(&mut w, self, &current.reporter_org, &format!("report {} acknowledged", current.number), &serde_json::json!({
            "event": "report.acknowledged", "report_id": id, "number": current.number, "by": actor.org,
        }))
        .await?;
        w.commit().await?;
        self.report(id).await
    }

    pub async fn comment_report(&self, actor: &Actor, id: &str, body: &str) -> Result<()> {
        if body.trim().is_empty() {
            return Err(StoreError::invalid("body", "the comment is empty"));
        }
        self.report(id).await?;
        let mut w = self.write().await?;
        let cid = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO report_comments (id, report_id, at, author_user, author_org, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&cid)
        .bind(id)
        .bind(now())
        .bind(&actor.username)
        .bind(&actor.org)
        .bind(body)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "report.comment",
            "report",
            id,
            None,
            Some(&serde_json::json!({"comment": cid})),
        )
        .await?;
        w.commit().await
    }

    /// Store an attachment (size limits are the caller's), keyed by content hash.
    pub async fn attach(
        &self,
        actor: &Actor,
        id: &str,
        name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<AttachmentInfo> {
        self.report(id).await?;
        if name.trim().is_empty() || name.contains(['/', '\\']) {
            return Err(StoreError::invalid("name", "give a plain file name"));
        }
        let aid = uuid::Uuid::new_v4().to_string();
        let sha = hex::encode(Sha256::digest(content));
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO report_attachments (id, report_id, name, media_type, size, sha256, content, at, author_org) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&aid)
        .bind(id)
        .bind(name)
        .bind(media_type)
        .bind(content.len() as i64)
        .bind(&sha)
        .bind(content.to_vec())
        .bind(now())
        .bind(&actor.org)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "report.attach",
            "report",
            id,
            None,
            Some(&serde_json::json!({"attachment": aid, "sha256": sha})),
        )
        .await?;
        w.commit().await?;
        Ok(self
            .attachments(id)
            .await?
            .into_iter()
            .find(|a| a.id == aid)
            .expect("just stored"))
    }

    pub async fn attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        Ok(sqlx::query_as(
            "SELECT id, report_id, name, media_type, size, sha256, at, author_org FROM report_attachments \
             WHERE report_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn attachment_content(
        &self,
        attachment_id: &str,
    ) -> Result<(AttachmentInfo, Vec<u8>)> {
        let info: Option<AttachmentInfo> = sqlx::query_as(
            "SELECT id, report_id, name, media_type, size, sha256, at, author_org FROM report_attachments WHERE id = $1",
        )
        .bind(attachment_id)
        .fetch_optional(&self.pool)
        .await?;
        let info = info.ok_or_else(|| StoreError::not_found("attachment", attachment_id))?;
        let content: Vec<u8> =
            sqlx::query_scalar("SELECT content FROM report_attachments WHERE id = $1")
                .bind(attachment_id)
                .fetch_one(&self.pool)
                .await?;
        Ok((info, content))
    }

    /// Who changed what and when: versions, deliveries, reads, acknowledgements,
    /// comments, attachments and severity evaluations, oldest first.
    pub async fn report_timeline(&self, id: &str) -> Result<Vec<TimelineEntry>> {
        let r = self.report(id).await?;
        let mut out = Vec::new();
        let versions: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, at, author_user, author_org, changed FROM report_versions WHERE report_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for (v, at, user, org, changed) in versions {
            let changed: serde_json::Value = serde_json::from_str(&changed).unwrap_or_default();
            out.push(TimelineEntry {
                at,
                organisation: org,
                user: Some(user),
                what: "version".into(),
                detail: serde_json::json!({"version": v, "changed": changed}),
            });
        }
        for rc in &r.recipients {
            out.push(TimelineEntry {
                at: rc.delivered_at.clone(),
                organisation: rc.org_id.clone(),
                user: None,
                what: "delivered".into(),
                detail: serde_json::json!({"priority": rc.priority, "urgency": rc.urgency}),
            });
            if let Some(at) = &rc.read_at {
                out.push(TimelineEntry {
                    at: at.clone(),
                    organisation: rc.org_id.clone(),
                    user: None,
                    what: "read".into(),
                    detail: serde_json::Value::Null,
                });
            }
            if let Some(at) = &rc.acknowledged_at {
                out.push(TimelineEntry {
                    at: at.clone(),
                    organisation: rc.org_id.clone(),
                    user: rc.acknowledged_by.clone(),
                    what: "acknowledged".into(),
                    detail: serde_json::Value::Null,
                });
            }
        }
        let comments: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT at, author_user, author_org, body FROM report_comments WHERE report_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for (at, user, org, body) in comments {
            out.push(TimelineEntry {
                at,
                organisation: org,
                user: Some(user),
                what: "comment".into(),
                detail: serde_json::json!({"body": body}),
            });
        }
        for a in self.attachments(id).await? {
            out.push(TimelineEntry {
                at: a.at.clone(),
                organisation: a.author_org.clone(),
                user: None,
                what: "attachment".into(),
                detail: serde_json::json!({"name": a.name, "size": a.size, "sha256": a.sha256}),
            });
        }
        for s in self.severities("report", id).await? {
            out.push(TimelineEntry {
                at: s.at.clone(),
                organisation: s.author_org.clone(),
                user: Some(s.author_user.clone()),
                what: "severity".into(),
                detail: serde_json::json!({"kind": s.kind, "overall": s.evaluation.overall}),
            });
        }
        out.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(out)
    }

    /// Link reports of several organisations into one incident (simultaneity).
    pub async fn link_reports(
        &self,
        actor: &Actor,
        report_ids: &[String],
        title: &str,
        incident: Option<&str>,
    ) -> Result<String> {
        if report_ids.is_empty() {
            return Err(StoreError::invalid("reports", "name at least one report"));
        }
        for r in report_ids {
            self.report(r).await?;
        }
        let mut w = self.write().await?;
        let incident_id = match incident {
            Some(i) => {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE id = $1")
                    .bind(i)
                    .fetch_one(&mut *w.tx)
                    .await?;
                if n == 0 {
                    return Err(StoreError::not_found("incident", i));
                }
                i.to_owned()
            }
            None => {
                if title.trim().is_empty() {
                    return Err(StoreError::invalid("title", "a new incident needs a title"));
                }
                let number: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM incidents")
                        .fetch_one(&mut *w.tx)
                        .await?;
                let id = uuid::Uuid::new_v4().to_string();
                sqlx::query("INSERT INTO incidents (id, number, title, created_at, created_by) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id)
                    .bind(number)
                    .bind(title)
                    .bind(now())
                    .bind(&actor.username)
                    .execute(&mut *w.tx)
                    .await?;
                w.audit(
                    actor,
                    "incident.create",
                    "incident",
                    &id,
                    None,
                    Some(&serde_json::json!({"title": title})),
                )
                .await?;
                id
            }
        };
        for r in report_ids {
            sqlx::query("UPDATE reports SET incident_id = $1 WHERE id = $2")
                .bind(&incident_id)
                .bind(r)
                .execute(&mut *w.tx)
                .await?;
            w.audit(
                actor,
                "incident.link",
                "report",
                r,
                None,
                Some(&serde_json::json!({"incident": incident_id})),
            )
            .await?;
        }
        w.commit().await?;
        Ok(incident_id)
    }

    /// Split a report out of its incident again.
    pub async fn unlink_report(&self, actor: &Actor, report_id: &str) -> Result<()> {
        let r = self.report(report_id).await?;
        let mut w = self.write().await?;
        sqlx::query("UPDATE reports SET incident_id = NULL WHERE id = $1")
            .bind(report_id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            actor,
            "incident.unlink",
            "report",
            report_id,
            Some(&serde_json::json!({"incident": r.incident_id})),
            None,
        )
        .await?;
        w.commit().await
    }

    /// Reports of an incident.
    pub async fn incident_reports(&self, incident_id: &str) -> Result<Vec<ReportRecord>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM reports WHERE incident_id = $1 ORDER BY number")
                .bind(incident_id)
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for id in ids {
            out.push(self.report(&id).await?);
        }
        Ok(out)
    }

    pub async fn incident(&self, id: &str) -> Result<(i64, String)> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT number, title FROM incidents WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or_else(|| StoreError::not_found("incident", id))
    }

    /// Keep a severity evaluation (provisional or final) with its author and time.
    pub async fn record_severity(
        &self,
        actor: &Actor,
        subject_kind: &str,
        subject_id: &str,
        kind: &str,
        inputs: &SeverityInputs,
        evaluation: &Evaluation,
    ) -> Result<SeverityRecord> {
        if !matches!(kind, "provisional" | "final") {
            return Err(StoreError::invalid("kind", "provisional or final"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO severity_evaluations (id, subject_kind, subject_id, kind, overall, inputs, result, author_user, author_org, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(subject_kind)
        .bind(subject_id)
        .bind(kind)
        .bind(evaluation.overall.as_u8() as i64)
        .bind(json(inputs))
        .bind(json(evaluation))
        .bind(&actor.username)
        .bind(&actor.org)
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "severity.evaluate",
            subject_kind,
            subject_id,
            None,
            Some(&serde_json::to_value(evaluation).expect("json")),
        )
        .await?;
        w.commit().await?;
        Ok(self
            .severities(subject_kind, subject_id)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .expect("just stored"))
    }

    pub async fn severities(
        &self,
        subject_kind: &str,
        subject_id: &str,
    ) -> Result<Vec<SeverityRecord>> {
        let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, kind, inputs, result, author_user, author_org, at FROM severity_evaluations \
             WHERE subject_kind = $1 AND subject_id = $2 ORDER BY at",
        )
        .bind(subject_kind)
        .bind(subject_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, kind, inputs, result, author_user, author_org, at)| {
                Ok(SeverityRecord {
                    id,
                    kind,
                    subject_kind: subject_kind.to_owned(),
                    subject_id: subject_id.to_owned(),
                    inputs: serde_json::from_str(&inputs)
                        .map_err(|e| StoreError::Conflict(e.to_string()))?,
                    evaluation: serde_json::from_str(&result)
                        .map_err(|e| StoreError::Conflict(e.to_string()))?,
                    author_user,
                    author_org,
                    at,
                })
            })
            .collect()
    }

    /// Switch the mode of a scope (`national` or a sector id); every switch is audited.
    pub async fn set_mode(&self, actor: &Actor, scope: &str, mode: Mode) -> Result<ModeState> {
        if scope != "national" && !self.sectors().await?.iter().any(|s| s.id == scope) {
            return Err(StoreError::invalid(
                "scope",
                format!("unknown sector {scope:?}: use national or a sector id"),
            ));
        }
        let before = self.modes().await?.into_iter().find(|m| m.scope == scope);
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO modes (scope, mode, since, by_user) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode, since = excluded.since, by_user = excluded.by_user",
        )
        .bind(scope)
        .bind(mode.as_str())
        .bind(now())
        .bind(&actor.username)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "mode.switch",
            "mode",
            scope,
            Some(&serde_json::json!({"mode": before.map(|b| b.mode).unwrap_or_else(|| "normal".into())})),
            Some(&serde_json::json!({"mode": mode.as_str()})),
        )
        .await?;
        w.commit().await?;
        Ok(self
            .modes()
            .await?
            .into_iter()
            .find(|m| m.scope == scope)
            .expect("just set"))
    }

    pub async fn modes(&self) -> Result<Vec<ModeState>> {
        Ok(
            sqlx::query_as("SELECT scope, mode, since, by_user FROM modes ORDER BY scope")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The mode in force for a sector: national outage mode covers every sector.
    pub async fn mode_for(&self, sector: Option<&str>) -> Result<Mode> {
        for m in self.modes().await? {
            if m.mode == Mode::LargeScaleOutage.as_str()
                && (m.scope == "national" || Some(m.scope.as_str()) == sector)
            {
                return Ok(Mode::LargeScaleOutage);
            }
        }
        Ok(Mode::Normal)
    }

    /// Every non-drill report of a fiscal year (all years when `None`), for statistics.
    pub async fn stat_rows(&self, fiscal_year: Option<i32>) -> Result<Vec<StatInput>> {
        let rows: Vec<(i64, i64, Option<String>, String, String)> = sqlx::query_as(
            "SELECT r.fiscal_year, r.fiscal_quarter, r.sector_id, o.kind, r.fields FROM reports r \
             JOIN organisations o ON o.id = r.reporter_org WHERE r.drill = 0 AND ($1 IS NULL OR r.fiscal_year = $1) \
             ORDER BY r.number",
        )
        .bind(fiscal_year.map(|y| y as i64))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(fy, q, sector, kind, fields)| {
                Ok(StatInput {
                    fiscal_year: fy as i32,
                    quarter: q as u8,
                    sector,
                    reporter_kind: kind.parse().unwrap_or(OrgKind::Operator),
                    fields: serde_json::from_str(&fields)
                        .map_err(|e| StoreError::Conflict(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Register (or replace) an organisation's webhook for notifications.
    pub async fn set_webhook(
        &self,
        actor: &Actor,
        org: &str,
        url: &str,
        secret: &str,
    ) -> Result<()> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(StoreError::invalid("url", "an http:// or https:// URL"));
        }
        if secret.len() < 16 {
            return Err(StoreError::invalid("secret", "use at least 16 characters"));
        }
        self.organisation(org).await?;
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO org_webhooks (org_id, url, secret) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, secret = excluded.secret",
        )
        .bind(org)
        .bind(url)
        .bind(secret)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "webhook.set",
            "organisation",
            org,
            None,
            Some(&serde_json::json!({"url": url})),
        )
        .await?;
        w.commit().await
    }
}

async fn insert_version(
    w: &mut Write<'_>,
    id: &str,
    version: i64,
    at: &str,
    actor: &Actor,
    changed: &[String],
    fields: &ReportFields,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO report_versions (report_id, version, at, author_user, author_org, changed, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(at)
    .bind(&actor.username)
    .bind(&actor.org)
    .bind(json(&changed))
    .bind(json(fields))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

async fn insert_recipients(
    w: &mut Write<'_>,
    id: &str,
    recipients: &[Recipient],
    at: &str,
) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    // One statement for all recipients: fewer round trips inside the writer lock.
    let mut sql = String::from(
        "INSERT INTO report_recipients (report_id, org_id, priority, urgency, rule, delivered_at) VALUES ",
    );
    for i in 0..recipients.len() {
        let b = i * 6;
        sql.push_str(&format!(
            "{}(${}, ${}, ${}, ${}, ${}, ${})",
            if i > 0 { ", " } else { "" },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6
        ));
    }
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q
            .bind(id)
            .bind(&r.organisation)
            .bind(r.priority as i64)
            .bind(r.urgency.as_str())
            .bind(&r.rule)
            .bind(at);
    }
    q.execute(&mut *w.tx).await?;
    Ok(())
}

/// Where an organisation's notifications go: its primary contacts' e-mail
/// addresses and, if it registered one, its webhook.
pub(crate) struct Targets {
    org: String,
    emails: Vec<String>,
    webhook: bool,
}

/// One row of the outbox: (channel, target, subject, payload).
pub(crate) type OutboxRow = (&'static str, String, String, String);

impl Targets {
    pub(crate) fn messages(&self, subject: &str, payload: &serde_json::Value) -> Vec<OutboxRow> {
        let body = json(payload);
        self.emails
            .iter()
            .map(|e| ("email", e.clone()))
            .chain(self.webhook.then(|| ("webhook", self.org.clone())))
            .map(|(c, t)| (c, t, subject.to_owned(), body.clone()))
            .collect()
    }
}

impl Store {
    /// Targets of several organisations in two queries, in the order given.
    pub(crate) async fn notification_targets_of(&self, orgs: &[&str]) -> Result<Vec<Targets>> {
        if orgs.is_empty() {
            return Ok(vec![]);
        }
        // Few organisations: ask for them; many (a national advisory): read all
        // primary contacts once and pick, which beats binding thousands of values.
        let (emails, hooks): (Vec<(String, String)>, Vec<String>) = if orgs.len() <= 64 {
            let list = (1..=orgs.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT org_id, email FROM contacts WHERE deputy = 0 AND org_id IN ({list}) ORDER BY org_id, position"
            );
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for o in orgs {
                q = q.bind(*o);
            }
            let emails = q.fetch_all(&self.pool).await?;
            let sql = format!("SELECT org_id FROM org_webhooks WHERE org_id IN ({list})");
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for o in orgs {
                q = q.bind(*o);
            }
            (emails, q.fetch_all(&self.pool).await?)
        } else {
            let emails = sqlx::query_as(
                "SELECT org_id, email FROM contacts WHERE deputy = 0 ORDER BY org_id, position",
            )
            .fetch_all(&self.pool)
            .await?;
            let hooks = sqlx::query_scalar("SELECT org_id FROM org_webhooks")
                .fetch_all(&self.pool)
                .await?;
            (emails, hooks)
        };
        let mut by_org: std::collections::HashMap<&str, Vec<String>> =
            std::collections::HashMap::new();
        for (org, email) in &emails {
            by_org.entry(org.as_str()).or_default().push(email.clone());
        }
        let hooks: std::collections::HashSet<&str> = hooks.iter().map(String::as_str).collect();
        Ok(orgs
            .iter()
            .map(|o| Targets {
                org: (*o).to_owned(),
                emails: by_org.remove(o).unwrap_or_default(),
                webhook: hooks.contains(o),
            })
            .collect())
    }

    pub(crate) async fn notification_targets(&self, org: &str) -> Result<Targets> {
        Ok(self.notification_targets_of(&[org]).await?.remove(0))
    }
}

pub(crate) async fn insert_outbox_rows(
    w: &mut Write<'_>,
    rows: &[OutboxRow],
    at: &str,
) -> Result<()> {
    for (channel, target, subject, payload) in rows {
        sqlx::query(
            "INSERT INTO outbox (id, channel, target, subject, payload, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(*channel)
        .bind(target)
        .bind(subject)
        .bind(payload)
        .bind(at)
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(())
}

/// Queue an e-mail to each primary contact of `org` and a call of its webhook.
pub(crate) async fn queue_notifications(
    w: &mut Write<'_>,
    store: &Store,
    org: &str,
    subject: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    let targets = store.notification_targets(org).await?;
    insert_outbox_rows(w, &targets.messages(subject, payload), &now()).await
}
