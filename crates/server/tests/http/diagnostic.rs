//! The diagnostic over HTTP (issue 9): closed results by group with small cells suppressed,
//! themes, coding by two coders and their kappa, masked verbatims for non-analysts, the
//! reading list, the self-contained report and the CSV exports — each within the caller's
//! territories.

use crate::harness::*;
use crate::on_both;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use terrain_model::questionnaire::{
    Choice, ConsentPurpose, Definition, ProfileField, Question, QuestionKind, Script,
};
use terrain_model::{Answer, CommuneCode, NewAddress, Questionnaire, TerritoryKind};
use terrain_store::{Audit, FieldRecord, NewResponse, RecordBody, Scope, SyncBatch};
use uuid::Uuid;

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn survey() -> Questionnaire {
    let q = |key: &str, kind: QuestionKind| Question {
        key: key.into(),
        text: format!("{key} ?"),
        help: String::new(),
        required: false,
        show_if: None,
        kind,
    };
    let choice = |v: &str| Choice {
        value: v.into(),
        label: v.to_uppercase(),
    };
    Questionnaire::parse(Definition {
        script: Script::default(),
        questions: vec![
            q(
                "accord",
                QuestionKind::Consent {
                    purpose: ConsentPurpose::Survey,
                    statement: "J’accepte".into(),
                },
            ),
            q(
                "priorite",
                QuestionKind::SingleChoice {
                    options: vec![choice("emploi"), choice("sante"), choice("logement")],
                },
            ),
            q("satisfait", QuestionKind::YesNo),
            q(
                "note",
                QuestionKind::Scale {
                    min: 0,
                    max: 10,
                    min_label: String::new(),
                    max_label: String::new(),
                },
            ),
            q("avis", QuestionKind::Open { max_length: 1000 }),
            q(
                "sexe",
                QuestionKind::Profile {
                    field: ProfileField::Sex,
                },
            ),
        ],
    })
    .unwrap()
}

/// Open answers on four subjects, in varied words.
fn open_answer(i: usize) -> String {
    const SUBJECTS: [[&str; 4]; 4] = [
        [
            "les transports en commun sont saturés",
            "le métro est bondé le matin",
            "les bus arrivent en retard",
            "les transports coûtent cher et le métro tombe en panne",
        ],
        [
            "les loyers sont trop chers",
            "trouver un logement est impossible",
            "le logement social manque et les loyers montent",
            "les loyers augmentent chaque année",
        ],
        [
            "les médecins manquent dans le quartier",
            "l’hôpital est débordé et les urgences attendent",
            "trouver un médecin prend des mois",
            "les urgences de l’hôpital sont saturées",
        ],
        [
            "la propreté des rues laisse à désirer",
            "les rues sont sales et les poubelles débordent",
            "les trottoirs sont sales",
            "la propreté et les poubelles dans les rues",
        ],
    ];
    let s = &SUBJECTS[i % 4];
    format!("{}, {}.", s[(i / 4) % 4], s[(i / 16 + 1) % 4])
}

const PII_ANSWER: &str = "Les loyers sont trop chers, écrivez-moi à jean.dupont@example.fr";

struct Seeded {
    questionnaire: Uuid,
    /// Responses of bureau 18-01 with an open answer, by id.
    in18: Vec<Uuid>,
    in19: Vec<Uuid>,
    pii: Uuid,
}

