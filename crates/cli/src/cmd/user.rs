use crate::{output, Global};
use clap::Subcommand;
use sakimori_core::identity::{format_roles, parse_roles};
use sakimori_store::{NewUser, Store};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user to an organisation
    #[command(
        after_help = "Examples:\n  sakimori user add --username tanaka --org kanto-power --role operator\n  echo \"$PW\" | sakimori user add --username sato --org nisc --role coordinator,analyst --password-stdin"
    )]
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        org: String,
        /// One or more of: administrator, coordinator, ministry, hub, operator, analyst, sensor (comma-separated)
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Read a console password from standard input (at least 12 characters)
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Disable a user: their tokens and password stop working at once
    Disable { username: String },
    /// Set a user's console password, read from standard input
    Password { username: String },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

pub async fn find(store: &Store, username: &str) -> anyhow::Result<sakimori_store::User> {
    store
        .user_by_name(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {username:?}"))
}

pub async fn run(g: &Global, c: UserCommand) -> anyhow::Result<ExitCode> {
    let store = g.store().await?;
    let actor = crate::cli_actor();
    match c {
        UserCommand::Add {
            username,
            org,
            role,
            display_name,
            password_stdin,
        } => {
            let roles = parse_roles(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let user = store
                .create_user(
                    &actor,
                    &NewUser {
                        username,
                        display_name,
                        org,
                        roles,
                        password,
                    },
                )
                .await?;
            output::emit(g.json, &user, || {
                format!(
                    "created user {} ({}) at {} with roles {}",
                    user.username,
                    user.id,
                    user.org,
                    format_roles(&user.roles)
                )
            });
        }
        UserCommand::List { org } => {
            let users = store.users(org.as_deref()).await?;
            output::emit(g.json, &users, || {
                output::table(
                    &["username", "organisation", "roles", "disabled", "id"],
                    users
                        .iter()
                        .map(|u| {
                            vec![
                                u.username.clone(),
                                u.org.clone(),
                                format_roles(&u.roles),
                                u.disabled.to_string(),
                                u.id.clone(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        UserCommand::Disable { username } => {
            let u = find(&store, &username).await?;
            let u = store.disable_user(&actor, &u.id).await?;
            output::emit(g.json, &u, || format!("disabled user {}", u.username));
        }
        UserCommand::Password { username } => {
            let u = find(&store, &username).await?;
            store.set_password(&actor, &u.id, &read_password()?).await?;
            output::emit(
                g.json,
                &serde_json::json!({"username": u.username, "password": "set"}),
                || format!("password of {} set", u.username),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
