//! Bad input and attacks on the HTTP surface: each gets the right status and a stable code, and
//! nothing is lost or opened.

use crate::harness::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use terrain_server::ServerConfig;

async fn code(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or("").to_string())
}

async fn stable_codes(app: &TestApp) {
    let c = app.fx.campaign;
    assert_eq!(
        code(
            app.send(
                Actor::Anonymous,
                Method::GET,
                &format!("/api/v1/campaigns/{c}"),
                None
            )
            .await
        )
        .await,
        (401, "unauthenticated".into())
    );
    assert_eq!(
        code(
            app.send(
                Actor::Walker18,
                Method::GET,
                &format!("/api/v1/campaigns/{c}/members"),
                None
            )
            .await
        )
        .await,
        (403, "forbidden_role".into())
    );
    assert_eq!(
        code(
            app.send(
                Actor::Coordinator19,
                Method::GET,
                &format!("/api/v1/campaigns/{c}/territories/{}", app.fx.a18),
                None
            )
            .await
        )
        .await,
        (403, "territory_out_of_scope".into())
    );
    assert_eq!(
        code(
            app.send(
                Actor::Outsider,
                Method::GET,
                &format!("/api/v1/campaigns/{c}"),
                None
            )
            .await
        )
        .await,
        (404, "campaign_not_found".into())
    );
    // Another campaign's id, a malformed id, an unknown territory.
    let other = app.fx.other_campaign;
    assert_eq!(
        code(
            app.send(
                Actor::Coordinator18,
                Method::GET,
                &format!("/api/v1/campaigns/{other}/territories"),
                None
            )
            .await
        )
        .await
        .0,
        404
    );
    assert_eq!(
        code(
            app.send(
                Actor::Director,
                Method::GET,
                "/api/v1/campaigns/not-a-uuid",
                None
            )
            .await
        )
        .await,
        (404, "campaign_not_found".into())
    );
    assert_eq!(
        code(
            app.send(
                Actor::Director,
                Method::GET,
                &format!("/api/v1/campaigns/{c}/territories/{}", uuid_v7()),
                None
            )
            .await
        )
        .await,
        (404, "territory_not_found".into())
    );
    // A coordinator reaching into the 19th through a parent filter is refused too.
    assert_eq!(
        code(
            app.send(
                Actor::Coordinator18,
                Method::GET,
                &format!("/api/v1/campaigns/{c}/territories?parent={}", app.fx.a19),
                None
            )
            .await
        )
        .await,
        (403, "territory_out_of_scope".into())
    );
    // Listing by kind stays inside one's territory.
    let r = app
        .send(
            Actor::Coordinator18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/territories?kind=bureau"),
            None,
        )
        .await;
    let list: Vec<Value> = r.json().await.unwrap();
    assert!(
        list.iter()
            .all(|t| t["code"].as_str().unwrap().starts_with("75056_18")),
        "{list:?}"
    );
    assert_eq!(
        code(
            app.send(Actor::Director, Method::GET, "/api/v1/nope", None)
                .await
        )
        .await,
        (404, "not_found".into())
    );
}
on_both!(errors_have_stable_codes, stable_codes);

fn uuid_v7() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

