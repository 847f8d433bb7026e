//! Benchmark driver for `bench/geo/run.sh`: generates the synthetic inputs, converts the real
//! ones, runs Terrain's cuts and routes with timings, measures any cut (the anchors' too) with
//! the same quality code, and writes turf distance matrices for LKH and OR-Tools.
//!
//! Not a test: timings are printed, never asserted.
// A bench harness run on the project's own generated or checked-in inputs, like a test: a
// malformed input should stop it loudly, so unwrapping is the intended behaviour here.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::json;
use terrain_geo::cut::{CutMethod, CutParams, CutStop, cut};
use terrain_geo::index::PointIndex;
use terrain_geo::network::{RoutingGraph, read_osm_pbf};
use terrain_geo::proj::LocalProjection;
use terrain_geo::quality::{CutLayout, cut_quality};
use terrain_geo::route::{DistanceMatrix, RouteKind, RouteParams, solve};
use terrain_geo::turfs::{TurfsOptions, read_doors, run_turfs};

/// CPU seconds (user + system) of this process so far, from /proc (Linux); wall-clock
/// seconds since the first call elsewhere.
fn cpu_seconds() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit(')').next()?.to_string();
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or_else(|| start.elapsed().as_secs_f64())
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn req(args: &[String], name: &str) -> String {
    arg(args, name).unwrap_or_else(|| panic!("missing {name}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => generate(&args),
        Some("paris") => paris(&args),
        Some("monaco") => monaco(&args),
        Some("cut") => cut_cmd(&args),
        Some("quality") => quality_cmd(&args),
        Some("routes") => routes_cmd(&args),
        Some("turfs") => turfs_cmd(&args),
        _ => eprintln!("usage: geo_bench gen|paris|monaco|cut|quality|routes|turfs …"),
    }
}

/// Synthetic clustered doors: neighbourhoods of varying density around Paris, about 150 m²
/// per door, cut into Voronoi "bureaux" of about 800 doors.
fn generate(args: &[String]) {
    let n: usize = req(args, "--doors").parse().unwrap();
    let seed: u64 = arg(args, "--seed").map_or(1, |s| s.parse().unwrap());
    let out = req(args, "--out");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let side = (n as f64 * 150.0).sqrt();
    let clusters = (n / 1500).max(4);
    let centres: Vec<([f64; 2], f64)> = (0..clusters)
        .map(|_| {
            (
                [rng.random_range(0.0..side), rng.random_range(0.0..side)],
                rng.random_range(80.0..400.0),
            )
        })
        .collect();
    let unit = Normal::new(0.0, 1.0).unwrap();
    let pos: Vec<[f64; 2]> = (0..n)
        .map(|_| {
            if rng.random_range(0.0..1.0) < 0.25 {
                [rng.random_range(0.0..side), rng.random_range(0.0..side)]
            } else {
                let (c, s) = centres[rng.random_range(0..clusters)];
                [
                    c[0] + s * unit.sample(&mut rng),
                    c[1] + s * unit.sample(&mut rng),
                ]
            }
        })
        .collect();
    let bureaux = (n / 800).max(1);
    let seeds: Vec<[f64; 2]> = (0..bureaux).map(|_| pos[rng.random_range(0..n)]).collect();
    let index = PointIndex::new(&seeds);
    let proj = LocalProjection::new(2.35, 48.86);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    writeln!(w, "id,lon,lat,bureau,doors").unwrap();
    for (i, p) in pos.iter().enumerate() {
        let b = index.nearest(*p).unwrap();
        let (lon, lat) = proj.unproject(*p);
        writeln!(w, "d{i},{lon:.7},{lat:.7},b{b},1").unwrap();
    }
}

/// Paris BAN addresses placed in their 2017 bureaux → doors CSV (one door per address: the
/// file has no dwelling counts).
fn paris(args: &[String]) {
    let input = req(args, "--in");
    let out = req(args, "--out");
    let f = std::fs::File::open(&input).unwrap();
    let gz = flate2::read::GzDecoder::new(f);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(BufReader::new(gz));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    writeln!(w, "id,lon,lat,bureau,doors,street,number").unwrap();
    let (mut kept, mut skipped) = (0, 0);
    for rec in rdr.records() {
        let r = rec.unwrap();
        let bureau = &r[8];
        if bureau.is_empty() {
            skipped += 1;
            continue;
        }
        let street = r[4].replace('"', "");
        writeln!(
            w,
            "{},{},{},{},1,\"{}\",{}{}",
            &r[0], &r[5], &r[6], bureau, street, &r[2], &r[3]
        )
        .unwrap();
        kept += 1;
    }
    eprintln!("paris: {kept} addresses in a bureau, {skipped} outside every bureau (skipped)");
}

/// Monaco buildings → doors CSV (one door per building, as the anchors were run).
fn monaco(args: &[String]) {
    let bytes = std::fs::read(req(args, "--pbf")).unwrap();
    let data = read_osm_pbf(&bytes[..]).unwrap();
    let mut w = std::io::BufWriter::new(std::fs::File::create(req(args, "--out")).unwrap());
    writeln!(w, "id,lon,lat,doors").unwrap();
    for b in &data.buildings {
        writeln!(w, "w{},{:.7},{:.7},1", b.osm_id, b.lon, b.lat).unwrap();
    }
    eprintln!("monaco: {:?}", data.report);
}

struct Input {
    ids: Vec<String>,
    pos: Vec<[f64; 2]>,
    doors: Vec<u32>,
    bureau: Vec<u32>,
    proj: LocalProjection,
}

fn load(path: &str) -> Input {
    let (rows, _) = read_doors(std::fs::File::open(path).unwrap()).unwrap();
    let proj = LocalProjection::centred_on(rows.iter().map(|r| (r.lon, r.lat))).unwrap();
    let mut bureaux: HashMap<String, u32> = HashMap::new();
    let bureau = rows
        .iter()
        .map(|r| {
            let n = bureaux.len() as u32;
            *bureaux
                .entry(r.bureau.clone().unwrap_or_default())
                .or_insert(n)
        })
        .collect();
    Input {
        ids: rows.iter().map(|r| r.id.clone()).collect(),
        pos: rows.iter().map(|r| proj.project(r.lon, r.lat)).collect(),
        doors: rows.iter().map(|r| r.doors).collect(),
        bureau,
        proj,
    }
}

fn load_cut(path: &str, input: &Input) -> (Vec<u32>, usize) {
    let index: HashMap<&str, usize> = input
        .ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut turf_ids: HashMap<String, u32> = HashMap::new();
    let mut turf_of = vec![u32::MAX; input.ids.len()];
    let f = BufReader::new(std::fs::File::open(path).unwrap());
    for line in f.lines().skip(1) {
        let line = line.unwrap();
        let mut it = line.split(',');
        let (Some(id), Some(t)) = (it.next(), it.next()) else {
            continue;
        };
        let n = turf_ids.len() as u32;
        let t = *turf_ids.entry(t.to_string()).or_insert(n);
        turf_of[index[id]] = t;
    }
    assert!(
        turf_of.iter().all(|&t| t != u32::MAX),
        "cut file misses stops"
    );
    (turf_of, turf_ids.len())
}

fn method(s: &str) -> CutMethod {
    match s {
        "bisection" => CutMethod::Bisection,
        "hilbert" => CutMethod::Hilbert,
        _ => CutMethod::Balanced,
    }
}

fn cut_cmd(args: &[String]) {
    let input = load(&req(args, "--in"));
    let size: u32 = arg(args, "--size").map_or(80, |s| s.parse().unwrap());
    let m = method(&arg(args, "--method").unwrap_or_default());
    let stops: Vec<CutStop> = (0..input.pos.len())
        .map(|i| CutStop {
            pos: input.pos[i],
            doors: input.doors[i],
            bureau: input.bureau[i],
            street: None,
        })
        .collect();
    let mut params = CutParams {
        target_doors: size,
        method: m,
        ..CutParams::default()
    };
    if let Some(v) = arg(args, "--iters") {
        params.max_iterations = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "--starts") {
        params.starts = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "--block") {
        params.block_turfs = v.parse().unwrap();
    }
    let t0 = Instant::now();
    let c0 = cpu_seconds();
    let c = cut(&stops, &params).unwrap();
    let cpu = cpu_seconds() - c0;
    let secs = t0.elapsed().as_secs_f64();
    let q = cut_quality(&CutLayout {
        pos: &input.pos,
        doors: &input.doors,
        turf_of: &c.turf_of,
        turfs: c.turfs.len(),
        bureau_of: Some(&input.bureau),
        segment_of: None,
    });
    if let Some(out) = arg(args, "--out") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
        writeln!(w, "id,turf").unwrap();
        for (i, t) in c.turf_of.iter().enumerate() {
            writeln!(w, "{},{}", input.ids[i], t).unwrap();
        }
    }
    println!(
        "{}",
        json!({"method": format!("{m:?}").to_lowercase(), "seconds": secs, "cpu_seconds": cpu, "quality": q})
    );
}

