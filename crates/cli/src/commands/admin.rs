//! Administration from the machine's shell: schema, campaigns, accounts, invites. Writes are
//! audited with the source `cli`.

use super::{DbArgs, print_json};
use anyhow::{Context, bail};
use serde::Serialize;
use std::io::BufRead;
use terrain_model::{Email, Role, Slug, TerritoryKind};
use terrain_server::auth::secrets::{self, Password};
use terrain_store::{Audit, NewCampaign, NewInvite, NewMember, NewUser, Scope, Store};
use time::OffsetDateTime;

/// Options of `terrain migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Opens the database, which applies any pending migration.
pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    let backend = store.backend();
    if args.json {
        print_json(
            &serde_json::json!({"database": terrain_store::redact_url(&args.db.url), "backend": backend, "migrated": true}),
        )
    } else {
        println!(
            "{} is up to date ({backend:?}).",
            terrain_store::redact_url(&args.db.url)
        );
        Ok(())
    }
}

/// `terrain campaign …`.
#[derive(Debug, clap::Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Short URL-safe name, e.g. `paris-2027`.
        #[arg(long)]
        slug: String,
        /// Full name, e.g. "Paris 2027".
        #[arg(long)]
        name: String,
        /// Date (YYYY-MM-DD) after which personal data is purged.
        #[arg(long)]
        retention_until: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List campaigns.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
}

/// Runs `terrain campaign …`.
pub async fn campaign(cmd: CampaignCommand) -> anyhow::Result<()> {
    match cmd {
        CampaignCommand::Add {
            db,
            slug,
            name,
            retention_until,
            json,
        } => {
            let store = db.open().await?;
            let retention_until = retention_until
                .map(|d| {
                    time::Date::parse(
                        &d,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                })
                .transpose()
                .context("--retention-until must be a date like 2027-06-30")?;
            let c = store
                .create_campaign(
                    &Audit::cli(),
                    &NewCampaign {
                        slug: Slug::parse(&slug)?,
                        name,
                        retention_until,
                    },
                )
                .await?;
            if json {
                print_json(&c)
            } else {
                println!("Created campaign {} ({}).", c.slug, c.id);
                Ok(())
            }
        }
        CampaignCommand::List { db, json } => {
            let store = db.open().await?;
            let all = store.campaigns().await?;
            if json {
                return print_json(&all);
            }
            for c in all {
                println!("{:<24} {}  {}", c.slug.as_str(), c.id, c.name);
            }
            Ok(())
        }
    }
}

/// `terrain user …`.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account, and optionally give it a role in a campaign.
    Add(UserAddArgs),
    /// List accounts (or a campaign's members).
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Only this campaign's members, with their roles.
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Options of `terrain user add`.
#[derive(Debug, clap::Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// A server administrator (manages campaigns).
    #[arg(long)]
    pub admin: bool,
    /// Campaign slug to add the account to.
    #[arg(long, requires = "role")]
    pub campaign: Option<String>,
    /// Role in that campaign: director, coordinator, trainer or walker.
    #[arg(long, requires = "campaign")]
    pub role: Option<Role>,
    /// Territories of a scoped role, as KIND:CODE (`arrondissement:75118`); repeatable.
    #[arg(long = "territory")]
    pub territories: Vec<String>,
    /// Read the password from this environment variable.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password_env: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long)]
    pub json: bool,
}

/// Parses `KIND:CODE`.
pub fn territory_spec(s: &str) -> anyhow::Result<(TerritoryKind, String)> {
    let (k, c) = s.split_once(':').with_context(|| {
        format!("territory {s:?}: write it KIND:CODE, e.g. arrondissement:75118")
    })?;
    Ok((k.parse()?, c.to_string()))
}

async fn find_campaign(store: &dyn Store, slug: &str) -> anyhow::Result<terrain_model::Campaign> {
    store
        .campaign_by_slug(&Slug::parse(slug)?)
        .await
        .with_context(|| format!("campaign {slug}"))
}

#[derive(Serialize)]
struct UserAdded {
    user: terrain_store::User,
    member: Option<terrain_store::Member>,
}

