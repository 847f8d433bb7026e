//! The paper fallback over HTTP: the printable questionnaire, and paper questionnaires keyed
//! in by coordinators — stored once per client id, checked as a phone's response is (the
//! question at fault named), kept inside the keyer's territories, listed, voided, and counted
//! in the field's progress like any response.

use crate::harness::*;
use crate::on_both;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A questionnaire with a consent, a choice, a yes/no opening an open question, a scale and a
/// profile question, published; returns (questionnaire id, version id).
async fn published(app: &TestApp, name: &str, text: &str) -> (String, String) {
    let c = app.fx.campaign;
    let def = json!({
        "script": {"intro": "Bonjour, nous faisons une enquête.", "talking_points": ["Vos réponses sont anonymes"], "closing": "Merci"},
        "questions": [
            {"key": "accord", "text": "Acceptez-vous de répondre ?", "kind": "consent", "purpose": "survey",
             "statement": "J’accepte que mes réponses soient utilisées pour l’enquête.", "required": true},
            {"key": "priorite", "text": text, "kind": "single_choice",
             "options": [{"value": "emploi", "label": "L’emploi"}, {"value": "sante", "label": "La santé"}]},
            {"key": "satisfait", "text": "Êtes-vous satisfait du quartier ?", "kind": "yes_no"},
            {"key": "pourquoi", "text": "Pourquoi ?", "kind": "open", "show_if": {"question": "satisfait", "any_of": ["no"]}},
            {"key": "note", "text": "Une note ?", "kind": "scale", "min": 0, "max": 10},
            {"key": "age", "text": "Tranche d’âge", "kind": "profile", "field": "age_band"}
        ]
    });
    let (s, q) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires"),
            Some(json!({"name": name, "definition": def})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 201, "{q}");
    let id = q["id"].as_str().unwrap().to_string();
    let (s, v) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires/{id}/publish"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    (id, v["id"].as_str().unwrap().to_string())
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

fn sheet(version: &str, bureau: impl ToString, n: u32) -> Value {
    json!({"client_id": Uuid::new_v4(), "version_id": version, "bureau_id": bureau.to_string(),
           "collected_on": today(), "sheet_ref": format!("F-{n}"),
           "answers": {"accord": true, "priorite": "emploi", "satisfait": false,
                       "pourquoi": "Les rues sont sales", "note": 4, "age": "35-49"}})
}

async fn coordinators_key_in_paper_sheets(app: &TestApp) {
    let c = app.fx.campaign;
    let (_, version) = published(app, "Enquête papier", "Votre priorité ?").await;
    let path = format!("/api/v1/campaigns/{c}/paper-responses");
    let post = |actor, body: Value| app.send(actor, Method::POST, &path, Some(body));

    // Keyed in by the coordinator of the 18th, in bureau 18-01.
    let first = sheet(&version, app.fx.b1801, 1);
    let (s, e) = json_of(post(Actor::Coordinator18, first.clone()).await).await;
    assert_eq!(s, 201, "{e}");
    let coord18 = app.caller(Actor::Coordinator18).user.unwrap().to_string();
    assert_eq!(e["keyed_by"], coord18.as_str());
    assert_eq!(e["source"], "paper");
    assert_eq!(e["sheet_ref"], "F-1");
    assert_eq!(e["bureau_code"], "75056_1801");
    assert_eq!(e["version_number"], 1);
    assert_eq!(e["collected_on"], today().as_str());
    assert!(e.get("answers").is_none(), "the list never shows answers");
    let id = e["response_id"].as_str().unwrap().to_string();
    // A double submit: the same entry, 200, nothing more stored.
    let (s, again) = json_of(post(Actor::Coordinator18, first.clone()).await).await;
    assert_eq!((s, again["response_id"].as_str()), (200, Some(id.as_str())));
    // The same client id from another coordinator is not theirs.
    let (s, err) = json_of(post(Actor::Director, first.clone()).await).await;
    assert_eq!((s, err["code"].as_str()), (409, Some("client_id_taken")));

    // Refused as a phone's response would be, with the question named.
    let with = |key: &str, value: Value| {
        let mut b = sheet(&version, app.fx.b1801, 2);
        b["answers"][key] = value;
        b
    };
    let mut hidden = sheet(&version, app.fx.b1801, 2);
    hidden["answers"]["satisfait"] = json!(true);
    let mut no_consent = sheet(&version, app.fx.b1801, 2);
    no_consent["answers"]
        .as_object_mut()
        .unwrap()
        .remove("accord");
    for (body, field, words) in [
        (
            with("priorite", json!("logement")),
            "priorite",
            "not one of its options",
        ),
        (with("note", json!(12)), "note", "outside 0–10"),
        (
            with("note", json!("quatre")),
            "note",
            "does not fit a scale question",
        ),
        (with("note", json!({"x": 1})), "note", "expected text"),
        (with("couleur", json!("bleu")), "couleur", "not a question"),
        (with("age", json!("40-45")), "age", "not a valid age_band"),
        (hidden, "pourquoi", "condition hides it"),
        (no_consent, "accord", "required"),
    ] {
        let (s, err) = json_of(post(Actor::Coordinator18, body).await).await;
        assert_eq!(
            (s, err["code"].as_str(), err["field"].as_str()),
            (422, Some("invalid_answers"), Some(field)),
            "{err}"
        );
        assert!(
            err["message"].as_str().unwrap().contains(words),
            "{field}: {err}"
        );
    }
    // The sheet's own checks.
    let mut future = sheet(&version, app.fx.b1801, 3);
    future["collected_on"] = json!("2099-01-01");
    let mut ancient = sheet(&version, app.fx.b1801, 3);
    ancient["collected_on"] = json!("2001-01-01");
    let mut unnumbered = sheet(&version, app.fx.b1801, 3);
    unnumbered["sheet_ref"] = json!("  ");
    let mut unknown_version = sheet(&version, app.fx.b1801, 3);
    unknown_version["version_id"] = json!(Uuid::now_v7());
    for (actor, body, status, code, field) in [
        (
            Actor::Coordinator18,
            future,
            422,
            "invalid_date",
            "collected_on",
        ),
        (
            Actor::Coordinator18,
            ancient,
            422,
            "invalid_date",
            "collected_on",
        ),
        (
            Actor::Coordinator18,
            unnumbered,
            422,
            "invalid_sheet_ref",
            "sheet_ref",
        ),
        (
            Actor::Coordinator18,
            unknown_version,
            404,
            "questionnaire_not_found",
            "version_id",
        ),
        // Outside one's territories.
        (
            Actor::Coordinator18,
            sheet(&version, app.fx.b1901, 4),
            403,
            "territory_out_of_scope",
            "bureau_id",
        ),
        (
            Actor::Coordinator19,
            sheet(&version, app.fx.b1801, 4),
            403,
            "territory_out_of_scope",
            "bureau_id",
        ),
        // An arrondissement is no bureau de vote.
        (
            Actor::Director,
            sheet(&version, app.fx.a18, 4),
            422,
            "not_a_bureau",
            "bureau_id",
        ),
    ] {
        let (s, err) = json_of(post(actor, body).await).await;
        assert_eq!(
            (s, err["code"].as_str(), err["field"].as_str()),
            (status, Some(code), Some(field)),
            "{actor:?}: {err}"
        );
    }
    let (s, err) = json_of(
        post(
            Actor::Coordinator18,
            json!({"client_id": Uuid::new_v4(), "version_id": version}),
        )
        .await,
    )
    .await;
    assert_eq!((s, err["code"].as_str()), (422, Some("invalid_input")));
    // Walkers and trainers do not key in.
    for actor in [Actor::Walker18, Actor::Trainer18] {
        let (s, err) = json_of(post(actor, sheet(&version, app.fx.b1801, 5)).await).await;
        assert_eq!(
            (s, err["code"].as_str()),
            (403, Some("forbidden_role")),
            "{actor:?}"
        );
    }
    // The director keys one in the 19th.
    let (s, e19) = json_of(post(Actor::Director, sheet(&version, app.fx.b1901, 6)).await).await;
    assert_eq!(s, 201, "{e19}");

    // A keyed-in sheet is a response: the field's progress counts it.
    let (s, p) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/field/progress"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, p["responses"].as_u64()), (200, Some(1)), "{p}");
    assert_eq!(p["responses_by_version"][&version], 1);
    let (_, p) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/field/progress"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(p["responses"].as_u64(), Some(2));

    // Listed within each one's territories, newest first, paginated.
    let list = |actor, q: &str| {
        let url = format!("{path}{q}");
        async move { app.send(actor, Method::GET, &url, None).await }
    };
    let (s, l) = json_of(list(Actor::Director, "").await).await;
    assert_eq!((s, l["total"].as_u64()), (200, Some(2)), "{l}");
    assert_eq!(l["entries"][0]["response_id"], e19["response_id"]);
    assert_eq!(l["entries"][1]["response_id"], id.as_str());
    let (_, l) = json_of(list(Actor::Director, "?limit=1&offset=1").await).await;
    assert_eq!(l["entries"].as_array().unwrap().len(), 1);
    assert_eq!(l["entries"][0]["response_id"], id.as_str());
    let (_, l) = json_of(list(Actor::Coordinator18, "").await).await;
    assert_eq!(l["total"].as_u64(), Some(1));
    assert_eq!(l["entries"][0]["keyed_by_name"], "Coordinator18");
    let (s, err) = json_of(list(Actor::Coordinator18, "?limit=0").await).await;
    assert_eq!((s, err["code"].as_str()), (422, Some("invalid_input")));
    let (s, _) = json_of(list(Actor::Walker18, "").await).await;
    assert_eq!(s, 403);

    // Voided: by a coordinator of its territory only; then gone, and its response too.
    let one = format!("{path}/{id}");
    let (s, err) = json_of(
        app.send(Actor::Coordinator19, Method::DELETE, &one, None)
            .await,
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (403, Some("territory_out_of_scope"))
    );
    let r = app
        .send(Actor::Coordinator18, Method::DELETE, &one, None)
        .await;
    assert_eq!(r.status().as_u16(), 204);
    let (s, err) = json_of(
        app.send(Actor::Coordinator18, Method::DELETE, &one, None)
            .await,
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (404, Some("paper_entry_not_found"))
    );
    let (_, l) = json_of(list(Actor::Director, "").await).await;
    assert_eq!(l["total"].as_u64(), Some(1));
    let (_, p) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/field/progress"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(p["responses"].as_u64(), Some(1));
    // Every write is in the audit log.
    let (_, log) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/audit"),
            None,
        )
        .await,
    )
    .await;
    let actions: Vec<&str> = log
        .as_array()
        .or_else(|| log["entries"].as_array())
        .unwrap()
        .iter()
        .filter_map(|l| l["action"].as_str())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "paper.key_in").count(), 2);
    assert_eq!(actions.iter().filter(|a| **a == "paper.void").count(), 1);
}

