//! Volunteers over HTTP: the public sign-up (bad input, consent, rate limit, cross-site
//! writes), a sortie from planning to the walker's answer and calendar, and reminders sent to a
//! fake SMTP server on 127.0.0.1.

use crate::harness::*;
use crate::on_both;
use Actor::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use terrain_server::ServerConfig;
use terrain_server::mail::SmtpConfig;
use terrain_store::VolunteerQuery;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn post_signup(app: &TestApp, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/public/paris/signup"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp) -> u64 {
    app.store
        .volunteers(app.fx.campaign, &VolunteerQuery::default())
        .await
        .unwrap()
        .total
}

async fn code_of(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        v["code"].as_str().unwrap_or_default().to_string(),
        v["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn public_signup(app: &TestApp) {
    let before = count(app).await;
    let form: Value = reqwest::get(app.url("/api/v1/public/paris/signup"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["campaign_name"], "Paris");
    assert!(form["open"].as_bool().unwrap());
    let ok = json!({"name": "Inès", "email": "ines@exemple.fr", "phone": "06 12 34 56 78",
                    "postcode": "75 018", "availability": ["saturday_morning", "weekday_evening"], "consent": true});
    let r = post_signup(app, ok.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["territory_name"], "Paris 18e", "placed by postcode");
    // Bad input: a clear error naming the field, and nothing stored.
    for (patch, code, field) in [
        (json!({"postcode": "750"}), "invalid_input", "postcode"),
        (
            json!({"email": "pas-une-adresse"}),
            "invalid_input",
            "email",
        ),
        (json!({"phone": "appelez-moi"}), "invalid_input", "phone"),
        (
            json!({"availability": ["jamais"]}),
            "invalid_input",
            "availability",
        ),
        (
            json!({"email": null, "phone": null}),
            "invalid_input",
            "email, phone",
        ),
        (json!({"name": "  "}), "invalid_input", "name"),
        (json!({"consent": false}), "consent_required", "consent"),
    ] {
        let mut body = ok.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, c, msg) = code_of(post_signup(app, body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}");
        assert_eq!(c, code, "{patch}");
        assert!(msg.starts_with(field), "{patch}: {msg}");
    }
    assert_eq!(count(app).await, before + 1);
    // Cross-site writes and forms are refused.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/public/paris/signup"))
        .header("origin", "https://evil.example")
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(r).await.1, "origin_mismatch");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/public/paris/signup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=X&email=x%40y.fr&postcode=75018&consent=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = post_signup(
        app,
        json!({"name": "X", "email": "x@y.fr", "postcode": "75018", "consent": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = reqwest::get(app.url("/api/v1/public/nowhere/signup"))
        .await
        .unwrap();
    assert_eq!(code_of(r).await.1, "campaign_not_found");
    // The same person again, spelled differently: stored, shown as a possible duplicate.
    let again =
        json!({"name": "Ines", "email": "INES@exemple.fr", "postcode": "75018", "consent": true});
    assert_eq!(post_signup(app, again).await.status(), StatusCode::CREATED);
    let dups: Value = app
        .send(
            Coordinator18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{}/volunteers?duplicates=true",
                app.fx.campaign
            ),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dups["total"], 2);
    // The 19th's coordinator sees none of the 18th's sign-ups.
    let theirs: Value = app
        .send(
            Coordinator19,
            Method::GET,
            &format!("/api/v1/campaigns/{}/volunteers?q=ines", app.fx.campaign),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);
    // Closed sign-ups.
    let r = app
        .send(
            Director,
            Method::PUT,
            &format!("/api/v1/campaigns/{}/volunteer-settings", app.fx.campaign),
            Some(json!({"turfs_require_training": true, "signup_open": false})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(code_of(post_signup(app, ok).await).await.1, "signup_closed");
}

on_both!(the_public_signup, public_signup);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_are_rate_limited_per_client() {
    let app = TestApp::spawn_with(
        Db::Sqlite,
        ServerConfig {
            signups_per_client: 2,
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let before = count(&app).await;
    for i in 0..2 {
        let r = post_signup(
            &app,
            json!({"name": "V", "email": format!("v{i}@exemple.fr"), "postcode": "75018", "consent": true}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = post_signup(
        &app,
        json!({"name": "V", "email": "v9@exemple.fr", "postcode": "75018", "consent": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(count(&app).await, before + 2);
    app.stop().await;
}

async fn sortie_to_calendar(app: &TestApp) {
    let c = app.fx.campaign;
    let walker = app.caller(Walker18).user.unwrap();
    // The coordinator plans an open sortie in the 18th.
    let start = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    let fmt = |t: time::OffsetDateTime| {
        t.replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let r = app
        .send(
            Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/sorties"),
            Some(json!({"title": "Samedi à Marcadet", "territory_id": app.fx.a18,
                        "starts_at": fmt(start), "ends_at": fmt(start + time::Duration::hours(3)),
                        "meeting_point": "Métro Marcadet-Poissonniers", "meeting_lon": 2.3497, "meeting_lat": 48.8913,
                        "areas": [app.fx.b1801], "open_signup": true})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let sortie: Value = r.json().await.unwrap();
    assert_eq!(sortie["uncovered"], 1);
    // An area outside the sortie's territory: 422; another coordinator's territory: 403.
    let r = app
        .send(
            Coordinator19,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/sorties"),
            Some(json!({"title": "X", "territory_id": app.fx.a18, "starts_at": fmt(start),
                        "ends_at": fmt(start + time::Duration::hours(1)), "meeting_point": "X", "areas": [app.fx.b1801]})),
        )
        .await;
    assert_eq!(code_of(r).await.1, "territory_out_of_scope");
    let r = app
        .send(
            Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/sorties"),
            Some(json!({"title": "X", "territory_id": app.fx.a18, "starts_at": fmt(start),
                        "ends_at": fmt(start - time::Duration::hours(1)), "meeting_point": "X", "areas": [app.fx.b1801]})),
        )
        .await;
    assert_eq!(code_of(r).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // The walker sees it on their phone, with where to meet.
    let mine: Value = app
        .send(
            Walker18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/me/sorties"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["sorties"][0]["title"], "Samedi à Marcadet");
    assert_eq!(
        mine["sorties"][0]["meeting_point"],
        "Métro Marcadet-Poissonniers"
    );
    assert_eq!(mine["sorties"][0]["my_status"], Value::Null);
    assert_eq!(mine["may_go_out"], false);
    // Not trained yet: refused, with the reason.
    let answer = format!(
        "/api/v1/campaigns/{c}/me/sorties/{}",
        sortie["id"].as_str().unwrap()
    );
    let r = app
        .send(
            Walker18,
            Method::PUT,
            &answer,
            Some(json!({"answer": "accepted"})),
        )
        .await;
    assert_eq!(code_of(r).await.1, "not_trained");
    // Trained by the trainer, then accepted.
    let r = app
        .send(
            Trainer18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/trainings"),
            Some(json!({"title": "Les bases", "territory_id": app.fx.a18, "starts_at": fmt(start - time::Duration::days(1)),
                        "ends_at": fmt(start - time::Duration::days(1) + time::Duration::hours(2)),
                        "video_url": "https://visio.exemple.fr/bases", "capacity": 8,
                        "programme": ["Se présenter", "Écouter", "Conclure"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let training: Value = r.json().await.unwrap();
    let tid = training["id"].as_str().unwrap();
    assert_eq!(training["trainer_name"], "Trainer18");
    let r = app
        .send(
            Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/trainings/{tid}/registrations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .send(
            Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/trainings/{tid}/registrations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(code_of(r).await.1, "already_registered");
    let r = app
        .send(
            Trainer18,
            Method::PUT,
            &format!("/api/v1/campaigns/{c}/trainings/{tid}/registrations/{walker}"),
            Some(json!({"attended": true, "skills": ["Se présenter", "Écouter", "Conclure"], "validated": true})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .send(
            Walker18,
            Method::PUT,
            &answer,
            Some(json!({"answer": "accepted"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["participants"][0]["status"], "accepted");
    assert_eq!(s["participants"][0]["area_id"], json!(app.fx.b1801));
    let cert: Value = app
        .send(
            Coordinator18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/volunteers/{walker}/certificate"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cert["trainings"][0]["skills"].as_array().unwrap().len(), 3);
    // Their calendar: a secret address, no cookie needed.
    let feed: Value = app
        .send(
            Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/me/calendar"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let url = feed["url"].as_str().unwrap();
    assert!(url.ends_with(".ics"));
    let path = &url[url.find("/api/v1/").unwrap()..];
    let r = reqwest::get(app.url(path)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    assert!(ics.contains("SUMMARY:Sortie : Samedi à Marcadet"), "{ics}");
    assert!(ics.contains("LOCATION:Métro Marcadet-Poissonniers"));
    assert!(ics.contains("SUMMARY:Formation : Les bases"));
    assert!(ics.contains("STATUS:CONFIRMED"));
    // A new feed revokes the old address.
    app.send(
        Walker18,
        Method::POST,
        &format!("/api/v1/campaigns/{c}/me/calendar"),
        None,
    )
    .await;
    let r = reqwest::get(app.url(path)).await.unwrap();
    assert_eq!(code_of(r).await.1, "feed_not_found");
    // The coordinator's week shows it, covered by one person of the two needed.
    let week: Value = app
        .send(
            Coordinator18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/week?start={}",
                (start - time::Duration::days(1)).date()
            ),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(week["sorties"].as_array().unwrap().len(), 1);
    assert_eq!(week["uncovered"][0]["accepted"], 1);
    assert_eq!(week["uncovered"][0]["needed"], 2);
    let csv = app
        .send(
            Coordinator18,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/week/reminders.csv?start={}",
                (start - time::Duration::days(1)).date()
            ),
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("sortie;date;début;fin;rendez-vous;secteur;nom;réponse;e-mail;téléphone"));
    assert!(csv.contains("Samedi à Marcadet"));
    assert!(csv.contains("Nadia;confirmé·e"), "{csv}");
}

on_both!(a_sortie_from_planning_to_the_calendar, sortie_to_calendar);

/// A fake SMTP server: accepts everything, keeps each message with its envelope.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let (mut rcpt, mut data, mut in_data) = (String::new(), String::new(), false);
                let mut line = String::new();
                while r.read_line(&mut line).await.unwrap_or(0) > 0 {
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            store.lock().unwrap().push((rcpt.clone(), data.clone()));
                            data.clear();
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                        }
                    } else if line.starts_with("EHLO") {
                        w.write_all(b"250-fake\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if line.starts_with("RCPT TO:") {
                        rcpt = line.trim_end().to_string();
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    } else if line.starts_with("DATA") {
                        in_data = true;
                        w.write_all(b"354 go\r\n").await.unwrap();
                    } else if line.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    }
                    line.clear();
                }
            });
        }
    });
    (port, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_go_through_the_configured_mail_server() {
    let (port, got) = fake_smtp().await;
    let app = TestApp::spawn_with(
        Db::Sqlite,
        ServerConfig {
            smtp: Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port,
                from: "Campagne Paris <terrain@exemple.fr>".into(),
            }),
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let c = app.fx.campaign;
    // A sign-up who agreed to be contacted, invited to a sortie; a walker without e-mail.
    assert_eq!(
        post_signup(&app, json!({"name": "Inès", "email": "ines@exemple.fr", "postcode": "75018", "consent": true}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let page: Value = app
        .send(
            Coordinator18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/volunteers?q=ines"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let ines = page["items"][0]["id"].as_str().unwrap().to_string();
    let start = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let fmt = |t: time::OffsetDateTime| {
        t.replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let sortie: Value = app
        .send(
            Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/sorties"),
            Some(json!({"title": "Porte-à-porte", "territory_id": app.fx.a18, "starts_at": fmt(start),
                        "ends_at": fmt(start + time::Duration::hours(2)), "meeting_point": "Mairie du 18e",
                        "areas": [app.fx.b1801]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let sid = sortie["id"].as_str().unwrap();
    let walker = app.caller(Walker18).user.unwrap();
    for v in [ines.as_str(), &walker.to_string()] {
        let r = app
            .send(
                Coordinator18,
                Method::PUT,
                &format!("/api/v1/campaigns/{c}/sorties/{sid}/participants/{v}"),
                Some(json!({"status": "invited"})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The week starting on the sortie's day (Paris is ahead of UTC: its date is no earlier).
    let r: Value = app
        .send(
            Coordinator18,
            Method::POST,
            &format!(
                "/api/v1/campaigns/{c}/week/reminders?start={}",
                start.date()
            ),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let (sent, without) = (
        r["sent"].as_u64().unwrap(),
        r["without_email"].as_u64().unwrap(),
    );
    assert_eq!((sent, without), (1, 1));
    let mails = got.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "RCPT TO:<ines@exemple.fr>");
    assert!(mails[0].1.contains("Subject: =?UTF-8?B?"), "{}", mails[0].1);
    assert!(
        mails[0].1.contains("Rendez-vous : Mairie du 18e."),
        "{}",
        mails[0].1
    );
    app.stop().await;
}
