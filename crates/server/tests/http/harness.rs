//! A running server with a seeded campaign and one signed-in client per kind of caller.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use terrain_model::{CampaignId, Email, Role, Slug, TerritoryId, TerritoryKind, UserId};
use terrain_server::auth::secrets::{self, Password};
use terrain_server::{Application, ServerConfig};
use terrain_store::testing::{Cleanup, PgSchema};
use terrain_store::{Audit, NewCampaign, NewInvite, NewMember, NewTerritory, NewUser, Store};
use time::OffsetDateTime;

pub const PASSWORD: &str = "correct horse battery";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The kinds of caller the authorisation matrix covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    Anonymous,
    /// Joined with an invite, no e-mail, Paris 18e.
    Walker18,
    Trainer18,
    Coordinator18,
    Coordinator19,
    Director,
    Admin,
    /// Director of another campaign.
    Outsider,
    /// Codes the open answers of Paris 18e, nothing else.
    Coder18,
}

impl Actor {
    pub const ALL: [Actor; 9] = [
        Actor::Anonymous,
        Actor::Walker18,
        Actor::Trainer18,
        Actor::Coordinator18,
        Actor::Coordinator19,
        Actor::Director,
        Actor::Admin,
        Actor::Outsider,
        Actor::Coder18,
    ];
}

/// A signed-in (or anonymous) HTTP client.
pub struct Caller {
    pub client: Client,
    pub csrf: Option<String>,
    pub user: Option<UserId>,
}

pub struct Fixture {
    pub campaign: CampaignId,
    pub other_campaign: CampaignId,
    pub a18: TerritoryId,
    pub a19: TerritoryId,
    pub b1801: TerritoryId,
    pub b1901: TerritoryId,
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub fx: Fixture,
    pub callers: Vec<(Actor, Caller)>,
    /// The server's admission slots of field uploads.
    pub sync_slots: Option<Arc<tokio::sync::Semaphore>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    schema: Option<PgSchema>,
    _dir: Option<tempfile::TempDir>,
}

fn client() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

impl TestApp {
    /// A server on `db` with the default settings, or `None` when PostgreSQL is unavailable.
    pub async fn spawn(db: Db) -> Option<TestApp> {
        Self::spawn_with(db, ServerConfig::default()).await
    }

