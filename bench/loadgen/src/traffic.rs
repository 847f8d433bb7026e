//! The traffic: walkers' phones uploading batches of visits and responses (and keeping what was
//! not acknowledged, to send it again, as the field app does), coordinators and the director
//! reading dashboards, and the director importing a results file.

use crate::env::{COORDINATOR, DIRECTOR, PASSWORD, Seed};
use anyhow::{Context, bail};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Latencies and outcomes of one kind of request.
#[derive(Default, Debug, Clone)]
pub struct EndpointStats {
    /// Microseconds of the requests answered 2xx.
    pub ok_us: Vec<u64>,
    /// Answers that were not 2xx, by status and error code.
    pub errors: BTreeMap<String, u64>,
    /// Requests that got no HTTP answer (connection refused or reset).
    pub no_answer: u64,
}

impl EndpointStats {
    /// The `q` quantile of the successful latencies, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.ok_us.is_empty() {
            return f64::NAN;
        }
        let mut v = self.ok_us.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v[i.min(v.len() - 1)] as f64 / 1000.0
    }
}

/// What every client records, shared.
#[derive(Default)]
pub struct Shared {
    pub stats: Mutex<BTreeMap<&'static str, EndpointStats>>,
    /// Every record acknowledged (stored or duplicate) with its kind.
    pub acked: Mutex<HashMap<Uuid, &'static str>>,
    /// Records refused by the server (none expected), by code.
    pub rejected: Mutex<BTreeMap<String, u64>>,
    /// Records made by the phones.
    pub made: AtomicU64,
    /// Records acknowledged `duplicate` (resent after a lost answer).
    pub duplicates: AtomicU64,
    /// Records still waiting on the phones.
    pub pending: AtomicU64,
    /// Stop making new records (the phones still send what they hold).
    pub stop_new: AtomicBool,
    /// Stop everything.
    pub stop_all: AtomicBool,
    /// Records sent in batches answered 200 (for throughput).
    pub records_synced: AtomicU64,
}

impl Shared {
    fn record(
        &self,
        endpoint: &'static str,
        t0: Instant,
        outcome: Result<(u16, Option<String>), ()>,
    ) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let s = stats.entry(endpoint).or_default();
        match outcome {
            Ok((status, _)) if (200..300).contains(&status) => {
                s.ok_us.push(t0.elapsed().as_micros() as u64);
            }
            Ok((status, code)) => {
                *s.errors
                    .entry(format!("{status} {}", code.unwrap_or_default()))
                    .or_default() += 1;
            }
            Err(()) => s.no_answer += 1,
        }
    }

    /// Forgets the latencies so far (after a warm-up).
    pub fn reset_stats(&self) {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.records_synced.store(0, Ordering::Relaxed);
    }

    /// A copy of the acknowledged records.
    pub fn acked_snapshot(&self) -> HashMap<Uuid, &'static str> {
        self.acked.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Sends a request; returns the status, the error code of a non-2xx answer and the body.
async fn send(
    shared: &Shared,
    endpoint: &'static str,
    req: reqwest::RequestBuilder,
) -> Option<(u16, Value)> {
    let t0 = Instant::now();
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let code = body.get("code").and_then(Value::as_str).map(str::to_string);
            shared.record(endpoint, t0, Ok((status, code)));
            Some((status, body))
        }
        Err(_) => {
            shared.record(endpoint, t0, Err(()));
            None
        }
    }
}

/// A signed-in client and its anti-CSRF token.
#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
}

/// Signs a staff member in.
pub async fn login(base: &str, email: &str) -> anyhow::Result<Session> {
    let client = client()?;
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("login of {email}: {}", r.status());
    }
    let v: Value = r.json().await?;
    Ok(Session {
        client,
        csrf: v["csrf_token"].as_str().unwrap_or_default().to_string(),
    })
}

/// What a walker's phone knows from its package.
#[derive(Clone)]
pub struct Phone {
    pub session: Session,
    pub device: Uuid,
    /// (address, building, doors).
    pub stops: Vec<(Uuid, Uuid, u32)>,
    pub version: Uuid,
}

