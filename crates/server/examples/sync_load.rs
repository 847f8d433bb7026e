//! Load benchmark of the field sync (issue 7): `--walkers` walkers, each with their own account,
//! API token and phone id, upload a day's work (`--visits` door visits and `--responses`
//! questionnaires) in batches of `--batch`, `--concurrency` uploads at a time, over loopback.
//! Prints the throughput in records per second, the p50/p99 latency of an upload and the
//! errors; then checks in the database that every record is there exactly once.
//!
//! ```sh
//! cargo run --release -p terrain-server --example sync_load -- --walkers 12000 --concurrency 500
//! cargo run --release -p terrain-server --example sync_load -- --db postgres://postgres@127.0.0.1/bench …
//! # kill -9 the server after 100,000 acknowledged records, restart it, finish the load:
//! cargo run --release -p terrain-server --example sync_load -- --terrain-bin target/release/terrain --kill-after 100000
//! ```
//!
//! `--max-in-flight N` sets the server's admission limit of uploads (`--sync-max-in-flight`,
//! default 8; 0: none) and `--admission-wait-ms` how long an upload may wait for a slot
//! (default 50): beyond, an upload is answered `429 server_busy` at once and the
//! walker sends it again after `Retry-After` plus jitter, as the phone does. The benchmark
//! reports the latency of accepted uploads, of the busy answers, and the delay from a batch's
//! first attempt to its acknowledgement (what a walker waits).
//!
//! Without `--db`, a fresh SQLite file in a temporary directory. With `--terrain-bin`, the
//! server is that binary (`terrain serve`) in its own process, so that it can be killed; the
//! walkers retry what was not acknowledged, as phones do.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use terrain_model::{CommuneCode, NewAddress, Role, Slug, Template, TerritoryKind};
use terrain_server::auth::secrets;
use terrain_store::{ApiToken, Audit, NewCampaign, NewMember, NewTerritory, NewUser, Scope, Store};
use tokio::sync::Semaphore;
use uuid::Uuid;

struct Args {
    db: Option<String>,
    walkers: usize,
    concurrency: usize,
    visits: usize,
    responses: usize,
    batch: usize,
    terrain_bin: Option<PathBuf>,
    kill_after: Option<u64>,
    max_in_flight: usize,
    admission_wait_ms: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: None,
        walkers: 2000,
        concurrency: 200,
        visits: 60,
        responses: 15,
        batch: 100,
        terrain_bin: None,
        kill_after: None,
        max_in_flight: terrain_server::ServerConfig::default().sync_max_in_flight,
        admission_wait_ms: terrain_server::ServerConfig::default()
            .sync_admission_wait
            .as_millis() as u64,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => a.db = Some(value()?),
            "--walkers" => a.walkers = value()?.parse()?,
            "--concurrency" => a.concurrency = value()?.parse()?,
            "--visits" => a.visits = value()?.parse()?,
            "--responses" => a.responses = value()?.parse()?,
            "--batch" => a.batch = value()?.parse()?,
            "--terrain-bin" => a.terrain_bin = Some(value()?.into()),
            "--kill-after" => a.kill_after = Some(value()?.parse()?),
            "--max-in-flight" => a.max_in_flight = value()?.parse()?,
            "--admission-wait-ms" => a.admission_wait_ms = value()?.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    if a.kill_after.is_some() && a.terrain_bin.is_none() {
        bail!("--kill-after needs --terrain-bin (the server must be its own process)");
    }
    Ok(a)
}

/// What the benchmark seeds: a campaign, a bureau with its addresses, a published
/// questionnaire, and the walkers' tokens.
struct Seed {
    campaign: Uuid,
    stops: Vec<(Uuid, Uuid)>,
    version: Uuid,
    tokens: Vec<String>,
}

