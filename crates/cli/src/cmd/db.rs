use crate::{config, output, Global};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (also done at every start)
    Migrate,
}

pub async fn run(g: &Global, c: DbCommand) -> anyhow::Result<ExitCode> {
    match c {
        DbCommand::Migrate => {
            let cfg = config::load(&g.overrides())?;
            let store = sakimori_store::Store::connect(&cfg.database_url).await?;
            let applied = store.migrate().await?;
            output::emit(g.json, &serde_json::json!({"applied": applied}), || {
                format!("{applied} migration(s) applied; the database is up to date")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
