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
