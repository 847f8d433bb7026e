//! Data protection over HTTP (issue 10): a respondent and a volunteer exported and erased on
//! request by the direction, each leaving an audit line; the record of processing activities.

use crate::harness::*;
use crate::on_both;
use reqwest::Method;
use serde_json::{Value, json};
use terrain_model::{Availability, CommuneCode, Email, NewAddress, Postcode};
use terrain_store::{Audit, NewSignup};
use uuid::Uuid;

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An address of bureau 18-01 and a published questionnaire; a walker uploads a response with
/// recontact details. Returns the response's id.
async fn respondent(app: &TestApp) -> String {
    let c = app.fx.campaign;
    let addr = app
        .store
        .add_addresses(
            &Audit::cli(),
            c,
            &[NewAddress {
                ban_id: Some("75118_priv_00001".into()),
                number: Some("3".into()),
                rep: None,
                street: "Rue Championnet".into(),
                postcode: Some("75018".into()),
                commune: CommuneCode::parse("75118").unwrap(),
                lon: 2.34,
                lat: 48.89,
                bureau_id: Some(app.fx.b1801),
                iris_id: None,
                doors_estimated: 6,
            }],
        )
        .await
        .unwrap()[0];
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
    let (_, v) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!(
                "/api/v1/campaigns/{c}/questionnaires/{}/publish",
                q["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
    )
    .await;
    let (s, acks) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/field/sync"),
            Some(json!({"device_id": Uuid::now_v7(), "records": [{
                "id": Uuid::now_v7(), "at": "2026-11-28T10:20:00+01:00", "kind": "response",
                "version_id": v["id"], "address_id": addr.to_string(),
                "answers": {"consentement": true, "recontact": true, "ce_qui_marche": "Le marché"},
                "contact": {"name": "Philomène Azurdaine", "phone": "06 98 76 54 32", "email": "philomene@exemple.fr"}}]})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200, "{acks}");
    let list = app.store.recontacts(c).await.unwrap();
    assert_eq!(list.len(), 1, "{acks}");
    list[0].response_id.to_string()
}

async fn subject_rights(app: &TestApp) {
    let c = app.fx.campaign;
    let response = respondent(app).await;
    let path = format!("/api/v1/campaigns/{c}/privacy/respondents/{response}");
    let r = app.send(Actor::Director, Method::GET, &path, None).await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"),
        "an export is a file to hand over"
    );
    let (s, e) = json_of(r).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["contact"]["name"], "Philomène Azurdaine");
    assert_eq!(e["response"]["answers"]["ce_qui_marche"], "Le marché");
    // Coordinators never see respondents' details.
    let (s, _) = json_of(
        app.send(Actor::Coordinator18, Method::GET, &path, None)
            .await,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("{path}/erase"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 204);
    let (s, e) = json_of(app.send(Actor::Director, Method::GET, &path, None).await).await;
    assert_eq!((s, e["code"].as_str()), (404, Some("respondent_not_found")));
    assert!(app.store.recontacts(c).await.unwrap().is_empty());

    // A volunteer who signed up.
    let v = app
        .store
        .sign_up(
            &Audit::cli(),
            c,
            &NewSignup {
                display_name: "Anatole Pruniercroix".into(),
                email: Some(Email::parse("anatole@exemple.fr").unwrap()),
                phone: None,
                postcode: Postcode::parse("75018").unwrap(),
                availability: Availability::from_slots(&["saturday_morning"]).unwrap(),
                consent_contact: true,
            },
        )
        .await
        .unwrap();
    let path = format!("/api/v1/campaigns/{c}/privacy/volunteers/{}", v.id);
    let (s, e) = json_of(app.send(Actor::Director, Method::GET, &path, None).await).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["volunteer"]["display_name"], "Anatole Pruniercroix");
    let (s, counts) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("{path}/erase"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, counts["volunteers"].as_u64()),
        (200, Some(1)),
        "{counts}"
    );
    let (_, list) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/volunteers?limit=100"),
            None,
        )
        .await,
    )
    .await;
    let text = list.to_string();
    assert!(
        !text.contains("Pruniercroix") && !text.contains("anatole@"),
        "{list}"
    );
    assert!(
        text.contains(&v.id.to_string()),
        "the record stays, nameless"
    );
    let left = app
        .store
        .find_text(&["Pruniercroix".into(), "Azurdaine".into(), "anatole@".into()])
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");

    // The audit log says who exported and erased what, by id.
    let (_, log) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/audit?limit=20"),
            None,
        )
        .await,
    )
    .await;
    let lines: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap().to_string(),
                l["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (action, target) in [
        ("privacy.export", &response),
        ("privacy.erase", &response),
        ("privacy.export", &v.id.to_string()),
        ("privacy.erase", &v.id.to_string()),
    ] {
        assert!(
            lines.iter().any(|(a, t)| a == action && t == target),
            "no {action} of {target}: {lines:?}"
        );
    }
}
on_both!(subject_rights_are_honoured, subject_rights);

