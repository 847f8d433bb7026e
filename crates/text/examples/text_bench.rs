//! Benchmark driver for `bench/text/run.sh`: runs Terrain's text engine on a CSV of answers
//! and writes what the Python anchors (scikit-learn, spaCy) need to run on the same input.
//!
//! ```text
//! text_bench lemmas  ANSWERS.csv COLUMN OUT.jsonl          tokens and lemmas per answer
//! text_bench themes  ANSWERS.csv COLUMN OUTDIR [K_MIN K_MAX [whole]] matrices, vocabulary, themes, timings
//! text_bench scale   ANSWERS.csv COLUMN N SEED [items]     resample N answers (or items) and time analyse
//! text_bench stages  ANSWERS.csv COLUMN N                  time each stage on N resampled answers
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use terrain_text::coherence::Postings;
use terrain_text::features::{
    SparseMatrix, build_corpus, build_corpus_with_template, template_lines,
};
use terrain_text::lemma::Lemmatizer;
use terrain_text::nmf::{NmfOptions, fit};
use terrain_text::normalize::normalize;
use terrain_text::segment::segments;
use terrain_text::themes::{ThemeOptions, analyse};
use terrain_text::token::tokenize;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn read_column(path: &str, column: &str) -> Res<Vec<String>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let idx = headers
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| format!("no column {column} in {path}"))?;
    let mut out = Vec::new();
    for record in reader.records() {
        out.push(record?.get(idx).unwrap_or("").to_string());
    }
    Ok(out)
}

fn write_matrix_market(path: &Path, m: &SparseMatrix) -> Res<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, "%%MatrixMarket matrix coordinate real general")?;
    writeln!(w, "{} {} {}", m.n_rows, m.n_cols, m.nnz())?;
    for i in 0..m.n_rows {
        let (cols, vals) = m.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            writeln!(w, "{} {} {:.17e}", i + 1, j + 1, v)?;
        }
    }
    Ok(())
}

