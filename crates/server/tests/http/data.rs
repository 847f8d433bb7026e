//! The official data on the API: results summed over a territory, the map layer, LMP's
//! targeting checked by hand, exports, and uploads (good and bad files).

use crate::harness::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn results_map_and_targeting(app: &TestApp) {
    app.import_results().await;
    let c = app.fx.campaign;
    let get = |actor, path: String| async move {
        let r = app.send(actor, Method::GET, &path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json::<Value>().await.unwrap()
    };
    let elections = get(Actor::Director, format!("/api/v1/campaigns/{c}/elections")).await;
    assert_eq!(elections[0]["code"], "2017_pres_t1");
    assert_eq!(elections[0]["bureaux"], 2);
    // The 18th: only bureau 18-01.
    let r = get(
        Actor::Coordinator18,
        format!(
            "/api/v1/campaigns/{c}/territories/{}/results?election=2017_pres_t1",
            app.fx.a18
        ),
    )
    .await;
    assert_eq!(r["bureaux"], 1);
    assert_eq!(r["counts"]["inscrits"], 1400);
    assert_eq!(r["candidates"][0]["name"], "Gauche");
    assert!((r["candidates"][0]["share"].as_f64().unwrap() - 600.0 / 980.0).abs() < 1e-12);
    assert!((r["abstention_rate"].as_f64().unwrap() - 400.0 / 1400.0).abs() < 1e-12);
    // The whole campaign for the director (both bureaux), by the department.
    let dep = app
        .store
        .territory_by_code(c, terrain_model::TerritoryKind::Department, "75")
        .await
        .unwrap();
    let all = get(
        Actor::Director,
        format!("/api/v1/campaigns/{c}/territories/{}/results", dep.id),
    )
    .await;
    assert_eq!(all["counts"]["inscrits"], 2100);
    assert_eq!(
        all["blocs"][0]["bloc"], "left",
        "700 left votes against 620"
    );
    // An unknown election.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/territories/{}/results?election=2022_pres_t1",
                dep.id
            ),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The map layer: the coordinator of the 19th sees no shape (the only one is in the 18th).
    let map = get(Actor::Coordinator18, format!("/api/v1/campaigns/{c}/map")).await;
    assert_eq!(map["type"], "FeatureCollection");
    assert_eq!(map["features"].as_array().unwrap().len(), 1);
    let p = &map["features"][0]["properties"];
    assert_eq!(p["code"], "75056_1801");
    assert_eq!(p["leader"], "Gauche");
    assert!((p["bloc_left"].as_f64().unwrap() - 600.0 / 980.0).abs() < 1e-12);
    let map19 = get(Actor::Coordinator19, format!("/api/v1/campaigns/{c}/map")).await;
    assert!(map19["features"].as_array().unwrap().is_empty());
    // LMP's potential, by hand: PO = abstentions/inscrits × left/exprimés.
    let t = get(
        Actor::Director,
        format!(
            "/api/v1/campaigns/{c}/targeting?election=2017_pres_t1&blocs=left&budget_doors=1100"
        ),
    )
    .await;
    let po_1801 = 400.0 / 1400.0 * 600.0 / 980.0; // 0.1749
    let po_1901 = 350.0 / 700.0 * 100.0 / 340.0; // 0.1471
    let b = t["bureaux"].as_array().unwrap();
    assert_eq!(b[0]["code"], "75056_1801");
    assert!((b[0]["po"].as_f64().unwrap() - po_1801).abs() < 1e-12);
    assert!((b[1]["po"].as_f64().unwrap() - po_1901).abs() < 1e-12);
    assert_eq!(b[0]["rank"], 1);
    // 1400/1.4 = 1000 doors fit the budget of 1100; the next 500 do not.
    assert_eq!(b[0]["selected"], true);
    assert_eq!(b[1]["selected"], false);
    assert!((t["plan"]["doors"].as_f64().unwrap() - 1000.0).abs() < 1e-9);
    // A coordinator plans inside their own territory only.
    let t18 = get(
        Actor::Coordinator18,
        format!("/api/v1/campaigns/{c}/targeting"),
    )
    .await;
    assert_eq!(t18["bureaux"].as_array().unwrap().len(), 1);
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/targeting?blocs=nowhere"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Exports.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/targeting.csv?budget_doors=1100"),
            None,
        )
        .await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("rang;bureau;nom;"));
    assert!(csv.lines().nth(1).unwrap().starts_with("1;75056_1801;"));
    assert!(csv.lines().nth(1).unwrap().ends_with(";oui"));
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/targeting.geojson"),
            None,
        )
        .await;
    let g: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(g["features"][0]["properties"]["class"], "red");
}
on_both!(
    results_map_and_targeting_on_the_api,
    results_map_and_targeting
);

