//! The contract of [`PrivacyStore`](crate::PrivacyStore), run against SQLite and PostgreSQL by
//! [`privacy_contract_suite!`](crate::privacy_contract_suite): distinctive names, e-mails and
//! phones are seeded everywhere a person can be stored, the campaign is purged, and every
//! column of every table (from the database's catalogue) is searched for them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::field::*;
use crate::privacy::*;
use crate::types::*;
use crate::volunteers::*;
use crate::{StorageError, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use terrain_model::{
    Answer, ApiTokenId, Availability, CampaignId, CommuneCode, Door, Email, NewAddress, Outcome,
    Phone, Postcode, Role, Slug, Template, TerritoryId, TerritoryKind, UserId, VolunteerId,
    VolunteerStatus,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Generates one `#[tokio::test]` per privacy contract check.
#[macro_export]
macro_rules! privacy_contract_suite {
    ($setup:expr) => {
        $crate::privacy_contract_suite!(@each $setup;
            purge_leaves_no_personal_data_and_keeps_aggregates,
            subjects_are_exported_and_erased_on_request
        );
    };
    (@each $setup:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, guard) = $setup.await;
                let Some(store) = store else { return };
                $crate::contract_privacy::$name(store).await;
                $crate::testing::Cleanup::cleanup(guard).await;
            }
        )*
    };
}

/// The strings seeded: none may survive a purge.
const SIGNUP_NAME: &str = "Zephyrine Brouillardeau";
const SIGNUP_EMAIL: &str = "Zephyrine.Brouillardeau@purge-test.fr";
const SIGNUP_PHONE: &str = "06 71 82 93 04";
const WALKER_NAME: &str = "Xaviera Quolmbrook";
const WALKER_EMAIL: &str = "xaviera.quolmbrook@purge-test.fr";
const DIRECTOR_NAME: &str = "Ulrich Vanterpoolsky";
const DIRECTOR_EMAIL: &str = "ulrich.vanterpoolsky@purge-test.fr";
const RESPONDENT_NAME: &str = "Hippolyte Marchetaudier";
const RESPONDENT_EMAIL: &str = "hippolyte.marchetaudier@purge-test.fr";
const RESPONDENT_PHONE: &str = "07 55 44 33 21";
/// Someone who also works on another campaign: their volunteer record here is anonymised,
/// their account stays.
const SHARED_NAME: &str = "Wendeline Korriganova";

