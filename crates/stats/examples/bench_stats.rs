//! The data generator and the Terrain side of `bench/stats/run.sh`.
//!
//! `bench_stats gen DIR`      writes frame.csv (69,000 areas), respondents.csv (100,000),
//!                            margins.csv and population.csv, seeded.
//! `bench_stats terrain DIR`  times Terrain's samplers and calibrations on them.
//! `bench_stats check DIR FILE TOOL TASK SECONDS`  scores a sample (a CSV with an `id`
//!                            column) drawn by an anchor: max HT relative error, spatial balance.
//! `bench_stats weights DIR FILE TOOL TASK SECONDS [REF]`  scores weights (`id,weight`):
//!                            max margin deviation, Kish deff, difference from REF.
//! Every result is a line `RESULT|task|tool|seconds|quality`.

#![allow(clippy::needless_range_loop)]

use std::collections::HashMap;
use std::error::Error;
use std::fs;
use std::io::Write;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use terrain_stats::calibration::{
    CalibrationOptions, Method, calibrate, encode_profiles, margins_from_long,
};
use terrain_stats::cube::{Landing, cube, cube_with_landing};
use terrain_stats::diagnostics::{project_lon_lat, spatial_balance};
use terrain_stats::probabilities::proportional_probabilities;
use terrain_stats::spread::{local_cube, lpm2};

type Res<T> = Result<T, Box<dyn Error>>;

const AREAS: usize = 69_000;
const N_SAMPLE: f64 = 1_000.0;
const AUX: usize = 12;
const RESPONDENTS: usize = 100_000;

const SEX: [&str; 2] = ["F", "H"];
const AGE: [&str; 6] = ["18-24", "25-34", "35-49", "50-64", "65-74", "75+"];
const OCC: [&str; 8] = [
    "agri",
    "artisans",
    "cadres",
    "intermediaires",
    "employes",
    "ouvriers",
    "retraites",
    "autres",
];
const SIZE: [&str; 5] = ["rural", "2k-20k", "20k-100k", "100k+", "paris"];

fn pick<R: Rng>(rng: &mut R, probs: &[f64]) -> usize {
    let u: f64 = rng.random::<f64>() * probs.iter().sum::<f64>();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    probs.len() - 1
}

/// One person's profile: population (`skew = false`) or the survey's respondents (`true`,
/// more women, older, fewer workers, as door-to-door samples are).
fn person<R: Rng>(rng: &mut R, skew: bool) -> [usize; 5] {
    let sex = pick(rng, if skew { &[0.58, 0.42] } else { &[0.52, 0.48] });
    let age = pick(
        rng,
        if skew {
            &[0.06, 0.10, 0.20, 0.26, 0.22, 0.16]
        } else {
            &[0.11, 0.15, 0.24, 0.24, 0.14, 0.12]
        },
    );
    let occ = if age >= 4 && rng.random::<f64>() < 0.85 {
        6
    } else {
        pick(
            rng,
            if skew {
                &[0.01, 0.03, 0.14, 0.16, 0.17, 0.08, 0.10, 0.31]
            } else {
                &[0.01, 0.04, 0.12, 0.16, 0.16, 0.12, 0.08, 0.31]
            },
        )
    };
    let region = pick(
        rng,
        &[
            18.7, 8.3, 4.0, 5.5, 5.0, 9.0, 8.8, 5.0, 12.3, 9.0, 5.9, 7.8, 0.5,
        ],
    );
    let size = pick(
        rng,
        if skew {
            &[0.30, 0.27, 0.20, 0.20, 0.03]
        } else {
            &[0.22, 0.25, 0.22, 0.28, 0.03]
        },
    );
    [sex, age, occ, region, size]
}

fn labels(v: usize, c: usize) -> String {
    match v {
        0 => SEX[c].into(),
        1 => AGE[c].into(),
        2 => OCC[c].into(),
        3 => format!("R{:02}", c + 1),
        _ => SIZE[c].into(),
    }
}