async fn seed(store: &dyn Store, walkers: usize) -> anyhow::Result<Seed> {
    let audit = Audit::cli();
    let slug = format!("bench-{}", Uuid::now_v7().simple());
    let c = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse(&slug[..30])?,
                name: "Bench".into(),
                retention_until: None,
            },
        )
        .await?
        .id;
    let t = |kind, code: &str, name: &str, parent: Option<(TerritoryKind, &str)>| NewTerritory {
        kind,
        code: code.into(),
        name: name.into(),
        parent: parent.map(|(k, c)| (k, c.to_string())),
    };
    use TerritoryKind::*;
    let ts = store
        .upsert_territories(
            &audit,
            c,
            &[
                t(Department, "75", "Paris", None),
                t(Commune, "75056", "Paris", Some((Department, "75"))),
                t(
                    Arrondissement,
                    "75118",
                    "Paris 18e",
                    Some((Commune, "75056")),
                ),
                t(
                    Bureau,
                    "75056_1801",
                    "Bureau 18-01",
                    Some((Arrondissement, "75118")),
                ),
            ],
        )
        .await?;
    let bureau = ts.iter().find(|x| x.kind == Bureau).context("bureau")?.id;
    let a18 = ts
        .iter()
        .find(|x| x.kind == Arrondissement)
        .context("arrondissement")?
        .id;
    let commune = CommuneCode::parse("75118")?;
    let addresses: Vec<NewAddress> = (1..=200)
        .map(|n| NewAddress {
            ban_id: Some(format!("75118_bench_{n:05}")),
            number: Some(n.to_string()),
            rep: None,
            street: "Rue Ordener".into(),
            postcode: Some("75018".into()),
            commune: commune.clone(),
            lon: 2.34,
            lat: 48.89,
            bureau_id: Some(bureau),
            iris_id: None,
            doors_estimated: 12,
        })
        .collect();
    let ids = store.add_addresses(&audit, c, &addresses).await?;
    let mut stops = Vec::new();
    for id in ids {
        let b = store.buildings(c, id).await?;
        stops.push((id.0, b.first().context("building")?.id.0));
    }
    let gm = Template::GrandeMarche2016;
    let q = store
        .create_questionnaire(&audit, c, gm.name(), &gm.questionnaire())
        .await?;
    let version = store.publish_draft(&audit, c, q.id).await?.id;
    let mut tokens = Vec::with_capacity(walkers);
    let started = Instant::now();
    for i in 0..walkers {
        let user = store
            .create_user(
                &audit,
                &NewUser {
                    email: None,
                    display_name: format!("Marcheur {i}"),
                    password_hash: None,
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
                    role: Role::Walker,
                    territories: vec![a18],
                    recruited_by: None,
                    trained_by: None,
                },
            )
            .await?;
        let secret = format!("{}{}", secrets::API_TOKEN_PREFIX, secrets::random_token());
        let token = ApiToken {
            id: terrain_model::ApiTokenId::new(),
            user_id: user.id,
            name: "bench".into(),
            created_at: time::OffsetDateTime::now_utc(),
            expires_at: None,
            revoked_at: None,
        };
        store
            .create_api_token(&audit, &token, &secrets::hash_secret(&secret))
            .await?;
        tokens.push(secret);
    }
    eprintln!(
        "seeded {walkers} walkers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Seed {
        campaign: c.0,
        stops,
        version,
        tokens,
    })
}

/// A walker's day: visits and questionnaires, each record with its own UUIDv7.
fn day(seed: &Seed, walker: usize, visits: usize, responses: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(visits + responses);
    let outcomes = [
        "not_home",
        "refused",
        "conversation",
        "questionnaire_done",
        "come_back_later",
        "not_home",
    ];
    for v in 0..visits {
        let (address, building) = seed.stops[(walker * 7 + v) % seed.stops.len()];
        out.push(
            json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:00:00+01:00", "kind": "visit",
            "address_id": address, "building_id": building, "door": {"number": 1 + (v % 12)},
            "outcome": outcomes[(walker + v) % outcomes.len()]}),
        );
    }
    for r in 0..responses {
        let (address, _) = seed.stops[(walker * 13 + r) % seed.stops.len()];
        out.push(json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:05:00+01:00", "kind": "response",
            "version_id": seed.version, "address_id": address,
            "answers": {"consentement": true, "ce_qui_marche": "Les transports en commun, les écoles",
                        "ce_qui_ne_marche_pas": "Le logement, trop cher pour les familles",
                        "sexe": if r % 2 == 0 { "f" } else { "m" }, "age": "35-49", "profession": "5", "code_postal": "75018"}}));
    }
    out
}

