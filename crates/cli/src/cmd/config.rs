use crate::{config, output, Global};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file; names every bad key or value with its line
    #[command(after_help = "Example:\n  sakimori config check /etc/sakimori.toml")]
    Check { file: PathBuf },
    /// Show the effective configuration (file, environment and flags combined)
    Show,
}

pub async fn run(g: &Global, c: ConfigCommand) -> anyhow::Result<ExitCode> {
    match c {
        ConfigCommand::Check { file } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
            match config::parse_file(&name, &text) {
                Ok(_) => {
                    output::emit(
                        g.json,
                        &serde_json::json!({"file": name, "ok": true}),
                        || format!("{name}: ok"),
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(errs) => {
                    let problems: Vec<_> = errs
                        .iter()
                        .map(|e| serde_json::json!({"line": e.line, "key": e.key, "message": e.message}))
                        .collect();
                    output::emit(
                        g.json,
                        &serde_json::json!({"file": name, "ok": false, "problems": problems}),
                        || {
                            errs.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("\n")
                        },
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ConfigCommand::Show => {
            let cfg = config::load(&g.overrides())?;
            output::emit(g.json, &cfg, || format!("{cfg:#?}"));
            Ok(ExitCode::SUCCESS)
        }
    }
}
