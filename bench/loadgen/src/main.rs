//! `terrain-loadgen`: drives a real `terrain serve` (a child process, loopback only) the way
//! the field does — phones uploading batches of visits and responses and sending again what
//! was not acknowledged, coordinators on dashboards, the director importing a file — and:
//!
//! - `soak`: kills the server with SIGKILL at random moments (20 times by default), checks
//!   after each kill that every acknowledged record is in the database exactly once and that
//!   the database passes its integrity check, restarts it, and at the end lets the phones send
//!   everything they still hold;
//! - `faults`: makes the storage fail under load (SQLite: the disk fills up, on a small tmpfs;
//!   PostgreSQL: the server's connections are terminated, then the database turns read-only)
//!   and checks that requests fail with clear errors, nothing acknowledged is lost, and service
//!   comes back by itself when the fault goes away;
//! - `load`: a sustained mix without kills: throughput, p50/p99 per endpoint, CPU of the
//!   server (and of PostgreSQL's backends).
//!
//! Every run makes its own database (SQLite file, or a PostgreSQL database dropped after).

mod env;
mod traffic;
mod verify;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use env::{Backend, Db, Server};
use rand::Rng;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use traffic::{Phone, Shared};

#[derive(Debug, Parser)]
#[command(
    name = "terrain-loadgen",
    about = "Soak, fault and load runs against terrain serve"
)]
struct Cli {
    /// The `terrain` binary to run.
    #[arg(long, env = "TERRAIN_BIN")]
    bin: PathBuf,
    /// Where databases, server logs and summaries go.
    #[arg(long, default_value = "bench/out/loadgen")]
    out: PathBuf,
    /// A PostgreSQL URL of a user allowed to create databases.
    #[arg(
        long,
        env = "TERRAIN_TEST_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pg: String,
    /// Backends to run on, in order.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<Backend>,
    /// Seeded bureaux (each with its invite).
    #[arg(long, default_value_t = 20)]
    bureaux: usize,
    /// Addresses per bureau.
    #[arg(long, default_value_t = 150)]
    addresses: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// kill -9 at random moments under mixed load; check acknowledged writes after each.
    Soak {
        #[arg(long, default_value_t = 20)]
        kills: u32,
        #[arg(long, default_value_t = 40)]
        walkers: usize,
        /// Shortest and longest time the server runs between kills, in ms.
        #[arg(long, value_delimiter = ',', default_value = "1500,5000")]
        uptime_ms: Vec<u64>,
        /// Random seed of the kill moments (and of the traffic's choices).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Storage faults under load; check errors, acknowledged writes and recovery.
    Faults {
        #[arg(long, default_value_t = 20)]
        walkers: usize,
        /// How long each fault lasts, in seconds.
        #[arg(long, default_value_t = 5)]
        fault_s: u64,
    },
    /// Sustained mixed load: throughput and latency per endpoint.
    Load {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 100)]
        walkers: usize,
        /// Dashboard readers (coordinators and the director).
        #[arg(long, default_value_t = 6)]
        readers: usize,
        /// Pause of a phone between two uploads, shortest and longest, in ms.
        #[arg(long, value_delimiter = ',', default_value = "0,100")]
        think_ms: Vec<u64>,
        /// Pause of the importer between two imports, in ms.
        #[arg(long, default_value_t = 2000)]
        import_pause_ms: u64,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut failed = false;
    for &backend in &cli.backends {
        let ok = match &cli.command {
            Command::Soak {
                kills,
                walkers,
                uptime_ms,
                seed,
            } => soak(&cli, backend, *kills, *walkers, uptime_ms, *seed).await?,
            Command::Faults { walkers, fault_s } => {
                faults(&cli, backend, *walkers, *fault_s).await?
            }
            Command::Load {
                seconds,
                walkers,
                readers,
                think_ms,
                import_pause_ms,
            } => {
                load(
                    &cli,
                    backend,
                    *seconds,
                    *walkers,
                    *readers,
                    think_ms,
                    *import_pause_ms,
                )
                .await?
            }
        };
        failed |= !ok;
    }
    if failed {
        bail!("some checks failed (see above)");
    }
    Ok(())
}

/// A fresh database, seeded, with the server started on it and `walkers` phones joined.
struct Run {
    db: Db,
    seed: env::Seed,
    server: Server,
    phones: Vec<Phone>,
    dir: PathBuf,
}

