use crate::{output, Global};
use clap::Subcommand;
use sakimori_core::identity::parse_roles;
use sakimori_store::NewUser;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token (shown once). With --org and --role, for that organisation's
    /// API user of that role, created if needed: bootstraps a new installation.
    #[command(
        after_help = "Examples:\n  sakimori token create --org nisc --role administrator --json\n  sakimori token create --user tanaka --label siem --expires-in-days 30"
    )]
    Create {
        #[arg(long, conflicts_with_all = ["org", "role"])]
        user: Option<String>,
        #[arg(long, requires = "role")]
        org: Option<String>,
        #[arg(long, requires = "org")]
        role: Option<String>,
        #[arg(long, default_value = "cli")]
        label: String,
        #[arg(long, default_value_t = 90)]
        expires_in_days: u32,
    },
    /// List a user's tokens (never the secrets)
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by id
    Revoke { id: String },
}

pub async fn run(g: &Global, c: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    let actor = crate::cli_actor();
    match c {
        TokenCommand::Create {
            user,
            org,
            role,
            label,
            expires_in_days,
        } => {
            let user = match (user, org, role) {
                (Some(u), _, _) => super::user::find(&store, &u).await?,
                (None, Some(org), Some(role)) => {
                    let roles = parse_roles(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
                    let username = format!("{org}-{}-api", role.replace(',', "-"));
                    match store.user_by_name(&username).await? {
                        Some(u) => u,
                        None => {
                            store
                                .create_user(
                                    &actor,
                                    &NewUser {
                                        username,
                                        display_name: None,
                                        org,
                                        roles,
                                        password: None,
                                    },
                                )
                                .await?
                        }
                    }
                }
                _ => anyhow::bail!("name a --user, or an --org and a --role"),
            };
            if expires_in_days == 0 {
                anyhow::bail!("--expires-in-days must be at least 1");
            }
            let (info, token) = store
                .create_token(&actor, &user.id, &label, Some(expires_in_days))
                .await?;
            output::emit(
                g.json,
                &serde_json::json!({"token": token, "id": info.id, "user": user.username, "org": user.org, "expires_at": info.expires_at}),
                || {
                    format!(
                        "token for {} ({}), expires {}:\n{token}\n(shown once; store it safely)",
                        user.username,
                        user.org,
                        info.expires_at.clone().unwrap_or_default()
                    )
                },
            );
        }
        TokenCommand::List { user } => {
            let u = super::user::find(&store, &user).await?;
            let tokens = store.tokens(&u.id).await?;
            output::emit(g.json, &tokens, || {
                output::table(
                    &["id", "label", "created", "expires", "revoked"],
                    tokens
                        .iter()
                        .map(|t| {
                            vec![
                                t.id.clone(),
                                t.label.clone(),
                                t.created_at.clone(),
                                t.expires_at.clone().unwrap_or_default(),
                                t.revoked_at.clone().unwrap_or_default(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        TokenCommand::Revoke { id } => {
            let t = store.revoke_token(&actor, &id).await?;
            output::emit(g.json, &t, || format!("token {} revoked", t.id));
        }
    }
    Ok(ExitCode::SUCCESS)
}