const VARS: [&str; 5] = ["sex", "age", "occ", "region", "size"];
const CATS: [usize; 5] = [2, 6, 8, 13, 5];

fn generate(dir: &str) -> Res<()> {
    fs::create_dir_all(dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_126);
    // Areas: clustered around 40 "cities" plus a rural scatter over mainland France.
    let cities: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                -1.5 + 8.0 * rng.random::<f64>(),
                43.0 + 7.5 * rng.random::<f64>(),
            )
        })
        .collect();
    let mut f = fs::File::create(format!("{dir}/frame.csv"))?;
    let mut header = String::from("id,pop");
    for j in 1..=AUX {
        header.push_str(&format!(",x{j}"));
    }
    writeln!(f, "{header},lon,lat")?;
    for k in 0..AREAS {
        let (lon, lat) = if rng.random::<f64>() < 0.6 {
            let c = cities[rng.random_range(0..cities.len())];
            (
                c.0 + 0.3 * (rng.random::<f64>() - 0.5),
                c.1 + 0.2 * (rng.random::<f64>() - 0.5),
            )
        } else {
            (
                -4.5 + 12.5 * rng.random::<f64>(),
                42.5 + 8.5 * rng.random::<f64>(),
            )
        };
        let pop = (300.0 + 1500.0 * rng.random::<f64>().powi(2)).round();
        let mut line = format!("B{k:05},{pop}");
        // 12 totals: women, men, 4 age bands, 3 occupation groups, graduates, abstainers,
        // one bloc's voters — shares that vary by area.
        let women = (pop * (0.48 + 0.08 * rng.random::<f64>())).round();
        line.push_str(&format!(",{women},{}", pop - women));
        let mut ages = [0.0; 4];
        for a in ages.iter_mut() {
            *a = 0.5 + rng.random::<f64>();
        }
        let s: f64 = ages.iter().sum();
        for a in ages {
            line.push_str(&format!(",{}", (pop * a / s).round()));
        }
        for _ in 0..3 {
            line.push_str(&format!(
                ",{}",
                (pop * (0.05 + 0.3 * rng.random::<f64>())).round()
            ));
        }
        for share in [
            0.1 + 0.4 * rng.random::<f64>(),
            0.15 + 0.3 * rng.random::<f64>(),
            0.05 + 0.35 * rng.random::<f64>(),
        ] {
            line.push_str(&format!(",{}", (pop * share).round()));
        }
        writeln!(f, "{line},{lon:.6},{lat:.6}")?;
    }
    // Respondents and population.
    let mut r = fs::File::create(format!("{dir}/respondents.csv"))?;
    writeln!(r, "id,area,d,sex,age,occ,region,size")?;
    let mut dsum = 0.0;
    for i in 0..RESPONDENTS {
        let p = person(&mut rng, true);
        let d = ((0.5 + 1.5 * rng.random::<f64>()) * 1e4).round() / 1e4;
        dsum += d;
        let mut line = format!("P{i:06},A{:04},{d:.4}", rng.random_range(0..1000));
        for v in 0..5 {
            line.push(',');
            line.push_str(&labels(v, p[v]));
        }
        writeln!(r, "{line}")?;
    }
    let mut counts: Vec<Vec<f64>> = CATS.iter().map(|&c| vec![0.0; c]).collect();
    let mut pf = fs::File::create(format!("{dir}/population.csv"))?;
    writeln!(pf, "id,sex,age,occ,region,size")?;
    for i in 0..200_000 {
        let p = person(&mut rng, false);
        let mut line = format!("Q{i:06}");
        for v in 0..5 {
            counts[v][p[v]] += 1.0;
            line.push(',');
            line.push_str(&labels(v, p[v]));
        }
        writeln!(pf, "{line}")?;
    }
    // Margins: the population's shares times the respondents' design-weight total, so that
    // every tool calibrates to the same totals and bounds on w/d mean the same for all.
    let mut m = fs::File::create(format!("{dir}/margins.csv"))?;
    writeln!(m, "variable,category,target")?;
    for v in 0..5 {
        for c in 0..CATS[v] {
            writeln!(
                m,
                "{},{},{}",
                VARS[v],
                labels(v, c),
                counts[v][c] / 200_000.0 * dsum
            )?;
        }
    }
    Ok(())
}

