//! Turfs on the API: a coordinator cuts the 18th, edits a turf, hands it to a walker, the
//! walker reads its walk, the sheet prints; locks, scopes and bad input answered with stable
//! codes, nothing stored by a refused request.

use crate::harness::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use terrain_model::{AddressId, CommuneCode, NewAddress, TerritoryId, TurfId};
use terrain_store::{Audit, TurfQuery};

/// What the matrix needs: bureau 18-01's turfs (in number order) and their stops.
pub struct TurfFixture {
    pub turfs: Vec<TurfId>,
    /// Per turf, its stops: address id, lon, lat.
    pub stops: Vec<Vec<(AddressId, f64, f64)>>,
}

fn address(n: usize, bureau: TerritoryId, commune: &str) -> NewAddress {
    NewAddress {
        ban_id: Some(format!("{commune}_turf_{n:05}")),
        number: Some(((n % 8) + 1).to_string()),
        rep: None,
        street: format!("Rue {}", n / 8),
        postcode: Some("75018".into()),
        commune: CommuneCode::parse(commune).unwrap(),
        lon: 2.3440 + (n % 8) as f64 * 0.0004,
        lat: 48.8920 + (n / 8) as f64 * 0.0003,
        bureau_id: Some(bureau),
        iris_id: None,
        doors_estimated: 2,
    }
}

/// 40 addresses of 2 doors in bureau 18-01.
pub async fn add_addresses(app: &TestApp) {
    let items: Vec<NewAddress> = (0..40).map(|n| address(n, app.fx.b1801, "75118")).collect();
    app.store
        .add_addresses(&Audit::cli(), app.fx.campaign, &items)
        .await
        .unwrap();
}

/// Bureau 18-01 cut into 4 turfs of 20 doors.
pub async fn seed_turfs(app: &TestApp) -> TurfFixture {
    add_addresses(app).await;
    let c = app.fx.campaign;
    let b = app.store.territory(c, app.fx.b1801).await.unwrap();
    terrain_server::api::turf_plan::cut_bureaux(
        &*app.store,
        &Audit::cli(),
        c,
        &[b],
        &terrain_server::api::turf_plan::CutOptions {
            target_doors: 20,
            ..Default::default()
        },
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let turfs = app
        .store
        .turfs(c, &TurfQuery::within(terrain_store::Scope::Campaign))
        .await
        .unwrap();
    let mut stops = Vec::new();
    for t in &turfs {
        let s = app.store.turf_stops(c, t.id).await.unwrap();
        stops.push(
            s.iter()
                .map(|s| (s.address.id, s.address.fields.lon, s.address.fields.lat))
                .collect(),
        );
    }
    TurfFixture {
        turfs: turfs.iter().map(|t| t.id).collect(),
        stops,
    }
}

/// A small square around a point.
pub fn ring_around(lon: f64, lat: f64) -> Value {
    let d = 0.00005;
    json!([
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d]
    ])
}