/// The `terrain serve` process, when the server is its own process.
struct External {
    bin: PathBuf,
    db: String,
    port: u16,
    max_in_flight: usize,
    admission_wait_ms: u64,
    child: Option<Child>,
}

impl External {
    fn start(&mut self) -> anyhow::Result<()> {
        let child = Command::new(&self.bin)
            .args([
                "serve",
                "--db",
                &self.db,
                "--bind",
                &format!("127.0.0.1:{}", self.port),
            ])
            .env("RUST_LOG", "warn")
            .env("TERRAIN_SYNC_MAX_IN_FLIGHT", self.max_in_flight.to_string())
            .env(
                "TERRAIN_SYNC_ADMISSION_WAIT_MS",
                self.admission_wait_ms.to_string(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?; // SIGKILL: no graceful shutdown, no flush.
            c.wait()?;
        }
        Ok(())
    }
}

async fn wait_healthy(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not answer /healthz in 30 s")
}

/// One walker's latencies, in milliseconds.
#[derive(Default)]
struct Latencies {
    /// Uploads the server accepted (200), request to answer.
    accepted: Vec<f64>,
    /// Uploads turned away (`429 server_busy`), request to answer.
    busy: Vec<f64>,
    /// From a batch's first attempt to its acknowledgement, waits included.
    to_ack: Vec<f64>,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = tempfile::tempdir()?;
    let url =
        a.db.clone()
            .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let store = terrain_store::connect(&url).await?;
    eprintln!("database: {}", terrain_store::redact_url(&url));
    let seed = Arc::new(seed(&*store, a.walkers).await?);

    let (base, mut external, server) = match &a.terrain_bin {
        Some(bin) => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let mut ext = External {
                bin: bin.clone(),
                db: url.clone(),
                port,
                max_in_flight: a.max_in_flight,
                admission_wait_ms: a.admission_wait_ms,
                child: None,
            };
            ext.start()?;
            (format!("http://127.0.0.1:{port}"), Some(ext), None)
        }
        None => {
            let config = terrain_server::ServerConfig {
                bind: "127.0.0.1:0".parse()?,
                sync_max_in_flight: a.max_in_flight,
                sync_admission_wait: Duration::from_millis(a.admission_wait_ms),
                ..Default::default()
            };
            let app = terrain_server::Application::build(store.clone(), config).await?;
            let base = format!("http://127.0.0.1:{}", app.port());
            let handle = tokio::spawn(app.run_until(std::future::pending()));
            (base, None, Some(handle))
        }
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()?;
    wait_healthy(&client, &base).await?;

