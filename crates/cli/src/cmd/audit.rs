use crate::{output, Global};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain; exits non-zero at the first altered, inserted or removed entry
    Verify,
    /// List entries, oldest first
    List {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn run(g: &Global, c: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    match c {
        AuditCommand::Verify => match store.verify_audit().await? {
            Ok(n) => {
                output::emit(
                    g.json,
                    &serde_json::json!({"ok": true, "entries": n}),
                    || format!("audit log intact: {n} entries verified"),
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(fault) => {
                output::emit(
                    g.json,
                    &serde_json::json!({"ok": false, "fault": fault}),
                    || format!("AUDIT LOG BROKEN at {fault}"),
                );
                Ok(ExitCode::from(3))
            }
        },
        AuditCommand::List { after, limit } => {
            let entries = store.audit_entries(after, limit).await?;
            output::emit(g.json, &entries, || {
                output::table(
                    &["seq", "at", "user", "org", "action", "entity", "id"],
                    entries
                        .iter()
                        .map(|e| {
                            vec![
                                e.seq.to_string(),
                                e.at.clone(),
                                e.actor_user.clone(),
                                e.actor_org.clone(),
                                e.action.clone(),
                                e.entity.clone(),
                                e.entity_id.clone(),
                            ]
                        })
                        .collect(),
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
