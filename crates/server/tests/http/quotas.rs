//! Representativeness over HTTP (issue 8): the quota board follows the accepted plan and the
//! synced responses, each coordinator sees only their territory, walkers see the profiles
//! still wanted only when the campaign allows it, and weightings hit their margins — or are
//! refused with a clear 422 when they cannot.

use crate::harness::*;
use crate::on_both;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use terrain_model::{CommuneCode, NewAddress, TerritoryKind};
use terrain_store::{Audit, CensusRow, ImportBatch, NewSurveyPlan, NewTerritory, PlanArea, Scope};
use uuid::Uuid;

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

const SEX: [&str; 2] = ["f", "m"];
const AGE: [&str; 5] = ["18-24", "25-34", "35-49", "50-64", "65+"];

/// One IRIS per arrondissement with its 2015 census values (round figures, different mixes).
fn census(iris: &str, scale: f64, old: f64) -> Vec<CensusRow> {
    let values = [
        ("P15_FNSCOL15P", 540.0),
        ("P15_HNSCOL15P", 460.0),
        ("P15_POP1824", 200.0),
        ("P15_POP2529", 133.0),
        ("P15_POP2554", 466.0),
        ("P15_POP5564", 133.0),
        ("P15_POP30P", 666.0 + old),
        ("C15_ACT1564", 790.0),
        ("C15_ACT1564_CS1", 125.0),
        ("C15_ACT1564_CS2", 125.0),
        ("C15_ACT1564_CS3", 125.0),
        ("C15_ACT1564_CS4", 125.0),
        ("C15_ACT1564_CS5", 125.0),
        ("C15_ACT1564_CS6", 125.0),
        ("P15_RETR1564", 0.0),
        ("P15_ETUD1564", 45.0),
        ("P15_AINACT1564", 40.0),
    ];
    values
        .iter()
        .map(|(v, x)| CensusRow {
            kind: TerritoryKind::Iris,
            code: iris.into(),
            source: "test-2015".into(),
            variable: v.to_string(),
            value: x * scale,
        })
        .collect()
}

struct Setup {
    questionnaire: String,
    version: String,
    /// An address (with its building) in bureau 18-01 and one in 19-01.
    stop18: (String, String),
    stop19: (String, String),
}

async fn setup(app: &TestApp) -> Setup {
    let c = app.fx.campaign;
    app.import_results().await;
    let batch = ImportBatch {
        source: "census-test.csv".into(),
        territories: vec![
            NewTerritory {
                kind: TerritoryKind::Iris,
                code: "751180101".into(),
                name: "Grandes Carrières 1".into(),
                parent: Some((TerritoryKind::Arrondissement, "75118".into())),
            },
            NewTerritory {
                kind: TerritoryKind::Iris,
                code: "751190101".into(),
                name: "Villette 1".into(),
                parent: Some((TerritoryKind::Arrondissement, "75119".into())),
            },
        ],
        census: [
            census("751180101", 1.0, 0.0),
            census("751190101", 1.3, 60.0),
        ]
        .concat(),
        ..Default::default()
    };
    app.store
        .apply_import(&Audit::cli(), c, &batch)
        .await
        .unwrap();
    let mk = |code: &str, bureau| NewAddress {
        ban_id: Some(format!("{code}_quota_00001")),
        number: Some("1".into()),
        rep: None,
        street: "Rue Ordener".into(),
        postcode: Some(format!("750{}", &code[3..])),
        commune: CommuneCode::parse(code).unwrap(),
        lon: 2.34,
        lat: 48.89,
        bureau_id: Some(bureau),
        iris_id: None,
        doors_estimated: 10,
    };
    let ids = app
        .store
        .add_addresses(
            &Audit::cli(),
            c,
            &[mk("75118", app.fx.b1801), mk("75119", app.fx.b1901)],
        )
        .await
        .unwrap();
    let mut stops = Vec::new();
    for id in ids {
        let b = app.store.buildings(c, id).await.unwrap();
        stops.push((id.to_string(), b[0].id.to_string()));
    }
    // The plan: both bureaux, accepted through the API.
    let plan = app
        .store
        .create_survey_plan(
            &Audit::cli(),
            c,
            &NewSurveyPlan {
                name: "quotas".into(),
                level: TerritoryKind::Bureau,
                n: 2,
                seed: 1,
                options: json!({"election": "2017_pres_t1"}),
                report: json!({}),
                areas: vec![
                    PlanArea {
                        territory_id: app.fx.b1801,
                        inclusion_probability: 0.5,
                        interviews: Some(30),
                        doors: None,
                    },
                    PlanArea {
                        territory_id: app.fx.b1901,
                        inclusion_probability: 0.25,
                        interviews: Some(20),
                        doors: None,
                    },
                ],
            },
        )
        .await
        .unwrap();
    let (s, _) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/survey-plans/{}/accept", plan.id),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
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
    let id = q["id"].as_str().unwrap().to_string();
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
    let stop19 = stops.pop().unwrap();
    let stop18 = stops.pop().unwrap();
    Setup {
        questionnaire: id,
        version: v["id"].as_str().unwrap().to_string(),
        stop18,
        stop19,
    }
}