    let url_sync = format!("{base}/api/v1/campaigns/{}/field/sync", seed.campaign);
    let acked = Arc::new(AtomicU64::new(0));
    let transient = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(Semaphore::new(a.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut killed = false;
    for w in 0..a.walkers {
        let permit = sem.clone().acquire_owned().await?;
        let (http, url, seed) = (client.clone(), url_sync.clone(), seed.clone());
        let (acks, fails, refused, turned_away) = (
            acked.clone(),
            transient.clone(),
            rejected.clone(),
            busy.clone(),
        );
        let (visits, responses, batch) = (a.visits, a.responses, a.batch);
        tasks.spawn(async move {
            let _permit = permit;
            let device = Uuid::now_v7();
            let records = day(&seed, w, visits, responses);
            let mut latencies = Latencies::default();
            for chunk in records.chunks(batch.max(1)) {
                // Like a phone: send until acknowledged.
                let first = Instant::now();
                loop {
                    let t0 = Instant::now();
                    let sent = http
                        .post(&url)
                        .bearer_auth(&seed.tokens[w])
                        .json(&json!({"device_id": device, "records": chunk}))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            latencies.accepted.push(ms(t0));
                            latencies.to_ack.push(ms(first));
                            let n = v["stored"].as_u64().unwrap_or(0)
                                + v["duplicates"].as_u64().unwrap_or(0);
                            refused
                                .fetch_add(v["rejected"].as_u64().unwrap_or(0), Ordering::Relaxed);
                            acks.fetch_add(n, Ordering::Relaxed);
                            break;
                        }
                        Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                            // Turned away before anything was written: come back after
                            // Retry-After plus up to 4 s of jitter, like the phone.
                            latencies.busy.push(ms(t0));
                            turned_away.fetch_add(1, Ordering::Relaxed);
                            let secs = r
                                .headers()
                                .get(reqwest::header::RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse::<u64>().ok())
                                .unwrap_or(1)
                                .clamp(1, 60);
                            let jitter = rand::random_range(0..4000u64);
                            tokio::time::sleep(Duration::from_millis(secs * 1000 + jitter)).await;
                        }
                        _ => {
                            fails.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
            latencies
        });
        if let (Some(limit), Some(ext)) = (a.kill_after, external.as_mut())
            && !killed
            && acked.load(Ordering::Relaxed) >= limit
        {
            let before = acked.load(Ordering::Relaxed);
            ext.kill()?;
            eprintln!("kill -9 of the server after {before} acknowledged records; restarting it");
            ext.start()?;
            wait_healthy(&client, &base).await?;
            killed = true;
        }
    }
    let mut all = Latencies::default();
    while let Some(r) = tasks.join_next().await {
        let l = r?;
        all.accepted.extend(l.accepted);
        all.busy.extend(l.busy);
        all.to_ack.extend(l.to_ack);
    }
    let wall = started.elapsed().as_secs_f64();
    for v in [&mut all.accepted, &mut all.busy, &mut all.to_ack] {
        v.sort_by(f64::total_cmp);
    }
    let expected_visits = (a.walkers * a.visits) as u64;
    let expected_responses = (a.walkers * a.responses) as u64;
    let total = expected_visits + expected_responses;
    if let Some(ext) = external.as_mut() {
        ext.kill()?;
    }
    if let Some(h) = server {
        h.abort();
    }
    // The truth is in the database.
    let store = terrain_store::connect(&url).await?;
    let p = store
        .field_progress(terrain_model::CampaignId(seed.campaign), &Scope::Campaign)
        .await?;
    println!(
        "walkers {} · concurrency {} · batch {} · {} records ({} visits, {} responses)",
        a.walkers, a.concurrency, a.batch, total, expected_visits, expected_responses
    );
    println!(
        "server admission limit: {}",
        match a.max_in_flight {
            0 => "none".to_string(),
            n => format!(
                "{n} uploads at once, {} ms of wait for a slot",
                a.admission_wait_ms
            ),
        }
    );
    println!(
        "wall {wall:.1} s · {:.0} records/s · {} accepted uploads · p50 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
        total as f64 / wall,
        all.accepted.len(),
        percentile(&all.accepted, 0.5),
        percentile(&all.accepted, 0.99),
        all.accepted.last().copied().unwrap_or(0.0)
    );
    println!(
        "busy answers (429) {} · p50 {:.1} ms · p99 {:.1} ms",
        all.busy.len(),
        percentile(&all.busy, 0.5),
        percentile(&all.busy, 0.99)
    );
    println!(
        "first attempt to acknowledgement · p50 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
        percentile(&all.to_ack, 0.5),
        percentile(&all.to_ack, 0.99),
        all.to_ack.last().copied().unwrap_or(0.0)
    );
    println!(
        "acknowledged {} · rejected {} · busy answers {} · failed attempts retried {}",
        acked.load(Ordering::Relaxed),
        rejected.load(Ordering::Relaxed),
        busy.load(Ordering::Relaxed),
        transient.load(Ordering::Relaxed)
    );
    println!(
        "in the database: {} visits, {} responses",
        p.visits, p.responses
    );
    if p.visits != expected_visits || p.responses != expected_responses {
        bail!(
            "records lost or doubled: expected {expected_visits} visits and {expected_responses} responses"
        );
    }
    println!("every record stored exactly once");
    Ok(())
}
