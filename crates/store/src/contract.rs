//! The contract every [`Store`] backend must honour, written once and run against SQLite and
//! PostgreSQL by [`contract_suite!`](crate::contract_suite). A new store method gets its check
//! here, so both backends are held to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::electoral::*;
use crate::survey::*;
use crate::types::*;
use crate::{StorageError, Store};
use std::sync::Arc;
use terrain_model::{
    CampaignId, CommuneCode, Email, NewAddress, Role, Slug, Territory, TerritoryId, TerritoryKind,
    UserId,
};
use time::{Duration, OffsetDateTime};

mod volunteers;
pub use volunteers::*;
mod turfs;
pub use turfs::*;

/// Generates one `#[tokio::test]` per contract check. `$setup` is an async block returning
/// `(Option<Arc<dyn Store>>, guard)`; `None` means the backend is unavailable and was reported
/// as skipped; the guard's `cleanup` runs after a passing check.
#[macro_export]
macro_rules! contract_suite {
    ($setup:expr) => {
        $crate::contract_suite!(@each $setup;
            campaigns_round_trip,
            territory_tree_is_built_and_queried,
            territory_batches_are_atomic,
            campaigns_are_isolated,
            addresses_buildings_and_doors,
            users_and_credentials,
            memberships_and_scopes,
            sessions_expire,
            api_tokens_are_revocable,
            invites_are_redeemed_once_each,
            invites_expire,
            concurrent_redeems_of_the_last_use,
            every_write_is_audited,
            imports_store_results_census_and_shapes,
            failed_imports_leave_nothing,
            experiments_are_recorded,
            survey_plans_are_recorded_and_accepted,
            // volunteers, trainings and sorties (contract/volunteers.rs)
            signups_are_placed_by_postcode_and_duplicates_kept,
            members_are_volunteers_and_the_funnel_counts_them,
            trainings_fill_up_and_validate_skills,
            concurrent_registrations_for_the_last_seat,
            sorties_check_training_overlaps_and_coverage,
            feeds_tallies_and_the_leaderboard_switch,
            // turfs and walk routes (contract/turfs.rs)
            turfs_are_cut_stored_and_read_back,
            stale_and_locked_turf_changes_are_refused,
            turfs_are_handed_out_once,
            visited_stops_stay_and_emptied_turfs_go,
            street_networks_are_stored_and_replaced
        );
    };
    (@each $setup:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, guard) = $setup.await;
                let Some(store) = store else { return };
                $crate::contract::$name(store).await;
                $crate::testing::Cleanup::cleanup(guard).await;
            }
        )*
    };
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

async fn campaign(store: &dyn Store, s: &str) -> terrain_model::Campaign {
    store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: slug(s),
                name: format!("Campagne {s}"),
                retention_until: None,
            },
        )
        .await
        .unwrap()
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

/// Paris: department, city, arrondissements 1, 10, 18, 19, two bureaux and an IRIS of the 18th.
fn paris() -> Vec<NewTerritory> {
    use TerritoryKind::*;
    vec![
        t(Department, "75", "Paris", None),
        t(Commune, "75056", "Paris", Some((Department, "75"))),
        t(
            Arrondissement,
            "75101",
            "Paris 1er",
            Some((Commune, "75056")),
        ),
        t(
            Arrondissement,
            "75110",
            "Paris 10e",
            Some((Commune, "75056")),
        ),
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
            "75056_1802",
            "Bureau 18-02",
            Some((Arrondissement, "75118")),
        ),
        t(
            Bureau,
            "75056_1901",
            "Bureau 19-01",
            Some((Arrondissement, "75119")),
        ),
        t(
            Iris,
            "751186901",
            "Grandes Carrières 1",
            Some((Arrondissement, "75118")),
        ),
    ]
}

async fn seeded(store: &dyn Store, s: &str) -> (CampaignId, Vec<Territory>) {
    let c = campaign(store, s).await;
    let ts = store
        .upsert_territories(&Audit::cli(), c.id, &paris())
        .await
        .unwrap();
    (c.id, ts)
}

fn find<'a>(ts: &'a [Territory], code: &str) -> &'a Territory {
    ts.iter().find(|t| t.code == code).unwrap()
}

async fn user(store: &dyn Store, email: Option<&str>, name: &str) -> User {
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
}

fn address(code: &str, number: &str, street: &str, bureau: Option<TerritoryId>) -> NewAddress {
    NewAddress {
        ban_id: Some(format!("{code}_test_{number:0>5}")),
        number: Some(number.into()),
        rep: None,
        street: street.into(),
        postcode: Some("75018".into()),
        commune: CommuneCode::parse(code).unwrap(),
        lon: 2.3447,
        lat: 48.8924,
        bureau_id: bureau,
        iris_id: None,
        doors_estimated: 12,
    }
}