/// 60 respondents in bureau 18-01, 8 in bureau 19-01 (fewer than a cell may show).
async fn seed(app: &TestApp) -> Seeded {
    let (c, store) = (app.fx.campaign, &app.store);
    let audit = Audit::cli();
    let info = store
        .create_questionnaire(&audit, c, "Diagnostic", &survey())
        .await
        .unwrap();
    let version = store.publish_draft(&audit, c, info.id).await.unwrap().id;
    let mut records = Vec::new();
    for (arr, bureau, n) in [("75118", app.fx.b1801, 60), ("75119", app.fx.b1901, 8)] {
        let address = NewAddress {
            ban_id: Some(format!("{arr}_diag")),
            number: Some("1".into()),
            rep: None,
            street: "Rue du Diagnostic".into(),
            postcode: Some(format!("750{}", &arr[3..])),
            commune: CommuneCode::parse(arr).unwrap(),
            lon: 2.35,
            lat: 48.89,
            bureau_id: Some(bureau),
            iris_id: None,
            doors_estimated: 8,
        };
        let id = store.add_addresses(&audit, c, &[address]).await.unwrap()[0];
        for i in 0..n {
            let mut answers = BTreeMap::new();
            answers.insert("accord".to_string(), Answer::Flag(true));
            let p = ["emploi", "sante", "logement"][i % 3];
            answers.insert("priorite".into(), Answer::Text(p.into()));
            answers.insert("satisfait".into(), Answer::Flag(i % 4 == 0));
            answers.insert("note".into(), Answer::Number((i % 11) as i64));
            answers.insert("sexe".into(), Answer::Text(["f", "m"][i % 2].into()));
            let text = if arr == "75118" && i == 0 {
                PII_ANSWER.to_string()
            } else {
                open_answer(i)
            };
            answers.insert("avis".into(), Answer::Text(text));
            records.push(FieldRecord {
                id: Uuid::now_v7(),
                at: time::OffsetDateTime::now_utc(),
                body: RecordBody::Response(NewResponse {
                    version_id: version,
                    address_id: id,
                    answers,
                    contact: None,
                }),
            });
        }
    }
    let director = app.caller(Actor::Director).user.unwrap();
    let acks = store
        .apply_sync(
            &Audit::api(director),
            c,
            director,
            &Scope::Campaign,
            &SyncBatch {
                device_id: Uuid::new_v4(),
                records,
            },
        )
        .await
        .unwrap();
    assert_eq!(acks.len(), 68);
    let all = store
        .responses(c, &Scope::Campaign, Some(info.id))
        .await
        .unwrap();
    let a18 = store
        .territory_by_code(c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap()
        .id
        .0;
    let pii = all
        .iter()
        .find(|r| r.answers.get("avis") == Some(&Answer::Text(PII_ANSWER.into())))
        .unwrap()
        .id;
    Seeded {
        questionnaire: info.id,
        in18: all
            .iter()
            .filter(|r| r.bureau_id == Some(a18))
            .map(|r| r.id)
            .collect(),
        in19: all
            .iter()
            .filter(|r| r.bureau_id != Some(a18))
            .map(|r| r.id)
            .collect(),
        pii,
    }
}

async fn diagnostic(app: &TestApp) {
    let s = seed(app).await;
    let c = app.fx.campaign;
    let q = s.questionnaire;
    let url = |what: &str, extra: &str| {
        format!("/api/v1/campaigns/{c}/diagnostic/{what}?questionnaire={q}{extra}")
    };
    let get =
        async |actor: Actor, u: String| json_of(app.send(actor, Method::GET, &u, None).await).await;

    // Closed results: everyone, then by territory, with the 19th's 8 respondents hidden.
    let (st, d) = get(Actor::Director, url("closed", "")).await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["respondents"], 68);
    assert_eq!(d["weighting"]["label"], "non pondéré");
    assert_eq!(d["weighting"]["calibrated"], false);
    assert!(d["method"].as_str().unwrap().contains("linéarisation"));
    let prio = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["question"] == "priorite")
        .unwrap();
    let rows = prio["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let emploi = &rows[0];
    assert_eq!(emploi["label"], "EMPLOI");
    assert_eq!(emploi["respondents"], 23); // 20 of 60 and 3 of 8
    let e = emploi["estimate"].as_f64().unwrap();
    assert!((e - 23.0 / 68.0).abs() < 1e-9, "{e}");
    let (lo, hi) = (
        emploi["lower"].as_f64().unwrap(),
        emploi["upper"].as_f64().unwrap(),
    );
    assert!(lo < e && e < hi);
    let note = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["question"] == "note")
        .unwrap();
    assert_eq!(note["kind"], "mean");
    let (st, d) = get(Actor::Director, url("closed", "&by=territory")).await;
    assert_eq!(st, 200, "{d}");
    let groups: Vec<&Value> = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["question"] == "priorite")
        .collect();
    assert_eq!(groups.len(), 3, "all, 18e, 19e");
    let g19 = groups.iter().find(|t| t["group"] == "Paris 19e").unwrap();
    assert_eq!(g19["respondents"], 8);
    assert!(
        g19["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["suppressed"] == true && r["estimate"].is_null())
    );
    let g18 = groups.iter().find(|t| t["group"] == "Paris 18e").unwrap();
    assert!(
        g18["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["suppressed"] == false)
    );
    // A higher minimum hides more; a lower one is refused, so is an unknown breakdown.
    let (_, d) = get(Actor::Director, url("closed", "&min_cell=30")).await;
    let prio = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["question"] == "priorite")
        .unwrap();
    assert!(
        prio["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["suppressed"] == true)
    );
    let (st, e) = get(Actor::Director, url("closed", "&min_cell=3")).await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "invalid_min_cell"));
    let (st, e) = get(Actor::Director, url("closed", "&by=shoe_size")).await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (422, "invalid_breakdown")
    );
    assert!(e["message"].as_str().unwrap().starts_with("by:"));
    // Scope: each coordinator sees their territory; trainers and walkers see nothing.
    let (_, d) = get(Actor::Coordinator18, url("closed", "")).await;
    assert_eq!(d["respondents"], 60);
    let (_, d) = get(Actor::Coordinator19, url("closed", "")).await;
    assert_eq!(d["respondents"], 8);
    assert!(d["tables"].as_array().unwrap().iter().all(|t| {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["suppressed"] == true)
    }));
    let (st, _) = get(Actor::Trainer18, url("closed", "")).await;
    assert_eq!(st, 403);
    let (st, _) = get(Actor::Walker18, url("closed", "")).await;
    assert_eq!(st, 403);

    // Themes of the open question.
    let (st, t) = get(Actor::Director, url("themes", "&question=avis")).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["answers"], 68);
    assert_eq!(t["masked"], false);
    let themes = t["themes"].as_array().unwrap();
    assert!(themes.len() >= 2, "{t}");
    assert!(!t["k_chosen_by"].as_str().unwrap().is_empty());
    for th in themes {
        let share = &th["share"];
        assert!(share["lower"].as_f64().unwrap() <= share["estimate"].as_f64().unwrap());
        assert!(!th["verbatims"].as_array().unwrap().is_empty());
    }
    let (st, e) = get(Actor::Director, url("themes", "&question=priorite")).await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "invalid_question"));
    let (_, t) = get(Actor::Coordinator18, url("themes", "&question=avis")).await;
    assert_eq!(
        (t["answers"].as_u64(), t["masked"].as_bool()),
        (Some(60), Some(true))
    );

    // Coding: the codebook is seeded from the themes; two coders code the same 12 answers.
    let coding = url("coding", "&question=avis");
    let (st, v) = get(Actor::Coordinator18, coding.clone()).await;
    assert_eq!(st, 200, "{v}");
    let book: Vec<String> = v["codebook"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        book.len() >= 3 && book.contains(&"autre".to_string()),
        "{book:?}"
    );
    assert_eq!(v["answers"], 60);
    assert!(v["next"]["response_id"].is_string());
    let (a, b) = (book[0].clone(), book[1].clone());
    let post = async |actor: Actor, r: Uuid, code: &str, flagged: bool| {
        json_of(
            app.send(actor, Method::POST, &format!("/api/v1/campaigns/{c}/diagnostic/coding"),
                Some(json!({"questionnaire": q, "question": "avis", "response_id": r, "codes": [code], "flagged": flagged})))
                .await,
        )
        .await
    };
    let first: Vec<&str> = [&a; 6]
        .into_iter()
        .chain([&b; 6])
        .map(String::as_str)
        .collect();
    let second: Vec<&str> = [&a; 5]
        .into_iter()
        .chain([&b; 6])
        .chain([&a])
        .map(String::as_str)
        .collect();
    for (k, r) in s.in18[1..13].iter().enumerate() {
        let (st, v) = post(Actor::Coordinator18, *r, first[k], false).await;
        assert_eq!(st, 200, "{v}");
        let (st, v) = post(Actor::Director, *r, second[k], false).await;
        assert_eq!(st, 200, "{v}");
    }
    let (_, v) = get(Actor::Director, coding.clone()).await;
    assert_eq!(v["double_coded"], 12);
    assert_eq!(v["coded_by_me"], 12);
    let kappa = v["kappa"]["kappa"].as_f64().unwrap();
    // Observed 10/12, expected 1/2: (5/6 − 1/2) / (1/2) = 2/3.
    assert!((kappa - 2.0 / 3.0).abs() < 1e-9, "{kappa}");
    assert_eq!(v["kappa"]["n"], 12);
    // 12 coded answers, 6 or 7 per code by the first coder: under the minimum of 10, hidden.
    assert!(v["shares"].as_array().unwrap().is_empty(), "{v}");
    let (st, e) = post(Actor::Coordinator18, s.in18[1], "not-a-code", false).await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "unknown_code"));
    assert!(e["message"].as_str().unwrap().starts_with("codes:"));
    let (st, e) = post(Actor::Coordinator18, s.in19[0], &a, false).await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (404, "response_not_found")
    );
    let (st, _) = post(Actor::Trainer18, s.in18[1], &a, false).await;
    assert_eq!(st, 403);

    // The reading list: the flagged answer, masked for the coordinator, whole for the director.
    let (st, _) = post(Actor::Coordinator18, s.pii, &b, true).await;
    assert_eq!(st, 200);
    let (_, list) = get(Actor::Director, url("reading-list", "")).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["text"], PII_ANSWER);
    let (_, list) = get(Actor::Coordinator18, url("reading-list", "")).await;
    let text = list[0]["text"].as_str().unwrap();
    assert!(
        !text.contains("jean.dupont@example.fr") && text.contains("Les loyers"),
        "{text}"
    );
    let (_, list) = get(Actor::Coordinator19, url("reading-list", "")).await;
    assert!(list.as_array().unwrap().is_empty());

    // The report: one self-contained HTML file.
    let r = app
        .send(Actor::Director, Method::GET, &url("report", ""), None)
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("non pondéré") && html.contains("Méthode"));
    let low = html.to_lowercase();
    for bad in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "<script",
        "<link",
        "url(http",
        "@import",
    ] {
        assert!(!low.contains(bad), "the report fetches something: {bad}");
    }
    // A coordinator's territory with 60 respondents is too small for a report.
    let (st, e) = get(Actor::Coordinator18, url("report", "")).await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (403, "too_few_respondents")
    );

    // CSV exports.
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &url("export.csv", "&table=closed&by=sex"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("question;groupe;réponse;répondants"), "{csv}");
    assert!(csv.contains("priorite;Femme;EMPLOI"));
    let r = app
        .send(
            Actor::Director,
            Method::GET,
            &url("export.csv", "&table=themes&question=avis"),
            None,
        )
        .await;
    assert!(r.text().await.unwrap().contains("avis;T"));
    let (st, e) = get(Actor::Director, url("export.csv", "&table=everything")).await;
    assert_eq!((st, e["code"].as_str().unwrap()), (422, "invalid_table"));
}