struct Frame {
    ids: Vec<String>,
    pi: Vec<f64>,
    aux: Vec<f64>,
    coords: Vec<f64>,
}

fn read_frame(dir: &str) -> Res<Frame> {
    let text = fs::read_to_string(format!("{dir}/frame.csv"))?;
    let mut ids = Vec::new();
    let mut pop = Vec::new();
    let mut aux = Vec::new();
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ids.push(f[0].to_string());
        pop.push(f[1].parse::<f64>()?);
        for j in 0..AUX {
            aux.push(f[2 + j].parse::<f64>()?);
        }
        lon.push(f[2 + AUX].parse::<f64>()?);
        lat.push(f[3 + AUX].parse::<f64>()?);
    }
    Ok(Frame {
        ids,
        pi: proportional_probabilities(&pop, N_SAMPLE)?,
        aux,
        coords: project_lon_lat(&lon, &lat),
    })
}

fn score_sample(fr: &Frame, selected: &[usize]) -> Res<(f64, f64)> {
    let mut worst: f64 = 0.0;
    for j in 0..AUX {
        let total: f64 = (0..fr.pi.len()).map(|k| fr.aux[k * AUX + j]).sum();
        let ht: f64 = selected
            .iter()
            .map(|&k| fr.aux[k * AUX + j] / fr.pi[k])
            .sum();
        worst = worst.max((ht - total).abs() / total);
    }
    Ok((worst, spatial_balance(&fr.pi, &fr.coords, 2, selected)?))
}

fn result(task: &str, tool: &str, seconds: f64, quality: &str) {
    println!("RESULT|{task}|{tool}|{seconds:.4}|{quality}");
}

struct Respondents {
    ids: Vec<String>,
    vars: Vec<terrain_stats::calibration::MarginVariable>,
    codes: Vec<u32>,
    d: Vec<f64>,
}

fn read_respondents(dir: &str) -> Res<Respondents> {
    let m = fs::read_to_string(format!("{dir}/margins.csv"))?;
    let mut long = Vec::new();
    for line in m.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        long.push((f[0].to_string(), f[1].to_string(), f[2].parse::<f64>()?));
    }
    let vars = margins_from_long(long)?;
    let text = fs::read_to_string(format!("{dir}/respondents.csv"))?;
    let mut ids = Vec::new();
    let mut d = Vec::new();
    let mut values = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ids.push(f[0].to_string());
        d.push(f[2].parse::<f64>()?);
        values.push(f[3..8].to_vec());
    }
    let codes = encode_profiles(&vars, &values)?;
    Ok(Respondents {
        ids,
        vars,
        codes,
        d,
    })
}

