//! Questionnaires and field work over HTTP: the director's questionnaire life cycle, a walker's
//! package, and uploads that store each record exactly once — replayed, concurrent, forged from
//! another walker's device, or holding a record that cannot be read.

use crate::harness::*;
use crate::on_both;
use reqwest::Method;
use serde_json::{Value, json};
use terrain_model::{CommuneCode, NewAddress};
use terrain_store::Audit;
use uuid::Uuid;

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn questionnaire_life_cycle(app: &TestApp) {
    let c = app.fx.campaign;
    let base = format!("/api/v1/campaigns/{c}/questionnaires");
    let (s, kit) = json_of(
        app.send(
            Actor::Walker18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/questionnaire-kit"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(kit["templates"][0]["id"], "grande_marche_2016");
    assert_eq!(
        kit["profile_codes"]["occupation"].as_array().unwrap().len(),
        9
    );

    let (s, q) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &base,
            Some(json!({"template": "grande_marche_2016"})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 201, "{q}");
    assert_eq!(q["name"], "Grande Marche (modèle 2016)");
    assert_eq!(q["versions"][0]["status"], "draft");
    let open = q["versions"][0]["definition"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "open")
        .count();
    assert_eq!(open, 8);
    let id = q["id"].as_str().unwrap().to_string();

    // A broken definition is refused with where and why.
    let bad = json!({"definition": {"questions": [
        {"key": "a", "text": "A ?", "kind": "yes_no"},
        {"key": "b", "text": "B ?", "kind": "open", "show_if": {"question": "a", "any_of": ["peut-être"]}}
    ]}});
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &format!("{base}/{id}/draft"),
            Some(bad),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str().unwrap()),
        (422, "invalid_questionnaire")
    );
    assert!(
        e["message"].as_str().unwrap().contains("questions[1] (b)"),
        "{e}"
    );
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &base,
            Some(json!({"definition": {"questions": "none"}})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str().unwrap()),
        (422, "invalid_questionnaire")
    );
    let (s, _) = json_of(
        app.send(Actor::Director, Method::POST, &base, Some(json!({})))
            .await,
    )
    .await;
    assert_eq!(s, 422);

    // Publish, then change: the published version stays as it was.
    let (s, v1) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("{base}/{id}/publish"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            s,
            v1["status"].as_str().unwrap(),
            v1["number"].as_u64().unwrap()
        ),
        (200, "published", 1)
    );
    let change = json!({"name": "GM 2016 bis", "definition": {"questions": [{"key": "avis", "text": "Votre avis ?", "kind": "open"}]}});
    let (s, v2) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &format!("{base}/{id}/draft"),
            Some(change),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            s,
            v2["number"].as_u64().unwrap(),
            v2["status"].as_str().unwrap()
        ),
        (200, 2, "draft")
    );
    let (_, q) = json_of(
        app.send(
            Actor::Coordinator19,
            Method::GET,
            &format!("{base}/{id}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(q["name"], "GM 2016 bis");
    assert_eq!(q["versions"][0]["definition"], v1["definition"]);
    assert_eq!(q["versions"][1]["status"], "draft");
    let (s, e) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::PUT,
            &format!("{base}/{id}/draft"),
            Some(json!({"definition": {}})),
        )
        .await,
    )
    .await;
    assert_eq!((s, e["code"].as_str().unwrap()), (403, "forbidden_role"));
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("{base}/{}", Uuid::now_v7()),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str().unwrap()),
        (404, "questionnaire_not_found")
    );
}

on_both!(
    questionnaires_are_written_published_and_versioned,
    questionnaire_life_cycle
);

