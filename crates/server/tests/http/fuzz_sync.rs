//! Fuzzing the sync endpoint (issue 10): mutations of the committed corpus of real batches
//! (`tests/corpus/sync/*.json`), at the JSON level and at the byte level, and arbitrary bytes,
//! are posted by a walker to a running server. Every answer must be a 2xx or a 4xx with a
//! stable error code — never a 5xx, never a dropped connection (a panic) — and a 200 must
//! acknowledge every record of the batch.
//!
//! Seeded and bounded: `TERRAIN_FUZZ_CASES` (default 120) sets the number of cases, e.g.
//! `TERRAIN_FUZZ_CASES=5000 cargo nextest run -p terrain-server -E 'test(sync_fuzz)'`.

use crate::harness::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use terrain_model::{CommuneCode, NewAddress};
use terrain_store::Audit;

const CORPUS: &[(&str, &str)] = &[
    ("visit.json", include_str!("../corpus/sync/visit.json")),
    (
        "response.json",
        include_str!("../corpus/sync/response.json"),
    ),
    (
        "unit_and_count.json",
        include_str!("../corpus/sync/unit_and_count.json"),
    ),
    ("odd.json", include_str!("../corpus/sync/odd.json")),
];

/// The corpus's placeholder ids of an address, its building and a questionnaire version.
const ADDRESS: &str = "0192f0c4-3b1e-7a4c-9d2e-1f2a3b4c5d71";
const BUILDING: &str = "0192f0c4-3b1e-7a4c-9d2e-1f2a3b4c5d72";
const VERSION: &str = "0192f0c4-3b1e-7a4c-9d2e-1f2a3b4c5d81";