    pub async fn spawn_with(db: Db, mut config: ServerConfig) -> Option<TestApp> {
        let (store, schema, dir) = match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/t.db", dir.path().display());
                (terrain_store::connect(&url).await.unwrap(), None, Some(dir))
            }
            Db::Postgres => {
                let schema = PgSchema::create().await?;
                (schema.store().await, Some(schema), None)
            }
        };
        config.bind = "127.0.0.1:0".parse().unwrap();
        let app = Application::build(store.clone(), config).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let sync_slots = app.sync_slots();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let fx = seed(&*store).await;
        let mut me = TestApp {
            base,
            store,
            fx,
            callers: Vec::new(),
            sync_slots,
            shutdown: Some(tx),
            server: Some(server),
            schema,
            _dir: dir,
        };
        me.sign_in_everyone().await;
        Some(me)
    }

    async fn sign_in_everyone(&mut self) {
        for actor in Actor::ALL {
            let caller = match actor {
                Actor::Anonymous => Caller {
                    client: client(),
                    csrf: None,
                    user: None,
                },
                Actor::Walker18 => {
                    let code = self.invite(self.fx.b1801, 1, time::Duration::days(1)).await;
                    let c = client();
                    let r = c
                        .post(self.url("/api/v1/auth/join"))
                        .json(&json!({"code": code, "display_name": "Nadia"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                    let v: Value = r.json().await.unwrap();
                    Caller {
                        client: c,
                        csrf: v["csrf_token"].as_str().map(String::from),
                        user: v["user"]["id"].as_str().map(|s| s.parse().unwrap()),
                    }
                }
                other => self.login(email_of(other)).await,
            };
            self.callers.push((actor, caller));
        }
    }

    /// Signs in with e-mail and the test password.
    pub async fn login(&self, email: &str) -> Caller {
        let c = client();
        let r = c
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login of {email}");
        let v: Value = r.json().await.unwrap();
        Caller {
            client: c,
            csrf: v["csrf_token"].as_str().map(String::from),
            user: v["user"]["id"].as_str().map(|s| s.parse().unwrap()),
        }
    }

    /// Makes an invite directly in the store and returns its code.
    pub async fn invite(
        &self,
        territory: TerritoryId,
        max_uses: u32,
        ttl: time::Duration,
    ) -> String {
        let code = secrets::invite_code();
        self.store
            .create_invite(
                &Audit::cli(),
                self.fx.campaign,
                &NewInvite {
                    code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&code)),
                    created_by: None,
                    role: Role::Walker,
                    territory_id: territory,
                    expires_at: OffsetDateTime::now_utc() + ttl,
                    max_uses,
                },
            )
            .await
            .unwrap();
        code
    }

    /// Stores 2017 first-round results for the two bureaux and a shape for bureau 18-01.
    pub async fn import_results(&self) {
        use terrain_store::{
            CandidateVotes, Counts, ElectionData, ImportBatch, NewElection, ResultRow, ShapeRow,
        };
        let row = |bureau: &str, inscrits: u64, abst: u64, left: u64, right: u64| ResultRow {
            kind: TerritoryKind::Bureau,
            area: bureau.into(),
            counts: Counts {
                inscrits,
                abstentions: abst,
                votants: inscrits - abst,
                blancs: 0,
                nuls: inscrits - abst - left - right,
                exprimes: left + right,
            },
            candidates: vec![
                CandidateVotes {
                    panel: Some(1),
                    name: "Gauche".into(),
                    nuance: None,
                    bloc: Some("left".into()),
                    votes: left,
                },
                CandidateVotes {
                    panel: Some(2),
                    name: "Droite".into(),
                    nuance: None,
                    bloc: Some("right".into()),
                    votes: right,
                },
            ],
        };
        let batch = ImportBatch {
            source: "test.csv".into(),
            elections: vec![ElectionData {
                election: NewElection { code: "2017_pres_t1".into(), kind: "presidential".into(), year: 2017, round: 1, label: "Présidentielle 2017 — 1er tour".into() },
                rows: vec![row("75056_1801", 1400, 400, 600, 380), row("75056_1901", 700, 350, 100, 240)],
            }],
            shapes: vec![ShapeRow {
                kind: TerritoryKind::Bureau,
                code: "75056_1801".into(),
                geometry: r#"{"type":"Polygon","coordinates":[[[2.34,48.89],[2.35,48.89],[2.35,48.9],[2.34,48.89]]]}"#.into(),
                bbox: [2.34, 48.89, 2.35, 48.9],
                valid: true,
            }],
            ..Default::default()
        };
        self.store
            .apply_import(&Audit::cli(), self.fx.campaign, &batch)
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn caller(&self, actor: Actor) -> &Caller {
        &self.callers.iter().find(|(a, _)| *a == actor).unwrap().1
    }

    /// Sends a request as `actor`, with the anti-CSRF token on writes.
    pub async fn send(
        &self,
        actor: Actor,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let c = self.caller(actor);
        let mut req = c.client.request(method.clone(), self.url(path));
        if method != Method::GET
            && let Some(csrf) = &c.csrf
        {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        self.schema.take().cleanup().await;
    }
}

pub fn email_of(actor: Actor) -> &'static str {
    match actor {
        Actor::Trainer18 => "trainer18@test.fr",
        Actor::Coordinator18 => "coord18@test.fr",
        Actor::Coordinator19 => "coord19@test.fr",
        Actor::Director => "director@test.fr",
        Actor::Admin => "admin@test.fr",
        Actor::Outsider => "outsider@test.fr",
        Actor::Coder18 => "coder18@test.fr",
        Actor::Anonymous | Actor::Walker18 => "",
    }
}

fn t(
    kind: TerritoryKind,
    code: &str,
    name: &str,
    parent: Option<(TerritoryKind, &str)>,
) -> NewTerritory {
    NewTerritory {
        kind,
        code: code.into(),
        name: name.into(),
        parent: parent.map(|(k, c)| (k, c.to_string())),
    }
}

async fn seed(store: &dyn Store) -> Fixture {
    use TerritoryKind::*;
    let audit = Audit::cli();
    let campaign = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse("paris").unwrap(),
                name: "Paris".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap()
        .id;
    let other_campaign = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse("lyon").unwrap(),
                name: "Lyon".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap()
        .id;
    let ts = store
        .upsert_territories(
            &audit,
            campaign,
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
                    Arrondissement,
                    "75119",
                    "Paris 19e",
                    Some((Commune, "75056")),
                ),
                t(
                    Bureau,
                    "75056_1801",
                    "Bureau 18-01",
                    Some((Arrondissement, "75118")),
                ),
                t(
                    Bureau,
                    "75056_1901",
                    "Bureau 19-01",
                    Some((Arrondissement, "75119")),
                ),
            ],
        )
        .await
        .unwrap();
    let id = |code: &str| ts.iter().find(|t| t.code == code).unwrap().id;
    let lyon = store
        .upsert_territories(
            &audit,
            other_campaign,
            &[t(Department, "69", "Rhône", None)],
        )
        .await
        .unwrap();
    let hash = secrets::hash_password(Password::new(PASSWORD))
        .await
        .unwrap();
    let members: [(Actor, Option<Role>, CampaignId, Vec<TerritoryId>); 7] = [
        (Actor::Admin, None, campaign, vec![]),
        (Actor::Director, Some(Role::Director), campaign, vec![]),
        (
            Actor::Coordinator18,
            Some(Role::Coordinator),
            campaign,
            vec![id("75118")],
        ),
        (
            Actor::Coordinator19,
            Some(Role::Coordinator),
            campaign,
            vec![id("75119")],
        ),
        (
            Actor::Trainer18,
            Some(Role::Trainer),
            campaign,
            vec![id("75118")],
        ),
        (
            Actor::Outsider,
            Some(Role::Director),
            other_campaign,
            vec![],
        ),
        (
            Actor::Coder18,
            Some(Role::Coder),
            campaign,
            vec![id("75118")],
        ),
    ];
    for (actor, role, c, territories) in members {
        let u = store
            .create_user(
                &audit,
                &NewUser {
                    email: Some(Email::parse(email_of(actor)).unwrap()),
                    display_name: format!("{actor:?}"),
                    password_hash: Some(hash.clone()),
                    is_admin: role.is_none(),
                },
            )
            .await
            .unwrap();
        if let Some(role) = role {
            store
                .add_member(
                    &audit,
                    c,
                    &NewMember {
                        user_id: u.id,
                        role,
                        territories,
                        recruited_by: None,
                        trained_by: None,
                    },
                )
                .await
                .unwrap();
        }
    }
    let _ = lyon;
    Fixture {
        campaign,
        other_campaign,
        a18: id("75118"),
        a19: id("75119"),
        b1801: id("75056_1801"),
        b1901: id("75056_1901"),
    }
}

/// Runs the async fn `$f(&TestApp)` against a fresh server on each available database.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $f:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Db::Sqlite).await.unwrap();
                $f(&app).await;
                app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = TestApp::spawn(Db::Postgres).await else {
                    return;
                };
                $f(&app).await;
                app.stop().await;
            }
        }
    };
}
