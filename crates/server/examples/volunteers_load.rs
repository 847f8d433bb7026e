//! Scale benchmark of the volunteers' pages (issue 6): a campaign on Paris's 20
//! arrondissements with `--volunteers` sign-ups (12,000 by default, the Grande Marche's size),
//! each placed by its postcode, then the API the dashboard calls — the paged list (first page,
//! a deep page, a search, a status filter), the funnel, the coordinator's week and the
//! recognition table — each requested `--requests` times, `--concurrency` at a time, by the
//! director and by one arrondissement's coordinator. Prints p50/p99 per endpoint.
//!
//! ```sh
//! cargo run --release -p terrain-server --example volunteers_load
//! cargo run --release -p terrain-server --example volunteers_load -- --db postgres://postgres@127.0.0.1/bench
//! ```
//!
//! Without `--db`, a fresh SQLite file in a temporary directory; with `--db`, an empty
//! database (the example does not clean it).

use anyhow::Context;
use std::sync::Arc;
use std::time::Instant;
use terrain_model::{
    Availability, CampaignId, Email, Phone, Postcode, Role, Slug, TerritoryKind, UserId,
};
use terrain_server::auth::secrets;
use terrain_store::{
    ApiToken, Audit, NewCampaign, NewMember, NewSignup, NewTerritory, NewUser, Store,
};
use tokio::sync::Semaphore;

struct Args {
    db: Option<String>,
    volunteers: usize,
    requests: usize,
    concurrency: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: None,
        volunteers: 12_000,
        requests: 200,
        concurrency: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => a.db = Some(value()?),
            "--volunteers" => a.volunteers = value()?.parse()?,
            "--requests" => a.requests = value()?.parse()?,
            "--concurrency" => a.concurrency = value()?.parse()?,
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(a)
}

/// An account with an API token, member of the campaign with `role` on `territories`.
async fn member(
    store: &dyn Store,
    audit: &Audit,
    c: CampaignId,
    name: &str,
    role: Role,
    territories: Vec<terrain_model::TerritoryId>,
) -> anyhow::Result<(UserId, String)> {
    let user = store
        .create_user(
            audit,
            &NewUser {
                email: None,
                display_name: name.into(),
                password_hash: None,
                is_admin: false,
            },
        )
        .await?;
    store
        .add_member(
            audit,
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
        .create_api_token(audit, &token, &secrets::hash_secret(&secret))
        .await?;
    Ok((user.id, secret))
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
    let audit = Audit::cli();
    let c = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse("bench-volunteers")?,
                name: "Bench".into(),
                retention_until: None,
            },
        )
        .await?
        .id;
    let t =
        |kind, code: String, name: String, parent: Option<(TerritoryKind, &str)>| NewTerritory {
            kind,
            code,
            name,
            parent: parent.map(|(k, c)| (k, c.to_string())),
        };
    let mut territories = vec![
        t(TerritoryKind::Department, "75".into(), "Paris".into(), None),
        t(
            TerritoryKind::Commune,
            "75056".into(),
            "Paris".into(),
            Some((TerritoryKind::Department, "75")),
        ),
    ];
    for n in 1..=20 {
        territories.push(t(
            TerritoryKind::Arrondissement,
            format!("751{n:02}"),
            format!("Paris {n}e"),
            Some((TerritoryKind::Commune, "75056")),
        ));
    }
    let ts = store.upsert_territories(&audit, c, &territories).await?;
    let arr: Vec<_> = ts
        .iter()
        .filter(|x| x.kind == TerritoryKind::Arrondissement)
        .collect();
    let postcodes: Vec<(Postcode, terrain_model::TerritoryId)> = arr
        .iter()
        .map(|x| Ok((Postcode::parse(&format!("750{}", &x.code[3..]))?, x.id)))
        .collect::<anyhow::Result<_>>()?;
    store.add_postcodes(&audit, c, &postcodes).await?;
    let a18 = arr
        .iter()
        .find(|x| x.code == "75118")
        .context("the 18th")?
        .id;
    let (_, director) = member(&*store, &audit, c, "Directrice", Role::Director, vec![]).await?;
    let (_, coord) = member(&*store, &audit, c, "Coord 18", Role::Coordinator, vec![a18]).await?;

    let started = Instant::now();
    let names = [
        "Dupont", "Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Diallo",
    ];
    for i in 0..a.volunteers {
        let arr = 1 + (i * 7) % 20;
        store
            .sign_up(
                &audit,
                c,
                &NewSignup {
                    display_name: format!("Camille {} {i}", names[i % names.len()]),
                    email: Some(Email::parse(&format!("benevole{i}@exemple.fr"))?),
                    phone: Some(Phone::parse(&format!("06{:08}", 10_000_000 + i))?),
                    postcode: Postcode::parse(&format!("750{arr:02}"))?,
                    availability: Availability((i % 63) as u32 + 1),
                    consent_contact: true,
                },
            )
            .await?;
    }
    let seeded = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} sign-ups in {seeded:.1} s ({:.0}/s)",
        a.volunteers,
        a.volunteers as f64 / seeded
    );

    let config = terrain_server::ServerConfig {
        bind: "127.0.0.1:0".parse()?,
        ..Default::default()
    };
    let app = terrain_server::Application::build(store.clone(), config).await?;
    let base = format!("http://127.0.0.1:{}/api/v1/campaigns/{}", app.port(), c.0);
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let endpoints: Vec<(&str, &str, &String)> = vec![
        ("list, first page", "/volunteers?limit=50", &director),
        (
            "list, page 120",
            "/volunteers?limit=50&offset=6000",
            &director,
        ),
        ("list, search", "/volunteers?q=diallo&limit=50", &director),
        (
            "list, status",
            "/volunteers?status=signed_up&limit=50",
            &director,
        ),
        ("list, coordinator 18e", "/volunteers?limit=50", &coord),
        ("funnel", "/funnel", &director),
        ("week, coordinator 18e", "/week", &coord),
        ("recognition", "/recognition", &director),
    ];
    println!(
        "{} volunteers · {} requests per endpoint · {} at a time",
        a.volunteers, a.requests, a.concurrency
    );
    println!("| endpoint | p50 ms | p99 ms | requests/s |");
    println!("|---|---|---|---|");
    for (label, path, token) in endpoints {
        let url = format!("{base}{path}");
        // One request first: it must answer 200.
        let r = client.get(&url).bearer_auth(token).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "{label}: {} {}",
            r.status(),
            r.text().await?
        );
        let sem = Arc::new(Semaphore::new(a.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        let t0 = Instant::now();
        for _ in 0..a.requests {
            let permit = sem.clone().acquire_owned().await?;
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tasks.spawn(async move {
                let _permit = permit;
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(r.status().is_success(), "{}", r.status());
                r.bytes().await?;
                Ok(t.elapsed().as_secs_f64() * 1000.0)
            });
        }
        let mut ms = Vec::with_capacity(a.requests);
        while let Some(r) = tasks.join_next().await {
            ms.push(r??);
        }
        let wall = t0.elapsed().as_secs_f64();
        ms.sort_by(f64::total_cmp);
        let q = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "| {label} | {:.1} | {:.1} | {:.0} |",
            q(0.5),
            q(0.99),
            a.requests as f64 / wall
        );
    }
    server.abort();
    Ok(())
}