async fn call(
    app: &TestApp,
    actor: Actor,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let r = app
        .send(
            actor,
            method,
            &format!("/api/v1/campaigns/{}{path}", app.fx.campaign),
            body,
        )
        .await;
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn cut_edit_hand_out_and_print(app: &TestApp) {
    use Actor::*;
    add_addresses(app).await;
    let (a18, b1801, b1901) = (app.fx.a18, app.fx.b1801, {
        app.store
            .territory_by_code(
                app.fx.campaign,
                terrain_model::TerritoryKind::Bureau,
                "75056_1901",
            )
            .await
            .unwrap()
            .id
    });
    // Bad input first: nothing is stored by any of it.
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": a18, "target_doors": 0})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")),
        "{e}"
    );
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": a18, "method": "zigzag"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": b1901})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("territory_out_of_scope"))
    );
    let (s, e) = call(
        app,
        Director,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": b1901})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_addresses")),
        "{e}"
    );
    let (s, e) = call(
        app,
        Director,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("territory_not_found"))
    );
    let (_, list) = call(app, Director, Method::GET, "/turfs", None).await;
    assert_eq!(list["turfs"].as_array().unwrap().len(), 0);

    // The coordinator of the 18th cuts it: bureau 18-01, 80 doors, 4 turfs of 20.
    let (s, cut) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": a18, "target_doors": 20})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{cut}");
    assert_eq!(cut["turfs"], 4);
    assert_eq!(cut["on_network"], false);
    let b = &cut["bureaux"][0];
    assert_eq!(
        (
            b["code"].as_str(),
            b["outcome"].as_str(),
            b["version"].as_u64()
        ),
        (Some("75056_1801"), Some("cut"), Some(1))
    );
    assert_eq!(
        (b["stops"].as_u64(), b["doors"].as_u64()),
        (Some(40), Some(80))
    );
    assert!(b["quality"]["polsby_popper_mean"].as_f64().unwrap() > 0.5);
    assert!((b["quality"]["hull_overlap"].as_f64().unwrap() - 1.0).abs() < 0.05);

    // Listed with their quality; the 19th sees none of them.
    let (_, list) = call(app, Coordinator18, Method::GET, "/turfs", None).await;
    let turfs = list["turfs"].as_array().unwrap().clone();
    assert_eq!(turfs.len(), 4);
    assert_eq!(
        turfs
            .iter()
            .map(|t| t["doors"].as_u64().unwrap())
            .sum::<u64>(),
        80
    );
    assert!(
        turfs
            .iter()
            .all(|t| t["status"] == "planned" && t["minutes"].as_f64().unwrap() > 10.0)
    );
    assert_eq!(turfs[0]["label"], "Bureau 18-01 · secteur 1");
    assert_eq!(list["bureaux"][0]["params"]["target_doors"], 20);
    assert!(list["network"].is_null());
    let (_, none) = call(app, Coordinator19, Method::GET, "/turfs", None).await;
    assert!(none["turfs"].as_array().unwrap().is_empty());
    let (s, _) = call(
        app,
        Coordinator19,
        Method::GET,
        &format!("/turfs?territory={a18}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let t1 = turfs[0]["id"].as_str().unwrap().to_string();
    let t2 = turfs[1]["id"].as_str().unwrap().to_string();

    // On the map: 4 hulls, 4 routes, 40 stops numbered 1..n in each turf.
    let (_, geo) = call(
        app,
        Trainer18,
        Method::GET,
        &format!("/turfs.geojson?territory={b1801}&stops=true"),
        None,
    )
    .await;
    let features = geo["features"].as_array().unwrap();
    let kind = |k: &str| {
        features
            .iter()
            .filter(|f| f["properties"]["kind"] == k)
            .count()
    };
    assert_eq!((kind("turf"), kind("route"), kind("stop")), (4, 4, 40));
    let mut positions: Vec<u64> = features
        .iter()
        .filter(|f| f["properties"]["kind"] == "stop" && f["properties"]["turf_id"] == t1.as_str())
        .map(|f| f["properties"]["position"].as_u64().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>());

    // Move a stop of turf 2 to turf 1.
    let (_, stops2) = call(
        app,
        Coordinator18,
        Method::GET,
        &format!("/turfs/{t2}/stops"),
        None,
    )
    .await;
    let moving = stops2[0]["address_id"].as_str().unwrap().to_string();
    let (s, moved) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/move",
        Some(json!({"stops": [moving], "to": t1})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["version"].as_u64(), moved["kind"].as_str()),
        (Some(2), Some("move"))
    );
    let after: Vec<&Value> = moved["turfs"].as_array().unwrap().iter().collect();
    let t1_now = after.iter().find(|t| t["id"] == t1.as_str()).unwrap();
    assert_eq!(
        t1_now["stops"].as_u64().unwrap(),
        turfs[0]["stops"].as_u64().unwrap() + 1
    );
    assert_eq!(t1_now["revision"], 2);
    // A stop that is no stop: refused, named.
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/move",
        Some(json!({"stops": [uuid::Uuid::now_v7()], "to": t1})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_edit")),
        "{e}"
    );

    // Hand turf 1 to the walker of 18-01 for 3 hours (the rule that walkers are trained first
    // is switched off here: `field.rs` tests it).
    let (s, _) = call(
        app,
        Director,
        Method::PUT,
        "/volunteer-settings",
        Some(json!({"turfs_require_training": false, "signup_open": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let walker = app.caller(Walker18).user.unwrap();
    let (s, out) = call(
        app,
        Trainer18,
        Method::POST,
        &format!("/turfs/{t1}/checkout"),
        Some(json!({"user_id": walker, "hours": 3})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["status"], "checked_out");
    assert_eq!(out["checkout"]["to_name"], "Nadia");
    assert_eq!(out["checkout"]["lapsed"], false);
    // Not twice; not to someone of the 19th; not for ever.
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/checkout"),
        Some(json!({"team": "Binôme B"})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("turf_checked_out")),
        "{e}"
    );
    let coord19 = app.caller(Coordinator19).user.unwrap();
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t2}/checkout"),
        Some(json!({"user_id": coord19})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("assignee_out_of_scope")
        ),
        "{e}"
    );
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t2}/checkout"),
        Some(json!({"team": "X", "hours": 10000})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    // While it is out, edits of it are refused…
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/split"),
        Some(json!({"parts": 2})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("turf_locked")),
        "{e}"
    );
    let moving = stops2[1]["address_id"].as_str().unwrap().to_string();
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/move",
        Some(json!({"stops": [moving], "to": t1})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("turf_locked")),
        "{e}"
    );
    // …and a re-cut leaves it as it is.
    let (s, recut) = call(
        app,
        Director,
        Method::POST,
        "/turfs/cut",
        Some(json!({"territory": b1801, "target_doors": 16})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{recut}");
    assert_eq!(recut["bureaux"][0]["outcome"], "recut");
    assert_eq!(recut["bureaux"][0]["summary"]["kept_locked"], 1);
    let (_, t1_after) = call(
        app,
        Coordinator18,
        Method::GET,
        &format!("/turfs/{t1}"),
        None,
    )
    .await;
    assert_eq!(
        (t1_after["revision"].as_u64(), t1_after["status"].as_str()),
        (Some(2), Some("checked_out"))
    );

    // The walker reads the walk; the sheet prints it.
    let (s, walk) = call(
        app,
        Walker18,
        Method::GET,
        &format!("/turfs/{t1}/stops"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let walk = walk.as_array().unwrap();
    assert_eq!(walk.len() as u64, t1_now["stops"].as_u64().unwrap());
    assert!(
        walk.iter()
            .enumerate()
            .all(|(k, s)| s["position"] == k as u64 + 1)
    );
    assert_eq!(walk[0]["buildings"][0]["doors"], 2);
    let r = app
        .send(
            Walker18,
            Method::GET,
            &format!("/api/v1/campaigns/{}/turfs/{t1}/sheet", app.fx.campaign),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Feuille de route — Bureau 18-01 · secteur 1"));
    assert!(html.contains("Confié à <b>Nadia</b>"));
    assert!(html.contains("<svg"));
    assert_eq!(
        html.matches(r#"class="box""#).count() as u64,
        t1_now["doors"].as_u64().unwrap()
    );
    assert!(html.contains(walk[0]["label"].as_str().unwrap()));
    assert!(!html.contains("<script"));

    // Done, released, then split in two.
    let (s, done) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/done"),
        None,
    )
    .await;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("done")));
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/checkout"),
        Some(json!({"team": "C"})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("turf_checked_out"))
    );
    let (s, rel) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/release"),
        None,
    )
    .await;
    assert_eq!(
        (s, rel["status"].as_str()),
        (StatusCode::OK, Some("planned"))
    );
    let (s, split) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/split"),
        Some(json!({"parts": 2})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{split}");
    assert_eq!(split["kind"], "split");
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{t1}/split"),
        Some(json!({"parts": 11})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    // Merge two turfs, then redraw a new one around a stop.
    let (_, list) = call(app, Coordinator18, Method::GET, "/turfs", None).await;
    let ids: Vec<String> = list["turfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let n_before = ids.len();
    let (s, merged) = call(
        app,
        Coordinator18,
        Method::POST,
        &format!("/turfs/{}/merge", ids[0]),
        Some(json!({"other": ids[1]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{merged}");
    assert_eq!(merged["turfs"].as_array().unwrap().len(), n_before - 1);
    let (s, _) = call(
        app,
        Coordinator18,
        Method::GET,
        &format!("/turfs/{}", ids[1]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, walk) = call(
        app,
        Coordinator18,
        Method::GET,
        &format!("/turfs/{}/stops", ids[2]),
        None,
    )
    .await;
    let (lon, lat) = (
        walk[0]["lon"].as_f64().unwrap(),
        walk[0]["lat"].as_f64().unwrap(),
    );
    let (s, redrawn) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/redraw",
        Some(json!({"ring": ring_around(lon, lat), "bureau": b1801})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{redrawn}");
    assert_eq!(redrawn["summary"]["moved"], 1);
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/redraw",
        Some(json!({"ring": ring_around(2.0, 45.0), "bureau": b1801})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_edit")),
        "{e}"
    );
    let (s, e) = call(
        app,
        Coordinator18,
        Method::POST,
        "/turfs/redraw",
        Some(json!({"ring": [[2.0, 48.0]]})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );

    // Every version is kept, newest first; every stop is still in exactly one turf.
    let (_, versions) = call(
        app,
        Trainer18,
        Method::GET,
        &format!("/territories/{b1801}/turf-versions"),
        None,
    )
    .await;
    let kinds: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["redraw", "merge", "split", "recut", "move", "cut"]);
    let (_, geo) = call(
        app,
        Director,
        Method::GET,
        "/turfs.geojson?stops=true",
        None,
    )
    .await;
    let mut addresses: Vec<&str> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "stop")
        .map(|f| f["properties"]["address_id"].as_str().unwrap())
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), 40);
    // Writes are in the audit log.
    let log = app
        .store
        .audit_log(app.fx.campaign, 200, None)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "turf.checkout"));
    assert!(log.iter().filter(|e| e.action == "turf.plan").count() >= 6);
}

on_both!(
    turfs_are_cut_edited_handed_out_and_printed,
    cut_edit_hand_out_and_print
);