/// CPU seconds used by this process so far (user + system, from /proc; 10 ms ticks), to
/// report alongside wall time on a shared, loaded machine.
fn cpu_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn terrain(dir: &str) -> Res<()> {
    let fr = read_frame(dir)?;
    let seeds = 9u64;
    type Draw<'a> = Box<dyn Fn(&mut ChaCha8Rng) -> Res<Vec<usize>> + 'a>;
    let draws: Vec<(&str, &str, Draw)> = vec![
        (
            "cube",
            "terrain cube (fast flight + LP landing)",
            Box::new(|rng| Ok(cube(&fr.pi, &fr.aux, AUX, None, rng)?.selected)),
        ),
        (
            "cube",
            "terrain cube (fast flight + suppression landing)",
            Box::new(|rng| {
                Ok(
                    cube_with_landing(&fr.pi, &fr.aux, AUX, None, Landing::Suppression, rng)?
                        .selected,
                )
            }),
        ),
        (
            "local cube",
            "terrain local_cube",
            Box::new(|rng| Ok(local_cube(&fr.pi, &fr.aux, AUX, &fr.coords, 2, rng)?.selected)),
        ),
        (
            "local pivotal",
            "terrain lpm2",
            Box::new(|rng| Ok(lpm2(&fr.pi, &fr.coords, 2, rng)?)),
        ),
    ];
    for (task, tool, draw) in &draws {
        let (mut times, mut ht, mut sb) = (Vec::new(), Vec::new(), 0.0);
        let mut cpu = 0.0;
        for seed in 0..seeds {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (t, c) = (Instant::now(), cpu_seconds());
            let s = draw(&mut rng)?;
            times.push(t.elapsed().as_secs_f64());
            cpu += cpu_seconds() - c;
            let (h, b) = score_sample(&fr, &s)?;
            ht.push(h);
            sb += b;
            if seed == 0 {
                let name: String = tool
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let mut f = fs::File::create(format!("{dir}/sample-{name}.csv"))?;
                writeln!(f, "id")?;
                for k in s {
                    writeln!(f, "{}", fr.ids[k])?;
                }
            }
        }
        result(
            task,
            tool,
            median(times),
            &format!(
                "HT {:.1e} (median; {:.1e}–{:.1e}), spatial balance {:.2} (mean) over {seeds} seeds; CPU {:.3} s per draw",
                median(ht.clone()),
                ht.iter().copied().fold(f64::INFINITY, f64::min),
                ht.iter().copied().fold(0.0, f64::max),
                sb / seeds as f64,
                cpu / seeds as f64
            ),
        );
    }
    let r = read_respondents(dir)?;
    for (task, method, bounds) in [
        ("raking", Method::Raking, None),
        ("linear", Method::Linear, None),
        ("bounded logit", Method::Logit, Some((0.3, 3.0))),
    ] {
        let o = CalibrationOptions {
            method,
            bounds,
            ..Default::default()
        };
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..7 {
            let t = Instant::now();
            let cal = calibrate(&r.vars, &r.codes, &r.d, &o)?;
            times.push(t.elapsed().as_secs_f64());
            last = Some(cal);
        }
        let Some(cal) = last else { continue };
        let mut f = fs::File::create(format!(
            "{dir}/weights-terrain-{}.csv",
            task.replace(' ', "-")
        ))?;
        writeln!(f, "id,weight")?;
        for (id, w) in r.ids.iter().zip(&cal.weights) {
            writeln!(f, "{id},{w}")?;
        }
        result(
            task,
            "terrain calibrate",
            median(times),
            &format!(
                "margins to {:.0e}, deff {:.3}, {} profiles, {} iterations",
                cal.max_relative_deviation, cal.kish_deff, cal.profiles, cal.iterations
            ),
        );
    }
    // The whole `terrain weight` path, CSV parsing included.
    let t = Instant::now();
    let resp = fs::File::open(format!("{dir}/respondents.csv"))?;
    let marg = fs::File::open(format!("{dir}/margins.csv"))?;
    let o = terrain_stats::cli::WeightOptions {
        design_weight: Some("d".into()),
        ..Default::default()
    };
    terrain_stats::cli::weight_command(&o, resp, marg, std::io::sink())?;
    result(
        "raking",
        "terrain weight (CSV in and out)",
        t.elapsed().as_secs_f64(),
        "same weights",
    );
    Ok(())
}