async fn prepare(
    cli: &Cli,
    backend: Backend,
    what: &str,
    walkers: usize,
    dir_override: Option<PathBuf>,
) -> anyhow::Result<Run> {
    let dir = cli
        .out
        .join(format!("{what}-{}", format!("{backend:?}").to_lowercase()));
    std::fs::create_dir_all(&dir)?;
    let db_dir = dir_override.unwrap_or_else(|| dir.clone());
    let db = Db::create(backend, &db_dir, &cli.pg).await?;
    let per_bureau_walkers = walkers.div_ceil(cli.bureaux.max(1)) as u32;
    let t0 = Instant::now();
    let seed = env::seed(&db.url(), cli.bureaux, cli.addresses, per_bureau_walkers)
        .await
        .context("seeding")?;
    let log = dir.join("server.log");
    let _ = std::fs::remove_file(&log);
    let mut server = Server::new(&cli.bin, &db.url(), &log)?;
    server.start().await?;
    let mut phones = Vec::with_capacity(walkers);
    for n in 0..walkers {
        phones.push(traffic::join(&server.base(), &seed, n % seed.bureaux.len(), n).await?);
    }
    println!(
        "[{}] {what}: seeded {} bureaux, {} addresses, {} walkers joined ({:.1} s); server on {}",
        backend.name(),
        seed.bureaux.len(),
        seed.addresses,
        phones.len(),
        t0.elapsed().as_secs_f64(),
        server.base()
    );
    Ok(Run {
        db,
        seed,
        server,
        phones,
        dir,
    })
}

/// Starts the traffic: every phone, `readers` dashboard readers, one importer.
fn start_traffic(
    run: &Run,
    shared: &Arc<Shared>,
    readers: usize,
    walker_think: (u64, u64),
    import_pause_ms: u64,
) -> Vec<tokio::task::JoinHandle<()>> {
    let base = run.server.base();
    let mut tasks = Vec::new();
    for phone in &run.phones {
        tasks.push(tokio::spawn(traffic::walker(
            base.clone(),
            run.seed.campaign,
            phone.clone(),
            shared.clone(),
            walker_think,
        )));
    }
    for i in 0..readers {
        tasks.push(tokio::spawn(traffic::reader(
            base.clone(),
            run.seed.clone(),
            i % 3 == 0,
            shared.clone(),
            (50, 300),
        )));
    }
    tasks.push(tokio::spawn(traffic::importer(
        base,
        run.seed.clone(),
        shared.clone(),
        import_pause_ms,
    )));
    tasks
}

/// Lets the phones send what they hold (no new records), at most `limit`.
async fn drain(
    shared: &Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    limit: Duration,
) -> bool {
    shared.stop_new.store(true, Ordering::Relaxed);
    let all = futures_join(tasks);
    if tokio::time::timeout(limit, all).await.is_err() {
        shared.stop_all.store(true, Ordering::Relaxed);
        return false;
    }
    true
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

fn print_check(label: &str, c: &verify::Check) {
    println!(
        "  {label}: {} acknowledged, {} missing, {} of another kind; {} receipts; visit/response/door-count mismatches {}/{}/{}; integrity {}",
        c.acked,
        c.missing,
        c.wrong_kind,
        c.receipts,
        c.visit_mismatch,
        c.response_mismatch,
        c.door_count_mismatch,
        if c.integrity.is_empty() {
            "ok".to_string()
        } else {
            c.integrity.join("; ")
        }
    );
}

fn print_stats(shared: &Shared, seconds: f64) {
    let stats = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "  | endpoint | ok | per s | p50 ms | p99 ms | errors | no answer |\n  |---|---|---|---|---|---|---|"
    );
    for (endpoint, s) in stats.iter() {
        let errors: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        println!(
            "  | {endpoint} | {} | {:.1} | {:.1} | {:.1} | {} | {} |",
            s.ok_us.len(),
            s.ok_us.len() as f64 / seconds,
            s.quantile_ms(0.5),
            s.quantile_ms(0.99),
            if errors.is_empty() {
                "0".to_string()
            } else {
                errors.join(", ")
            },
            s.no_answer
        );
    }
}