on_both!(
    coordinators_key_in_paper_questionnaires,
    coordinators_key_in_paper_sheets
);

async fn questionnaires_print_for_a_pen(app: &TestApp) {
    let c = app.fx.campaign;
    let (id, _) = published(app, "Enquête <b>papier</b>", "<script>alert('x')</script>").await;
    let print = format!("/api/v1/campaigns/{c}/questionnaires/{id}/print");
    let r = app.send(Actor::Walker18, Method::GET, &print, None).await;
    assert_eq!(r.status().as_u16(), 200);
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
            .contains("default-src 'none'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("@media print"));
    assert!(html.contains("N° de fiche") && html.contains("Bureau de vote"));
    assert!(html.contains("Enquête &lt;b&gt;papier&lt;/b&gt;"));
    assert!(!html.contains("<script"), "nothing a director writes runs");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("Vos réponses sont anonymes"));
    assert!(html.contains("J’accepte que mes réponses soient utilisées pour l’enquête."));
    assert!(html.contains("Seulement si la réponse à la question 3 est « Non »."));
    assert!(html.contains("si « Non » → posez la question 4 ; sinon passez à la question 5."));
    assert!(html.contains("L’emploi") && html.contains("65 ans et plus"));
    // A version by number; an unknown one; a questionnaire never published.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("{print}?version=1"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let (s, err) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("{print}?version=9"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (404, Some("questionnaire_not_found"))
    );
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
    let draft = format!(
        "/api/v1/campaigns/{c}/questionnaires/{}/print",
        q["id"].as_str().unwrap()
    );
    let (s, err) = json_of(app.send(Actor::Director, Method::GET, &draft, None).await).await;
    assert_eq!(
        (s, err["code"].as_str()),
        (422, Some("no_published_version"))
    );
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("{draft}?version=1"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("brouillon"));
}

on_both!(questionnaires_are_printable, questionnaires_print_for_a_pen);