fn read_ids(path: &str) -> Res<Vec<String>> {
    let text = fs::read_to_string(path)?;
    Ok(text
        .lines()
        .skip(1)
        .map(|l| l.trim().trim_matches('"').to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

fn check(dir: &str, file: &str, tool: &str, task: &str, seconds: f64) -> Res<()> {
    let fr = read_frame(dir)?;
    let index: HashMap<&str, usize> = fr
        .ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut sel = Vec::new();
    for id in read_ids(file)? {
        sel.push(*index.get(id.as_str()).ok_or(format!("unknown id {id}"))?);
    }
    let (ht, sb) = score_sample(&fr, &sel)?;
    result(
        task,
        tool,
        seconds,
        &format!("HT {ht:.1e}, spatial balance {sb:.2}, n = {}", sel.len()),
    );
    Ok(())
}

fn read_weights(path: &str) -> Res<HashMap<String, f64>> {
    let text = fs::read_to_string(path)?;
    let mut m = HashMap::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let id = f.next().unwrap_or("").trim_matches('"').to_string();
        let w: f64 = f.next().unwrap_or("").trim().parse()?;
        m.insert(id, w);
    }
    Ok(m)
}

fn weights(
    dir: &str,
    file: &str,
    tool: &str,
    task: &str,
    seconds: f64,
    reference: Option<&str>,
) -> Res<()> {
    let r = read_respondents(dir)?;
    let got = read_weights(file)?;
    let w: Vec<f64> = r
        .ids
        .iter()
        .map(|id| got.get(id).copied().ok_or(format!("no weight for {id}")))
        .collect::<Result<_, _>>()?;
    let nv = r.vars.len();
    let mut worst: f64 = 0.0;
    for (j, v) in r.vars.iter().enumerate() {
        let mut sums = vec![0.0; v.categories.len()];
        for i in 0..w.len() {
            sums[r.codes[i * nv + j] as usize] += w[i];
        }
        // Compare shares, so that tools returning weights on another scale compare alike.
        let total: f64 = w.iter().sum();
        let ttotal: f64 = v.targets.iter().sum();
        for (s, t) in sums.iter().zip(&v.targets) {
            worst = worst.max((s / total - t / ttotal).abs() / (t / ttotal));
        }
    }
    let (sw, sw2) = w.iter().fold((0.0, 0.0), |(a, b), x| (a + x, b + x * x));
    let deff = w.len() as f64 * sw2 / (sw * sw);
    let mut q = format!("margins to {worst:.0e}, deff {deff:.3}");
    if let Some(rf) = reference {
        // Compared after scaling both to the same total (some tools return weights that add
        // up to the target population, others to the margins' total).
        let other = read_weights(rf)?;
        let so: f64 = r.ids.iter().filter_map(|id| other.get(id)).sum();
        let mut diff: f64 = 0.0;
        for (id, x) in r.ids.iter().zip(&w) {
            if let Some(y) = other.get(id) {
                diff = diff.max((x / sw - y / so).abs() / (y / so).abs());
            }
        }
        q.push_str(&format!(", max rel. diff. from Terrain {diff:.1e}"));
    }
    result(task, tool, seconds, &q);
    Ok(())
}

/// Runs one sampler `count` times (for profiling).
fn repeat(dir: &str, method: &str, count: u64) -> Res<()> {
    let fr = read_frame(dir)?;
    let t = Instant::now();
    for seed in 0..count {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = match method {
            "cube" => cube(&fr.pi, &fr.aux, AUX, None, &mut rng)?.selected.len(),
            "lcube" => local_cube(&fr.pi, &fr.aux, AUX, &fr.coords, 2, &mut rng)?
                .selected
                .len(),
            _ => lpm2(&fr.pi, &fr.coords, 2, &mut rng)?.len(),
        };
        assert_eq!(n, N_SAMPLE as usize);
    }
    println!(
        "{method}: {:.4} s per draw",
        t.elapsed().as_secs_f64() / count as f64
    );
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("missing argument");
    match arg(1)? {
        "gen" => generate(arg(2)?),
        "terrain" => terrain(arg(2)?),
        "check" => check(arg(2)?, arg(3)?, arg(4)?, arg(5)?, arg(6)?.parse()?),
        "weights" => weights(
            arg(2)?,
            arg(3)?,
            arg(4)?,
            arg(5)?,
            arg(6)?.parse()?,
            args.get(7).map(String::as_str),
        ),
        "repeat" => repeat(arg(2)?, arg(3)?, arg(4)?.parse()?),
        other => Err(format!("unknown command {other}").into()),
    }
}