fn response(stop: &(String, String), version: &str, sex: &str, age: &str, occ: &str) -> Value {
    json!({"id": Uuid::now_v7(), "at": "2026-11-28T10:20:00+01:00", "kind": "response",
           "version_id": version, "address_id": stop.0,
           "answers": {"consentement": true, "sexe": sex, "age": age, "profession": occ}, "contact": null})
}

/// Uploads `n` responses of varied profiles at `stop`, as `actor`.
async fn upload(app: &TestApp, actor: Actor, s: &Setup, stop18: bool, n: usize, shift: usize) {
    let stop = if stop18 { &s.stop18 } else { &s.stop19 };
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let k = i + shift;
            response(
                stop,
                &s.version,
                SEX[k % 2],
                AGE[(k / 2) % 5],
                &(1 + (k / 3) % 8).to_string(),
            )
        })
        .collect();
    let (st, r) = json_of(
        app.send(
            actor,
            Method::POST,
            &format!("/api/v1/campaigns/{}/field/sync", app.fx.campaign),
            Some(json!({"device_id": Uuid::now_v7(), "records": records})),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert!(
        r["acks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "stored"),
        "{r}"
    );
}

async fn quotas_follow_the_plan_and_the_responses(app: &TestApp) {
    let c = app.fx.campaign;
    let s = setup(app).await;
    upload(app, Actor::Walker18, &s, true, 12, 0).await;
    upload(app, Actor::Director, &s, false, 5, 3).await;
    // Two respondents who did not give their sex count nowhere in sex × age.
    let nsp = vec![
        response(&s.stop18, &s.version, "nsp", "25-34", "3"),
        response(&s.stop18, &s.version, "nsp", "65+", "nsp"),
    ];
    let (st, _) = json_of(
        app.send(
            Actor::Walker18,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/field/sync"),
            Some(json!({"device_id": Uuid::now_v7(), "records": nsp})),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200);
    let path = format!("/api/v1/campaigns/{c}/quotas");

    let (st, b) = json_of(app.send(Actor::Director, Method::GET, &path, None).await).await;
    assert_eq!(st, 200, "{b}");
    assert!(b["plan_id"].is_string());
    let cells = b["cells"].as_array().unwrap();
    // Per territory: 10 sex × age cells and 8 occupation cells.
    assert_eq!(cells.len(), 2 * (10 + 8));
    let sum = |code: &str, set: &str, key: &str| -> u64 {
        cells
            .iter()
            .filter(|x| x["territory_code"] == code && x["set"] == set)
            .map(|x| x[key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("75118", "sex_age", "target"), 30);
    assert_eq!(sum("75118", "occupation", "target"), 30);
    assert_eq!(sum("75119", "sex_age", "target"), 20);
    assert_eq!(sum("75118", "sex_age", "done"), 12);
    assert_eq!(sum("75118", "occupation", "done"), 13);
    assert_eq!(sum("75119", "sex_age", "done"), 5);
    // The cell F 18-24 of the 18th got the first response (k = 0).
    let f1824 = cells
        .iter()
        .find(|x| x["territory_code"] == "75118" && x["sex"] == "f" && x["age_band"] == "18-24")
        .unwrap();
    assert!(f1824["done"].as_u64().unwrap() >= 1);
    assert_eq!(f1824["label"], "Femme, 18 à 24 ans");
    // Targets follow the census: more women than men (540 vs 460), in each age band.
    for a in AGE {
        let t = |sex: &str| {
            cells
                .iter()
                .find(|x| x["territory_code"] == "75118" && x["sex"] == sex && x["age_band"] == a)
                .unwrap()["target"]
                .as_u64()
                .unwrap()
        };
        assert!(t("f") >= t("m"), "age {a}");
    }
    assert_eq!(b["territories"].as_array().unwrap().len(), 2);
    assert!(b["go_after"].as_array().unwrap().len() <= 10);
    assert!(b["period"]["progress"].as_f64().unwrap() >= 0.0);

    // Coordinators see their own territory only; walkers not at all.
    for (actor, code) in [
        (Actor::Coordinator18, "75118"),
        (Actor::Coordinator19, "75119"),
    ] {
        let (st, b) = json_of(app.send(actor, Method::GET, &path, None).await).await;
        assert_eq!(st, 200);
        let cells = b["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 18, "{actor:?}");
        assert!(cells.iter().all(|x| x["territory_code"] == code));
        assert!(
            b["territories"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["code"] == code)
        );
    }
    let (st, e) = json_of(app.send(Actor::Walker18, Method::GET, &path, None).await).await;
    assert_eq!((st, e["code"].as_str().unwrap()), (403, "forbidden_role"));

    // Walkers see the profiles wanted only once the campaign allows it, and only around them.
    let field = format!("/api/v1/campaigns/{c}/field/quotas");
    let (st, w) = json_of(app.send(Actor::Walker18, Method::GET, &field, None).await).await;
    assert_eq!((st, w["shown"].as_bool()), (200, Some(false)));
    assert!(w["profiles"].as_array().unwrap().is_empty());
    let settings = format!("/api/v1/campaigns/{c}/quota-settings");
    let (st, e) = json_of(
        app.send(
            Actor::Coordinator18,
            Method::PUT,
            &settings,
            Some(json!({"show_to_walkers": true})),
        )
        .await,
    )
    .await;
    assert_eq!((st, e["code"].as_str().unwrap()), (403, "forbidden_role"));
    let (st, e) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &settings,
            Some(json!({"show_to_walkers": true, "field_starts_on": "2026-12-01", "field_ends_on": "2026-11-01"})),
        )
        .await,
    )
    .await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "invalid_input"));
    let (st, v) = json_of(
        app.send(
            Actor::Director,
            Method::PUT,
            &settings,
            Some(json!({"show_to_walkers": true, "field_starts_on": "2026-11-01", "field_ends_on": "2027-03-01"})),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["field_ends_on"], "2027-03-01");
    let (st, b) = json_of(app.send(Actor::Director, Method::GET, &path, None).await).await;
    assert_eq!(st, 200);
    assert_eq!(b["period"]["starts_on"], "2026-11-01");
    assert!(b["show_to_walkers"].as_bool().unwrap());
    let (st, w) = json_of(app.send(Actor::Walker18, Method::GET, &field, None).await).await;
    assert_eq!((st, w["shown"].as_bool()), (200, Some(true)));
    let profiles = w["profiles"].as_array().unwrap();
    assert!(!profiles.is_empty() && profiles.len() <= 6, "{w}");
    assert!(
        profiles
            .iter()
            .all(|p| p["territory_name"] == "Paris 18e" && p["remaining"].as_u64().unwrap() > 0)
    );
    // Counts of interviews wanted, never a response.
    let text = w.to_string();
    assert!(!text.contains(&s.stop18.0) && !text.contains("consentement"));
}

on_both!(
    quotas_follow_the_accepted_plan_and_the_responses,
    quotas_follow_the_plan_and_the_responses
);

/// Sums the stored weights by category of each margin of the report and checks them against
/// the targets.
async fn check_margins(app: &TestApp, questionnaire: Uuid, report: &Value) {
    let (_, weights) = app
        .store
        .latest_weights(app.fx.campaign, questionnaire)
        .await
        .unwrap()
        .unwrap();
    let responses = app
        .store
        .responses(app.fx.campaign, &Scope::Campaign, Some(questionnaire))
        .await
        .unwrap();
    let by_id: HashMap<Uuid, &terrain_store::StoredResponse> =
        responses.iter().map(|r| (r.id, r)).collect();
    let arr: HashMap<Uuid, &str> = [(app.fx.b1801.0, "75118"), (app.fx.b1901.0, "75119")]
        .into_iter()
        .collect();
    let mut sums: HashMap<(String, String), f64> = HashMap::new();
    for (id, w) in &weights {
        let r = by_id[id];
        let p = &r.profile;
        for (var, cat) in [
            ("sex", p.sex.clone()),
            ("age_band", p.age_band.clone()),
            ("occupation", p.occupation.clone()),
            ("arrondissement", r.bureau_id.map(|b| arr[&b].to_string())),
        ] {
            if let Some(cat) = cat {
                *sums.entry((var.into(), cat)).or_default() += w;
            }
        }
    }
    let margins = report["margins"].as_array().unwrap();
    assert!(!margins.is_empty());
    for m in margins {
        let mut cat = m["category"].as_str().unwrap().to_string();
        if m["variable"] == "occupation" && cat.parse::<u32>().is_err() {
            // The shipped Paris margins name the PCS groups: map back to the codes.
            cat = [
                "agriculteurs",
                "artisans-commercants-chefs",
                "cadres",
                "professions-intermediaires",
                "employes",
                "ouvriers",
                "retraites",
                "autres-inactifs",
            ]
            .iter()
            .position(|c| *c == cat)
            .map_or(cat.clone(), |i| (i + 1).to_string());
        }
        let target = m["target"].as_f64().unwrap();
        let got = sums
            .get(&(m["variable"].as_str().unwrap().to_string(), cat.clone()))
            .copied()
            .unwrap_or(0.0);
        assert!(
            (got - target).abs() <= 1e-6 * target,
            "{} {cat}: weighted {got}, target {target}",
            m["variable"]
        );
    }
}

async fn weightings_hit_their_margins(app: &TestApp) {
    let c = app.fx.campaign;
    let s = setup(app).await;
    let q: Uuid = s.questionnaire.parse().unwrap();
    let path = format!("/api/v1/campaigns/{c}/weightings");
    let latest = format!("{path}/latest?questionnaire={q}");
    let (st, e) = json_of(app.send(Actor::Director, Method::GET, &latest, None).await).await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (404, "weighting_not_found")
    );
    // Nothing to weight yet.
    let body = json!({"questionnaire": q});
    let (st, e) = json_of(
        app.send(Actor::Director, Method::POST, &path, Some(body.clone()))
            .await,
    )
    .await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "no_respondents"));

    upload(app, Actor::Walker18, &s, true, 40, 0).await;
    upload(app, Actor::Director, &s, false, 24, 5).await;
    let nsp = vec![response(&s.stop18, &s.version, "nsp", "25-34", "3")];
    app.send(
        Actor::Walker18,
        Method::POST,
        &format!("/api/v1/campaigns/{c}/field/sync"),
        Some(json!({"device_id": Uuid::now_v7(), "records": nsp})),
    )
    .await;

    for actor in [Actor::Walker18, Actor::Coordinator18] {
        let (st, _) = json_of(
            app.send(actor, Method::POST, &path, Some(body.clone()))
                .await,
        )
        .await;
        assert_eq!(st, 403, "{actor:?}");
        let (st, _) = json_of(app.send(actor, Method::GET, &latest, None).await).await;
        assert_eq!(st, 403, "{actor:?}");
    }

    let (st, run) = json_of(
        app.send(Actor::Director, Method::POST, &path, Some(body.clone()))
            .await,
    )
    .await;
    assert_eq!(st, 201, "{run}");
    let r = &run["report"];
    assert_eq!(run["weighted"], 64);
    assert_eq!(r["excluded_incomplete_profile"], 1);
    assert!(r["converged"].as_bool().unwrap());
    let deff = r["kish_deff"].as_f64().unwrap();
    let ess = r["effective_sample_size"].as_f64().unwrap();
    assert!(deff >= 1.0 && (ess * deff - 64.0).abs() < 1e-6, "{r}");
    assert_eq!(r["weights"]["histogram"].as_array().unwrap().len(), 20);
    // Sex, age and occupation: 2 + 5 + 8 margins, each with before and after.
    assert_eq!(r["margins"].as_array().unwrap().len(), 15);
    // The women's target is 54 % of the first margin (540 + 702 of 1,000 + 1,300 non-schooled
    // adults).
    let f = r["margins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["variable"] == "sex" && m["category"] == "f")
        .unwrap();
    assert!((f["target"].as_f64().unwrap() - 1242.0).abs() < 1e-6, "{f}");
    check_margins(app, q, r).await;
    let (st, l) = json_of(app.send(Actor::Director, Method::GET, &latest, None).await).await;
    assert_eq!((st, &l["id"]), (200, &run["id"]));

    // Other methods hit the margins too.
    for b in [
        json!({"questionnaire": q, "method": "linear"}),
        json!({"questionnaire": q, "method": "logit", "bounds": [0.2, 5.0]}),
        json!({"questionnaire": q, "method": "raking", "margins": "paris_rp2011"}),
    ] {
        let (st, run) = json_of(
            app.send(Actor::Director, Method::POST, &path, Some(b.clone()))
                .await,
        )
        .await;
        assert_eq!(st, 201, "{b}: {run}");
        check_margins(app, q, &run["report"]).await;
        if b["margins"] == "paris_rp2011" {
            // 18 arrondissements without respondents are left out, and said so.
            let warnings = run["report"]["warnings"].as_array().unwrap();
            let empty = warnings
                .iter()
                .filter(|w| w.as_str().unwrap().starts_with("empty cell"))
                .count();
            assert_eq!(empty, 18, "{warnings:?}");
        }
    }
    let (_, before) = json_of(app.send(Actor::Director, Method::GET, &latest, None).await).await;

    // Refused, nothing stored: bounds that cannot be met, logit without bounds, bad trimming,
    // an unknown questionnaire.
    for (b, code) in [
        (
            json!({"questionnaire": q, "method": "logit", "bounds": [0.99, 1.01]}),
            "weighting_infeasible",
        ),
        (
            json!({"questionnaire": q, "method": "logit"}),
            "invalid_input",
        ),
        (json!({"questionnaire": q, "trim": 0.5}), "invalid_input"),
        (
            json!({"questionnaire": q, "method": "median"}),
            "invalid_input",
        ),
    ] {
        let (st, e) = json_of(
            app.send(Actor::Director, Method::POST, &path, Some(b.clone()))
                .await,
        )
        .await;
        assert_eq!((st, e["code"].as_str().unwrap()), (422, code), "{b}: {e}");
    }
    // Margins no weights can reach: in a second questionnaire, every woman is in an odd
    // occupation group and every man in an even one, while the census wants otherwise.
    let (_, q2) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires"),
            Some(json!({"template": "grande_marche_2016"})),
        )
        .await,
    )
    .await;
    let q2id = q2["id"].as_str().unwrap().to_string();
    let (_, v2) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &format!("/api/v1/campaigns/{c}/questionnaires/{q2id}/publish"),
            None,
        )
        .await,
    )
    .await;
    let confounded: Vec<Value> = (0..48)
        .map(|k| {
            response(
                &s.stop18,
                v2["id"].as_str().unwrap(),
                SEX[k % 2],
                AGE[(k / 2) % 5],
                &(1 + k % 8).to_string(),
            )
        })
        .collect();
    app.send(
        Actor::Walker18,
        Method::POST,
        &format!("/api/v1/campaigns/{c}/field/sync"),
        Some(json!({"device_id": Uuid::now_v7(), "records": confounded})),
    )
    .await;
    let (st, e) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &path,
            Some(json!({"questionnaire": q2id})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (422, "margins_unreachable"),
        "{e}"
    );
    let (st, e) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &path,
            Some(json!({"questionnaire": Uuid::now_v7()})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (404, "questionnaire_not_found")
    );
    let (_, after) = json_of(app.send(Actor::Director, Method::GET, &latest, None).await).await;
    assert_eq!(before["id"], after["id"]);
    // Trimming caps the weights (the margins may then move, which the report shows).
    let (st, run) = json_of(
        app.send(
            Actor::Director,
            Method::POST,
            &path,
            Some(json!({"questionnaire": q, "trim": 1.5})),
        )
        .await,
    )
    .await;
    assert_eq!(st, 201, "{run}");
    let w = &run["report"]["weights"];
    assert!(w["max"].as_f64().unwrap() <= 1.5 * w["mean"].as_f64().unwrap() * (1.0 + 1e-9));
}

on_both!(
    weightings_hit_their_margins_or_say_why_not,
    weightings_hit_their_margins
);