fn lemmas(path: &str, column: &str, out: &str) -> Res<()> {
    let texts = read_column(path, column)?;
    let lem = Lemmatizer::french()?;
    let mut w = BufWriter::new(File::create(out)?);
    let start = Instant::now();
    let mut n_tokens = 0usize;
    for text in &texts {
        let normalized = normalize(text);
        let tokens = tokenize(&normalized);
        let lemmas = lem.lemmatize(&tokens);
        // char offsets, for alignment with spaCy run on the same normalised text
        let char_at = |b: usize| normalized[..b].chars().count();
        let toks: Vec<serde_json::Value> = tokens
            .iter()
            .zip(&lemmas)
            .map(|(t, l)| {
                serde_json::json!([
                    char_at(t.start),
                    char_at(t.end),
                    t.text,
                    l,
                    t.kind,
                    terrain_text::lexicon::is_stop(l)
                ])
            })
            .collect();
        n_tokens += toks.len();
        writeln!(
            w,
            "{}",
            serde_json::json!({"text": normalized, "tokens": toks})
        )?;
    }
    eprintln!(
        "lemmas: {} answers, {} tokens in {:.3} s",
        texts.len(),
        n_tokens,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn themes(
    path: &str,
    column: &str,
    outdir: &str,
    k_min: usize,
    k_max: usize,
    whole: bool,
) -> Res<()> {
    let texts = read_column(path, column)?;
    let dir = Path::new(outdir);
    std::fs::create_dir_all(dir)?;
    let options = ThemeOptions {
        k_min,
        k_max,
        segment: !whole,
        ..ThemeOptions::default()
    };
    let lem = Lemmatizer::french()?;

    let t0 = Instant::now();
    // the same items as `analyse`: answers cut into segments
    let mut items: Vec<&str> = Vec::new();
    let mut item_answer: Vec<usize> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let pieces = if whole {
            if t.trim().is_empty() {
                Vec::new()
            } else {
                vec![(0, t.len())]
            }
        } else {
            segments(t, options.segment_min_words)
        };
        for (a, b) in pieces {
            items.push(&t[a..b]);
            item_answer.push(i);
        }
    }
    let template = template_lines(&texts, &options.features);
    let corpus = build_corpus_with_template(&items, lem, &options.features, Some(template))?;
    let t_features = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let analysis = analyse(&texts, None, None, &options)?;
    let t_analyse = t1.elapsed().as_secs_f64();

    // one fit at the chosen k on all usable answers, per seed: time and stability
    let usable: Vec<usize> = (0..corpus.n_docs)
        .filter(|&i| !corpus.counts.row(i).0.is_empty())
        .collect();
    let x = corpus.tfidf.select_rows(&usable);
    let counts = corpus.counts.select_rows(&usable);
    let usable_answer: Vec<usize> = usable.iter().map(|&r| item_answer[r]).collect();
    let postings = Postings::grouped(&counts, &usable_answer, texts.len());
    // five fits from five seeds on all items (stability across seeds), and five fits on
    // seeded 80 % subsamples of the items (stability across data); the anchors refit the same
    let run = |rows: Option<&[usize]>, seed: u64| -> serde_json::Value {
        let data = rows.map_or_else(|| x.clone(), |r| x.select_rows(r));
        let t = Instant::now();
        let mut f = fit(
            &data,
            &NmfOptions {
                k: analysis.k,
                seed,
                ..NmfOptions::default()
            },
            None,
        );
        let secs = t.elapsed().as_secs_f64();
        f.normalize();
        let tops: Vec<Vec<usize>> = (0..f.k).map(|l| f.top_features(l, 10)).collect();
        let coherence = tops.iter().map(|t| postings.coherence(t)).sum::<f64>() / f.k as f64;
        serde_json::json!({
            "seed": seed, "seconds": secs, "iterations": f.iterations, "residual": f.residual,
            "coherence": coherence, "top": tops,
        })
    };
    let per_seed: Vec<serde_json::Value> = (0..5u64).map(|seed| run(None, seed)).collect();
    let subsets: Vec<Vec<usize>> = (0..5u64)
        .map(|s| {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + s);
            let mut rows: Vec<usize> = (0..x.n_rows)
                .filter(|_| rng.random::<f64>() < 0.8)
                .collect();
            rows.sort_unstable();
            rows
        })
        .collect();
    let per_subset: Vec<serde_json::Value> =
        subsets.iter().map(|rows| run(Some(rows), 0)).collect();
    std::fs::write(dir.join("subsets.json"), serde_json::to_string(&subsets)?)?;
    let tops_of = |fits: &[serde_json::Value]| -> Vec<Vec<Vec<usize>>> {
        fits.iter()
            .map(|s| serde_json::from_value(s["top"].clone()).unwrap_or_default())
            .collect()
    };
    let stability = terrain_text::coherence::stability(&tops_of(&per_seed));
    let stability_subsets = terrain_text::coherence::stability(&tops_of(&per_subset));

    write_matrix_market(&dir.join("tfidf.mtx"), &x)?;
    write_matrix_market(&dir.join("counts.mtx"), &counts)?;
    let vocab: Vec<&str> = corpus.features.iter().map(|f| f.label.as_str()).collect();
    std::fs::write(dir.join("vocab.json"), serde_json::to_string(&vocab)?)?;
    std::fs::write(
        dir.join("items.json"),
        serde_json::to_string(&usable.iter().map(|&i| items[i]).collect::<Vec<_>>())?,
    )?;
    std::fs::write(
        dir.join("item_answer.json"),
        serde_json::to_string(&usable_answer)?,
    )?;
    let summary = serde_json::json!({
        "answers": texts.len(),
        "items": analysis.items,
        "usable": usable.len(),
        "vocabulary": corpus.features.len(),
        "nnz": x.nnz(),
        "seconds_features": t_features,
        "seconds_analyse": t_analyse,
        "k": analysis.k,
        "k_chosen_by": analysis.k_chosen_by,
        "selection": analysis.selection,
        "coherence": analysis.coherence,
        "stability_selection": analysis.stability,
        "fits": per_seed,
        "stability_5_seeds": stability,
        "subset_fits": per_subset,
        "stability_5_subsets": stability_subsets,
        "themes": analysis.themes.iter().map(|t| serde_json::json!({
            "id": t.id, "label": t.label, "share": t.share.estimate, "lower": t.share.lower, "upper": t.share.upper,
            "mention": t.mention_share.estimate,
            "verbatims": t.examples.iter().map(|e| &e.text).collect::<Vec<_>>(),
            "coherence": t.coherence, "terms": t.terms.iter().map(|x| &x.label).collect::<Vec<_>>(),
            "examples": t.examples.iter().map(|e| e.answer).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "phrases": analysis.phrases.iter().take(30).map(|p| (&p.label, p.count)).collect::<Vec<_>>(),
        "boilerplate": analysis.boilerplate,
    });
    std::fs::write(
        dir.join("terrain.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    eprintln!(
        "themes: k = {}, coherence {:.3}, features {:.3} s, analyse {:.3} s",
        analysis.k, analysis.coherence, t_features, t_analyse
    );
    Ok(())
}

/// CPU time of this process (user + system), from /proc: less sensitive than wall time to
/// the other jobs of a shared machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command name (which is in parentheses)
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name
    (ticks(11) + ticks(12)) / 100.0
}

/// Resamples `n` answers (whole contributions, or their items when `unit` is "items") and
/// times `analyse` on them.
fn scale(path: &str, column: &str, n: usize, seed: u64, unit: &str) -> Res<()> {
    let texts = read_column(path, column)?;
    let pool: Vec<&str> = if unit == "items" {
        texts
            .iter()
            .flat_map(|t| segments(t, 4).into_iter().map(move |(a, b)| &t[a..b]))
            .collect()
    } else {
        texts
            .iter()
            .map(String::as_str)
            .filter(|t| !t.trim().is_empty())
            .collect()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sample: Vec<&str> = (0..n)
        .map(|_| pool[rng.random_range(0..pool.len())])
        .collect();
    let chars: usize = sample.iter().map(|t| t.chars().count()).sum();
    let options = ThemeOptions::default();
    let _ = Lemmatizer::french()?;
    let (w0, c0) = (Instant::now(), cpu_seconds());
    let analysis = analyse(&sample, None, None, &options)?;
    let (wall, cpu) = (w0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({
            "unit": unit, "answers": n, "characters": chars, "items": analysis.items, "k": analysis.k,
            "usable": analysis.usable, "wall_seconds": wall, "cpu_seconds": cpu,
            "vocabulary": analysis.vocabulary, "coherence": analysis.coherence,
            "loadavg": load.split_whitespace().next().unwrap_or(""),
        })
    );
    Ok(())
}

/// Time of each stage of feature extraction, one thread, on N resampled answers.
fn stages(path: &str, column: &str, n: usize) -> Res<()> {
    let texts = read_column(path, column)?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let sample: Vec<&str> = (0..n)
        .map(|_| texts[rng.random_range(0..texts.len())].as_str())
        .collect();
    let lem = Lemmatizer::french()?;
    let t = Instant::now();
    let items: Vec<&str> = sample
        .iter()
        .flat_map(|t| segments(t, 4).into_iter().map(move |(a, b)| &t[a..b]))
        .collect();
    eprintln!(
        "segments  {:.3} s ({} items)",
        t.elapsed().as_secs_f64(),
        items.len()
    );
    let t = Instant::now();
    let normalized: Vec<String> = items.iter().map(|t| normalize(t)).collect();
    eprintln!("normalize {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let tokens: Vec<_> = normalized.iter().map(|t| tokenize(t)).collect();
    eprintln!(
        "tokenize  {:.3} s ({} tokens)",
        t.elapsed().as_secs_f64(),
        tokens.iter().map(Vec::len).sum::<usize>()
    );
    let t = Instant::now();
    let lemmas: usize = tokens.iter().map(|t| lem.lemmatize(t).len()).sum();
    eprintln!(
        "lemmatize {:.3} s ({lemmas}, uncached)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let template = template_lines(&sample, &Default::default());
    eprintln!("template  {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let options = terrain_text::features::FeatureOptions {
        threads: 1,
        ..Default::default()
    };
    let corpus = build_corpus_with_template(&items, lem, &options, Some(template))?;
    eprintln!(
        "corpus    {:.3} s (1 thread, all stages)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let options = terrain_text::features::FeatureOptions {
        threads: 1,
        phrases: terrain_text::features::PhraseOptions {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let _ = build_corpus(&items, lem, &options)?;
    eprintln!(
        "corpus    {:.3} s (1 thread, no phrases)",
        t.elapsed().as_secs_f64()
    );
    let x = corpus.tfidf;
    let t = Instant::now();
    let f = fit(
        &x,
        &NmfOptions {
            k: 10,
            seed: 1,
            ..NmfOptions::default()
        },
        None,
    );
    eprintln!(
        "nmf k=10  {:.3} s ({} iterations, {} rows, nnz {})",
        t.elapsed().as_secs_f64(),
        f.iterations,
        x.n_rows,
        x.nnz()
    );
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the file's header"))
    };
    match arg(1)? {
        "lemmas" => lemmas(arg(2)?, arg(3)?, arg(4)?),
        "themes" => {
            let k_min = args.get(5).map_or(Ok(4), |s| s.parse())?;
            let k_max = args.get(6).map_or(Ok(12), |s| s.parse())?;
            let whole = args.get(7).is_some_and(|s| s == "whole");
            themes(arg(2)?, arg(3)?, arg(4)?, k_min, k_max, whole)
        }
        "scale" => scale(
            arg(2)?,
            arg(3)?,
            arg(4)?.parse()?,
            arg(5)?.parse()?,
            args.get(6).map_or("answers", String::as_str),
        ),
        "stages" => stages(arg(2)?, arg(3)?, arg(4)?.parse()?),
        other => Err(format!("unknown command {other}").into()),
    }
}
