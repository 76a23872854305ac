//! `server admin …`: the administrators of a database, for deployments that run without
//! a scenario (a scenario of one's own tree, without `admins`, then accounts made here).
//! A password is read from a prompt (twice, without echo) or from the first line of
//! standard input (for scripts), never from an argument, which `ps` and shell history
//! would show.

use std::io::{BufRead, IsTerminal};

use app::api_types::AdminLevel;
use uuid::Uuid;

use crate::{
    auth::password,
    domain::types::Secret,
    scenario::{self, AdminSpec},
    store::{Db, accounts},
};

#[derive(Clone, Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Add an administrator at the level of its node.
    Add {
        username: String,
        /// group, distributor, reseller or tenant: the level of `--node`.
        #[arg(long, value_parser = parse_level)]
        level: AdminLevel,
        /// The uuid of its group, distributor, reseller or tenant.
        #[arg(long)]
        node: Uuid,
        /// msteams-admin, msteams-tenant-admin or read-only.
        #[arg(long)]
        profile: String,
        /// Shown in the portal's header (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Give an administrator a new password; its sessions end.
    Passwd { username: String },
    /// Disable an administrator: it can no longer sign in, its sessions end.
    Disable { username: String },
    /// List the administrators.
    List,
}

/// A level as the API names it.
fn parse_level(value: &str) -> Result<AdminLevel, String> {
    AdminLevel::parse(value)
        .ok_or_else(|| "one of: group, distributor, reseller, tenant".to_owned())
}

/// Runs the command on the database; what to print, or why it failed.
pub async fn run(database_url: &str, command: AdminCommand) -> Result<String, String> {
    let db = Db::connect(database_url)
        .await
        .map_err(|error| format!("database {database_url}: {error}"))?;
    let failed = |error: sqlx::Error| format!("database: {error}");
    match command {
        AdminCommand::Add {
            username,
            level,
            node,
            profile,
            display_name,
        } => {
            let node_level = accounts::node_kind(&db, node)
                .await
                .map_err(failed)?
                .and_then(|kind| AdminLevel::parse(&kind));
            let mut admin = AdminSpec {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password: None,
                level,
                node,
                profile,
                second_factor: None,
            };
            let mut mistakes = scenario::admin_mistakes(&admin, node_level);
            // Unique regardless of case, as in a scenario (an export must load again).
            if let Some(taken) = accounts::username_taken(&db, &admin.username)
                .await
                .map_err(failed)?
            {
                mistakes.push(format!("an administrator '{taken}' exists already"));
            }
            if !mistakes.is_empty() {
                return Err(mistakes.join("\n"));
            }
            admin.password = Some(read_password()?);
            if let [mistake, ..] = scenario::admin_mistakes(&admin, node_level).as_slice() {
                return Err(mistake.clone());
            }
            let hash = hash(admin.password.as_deref().unwrap_or_default()).await?;
            let mut conn = db.write.acquire().await.map_err(failed)?;
            let created = scenario::insert_admin(&mut conn, &admin, hash)
                .await
                .map_err(|error| error.to_string())?;
            match created {
                Some(_) => Ok(format!("added {}", admin.username)),
                None => Err(format!(
                    "an administrator '{}' exists already",
                    admin.username
                )),
            }
        }
        AdminCommand::Passwd { username } => {
            let new_password = read_password()?;
            Secret::parse("password", new_password.clone()).map_err(|error| error.to_string())?;
            let hash = hash(&new_password).await?;
            if accounts::set_password(&db, &username, &hash)
                .await
                .map_err(failed)?
            {
                Ok(format!(
                    "changed the password of {username}; its sessions ended"
                ))
            } else {
                Err(format!("no administrator '{username}'"))
            }
        }
        AdminCommand::Disable { username } => {
            if accounts::disable(&db, &username).await.map_err(failed)? {
                Ok(format!("disabled {username}; its sessions ended"))
            } else {
                Err(format!("no administrator '{username}'"))
            }
        }
        AdminCommand::List => {
            let admins = accounts::list_admins(&db).await.map_err(failed)?;
            let mut text = format!(
                "{:<24} {:<12} {:<28} {:<22} {:<6} {}\n",
                "username", "level", "node", "profile", "2fa", "state"
            );
            for admin in admins {
                let state = if admin.disabled { "disabled" } else { "active" };
                text.push_str(&format!(
                    "{:<24} {:<12} {:<28} {:<22} {:<6} {state}\n",
                    admin.username, admin.level, admin.node_name, admin.profile, admin.two_factor
                ));
            }
            Ok(text.trim_end().to_owned())
        }
    }
}

/// The password: typed twice at a prompt, or the first line of standard input.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| format!("reading the password from standard input: {error}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password on standard input (its first line)".into());
    }
    Ok(password)
}

/// Hashes off the async threads: hashing is slow on purpose.
async fn hash(password: &str) -> Result<String, String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|error| format!("hashing the password: {error}"))
}
