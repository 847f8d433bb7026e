//! Benchmark driver: `gen DIR` writes 69,000 synthetic bureaux × 5 elections (compact counts
//! CSV) and their census covariates; `run DIR` times Terrain on them and prints one line per
//! task (`TASK|name|seconds|detail`), plus the baseline's selection for the anchors to match.
//!
//! Run through `bench/targeting/run.sh`, which runs the pandas/numpy anchor in the same run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use std::collections::HashMap;
use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use terrain_model::{BureauId, ElectionId};
use terrain_targeting::command::{TargetOptions, TerritoryLevel, target};
use terrain_targeting::counts::{BureauCounts, ElectionCounts, read_counts_csv, write_counts_csv};
use terrain_targeting::plan::{BudgetOptions, ClassOptions, Density, PlanUnit, classify, select};
use terrain_targeting::score::{ReferenceElection, ScoreInputs, ScoreOptions, score};
use terrain_targeting::shrink::{Covariates, ShrinkOptions};

const BUREAUX: usize = 69_000;
const ELECTIONS: [&str; 5] = [
    "2012_pres_t1",
    "2014_euro_t1",
    "2017_pres_t1",
    "2019_euro_t1",
    "2022_pres_t1",
];
const BUDGET: f64 = 5_000_000.0;

fn departments() -> Vec<String> {
    let mut d: Vec<String> = (1..=95)
        .filter(|n| *n != 20)
        .map(|n| format!("{n:02}"))
        .collect();
    d.push("2A".into());
    d.push("2B".into());
    d
}

fn generate(dir: &Path) -> Result<(), Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(2012);
    let deps = departments();
    let mut elections: Vec<ElectionCounts> = ELECTIONS
        .iter()
        .map(|e| ElectionCounts {
            election: ElectionId::parse(e).unwrap_or_else(|_| unreachable!()),
            bureaux: Vec::with_capacity(BUREAUX),
        })
        .collect();
    let mut census = std::io::BufWriter::new(std::fs::File::create(dir.join("census.csv"))?);
    writeln!(census, "bureau;median_income;poverty_rate;graduates")?;
    for i in 0..BUREAUX {
        let dep = &deps[i % deps.len()];
        let k = i / deps.len();
        let id = BureauId::parse(&format!("{dep}{:03}_{:04}", k / 8 + 1, k % 8 + 1))?;
        let ins: u64 = (rng.random_range(4.5f64..7.4)).exp().round() as u64 + 30;
        let poverty: f64 = rng.random_range(0.03..0.40);
        let graduates: f64 = rng.random_range(0.05..0.60);
        let income =
            30_000.0 - 40_000.0 * poverty + 8_000.0 * graduates + rng.random_range(-2000.0..2000.0);
        let abst_p = (0.15 + 0.5 * poverty + rng.random_range(-0.05..0.05)).clamp(0.02, 0.9);
        let bloc_p = (0.10 + 0.4 * graduates + 0.2 * poverty + rng.random_range(-0.06..0.06))
            .clamp(0.01, 0.9);
        writeln!(census, "{id};{income:.0};{poverty:.4};{graduates:.4}")?;
        for e in elections.iter_mut() {
            let a = (abst_p + rng.random_range(-0.05..0.08)).clamp(0.01, 0.95);
            let abstentions = Binomial::new(ins, a)?.sample(&mut rng);
            let exprimes =
                ((ins - abstentions) as f64 * rng.random_range(0.94..0.99)).round() as u64;
            let s = (bloc_p + rng.random_range(-0.03..0.03)).clamp(0.0, 1.0);
            let bloc = Binomial::new(exprimes, s)?.sample(&mut rng);
            e.bureaux.push(BureauCounts {
                bureau: id.clone(),
                circonscription: Some(format!("{:02}", k % 5 + 1)),
                inscrits: ins as f64,
                abstentions: abstentions as f64,
                exprimes: exprimes as f64,
                bloc: bloc as f64,
            });
        }
    }
    census.flush()?;
    write_counts_csv(
        &elections,
        std::io::BufWriter::new(std::fs::File::create(dir.join("counts.csv"))?),
    )?;
    println!(
        "wrote {BUREAUX} bureaux × {} elections to {}",
        ELECTIONS.len(),
        dir.display()
    );
    Ok(())
}