/// Four addresses in bureau 18-01 and one in 19-01, and a published questionnaire.
async fn field_setup(app: &TestApp) -> (Vec<(String, String)>, (String, String), String) {
    let c = app.fx.campaign;
    let mk = |n: usize, code: &str, bureau| NewAddress {
        ban_id: Some(format!("{code}_http_{n:0>5}")),
        number: Some(n.to_string()),
        rep: None,
        street: "Rue Marcadet".into(),
        postcode: Some("75018".into()),
        commune: CommuneCode::parse(code).unwrap(),
        lon: 2.34,
        lat: 48.89,
        bureau_id: Some(bureau),
        iris_id: None,
        doors_estimated: 10,
    };
    let b1901 = app
        .store
        .territory_by_code(c, terrain_model::TerritoryKind::Bureau, "75056_1901")
        .await
        .unwrap()
        .id;
    let mut items: Vec<_> = (1..=4).map(|n| mk(n, "75118", app.fx.b1801)).collect();
    items.push(mk(1, "75119", b1901));
    let ids = app
        .store
        .add_addresses(&Audit::cli(), c, &items)
        .await
        .unwrap();
    let mut stops = Vec::new();
    for id in ids {
        let b = app.store.buildings(c, id).await.unwrap();
        stops.push((id.to_string(), b[0].id.to_string()));
    }
    let outside = stops.pop().unwrap();
    let (_, q) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires"),
            Some(json!({"template": "grande_marche_2016"})),
        )
        .await,
    )
    .await;
    let id = q["id"].as_str().unwrap();
    let (_, v) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires/{id}/publish"),
            None,
        )
        .await,
    )
    .await;
    (stops, outside, v["id"].as_str().unwrap().to_string())
}

fn visit(stop: &(String, String), door: u32, outcome: &str) -> Value {
    json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:15:00+01:00", "kind": "visit",
           "address_id": stop.0, "building_id": stop.1, "door": {"number": door}, "outcome": outcome})
}

fn response(stop: &(String, String), version: &str, recontact: bool) -> Value {
    let mut answers = json!({"consentement": true, "ce_qui_marche": "Les services publics de proximité",
                             "ce_qui_ne_marche_pas": "Le logement", "age": "35-49", "profession": "5"});
    let mut contact = Value::Null;
    if recontact {
        answers["recontact"] = json!(true);
        contact = json!({"name": "Mme Diallo", "phone": "06 11 22 33 44"});
    }
    json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:20:00+01:00", "kind": "response",
           "version_id": version, "address_id": stop.0, "answers": answers, "contact": contact})
}

