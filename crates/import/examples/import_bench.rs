//! Measures imports into a real database: `import_bench results|addresses FILE --db URL`
//! makes a fresh campaign, imports the file through `terrain-import` (as `terrain import`
//! does) and prints `{"kind", "rows", "seconds"}` as JSON. Run by `bench/import/run.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;
use terrain_import::{ResultsImport, Target};
use terrain_model::Slug;
use terrain_store::{Audit, NewCampaign};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, file) = (args.get(1).expect("kind"), args.get(2).expect("file"));
    let db = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
        .expect("--db URL");
    let store = terrain_store::connect(db).await.expect("open the database");
    let slug = format!("bench-{}", std::process::id());
    let campaign = store
        .create_campaign(
            &Audit::cli(),
            &NewCampaign {
                slug: Slug::parse(&slug).unwrap(),
                name: "bench".into(),
                retention_until: None,
            },
        )
        .await
        .unwrap();
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: campaign.id,
        audit: &audit,
    };
    let start = Instant::now();
    let summary = match kind.as_str() {
        "results" => terrain_import::import_results(
            target,
            file,
            std::fs::File::open(file).unwrap(),
            &ResultsImport::default(),
        )
        .await
        .unwrap(),
        "addresses" => {
            terrain_import::import_addresses(target, file, || std::fs::File::open(file), None)
                .await
                .unwrap()
        }
        other => panic!("unknown kind {other}"),
    };
    let seconds = start.elapsed().as_secs_f64();
    let rows = match kind.as_str() {
        "results" => summary.stored.candidate_rows,
        _ => summary.report["stored"].as_u64().unwrap_or(0),
    };
    println!(
        "{}",
        serde_json::json!({"kind": kind, "rows": rows, "bureaux": summary.stored.bureaux_with_results, "seconds": seconds})
    );
}
