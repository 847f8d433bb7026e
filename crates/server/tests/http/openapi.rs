//! The OpenAPI document: generated from the code, served at /api/v1/openapi.json, and
//! snapshotted so that any change to the API surface shows in review.

use crate::harness::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_describes_the_api() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every operation documents its error body.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('4')),
                "{method} {path} documents no error response"
            );
        }
    }
    insta::assert_json_snapshot!("openapi", doc);
    app.stop().await;
}
