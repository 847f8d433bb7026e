//! Benchmark driver for `bench/text/run.sh`: runs Terrain's text engine on a CSV of answers
//! and writes what the Python anchors (scikit-learn, spaCy) need to run on the same input.
//!
//! ```text
//! text_bench lemmas  ANSWERS.csv COLUMN OUT.jsonl          tokens and lemmas per answer
//! text_bench themes  ANSWERS.csv COLUMN OUTDIR [K_MIN K_MAX [whole]] matrices, vocabulary, themes, timings
//! text_bench scale   ANSWERS.csv COLUMN N SEED             resample N answers and time analyse
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
    let mut per_seed = Vec::new();
    for seed in 0..5u64 {
        let t = Instant::now();
        let mut f = fit(
            &x,
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
        per_seed.push(serde_json::json!({
            "seed": seed, "seconds": secs, "iterations": f.iterations, "residual": f.residual,
            "coherence": coherence, "top": tops,
        }));
    }
    let tops: Vec<Vec<Vec<usize>>> = per_seed
        .iter()
        .map(|s| serde_json::from_value(s["top"].clone()).unwrap_or_default())
        .collect();
    let stability = terrain_text::coherence::stability(&tops);

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

fn scale(path: &str, column: &str, n: usize, seed: u64) -> Res<()> {
    let texts = read_column(path, column)?;
    let texts: Vec<&String> = texts.iter().filter(|t| !t.trim().is_empty()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sample: Vec<&str> = (0..n)
        .map(|_| texts[rng.random_range(0..texts.len())].as_str())
        .collect();
    let chars: usize = sample.iter().map(|t| t.chars().count()).sum();
    let options = ThemeOptions::default();
    let lem = Lemmatizer::french()?;
    let t0 = Instant::now();
    let corpus = build_corpus(&sample, lem, &options.features)?;
    let t_features = t0.elapsed().as_secs_f64();
    drop(corpus);
    let t1 = Instant::now();
    let analysis = analyse(&sample, None, None, &options)?;
    let t_total = t1.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "answers": n, "characters": chars, "k": analysis.k, "usable": analysis.usable,
            "seconds_features": t_features, "seconds_total": t_total,
            "vocabulary": analysis.vocabulary, "coherence": analysis.coherence,
        })
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
        "scale" => scale(arg(2)?, arg(3)?, arg(4)?.parse()?, arg(5)?.parse()?),
        other => Err(format!("unknown command {other}").into()),
    }
}