fn quality_cmd(args: &[String]) {
    let input = load(&req(args, "--in"));
    let (turf_of, n) = load_cut(&req(args, "--cut"), &input);
    let q = cut_quality(&CutLayout {
        pos: &input.pos,
        doors: &input.doors,
        turf_of: &turf_of,
        turfs: n,
        bureau_of: Some(&input.bureau),
        segment_of: None,
    });
    println!("{}", json!({"quality": q}));
}

/// Orders every turf of a cut (closed tours, as the anchors' figures are), straight lines or
/// walking distances; writes a sample of turf matrices (integer decimetres) for LKH/OR-Tools.
fn routes_cmd(args: &[String]) {
    let input = load(&req(args, "--in"));
    let (turf_of, n) = load_cut(&req(args, "--cut"), &input);
    let kicks: u32 = arg(args, "--kicks").map_or(2, |s| s.parse().unwrap());
    let sample: usize = arg(args, "--sample").map_or(0, |s| s.parse().unwrap());
    let graph = arg(args, "--network").map(|p| {
        let bytes = std::fs::read(p).unwrap();
        let data = read_osm_pbf(&bytes[..]).unwrap();
        RoutingGraph::new(&data.network, &input.proj)
    });
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &t) in turf_of.iter().enumerate() {
        members[t as usize].push(i);
    }
    let mut offsets: Vec<f64> = graph
        .as_ref()
        .map(|g| {
            input
                .pos
                .iter()
                .map(|p| g.snap(*p).map_or(f64::NAN, |s| s.offset))
                .collect()
        })
        .unwrap_or_default();
    offsets.sort_by(f64::total_cmp);
    let offset_median = offsets.get(offsets.len() / 2).copied().unwrap_or(0.0);
    let offset_p90 = offsets.get(offsets.len() * 9 / 10).copied().unwrap_or(0.0);
    // Sampled turfs: evenly spread over the list.
    let step = n.checked_div(sample).map_or(usize::MAX, |s| s.max(1));
    let mut samples = Vec::new();
    let mut total = 0.0;
    let mut total_straight_order_on_walk = 0.0;
    let mut matrix_secs = 0.0;
    let mut solve_secs = 0.0;
    let mut disconnected = 0u64;
    let loop_cpu0 = cpu_seconds();
    for (t, m) in members.iter().enumerate() {
        let pts: Vec<[f64; 2]> = m.iter().map(|&i| input.pos[i]).collect();
        let t0 = Instant::now();
        let matrix = match &graph {
            Some(g) => {
                let snaps: Vec<_> = pts.iter().map(|p| g.snap(*p).unwrap()).collect();
                let (mx, st) = g.distance_matrix(&snaps, &pts);
                disconnected += st.disconnected_pairs;
                mx
            }
            None => DistanceMatrix::euclidean(&pts),
        };
        let t1 = Instant::now();
        let params = RouteParams {
            kind: RouteKind::Closed,
            kicks_per_stop: kicks,
            seed: t as u64,
        };
        let r = solve(&matrix, &params).unwrap();
        let t2 = Instant::now();
        matrix_secs += (t1 - t0).as_secs_f64();
        solve_secs += (t2 - t1).as_secs_f64();
        total += r.length;
        if graph.is_some() {
            // The order found on straight lines, walked on the streets.
            let straight = solve(&DistanceMatrix::euclidean(&pts), &params).unwrap();
            total_straight_order_on_walk += matrix.route_length(&straight.order, true);
        }
        if step != usize::MAX && t % step == 0 && samples.len() < sample {
            let k = matrix.len();
            let dm: Vec<Vec<i64>> = (0..k)
                .map(|i| {
                    (0..k)
                        .map(|j| (matrix.get(i, j) * 10.0).round() as i64)
                        .collect()
                })
                .collect();
            samples.push(json!({"turf": t, "ours_dm": r.length * 10.0, "matrix": dm}));
        }
    }
    let loop_cpu = cpu_seconds() - loop_cpu0;
    if let Some(path) = arg(args, "--matrices") {
        std::fs::write(path, serde_json::to_string(&samples).unwrap()).unwrap();
    }
    let doors: u64 = input.doors.iter().map(|&d| u64::from(d)).sum();
    println!(
        "{}",
        json!({
            "turfs": n, "doors": doors, "kicks_per_stop": kicks, "on_network": graph.is_some(),
            "total_m": total, "m_per_door": total / doors as f64,
            "straight_order_walked_m": total_straight_order_on_walk,
            "matrix_seconds": matrix_secs, "solve_seconds": solve_secs,
            "ms_per_turf_solve": solve_secs * 1000.0 / n as f64,
            "cpu_ms_per_turf_matrix_and_solve": loop_cpu * 1000.0 / n as f64,
            "disconnected_pairs": disconnected,
            "snap_offset_median_m": offset_median, "snap_offset_p90_m": offset_p90,
        })
    );
}