async fn csrf(app: &TestApp) {
    let c = app.fx.campaign;
    let body = json!({"territory_id": app.fx.a18});
    let caller = app.caller(Actor::Coordinator18);
    let url = app.url(&format!("/api/v1/campaigns/{c}/invites"));
    let missing = caller.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(code(missing).await, (403, "csrf_token_missing".into()));
    let forged = caller
        .client
        .post(&url)
        .header("x-csrf-token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(code(forged).await, (403, "csrf_token_invalid".into()));
    let other = app.caller(Actor::Coordinator19).csrf.clone().unwrap();
    let stolen = caller
        .client
        .post(&url)
        .header("x-csrf-token", other)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(stolen).await,
        (403, "csrf_token_invalid".into()),
        "another session's token must not work"
    );
    let ok = caller
        .client
        .post(&url)
        .header("x-csrf-token", caller.csrf.clone().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    // Reads need no token.
    let read = caller
        .client
        .get(app.url(&format!("/api/v1/campaigns/{c}/invites")))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    // A write from another site is refused before anything else.
    let cross = caller
        .client
        .post(&url)
        .header("x-csrf-token", caller.csrf.clone().unwrap())
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(code(cross).await, (403, "origin_mismatch".into()));
}
on_both!(writes_need_the_csrf_token, csrf);

async fn bearer_tokens(app: &TestApp) {
    let c = app.fx.campaign;
    let r = app
        .send(
            Actor::Director,
            Method::POST,
            "/api/v1/auth/tokens",
            Some(json!({"name": "import", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_string();
    let id = v["token"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("trn_"));
    let script = reqwest::Client::new();
    // A script writes without cookie or CSRF token.
    let w = script
        .post(app.url(&format!("/api/v1/campaigns/{c}/invites")))
        .bearer_auth(&secret)
        .json(&json!({"territory_id": app.fx.a19}))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), StatusCode::CREATED);
    let list: Vec<Value> = app
        .send(Actor::Director, Method::GET, "/api/v1/auth/tokens", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.iter()
            .all(|t| t.get("secret").is_none() && !t.to_string().contains(&secret)),
        "secrets are shown once"
    );
    let revoke = app
        .send(
            Actor::Director,
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let after = script
        .get(app.url("/api/v1/auth/session"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(code(after).await, (401, "invalid_token".into()));
    for bad in ["trn_nope", "nope", ""] {
        let r = script
            .get(app.url("/api/v1/auth/session"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(code(r).await, (401, "invalid_token".into()), "{bad:?}");
    }
}
on_both!(bearer_tokens_work_and_can_be_revoked, bearer_tokens);

/// Signs in on a bare client and returns the session cookie's value and the CSRF token.
async fn raw_login(app: &TestApp, email: &str, planted: Option<&str>) -> (String, String) {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}));
    if let Some(p) = planted {
        req = req.header("cookie", format!("terrain_session={p}"));
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("terrain_session=")
        .to_string();
    let v: Value = r.json().await.unwrap();
    (cookie, v["csrf_token"].as_str().unwrap().to_string())
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .request(method, app.url(path))
        .header("cookie", format!("terrain_session={cookie}"));
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    req.send().await.unwrap()
}

async fn sessions(app: &TestApp) {
    // Signing in with a session id planted in the browser gives a new id, and the planted
    // one dies (no session fixation).
    let (first, _) = raw_login(app, email_of(Actor::Director), None).await;
    let (second, csrf) = raw_login(app, email_of(Actor::Director), Some(&first)).await;
    assert_ne!(first, second);
    let old = with_cookie(app, Method::GET, "/api/v1/auth/session", &first, None).await;
    assert_eq!(
        code(old).await,
        (401, "session_expired".into()),
        "the old session survived a new sign-in"
    );
    assert_eq!(
        with_cookie(app, Method::GET, "/api/v1/auth/session", &second, None)
            .await
            .status(),
        StatusCode::OK
    );
    // Signing out kills the session on the server, not only in the browser.
    let out = with_cookie(
        app,
        Method::POST,
        "/api/v1/auth/logout",
        &second,
        Some(&csrf),
    )
    .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = out
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let replay = with_cookie(app, Method::GET, "/api/v1/auth/session", &second, None).await;
    assert_eq!(code(replay).await, (401, "session_expired".into()));
    // A made-up cookie is just unauthenticated.
    let forged = with_cookie(app, Method::GET, "/api/v1/auth/session", "forged", None).await;
    assert_eq!(code(forged).await.0, 401);
}
on_both!(sessions_are_renewed_and_killed, sessions);

async fn invites(app: &TestApp) {
    let c = app.fx.campaign;
    let r = app
        .send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/invites"),
            Some(json!({"territory_id": app.fx.b1801, "max_uses": 1})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let code_text = v["code"].as_str().unwrap().to_string();
    assert!(
        v["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/field/#join={code_text}"))
    );
    assert!(v["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    // Typed sloppily on a phone: lower case, no dash.
    let sloppy = code_text.to_lowercase().replace('-', " ");
    let join = reqwest::Client::new()
        .post(app.url("/api/v1/auth/join"))
        .json(&json!({"code": sloppy, "display_name": "Malik"}))
        .send()
        .await
        .unwrap();
    assert_eq!(join.status(), StatusCode::OK);
    let s: Value = join.json().await.unwrap();
    assert_eq!(s["campaigns"][0]["role"], "walker");
    assert_eq!(s["campaigns"][0]["territories"][0]["code"], "75056_1801");
    let again = reqwest::Client::new()
        .post(app.url("/api/v1/auth/join"))
        .json(&json!({"code": code_text, "display_name": "Trop tard"}))
        .send()
        .await
        .unwrap();
    assert_eq!(code(again).await, (410, "invite_used_up".into()));
    // An expired invite.
    let old = app.invite(app.fx.a18, 5, time::Duration::seconds(-1)).await;
    let late = reqwest::Client::new()
        .post(app.url("/api/v1/auth/join"))
        .json(&json!({"code": old, "display_name": "Léa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(code(late).await, (410, "invite_expired".into()));
    // The pyramid records who recruited the newcomer.
    let members: Vec<Value> = app
        .send(
            Actor::Coordinator18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/members"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let malik = members
        .iter()
        .find(|m| m["user"]["display_name"] == "Malik")
        .unwrap();
    assert_eq!(
        malik["recruited_by"],
        app.caller(Actor::Coordinator18).user.unwrap().to_string()
    );
    // Only walkers and trainers are invited, and a coordinator gives no more than they hold.
    let r = app
        .send(
            Actor::Coordinator18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/invites"),
            Some(json!({"territory_id": app.fx.a18, "role": "director"})),
        )
        .await;
    assert_eq!(code(r).await.0, 422);
}
on_both!(invites_are_redeemed_and_expire, invites);

async fn member_rules(app: &TestApp) {
    let c = app.fx.campaign;
    let path = format!("/api/v1/campaigns/{c}/members");
    let post = |actor, body| app.send(actor, Method::POST, &path, Some(body));
    let r = post(Actor::Coordinator18, json!({"email": "boss@test.fr", "display_name": "Boss", "password": "a long enough one", "role": "director"})).await;
    assert_eq!(code(r).await, (403, "role_not_grantable".into()));
    let r = post(
        Actor::Coordinator18,
        json!({"display_name": "W", "role": "walker", "territories": [app.fx.a19]}),
    )
    .await;
    assert_eq!(code(r).await, (403, "territory_out_of_scope".into()));
    let r = post(
        Actor::Director,
        json!({"display_name": "C", "role": "coordinator", "territories": [app.fx.a19]}),
    )
    .await;
    assert_eq!(
        code(r).await,
        (422, "invalid_input".into()),
        "a staff account needs an e-mail and a password"
    );
    let r = post(Actor::Director, json!({"email": "c2@test.fr", "display_name": "C", "password": "short", "role": "coordinator", "territories": [app.fx.a19]})).await;
    assert_eq!(code(r).await, (422, "weak_password".into()));
    let r = post(Actor::Director, json!({"email": "c2@test.fr", "display_name": "Camille", "password": PASSWORD, "role": "coordinator", "territories": [app.fx.a19]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // The new coordinator can sign in and sees the 19th only.
    let camille = app.login("c2@test.fr").await;
    let s: Value = camille
        .client
        .get(app.url("/api/v1/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["campaigns"][0]["territories"][0]["code"], "75119");
    let r = post(
        Actor::Director,
        json!({"email": "c2@test.fr", "role": "trainer", "territories": [app.fx.a19]}),
    )
    .await;
    assert_eq!(code(r).await, (409, "already_member".into()));
    // An existing account from another campaign joins this one by e-mail, no new password.
    let r = post(Actor::Director, json!({"email": email_of(Actor::Outsider), "role": "walker", "territories": [app.fx.b1801]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Every write is in the audit log with its author.
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
    let director = app.caller(Actor::Director).user.unwrap().to_string();
    assert!(
        log.iter()
            .any(|e| e["action"] == "member.add" && e["actor"] == director && e["source"] == "api"),
        "{log:?}"
    );
    assert!(
        !serde_json::to_string(&log).unwrap().contains(PASSWORD),
        "a password reached the audit log"
    );
}
on_both!(members_are_added_within_limits, member_rules);

async fn bad_bodies(app: &TestApp) {
    let c = app.fx.campaign;
    let caller = app.caller(Actor::Director);
    let url = app.url(&format!("/api/v1/campaigns/{c}/territories"));
    let csrf = caller.csrf.clone().unwrap();
    let r = caller
        .client
        .post(&url)
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("[not json")
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, (400, "invalid_json".into()));
    let r = caller
        .client
        .post(&url)
        .header("x-csrf-token", &csrf)
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, (415, "unsupported_media_type".into()));
    let r = caller
        .client
        .post(&url)
        .header("x-csrf-token", &csrf)
        .json(&json!([{"kind": "planet", "code": "x", "name": "y"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await.0, 422);
    let r = caller.client.post(&url).header("x-csrf-token", &csrf).json(&json!([{"kind": "bureau", "code": "75056_1899", "name": "B", "parent_kind": "department", "parent_code": "75"}])).send().await.unwrap();
    assert_eq!(code(r).await, (422, "invalid_input".into()));
    // Just over the limit (1 MiB): small enough to sit whole in the socket's buffers, so the
    // server's early 413 cannot race the client's write into a connection reset.
    let big = "x".repeat(1024 * 1024 + 16 * 1024);
    let r = caller
        .client
        .post(&url)
        .header("x-csrf-token", &csrf)
        .json(&json!([{"kind": "bureau", "code": "1", "name": big}]))
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(code(r).await, (413, "payload_too_large".into())),
        // Should the server still close first, the write fails: the body was refused either way.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/territories?limit=abc"),
            None,
        )
        .await;
    assert_eq!(code(r).await, (400, "invalid_query".into()));
    // Nothing of the refused writes was kept.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/territories?kind=bureau"),
            None,
        )
        .await;
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 2);
}
on_both!(bad_bodies_are_refused_cleanly, bad_bodies);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_rate_limited() {
    let config = ServerConfig {
        login_failures_per_email: 3,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_with(Db::Sqlite, config).await.unwrap();
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email_of(Actor::Director), "password": password}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            code(login("wrong password").await.unwrap()).await,
            (401, "invalid_credentials".into())
        );
    }
    let r = login("wrong password").await.unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0 && s <= 900), "{retry:?}");
    assert_eq!(code(r).await, (429, "too_many_attempts".into()));
    // Even the right password waits: the attacker learns nothing.
    assert_eq!(code(login(PASSWORD).await.unwrap()).await.0, 429);
    // Other accounts are not locked out.
    let other = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email_of(Actor::Coordinator18), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_and_wrong_passwords_look_alike() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let client = reqwest::Client::new();
    for (email, password) in [
        ("nobody@test.fr", PASSWORD),
        (email_of(Actor::Director), "wrong password"),
        ("not an email", "x"),
    ] {
        let r = client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            code(r).await,
            (401, "invalid_credentials".into()),
            "{email}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_headers() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "sqlite");
    for path in ["/", "/field/", "/api/v1/auth/session"] {
        let r = reqwest::get(app.url(path)).await.unwrap();
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert!(h.get("x-request-id").is_some(), "{path}");
    }
    let r = reqwest::get(app.url("/api/v1/auth/session")).await.unwrap();
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    // A traversal attempt gets the app page or a 404, never a file from outside the assets.
    for path in [
        "/field/..%2f..%2f..%2fetc%2fpasswd",
        "/assets/..%2f..%2fCargo.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let body = reqwest::get(app.url(path))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !body.contains("root:") && !body.contains("[package]"),
            "{path} leaked a file"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_only_over_https() {
    let plain = TestApp::spawn(Db::Sqlite).await.unwrap();
    let r = reqwest::get(plain.url("/healthz")).await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    plain.stop().await;
    let config = ServerConfig {
        secure_cookies: true,
        ..ServerConfig::default()
    };
    let tls = TestApp::spawn_with(Db::Sqlite, config).await.unwrap();
    let r = reqwest::get(tls.url("/healthz")).await.unwrap();
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    tls.stop().await;
}

async fn injection_in_filters(app: &TestApp) {
    // Filter values reach SQL only as bound parameters: quotes, wildcards and comments are text.
    let c = app.fx.campaign;
    for q in [
        "' OR 1=1 --",
        "%' OR '1'='1",
        "75056_18%",
        "\\",
        "'; DROP TABLE territories; --",
    ] {
        let url = format!("/api/v1/campaigns/{c}/territories?q={}", urlencode(q));
        let r = app.send(Actor::Director, Method::GET, &url, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{q:?}");
        let list: Vec<Value> = r.json().await.unwrap();
        assert!(list.is_empty(), "{q:?} matched {list:?}");
    }
    // A NUL character would end the text early in SQLite and be refused by PostgreSQL.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/territories?q=%00"),
            None,
        )
        .await;
    assert_eq!(code(r).await, (400, "invalid_query".into()));
    let r = app.send(Actor::Director, Method::POST, &format!("/api/v1/campaigns/{c}/members"),
        Some(serde_json::json!({"display_name": "Léa\u{0}", "role": "walker", "territories": [app.fx.b1801]}))).await;
    assert_eq!(code(r).await.0, 422);
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/territories?kind={}",
                urlencode("bureau' OR '1'='1")
            ),
            None,
        )
        .await;
    assert_eq!(code(r).await, (400, "invalid_query".into()));
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{c}/targeting?blocs={}",
                urlencode("left') OR 1=1 --")
            ),
            None,
        )
        .await;
    assert_eq!(code(r).await.0, 400);
    // The tables are all still there.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/territories?kind=bureau"),
            None,
        )
        .await;
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 2);
}
on_both!(filters_are_not_injectable, injection_in_filters);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends a request line as written (no client normalises its `..`), returns status and body.
async fn raw_get(app: &TestApp, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// What must never come out: the system's password file, the repository's manifests, the
/// database file.
fn leaked(body: &str) -> bool {
    body.contains("root:x:0:0")
        || body.contains("[workspace]")
        || body.contains("[package]")
        || body.contains("SQLite format 3")
}

/// Path traversal (issue 10): `..`, encoded `%2e%2e` and `%2f`, backslashes and absolute paths
/// on the web app's files, the exports and downloads, and in the name of an uploaded file.
async fn traversal(app: &TestApp) {
    let c = app.fx.campaign;
    for path in [
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..%2f..%2f..%2f..%2fCargo.toml",
        "/field/../../../Cargo.toml",
        "/field/..%2f..%2f..%2f..%2f..%2fCargo.toml",
        "/assets/..%5c..%5c..%5c..%5cCargo.toml",
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
        "/inscription/..%2f..%2f..%2f..%2fcrates%2fserver%2fCargo.toml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/etc/passwd",
        "/..;/..;/etc/passwd",
        "/api/v1/../../../../etc/passwd",
        "/api/v1/calendar/..%2f..%2f..%2fetc%2fpasswd",
        "/api/v1/calendar/%2e%2e%2f%2e%2e%2fCargo.toml.ics",
    ] {
        let (status, body) = raw_get(app, path).await;
        assert!(!leaked(&body), "{path} leaked a file: {body}");
        assert!(
            matches!(status, 200 | 308 | 400 | 401 | 404),
            "{path}: {status} {body}"
        );
        if status == 200 {
            assert!(
                body.to_lowercase().contains("<!doctype html"),
                "{path}: 200 must be the app's page: {body}"
            );
        }
    }
    // Exports and downloads take ids, dates and known words, never a path.
    for path in [
        format!("/api/v1/campaigns/{c}/privacy/volunteers/..%2f..%2f..%2fetc%2fpasswd"),
        format!("/api/v1/campaigns/{c}/privacy/respondents/%2e%2e%2f%2e%2e%2fCargo.toml"),
        format!("/api/v1/campaigns/{c}/privacy/register?format=..%2f..%2fetc%2fpasswd"),
        format!("/api/v1/campaigns/{c}/targeting.csv?election=..%2f..%2f..%2fetc%2fpasswd"),
        format!("/api/v1/campaigns/{c}/targeting.geojson?election=%2fetc%2fpasswd"),
        format!("/api/v1/campaigns/{c}/week/reminders.csv?start=..%2f..%2fetc%2fpasswd"),
        format!("/api/v1/campaigns/{c}/turfs/..%2f..%2fCargo.toml/sheet"),
        format!("/api/v1/campaigns/{c}/turfs/%2fetc%2fpasswd/sheet"),
        format!("/api/v1/campaigns/..%2f..%2f{c}/targeting.csv"),
    ] {
        let r = app.send(Actor::Director, Method::GET, &path, None).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(!leaked(&body), "{path} leaked a file: {body}");
        assert!((400..500).contains(&status), "{path}: {status} {body}");
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert!(
            v["code"].as_str().is_some(),
            "{path}: no stable code: {body}"
        );
    }
    // An uploaded file's name is a label: only its last part is kept, and no file is written
    // where it points.
    let target = std::env::temp_dir().join("terrain-traversal-canary.csv");
    let _ = std::fs::remove_file(&target);
    for name in [
        "../../../../../../tmp/terrain-traversal-canary.csv".to_string(),
        target.display().to_string(),
        "..\\..\\..\\tmp\\terrain-traversal-canary.csv".to_string(),
    ] {
        let r = app
            .caller(Actor::Director)
            .client
            .post(app.url(&format!(
                "/api/v1/campaigns/{c}/imports/results?filename={}",
                urlencode(&name)
            )))
            .header(
                "x-csrf-token",
                app.caller(Actor::Director).csrf.clone().unwrap(),
            )
            .body("pas;un;fichier\n1;2;3\n")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 422, "{body}");
        assert!(
            !body.contains("..") && !body.contains("/tmp/") && !body.contains('\\'),
            "the upload's name is shown as given: {body}"
        );
        assert!(
            !target.exists(),
            "an upload was written at {}",
            target.display()
        );
    }
}
on_both!(paths_cannot_escape, traversal);