async fn processing_register(app: &TestApp) {
    let c = app.fx.campaign;
    app.store
        .set_retention(&Audit::cli(), c, Some(time::macros::date!(2027 - 06 - 30)))
        .await
        .unwrap();
    let path = format!("/api/v1/campaigns/{c}/privacy/register");
    let (s, r) = json_of(app.send(Actor::Director, Method::GET, &path, None).await).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["retention_until"], "2027-06-30");
    let names: Vec<&str> = r["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Bénévoles",
            "Comptes",
            "Visites du porte-à-porte",
            "Questionnaires",
            "Recontacts"
        ]
    );
    // The accounts activity counts the campaign's real members.
    let members = app
        .store
        .members(c, &terrain_store::Scope::Campaign)
        .await
        .unwrap()
        .len();
    assert_eq!(r["activities"][1]["records"], members as u64);
    assert!(
        r["activities"][0]["retention"]
            .as_str()
            .unwrap()
            .contains("2027-06-30")
    );
    let resp = app
        .send(
            Actor::Director,
            Method::GET,
            &format!("{path}?format=markdown"),
            None,
        )
        .await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let md = resp.text().await.unwrap();
    assert!(md.starts_with("# Registre des traitements"), "{md}");
    assert!(md.contains("## Recontacts"), "{md}");
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("{path}?format=pdf"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (422, Some("invalid_input")));
}
on_both!(
    the_processing_register_reflects_the_campaign,
    processing_register
);

/// "Do not contact": once recorded, the volunteer's e-mail and phone leave the list and the
/// reminders export.
async fn do_not_contact(app: &TestApp) {
    use terrain_store::{NewSortie, NewTeam};
    let c = app.fx.campaign;
    let a = Audit::cli();
    let v = app
        .store
        .sign_up(
            &a,
            c,
            &NewSignup {
                display_name: "Capucine Ollivaudier".into(),
                email: Some(Email::parse("capucine@exemple.fr").unwrap()),
                phone: Some(terrain_model::Phone::parse("06 44 55 66 77").unwrap()),
                postcode: Postcode::parse("75018").unwrap(),
                availability: Availability::from_slots(&["saturday_morning"]).unwrap(),
                consent_contact: true,
            },
        )
        .await
        .unwrap();
    let team = app
        .store
        .create_team(
            &a,
            c,
            &NewTeam {
                name: "Équipe Ordener".into(),
                territory_id: app.fx.a18,
                members: vec![v.id],
            },
        )
        .await
        .unwrap();
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(2);
    let starts = day.with_hms(14, 0, 0).unwrap().assume_utc();
    app.store
        .create_sortie(
            &a,
            c,
            &NewSortie {
                title: "Samedi Ordener".into(),
                territory_id: app.fx.a18,
                starts_at: starts,
                ends_at: starts + time::Duration::hours(2),
                meeting_point: "Métro Jules Joffrin".into(),
                meeting_lonlat: None,
                areas: vec![app.fx.b1801],
                team_id: Some(team.id),
                open_signup: false,
                min_per_area: 1,
                notes: None,
            },
        )
        .await
        .unwrap();
    let csv = format!("/api/v1/campaigns/{c}/week/reminders.csv?start={day}");
    let before = app
        .send(Actor::Director, Method::GET, &csv, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        before.contains("Capucine Ollivaudier") && before.contains("capucine@exemple.fr"),
        "{before}"
    );
    let (s, e) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!(
                "/api/v1/campaigns/{c}/privacy/volunteers/{}/do-not-contact",
                v.id
            ),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 204, "{e}");
    let after = app
        .send(Actor::Director, Method::GET, &csv, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains("Capucine Ollivaudier"), "{after}");
    assert!(
        !after.contains("capucine@exemple.fr") && !after.contains("06 44 55 66 77"),
        "{after}"
    );
    for actor in [Actor::Coordinator18, Actor::Director] {
        let (_, d) = json_of(
            app.send(
                actor,
                Method::GET,
                &format!("/api/v1/campaigns/{c}/volunteers/{}", v.id),
                None,
            )
            .await,
        )
        .await;
        let me = &d["volunteer"];
        assert_eq!(me["display_name"], "Capucine Ollivaudier", "{d}");
        assert_eq!(
            (me["email"].clone(), me["phone"].clone()),
            (Value::Null, Value::Null),
            "{d}"
        );
        assert_eq!(me["consent_contact"], false);
    }
    // The person's own export still shows what is held.
    let (_, e) = json_of(
        app.send(
            Actor::Director,
            Method::GET,
            &format!("/api/v1/campaigns/{c}/privacy/volunteers/{}", v.id),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(e["volunteer"]["email"], "capucine@exemple.fr");
}
on_both!(do_not_contact_is_honoured, do_not_contact);