fn read_census(path: &Path) -> Result<Covariates, Box<dyn Error>> {
    let mut rdr = csv::ReaderBuilder::new().delimiter(b';').from_path(path)?;
    let names: Vec<String> = rdr.headers()?.iter().skip(1).map(str::to_string).collect();
    let mut values = HashMap::with_capacity(BUREAUX);
    for rec in rdr.records() {
        let rec = rec?;
        let id = BureauId::parse(rec.get(0).unwrap_or(""))?;
        values.insert(
            id,
            rec.iter().skip(1).map(|v| v.parse::<f64>().ok()).collect(),
        );
    }
    Ok(Covariates { names, values })
}

/// This process's CPU time (user + system) in seconds, from /proc (Linux; 0 elsewhere). The
/// machine is shared, so wall time alone overstates what Terrain costs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// LMP's baseline on one election: PO, department budgets ∝ A_t, rank by PO, select, classes.
fn baseline(e: &ElectionCounts) -> Result<(Vec<PlanUnit>, Vec<bool>), Box<dyn Error>> {
    let units: Vec<PlanUnit> = e
        .bureaux
        .iter()
        .map(|b| PlanUnit {
            bureau: b.bureau.clone(),
            territory: b.bureau.commune().department().to_string(),
            inscrits: b.inscrits,
            score: b.potential(),
            density: Density::Suburban,
        })
        .collect();
    let sel = select(
        &units,
        &BudgetOptions {
            budget_doors: BUDGET,
            ..Default::default()
        },
    )?;
    let _classes = classify(&units, &ClassOptions::default())?;
    Ok((units, sel.selected))
}

