//! The world a run happens in: a fresh database (a SQLite file, or a PostgreSQL database of its
//! own, dropped after), a small seeded campaign, and `terrain serve` as a child process that
//! can be killed with SIGKILL and started again on the same port.

use anyhow::{Context, bail};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use terrain_model::{CommuneCode, Email, NewAddress, Role, Slug, Template, TerritoryKind};
use terrain_server::auth::secrets::{self, Password};
use terrain_store::{Audit, NewCampaign, NewInvite, NewMember, NewTerritory, NewUser, Store};

/// The password of the seeded staff accounts.
pub const PASSWORD: &str = "loadgen-password";
/// The seeded director.
pub const DIRECTOR: &str = "director@loadgen.test";
/// The seeded coordinator of the arrondissement.
pub const COORDINATOR: &str = "coord18@loadgen.test";

/// Which database the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh database for one run.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file (with its `-wal` and `-shm` beside it).
    Sqlite { path: PathBuf },
    /// A database of its own on the PostgreSQL server at `admin_url`.
    Postgres { admin_url: String, name: String },
}

impl Db {
    /// Makes the database: removes a previous SQLite file, or creates a PostgreSQL database.
    pub async fn create(backend: Backend, dir: &Path, pg_admin_url: &str) -> anyhow::Result<Db> {
        match backend {
            Backend::Sqlite => {
                let path = dir.join("terrain.db");
                for suffix in ["", "-wal", "-shm"] {
                    let f = PathBuf::from(format!("{}{suffix}", path.display()));
                    if f.exists() {
                        std::fs::remove_file(&f)?;
                    }
                }
                Ok(Db::Sqlite { path })
            }
            Backend::Postgres => {
                let name = format!(
                    "terrain_loadgen_{}_{}",
                    std::process::id(),
                    time::OffsetDateTime::now_utc().unix_timestamp()
                );
                let mut conn = sqlx::PgConnection::connect(pg_admin_url)
                    .await
                    .with_context(|| format!("connecting to {pg_admin_url}"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await?;
                Ok(Db::Postgres {
                    admin_url: pg_admin_url.to_string(),
                    name,
                })
            }
        }
    }

    /// The URL `terrain serve --db` takes.
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite { path } => format!("sqlite://{}", path.display()),
            Db::Postgres { admin_url, name } => match admin_url.rfind('/') {
                Some(i) if i > "postgres://".len() => format!("{}/{name}", &admin_url[..i]),
                _ => format!("{admin_url}/{name}"),
            },
        }
    }