on_both!(diagnostic_end_to_end, diagnostic);

/// The cells of a CSV export (`;`-separated, after its byte-order mark).
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

/// A coder codes and reads nothing else; the workbook says what the CSV says, sheet by
/// sheet; the report maps the bureaux and prints to PDF.
async fn coder_workbook_maps_and_pdf(app: &TestApp) {
    use terrain_server::xlsx::Cell;
    app.import_results().await; // the outline of bureau 18-01, for the report's map
    let s = seed(app).await;
    let c = app.fx.campaign;
    let q = s.questionnaire;
    let url = |what: &str, extra: &str| {
        format!("/api/v1/campaigns/{c}/diagnostic/{what}?questionnaire={q}{extra}")
    };
    let get =
        async |actor: Actor, u: String| json_of(app.send(actor, Method::GET, &u, None).await).await;

    // The coder of the 18th: their answers, masked, with the questions to choose from.
    let (st, v) = get(Actor::Coder18, url("coding", "")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["question"], "avis");
    assert_eq!(v["answers"], 60);
    assert_eq!(v["masked"], true);
    assert_eq!(v["open_questions"][0]["key"], "avis");
    let code = v["codebook"][0]["id"].as_str().unwrap().to_string();
    let next: Uuid = v["next"]["response_id"].as_str().unwrap().parse().unwrap();
    assert!(s.in18.contains(&next));
    let post = async |r: Uuid| {
        json_of(
            app.send(Actor::Coder18, Method::POST, &format!("/api/v1/campaigns/{c}/diagnostic/coding"),
                Some(json!({"questionnaire": q, "question": "avis", "response_id": r, "codes": [code], "flagged": false})))
                .await,
        )
        .await
    };
    let (st, v) = post(next).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["coded_by_me"], 1);
    assert_ne!(v["next"]["response_id"], json!(next.to_string()));
    // The PII answer, coded by the coder, never reaches them whole.
    let (st, v) = post(s.pii).await;
    assert_eq!(st, 200, "{v}");
    assert!(!v.to_string().contains("jean.dupont@example.fr"));
    let (st, e) = post(s.in19[0]).await;
    assert_eq!(
        (st, e["code"].as_str().unwrap()),
        (404, "response_not_found")
    );
    // Nothing else: the results, the reading list (unmasked for the direction), the report,
    // the exports, members, addresses, field work.
    for what in [
        "closed",
        "themes",
        "reading-list",
        "report",
        "report.pdf",
        "export.csv",
        "export.xlsx",
    ] {
        let (st, e) = get(Actor::Coder18, url(what, "")).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (403, Some("forbidden_role")),
            "{what}"
        );
    }
    for path in [
        format!("/api/v1/campaigns/{c}/members"),
        format!("/api/v1/campaigns/{c}/territories/{}/addresses", app.fx.a18),
        format!("/api/v1/campaigns/{c}/field/progress"),
        format!("/api/v1/campaigns/{c}/turfs"),
    ] {
        let (st, e) = get(Actor::Coder18, path.clone()).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (403, Some("forbidden_role")),
            "{path}"
        );
    }

    // The direction edits the codebook: a code on coded answers stays, renaming keeps its id
    // (and codings), a new code gets an id; coordinators and coders may not.
    let (_, v) = get(Actor::Director, url("coding", "&question=avis")).await;
    let mut book: Vec<Value> = v["codebook"].as_array().unwrap().clone();
    let put = async |actor: Actor, codes: &[Value]| {
        json_of(
            app.send(
                actor,
                Method::PUT,
                &format!("/api/v1/campaigns/{c}/diagnostic/codebook"),
                Some(json!({"questionnaire": q, "question": "avis", "codes": codes})),
            )
            .await,
        )
        .await
    };
    let without: Vec<Value> = book
        .iter()
        .filter(|k| k["id"] != json!(code))
        .cloned()
        .collect();
    let (st, e) = put(Actor::Director, &without).await;
    assert_eq!((st, e["code"].as_str()), (409, Some("code_in_use")), "{e}");
    let coded = if next == s.pii { 1 } else { 2 };
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{coded} answer(s)")),
        "{e}"
    );
    book[0]["label"] = json!("Renommé");
    book.push(json!({"label": "Nouveau", "key": "z"}));
    let (st, v) = put(Actor::Director, &book).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["codebook"][0]["id"], json!(code));
    assert_eq!(v["codebook"][0]["label"], "Renommé");
    let added = v["codebook"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (added["id"].as_str(), added["key"].as_str()),
        (Some("C1"), Some("z"))
    );
    let (_, v) = get(Actor::Coder18, url("coding", "")).await;
    assert_eq!(v["codebook"][0]["label"], "Renommé");
    assert_eq!(v["coded_by_me"], coded, "renaming keeps the codings");
    book.push(json!({"label": "Clé double", "key": "Z"}));
    let (st, e) = put(Actor::Director, &book).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("invalid_codebook")),
        "{e}"
    );
    book.pop();
    book.push(json!({"label": "Deux touches", "key": "xy"}));
    let (st, e) = put(Actor::Director, &book).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("invalid_codebook")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().starts_with("codes["), "{e}");
    book.pop();
    book.push(json!({"id": "nope", "label": "Inconnu"}));
    let (st, e) = put(Actor::Director, &book).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("invalid_codebook")),
        "{e}"
    );
    book.pop();
    for actor in [Actor::Coordinator18, Actor::Coder18] {
        let (st, e) = put(actor, &book).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (403, Some("forbidden_role")),
            "{actor:?}"
        );
    }

    // The themes carry every breakdown; the 19th's 8 answers are a suppressed group.
    let (st, t) = get(Actor::Director, url("themes", "&question=avis")).await;
    assert_eq!(st, 200, "{t}");
    for th in t["themes"].as_array().unwrap() {
        let by: Vec<&str> = th["breakdowns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["by"].as_str().unwrap())
            .collect();
        assert_eq!(by, ["sex", "age_band", "occupation", "territory"]);
        let sex = &th["breakdowns"][0]["groups"];
        assert_eq!(sex[0]["group"], "Femme");
        assert_eq!(sex[0]["n"], 34); // 30 of the 18th's 60, 4 of the 19th's 8
        assert!(sex[0]["share"]["estimate"].is_number());
    }

    // The workbook: the table of contents names each sheet's CSV twin; their cells agree.
    let r = app
        .send(Actor::Director, Method::GET, &url("export.xlsx", ""), None)
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    let sheets = terrain_server::xlsx::read(&bytes).unwrap();
    assert_eq!(sheets[0].name, "Sommaire");
    let index = &sheets[0].rows;
    let mut compared = Vec::new();
    for row in &index[2..] {
        let text = |i: usize| match row.get(i) {
            Some(Cell::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let (name, table, question, by) = (text(0), text(1), text(2), text(3));
        let sheet = sheets.iter().find(|s| s.name == name).unwrap();
        let mut extra = format!("&table={table}");
        if !question.is_empty() {
            extra.push_str(&format!("&question={question}"));
        }
        if !by.is_empty() {
            extra.push_str(&format!("&by={by}"));
        }
        let r = app
            .send(
                Actor::Director,
                Method::GET,
                &url("export.csv", &extra),
                None,
            )
            .await;
        assert_eq!(r.status().as_u16(), 200, "{extra}");
        let csv = csv_cells(&r.text().await.unwrap());
        assert_eq!(csv.len(), sheet.rows.len(), "rows of {name}");
        for (i, (want, got)) in csv.iter().zip(&sheet.rows).enumerate() {
            for (j, w) in want.iter().enumerate() {
                let g = got.get(j).cloned().unwrap_or(Cell::Empty);
                let same = match &g {
                    Cell::Empty => w.is_empty(),
                    Cell::Text(t) => t == w,
                    Cell::Number(x) => w.parse::<f64>().is_ok_and(|v| v == *x),
                };
                assert!(same, "{name} row {i} column {j}: CSV {w:?}, XLSX {g:?}");
            }
        }
        // Numbers are numbers: the closed table's counts and estimates.
        if table == "closed" && by.is_empty() {
            assert!(
                matches!(sheet.rows[1][3], Cell::Number(_)),
                "{:?}",
                sheet.rows[1]
            );
            assert!(matches!(sheet.rows[1][5], Cell::Number(_)));
        }
        compared.push((table, by));
    }
    for want in [
        ("closed", ""),
        ("closed", "sex"),
        ("closed", "territory"),
        ("themes", ""),
        ("themes", "age_band"),
        ("codes", ""),
    ] {
        assert!(
            compared.iter().any(|(t, b)| t == want.0 && b == want.1),
            "no sheet for {want:?}: {compared:?}"
        );
    }

    // The report maps the bureaux: 18-01's 60 respondents coloured, the legend, no network.
    let r = app
        .send(Actor::Director, Method::GET, &url("report", ""), None)
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"cartes\""), "no map section");
    assert!(html.contains("<path id=\"bv0\""));
    assert!(
        html.contains("href=\"#bv0\" fill=\"#08519c\""),
        "bureau 18-01 not coloured"
    );
    assert!(html.contains("60 répondants"));
    assert!(html.contains("masqué : moins de 10 répondants"));
    assert!(html.contains("les principaux thèmes par bureau"));

    // The PDF, printed by headless Chromium.
    if std::path::Path::new("/usr/bin/chromium").exists() {
        let r = app
            .send(Actor::Director, Method::GET, &url("report.pdf", ""), None)
            .await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"), "not a PDF");
        let count = |pat: &[u8]| {
            pdf.windows(pat.len() + 1)
                .filter(|w| &w[..pat.len()] == pat && w[pat.len()] != b's')
                .count()
        };
        let pages = count(b"/Type /Page") + count(b"/Type/Page");
        assert!(pages >= 1, "a PDF without pages");
    } else {
        eprintln!(
            "SKIPPED: /usr/bin/chromium is absent: the PDF of the report was not printed (install chromium)"
        );
    }
}

on_both!(
    coder_workbook_maps_and_pdf_end_to_end,
    coder_workbook_maps_and_pdf
);

/// Without Chromium, the PDF is refused with a clear code, and the HTML report still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdf_without_chromium_is_unavailable() {
    let app = TestApp::spawn_with(
        Db::Sqlite,
        terrain_server::ServerConfig {
            chromium: None,
            ..terrain_server::ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let s = seed(&app).await;
    let c = app.fx.campaign;
    let u = format!(
        "/api/v1/campaigns/{c}/diagnostic/report.pdf?questionnaire={}",
        s.questionnaire
    );
    let (st, e) = json_of(app.send(Actor::Director, Method::GET, &u, None).await).await;
    assert_eq!((st, e["code"].as_str()), (503, Some("pdf_unavailable")));
    assert!(e["message"].as_str().unwrap().contains("TERRAIN_CHROMIUM"));
    app.stop().await;
}