fn run(dir: &Path) -> Result<(), Box<dyn Error>> {
    let reps = 7;
    let counts_path = dir.join("counts.csv");
    let (mut t_parse, mut t_base, mut t_full, mut t_cmd, mut t_census) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut cpu = [0.0f64; 6];
    let mut t_avg = vec![];
    let mut selected_ids: Vec<String> = Vec::new();
    let mut full_selected = 0;
    for _ in 0..reps {
        let (t, c) = (Instant::now(), cpu_seconds());
        let elections = read_counts_csv(std::fs::File::open(&counts_path)?, "counts.csv")?;
        t_parse.push(t.elapsed().as_secs_f64());
        cpu[0] += cpu_seconds() - c;
        let (t, c) = (Instant::now(), cpu_seconds());
        let census = read_census(&dir.join("census.csv"))?;
        t_census.push(t.elapsed().as_secs_f64());
        cpu[1] += cpu_seconds() - c;
        let last = elections
            .iter()
            .find(|e| e.election.to_string() == "2022_pres_t1")
            .ok_or("no 2022")?;
        let (t, c) = (Instant::now(), cpu_seconds());
        let (units, selected) = baseline(last)?;
        t_base.push(t.elapsed().as_secs_f64());
        cpu[2] += cpu_seconds() - c;
        selected_ids = units
            .iter()
            .zip(&selected)
            .filter(|(_, s)| **s)
            .map(|(u, _)| u.bureau.to_string())
            .collect();
        // Five elections averaged, each shrunk towards the census prior, then the same plan.
        let (t, c) = (Instant::now(), cpu_seconds());
        let opts = ScoreOptions {
            elections: ELECTIONS
                .iter()
                .map(|e| ReferenceElection::parse(e))
                .collect::<Result<_, _>>()?,
            shrinkage: Some(ShrinkOptions::default()),
            ..Default::default()
        };
        let (scores, _) = score(
            ScoreInputs {
                elections: &elections,
                covariates: Some(&census),
                ..Default::default()
            },
            &opts,
        )?;
        let units: Vec<PlanUnit> = scores
            .iter()
            .map(|s| PlanUnit {
                bureau: s.bureau.clone(),
                territory: s.bureau.commune().department().to_string(),
                inscrits: s.inscrits,
                score: s.score.unwrap_or(0.0),
                density: Density::Suburban,
            })
            .collect();
        let sel = select(
            &units,
            &BudgetOptions {
                budget_doors: BUDGET,
                ..Default::default()
            },
        )?;
        let _ = classify(&units, &ClassOptions::default())?;
        full_selected = sel.bureaux_selected;
        t_full.push(t.elapsed().as_secs_f64());
        cpu[3] += cpu_seconds() - c;
        // The same averaging without shrinkage (what the pandas anchor computes).
        let (t, c) = (Instant::now(), cpu_seconds());
        let plain = ScoreOptions {
            shrinkage: None,
            ..opts.clone()
        };
        let (plain_scores, _) = score(
            ScoreInputs {
                elections: &elections,
                ..Default::default()
            },
            &plain,
        )?;
        t_avg.push(t.elapsed().as_secs_f64());
        cpu[5] += cpu_seconds() - c;
        if plain_scores.len() != BUREAUX {
            return Err("the average lost bureaux".into());
        }
        // The `terrain target` path: file in, CSV out.
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut sink = Vec::with_capacity(16 << 20);
        let o = TargetOptions {
            elections: vec!["2022_pres_t1".into()],
            bloc: "left".into(),
            budget_doors: BUDGET,
            territory: TerritoryLevel::Department,
            ..Default::default()
        };
        let rep = target(
            &o,
            vec![("counts.csv".to_string(), std::fs::File::open(&counts_path)?)],
            &mut sink,
        )?;
        t_cmd.push(t.elapsed().as_secs_f64());
        cpu[4] += cpu_seconds() - c;
        if rep.plan.bureaux != selected_ids.len() {
            return Err(format!(
                "the command selected {} bureaux, the baseline {}",
                rep.plan.bureaux,
                selected_ids.len()
            )
            .into());
        }
    }
    selected_ids.sort();
    std::fs::write(
        dir.join("selected-terrain.txt"),
        selected_ids.join("\n") + "\n",
    )?;
    let c = |i: usize| cpu[i] / f64::from(reps);
    println!(
        "TASK|Terrain: read counts CSV (345,000 rows)|{:.4}|CPU {:.3} s",
        median(t_parse),
        c(0)
    );
    println!(
        "TASK|Terrain: read census CSV (69,000 rows)|{:.4}|CPU {:.3} s",
        median(t_census),
        c(1)
    );
    println!(
        "TASK|Terrain: baseline PO + department split + rank + select + classes|{:.4}|CPU {:.3} s; {} bureaux selected",
        median(t_base),
        c(2),
        selected_ids.len()
    );
    println!(
        "TASK|Terrain: 5 elections averaged, EB shrinkage to census prior, rank + select + classes|{:.4}|CPU {:.3} s; {full_selected} bureaux selected",
        median(t_full),
        c(3)
    );
    println!(
        "TASK|Terrain: 5 elections averaged (no shrinkage)|{:.4}|CPU {:.3} s",
        median(t_avg),
        c(5)
    );
    println!(
        "TASK|Terrain: `terrain target` path (read 5 elections, baseline on 2022, write CSV)|{:.4}|CPU {:.3} s",
        median(t_cmd),
        c(4)
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(
        args.get(2)
            .map(String::as_str)
            .unwrap_or("bench/out/targeting"),
    );
    std::fs::create_dir_all(dir)?;
    match args.get(1).map(String::as_str) {
        Some("gen") => generate(dir),
        Some("run") => run(dir),
        _ => Err("usage: bench_targeting gen|run DIR".into()),
    }
}
