//! `gridmap user add|passwd|list|disable|enable` and `gridmap token create`.
//!
//! Passwords are never command-line values (they would end in shell
//! history): they are read from stdin, with a hidden prompt on a terminal
//! or as one line with `--password-stdin` / when stdin is not a terminal.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use gridmap_data::store::accounts::{NewUser, Role, Scope, SessionKind};
use gridmap_data::store::{AuditEntry, Store};
use gridmap_service::auth::{self, password};
use serde_json::json;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user (the first admin is made this way; there is no default password).
    Add {
        name: String,
        /// admin, official, planner or grid_worker.
        #[arg(long)]
        role: String,
        /// Officials and planners: `all` or community ids `1,2,3`.
        #[arg(long)]
        communities: Option<String>,
        /// Grid workers: grid ids `1,2,3`.
        #[arg(long)]
        grids: Option<String>,
        #[command(flatten)]
        password: PasswordInput,
    },
    /// Set a user's password (ends their browser sessions).
    Passwd {
        name: String,
        #[command(flatten)]
        password: PasswordInput,
    },
    /// List users.
    List,
    /// Disable a user and end all their sessions and tokens.
    Disable { name: String },
    /// Re-enable a disabled user.
    Enable { name: String },
}

#[derive(Args)]
pub struct PasswordInput {
    /// Read the password as one line from stdin (scripts, tests).
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Print a new bearer token for scripts (shown once; stored only hashed).
    Create {
        #[arg(long)]
        user: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: u64,
        /// What the token is for.
        #[arg(long)]
        label: Option<String>,
    },
}

fn read_password(input: &PasswordInput, confirm: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if input.password_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        if confirm {
            let again =
                rpassword::prompt_password("Again: ").context("cannot read the password")?;
            if again != first {
                bail!("the passwords differ");
            }
        }
        first
    };
    password::check_policy(&password)?;
    Ok(password)
}

fn ids(flag: &str, text: &str) -> anyhow::Result<Option<Vec<i64>>> {
    auth::parse_ids(text).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

fn scope_for(role: Role, communities: Option<&str>, grids: Option<&str>) -> anyhow::Result<Scope> {
    match (role, communities, grids) {
        (Role::Admin, None, None) => Ok(Scope::All),
        (Role::Admin, _, _) => {
            bail!("an admin has every community; leave out --communities and --grids")
        }
        (Role::Official | Role::Planner, Some(c), None) => Ok(match ids("communities", c)? {
            None => Scope::All,
            Some(ids) => Scope::Communities(ids),
        }),
        (Role::Official | Role::Planner, _, _) => {
            bail!("an {role} needs --communities (`all` or ids) and no --grids")
        }
        (Role::GridWorker, None, Some(g)) => match ids("grids", g)? {
            Some(ids) if !ids.is_empty() => Ok(Scope::Grids(ids)),
            _ => bail!("a grid worker needs --grids with grid ids, not `all`"),
        },
        (Role::GridWorker, _, _) => bail!("a grid worker needs --grids (ids) and no --communities"),
    }
}

fn date(unix: i64) -> String {
    // Days to civil date (proleptic Gregorian), after H. Hinnant.
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub async fn user_command(store: &dyn Store, cmd: UserCommand) -> anyhow::Result<()> {
    let accounts = store.accounts();
    let actor = super::actor();
    match cmd {
        UserCommand::Add {
            name,
            role,
            communities,
            grids,
            password,
        } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.len() > 64 || name.chars().any(char::is_whitespace) {
                bail!("a username is 1–64 bytes without spaces");
            }
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role `{role}` (admin, official, planner, grid_worker)")
            })?;
            let scope = scope_for(role, communities.as_deref(), grids.as_deref())?;
            if let Scope::Grids(ids) = &scope {
                let known: Vec<i64> = store.load_grids().await?.iter().map(|g| g.id).collect();
                if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
                    bail!("there is no grid {missing}");
                }
            }
            let password = read_password(&password, true)?;
            let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
            let audit = AuditEntry::now(&actor, "user.add")
                .target(&name)
                .detail(json!({ "role": role, "scope": scope }));
            accounts
                .create_user(
                    &NewUser {
                        username: name.clone(),
                        role,
                        scope: scope.clone(),
                        password_hash: hash,
                    },
                    &audit,
                )
                .await?;
            println!("added {role} `{name}` ({scope})");
        }
        UserCommand::Passwd { name, password } => {
            let password = read_password(&password, true)?;
            let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
            let audit = AuditEntry::now(&actor, "user.passwd").target(&name);
            if !accounts.set_password(&name, &hash, &audit).await? {
                bail!("there is no user `{name}`");
            }
            println!("password of `{name}` changed; their browser sessions ended");
        }
        UserCommand::List => {
            let users = accounts.users().await?;
            println!(
                "{:>4}  {:<20} {:<12} {:<10} {:<10} scope",
                "id", "username", "role", "status", "created"
            );
            for u in users {
                println!(
                    "{:>4}  {:<20} {:<12} {:<10} {:<10} {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    if u.disabled { "disabled" } else { "active" },
                    date(u.created_at),
                    u.scope
                );
            }
        }
        UserCommand::Disable { name } => {
            let audit = AuditEntry::now(&actor, "user.disable").target(&name);
            if !accounts.set_disabled(&name, true, &audit).await? {
                bail!("there is no user `{name}`");
            }
            println!("disabled `{name}`; their sessions and tokens ended");
        }
        UserCommand::Enable { name } => {
            let audit = AuditEntry::now(&actor, "user.enable").target(&name);
            if !accounts.set_disabled(&name, false, &audit).await? {
                bail!("there is no user `{name}`");
            }
            println!("enabled `{name}`");
        }
    }
    Ok(())
}

pub async fn token_command(store: &dyn Store, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { user, days, label } => {
            let Some((found, _)) = store.accounts().credentials(&user).await? else {
                bail!("there is no user `{user}`");
            };
            if found.disabled {
                bail!("user `{user}` is disabled");
            }
            if days == 0 || days > 3650 {
                bail!("--days must be 1..=3650");
            }
            let audit = AuditEntry::now(super::actor(), "token.create")
                .target(&user)
                .detail(json!({ "days": days, "label": label }));
            let (secret, _) = auth::issue(
                store,
                &found,
                SessionKind::Token,
                Duration::from_secs(days * 86_400),
                label,
                &audit,
            )
            .await?;
            println!("{secret}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_unix_seconds() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_795_478_400), "2026-11-24");
    }

    #[test]
    fn scopes_follow_the_role() {
        assert_eq!(scope_for(Role::Admin, None, None).unwrap(), Scope::All);
        assert!(scope_for(Role::Admin, Some("1"), None).is_err());
        assert_eq!(
            scope_for(Role::Planner, Some("1, 2"), None).unwrap(),
            Scope::Communities(vec![1, 2])
        );
        assert_eq!(
            scope_for(Role::Official, Some("all"), None).unwrap(),
            Scope::All
        );
        assert!(scope_for(Role::Official, None, None).is_err());
        assert!(scope_for(Role::Planner, Some("x"), None).is_err());
        assert_eq!(
            scope_for(Role::GridWorker, None, Some("7")).unwrap(),
            Scope::Grids(vec![7])
        );
        assert!(scope_for(Role::GridWorker, None, Some("all")).is_err());
        assert!(scope_for(Role::GridWorker, Some("1"), Some("7")).is_err());
    }
}
