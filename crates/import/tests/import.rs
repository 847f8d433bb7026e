//! Imports end to end: real files parsed, stored in SQLite (and PostgreSQL when it answers),
//! totals checked against the files' own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use terrain_import::{ResultsImport, Target, import_addresses, import_contours, import_results};
use terrain_ingest::Policy;
use terrain_ingest::contours::ContourKind;
use terrain_model::{Slug, TerritoryKind};
use terrain_store::testing::{Cleanup, PgSchema};
use terrain_store::{Audit, NewCampaign, Scope, Store};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (shared/data is not beside this clone)",
            p.display()
        );
        None
    }
}

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = terrain_store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    (store, dir)
}

async fn campaign(store: &dyn Store) -> terrain_model::CampaignId {
    store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: Slug::parse("paris").unwrap(),
                name: "Paris".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap()
        .id
}

async fn paris_demo_is_complete(store: Arc<dyn Store>) {
    let c = campaign(&*store).await;
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: c,
        audit: &audit,
    };
    let loaded = terrain_import::demo::load_paris(target).await.unwrap();
    assert_eq!(loaded.addresses, 158_048);
    assert_eq!(loaded.shapes, 896 + 992);
    let mut elections = loaded.elections.clone();
    elections.sort();
    assert_eq!(
        elections,
        [
            "2017_legi_t1",
            "2017_legi_t2",
            "2017_pres_t1",
            "2017_pres_t2"
        ]
    );
    let bureaux = store
        .territories(
            c,
            &terrain_store::TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bureaux.len(), 896);
    let arr = store
        .territories(
            c,
            &terrain_store::TerritoryQuery {
                kind: Some(TerritoryKind::Arrondissement),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(arr.len(), 20);
    // The published Paris result: Macron 34.83 % of votes cast in the first round.
    let e = store.election_by_code(c, "2017_pres_t1").await.unwrap();
    let results = store
        .bureau_results(c, e.id, &Scope::Campaign)
        .await
        .unwrap();
    let inscrits: u64 = results.iter().map(|r| r.counts.inscrits).sum();
    let exprimes: u64 = results.iter().map(|r| r.counts.exprimes).sum();
    let macron: u64 = results
        .iter()
        .flat_map(|r| &r.candidates)
        .filter(|c| c.name.contains("MACRON"))
        .map(|c| c.votes)
        .sum();
    assert_eq!(inscrits, 1_301_637);
    assert_eq!(exprimes, 1_076_559);
    assert_eq!(
        format!("{:.2}", 100.0 * macron as f64 / exprimes as f64),
        "34.83"
    );
    let centre: u64 = results
        .iter()
        .flat_map(|r| &r.candidates)
        .filter(|c| c.bloc.as_deref() == Some("centre"))
        .map(|c| c.votes)
        .sum();
    assert_eq!(centre, macron, "Macron is the centre bloc in 2017");
    // Addresses hang in their bureaux; doors are estimated from registered voters.
    let a18 = arr.iter().find(|a| a.code == "75118").unwrap();
    let addrs = store
        .addresses_within(c, &a18.path, 10_000, 0)
        .await
        .unwrap();
    assert!(addrs.len() > 5_000, "{}", addrs.len());
    assert!(addrs.iter().all(|a| a.fields.doors_estimated >= 1));
    // IRIS census values are there.
    let iris = store
        .territories(
            c,
            &terrain_store::TerritoryQuery {
                kind: Some(TerritoryKind::Iris),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!store.census_of(c, iris[0].id).await.unwrap().is_empty());
    // Loading it again changes nothing.
    let again = terrain_import::demo::load_paris(target).await.unwrap();
    assert_eq!(again.addresses, 158_048);
    let bureaux = store
        .territories(
            c,
            &terrain_store::TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bureaux.len(), 896);
    let within = store
        .addresses_within(c, &a18.path, 10_000, 0)
        .await
        .unwrap();
    assert_eq!(within.len(), addrs.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paris_demo_on_sqlite() {
    let (store, _dir) = sqlite().await;
    paris_demo_is_complete(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paris_demo_on_postgres() {
    let Some(schema) = PgSchema::create().await else {
        return;
    };
    paris_demo_is_complete(schema.store().await).await;
    schema.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rhone_results_in_the_official_layout() {
    let Some(path) = shared(
        "elections-rhone-69-presidentielle-2017-2022/reconstitue-format-officiel/PR17_BVot_T1_69.txt",
    ) else {
        return;
    };
    let (store, _dir) = sqlite().await;
    let c = campaign(&*store).await;
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: c,
        audit: &audit,
    };
    let s = import_results(
        target,
        "PR17_BVot_T1_69.txt",
        std::fs::File::open(&path).unwrap(),
        &ResultsImport::default(),
    )
    .await
    .unwrap();
    assert_eq!(s.stored.bureaux_with_results, 1_287);
    assert_eq!(s.stored.elections[0].0, "2017_pres_t1");
    assert_eq!(s.report["layout"], "ministry2017_ragged");
    let e = store.election_by_code(c, "2017_pres_t1").await.unwrap();
    let rows = store
        .bureau_results(c, e.id, &Scope::Campaign)
        .await
        .unwrap();
    let exprimes: u64 = rows.iter().map(|r| r.counts.exprimes).sum();
    let voix: u64 = rows
        .iter()
        .flat_map(|r| &r.candidates)
        .map(|c| c.votes)
        .sum();
    assert_eq!(exprimes, voix);
    // Lyon's bureaux hang under its arrondissements.
    let lyon2 = store
        .territory_by_code(c, TerritoryKind::Arrondissement, "69382")
        .await
        .unwrap();
    assert_eq!(lyon2.name, "Lyon 2e Arrondissement");
    // Re-importing the same file changes nothing.
    let again = import_results(
        target,
        "PR17_BVot_T1_69.txt",
        std::fs::File::open(&path).unwrap(),
        &ResultsImport::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.stored.territories_created, 0);
    assert_eq!(store.elections(c).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_stores_nothing() {
    let (store, _dir) = sqlite().await;
    let c = campaign(&*store).await;
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: c,
        audit: &audit,
    };
    // Inscrits ≠ abstentions + votants on the second line, and the user asked to stop.
    let file = "Code du département;Libellé du département;Code de la circonscription;Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Voix;% Voix/Ins;% Voix/Exp\r\n\
69;Rhône;08;8ème circonscription;001;Affoux;0001;259;29;11,20;230;88,80;0;0,00;0,00;3;1,16;1,30;227;87,64;98,70;1;M;DUPONT;Nicolas;227;87,64;100,00\r\n\
69;Rhône;08;8ème circonscription;002;Autre;0001;300;29;11,20;230;88,80;0;0,00;0,00;3;1,16;1,30;227;87,64;98,70;1;M;DUPONT;Nicolas;227;87,64;100,00\r\n";
    let opts = ResultsImport {
        election: Some("2017_pres_t1".into()),
        policy: Policy::Stop,
        ..Default::default()
    };
    let err = import_results(target, "bad.txt", file.as_bytes(), &opts)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad.txt") && msg.contains('3'), "{msg}");
    assert!(
        store
            .territories(c, &Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    // With warnings instead, both rows are stored and the odd one is named.
    let opts = ResultsImport {
        election: Some("2017_pres_t1".into()),
        ..Default::default()
    };
    let s = import_results(target, "bad.txt", file.as_bytes(), &opts)
        .await
        .unwrap();
    assert_eq!(s.stored.bureaux_with_results, 2);
    assert_eq!(s.warnings.total, 1);
    // Garbage is an error naming the file.
    let err = import_results(
        target,
        "garbage.txt",
        &b"\x00\x01not a results file"[..],
        &ResultsImport::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("garbage.txt"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_are_placed_in_stored_contours() {
    let (store, _dir) = sqlite().await;
    let c = campaign(&*store).await;
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: c,
        audit: &audit,
    };
    let geo = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"codeBureauVote":"69001_0001"},
        "geometry":{"type":"Polygon","coordinates":[[[4.50,45.86],[4.52,45.86],[4.52,45.88],[4.50,45.88],[4.50,45.86]]]}}]}"#;
    import_contours(
        target,
        "bv.geojson",
        geo.as_bytes(),
        ContourKind::Bureau,
        None,
    )
    .await
    .unwrap();
    let ban = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles\n\
69001_a_00001;;1;;Rue A;69590;69001;Affoux;;;;;4.51;45.87;entrée;;;AFFOUX;RUE A;commune;commune;1;\n\
69001_a_00002;;2;;Rue A;69590;69001;Affoux;;;;;4.511;45.871;entrée;;;AFFOUX;RUE A;commune;commune;1;\n\
69001_a_00003;;3;;Rue B;69590;69001;Affoux;;;;;4.70;45.99;entrée;;;AFFOUX;RUE B;commune;commune;1;\n";
    let s = import_addresses(target, "adresses-69.csv", || Ok(ban.as_bytes()), None)
        .await
        .unwrap();
    assert_eq!(s.report["read"], 3);
    assert_eq!(s.report["stored"], 3);
    assert_eq!(s.report["without_bureau"], 1);
    let b = store
        .territory_by_code(c, TerritoryKind::Bureau, "69001_0001")
        .await
        .unwrap();
    assert_eq!(
        store
            .addresses_within(c, &b.path, 10, 0)
            .await
            .unwrap()
            .len(),
        2
    );
    let again = import_addresses(target, "adresses-69.csv", || Ok(ban.as_bytes()), None)
        .await
        .unwrap();
    assert_eq!(again.report["stored"], 3);
    assert_eq!(
        store
            .addresses_within(c, &b.path, 10, 0)
            .await
            .unwrap()
            .len(),
        2,
        "re-import duplicated addresses"
    );
}
