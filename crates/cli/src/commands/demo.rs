//! `terrain demo`: a fresh SQLite database holding a demo campaign on Paris — real public data:
//! the 896 bureaux de vote with their 2017 results and contours, the IRIS census, the 158,048
//! BAN addresses — an account for each role, then the server. Everything is made anew at each
//! start.

use anyhow::Context;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use terrain_model::{Email, Role, Slug, TerritoryKind};
use terrain_server::auth::secrets::{self, Password};
use terrain_server::{Application, ServerConfig, shutdown_signal};
use terrain_store::{Audit, AuditSource, NewCampaign, NewInvite, NewMember, NewUser, Store};
use time::OffsetDateTime;

/// Options of `terrain demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Port to serve on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Where the demo database is made (it is deleted and made anew at each start).
    #[arg(long, default_value = "./demo-data")]
    pub data_dir: PathBuf,
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "terrain-demo";

/// A demo account: e-mail, name, role, territory (arrondissement code; the coder gets the root,
/// the region, to code every answer).
const ACCOUNTS: [(&str, &str, Option<Role>, Option<&str>); 7] = [
    ("admin@terrain.demo", "Alex Admin", None, None),
    (
        "directrice@terrain.demo",
        "Claire Martin",
        Some(Role::Director),
        None,
    ),
    (
        "coord18@terrain.demo",
        "Karim Benali",
        Some(Role::Coordinator),
        Some("75118"),
    ),
    (
        "coord19@terrain.demo",
        "Sophie Leroy",
        Some(Role::Coordinator),
        Some("75119"),
    ),
    (
        "formateur18@terrain.demo",
        "Thomas Petit",
        Some(Role::Trainer),
        Some("75118"),
    ),
    (
        "marcheuse18@terrain.demo",
        "Léa Moreau",
        Some(Role::Walker),
        Some("75118"),
    ),
    (
        "codeur@terrain.demo",
        "Hugo Bernard",
        Some(Role::Coder),
        Some(CODER_ROOT),
    ),
];

/// The territory of the demo's coder: the root of the tree (Île-de-France), so that they code
/// the answers of the whole campaign.
const CODER_ROOT: &str = "11";

/// What the demo made, for the banner.
#[derive(Debug)]
pub struct DemoSeed {
    pub campaign: terrain_model::Campaign,
    pub invite_code: String,
    pub paris: terrain_import::demo::ParisLoaded,
    pub turfs: super::demo_turfs::DemoTurfs,
    /// The accepted survey plan (issue 8).
    pub plan: terrain_store::SurveyPlan,
    pub responses: super::demo_responses::DemoResponses,
}

