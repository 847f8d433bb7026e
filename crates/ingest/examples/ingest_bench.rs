//! Benchmark driver for `bench/ingest/run.sh`: generates national-size inputs (seeded) and
//! times Terrain's parsers on them.
//!
//! ```text
//! ingest_bench gen-results OUT [--bureaux 69000] [--candidates 12] [--seed 42]
//! ingest_bench parse-results FILE
//! ingest_bench gen-ban OUT(.csv|.csv.gz) [--rows 26000000] [--seed 42]
//! ingest_bench parse-ban FILE
//! ```
//! Timings are printed as one JSON line each (seconds measured inside the process).

use flate2::{Compression, write::GzEncoder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;
use terrain_ingest::addresses::{AddressOptions, BanReader};
use terrain_ingest::results::{ResultsOptions, ResultsReader};
use terrain_model::ElectionId;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// CPU time of this process so far (Linux `/proc/self/schedstat`, nanoseconds on CPU): the
/// figure that machine load does not distort, unlike wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const DEPS: [&str; 96] = [
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "2A", "2B", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
    "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
    "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95",
];

const CANDIDATES: [(&str, &str, &str); 12] = [
    ("F", "ARTHAUD", "Nathalie"),
    ("M", "ROUSSEL", "Fabien"),
    ("M", "MACRON", "Emmanuel"),
    ("M", "LASSALLE", "Jean"),
    ("F", "LE PEN", "Marine"),
    ("M", "ZEMMOUR", "Éric"),
    ("M", "MÉLENCHON", "Jean-Luc"),
    ("F", "HIDALGO", "Anne"),
    ("M", "JADOT", "Yannick"),
    ("F", "PÉCRESSE", "Valérie"),
    ("M", "POUTOU", "Philippe"),
    ("M", "DUPONT-AIGNAN", "Nicolas"),
];

fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        return "0,00".into();
    }
    format!("{:.2}", a as f64 * 100.0 / b as f64).replace('.', ",")
}

/// The official 2017–2022 layout: ISO-8859-1, `;`, CRLF, one-block header, ragged rows.
fn gen_results(out: &str, bureaux: u64, ncand: usize, seed: u64) -> Res<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let header = "Code du département;Libellé du département;Code de la circonscription;Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Voix;% Voix/Ins;% Voix/Exp";
    w.write_all(&latin1(header))?;
    w.write_all(b"\r\n")?;
    let per_dep = bureaux.div_ceil(DEPS.len() as u64);
    let mut written = 0;
    let mut line = String::with_capacity(1024);
    'outer: for dep in DEPS {
        let mut commune = 1u32;
        let mut bv = 1u32;
        for _ in 0..per_dep {
            if written == bureaux {
                break 'outer;
            }
            if rng.random_bool(0.3) || bv > 40 {
                commune += 1;
                bv = 1;
            }
            let inscrits: u64 = rng.random_range(300..1400);
            let votants = inscrits * rng.random_range(60..90) / 100;
            let blancs = votants * rng.random_range(0..4) / 100;
            let nuls = votants * rng.random_range(0..3) / 100;
            let exprimes = votants - blancs - nuls;
            // Votes: random weights, the remainder to the last candidate.
            let weights: Vec<u64> = (0..ncand).map(|_| rng.random_range(1..100)).collect();
            let total: u64 = weights.iter().sum();
            let mut voix: Vec<u64> = weights.iter().map(|x| exprimes * x / total).collect();
            let given: u64 = voix.iter().sum();
            if let Some(last) = voix.last_mut() {
                *last += exprimes - given;
            }
            line.clear();
            let circ = commune % 12 + 1;
            line.push_str(&format!(
                "{dep};Département {dep};{circ:02};{circ}ème circonscription;{commune:03};Commune n°{commune} de l'Évêché;{bv:04};{inscrits};{abs};{};{votants};{};{blancs};{};{};{nuls};{};{};{exprimes};{};{}",
                pct(inscrits - votants, inscrits),
                pct(votants, inscrits),
                pct(blancs, inscrits),
                pct(blancs, votants),
                pct(nuls, inscrits),
                pct(nuls, votants),
                pct(exprimes, inscrits),
                pct(exprimes, votants),
                abs = inscrits - votants,
            ));
            for (k, v) in voix.iter().enumerate() {
                let (sex, nom, prenom) = CANDIDATES[k % CANDIDATES.len()];
                line.push_str(&format!(
                    ";{};{sex};{nom};{prenom};{v};{};{}",
                    k + 1,
                    pct(*v, inscrits),
                    pct(*v, exprimes)
                ));
            }
            w.write_all(&latin1(&line))?;
            w.write_all(b"\r\n")?;
            written += 1;
            bv += 1;
        }
    }
    w.flush()?;
    Ok(())
}