    /// Drops the PostgreSQL database (the SQLite file is left for inspection).
    pub async fn drop_db(&self) -> anyhow::Result<()> {
        if let Db::Postgres { admin_url, name } = self {
            let mut conn = sqlx::PgConnection::connect(admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await?;
        }
        Ok(())
    }
}

/// What the seed made, for the clients.
#[derive(Clone, Debug)]
pub struct Seed {
    pub campaign: uuid::Uuid,
    /// The arrondissement every bureau lies in.
    pub arrondissement: uuid::Uuid,
    /// The bureaux, each with the invite code its walkers join with.
    pub bureaux: Vec<(uuid::Uuid, String, String)>,
    pub addresses: usize,
}

/// Seeds a campaign: one arrondissement, `bureaux` bureaux of `per_bureau` addresses (one
/// building each), a published questionnaire (the Grande Marche template), a director and a
/// coordinator (password [`PASSWORD`]), and an invite per bureau for `walkers_per_bureau`.
pub async fn seed(
    url: &str,
    bureaux: usize,
    per_bureau: usize,
    walkers_per_bureau: u32,
) -> anyhow::Result<Seed> {
    let store = terrain_store::connect(url).await?;
    let store: &dyn Store = &*store;
    let audit = Audit::cli();
    let campaign = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse("loadgen")?,
                name: "Load generator".into(),
                retention_until: None,
            },
        )
        .await?;
    let c = campaign.id;
    let t =
        |kind, code: String, name: String, parent: Option<(TerritoryKind, &str)>| NewTerritory {
            kind,
            code,
            name,
            parent: parent.map(|(k, c)| (k, c.to_string())),
        };
    let mut ts = vec![
        t(TerritoryKind::Department, "75".into(), "Paris".into(), None),
        t(
            TerritoryKind::Commune,
            "75056".into(),
            "Paris".into(),
            Some((TerritoryKind::Department, "75")),
        ),
        t(
            TerritoryKind::Arrondissement,
            "75118".into(),
            "Paris 18e".into(),
            Some((TerritoryKind::Commune, "75056")),
        ),
    ];
    for b in 1..=bureaux {
        ts.push(t(
            TerritoryKind::Bureau,
            format!("75056_18{b:02}"),
            format!("Bureau 18-{b:02}"),
            Some((TerritoryKind::Arrondissement, "75118")),
        ));
    }
    let stored = store.upsert_territories(&audit, c, &ts).await?;
    let id_of = |code: &str| {
        stored
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.id)
            .with_context(|| format!("territory {code} was not stored"))
    };
    let a18 = id_of("75118")?;
    let commune = CommuneCode::parse("75118")?;
    let hash = secrets::hash_password(Password::new(PASSWORD)).await?;
    for (email, role, territories) in [
        (DIRECTOR, Role::Director, vec![]),
        (COORDINATOR, Role::Coordinator, vec![a18]),
    ] {
        let user = store
            .create_user(
                &audit,
                &NewUser {
                    email: Some(Email::parse(email)?),
                    display_name: email.into(),
                    password_hash: Some(hash.clone()),
                    is_admin: false,
                },
            )
            .await?;
        store
            .add_member(
                &audit,
                c,
                &NewMember {
                    user_id: user.id,
                    role,
                    territories,
                    recruited_by: None,
                    trained_by: None,
                },
            )
            .await?;
    }
    let mut out = Vec::new();
    for b in 1..=bureaux {
        let code = format!("75056_18{b:02}");
        let bureau = id_of(&code)?;
        let addresses: Vec<NewAddress> = (1..=per_bureau)
            .map(|n| NewAddress {
                ban_id: Some(format!("75118_lg{b:02}_{n:05}")),
                number: Some(n.to_string()),
                rep: None,
                street: format!("Rue du Bureau {b}"),
                postcode: Some("75018".into()),
                commune: commune.clone(),
                lon: 2.34 + 0.0001 * n as f64,
                lat: 48.89 + 0.001 * b as f64,
                bureau_id: Some(bureau),
                iris_id: None,
                doors_estimated: 1 + (n % 12) as u32,
            })
            .collect();
        store.add_addresses(&audit, c, &addresses).await?;
        let invite = secrets::invite_code();
        store
            .create_invite(
                &audit,
                c,
                &NewInvite {
                    code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&invite)),
                    created_by: None,
                    role: Role::Walker,
                    territory_id: bureau,
                    expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
                    max_uses: walkers_per_bureau.max(1),
                },
            )
            .await?;
        out.push((bureau.0, code, invite));
    }
    let gm = Template::GrandeMarche2016;
    let q = store
        .create_questionnaire(&audit, c, gm.name(), &gm.questionnaire())
        .await?;
    store.publish_draft(&audit, c, q.id).await?;
    Ok(Seed {
        campaign: c.0,
        arrondissement: a18.0,
        bureaux: out,
        addresses: bureaux * per_bureau,
    })
}

/// `terrain serve` as a child process.
pub struct Server {
    bin: PathBuf,
    url: String,
    pub port: u16,
    log: PathBuf,
    child: Option<tokio::process::Child>,
    /// How many times it was started.
    pub starts: u32,
}

impl Server {
    pub fn new(bin: &Path, db_url: &str, log: &Path) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Ok(Self {
            bin: bin.to_path_buf(),
            url: db_url.to_string(),
            port,
            log: log.to_path_buf(),
            child: None,
            starts: 0,
        })
    }

    /// The base URL clients use.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    /// Starts the server and waits until `/healthz` answers 200; returns how long that took.
    pub async fn start(&mut self) -> anyhow::Result<Duration> {
        let t0 = Instant::now();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = tokio::process::Command::new(&self.bin)
            .args([
                "serve",
                "--db",
                &self.url,
                "--bind",
                &format!("127.0.0.1:{}", self.port),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        self.starts += 1;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let health = format!("{}/healthz", self.base());
        while t0.elapsed() < Duration::from_secs(60) {
            if let Some(c) = self.child.as_mut()
                && let Some(status) = c.try_wait()?
            {
                bail!(
                    "the server exited at start ({status}): see {}",
                    self.log.display()
                );
            }
            if let Ok(r) = client.get(&health).send().await
                && r.status().is_success()
            {
                return Ok(t0.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!(
            "the server did not answer /healthz within 60 s: see {}",
            self.log.display()
        )
    }

    /// kill -9, and waits for the process to be gone.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.start_kill()?;
            c.wait().await?;
        }
        Ok(())
    }

    /// Whether the server is still running (it did not die by itself).
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Lines of the server log that say it panicked.
    pub fn panics(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|s| s.lines().filter(|l| l.contains("panicked")).count())
            .unwrap_or(0)
    }
}

/// CPU seconds (user + system) a process has used, from `/proc/PID/stat`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