async fn walkers_upload_exactly_once(app: &TestApp) {
    let c = app.fx.campaign;
    let (stops, outside, version) = field_setup(app).await;
    let sync_path = format!("/api/v1/campaigns/{c}/field/sync");
    let progress_path = format!("/api/v1/campaigns/{c}/field/progress");

    // The walker's package: the four stops of the bureau, the questionnaire, the map.
    let (s, pkg) = json_of(
        app.send(
            Actor::Walker18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/field/package?territory={}",
                app.fx.b1801
            ),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{pkg}");
    assert_eq!(pkg["stops"].as_array().unwrap().len(), 4);
    assert_eq!(pkg["stops"][0]["order"], 1);
    assert_eq!(pkg["stops"][0]["buildings"][0]["doors"], 10);
    assert_eq!(pkg["questionnaires"][0]["version_id"], version.as_str());
    assert_eq!(pkg["map"]["type"], "FeatureCollection");
    assert!(pkg["turf_id"].is_null());
    let (s, e) = json_of(
        app.send(
            Actor::Walker18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/field/package?territory={}",
                app.fx.a19
            ),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str().unwrap()),
        (403, "territory_out_of_scope")
    );

    let device = Uuid::now_v7();
    let mut records = vec![
        visit(&stops[0], 1, "not_home"),
        visit(&stops[0], 2, "questionnaire_done"),
        visit(&stops[1], 1, "do_not_knock"),
        response(&stops[0], &version, false),
        response(&stops[1], &version, true),
        json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:30:00Z", "kind": "unit", "building_id": stops[2].1, "floor": 0, "label": "Loge"}),
        json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:31:00Z", "kind": "door_count", "building_id": stops[2].1, "doors": 7}),
    ];
    let batch = json!({"device_id": device, "records": records});
    let (s, r) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["stored"].as_u64(),
            r["duplicates"].as_u64(),
            r["rejected"].as_u64()
        ),
        (Some(7), Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(r["acks"][3]["id"], records[3]["id"]);

    // The same batch, again and three times at once: acknowledged, never stored twice.
    let (_, r) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(r["duplicates"], 7, "{r}");
    let (a, b, d) = tokio::join!(
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone())
        ),
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone())
        ),
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone())
        ),
    );
    for resp in [a, b, d] {
        let (s, r) = json_of(resp).await;
        assert_eq!((s, r["duplicates"].as_u64()), (200, Some(7)), "{r}");
    }
    let (_, p) = json_of(
        app.send(Actor::Director, Method::GET, &progress_path, None)
            .await,
    )
    .await;
    assert_eq!(
        (
            p["visits"].as_u64(),
            p["responses"].as_u64(),
            p["do_not_knock"].as_u64(),
            p["recontacts"].as_u64()
        ),
        (Some(3), Some(2), Some(1), Some(1)),
        "{p}"
    );
    assert_eq!(p["responses_by_version"][version.as_str()], 2);

    // Concurrent fresh batches from the same phone land once each.
    let fresh: Vec<Value> = (1..=6).map(|d| visit(&stops[3], d, "not_home")).collect();
    let one = json!({"device_id": device, "records": &fresh[..4]});
    let two = json!({"device_id": device, "records": &fresh[2..]});
    let (x, y) = tokio::join!(
        app.send(Actor::Walker18, Method::POST, &sync_path, Some(one)),
        app.send(Actor::Walker18, Method::POST, &sync_path, Some(two)),
    );
    let ((_, x), (_, y)) = (json_of(x).await, json_of(y).await);
    assert_eq!(
        x["stored"].as_u64().unwrap() + y["stored"].as_u64().unwrap(),
        6,
        "{x} {y}"
    );
    assert_eq!(
        x["duplicates"].as_u64().unwrap() + y["duplicates"].as_u64().unwrap(),
        2
    );

    // A record that cannot be read, or points outside the walker's bureau, is refused alone.
    records = vec![
        json!({"id": Uuid::now_v7(), "at": "2026-11-28T11:00:00Z", "kind": "visit", "address_id": stops[0].0, "building_id": stops[0].1}),
        json!({"id": Uuid::now_v7(), "at": "not a time", "kind": "visit"}),
        json!({"id": Uuid::new_v4(), "at": "2026-11-28T11:00:00Z", "kind": "door_count", "building_id": stops[0].1, "doors": 3}),
        visit(&outside, 1, "not_home"),
        json!({"id": Uuid::now_v7(), "at": "2026-11-28T11:00:00Z", "kind": "response", "version_id": version, "address_id": stops[0].0,
               "answers": {"consentement": true, "ce_qui_marche": 3.5}}),
        visit(&stops[2], 1, "refused"),
    ];
    let (s, r) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(json!({"device_id": device, "records": records})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let codes: Vec<&str> = r["acks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap_or(a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            "invalid_record",
            "invalid_record",
            "invalid_record",
            "out_of_scope",
            "invalid_answers",
            "stored"
        ]
    );
    // A record without an id cannot be acknowledged: the batch is refused whole.
    let (s, e) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(json!({"device_id": device, "records": [{"kind": "visit"}]})),
        )
        .await,
    )
    .await;
    assert_eq!((s, e["code"].as_str().unwrap()), (422, "invalid_record"));

    // Another walker cannot upload under this phone's id, nor replay its records.
    let code = app.invite(app.fx.b1801, 1, time::Duration::days(1)).await;
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let (s, j) = json_of(
        other
            .post(app.url("/api/v1/auth/join"))
            .json(&json!({"code": code, "display_name": "Yann"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let csrf = j["csrf_token"].as_str().unwrap().to_string();
    let send_other = |body: Value| {
        other
            .post(app.url(&sync_path))
            .header("x-csrf-token", csrf.clone())
            .json(&body)
            .send()
    };
    let (s, e) = json_of(
        send_other(json!({"device_id": device, "records": [visit(&stops[0], 3, "not_home")]}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, e["code"].as_str().unwrap()), (403, "device_not_yours"));
    let (s, r) = json_of(
        send_other(json!({"device_id": Uuid::now_v7(), "records": [batch["records"][0].clone()]}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, r["acks"][0]["code"].as_str().unwrap()),
        (200, "record_id_taken")
    );

    let (_, p) = json_of(
        app.send(Actor::Director, Method::GET, &progress_path, None)
            .await,
    )
    .await;
    assert_eq!(
        (
            p["visits"].as_u64(),
            p["responses"].as_u64(),
            p["walkers"].as_u64()
        ),
        (Some(10), Some(2), Some(1)),
        "{p}"
    );
    // Scoped progress: the 19th sees nothing of the 18th.
    let (_, p19) = json_of(
        app.send(Actor::Coordinator19, Method::GET, &progress_path, None)
            .await,
    )
    .await;
    assert_eq!(p19["visits"], 0);
    let (s, _) = json_of(
        app.send(
            Actor::Coordinator19,
            Method::GET,
            &format!("{progress_path}?territory={}", app.fx.a18),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 403);

    // The package now carries what was recorded: last outcomes, the door not to knock on, the
    // door added and the corrected count.
    let (_, pkg) = json_of(
        app.send(
            Actor::Walker18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/field/package?territory={}",
                app.fx.b1801
            ),
            None,
        )
        .await,
    )
    .await;
    let b1 = &pkg["stops"][1]["buildings"][0];
    assert_eq!(b1["door_status"][0]["do_not_knock"], true);
    let b2 = &pkg["stops"][2]["buildings"][0];
    assert_eq!(b2["doors"], 7);
    assert_eq!(b2["units"][0]["label"], "Loge");

    // Contact details only with consent, for the direction only.
    let recontacts = format!("/api/v1/campaigns/{c}/field/recontacts");
    let (s, list) = json_of(
        app.send(Actor::Director, Method::GET, &recontacts, None)
            .await,
    )
    .await;
    assert_eq!(s, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["contact"]["name"], "Mme Diallo");
    assert_eq!(list[0]["address"], "2 Rue Marcadet");
    assert!(
        list[0]["statement"]
            .as_str()
            .unwrap()
            .contains("recontacté")
    );
    let (s, _) = json_of(
        app.send(Actor::Coordinator18, Method::GET, &recontacts, None)
            .await,
    )
    .await;
    assert_eq!(s, 403);
}

on_both!(
    walkers_upload_each_record_exactly_once,
    walkers_upload_exactly_once
);

/// A burst of uploads beyond the admission limit is turned away with `429 server_busy` and a
/// `Retry-After` after a short wait for a slot, storing nothing; a slot freed during that wait
/// admits the upload; the refused batch sent again once a slot is free is stored.
async fn uploads_beyond_the_limit_are_told_to_come_back(app: &TestApp) {
    let c = app.fx.campaign;
    let (stops, _, _) = field_setup(app).await;
    let sync_path = format!("/api/v1/campaigns/{c}/field/sync");
    let slots = app
        .sync_slots
        .clone()
        .expect("the default config limits uploads");
    let limit = terrain_server::ServerConfig::default().sync_max_in_flight;
    assert_eq!(slots.available_permits(), limit);
    let batch = json!({"device_id": Uuid::now_v7(),
                       "records": [visit(&stops[0], 1, "not_home"), visit(&stops[0], 2, "refused")]});
    let visits = || async {
        app.store
            .field_progress(c, &terrain_store::Scope::Campaign)
            .await
            .unwrap()
            .visits
    };
    let before = visits().await;

    // Every slot taken (uploads being written): the next one is turned away.
    let held = slots
        .clone()
        .acquire_many_owned(limit as u32)
        .await
        .unwrap();
    let r = app
        .send(
            Actor::Walker18,
            Method::POST,
            &sync_path,
            Some(batch.clone()),
        )
        .await;
    assert_eq!(r.headers()["retry-after"], "1");
    let (s, body) = json_of(r).await;
    assert_eq!(s, 429);
    assert_eq!(body["code"], "server_busy");
    assert_eq!(
        visits().await,
        before,
        "nothing of a refused batch is stored"
    );

    // A slot freed while the upload waits for one (at most `sync_admission_wait`) admits it:
    // the burst is absorbed without a round trip to the phone.
    let early = json!({"device_id": Uuid::now_v7(), "records": [visit(&stops[1], 1, "not_home")]});
    let freeing = async {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        drop(held);
    };
    let (r, ()) = tokio::join!(
        app.send(Actor::Walker18, Method::POST, &sync_path, Some(early)),
        freeing
    );
    let (s, body) = json_of(r).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(visits().await, before + 1);

    // One slot free: the same batch goes through, whole.
    let _others = slots
        .clone()
        .acquire_many_owned(limit as u32 - 1)
        .await
        .unwrap();
    let (s, body) = json_of(
        app.send(Actor::Walker18, Method::POST, &sync_path, Some(batch))
            .await,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["stored"], 2);
    assert_eq!(visits().await, before + 3);
    assert_eq!(
        slots.available_permits(),
        1,
        "the slot is given back after the upload"
    );
}

on_both!(
    uploads_beyond_the_limit_are_told_to_come_back,
    uploads_beyond_the_limit_are_told_to_come_back
);

/// A turf handed to the walker: listed as theirs, downloaded with its stops in walking order,
/// and its stops marked walked once the walker's visits are uploaded.
async fn walkers_walk_their_turfs(app: &TestApp) {
    let c = app.fx.campaign;
    let fx = crate::turfs::seed_turfs(app).await;
    let walker = app.caller(Actor::Walker18).user.unwrap();
    let mine = format!("/api/v1/campaigns/{c}/field/turfs");
    let (s, list) = json_of(app.send(Actor::Walker18, Method::GET, &mine, None).await).await;
    assert_eq!((s, list.as_array().unwrap().len()), (200, 0), "{list}");

    // Training required: an untrained walker is refused a turf, whoever hands it out.
    let settings = format!("/api/v1/campaigns/{c}/volunteer-settings");
    let (s, _) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &settings,
            Some(json!({"turfs_require_training": true, "signup_open": true})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
    let checkout = format!("/api/v1/campaigns/{c}/turfs/{}/checkout", fx.turfs[1]);
    let hand_out = json!({"user_id": walker, "hours": 3});
    let (s, e) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &checkout,
            Some(hand_out.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str().unwrap()),
        (422, "not_trained"),
        "{e}"
    );
    let (s, _) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &settings,
            Some(json!({"turfs_require_training": false, "signup_open": true})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
    let (s, t) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &checkout,
            Some(hand_out),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{t}");

    // Another turf handed to a team is not the walker's.
    let (s, _) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/turfs/{}/checkout", fx.turfs[2]),
            Some(json!({"team": "Binôme Ordener"})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
    let (_, list) = json_of(app.send(Actor::Walker18, Method::GET, &mine, None).await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], fx.turfs[1].to_string());
    assert_eq!(list[0]["number"], 2);
    assert_eq!(list[0]["stops"], fx.stops[1].len());
    let (_, other) = json_of(
        app.send(Actor::Coordinator18, Method::GET, &mine, None)
            .await,
    )
    .await;
    assert_eq!(other.as_array().unwrap().len(), 0);

    // A turf handed to a sortie is the walker's once they accept the sortie, until it ends.
    let (s, sortie) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/sorties"),
            Some(
                json!({"title": "Samedi Ordener", "territory_id": app.fx.a18,
                "starts_at": "2030-03-09T09:00:00Z", "ends_at": "2030-03-09T12:00:00Z",
                "meeting_point": "Mairie du 18e", "areas": [app.fx.b1801], "open_signup": true}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(s, 201, "{sortie}");
    let sortie_id = sortie["id"].as_str().unwrap();
    let (s, t) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/turfs/{}/checkout", fx.turfs[3]),
            Some(json!({"session_id": sortie_id})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["checkout"]["expires_at"], "2030-03-09T12:00:00Z");
    let (_, list) = json_of(app.send(Actor::Walker18, Method::GET, &mine, None).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (s, r) = json_of(
        app.send(
            Actor::Walker18,
            Method::PUT,
            &format!("/api/v1/campaigns/{c}/me/sorties/{sortie_id}"),
            Some(json!({"answer": "accepted"})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (_, list) = json_of(app.send(Actor::Walker18, Method::GET, &mine, None).await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[1]["id"], fx.turfs[3].to_string());
    assert_eq!(list[1]["sortie_id"], sortie_id);
    // A sortie that does not exist is refused.
    let (s, _) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/turfs/{}/checkout", fx.turfs[0]),
            Some(json!({"session_id": Uuid::now_v7()})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 404);

    // The package of the turf: its stops in walking order, its outline on the map.
    let pkg_path = |q: &str| format!("/api/v1/campaigns/{c}/field/package?{q}");
    let (s, pkg) = json_of(
        app.send(
            Actor::Walker18,
            Method::GET,
            &pkg_path(&format!("turf={}", fx.turfs[1])),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{pkg}");
    assert_eq!(pkg["turf_id"], fx.turfs[1].to_string());
    assert_eq!(pkg["turf"]["number"], 2);
    assert_eq!(pkg["territory"]["id"], app.fx.b1801.to_string());
    let order: Vec<String> = pkg["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["address_id"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = fx.stops[1].iter().map(|s| s.0.to_string()).collect();
    assert_eq!(order, expected);
    assert!(
        pkg["map"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["kind"] == "turf")
    );

    // Neither, both, or a turf outside one's territory.
    for (q, who, status, code) in [
        (String::new(), Actor::Walker18, 422, "invalid_input"),
        (
            format!("turf={}&territory={}", fx.turfs[1], app.fx.b1801),
            Actor::Walker18,
            422,
            "invalid_input",
        ),
        (
            format!("turf={}", fx.turfs[1]),
            Actor::Coordinator19,
            403,
            "territory_out_of_scope",
        ),
        (
            format!("turf={}", Uuid::now_v7()),
            Actor::Walker18,
            404,
            "turf_not_found",
        ),
    ] {
        let (s, e) = json_of(app.send(who, Method::GET, &pkg_path(&q), None).await).await;
        assert_eq!(
            (s, e["code"].as_str().unwrap_or("")),
            (status, code),
            "{q}: {e}"
        );
    }

    // A visit uploaded marks its stop walked, on the turf.
    let stop = &pkg["stops"][0];
    let record = json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:15:00+01:00", "kind": "visit",
        "address_id": stop["address_id"], "building_id": stop["buildings"][0]["id"],
        "door": {"number": 1}, "outcome": "not_home", "turf_id": fx.turfs[1]});
    let (s, r) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/field/sync"),
            Some(json!({"device_id": Uuid::now_v7(), "records": [record]})),
        )
        .await,
    )
    .await;
    assert_eq!((s, r["stored"].as_u64()), (200, Some(1)), "{r}");
    let stops = app.store.turf_stops(c, fx.turfs[1]).await.unwrap();
    let walked: Vec<bool> = stops.iter().map(|s| s.visited_at.is_some()).collect();
    assert!(walked[0], "{walked:?}");
    assert_eq!(walked.iter().filter(|w| **w).count(), 1, "{walked:?}");
}

on_both!(
    walkers_download_and_walk_the_turfs_handed_to_them,
    walkers_walk_their_turfs
);

/// Data quality: a walker logging doors 150 m apart every ten seconds, and the same long answer
/// typed for three respondents of a bureau, are flagged to the territory's coordinator — and to
/// nobody outside it.
async fn implausible_field_work_is_flagged(app: &TestApp) {
    let c = app.fx.campaign;
    let (_, _, version) = field_setup(app).await;
    let items: Vec<NewAddress> = (0..6)
        .map(|i| NewAddress {
            ban_id: Some(format!("75118_quality_{i:0>5}")),
            number: Some((100 + i).to_string()),
            rep: None,
            street: "Boulevard Barbès".into(),
            postcode: Some("75018".into()),
            commune: CommuneCode::parse("75118").unwrap(),
            lon: 2.34 + 0.002 * i as f64,
            lat: 48.89,
            bureau_id: Some(app.fx.b1801),
            iris_id: None,
            doors_estimated: 4,
        })
        .collect();
    let ids = app
        .store
        .add_addresses(&Audit::cli(), c, &items)
        .await
        .unwrap();
    let start = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let at = |s: i64| {
        (start + time::Duration::seconds(s))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut records = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let b = app.store.buildings(c, *id).await.unwrap()[0].id;
        records.push(
            json!({"id": Uuid::now_v7(), "at": at(10 * i as i64), "kind": "visit",
            "address_id": id.to_string(), "building_id": b.to_string(), "door": {"number": 1},
            "outcome": "refused"}),
        );
    }
    let long = "Les services publics de proximité ferment les uns après les autres";
    for i in 0..3 {
        records.push(
            json!({"id": Uuid::now_v7(), "at": at(100 + i), "kind": "response",
            "version_id": version, "address_id": ids[i as usize].to_string(),
            "answers": {"consentement": true, "ce_qui_marche": long}}),
        );
    }
    let (s, acks) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/field/sync"),
            Some(json!({"device_id": Uuid::new_v4(), "records": records})),
        )
        .await,
    )
    .await;
    assert_eq!((s, acks["stored"].as_u64()), (200, Some(9)), "{acks}");

    let path = format!("/api/v1/campaigns/{c}/field/quality");
    let (s, q) = json_of(
        app.send(Actor::Coordinator18, Method::GET, &path, None)
            .await,
    )
    .await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(
        (
            q["visits_checked"].as_u64(),
            q["responses_checked"].as_u64()
        ),
        (Some(6), Some(3))
    );
    let flags = q["flags"].as_array().unwrap();
    let fast = flags
        .iter()
        .find(|f| f["kind"] == "too_fast")
        .expect("too fast");
    assert_eq!(
        (fast["count"].as_u64(), fast["out_of"].as_u64()),
        (Some(5), Some(5))
    );
    assert_eq!(fast["bureau_code"], "75056_1801");
    assert!(
        fast["walker_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{fast}"
    );
    // 146 m in 10 s: about 53 km/h.
    assert!(
        (fast["value"].as_f64().unwrap() - 52.7).abs() < 1.5,
        "{fast}"
    );
    let copied = flags
        .iter()
        .find(|f| f["kind"] == "copied_answers")
        .expect("copied");
    assert_eq!(
        (copied["count"].as_u64(), copied["question"].as_str()),
        (Some(3), Some("ce_qui_marche"))
    );
    assert!(
        copied["walker_id"].is_null(),
        "answers are never tied to a walker"
    );
    assert_eq!(flags.len(), 2, "{q}");

    // Outside the territory nothing shows; walkers may not look; bad windows are refused.
    let (s, q19) = json_of(
        app.send(Actor::Coordinator19, Method::GET, &path, None)
            .await,
    )
    .await;
    assert_eq!((s, q19["flags"].as_array().map(Vec::len)), (200, Some(0)));
    let (s, _) = json_of(app.send(Actor::Walker18, Method::GET, &path, None).await).await;
    assert_eq!(s, 403);
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("{path}?days=0"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (422, Some("invalid_input")));
    let (s, e) = json_of(
        app.send(
            Actor::Coordinator19,
            Method::GET,
            &format!("{path}?territory={}", app.fx.b1801),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("territory_out_of_scope"))
    );
}
on_both!(
    implausible_field_work_is_flagged_for_a_look,
    implausible_field_work_is_flagged
);
