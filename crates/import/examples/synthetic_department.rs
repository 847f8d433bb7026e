//! Fills a campaign with a synthetic department for the map benchmark: `N` bureaux (default
//! 1,300, a large department) as irregular polygons of ~40 vertices on a jittered grid, with
//! results for one election. `synthetic_department --db URL --campaign SLUG [--bureaux N]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use terrain_model::{Slug, TerritoryKind};
use terrain_store::{
    Audit, CandidateVotes, Counts, ElectionData, ImportBatch, NewElection, NewTerritory, ResultRow,
    ShapeRow,
};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A small deterministic generator (no RNG crate needed for a benchmark fixture).
fn noise(i: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % 10_000) as f64 / 10_000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = arg(&args, "--db").expect("--db URL");
    let slug = arg(&args, "--campaign").expect("--campaign SLUG");
    let n: usize = arg(&args, "--bureaux").map_or(1300, |v| v.parse().unwrap());
    let store = terrain_store::connect(&db).await.unwrap();
    let campaign = store
        .campaign_by_slug(&Slug::parse(&slug).unwrap())
        .await
        .unwrap();
    let side = (n as f64).sqrt().ceil() as usize;
    let (lon0, lat0, step) = (4.3, 45.6, 0.012);
    let mut territories = vec![NewTerritory {
        kind: TerritoryKind::Department,
        code: "69".into(),
        name: "Rhône (synthétique)".into(),
        parent: None,
    }];
    let mut rows = Vec::new();
    let mut shapes = Vec::new();
    for i in 0..n {
        let commune = format!("69{:03}", 1 + i / 10);
        if i % 10 == 0 {
            territories.push(NewTerritory {
                kind: TerritoryKind::Commune,
                code: commune.clone(),
                name: format!("Commune {commune}"),
                parent: Some((TerritoryKind::Department, "69".into())),
            });
        }
        let code = format!("{commune}_{:04}", 1 + i % 10);
        territories.push(NewTerritory {
            kind: TerritoryKind::Bureau,
            code: code.clone(),
            name: format!("Bureau {}", i + 1),
            parent: Some((TerritoryKind::Commune, commune)),
        });
        let (cx, cy) = (
            lon0 + (i % side) as f64 * step,
            lat0 + (i / side) as f64 * step,
        );
        let ring: Vec<[f64; 2]> = (0..=40)
            .map(|k| {
                let a = std::f64::consts::TAU * (k % 40) as f64 / 40.0;
                let r = step * (0.42 + 0.08 * noise((i * 41 + k % 40) as u64));
                [cx + r * a.cos(), cy + r * a.sin()]
            })
            .collect();
        let geometry = serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string();
        shapes.push(ShapeRow {
            kind: TerritoryKind::Bureau,
            code: code.clone(),
            geometry,
            bbox: [cx - step, cy - step, cx + step, cy + step],
            valid: true,
        });
        let inscrits = 800 + (noise(i as u64) * 900.0) as u64;
        let votants = inscrits * (55 + (noise(i as u64 + 7) * 30.0) as u64) / 100;
        let left = votants * (20 + (noise(i as u64 + 9) * 40.0) as u64) / 100;
        rows.push(ResultRow {
            kind: TerritoryKind::Bureau,
            area: code,
            counts: Counts {
                inscrits,
                abstentions: inscrits - votants,
                votants,
                blancs: 0,
                nuls: 0,
                exprimes: votants,
            },
            candidates: vec![
                CandidateVotes {
                    panel: Some(1),
                    name: "Gauche".into(),
                    nuance: None,
                    bloc: Some("left".into()),
                    votes: left,
                },
                CandidateVotes {
                    panel: Some(2),
                    name: "Droite".into(),
                    nuance: None,
                    bloc: Some("right".into()),
                    votes: votants - left,
                },
            ],
        });
    }
    let batch = ImportBatch {
        source: "synthetic".into(),
        territories,
        elections: vec![ElectionData {
            election: NewElection {
                code: "2022_pres_t1".into(),
                kind: "presidential".into(),
                year: 2022,
                round: 1,
                label: "Présidentielle 2022 — 1er tour".into(),
            },
            rows,
        }],
        shapes,
        ..Default::default()
    };
    let out = store
        .apply_import(&Audit::cli(), campaign.id, &batch)
        .await
        .unwrap();
    println!("{}", serde_json::to_string(&out).unwrap());
}