/// The whole `terrain turfs` pipeline, timed.
fn turfs_cmd(args: &[String]) {
    let mut options = TurfsOptions::default();
    if let Some(s) = arg(args, "--size") {
        options.size = s.parse().unwrap();
    }
    if let Some(s) = arg(args, "--kicks") {
        options.kicks_per_stop = s.parse().unwrap();
    }
    if let Some(s) = arg(args, "--starts") {
        options.starts = s.parse().unwrap();
    }
    if let Some(s) = arg(args, "--threads") {
        options.threads = s.parse().unwrap();
    }
    if args.iter().any(|a| a == "--closed") {
        options.closed = true;
    }
    if args.iter().any(|a| a == "--split-streets") {
        options.keep_streets_together = false;
    }
    options.per_turf = false;
    let doors = std::fs::File::open(req(args, "--in")).unwrap();
    let network = arg(args, "--network").map(|p| std::fs::read(p).unwrap());
    let out =
        std::fs::File::create(arg(args, "--out").unwrap_or_else(|| "/dev/null".into())).unwrap();
    let t0 = Instant::now();
    let c0 = cpu_seconds();
    let report = run_turfs(
        &options,
        BufReader::new(doors),
        network.as_deref(),
        std::io::BufWriter::new(out),
    )
    .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    println!(
        "{}",
        json!({"seconds": secs, "cpu_seconds": cpu, "report": report})
    );
}