/// Runs `terrain user …`.
pub async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add(a) => {
            let password = if let Some(var) = &a.password_env {
                Some(
                    std::env::var(var)
                        .with_context(|| format!("environment variable {var} is not set"))?,
                )
            } else if a.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            if password.is_none() && (a.admin || a.role.is_some_and(|r| r != Role::Walker)) {
                bail!(
                    "a staff account needs a password: use --password-env VAR or --password-stdin"
                );
            }
            let password_hash = match password {
                Some(p) => {
                    if p.chars().count() < secrets::MIN_PASSWORD_LEN {
                        bail!(
                            "passwords must have at least {} characters",
                            secrets::MIN_PASSWORD_LEN
                        );
                    }
                    Some(secrets::hash_password(Password::new(p)).await?)
                }
                None => None,
            };
            let store = a.db.open().await?;
            let user = store
                .create_user(
                    &Audit::cli(),
                    &NewUser {
                        email: Some(Email::parse(&a.email)?),
                        display_name: a.name,
                        password_hash,
                        is_admin: a.admin,
                    },
                )
                .await?;
            let member = match (&a.campaign, a.role) {
                (Some(slug), Some(role)) => {
                    let c = find_campaign(&*store, slug).await?;
                    let mut territories = Vec::new();
                    for spec in &a.territories {
                        let (kind, code) = territory_spec(spec)?;
                        territories.push(
                            store
                                .territory_by_code(c.id, kind, &code)
                                .await
                                .with_context(|| format!("territory {spec}"))?
                                .id,
                        );
                    }
                    Some(
                        store
                            .add_member(
                                &Audit::cli(),
                                c.id,
                                &NewMember {
                                    user_id: user.id,
                                    role,
                                    territories,
                                    recruited_by: None,
                                    trained_by: None,
                                },
                            )
                            .await?,
                    )
                }
                _ => None,
            };
            if a.json {
                print_json(&UserAdded { user, member })
            } else {
                println!(
                    "Created {} ({}){}.",
                    user.display_name,
                    user.id,
                    member
                        .map(|m| format!(", {} of {}", m.role, a.campaign.unwrap_or_default()))
                        .unwrap_or_default()
                );
                Ok(())
            }
        }
        UserCommand::List { db, campaign, json } => {
            let store = db.open().await?;
            match campaign {
                Some(slug) => {
                    let c = find_campaign(&*store, &slug).await?;
                    let members = store.members(c.id, &Scope::Campaign).await?;
                    if json {
                        return print_json(&members);
                    }
                    for m in members {
                        let ts: Vec<_> = m.territories.iter().map(|t| t.name.as_str()).collect();
                        println!(
                            "{:<12} {:<28} {:<30} {}",
                            m.role.as_str(),
                            m.user.display_name,
                            m.user.email.map(|e| e.to_string()).unwrap_or_default(),
                            ts.join(", ")
                        );
                    }
                }
                None => {
                    let users = store.users().await?;
                    if json {
                        return print_json(&users);
                    }
                    for u in users {
                        println!(
                            "{:<28} {:<30} {}{}",
                            u.display_name,
                            u.email.map(|e| e.to_string()).unwrap_or_default(),
                            u.id,
                            if u.is_admin { "  admin" } else { "" }
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

/// Options of `terrain invite`.
#[derive(Debug, clap::Args)]
pub struct InviteArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Campaign slug.
    #[arg(long)]
    pub campaign: String,
    /// Where the newcomers will work, as KIND:CODE (`arrondissement:75118`).
    #[arg(long)]
    pub territory: String,
    /// E-mail of the member who recruits them (recorded in the pyramid).
    #[arg(long)]
    pub by: Option<String>,
    /// `walker` or `trainer`.
    #[arg(long, default_value = "walker")]
    pub role: Role,
    /// Hours before the code expires.
    #[arg(long, default_value_t = 72)]
    pub expires_hours: u32,
    /// How many people may join with it.
    #[arg(long, default_value_t = 1)]
    pub max_uses: u32,
    /// The server's address as users reach it, for the link.
    #[arg(
        long,
        env = "TERRAIN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub base_url: String,
    /// Write the link's QR code to this SVG file (to print).
    #[arg(long)]
    pub qr: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct InviteMade {
    invite: terrain_store::Invite,
    code: String,
    url: String,
}

/// Makes an invite code and prints it with its link.
pub async fn invite(a: InviteArgs) -> anyhow::Result<()> {
    if !(1..=30 * 24).contains(&a.expires_hours) || !(1..=500).contains(&a.max_uses) {
        bail!("--expires-hours must be 1..720 and --max-uses 1..500");
    }
    let store = a.db.open().await?;
    let c = find_campaign(&*store, &a.campaign).await?;
    let (kind, code) = territory_spec(&a.territory)?;
    let t = store
        .territory_by_code(c.id, kind, &code)
        .await
        .with_context(|| format!("territory {}", a.territory))?;
    let by = match &a.by {
        Some(e) => {
            let creds = store
                .credentials_by_email(&Email::parse(e)?)
                .await?
                .with_context(|| format!("no account with e-mail {e}"))?;
            store
                .member(c.id, creds.user.id)
                .await
                .with_context(|| format!("{e} is not a member of {}", a.campaign))?;
            Some(creds.user.id)
        }
        None => None,
    };
    let code = secrets::invite_code();
    let invite = store
        .create_invite(
            &Audit::cli(),
            c.id,
            &NewInvite {
                code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&code)),
                created_by: by,
                role: a.role,
                territory_id: t.id,
                expires_at: OffsetDateTime::now_utc()
                    + time::Duration::hours(i64::from(a.expires_hours)),
                max_uses: a.max_uses,
            },
        )
        .await?;
    let url = terrain_server::api::invites::invite_url(&a.base_url, &code);
    if let Some(path) = &a.qr {
        let svg = terrain_server::api::invites::qr_svg(&url)?;
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
    }
    if a.json {
        print_json(&InviteMade { invite, code, url })
    } else {
        println!(
            "Invite code {code} for {} ({}), {} use(s), valid {} h.\nLink: {url}",
            t.name, a.role, a.max_uses, a.expires_hours
        );
        Ok(())
    }
}

/// Options of `terrain backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The backup file to write (SQLite: a database file; PostgreSQL: pg_dump's custom format).
    #[arg(long)]
    pub out: std::path::PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// Takes a consistent backup while the server runs.
pub async fn backup(a: BackupArgs) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    terrain_store::backup::backup(&a.db.url, &a.out).await?;
    let bytes = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    if a.json {
        print_json(
            &serde_json::json!({"file": a.out, "bytes": bytes, "seconds": start.elapsed().as_secs_f64()}),
        )
    } else {
        println!("Backup written to {} ({bytes} bytes).", a.out.display());
        Ok(())
    }
}

/// Options of `terrain restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The backup file.
    #[arg(long)]
    pub from: std::path::PathBuf,
    /// Replace an existing SQLite database (stop the server first).
    #[arg(long)]
    pub force: bool,
}

/// Restores a backup.
pub async fn restore(a: RestoreArgs) -> anyhow::Result<()> {
    terrain_store::backup::restore(&a.db.url, &a.from, a.force).await?;
    // Opening it runs any migration a newer version needs.
    a.db.open().await?;
    println!(
        "Restored {} into {}.",
        a.from.display(),
        terrain_store::redact_url(&a.db.url)
    );
    Ok(())
}