/// A walker joins with the bureau's invite and downloads the package.
pub async fn join(base: &str, seed: &Seed, bureau: usize, n: usize) -> anyhow::Result<Phone> {
    let (territory, _, invite) = &seed.bureaux[bureau];
    let client = client()?;
    let r = client
        .post(format!("{base}/api/v1/auth/join"))
        .json(&json!({"code": invite, "display_name": format!("Walker {n}")}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "join: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    let v: Value = r.json().await?;
    let session = Session {
        client,
        csrf: v["csrf_token"].as_str().unwrap_or_default().to_string(),
    };
    let r = session
        .client
        .get(format!(
            "{base}/api/v1/campaigns/{}/field/package?territory={territory}",
            seed.campaign
        ))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("package: {}", r.status());
    }
    let p: Value = r.json().await?;
    let mut stops = Vec::new();
    for s in p["stops"].as_array().context("package without stops")? {
        let address: Uuid = s["address_id"].as_str().context("address_id")?.parse()?;
        for b in s["buildings"].as_array().context("buildings")? {
            let building: Uuid = b["id"].as_str().context("building id")?.parse()?;
            let doors = b["doors"].as_u64().unwrap_or(1).clamp(1, 999) as u32;
            stops.push((address, building, doors));
        }
    }
    let version: Uuid = p["questionnaires"][0]["version_id"]
        .as_str()
        .context("no published questionnaire in the package")?
        .parse()?;
    if stops.is_empty() {
        bail!("the package of bureau {bureau} has no stops");
    }
    Ok(Phone {
        session,
        device: Uuid::new_v4(),
        stops,
        version,
    })
}

const OUTCOMES: [&str; 6] = [
    "not_home",
    "not_home",
    "refused",
    "conversation",
    "come_back_later",
    "questionnaire_done",
];

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The records of one door-to-door step: a visit, sometimes a response, rarely a door count.
fn make_records(phone: &Phone, rng: &mut impl Rng, out: &mut Vec<(Uuid, &'static str, Value)>) {
    let (address, building, doors) = phone.stops[rng.random_range(0..phone.stops.len())];
    let at = now_rfc3339();
    let outcome = OUTCOMES[rng.random_range(0..OUTCOMES.len())];
    let id = Uuid::now_v7();
    out.push((
        id,
        "visit",
        json!({"id": id, "at": at, "kind": "visit", "address_id": address, "building_id": building,
               "door": {"number": rng.random_range(1..=doors)}, "outcome": outcome}),
    ));
    if outcome == "questionnaire_done" {
        let id = Uuid::now_v7();
        out.push((
            id,
            "response",
            json!({"id": id, "at": at, "kind": "response", "version_id": phone.version, "address_id": address,
                   "answers": {"consentement": true,
                               "ce_qui_marche": "Les services publics de proximité, l'école du quartier.",
                               "ce_qui_ne_marche_pas": "Le logement est trop cher, les loyers augmentent."}}),
        ));
    }
    if rng.random_range(0..40) == 0 {
        let id = Uuid::now_v7();
        out.push((
            id,
            "door_count",
            json!({"id": id, "at": at, "kind": "door_count", "building_id": building,
                   "doors": rng.random_range(1..=30)}),
        ));
    }
}

/// One phone: makes a few records, uploads what it holds, keeps what was not acknowledged.
/// `think` is the pause between uploads.
pub async fn walker(
    base: String,
    campaign: Uuid,
    phone: Phone,
    shared: Arc<Shared>,
    think: (u64, u64),
) {
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut outbox: Vec<(Uuid, &'static str, Value)> = Vec::new();
    let url = format!("{base}/api/v1/campaigns/{campaign}/field/sync");
    let mut failures = 0u32;
    loop {
        if shared.stop_all.load(Ordering::Relaxed) {
            break;
        }
        let making = !shared.stop_new.load(Ordering::Relaxed);
        if !making && outbox.is_empty() {
            break;
        }
        if making {
            let before = outbox.len();
            for _ in 0..rng.random_range(1..=6) {
                make_records(&phone, &mut rng, &mut outbox);
            }
            let n = (outbox.len() - before) as u64;
            shared.made.fetch_add(n, Ordering::Relaxed);
            shared.pending.fetch_add(n, Ordering::Relaxed);
        }
        let batch: Vec<Value> = outbox.iter().take(500).map(|(_, _, v)| v.clone()).collect();
        let req = phone
            .session
            .client
            .post(&url)
            .header("x-csrf-token", &phone.session.csrf)
            .json(&json!({"device_id": phone.device, "records": batch}));
        match send(&shared, "POST field/sync", req).await {
            Some((200, body)) => {
                failures = 0;
                let mut answered: HashMap<Uuid, (String, Option<String>)> = HashMap::new();
                for a in body["acks"].as_array().into_iter().flatten() {
                    if let Some(id) = a["id"].as_str().and_then(|s| s.parse().ok()) {
                        answered.insert(
                            id,
                            (
                                a["status"].as_str().unwrap_or_default().to_string(),
                                a["code"].as_str().map(str::to_string),
                            ),
                        );
                    }
                }
                shared
                    .records_synced
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                let mut keep = Vec::with_capacity(outbox.len());
                let mut acked = Vec::new();
                for (id, kind, v) in outbox.drain(..) {
                    match answered.get(&id) {
                        Some((status, _)) if status == "stored" || status == "duplicate" => {
                            if status == "duplicate" {
                                shared.duplicates.fetch_add(1, Ordering::Relaxed);
                            }
                            acked.push((id, kind));
                        }
                        Some((_, code)) => {
                            *shared
                                .rejected
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .entry(code.clone().unwrap_or_default())
                                .or_default() += 1;
                            shared.pending.fetch_sub(1, Ordering::Relaxed);
                        }
                        None => keep.push((id, kind, v)),
                    }
                }
                shared
                    .pending
                    .fetch_sub(acked.len() as u64, Ordering::Relaxed);
                shared
                    .acked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(acked);
                outbox = keep;
            }
            Some((429, _)) => {
                // Busy (`server_busy`, Retry-After: 1): nothing was written; come back after a
                // second and some jitter, as the phone does.
                tokio::time::sleep(Duration::from_millis(1000 + rng.random_range(0..=4000))).await;
                continue;
            }
            _ => {
                // Server gone, or failing: keep everything and try again a little later.
                failures = failures.saturating_add(1);
                let backoff = 50u64 * u64::from(failures.min(8));
                tokio::time::sleep(Duration::from_millis(
                    backoff + rng.random_range(0..=backoff),
                ))
                .await;
                continue;
            }
        }
        let pause = rng.random_range(think.0..=think.1.max(think.0));
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// A coordinator or the director looking at dashboards, one read after another.
pub async fn reader(
    base: String,
    seed: Seed,
    director: bool,
    shared: Arc<Shared>,
    think: (u64, u64),
) {
    let c = seed.campaign;
    let email = if director { DIRECTOR } else { COORDINATOR };
    let mut session = None;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    while !shared.stop_all.load(Ordering::Relaxed) && !shared.stop_new.load(Ordering::Relaxed) {
        let Some(s) = &session else {
            match login(&base, email).await {
                Ok(s) => session = Some(s),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
            continue;
        };
        let bureau = seed.bureaux[rng.random_range(0..seed.bureaux.len())].0;
        let (endpoint, path): (&'static str, String) = match rng.random_range(0..5) {
            0 => (
                "GET field/progress",
                format!(
                    "/campaigns/{c}/field/progress?territory={}",
                    seed.arrondissement
                ),
            ),
            1 => (
                "GET field/progress (bureau)",
                format!("/campaigns/{c}/field/progress?territory={bureau}"),
            ),
            2 => (
                "GET territories",
                format!("/campaigns/{c}/territories?limit=100"),
            ),
            3 => (
                "GET addresses",
                format!("/campaigns/{c}/territories/{bureau}/addresses"),
            ),
            _ if director => ("GET audit", format!("/campaigns/{c}/audit")),
            _ => ("GET members", format!("/campaigns/{c}/members")),
        };
        let req = s.client.get(format!("{base}/api/v1{path}"));
        if send(&shared, endpoint, req).await.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let pause = rng.random_range(think.0..=think.1.max(think.0));
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// A results file in the Ministry's long layout for every seeded bureau, 12 candidates each.
pub fn results_file(seed: &Seed, round: u32) -> Vec<u8> {
    let mut s = String::from(
        "code_departement;code_commune;code_bureau;id_secteur;circonscription;scrutin;inscrits;votants;blancs;exprimes;numero_panneau;sexe;nom;prenom;nuance;voix\n",
    );
    for (i, (_, code, _)) in seed.bureaux.iter().enumerate() {
        let bureau = &code[6..];
        let inscrits = 1000 + 10 * i as u64 + u64::from(round % 7);
        let votants = inscrits * 3 / 4;
        let blancs = 10;
        let per = (votants - blancs) / 12;
        let exprimes = per * 12;
        for p in 1..=12u64 {
            s.push_str(&format!(
                "75;056;{bureau};75056-{bureau};17;presidentielle-1;{inscrits};{votants};{blancs};{exprimes};{p};M;CANDIDAT{p};Prénom;;{per}\n"
            ));
        }
    }
    s.into_bytes()
}

/// The director importing the results file again and again (one import at a time).
pub async fn importer(base: String, seed: Seed, shared: Arc<Shared>, pause_ms: u64) {
    let c = seed.campaign;
    let mut session = None;
    let mut round = 0u32;
    while !shared.stop_all.load(Ordering::Relaxed) && !shared.stop_new.load(Ordering::Relaxed) {
        let Some(s) = &session else {
            match login(&base, DIRECTOR).await {
                Ok(s) => session = Some(s),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
            continue;
        };
        round += 1;
        let req = s
            .client
            .post(format!(
                "{base}/api/v1/campaigns/{c}/imports/results?filename=loadgen.csv&election=2017_pres_t1"
            ))
            .header("x-csrf-token", &s.csrf)
            .header("content-type", "application/octet-stream")
            .body(results_file(&seed, round));
        if send(&shared, "POST imports/results", req).await.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
    }
}