pub async fn campaigns_round_trip(store: Arc<dyn Store>) {
    let store = &*store;
    store.ping().await.unwrap();
    let c = campaign(store, "paris-2027").await;
    assert_eq!(store.campaign(c.id).await.unwrap(), c);
    assert_eq!(
        store.campaign_by_slug(&slug("paris-2027")).await.unwrap(),
        c
    );
    let dup = store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: slug("paris-2027"),
                name: "Autre".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            dup,
            StorageError::Conflict {
                what: "campaign",
                ..
            }
        ),
        "{dup}"
    );
    let empty = store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: slug("vide"),
                name: "  ".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(empty, StorageError::Invalid { .. }), "{empty}");
    let retained = store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: slug("lyon-2026"),
                name: "Lyon".into(),
                retention_until: Some(time::macros::date!(2027 - 06 - 30)),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.campaign(retained.id).await.unwrap().retention_until,
        Some(time::macros::date!(2027 - 06 - 30))
    );
    let all = store.campaigns().await.unwrap();
    assert_eq!(all.len(), 2);
    let missing = store.campaign(CampaignId::new()).await.unwrap_err();
    assert!(matches!(
        missing,
        StorageError::NotFound {
            what: "campaign",
            ..
        }
    ));
}

pub async fn territory_tree_is_built_and_queried(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "tree").await;
    assert_eq!(ts.len(), 10);
    let a18 = find(&ts, "75118");
    assert_eq!(
        a18.path.as_str(),
        "/department:75/commune:75056/arrondissement:75118"
    );
    // Re-sending the same batch changes nothing but names; ids are stable.
    let mut again = paris();
    again[4].name = "Paris 18e Arrondissement".into();
    let ts2 = store
        .upsert_territories(&Audit::cli(), c, &again)
        .await
        .unwrap();
    assert_eq!(find(&ts2, "75118").id, a18.id);
    assert_eq!(
        store.territory(c, a18.id).await.unwrap().name,
        "Paris 18e Arrondissement"
    );
    // Codes are normalised on the way in and on lookup.
    let b = store
        .upsert_territories(
            &Audit::cli(),
            c,
            &[t(
                TerritoryKind::Bureau,
                "75056_1803",
                "Bureau 18-03",
                Some((TerritoryKind::Arrondissement, "75118")),
            )],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .territory_by_code(c, TerritoryKind::Bureau, "75056-1803")
            .await
            .unwrap()
            .id,
        b[0].id
    );

    let roots = store
        .territories(
            c,
            &TerritoryQuery {
                roots_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].code, "75");
    let children = store
        .territories(
            c,
            &TerritoryQuery {
                parent: Some(a18.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let codes: Vec<_> = children.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(
        codes,
        ["75056_1801", "75056_1802", "75056_1803", "751186901"]
    );
    let bureaux = store
        .territories(
            c,
            &TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bureaux.len(), 4);
    // Scope: the 18th sees its own bureaux, not the 19th's; 75101 does not contain 75110.
    let in18 = store
        .territories(
            c,
            &TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                within: Some(vec![a18.path.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(in18.iter().all(|t| t.code.starts_with("75056_18")));
    assert_eq!(in18.len(), 3);
    let a1 = find(&ts, "75101");
    let in1 = store
        .territories(
            c,
            &TerritoryQuery {
                within: Some(vec![a1.path.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(in1.len(), 1, "75101 must not contain 75110: {in1:?}");
    let none = store
        .territories(
            c,
            &TerritoryQuery {
                within: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let search = store
        .territories(
            c,
            &TerritoryQuery {
                search: Some("carrières".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(search.len(), 1);
    // Wildcards in the search are taken literally.
    for literal in ["%", "_", "\\"] {
        let none = store
            .territories(
                c,
                &TerritoryQuery {
                    search: Some(literal.into()),
                    kind: Some(TerritoryKind::Arrondissement),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(none.is_empty(), "{literal:?} matched {none:?}");
    }
    let paged = store
        .territories(
            c,
            &TerritoryQuery {
                limit: 2,
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(paged.len(), 2);

    let counts = store
        .child_counts(
            c,
            &[a18.id, find(&ts, "75056").id, find(&ts, "75056_1801").id],
        )
        .await
        .unwrap();
    let count = |id| {
        counts
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert_eq!(count(a18.id), 4);
    assert_eq!(count(find(&ts, "75056").id), 4);
    assert_eq!(count(find(&ts, "75056_1801").id), 0);
    assert!(store.child_counts(c, &[]).await.unwrap().is_empty());
}

pub async fn territory_batches_are_atomic(store: Arc<dyn Store>) {
    let store = &*store;
    let c = campaign(store, "atomic").await.id;
    use TerritoryKind::*;
    // A bureau directly under a department is refused, and the valid items before it are not kept.
    let bad = vec![
        t(Department, "69", "Rhône", None),
        t(Commune, "69001", "Affoux", Some((Department, "69"))),
        t(Bureau, "69001_0001", "Bureau 1", Some((Department, "69"))),
    ];
    let err = store
        .upsert_territories(&Audit::cli(), c, &bad)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("69001_0001"), "{err}");
    let all = store
        .territories(c, &TerritoryQuery::default())
        .await
        .unwrap();
    assert!(all.is_empty(), "a failed batch left {all:?}");
    // A missing parent, an invalid code, an empty name.
    for item in [
        t(Commune, "69001", "Affoux", Some((Department, "01"))),
        t(Commune, "690", "Affoux", None),
        t(Department, "69", " ", None),
    ] {
        let err = store
            .upsert_territories(&Audit::cli(), c, &[item])
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    }
    // Moving a node under another parent is refused rather than silently corrupting paths.
    store
        .upsert_territories(
            &Audit::cli(),
            c,
            &[
                t(Department, "69", "Rhône", None),
                t(Department, "01", "Ain", None),
                t(Commune, "69001", "Affoux", Some((Department, "69"))),
            ],
        )
        .await
        .unwrap();
    let err = store
        .upsert_territories(
            &Audit::cli(),
            c,
            &[t(Commune, "69001", "Affoux", Some((Department, "01")))],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another parent"), "{err}");
}

pub async fn campaigns_are_isolated(store: Arc<dyn Store>) {
    let store = &*store;
    let (a, ts_a) = seeded(store, "iso-a").await;
    let (b, ts_b) = seeded(store, "iso-b").await;
    assert_ne!(find(&ts_a, "75118").id, find(&ts_b, "75118").id);
    let err = store
        .territory(b, find(&ts_a, "75118").id)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }));
    assert_eq!(
        store
            .territories(a, &TerritoryQuery::default())
            .await
            .unwrap()
            .len(),
        10
    );
    // A membership cannot point at another campaign's territory.
    let u = user(store, Some("iso@exemple.fr"), "Iso").await;
    let err = store
        .add_member(
            &Audit::cli(),
            b,
            &NewMember {
                user_id: u.id,
                role: Role::Coordinator,
                territories: vec![find(&ts_a, "75118").id],
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotFound {
                what: "territory",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        store.member(b, u.id).await.is_err(),
        "failed membership was kept"
    );
}

pub async fn addresses_buildings_and_doors(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "addr").await;
    let b1801 = find(&ts, "75056_1801").id;
    let b1901 = find(&ts, "75056_1901").id;
    let items = vec![
        address("75118", "10", "Rue Ordener", Some(b1801)),
        address("75118", "2", "Rue Ordener", Some(b1801)),
        address("75118", "1", "Rue Championnet", Some(b1801)),
        address("75119", "5", "Rue de Crimée", Some(b1901)),
    ];
    let ids = store.add_addresses(&Audit::cli(), c, &items).await.unwrap();
    assert_eq!(ids.len(), 4);
    // Re-import: same ids, nothing duplicated.
    let again = store.add_addresses(&Audit::cli(), c, &items).await.unwrap();
    assert_eq!(again, ids);
    let a18 = find(&ts, "75118");
    let in18 = store.addresses_within(c, &a18.path, 100, 0).await.unwrap();
    let labels: Vec<_> = in18.iter().map(|a| a.label()).collect();
    assert_eq!(
        labels,
        ["1 Rue Championnet", "2 Rue Ordener", "10 Rue Ordener"]
    );
    let in_bureau = store
        .addresses_within(c, &find(&ts, "75056_1901").path, 100, 0)
        .await
        .unwrap();
    assert_eq!(in_bureau.len(), 1);
    assert_eq!(store.address(c, ids[0]).await.unwrap().fields, items[0]);

    let buildings = store.buildings(c, ids[0]).await.unwrap();
    assert_eq!(buildings.len(), 1);
    assert_eq!(buildings[0].doors, 12);
    let u = store
        .add_unit(&Audit::cli(), c, buildings[0].id, Some(3), "Porte gauche")
        .await
        .unwrap();
    let units = store.units(c, buildings[0].id).await.unwrap();
    assert_eq!(units, vec![u]);
    let err = store
        .add_unit(
            &Audit::cli(),
            c,
            terrain_model::BuildingId::new(),
            None,
            "x",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotFound {
                what: "building",
                ..
            }
        ),
        "{err}"
    );

    let mut bad = address("75118", "3", "Rue Ordener", Some(b1801));
    bad.lon = f64::NAN;
    let err = store
        .add_addresses(&Audit::cli(), c, &[items[0].clone(), bad])
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::Invalid {
            what: "address",
            ..
        }
    ));
    let mut foreign = address("75118", "4", "Rue Ordener", Some(TerritoryId::new()));
    foreign.ban_id = Some("75118_x_00004".into());
    let err = store
        .add_addresses(&Audit::cli(), c, &[foreign])
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    assert_eq!(
        store
            .addresses_within(c, &a18.path, 100, 0)
            .await
            .unwrap()
            .len(),
        3
    );
}

pub async fn users_and_credentials(store: Arc<dyn Store>) {
    let store = &*store;
    let u = user(store, Some("Anne.Martin@Exemple.fr"), "Anne Martin").await;
    assert_eq!(u.email.as_ref().unwrap().as_str(), "anne.martin@exemple.fr");
    let creds = store
        .credentials_by_email(&Email::parse("ANNE.MARTIN@exemple.fr").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.user, u);
    assert!(creds.password_hash.is_some());
    assert!(
        !format!("{creds:?}").contains("argon2"),
        "hash in Debug output"
    );
    let dup = store
        .create_user(
            &Audit::cli(),
            &NewUser {
                email: Some(Email::parse("anne.martin@exemple.fr").unwrap()),
                display_name: "Autre".into(),
                password_hash: None,
                is_admin: false,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(dup, StorageError::Conflict { what: "user", .. }),
        "{dup}"
    );
    // Walkers may have no e-mail, and several of them at that.
    user(store, None, "Marcheur 1").await;
    user(store, None, "Marcheur 2").await;
    store
        .set_password(&Audit::cli(), u.id, "new-hash")
        .await
        .unwrap();
    let creds = store
        .credentials_by_email(u.email.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.password_hash.as_deref(), Some("new-hash"));
    assert!(
        store
            .set_password(&Audit::cli(), UserId::new(), "x")
            .await
            .is_err()
    );
    assert_eq!(store.users().await.unwrap().len(), 3);
    assert!(
        store
            .credentials_by_email(&Email::parse("nobody@exemple.fr").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn memberships_and_scopes(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "members").await;
    let a18 = find(&ts, "75118");
    let a19 = find(&ts, "75119");
    let director = user(store, Some("dir@exemple.fr"), "Directrice").await;
    let coord18 = user(store, Some("c18@exemple.fr"), "Coord 18").await;
    let coord19 = user(store, Some("c19@exemple.fr"), "Coord 19").await;
    let walker = user(store, None, "Marcheur").await;
    let add = |u: UserId, role, territories: Vec<TerritoryId>, by: Option<UserId>| NewMember {
        user_id: u,
        role,
        territories,
        recruited_by: by,
        trained_by: by,
    };
    store
        .add_member(
            &Audit::cli(),
            c,
            &add(director.id, Role::Director, vec![], None),
        )
        .await
        .unwrap();
    let m18 = store
        .add_member(
            &Audit::cli(),
            c,
            &add(
                coord18.id,
                Role::Coordinator,
                vec![a18.id],
                Some(director.id),
            ),
        )
        .await
        .unwrap();
    assert_eq!(m18.territories.len(), 1);
    assert_eq!(m18.territories[0].path, a18.path);
    assert_eq!(m18.recruited_by, Some(director.id));
    store
        .add_member(
            &Audit::cli(),
            c,
            &add(
                coord19.id,
                Role::Coordinator,
                vec![a19.id],
                Some(director.id),
            ),
        )
        .await
        .unwrap();
    store
        .add_member(
            &Audit::cli(),
            c,
            &add(
                walker.id,
                Role::Walker,
                vec![find(&ts, "75056_1801").id],
                Some(coord18.id),
            ),
        )
        .await
        .unwrap();
    let dup = store
        .add_member(
            &Audit::cli(),
            c,
            &add(walker.id, Role::Walker, vec![a18.id], None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            dup,
            StorageError::Conflict {
                what: "membership",
                ..
            }
        ),
        "{dup}"
    );
    for bad in [
        add(
            user(store, None, "x").await.id,
            Role::Coordinator,
            vec![],
            None,
        ),
        add(user(store, None, "y").await.id, Role::Admin, vec![], None),
    ] {
        let err = store.add_member(&Audit::cli(), c, &bad).await.unwrap_err();
        assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    }

    let all = store.members(c, &Scope::Campaign).await.unwrap();
    assert_eq!(all.len(), 4);
    let seen18: Vec<_> = store
        .members(c, &Scope::Within(vec![a18.path.clone()]))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user.display_name)
        .collect();
    assert_eq!(seen18, ["Coord 18", "Marcheur"]);
    let mine = store.memberships_of(coord18.id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0.id, c);
    assert_eq!(mine[0].1.role, Role::Coordinator);
    let w = store.member(c, walker.id).await.unwrap();
    assert_eq!(w.recruited_by, Some(coord18.id));
    assert!(matches!(
        store.member(c, UserId::new()).await.unwrap_err(),
        StorageError::NotFound { what: "member", .. }
    ));
    // A coder (issue 9): scoped to territories like a coordinator, read back as one.
    let coder = user(store, Some("codeur@exemple.fr"), "Codeur").await;
    let m = store
        .add_member(
            &Audit::cli(),
            c,
            &add(
                coder.id,
                Role::Coder,
                vec![a18.id, a19.id],
                Some(director.id),
            ),
        )
        .await
        .unwrap();
    assert_eq!(m.role, Role::Coder);
    let back = store.member(c, coder.id).await.unwrap();
    assert_eq!(back.role, Role::Coder);
    let mut paths: Vec<_> = back.territories.iter().map(|t| t.path.clone()).collect();
    paths.sort();
    let mut want = vec![a18.path.clone(), a19.path.clone()];
    want.sort();
    assert_eq!(paths, want);
    let no_territory = add(user(store, None, "z").await.id, Role::Coder, vec![], None);
    let err = store
        .add_member(&Audit::cli(), c, &no_territory)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
}

/// Members made before the coder role's migration (0012), to check after it.
pub struct BeforeCoderRole {
    campaign: CampaignId,
    /// Each member: user, role, territories' paths (sorted).
    members: Vec<(UserId, Role, Vec<terrain_model::TerritoryPath>)>,
}

/// Fills a database migrated up to just before the coder role (0012) with members of every
/// campaign role, most with territories. SQLite rebuilds the memberships table in that
/// migration: [`check_after_coder_role`] checks nothing was lost.
pub async fn populate_before_coder_role(store: &dyn Store) -> BeforeCoderRole {
    let (c, ts) = seeded(store, "avant-codeurs").await;
    let a18 = find(&ts, "75118").id;
    let a19 = find(&ts, "75119").id;
    let b = find(&ts, "75056_1801").id;
    let mut members = Vec::new();
    for (i, (role, territories)) in [
        (Role::Director, vec![]),
        (Role::Coordinator, vec![a18, a19]),
        (Role::Trainer, vec![a18]),
        (Role::Walker, vec![b]),
        (Role::Walker, vec![a19, b]),
    ]
    .into_iter()
    .enumerate()
    {
        let u = user(store, None, &format!("Membre {i}")).await;
        let m = store
            .add_member(
                &Audit::cli(),
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
        let mut paths: Vec<_> = m.territories.iter().map(|t| t.path.clone()).collect();
        paths.sort();
        members.push((u.id, role, paths));
    }
    BeforeCoderRole {
        campaign: c,
        members,
    }
}

/// After the coder role's migration: every member made before keeps its role and territories,
/// and a coder with territories can be added and read back.
pub async fn check_after_coder_role(store: &dyn Store, before: BeforeCoderRole) {
    let c = before.campaign;
    for (u, role, paths) in &before.members {
        let m = store.member(c, *u).await.unwrap();
        assert_eq!(m.role, *role);
        let mut got: Vec<_> = m.territories.iter().map(|t| t.path.clone()).collect();
        got.sort();
        assert_eq!(&got, paths, "territories of a {role} after the migration");
    }
    assert_eq!(
        store.members(c, &Scope::Campaign).await.unwrap().len(),
        before.members.len()
    );
    let ts = store
        .territories(c, &TerritoryQuery::default())
        .await
        .unwrap();
    let coder = user(store, None, "Codeuse").await;
    let m = store
        .add_member(
            &Audit::cli(),
            c,
            &NewMember {
                user_id: coder.id,
                role: Role::Coder,
                territories: vec![find(&ts, "75118").id],
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(m.role, Role::Coder);
    assert_eq!(m.territories.len(), 1);
    assert_eq!(store.member(c, coder.id).await.unwrap().role, Role::Coder);
}

pub async fn sessions_expire(store: Arc<dyn Store>) {
    let store = &*store;
    let u = user(store, Some("s@exemple.fr"), "S").await;
    let now = OffsetDateTime::now_utc();
    let live = Session {
        token_hash: "live".into(),
        user_id: u.id,
        csrf_token: "csrf1".into(),
        created_at: now,
        expires_at: now + Duration::hours(12),
    };
    let old = Session {
        token_hash: "old".into(),
        expires_at: now - Duration::minutes(1),
        ..live.clone()
    };
    store.create_session(&live).await.unwrap();
    store.create_session(&old).await.unwrap();
    let got = store.session("live").await.unwrap().unwrap();
    assert_eq!(got.user_id, u.id);
    assert_eq!(got.csrf_token, "csrf1");
    assert_eq!(store.purge_sessions(now).await.unwrap(), 1);
    assert!(store.session("old").await.unwrap().is_none());
    store.delete_session("live").await.unwrap();
    assert!(store.session("live").await.unwrap().is_none());
}

pub async fn api_tokens_are_revocable(store: Arc<dyn Store>) {
    let store = &*store;
    let u = user(store, Some("t@exemple.fr"), "T").await;
    let other = user(store, Some("o@exemple.fr"), "O").await;
    let tok = ApiToken {
        id: terrain_model::ApiTokenId::new(),
        user_id: u.id,
        name: "import script".into(),
        created_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        expires_at: None,
        revoked_at: None,
    };
    store
        .create_api_token(&Audit::api(u.id), &tok, "hash-1")
        .await
        .unwrap();
    assert_eq!(
        store.api_token_by_hash("hash-1").await.unwrap().unwrap(),
        tok
    );
    assert_eq!(store.api_tokens(u.id).await.unwrap(), vec![tok.clone()]);
    let err = store
        .revoke_api_token(
            &Audit::api(other.id),
            other.id,
            tok.id,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::NotFound { .. }),
        "another user revoked a token"
    );
    store
        .revoke_api_token(&Audit::api(u.id), u.id, tok.id, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(
        store
            .api_token_by_hash("hash-1")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(
        store
            .revoke_api_token(&Audit::api(u.id), u.id, tok.id, OffsetDateTime::now_utc())
            .await
            .is_err()
    );
}

async fn invite(
    store: &dyn Store,
    c: CampaignId,
    territory: TerritoryId,
    by: UserId,
    hash: &str,
    max_uses: u32,
    ttl: Duration,
) -> Invite {
    store
        .create_invite(
            &Audit::api(by),
            c,
            &NewInvite {
                code_hash: hash.into(),
                created_by: Some(by),
                role: Role::Walker,
                territory_id: territory,
                expires_at: OffsetDateTime::now_utc() + ttl,
                max_uses,
            },
        )
        .await
        .unwrap()
}

pub async fn invites_are_redeemed_once_each(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "invites").await;
    let coord = user(store, Some("coord@exemple.fr"), "Coord").await;
    let b1801 = find(&ts, "75056_1801");
    let inv = invite(store, c, b1801.id, coord.id, "code-a", 2, Duration::days(3)).await;
    assert_eq!(inv.uses, 0);
    invite(
        store,
        c,
        find(&ts, "75056_1901").id,
        coord.id,
        "code-b",
        1,
        Duration::days(3),
    )
    .await;
    let in18 = store
        .invites(c, &Scope::Within(vec![find(&ts, "75118").path.clone()]))
        .await
        .unwrap();
    assert_eq!(in18.len(), 1);
    assert_eq!(store.invites(c, &Scope::Campaign).await.unwrap().len(), 2);

    let now = OffsetDateTime::now_utc();
    let (camp, m1) = store.redeem_invite("code-a", "Léa", now).await.unwrap();
    assert_eq!(camp.id, c);
    assert_eq!(m1.role, Role::Walker);
    assert_eq!(m1.recruited_by, Some(coord.id));
    assert_eq!(m1.territories[0].id, b1801.id);
    assert!(m1.user.email.is_none());
    store.redeem_invite("code-a", "Malik", now).await.unwrap();
    let used = store
        .redeem_invite("code-a", "Trop tard", now)
        .await
        .unwrap_err();
    assert!(matches!(used, StorageError::InviteUsedUp), "{used}");
    let unknown = store.redeem_invite("nope", "X", now).await.unwrap_err();
    assert!(
        matches!(unknown, StorageError::NotFound { what: "invite", .. }),
        "{unknown}"
    );
    let empty = store.redeem_invite("code-b", "  ", now).await.unwrap_err();
    assert!(matches!(empty, StorageError::Invalid { .. }));
    let all = store.invites(c, &Scope::Campaign).await.unwrap();
    assert_eq!(all.iter().find(|i| i.id == inv.id).unwrap().uses, 2);
    assert_eq!(store.members(c, &Scope::Campaign).await.unwrap().len(), 2);
    // Only walkers and trainers are invited.
    let err = store
        .create_invite(
            &Audit::cli(),
            c,
            &NewInvite {
                code_hash: "code-c".into(),
                created_by: None,
                role: Role::Director,
                territory_id: b1801.id,
                expires_at: now + Duration::days(1),
                max_uses: 1,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }));
}

pub async fn invites_expire(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "expiry").await;
    let coord = user(store, Some("coord@exemple.fr"), "Coord").await;
    let inv = invite(
        store,
        c,
        find(&ts, "75118").id,
        coord.id,
        "old-code",
        5,
        Duration::hours(1),
    )
    .await;
    let later = OffsetDateTime::now_utc() + Duration::hours(2);
    let err = store
        .redeem_invite("old-code", "Léa", later)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::InviteExpired), "{err}");
    let again = store.invites(c, &Scope::Campaign).await.unwrap();
    assert_eq!(
        again.iter().find(|i| i.id == inv.id).unwrap().uses,
        0,
        "an expired try was counted"
    );
    assert_eq!(store.members(c, &Scope::Campaign).await.unwrap().len(), 0);
}

pub async fn concurrent_redeems_of_the_last_use(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "race").await;
    let coord = user(&*store, Some("coord@exemple.fr"), "Coord").await;
    invite(
        &*store,
        c,
        find(&ts, "75118").id,
        coord.id,
        "last",
        1,
        Duration::days(1),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let mut handles = Vec::new();
    for i in 0..6 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.redeem_invite("last", &format!("Walker {i}"), now).await
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StorageError::InviteUsedUp) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1, "the last use was given to {ok} walkers");
    assert_eq!(store.members(c, &Scope::Campaign).await.unwrap().len(), 1);
}

pub async fn every_write_is_audited(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "audit").await;
    let boss = user(store, Some("boss@exemple.fr"), "Boss").await;
    store
        .add_member(
            &Audit::api(boss.id),
            c,
            &NewMember {
                user_id: boss.id,
                role: Role::Director,
                territories: vec![],
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap();
    invite(
        store,
        c,
        find(&ts, "75118").id,
        boss.id,
        "h",
        1,
        Duration::days(1),
    )
    .await;
    store
        .redeem_invite("h", "Nouveau", OffsetDateTime::now_utc())
        .await
        .unwrap();
    let log = store.audit_log(c, 100, None).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "invite.redeem",
            "invite.create",
            "member.add",
            "territory.upsert",
            "campaign.create"
        ]
    );
    assert_eq!(log[2].actor, Some(boss.id));
    assert_eq!(log[2].source, "api");
    assert_eq!(log[4].source, "cli");
    assert_eq!(log[0].source, "invite");
    assert!(log.windows(2).all(|w| w[0].at >= w[1].at));
    let page = store.audit_log(c, 2, Some(log[1].id)).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["member.add", "territory.upsert"]
    );
    // Another campaign's log is separate.
    let other = campaign(store, "audit-other").await;
    assert_eq!(store.audit_log(other.id, 100, None).await.unwrap().len(), 1);
}

fn paris_batch(source: &str, votes_macron: u64) -> ImportBatch {
    use TerritoryKind::*;
    let row = |bureau: &str, inscrits: u64, m: u64, f: u64| ResultRow {
        kind: TerritoryKind::Bureau,
        area: bureau.into(),
        counts: Counts {
            inscrits,
            abstentions: inscrits - (m + f + 10),
            votants: m + f + 10,
            blancs: 6,
            nuls: 4,
            exprimes: m + f,
        },
        candidates: vec![
            CandidateVotes {
                panel: Some(4),
                name: "Emmanuel MACRON".into(),
                nuance: None,
                bloc: Some("centre".into()),
                votes: m,
            },
            CandidateVotes {
                panel: Some(5),
                name: "François FILLON".into(),
                nuance: None,
                bloc: Some("right".into()),
                votes: f,
            },
        ],
    };
    ImportBatch {
        source: source.into(),
        territories: paris(),
        elections: vec![ElectionData {
            election: NewElection { code: "2017_pres_t1".into(), kind: "presidential".into(), year: 2017, round: 1, label: "Présidentielle 2017, 1er tour".into() },
            rows: vec![row("75056_1801", 1000, votes_macron, 200), row("75056_1901", 800, 250, 150)],
        }],
        census: vec![
            CensusRow { kind: Iris, code: "751186901".into(), source: "diplomes-2015".into(), variable: "P15_NSCOL15P_SUP".into(), value: 1234.5 },
            CensusRow { kind: Iris, code: "751186901".into(), source: "diplomes-2015".into(), variable: "P15_NSCOL15P".into(), value: 2000.0 },
        ],
        shapes: vec![ShapeRow {
            kind: Bureau,
            code: "75056_1801".into(),
            geometry: r#"{"type":"Polygon","coordinates":[[[2.34,48.89],[2.35,48.89],[2.35,48.9],[2.34,48.89]]]}"#.into(),
            bbox: [2.34, 48.89, 2.35, 48.9],
            valid: true,
        }],
    }
}

pub async fn imports_store_results_census_and_shapes(store: Arc<dyn Store>) {
    let store = &*store;
    let c = campaign(store, "import").await.id;
    let out = store
        .apply_import(&Audit::cli(), c, &paris_batch("paris.csv", 300))
        .await
        .unwrap();
    assert_eq!(out.territories_created, 10);
    assert_eq!(out.bureaux_with_results, 2);
    assert_eq!(out.candidate_rows, 4);
    assert_eq!(out.census_values, 2);
    assert_eq!(out.shapes, 1);
    let elections = store.elections(c).await.unwrap();
    assert_eq!(elections.len(), 1);
    assert_eq!(elections[0].bureaux, 2);
    assert_eq!(elections[0].source, "paris.csv");
    let e = store.election_by_code(c, "2017_pres_t1").await.unwrap();
    let all = store
        .bureau_results(c, e.id, &Scope::Campaign)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let b1801 = store
        .territory_by_code(c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap();
    let r = all.iter().find(|r| r.territory_id == b1801.id).unwrap();
    assert_eq!(r.counts.inscrits, 1000);
    assert_eq!(r.counts.exprimes, 500);
    assert_eq!(r.candidates[0].name, "Emmanuel MACRON");
    assert_eq!(r.candidates[0].votes, 300);
    assert_eq!(r.candidates[1].bloc.as_deref(), Some("right"));
    // Scoped: the 18th only.
    let a18 = store
        .territory_by_code(c, TerritoryKind::Arrondissement, "75118")
        .await
        .unwrap();
    let in18 = store
        .bureau_results(c, e.id, &Scope::Within(vec![a18.path.clone()]))
        .await
        .unwrap();
    assert_eq!(in18.len(), 1);
    let shapes = store
        .shapes(
            c,
            TerritoryKind::Bureau,
            &Scope::Within(vec![a18.path.clone()]),
        )
        .await
        .unwrap();
    assert_eq!(shapes.len(), 1);
    assert!(shapes[0].geometry.contains("Polygon"));
    let a19 = store
        .territory_by_code(c, TerritoryKind::Arrondissement, "75119")
        .await
        .unwrap();
    assert!(
        store
            .shapes(c, TerritoryKind::Bureau, &Scope::Within(vec![a19.path]))
            .await
            .unwrap()
            .is_empty()
    );
    let iris = store
        .territory_by_code(c, TerritoryKind::Iris, "751186901")
        .await
        .unwrap();
    let census = store.census_of(c, iris.id).await.unwrap();
    assert_eq!(
        census,
        vec![
            (
                "diplomes-2015".to_string(),
                "P15_NSCOL15P".to_string(),
                2000.0
            ),
            (
                "diplomes-2015".to_string(),
                "P15_NSCOL15P_SUP".to_string(),
                1234.5
            ),
        ]
    );
    // Re-importing replaces: same counts, the new figures, no duplicate.
    let again = store
        .apply_import(&Audit::cli(), c, &paris_batch("paris-v2.csv", 310))
        .await
        .unwrap();
    assert_eq!(again.territories_created, 0);
    let elections = store.elections(c).await.unwrap();
    assert_eq!(elections.len(), 1);
    let e2 = store.election_by_code(c, "2017_pres_t1").await.unwrap();
    let r = store
        .bureau_results(c, e2.id, &Scope::Campaign)
        .await
        .unwrap();
    assert_eq!(
        r.iter()
            .find(|r| r.territory_id == b1801.id)
            .unwrap()
            .candidates[0]
            .votes,
        310
    );
    assert_eq!(store.census_of(c, iris.id).await.unwrap().len(), 2);
    assert!(matches!(
        store.election_by_code(c, "2022_pres_t1").await.unwrap_err(),
        StorageError::NotFound { .. }
    ));
    let log = store.audit_log(c, 10, None).await.unwrap();
    assert_eq!(log[0].action, "import.apply");
    assert_eq!(log[0].target, "paris-v2.csv");
}

pub async fn failed_imports_leave_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    let c = campaign(store, "import-fail").await.id;
    // A bureau the file names but does not place in the territory: the whole import is refused,
    // territories included.
    let mut bad = paris_batch("bad.csv", 300);
    bad.elections[0].rows[1].area = "75056_2001".into();
    let err = store
        .apply_import(&Audit::cli(), c, &bad)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("75056_2001"), "{err}");
    assert!(
        store
            .territories(c, &TerritoryQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.elections(c).await.unwrap().is_empty());
    // A bureau twice in one election.
    let mut twice = paris_batch("twice.csv", 300);
    twice.elections[0].rows[1].area = "75056_1801".into();
    let err = store
        .apply_import(&Audit::cli(), c, &twice)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
    // A good import, then a bad one: the good one is intact.
    store
        .apply_import(&Audit::cli(), c, &paris_batch("good.csv", 300))
        .await
        .unwrap();
    let mut nan = paris_batch("nan.csv", 400);
    nan.census[0].value = f64::NAN;
    assert!(store.apply_import(&Audit::cli(), c, &nan).await.is_err());
    let e = store.election_by_code(c, "2017_pres_t1").await.unwrap();
    assert_eq!(e.source, "good.csv");
    let r = store
        .bureau_results(c, e.id, &Scope::Campaign)
        .await
        .unwrap();
    assert!(r.iter().any(|r| r.candidates[0].votes == 300));
}

pub async fn experiments_are_recorded(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, ts) = seeded(store, "experiments").await;
    let new = NewExperiment {
        name: "Grande marche 18e".into(),
        reference_election: "2017_pres_t1".into(),
        blocs: "left".into(),
        budget_doors: 1000.0,
        scope_path: Some(find(&ts, "75118").path.clone()),
        design: serde_json::json!({"assignments": [{"bureau": "75056_1801", "treated": true, "stratum": 1}], "digest": "abc"}),
        digest: "abc".into(),
    };
    let boss = user(store, Some("boss@exemple.fr"), "Boss").await;
    let e = store
        .create_experiment(&Audit::api(boss.id), c, &new)
        .await
        .unwrap();
    assert_eq!(e.fields, new);
    assert_eq!(e.created_by, Some(boss.id));
    assert_eq!(store.experiment(c, e.id).await.unwrap(), e);
    assert_eq!(store.experiments(c).await.unwrap(), vec![e.clone()]);
    let other = campaign(store, "experiments-other").await;
    assert!(matches!(
        store.experiment(other.id, e.id).await.unwrap_err(),
        StorageError::NotFound {
            what: "experiment",
            ..
        }
    ));
    let mut blank = new.clone();
    blank.name = " ".into();
    assert!(
        store
            .create_experiment(&Audit::cli(), c, &blank)
            .await
            .is_err()
    );
    assert_eq!(
        store.audit_log(c, 1, None).await.unwrap()[0].action,
        "experiment.create"
    );
}

pub async fn survey_plans_are_recorded_and_accepted(store: Arc<dyn Store>) {
    let store = &*store;
    let c = campaign(store, "survey").await.id;
    store
        .apply_import(&Audit::cli(), c, &paris_batch("paris.csv", 300))
        .await
        .unwrap();
    let b1801 = store
        .territory_by_code(c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap();
    let b1901 = store
        .territory_by_code(c, TerritoryKind::Bureau, "75056_1901")
        .await
        .unwrap();
    let iris = store
        .territory_by_code(c, TerritoryKind::Iris, "751186901")
        .await
        .unwrap();
    let mut a = address("75118", "1", "Rue Ordener", Some(b1801.id));
    a.iris_id = Some(iris.id);
    let mut b = address("75118", "2", "Rue Ordener", Some(b1801.id));
    b.iris_id = Some(iris.id);
    store
        .add_addresses(&Audit::cli(), c, &[a, b])
        .await
        .unwrap();
    assert_eq!(
        store.address_crosstab(c).await.unwrap(),
        vec![(b1801.id, iris.id, 2)]
    );
    let values = store
        .census_values(c, &["P15_NSCOL15P".to_string()])
        .await
        .unwrap();
    assert_eq!(values, vec![(iris.id, "P15_NSCOL15P".to_string(), 2000.0)]);
    assert!(store.census_values(c, &[]).await.unwrap().is_empty());
    let centres = store.shape_centres(c, TerritoryKind::Bureau).await.unwrap();
    assert_eq!(centres.len(), 1);
    assert!((centres[0].1 - 2.345).abs() < 1e-9);
    let new = NewSurveyPlan {
        name: "Paris témoin".into(),
        level: TerritoryKind::Bureau,
        n: 1,
        seed: 42,
        options: serde_json::json!({"balance": ["inscrits"]}),
        report: serde_json::json!({"max_relative_error": 0.01}),
        areas: vec![PlanArea {
            territory_id: b1901.id,
            inclusion_probability: 0.4,
            interviews: Some(30),
            doors: Some(310),
        }],
    };
    let p = store
        .create_survey_plan(&Audit::cli(), c, &new)
        .await
        .unwrap();
    assert_eq!(p.fields, new);
    assert!(p.accepted_at.is_none());
    let listed = store.survey_plans(c).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].fields.areas.is_empty(),
        "lists leave the areas out"
    );
    let accepted = store
        .accept_survey_plan(&Audit::cli(), c, p.id, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(accepted.accepted_at.is_some());
    assert!(matches!(
        store
            .accept_survey_plan(&Audit::cli(), c, p.id, OffsetDateTime::now_utc())
            .await
            .unwrap_err(),
        StorageError::Conflict { .. }
    ));
    assert!(matches!(
        store
            .survey_plan(c, uuid::Uuid::now_v7())
            .await
            .unwrap_err(),
        StorageError::NotFound { .. }
    ));
    let mut bad = new.clone();
    bad.areas[0].territory_id = TerritoryId::new();
    assert!(
        store
            .create_survey_plan(&Audit::cli(), c, &bad)
            .await
            .is_err()
    );
    assert_eq!(
        store.survey_plans(c).await.unwrap().len(),
        1,
        "a failed plan left a row"
    );
}