async fn uploads(app: &TestApp) {
    let c = app.fx.campaign;
    let caller = app.caller(Actor::Director);
    let csrf = caller.csrf.clone().unwrap();
    let upload = |kind: &'static str, query: &'static str, body: Vec<u8>| {
        caller
            .client
            .post(app.url(&format!("/api/v1/campaigns/{c}/imports/{kind}?{query}")))
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let long = "code_departement;code_commune;code_bureau;id_secteur;circonscription;scrutin;inscrits;votants;blancs;exprimes;numero_panneau;sexe;nom;prenom;nuance;voix\n\
75;056;1801;75056-1801;17;presidentielle-2;1000;800;20;760;1;M;MACRON;Emmanuel;;500\n\
75;056;1801;75056-1801;17;presidentielle-2;1000;800;20;760;2;F;LE PEN;Marine;;260\n";
    let r = upload(
        "results",
        "filename=paris-t2.csv&election=2017_pres_t2",
        long.as_bytes().to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["stored"]["bureaux_with_results"], 1);
    assert_eq!(s["source"], "paris-t2.csv");
    // A bad file is named, line included, and stores nothing.
    let bad = long.replace("1000;800;20;760;2", "1000;800;20;999;2");
    // Two rows of one bureau that disagree on its totals: refused, naming the file.
    let r = upload(
        "results",
        "filename=bad.csv&election=2017_pres_t2",
        bad.into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("bad.csv"));
    let e = app.store.election_by_code(c, "2017_pres_t2").await.unwrap();
    assert_eq!(
        e.source, "paris-t2.csv",
        "the refused file replaced the good one"
    );
    let r = upload("results", "filename=garbage.csv", b"\x00\x01\x02".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "invalid_file");
    assert!(
        e["message"].as_str().unwrap().contains("garbage.csv"),
        "{e}"
    );
    let r = upload("results", "", Vec::new()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = upload("planets", "", b"x".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = upload("contours", "contour_kind=moon", b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The audit log names the file.
    let log: Vec<Value> = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/audit"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|l| l["action"] == "import.apply" && l["target"] == "paris-t2.csv")
    );
}
on_both!(uploads_are_imported_or_refused_cleanly, uploads);

/// Twenty bureaux in the 18th with a reference election; the outcome election gives the
/// canvassed bureaux +4 points of turnout: the analysis must find it.
async fn experiment_finds_a_known_effect(app: &TestApp) {
    use terrain_store::{
        CandidateVotes, Counts, ElectionData, ImportBatch, NewElection, NewTerritory, ResultRow,
    };
    let c = app.fx.campaign;
    let codes: Vec<String> = (10..30).map(|i| format!("75056_18{i:02}")).collect();
    let territories = codes
        .iter()
        .map(|code| NewTerritory {
            kind: terrain_model::TerritoryKind::Bureau,
            code: code.clone(),
            name: code.clone(),
            parent: Some((terrain_model::TerritoryKind::Arrondissement, "75118".into())),
        })
        .collect();
    let election = |code: &str, turnout: &dyn Fn(usize, &str) -> u64| ElectionData {
        election: NewElection {
            code: code.into(),
            kind: "presidential".into(),
            year: code[..4].parse().unwrap(),
            round: 1,
            label: code.into(),
        },
        rows: codes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let votants = turnout(i, b);
                let left = 300 + (i as u64 * 7) % 50;
                ResultRow {
                    kind: terrain_model::TerritoryKind::Bureau,
                    area: b.clone(),
                    counts: Counts {
                        inscrits: 1000,
                        abstentions: 1000 - votants,
                        votants,
                        blancs: 0,
                        nuls: 0,
                        exprimes: votants,
                    },
                    candidates: vec![
                        CandidateVotes {
                            panel: Some(1),
                            name: "G".into(),
                            nuance: None,
                            bloc: Some("left".into()),
                            votes: left,
                        },
                        CandidateVotes {
                            panel: Some(2),
                            name: "D".into(),
                            nuance: None,
                            bloc: Some("right".into()),
                            votes: votants - left,
                        },
                    ],
                }
            })
            .collect(),
    };
    let base = |i: usize, _: &str| 600 + (i as u64 * 13) % 80;
    let batch = ImportBatch {
        source: "ref.csv".into(),
        territories,
        elections: vec![election("2017_pres_t1", &base)],
        ..Default::default()
    };
    app.store
        .apply_import(&terrain_store::Audit::cli(), c, &batch)
        .await
        .unwrap();
    let r = app
        .send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/experiments"),
            Some(serde_json::json!({"name": "Évaluation 18e", "budget_doors": 0, "seed": 11})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["strata"], 4, "20 bureaux in strata of 5");
    assert_eq!(e["treated"], 16);
    assert_eq!(e["verified"], true);
    let treated: std::collections::HashSet<String> = e["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["treated"] == true)
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect();
    // Each stratum has exactly one control.
    for s in 1..=4 {
        let controls = e["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["stratum"] == s && a["treated"] == false)
            .count();
        assert_eq!(controls, 1, "stratum {s}");
    }
    let effect = |i: usize, b: &str| base(i, b) + if treated.contains(b) { 40 } else { 0 };
    let after = ImportBatch {
        source: "after.csv".into(),
        elections: vec![election("2022_pres_t1", &effect)],
        ..Default::default()
    };
    app.store
        .apply_import(&terrain_store::Audit::cli(), c, &after)
        .await
        .unwrap();
    let a: Value = app
        .send(
            Actor::Director,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/experiments/{}/analysis?election=2022_pres_t1",
                e["id"].as_str().unwrap()
            ),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let turnout = a["effects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["outcome"] == "turnout" && x["kind"] == "itt")
        .unwrap();
    let est = turnout["estimate"].as_f64().unwrap();
    assert!(
        (est - 0.04).abs() < 0.005,
        "estimated {est}, true +0.04: {a}"
    );
    assert!(turnout["ci_low"].as_f64().unwrap() > 0.0);
    assert!(
        a["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("+4.0 points")),
        "{a}"
    );
    // The same experiment with an election not imported.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/experiments/{}/analysis?election=2032_pres_t1",
                e["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
on_both!(
    an_experiment_finds_a_known_effect,
    experiment_finds_a_known_effect
);

/// Twenty bureaux with results and census: a plan of five balanced on inscrits and abstentions
/// reproduces both totals closely, and is accepted once.
async fn survey_plan_draws_a_balanced_sample(app: &TestApp) {
    use terrain_store::{
        CandidateVotes, Counts, ElectionData, ImportBatch, NewElection, NewTerritory, ResultRow,
    };
    let c = app.fx.campaign;
    let codes: Vec<String> = (10..30).map(|i| format!("75056_18{i:02}")).collect();
    let territories = codes
        .iter()
        .map(|code| NewTerritory {
            kind: terrain_model::TerritoryKind::Bureau,
            code: code.clone(),
            name: code.clone(),
            parent: Some((terrain_model::TerritoryKind::Arrondissement, "75118".into())),
        })
        .collect();
    let rows = codes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let inscrits = 800 + (i as u64 * 37) % 600;
            let votants = inscrits * (55 + (i as u64 * 7) % 30) / 100;
            ResultRow {
                kind: terrain_model::TerritoryKind::Bureau,
                area: b.clone(),
                counts: Counts {
                    inscrits,
                    abstentions: inscrits - votants,
                    votants,
                    blancs: 0,
                    nuls: 0,
                    exprimes: votants,
                },
                candidates: vec![CandidateVotes {
                    panel: Some(1),
                    name: "G".into(),
                    nuance: None,
                    bloc: Some("left".into()),
                    votes: votants,
                }],
            }
        })
        .collect();
    let batch = ImportBatch {
        source: "r.csv".into(),
        territories,
        elections: vec![ElectionData {
            election: NewElection {
                code: "2022_pres_t1".into(),
                kind: "presidential".into(),
                year: 2022,
                round: 1,
                label: "P 2022".into(),
            },
            rows,
        }],
        ..Default::default()
    };
    app.store
        .apply_import(&terrain_store::Audit::cli(), c, &batch)
        .await
        .unwrap();
    let frame: Value = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/survey-frame"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(frame["units"], 20);
    assert!(
        frame["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "abstentions")
    );
    let r = app.send(Actor::Director, Method::POST, &format!("/api/v1/campaigns/{c}/survey-plans"),
        Some(serde_json::json!({"name": "Témoins 18e", "n": 5, "balance": ["inscrits", "abstentions"], "interviews": 100, "seed": 9}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p: Value = r.json().await.unwrap();
    let areas = p["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 5);
    let interviews: u64 = areas
        .iter()
        .map(|a| a["interviews"].as_u64().unwrap())
        .sum();
    assert_eq!(interviews, 100);
    assert!(
        areas
            .iter()
            .all(|a| a["doors"].as_u64().unwrap() > a["interviews"].as_u64().unwrap())
    );
    let err = p["report"]["max_relative_error"].as_f64().unwrap();
    assert!(err < 0.05, "balanced totals off by {err}");
    let r = app
        .send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/survey-plans"),
            Some(serde_json::json!({"name": "x", "n": 5, "balance": ["nope"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let id = p["id"].as_str().unwrap();
    let ok = app
        .send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/survey-plans/{id}/accept"),
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let again = app
        .send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/survey-plans/{id}/accept"),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}
on_both!(
    a_survey_plan_is_balanced_and_accepted_once,
    survey_plan_draws_a_balanced_sample
);