fn needles() -> Vec<String> {
    [
        SIGNUP_NAME,
        SIGNUP_EMAIL,
        SIGNUP_PHONE,
        "671829304",
        WALKER_NAME,
        WALKER_EMAIL,
        DIRECTOR_NAME,
        DIRECTOR_EMAIL,
        RESPONDENT_NAME,
        RESPONDENT_EMAIL,
        RESPONDENT_PHONE,
        "755443321",
        "Brouillardeau",
        "Quolmbrook",
        "Vanterpoolsky",
        "Marchetaudier",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

struct Seeded {
    c: CampaignId,
    other: CampaignId,
    signup: VolunteerId,
    walker_volunteer: VolunteerId,
    walker: UserId,
    director: UserId,
    shared: UserId,
    response: Uuid,
    territory: TerritoryId,
}

async fn new_user(store: &dyn Store, email: Option<&str>, name: &str) -> UserId {
    store
        .create_user(
            &Audit::cli(),
            &NewUser {
                email: email.map(|e| Email::parse(e).unwrap()),
                display_name: name.into(),
                password_hash: email.map(|_| "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
                is_admin: false,
            },
        )
        .await
        .unwrap()
        .id
}

async fn join(store: &dyn Store, c: CampaignId, u: UserId, role: Role, t: TerritoryId) {
    store
        .add_member(
            &Audit::cli(),
            c,
            &NewMember {
                user_id: u,
                role,
                territories: if role == Role::Director {
                    vec![]
                } else {
                    vec![t]
                },
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap();
}

async fn campaign(store: &dyn Store, slug: &str) -> (CampaignId, TerritoryId, TerritoryId) {
    use TerritoryKind::*;
    let a = Audit::cli();
    let c = store
        .create_campaign(
            &a,
            &NewCampaign {
                slug: Slug::parse(slug).unwrap(),
                name: slug.into(),
                retention_until: Some(time::macros::date!(2020 - 01 - 31)),
            },
        )
        .await
        .unwrap()
        .id;
    let t = |kind, code: &str, name: &str, parent: Option<(TerritoryKind, &str)>| NewTerritory {
        kind,
        code: code.into(),
        name: name.into(),
        parent: parent.map(|(k, c)| (k, c.to_string())),
    };
    let ts = store
        .upsert_territories(
            &a,
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
        .await
        .unwrap();
    let a18 = ts.iter().find(|t| t.code == "75118").unwrap().id;
    let b = ts.iter().find(|t| t.code == "75056_1801").unwrap().id;
    store
        .add_postcodes(&a, c, &[(Postcode::parse("75018").unwrap(), a18)])
        .await
        .unwrap();
    (c, a18, b)
}

/// A campaign with a sign-up (in a team, a training, a sortie, with an invite and a feed), a
/// walker with an account, a token and a session who uploaded a visit and a response with
/// recontact details, a director, and a member shared with another campaign.
async fn seed(store: &dyn Store) -> Seeded {
    let (c, a18, bureau) = campaign(store, "purgee").await;
    let (other, other_a18, _) = campaign(store, "encore-active").await;
    let a = Audit::cli();
    let director = new_user(store, Some(DIRECTOR_EMAIL), DIRECTOR_NAME).await;
    join(store, c, director, Role::Director, a18).await;
    let walker = new_user(store, Some(WALKER_EMAIL), WALKER_NAME).await;
    join(store, c, walker, Role::Walker, a18).await;
    let shared = new_user(store, None, SHARED_NAME).await;
    join(store, c, shared, Role::Walker, a18).await;
    join(store, other, shared, Role::Walker, other_a18).await;
    let shared_vol = store.volunteer_of_user(c, shared).await.unwrap();
    let walker_volunteer = store.volunteer_of_user(c, walker).await.unwrap().id;
    store
        .create_api_token(
            &Audit::api(walker),
            &ApiToken {
                id: ApiTokenId(Uuid::now_v7()),
                user_id: walker,
                name: format!("Téléphone de {WALKER_NAME}"),
                created_at: OffsetDateTime::now_utc(),
                expires_at: None,
                revoked_at: None,
            },
            "hash-of-the-walker-token",
        )
        .await
        .unwrap();
    store
        .create_session(&Session {
            token_hash: "hash-of-the-walker-session".into(),
            user_id: walker,
            csrf_token: "csrf".into(),
            created_at: OffsetDateTime::now_utc(),
            expires_at: OffsetDateTime::now_utc() + Duration::days(1),
        })
        .await
        .unwrap();

    let signup = store
        .sign_up(
            &a,
            c,
            &NewSignup {
                display_name: SIGNUP_NAME.into(),
                email: Some(Email::parse(SIGNUP_EMAIL).unwrap()),
                phone: Some(Phone::parse(SIGNUP_PHONE).unwrap()),
                postcode: Postcode::parse("75018").unwrap(),
                availability: Availability::from_slots(&["saturday_morning"]).unwrap(),
                consent_contact: true,
            },
        )
        .await
        .unwrap()
        .id;
    let invite = store
        .create_invite(
            &Audit::api(director),
            c,
            &NewInvite {
                code_hash: "hash-of-an-invite".into(),
                created_by: Some(director),
                role: Role::Walker,
                territory_id: a18,
                expires_at: OffsetDateTime::now_utc() + Duration::days(7),
                max_uses: 1,
            },
        )
        .await
        .unwrap();
    store.tie_invite(&a, c, invite.id, signup).await.unwrap();
    store
        .create_feed(&a, c, FeedOwner::Volunteer(signup), "hash-of-a-feed")
        .await
        .unwrap();
    let team = store
        .create_team(
            &a,
            c,
            &NewTeam {
                name: "Équipe du samedi".into(),
                territory_id: a18,
                members: vec![signup, walker_volunteer, shared_vol.id],
            },
        )
        .await
        .unwrap();
    let soon = (OffsetDateTime::now_utc().date() + Duration::days(3))
        .with_hms(9, 0, 0)
        .unwrap()
        .assume_utc();
    let training = store
        .create_training(
            &a,
            c,
            &NewTraining {
                title: "Formation porte-à-porte".into(),
                territory_id: a18,
                starts_at: soon - Duration::days(1),
                ends_at: soon - Duration::days(1) + Duration::hours(2),
                place: Some("Local".into()),
                video_url: None,
                capacity: 10,
                programme: vec!["accroche".into()],
                trainer_id: Some(director),
            },
        )
        .await
        .unwrap();
    store.register(&a, c, training.id, signup).await.unwrap();
    store
        .create_sortie(
            &a,
            c,
            &NewSortie {
                title: "Samedi matin".into(),
                territory_id: a18,
                starts_at: soon,
                ends_at: soon + Duration::hours(3),
                meeting_point: "Métro Marcadet".into(),
                meeting_lonlat: None,
                areas: vec![bureau],
                team_id: Some(team.id),
                open_signup: true,
                min_per_area: 1,
                notes: Some(format!("Appeler {SIGNUP_NAME} au {SIGNUP_PHONE}")),
            },
        )
        .await
        .unwrap();

    // Field work: a visit (located) and a response with recontact details.
    let addr = store
        .add_addresses(
            &a,
            c,
            &[NewAddress {
                ban_id: Some("75118_purge_00001".into()),
                number: Some("1".into()),
                rep: None,
                street: "Rue Ordener".into(),
                postcode: Some("75018".into()),
                commune: CommuneCode::parse("75118").unwrap(),
                lon: 2.34,
                lat: 48.89,
                bureau_id: Some(bureau),
                iris_id: None,
                doors_estimated: 4,
            }],
        )
        .await
        .unwrap()[0];
    let building = store.buildings(c, addr).await.unwrap()[0].id;
    let q = store
        .create_questionnaire(
            &a,
            c,
            "Enquête",
            &Template::GrandeMarche2016.questionnaire(),
        )
        .await
        .unwrap();
    let version = store.publish_draft(&a, c, q.id).await.unwrap().id;
    let answers: BTreeMap<String, Answer> = [
        ("consentement".to_string(), Answer::Flag(true)),
        ("recontact".to_string(), Answer::Flag(true)),
    ]
    .into_iter()
    .collect();
    let acks = store
        .apply_sync(
            &Audit::api(walker),
            c,
            walker,
            &Scope::Campaign,
            &SyncBatch {
                device_id: Uuid::now_v7(),
                records: vec![
                    FieldRecord {
                        id: Uuid::now_v7(),
                        at: OffsetDateTime::now_utc(),
                        body: RecordBody::Visit(NewVisit {
                            address_id: addr,
                            building_id: building,
                            door: Some(Door::Number(1)),
                            outcome: Outcome::QuestionnaireDone,
                            turf_id: None,
                            position: Some([2.3401, 48.8901]),
                        }),
                    },
                    FieldRecord {
                        id: Uuid::now_v7(),
                        at: OffsetDateTime::now_utc(),
                        body: RecordBody::Response(NewResponse {
                            version_id: version,
                            address_id: addr,
                            answers,
                            contact: Some(Contact {
                                name: RESPONDENT_NAME.into(),
                                phone: Some(RESPONDENT_PHONE.into()),
                                email: Some(RESPONDENT_EMAIL.into()),
                            }),
                        }),
                    },
                ],
            },
        )
        .await
        .unwrap();
    assert!(
        acks.iter().all(|a| a.ack == Ack::Stored),
        "seeding: {acks:?}"
    );
    let response = store.recontacts(c).await.unwrap()[0].response_id;
    Seeded {
        c,
        other,
        signup,
        walker_volunteer,
        walker,
        director,
        shared,
        response,
        territory: a18,
    }
}

async fn total_volunteers(store: &dyn Store, c: CampaignId) -> u64 {
    store
        .funnel_counts(c, &Scope::Campaign)
        .await
        .unwrap()
        .iter()
        .map(|f| f.count)
        .sum()
}

pub async fn purge_leaves_no_personal_data_and_keeps_aggregates(store: Arc<dyn Store>) {
    let s = seed(&*store).await;
    let needles = needles();
    // The scan finds what was seeded, where it was seeded (it can fail).
    let before = store.find_text(&needles).await.unwrap();
    let tables: std::collections::BTreeSet<&str> =
        before.iter().map(|h| h.table.as_str()).collect();
    for t in [
        "volunteers",
        "users",
        "recontacts",
        "api_tokens",
        "sorties",
        "audit_log",
    ] {
        assert!(
            tables.contains(t),
            "seeded strings not found in {t}: {before:?}"
        );
    }
    let progress = store.field_progress(s.c, &Scope::Campaign).await.unwrap();
    let volunteers = total_volunteers(&*store, s.c).await;
    assert_eq!(
        (progress.visits, progress.responses, progress.recontacts),
        (1, 1, 1)
    );

    // A dry run counts and changes nothing.
    let dry = store
        .purge_campaign(&Audit::cli(), s.c, PurgeReason::Manual, true)
        .await
        .unwrap();
    assert!(
        dry.volunteers >= 3 && dry.accounts == 2 && dry.recontacts == 1,
        "{dry:?}"
    );
    assert_eq!(store.find_text(&needles).await.unwrap(), before);
    assert!(store.purges(s.c).await.unwrap().is_empty());

    let done = store
        .purge_campaign(&Audit::cli(), s.c, PurgeReason::Retention, false)
        .await
        .unwrap();
    assert_eq!(done, dry, "the dry run announced what the purge did");
    let left = store.find_text(&needles).await.unwrap();
    assert!(
        left.is_empty(),
        "personal data left after the purge: {left:?}"
    );

    // Aggregates still answer.
    let after = store.field_progress(s.c, &Scope::Campaign).await.unwrap();
    assert_eq!(
        (
            after.visits,
            after.responses,
            after.walkers,
            after.recontacts
        ),
        (1, 1, progress.walkers, 0)
    );
    assert_eq!(total_volunteers(&*store, s.c).await, volunteers);
    let v = store.volunteer(s.c, s.signup).await.unwrap();
    assert_eq!(v.display_name, ERASED_NAME);
    assert_eq!((v.email, v.phone, v.postcode), (None, None, None));
    assert_eq!(v.status, VolunteerStatus::SignedUp);
    // Accounts: closed unless the person works on another campaign.
    let w = store.user(s.walker).await.unwrap();
    assert!(w.disabled && w.email.is_none());
    assert!(store.api_tokens(s.walker).await.unwrap().is_empty());
    assert!(
        store
            .session("hash-of-the-walker-session")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.user(s.director).await.unwrap().disabled);
    let shared = store.user(s.shared).await.unwrap();
    assert!(!shared.disabled && shared.display_name == SHARED_NAME);
    assert!(store.member(s.other, s.shared).await.is_ok());
    // Audit lines keep ids.
    let log = store.audit_log(s.c, 500, None).await.unwrap();
    assert!(log.iter().any(|e| e.target == s.signup.to_string()));
    assert_eq!(log[0].action, "privacy.purge");
    let purges = store.purges(s.c).await.unwrap();
    assert_eq!(purges.len(), 1);
    assert_eq!(
        (purges[0].reason, &purges[0].counts),
        (PurgeReason::Retention, &done)
    );
    // Nothing more to do the second time.
    let again = store
        .purge_campaign(&Audit::cli(), s.c, PurgeReason::Retention, false)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    // The other campaign is untouched.
    assert_eq!(
        store
            .volunteer_of_user(s.other, s.shared)
            .await
            .unwrap()
            .display_name,
        SHARED_NAME
    );
    let _ = (s.walker_volunteer, s.territory);
}

pub async fn subjects_are_exported_and_erased_on_request(store: Arc<dyn Store>) {
    let s = seed(&*store).await;
    let a = Audit::api(s.director);
    let e = store.export_volunteer(&a, s.c, s.signup).await.unwrap();
    let text = serde_json::to_string(&e).unwrap().to_lowercase();
    for part in [
        SIGNUP_NAME,
        SIGNUP_EMAIL,
        "Équipe du samedi",
        "Formation porte-à-porte",
        "Samedi matin",
    ] {
        assert!(
            text.contains(&part.to_lowercase()),
            "{part} missing from the export: {text}"
        );
    }
    let w = store
        .export_volunteer(&a, s.c, s.walker_volunteer)
        .await
        .unwrap();
    assert_eq!(w["account"]["email"], WALKER_EMAIL);
    let r = store.export_respondent(&a, s.c, s.response).await.unwrap();
    assert_eq!(r["contact"]["name"], RESPONDENT_NAME);
    assert_eq!(
        r["response"]["answers"]["recontact"],
        serde_json::json!(true)
    );
    let missing = store
        .export_respondent(&a, s.c, Uuid::now_v7())
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StorageError::NotFound { .. }),
        "{missing}"
    );

    // Erasure: the sign-up and the walker go, the director stays.
    store.erase_volunteer(&a, s.c, s.signup).await.unwrap();
    let counts = store
        .erase_volunteer(&a, s.c, s.walker_volunteer)
        .await
        .unwrap();
    assert_eq!(counts.accounts, 1, "{counts:?}");
    store.erase_respondent(&a, s.c, s.response).await.unwrap();
    assert!(matches!(
        store
            .erase_respondent(&a, s.c, s.response)
            .await
            .unwrap_err(),
        StorageError::NotFound { .. }
    ));
    let left = store.find_text(&needles()).await.unwrap();
    assert!(
        left.iter().all(|h| h.needle.contains("anterpoolsky")),
        "only the director's data may remain: {left:?}"
    );
    let log = store.audit_log(s.c, 500, None).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .filter(|l| l.action.starts_with("privacy."))
        .map(|l| (l.action.as_str(), l.target.as_str()))
        .collect();
    let (sv, rv) = (s.signup.to_string(), s.response.to_string());
    assert!(actions.contains(&("privacy.export", sv.as_str())));
    assert!(actions.contains(&("privacy.erase", sv.as_str())));
    assert!(actions.contains(&("privacy.erase", rv.as_str())));
    let p = store.field_progress(s.c, &Scope::Campaign).await.unwrap();
    assert_eq!((p.responses, p.recontacts, p.visits), (0, 0, 1));
}
