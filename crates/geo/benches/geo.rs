//! Criterion benchmarks of terrain-geo's hot paths on seeded synthetic input: cutting one
//! bureau-sized set of doors and ordering one 80-stop turf. The side-by-side comparison with
//! the anchors (k-means-constrained, LKH-3, OR-Tools) is `bench/geo/run.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use terrain_geo::cut::{CutMethod, CutParams, CutStop, cut};
use terrain_geo::route::{DistanceMatrix, RouteKind, RouteParams, solve};

fn doors(n: usize, bureaux: u32, seed: u64) -> Vec<CutStop> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let pos = [rng.random_range(0.0..2000.0), rng.random_range(0.0..2000.0)];
            let bureau = ((pos[0] / 2000.0 * f64::from(bureaux)) as u32).min(bureaux - 1);
            CutStop {
                pos,
                doors: 1,
                bureau,
                street: None,
            }
        })
        .collect()
}

fn bench_cut(c: &mut Criterion) {
    let stops = doors(8000, 10, 1);
    let mut g = c.benchmark_group("cut 10 bureaux of 800 doors");
    for method in [
        CutMethod::Balanced,
        CutMethod::Bisection,
        CutMethod::Hilbert,
    ] {
        let params = CutParams {
            method,
            ..CutParams::default()
        };
        g.bench_function(format!("{method:?}"), |b| {
            b.iter(|| cut(black_box(&stops), &params))
        });
    }
    g.finish();
}

fn bench_route(c: &mut Criterion) {
    let stops = doors(80, 1, 2);
    let pts: Vec<[f64; 2]> = stops
        .iter()
        .map(|s| [s.pos[0] / 10.0, s.pos[1] / 10.0])
        .collect();
    let m = DistanceMatrix::euclidean(&pts);
    let mut g = c.benchmark_group("order an 80-stop turf");
    for kicks in [0, 1, 2, 10] {
        let params = RouteParams {
            kind: RouteKind::Closed,
            kicks_per_stop: kicks,
            seed: 1,
        };
        g.bench_function(format!("{kicks} kicks per stop"), |b| {
            b.iter(|| solve(black_box(&m), &params))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_cut, bench_route);
criterion_main!(benches);