async fn soak(
    cli: &Cli,
    backend: Backend,
    kills: u32,
    walkers: usize,
    uptime_ms: &[u64],
    seed: Option<u64>,
) -> anyhow::Result<bool> {
    use rand::SeedableRng;
    let t_run = Instant::now();
    let mut run = prepare(cli, backend, "soak", walkers, None).await?;
    let shared = Arc::new(Shared::default());
    let tasks = start_traffic(&run, &shared, 3, (20, 200), 1500);
    let seed = seed.unwrap_or_else(|| rand::rng().random());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (lo, hi) = (
        uptime_ms.first().copied().unwrap_or(1500),
        uptime_ms.get(1).copied().unwrap_or(5000),
    );
    println!("  kill moments seed {seed}, uptime between kills {lo}–{hi} ms");
    let mut ok = true;
    let mut restarts = Vec::new();
    for i in 1..=kills {
        tokio::time::sleep(Duration::from_millis(rng.random_range(lo..=hi))).await;
        if !run.server.alive() {
            println!("  the server died by itself before kill {i}");
            ok = false;
        }
        run.server.kill9().await?;
        let acked = shared.acked_snapshot();
        let c = verify::check(&run.db, &acked).await?;
        print_check(&format!("kill {i:>2}"), &c);
        ok &= c.ok();
        restarts.push(run.server.start().await?);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let drained = drain(&shared, tasks, Duration::from_secs(120)).await;
    run.server.kill9().await?;
    let acked = shared.acked_snapshot();
    let c = verify::check(&run.db, &acked).await?;
    print_check("final", &c);
    let made = shared.made.load(Ordering::Relaxed);
    let rejected: u64 = shared
        .rejected
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .sum();
    let pending = shared.pending.load(Ordering::Relaxed);
    let all_in = drained && pending == 0 && c.receipts == made - rejected;
    ok &= c.ok() && all_in && rejected == 0;
    let panics = run.server.panics();
    ok &= panics == 0;
    restarts.sort();
    let secs = t_run.elapsed().as_secs_f64();
    println!(
        "[{}] soak: {kills} kill -9 in {secs:.0} s; {made} records made by {} phones, {} acknowledged ({} of them as duplicates after a lost answer), {rejected} rejected, {pending} left on phones; {} receipts in the database; restart to /healthz p50 {:.0} ms, max {:.0} ms; {panics} panics in the server log; {}",
        backend.name(),
        run.phones.len(),
        acked.len(),
        shared.duplicates.load(Ordering::Relaxed),
        c.receipts,
        restarts
            .get(restarts.len() / 2)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        restarts.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        if ok { "PASS" } else { "FAIL" }
    );
    print_stats(&shared, secs);
    run.db.drop_db().await?;
    Ok(ok)
}

async fn load(
    cli: &Cli,
    backend: Backend,
    seconds: u64,
    walkers: usize,
    readers: usize,
    think_ms: &[u64],
    import_pause_ms: u64,
) -> anyhow::Result<bool> {
    let mut run = prepare(cli, backend, "load", walkers, None).await?;
    let shared = Arc::new(Shared::default());
    let think = (
        think_ms.first().copied().unwrap_or(0),
        think_ms.get(1).copied().unwrap_or(100),
    );
    let tasks = start_traffic(&run, &shared, readers, think, import_pause_ms);
    tokio::time::sleep(Duration::from_secs(5)).await;
    shared.reset_stats();
    let pid = run.server.pid().context("server pid")?;
    let pg_pids = pg_backends(&run.db).await;
    let cpu0 = (
        env::cpu_seconds(pid).unwrap_or(0.0),
        pg_cpu(&pg_pids),
        env::cpu_seconds(std::process::id()).unwrap_or(0.0),
    );
    let t0 = Instant::now();
    let waits = sample_pg_waits(&run.db, Duration::from_secs(seconds)).await;
    let secs = t0.elapsed().as_secs_f64();
    let synced = shared.records_synced.load(Ordering::Relaxed);
    let pg_pids_end = pg_backends(&run.db).await;
    let cpu1 = (
        env::cpu_seconds(pid).unwrap_or(0.0),
        pg_cpu(&pg_pids_end),
        env::cpu_seconds(std::process::id()).unwrap_or(0.0),
    );
    let pg_delta: f64 = pg_pids_end
        .iter()
        .map(|p| cpu1.1.get(p).copied().unwrap_or(0.0) - cpu0.1.get(p).copied().unwrap_or(0.0))
        .sum();
    let load_avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "[{}] load: {seconds} s, {walkers} phones (pause {}–{} ms), {readers} dashboard readers, 1 importer; {synced} records synced ({:.0}/s); CPU over the run: server {:.0} %, PostgreSQL backends {:.0} %, load generator {:.0} % (100 % = one core); load average {}",
        backend.name(),
        think.0,
        think.1,
        synced as f64 / secs,
        100.0 * (cpu1.0 - cpu0.0) / secs,
        100.0 * pg_delta / secs,
        100.0 * (cpu1.2 - cpu0.2) / secs,
        load_avg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    print_stats(&shared, secs);
    if !waits.is_empty() {
        let samples: u64 = waits.values().sum();
        let mut w: Vec<(&String, &u64)> = waits.iter().collect();
        w.sort_by(|a, b| b.1.cmp(a.1));
        let line: Vec<String> = w
            .iter()
            .take(8)
            .map(|(k, v)| format!("{k} {:.0} %", 100.0 * **v as f64 / samples as f64))
            .collect();
        println!(
            "  PostgreSQL backends of the run, sampled every 200 ms ({samples} backend-samples): {}",
            line.join(", ")
        );
    }
    let drained = drain(&shared, tasks, Duration::from_secs(120)).await;
    run.server.kill9().await?;
    let c = verify::check(&run.db, &shared.acked_snapshot()).await?;
    print_check("after the run", &c);
    let ok = drained && c.ok() && run.server.panics() == 0;
    run.db.drop_db().await?;
    Ok(ok)
}

/// Samples what the run's PostgreSQL backends are doing (state and wait event) for `d`;
/// sleeps for `d` on SQLite.
async fn sample_pg_waits(db: &Db, d: Duration) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let t0 = Instant::now();
    let Db::Postgres { admin_url, name } = db else {
        tokio::time::sleep(d).await;
        return out;
    };
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await else {
        tokio::time::sleep(d).await;
        return out;
    };
    while t0.elapsed() < d {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT coalesce(state, '?') || ' ' || coalesce(wait_event_type || ':' || wait_event, 'on CPU') \
             FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
        for (k,) in rows {
            *out.entry(k).or_default() += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out
}

/// The PostgreSQL backends serving the run's database.
async fn pg_backends(db: &Db) -> Vec<u32> {
    let Db::Postgres { admin_url, name } = db else {
        return Vec::new();
    };
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await else {
        return Vec::new();
    };
    let rows: Vec<(i32,)> = sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
    rows.into_iter().map(|(p,)| p as u32).collect()
}

fn pg_cpu(pids: &[u32]) -> std::collections::HashMap<u32, f64> {
    pids.iter()
        .filter_map(|&p| env::cpu_seconds(p).map(|c| (p, c)))
        .collect()
}

/// Runs SQL on the PostgreSQL server as the admin user.
async fn pg_admin(db: &Db, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let Db::Postgres { admin_url, .. } = db else {
        return Ok(());
    };
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Sync outcomes during one phase of the fault run.
fn phase_summary(shared: &Shared) -> (usize, String, u64) {
    let stats = shared.stats.lock().unwrap_or_else(|e| e.into_inner());
    let mut ok = 0;
    let mut errors = std::collections::BTreeMap::new();
    let mut no_answer = 0;
    for s in stats.values() {
        ok += s.ok_us.len();
        no_answer += s.no_answer;
        for (k, v) in &s.errors {
            *errors.entry(k.clone()).or_insert(0u64) += v;
        }
    }
    let e: Vec<String> = errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    (
        ok,
        if e.is_empty() {
            "none".into()
        } else {
            e.join(", ")
        },
        no_answer,
    )
}

/// Waits until a sync succeeds again after the fault is removed; returns how long it took.
async fn time_to_recover(shared: &Shared, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let before = shared.records_synced.load(Ordering::Relaxed);
    while t0.elapsed() < limit {
        if shared.records_synced.load(Ordering::Relaxed) > before {
            return Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn faults(cli: &Cli, backend: Backend, walkers: usize, fault_s: u64) -> anyhow::Result<bool> {
    let fault = Duration::from_secs(fault_s);
    // SQLite: the database on a small tmpfs of its own, so that the disk can fill up.
    let mount = match backend {
        Backend::Sqlite => {
            let m = cli.out.join("faults-tmpfs");
            std::fs::create_dir_all(&m)?;
            let status = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
                .arg(&m)
                .status();
            if !status.is_ok_and(|s| s.success()) {
                println!(
                    "[SQLite] faults: SKIPPED — cannot mount a tmpfs at {} (needs root): the disk-full fault is not run",
                    m.display()
                );
                return Ok(true);
            }
            Some(m)
        }
        Backend::Postgres => None,
    };
    let result = faults_inner(cli, backend, walkers, fault, mount.clone()).await;
    if let Some(m) = mount {
        let _ = std::process::Command::new("umount").arg(&m).status();
    }
    result
}

async fn faults_inner(
    cli: &Cli,
    backend: Backend,
    walkers: usize,
    fault: Duration,
    mount: Option<PathBuf>,
) -> anyhow::Result<bool> {
    let mut run = prepare(cli, backend, "faults", walkers, mount.clone()).await?;
    let shared = Arc::new(Shared::default());
    let tasks = start_traffic(&run, &shared, 2, (20, 150), 1000);
    let mut ok = true;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut phases: Vec<(String, usize, String, u64, String)> = Vec::new();
    let mut internal_answers = 0u64;
    let mut phase = |name: &str, shared: &Shared, note: String| {
        let (n, e, na) = phase_summary(shared);
        internal_answers += shared
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(|s| s.errors.iter())
            .filter(|(k, _)| k.starts_with("500"))
            .map(|(_, v)| v)
            .sum::<u64>();
        phases.push((name.to_string(), n, e, na, note));
        shared.reset_stats();
    };
    phase("normal", &shared, String::new());
    match backend {
        Backend::Sqlite => {
            let m = mount.context("tmpfs")?;
            let filler = m.join("filler");
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&filler)?;
                let block = vec![0u8; 1 << 20];
                while f.write_all(&block).is_ok() {}
                let _ = f.flush();
            }
            tokio::time::sleep(fault).await;
            let alive = run.server.alive();
            ok &= alive;
            phase("disk full", &shared, format!("server alive: {alive}"));
            std::fs::remove_file(&filler)?;
            let rec = time_to_recover(&shared, Duration::from_secs(30)).await;
            ok &= rec.is_some();
            tokio::time::sleep(Duration::from_secs(2)).await;
            phase(
                "space freed",
                &shared,
                format!(
                    "first upload stored {} after the space was freed",
                    rec.map_or("NEVER".into(), |d| format!("{} ms", d.as_millis()))
                ),
            );
        }
        Backend::Postgres => {
            let Db::Postgres { name, .. } = &run.db else {
                bail!("not a PostgreSQL run");
            };
            let terminate = format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            );
            let t0 = Instant::now();
            let mut terminated = 0;
            while t0.elapsed() < fault {
                pg_admin(&run.db, &terminate).await?;
                terminated += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let alive = run.server.alive();
            ok &= alive;
            phase(
                "connections killed",
                &shared,
                format!("{terminated} rounds of pg_terminate_backend; server alive: {alive}"),
            );
            let rec = time_to_recover(&shared, Duration::from_secs(30)).await;
            ok &= rec.is_some();
            tokio::time::sleep(Duration::from_secs(2)).await;
            phase(
                "after",
                &shared,
                format!(
                    "first upload stored {} after the last termination",
                    rec.map_or("NEVER".into(), |d| format!("{} ms", d.as_millis()))
                ),
            );
            pg_admin(
                &run.db,
                &format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"),
            )
            .await?;
            pg_admin(&run.db, &terminate).await?;
            tokio::time::sleep(fault).await;
            let alive = run.server.alive();
            ok &= alive;
            phase("read-only", &shared, format!("server alive: {alive}"));
            pg_admin(
                &run.db,
                &format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = off"),
            )
            .await?;
            pg_admin(&run.db, &terminate).await?;
            let rec = time_to_recover(&shared, Duration::from_secs(30)).await;
            ok &= rec.is_some();
            tokio::time::sleep(Duration::from_secs(2)).await;
            phase(
                "writable again",
                &shared,
                format!(
                    "first upload stored {} after the database was writable again",
                    rec.map_or("NEVER".into(), |d| format!("{} ms", d.as_millis()))
                ),
            );
        }
    }
    let drained = drain(&shared, tasks, Duration::from_secs(60)).await;
    run.server.kill9().await?;
    let c = verify::check(&run.db, &shared.acked_snapshot()).await?;
    let made = shared.made.load(Ordering::Relaxed);
    let all_in = drained && c.receipts == made;
    let panics = run.server.panics();
    let internal = std::fs::read_to_string(run.dir.join("server.log"))
        .map(|s| s.lines().filter(|l| l.contains("internal error")).count())
        .unwrap_or(0);
    ok &= c.ok() && all_in && panics == 0 && internal_answers == 0 && internal == 0;
    println!(
        "[{}] faults ({} phones, {} s per fault):",
        backend.name(),
        run.phones.len(),
        fault.as_secs()
    );
    println!(
        "  | phase | requests answered 2xx | errors (status code×n) | no answer | note |\n  |---|---|---|---|---|"
    );
    for (name, n, e, na, note) in &phases {
        println!("  | {name} | {n} | {e} | {na} | {note} |");
    }
    print_check("after the faults", &c);
    println!(
        "  {made} records made, all acknowledged and stored: {all_in}; {internal_answers} answers 500; {panics} panics, {internal} internal errors logged; {}",
        if ok { "PASS" } else { "FAIL" }
    );
    run.db.drop_db().await?;
    Ok(ok)
}