fn parse_results(path: &str) -> Res<()> {
    let t = Instant::now();
    let c0 = cpu_seconds();
    let o = ResultsOptions {
        source: path.into(),
        election: Some(ElectionId::parse("2022_pres_t1")?),
        ..Default::default()
    };
    let mut r = ResultsReader::new(
        std::io::BufReader::with_capacity(1 << 20, File::open(path)?),
        o,
    )?;
    let (mut rows, mut cands, mut voix) = (0u64, 0u64, 0u64);
    for x in r.by_ref() {
        let x = x?;
        rows += 1;
        cands += x.candidates.len() as u64;
        voix += x.votes_cast_for_candidates();
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    let rep = r.into_report();
    println!(
        "{{\"tool\":\"terrain\",\"task\":\"parse+validate results\",\"seconds\":{secs:.3},\"cpu_seconds\":{cpu:.3},\"bureaux\":{rows},\"candidate_rows\":{cands},\"voix\":{voix},\"exprimes\":{},\"inconsistent\":{}}}",
        rep.totals.exprimes, rep.inconsistent_rows
    );
    Ok(())
}

/// The BAN department-export layout (23 columns), plain or gzip (fast level).
fn gen_ban(out: &str, rows: u64, seed: u64) -> Res<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut w: Box<dyn Write> = if out.ends_with(".gz") {
        Box::new(GzEncoder::new(file, Compression::fast()))
    } else {
        Box::new(file)
    };
    w.write_all(b"id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles\n")?;
    let streets = [
        "Rue de la République",
        "Avenue du Général Leclerc",
        "Chemin des Écoliers",
        "Place de l'Église",
        "Impasse des Lilas",
    ];
    let mut line = String::with_capacity(512);
    for i in 0..rows {
        let dep = DEPS[(i * DEPS.len() as u64 / rows) as usize];
        let commune = rng.random_range(1..600u32);
        let street = streets[rng.random_range(0..streets.len())];
        let num: u32 = rng.random_range(1..300);
        let rep = if rng.random_bool(0.05) { "bis" } else { "" };
        let x: f64 = rng.random_range(150_000.0..1_200_000.0);
        let y: f64 = rng.random_range(6_100_000.0..7_100_000.0);
        let lon: f64 = rng.random_range(-4.5..8.0);
        let lat: f64 = rng.random_range(42.0..51.0);
        line.clear();
        line.push_str(&format!(
            "{dep}{commune:03}_{:06x}_{num:05};;{num};{rep};{street};{dep}{:03};{dep}{commune:03};Commune {commune};;;{x:.2};{y:.2};{lon:.6};{lat:.6};entrée;;;COMMUNE {commune};{};commune;commune;1;{dep}{commune:03}000AB{:04}\n",
            i % 0xff_ffff,
            commune % 1000,
            street.to_uppercase(),
            i % 10_000
        ));
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    Ok(())
}

fn parse_ban(path: &str) -> Res<()> {
    let t = Instant::now();
    let c0 = cpu_seconds();
    let mut r = BanReader::new(
        std::io::BufReader::with_capacity(1 << 20, File::open(path)?),
        AddressOptions {
            source: path.into(),
            ..Default::default()
        },
    )?;
    let (mut n, mut lon) = (0u64, 0f64);
    for a in r.by_ref() {
        let a = a?;
        n += 1;
        lon += a.lon;
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    let (_, skipped) = r.counts();
    println!(
        "{{\"tool\":\"terrain\",\"task\":\"parse BAN\",\"seconds\":{secs:.3},\"cpu_seconds\":{cpu:.3},\"addresses\":{n},\"skipped\":{skipped},\"per_second\":{:.0},\"mean_lon\":{:.4}}}",
        n as f64 / secs,
        lon / n.max(1) as f64
    );
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(2).cloned().unwrap_or_default();
    match args.get(1).map(String::as_str) {
        Some("gen-results") => gen_results(
            &path,
            arg(&args, "--bureaux", 69_000),
            arg(&args, "--candidates", 12) as usize,
            arg(&args, "--seed", 42),
        ),
        Some("parse-results") => parse_results(&path),
        Some("gen-ban") => gen_ban(
            &path,
            arg(&args, "--rows", 26_000_000),
            arg(&args, "--seed", 42),
        ),
        Some("parse-ban") => parse_ban(&path),
        _ => Err(
            "usage: ingest_bench gen-results|parse-results|gen-ban|parse-ban PATH [options]".into(),
        ),
    }
}
