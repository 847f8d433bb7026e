//! Criterion benchmarks of the text engine on the Charente-Maritime notebooks (802 real
//! contributions) when the shared data is beside the clone, else on generated answers.
//! Run: `cargo bench -p terrain-text`. The side-by-side comparison with scikit-learn and
//! spaCy is `bench/text/run.sh`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use terrain_text::features::{FeatureOptions, build_corpus};
use terrain_text::lemma::Lemmatizer;
use terrain_text::nmf::{NmfOptions, fit};
use terrain_text::normalize::normalize;
use terrain_text::privacy::{PrivacyOptions, mask};
use terrain_text::themes::{ThemeOptions, analyse};
use terrain_text::token::tokenize;

fn answers() -> Vec<String> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../../../shared/data/grand-debat-cahiers-citoyens-charente-maritime-2019/contributions.csv",
    ]
    .iter()
    .collect();
    if let Ok(mut reader) = csv::Reader::from_path(&path) {
        let column = reader
            .headers()
            .ok()
            .and_then(|h| h.iter().position(|c| c == "texte"));
        if let Some(column) = column {
            let texts: Vec<String> = reader
                .records()
                .filter_map(Result::ok)
                .map(|r| r.get(column).unwrap_or("").to_string())
                .collect();
            if !texts.is_empty() {
                eprintln!("benchmarking on {} real contributions", texts.len());
                return texts;
            }
        }
    }
    eprintln!("shared data absent: benchmarking on generated answers");
    let parts = [
        "Baisser les impôts et la TVA sur les produits de première nécessité.",
        "Plus de médecins à l'hôpital, les urgences ferment le week-end.",
        "Le prix du carburant m'empêche d'aller travailler en voiture.",
        "Rétablir l'ISF et supprimer les privilèges des élus.",
        "Indexer les retraites sur le coût de la vie.",
    ];
    (0..800)
        .map(|i| format!("{}\n{}", parts[i % 5], parts[(i * 7 + 3) % 5]))
        .collect()
}

fn benches(c: &mut Criterion) {
    let texts = answers();
    let bytes: usize = texts.iter().map(String::len).sum();
    let lem = Lemmatizer::french().expect("embedded tables");

    let mut group = c.benchmark_group("text");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("normalize + tokenize + lemmatize", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                let tokens = tokenize(&normalize(t));
                n += lem.lemmatize(&tokens).len();
            }
            black_box(n)
        });
    });
    group.bench_function("mask personal data", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| mask(t, &PrivacyOptions::default()).spans.len())
                .sum::<usize>()
        });
    });
    group.bench_function("features (phrases, TF-IDF)", |b| {
        b.iter(|| {
            black_box(
                build_corpus(&texts, lem, &FeatureOptions::default()).map(|c| c.features.len()),
            )
        });
    });
    let corpus = build_corpus(&texts, lem, &FeatureOptions::default()).expect("corpus");
    group.throughput(Throughput::Elements(corpus.tfidf.n_rows as u64));
    group.bench_function("NMF k = 10", |b| {
        b.iter(|| {
            black_box(
                fit(
                    &corpus.tfidf,
                    &NmfOptions {
                        k: 10,
                        ..NmfOptions::default()
                    },
                    None,
                )
                .residual,
            )
        });
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("analyse (k fixed at 9)", |b| {
        let options = ThemeOptions {
            k: Some(9),
            ..ThemeOptions::default()
        };
        b.iter(|| black_box(analyse(&texts, None, None, &options).map(|a| a.k)));
    });
    group.finish();
}

criterion_group!(text, benches);
criterion_main!(text);