/// Fills an empty store with the demo campaign and accounts.
pub async fn seed(store: &dyn Store) -> anyhow::Result<DemoSeed> {
    let audit = Audit::system(AuditSource::Demo);
    let campaign = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse("paris-2027")?,
                name: "Paris 2027 — campagne de démonstration".into(),
                retention_until: Some(time::macros::date!(2027 - 12 - 31)),
            },
        )
        .await?;
    let paris = terrain_import::demo::load_paris(terrain_import::Target {
        store,
        campaign: campaign.id,
        audit: &audit,
    })
    .await
    .context("loading the Paris data set")?;
    let hash = secrets::hash_password(Password::new(DEMO_PASSWORD)).await?;
    let mut director = None;
    let mut coord18 = None;
    let mut walker18 = None;
    for (email, name, role, arr) in ACCOUNTS {
        let user = store
            .create_user(
                &audit,
                &NewUser {
                    email: Some(Email::parse(email)?),
                    display_name: name.into(),
                    password_hash: Some(hash.clone()),
                    is_admin: role.is_none(),
                },
            )
            .await?;
        let Some(role) = role else { continue };
        let territories = match arr {
            Some(code) => {
                let kind = if code == CODER_ROOT {
                    TerritoryKind::Region
                } else {
                    TerritoryKind::Arrondissement
                };
                vec![store.territory_by_code(campaign.id, kind, code).await?.id]
            }
            None => vec![],
        };
        let recruited_by = match role {
            Role::Director => None,
            Role::Coordinator => director,
            _ => coord18,
        };
        store
            .add_member(
                &audit,
                campaign.id,
                &NewMember {
                    user_id: user.id,
                    role,
                    territories,
                    recruited_by,
                    trained_by: recruited_by,
                },
            )
            .await?;
        match role {
            Role::Director => director = Some(user.id),
            Role::Coordinator if arr == Some("75118") => coord18 = Some(user.id),
            Role::Walker => walker18 = Some(user.id),
            _ => {}
        }
    }
    // Volunteers, trainings, a team and sorties (issue 6).
    let id_of = async |email: &str| -> anyhow::Result<terrain_model::UserId> {
        store
            .credentials_by_email(&Email::parse(email)?)
            .await?
            .map(|c| c.user.id)
            .with_context(|| format!("demo account {email}"))
    };
    super::demo_volunteers::seed(
        store,
        &audit,
        campaign.id,
        super::demo_volunteers::DemoPeople {
            coord18: id_of("coord18@terrain.demo").await?,
            coord19: id_of("coord19@terrain.demo").await?,
            trainer18: id_of("formateur18@terrain.demo").await?,
            walker18: id_of("marcheuse18@terrain.demo").await?,
        },
    )
    .await
    .context("seeding the demo's volunteers and sorties")?;
    let invite_code = secrets::invite_code();
    let a18 = store
        .territory_by_code(campaign.id, TerritoryKind::Arrondissement, "75118")
        .await?;
    store
        .create_invite(
            &audit,
            campaign.id,
            &NewInvite {
                code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&invite_code)),
                created_by: coord18,
                role: Role::Walker,
                territory_id: a18.id,
                expires_at: OffsetDateTime::now_utc() + time::Duration::days(30),
                max_uses: 50,
            },
        )
        .await?;
    let turfs = super::demo_turfs::seed_turfs(store, &audit, &campaign, walker18, coord18).await?;
    let plan = super::demo_survey::seed_plan(store, &audit, &campaign).await?;
    super::demo_survey::quota_settings(store, &audit, &campaign).await?;
    // The questionnaire walkers fill in: the Grande Marche template, published.
    let gm = terrain_model::Template::GrandeMarche2016;
    let q = store
        .create_questionnaire(&audit, campaign.id, gm.name(), &gm.questionnaire())
        .await?;
    let version = store.publish_draft(&audit, campaign.id, q.id).await?;
    // Its respondents, for the diagnostic (issue 9).
    let responses = super::demo_responses::seed(
        store,
        campaign.id,
        version.id,
        &plan
            .fields
            .areas
            .iter()
            .map(|a| a.territory_id)
            .collect::<Vec<_>>(),
        walker18.context("the demo walker")?,
        id_of("coord19@terrain.demo").await?,
        director.context("the demo director")?,
    )
    .await
    .context("seeding the demo's responses")?;
    // Weights for the responses seeded above: issue 8.
    super::demo_survey::weigh_responses(store, &audit, &campaign, q.id).await?;
    Ok(DemoSeed {
        campaign,
        invite_code,
        paris,
        turfs,
        plan,
        responses,
    })
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let db = args.data_dir.join("terrain-demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", db.display()));
        if f.exists() {
            std::fs::remove_file(&f)
                .with_context(|| format!("removing the previous demo database {}", f.display()))?;
        }
    }
    let url = format!("sqlite://{}", db.display());
    let store: Arc<dyn Store> = terrain_store::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let seed = seed(&*store).await.context("seeding the demo campaign")?;
    let config = ServerConfig {
        bind: SocketAddr::new(args.host, args.port),
        ..ServerConfig::default()
    };
    let app = Application::build(store, config).await?;
    let base = format!("http://{}:{}", args.host, app.port());
    println!();
    println!("Terrain demo — {}", seed.campaign.name);
    println!("  dashboard:  {base}/");
    println!("  field app:  {base}/field/");
    println!("  API:        {base}/api/v1/openapi.json");
    println!("  database:   {}", db.display());
    let p = &seed.paris;
    println!(
        "  data:       Paris, {} territories, {} bureaux with results ({}), {} addresses, {} census values",
        p.territories,
        p.bureaux_with_results,
        p.elections.join(", "),
        p.addresses,
        p.census_values
    );
    let t = &seed.turfs;
    println!(
        "  turfs:      the {} top-priority bureaux of the 18th cut into {} turfs ({} doors)",
        t.bureaux, t.turfs, t.doors
    );
    println!(
        "  survey:     plan \"{}\", {} bureaux, {} interviews, accepted (quotas and weighting follow it)",
        seed.plan.fields.name,
        seed.plan.fields.areas.len(),
        seed.plan
            .fields
            .areas
            .iter()
            .filter_map(|a| a.interviews)
            .sum::<u32>()
    );
    println!(
        "  responses:  {} synthetic respondents in {} bureaux, open answers from real ones (Grand Débat 2019); {} keyed in from paper",
        seed.responses.responses, seed.responses.bureaux, seed.responses.paper
    );
    println!();
    println!("  Sign in with one of these accounts (password: {DEMO_PASSWORD}):");
    for (email, name, role, arr) in ACCOUNTS {
        let role = role.map_or("admin (server)".to_string(), |r| r.to_string());
        let where_ = match arr {
            Some(CODER_ROOT) => ", the whole campaign (masked answers)".to_string(),
            Some(a) => format!(", Paris {}e", a.get(3..).unwrap_or(a)),
            None => String::new(),
        };
        println!("    {email:<28} {name:<16} {role}{where_}");
    }
    println!();
    println!(
        "  Walkers join from a phone with the invite code {} (Paris 18e, 50 uses):",
        seed.invite_code
    );
    println!(
        "    {}",
        terrain_server::api::invites::invite_url(&base, &seed.invite_code)
    );
    println!();
    println!("Press Ctrl-C to stop.");
    app.run_until(shutdown_signal()).await
}