fn cases() -> u32 {
    std::env::var("TERRAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120)
}

/// Something to put in place of a value.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!("")),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("2026-02-30T25:61:00Z")),
        Just(json!("\u{0}\u{202e}<script>alert(1)</script>")),
        Just(json!("x".repeat(70_000))),
        Just(
            serde_json::from_str::<Value>(&format!("{}1{}", "[".repeat(100), "]".repeat(100)))
                .unwrap()
        ),
        Just(json!({})),
        Just(json!([])),
        ".{0,40}".prop_map(Value::from),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the n-th value (in document order) by another.
    Replace(usize, Value),
    /// Remove the n-th object member.
    Remove(usize),
    /// Give every record a new id (so that records are stored, not found as duplicates).
    FreshIds,
    /// Repeat the records until there are this many.
    Repeat(usize),
    /// Flip a byte of the serialised batch.
    Byte(usize, u8),
    /// Cut the serialised batch.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), odd_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        2 => Just(Mutation::FreshIds),
        1 => (1usize..520).prop_map(Mutation::Repeat),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// A pointer to every value of the document, in order.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Applies the mutations: the body to post, as bytes.
fn apply(seed: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut doc: Value = serde_json::from_str(seed).unwrap();
    let mut bytes: Option<Vec<u8>> = None;
    for m in muts {
        if let Some(b) = bytes.as_mut() {
            match *m {
                Mutation::Byte(i, v) if !b.is_empty() => {
                    let k = i % b.len();
                    b[k] = v;
                }
                Mutation::Truncate(i) if !b.is_empty() => b.truncate(i % b.len()),
                _ => {}
            }
            continue;
        }
        match m {
            Mutation::Replace(i, v) => {
                let mut ps = Vec::new();
                pointers(&doc, String::new(), &mut ps);
                let p = &ps[i % ps.len()];
                if p.is_empty() {
                    doc = v.clone();
                } else if let Some(slot) = doc.pointer_mut(p) {
                    *slot = v.clone();
                }
            }
            Mutation::Remove(i) => {
                let mut ps = Vec::new();
                pointers(&doc, String::new(), &mut ps);
                let p = ps[i % ps.len()].clone();
                if let Some((parent, key)) = p.rsplit_once('/')
                    && let Some(Value::Object(m)) = doc.pointer_mut(parent)
                {
                    m.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
            }
            Mutation::FreshIds => {
                if let Some(Value::Array(rs)) = doc.get_mut("records") {
                    for r in rs {
                        if let Some(o) = r.as_object_mut() {
                            o.insert("id".into(), json!(uuid::Uuid::now_v7()));
                        }
                    }
                }
            }
            Mutation::Repeat(n) => {
                if let Some(Value::Array(rs)) = doc.get_mut("records")
                    && !rs.is_empty()
                {
                    let base = rs.clone();
                    while rs.len() < *n {
                        rs.push(base[rs.len() % base.len()].clone());
                    }
                }
            }
            Mutation::Byte(..) | Mutation::Truncate(..) => {
                let mut b = serde_json::to_vec(&doc).unwrap();
                if let Mutation::Byte(i, v) = *m {
                    let k = i % b.len();
                    b[k] = v;
                } else if let Mutation::Truncate(i) = *m {
                    b.truncate(i % b.len());
                }
                bytes = Some(b);
            }
        }
    }
    bytes.unwrap_or_else(|| serde_json::to_vec(&doc).unwrap())
}

/// Posts raw bytes as the walker; returns the status and body, or panics with the case.
async fn post(app: &TestApp, path: &str, body: Vec<u8>) -> (u16, String) {
    let c = app.caller(Actor::Walker18);
    let mut req = c
        .client
        .post(app.url(path))
        .header("content-type", "application/json");
    if let Some(csrf) = &c.csrf {
        req = req.header("x-csrf-token", csrf);
    }
    let shown = String::from_utf8_lossy(&body[..body.len().min(600)]).to_string();
    let r = req
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the server dropped the request (a panic?): {e}\n{shown}"));
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

fn check(status: u16, text: &str, sent: &[u8]) {
    let shown = String::from_utf8_lossy(&sent[..sent.len().min(600)]).to_string();
    assert!(status < 500, "{status} {text}\nfor: {shown}");
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|_| panic!("{status} not JSON: {text}\nfor: {shown}"));
    if status >= 400 {
        let code = v["code"].as_str().unwrap_or_default();
        assert!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{status} without a stable code: {text}\nfor: {shown}"
        );
    } else {
        let sent: Value = serde_json::from_slice(sent).unwrap();
        assert_eq!(
            v["acks"].as_array().map(Vec::len),
            sent["records"].as_array().map(Vec::len),
            "every record is acknowledged: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fuzz_never_fails_the_server() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let c = app.fx.campaign;
    // Real ids in place of the corpus's placeholders, so that records reach the store.
    let addr = app
        .store
        .add_addresses(
            &Audit::cli(),
            c,
            &[NewAddress {
                ban_id: Some("75118_fuzz_00001".into()),
                number: Some("1".into()),
                rep: None,
                street: "Rue Ordener".into(),
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
    let building = app.store.buildings(c, addr).await.unwrap()[0].id;
    let q = app
        .store
        .create_questionnaire(
            &Audit::cli(),
            c,
            "Fuzz",
            &terrain_model::Template::GrandeMarche2016.questionnaire(),
        )
        .await
        .unwrap();
    let version = app
        .store
        .publish_draft(&Audit::cli(), c, q.id)
        .await
        .unwrap()
        .id;
    let corpus: Vec<String> = CORPUS
        .iter()
        .map(|(_, s)| {
            s.replace(ADDRESS, &addr.to_string())
                .replace(BUILDING, &building.to_string())
                .replace(VERSION, &version.to_string())
        })
        .collect();
    let path = format!("/api/v1/campaigns/{c}/field/sync");

    // The corpus itself is answered cleanly; the well-formed batches are acknowledged (the odd
    // one has a record without an id: the whole batch is refused, 422).
    for ((name, _), s) in CORPUS.iter().zip(&corpus) {
        let (status, text) = post(&app, &path, s.clone().into_bytes()).await;
        check(status, &text, s.as_bytes());
        let expected = if *name == "odd.json" { 422 } else { 200 };
        assert_eq!(status, expected, "{name}: {text}");
    }

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[0x5e; 32]),
    );
    let mutated = (0..corpus.len(), proptest::collection::vec(mutation(), 1..6));
    let raw = proptest::collection::vec(any::<u8>(), 0..400);
    for i in 0..cases() {
        let body = if i % 5 == 4 {
            raw.new_tree(&mut runner).unwrap().current()
        } else {
            let (seed, muts) = mutated.new_tree(&mut runner).unwrap().current();
            apply(&corpus[seed], &muts)
        };
        let (status, text) = post(&app, &path, body.clone()).await;
        check(status, &text, &body);
    }
    app.stop().await;
}
