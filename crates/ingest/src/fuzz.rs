//! Fuzzing the parsers with proptest: arbitrary bytes, and mutations of a seed corpus of real
//! file excerpts (`testdata/corpus/`), must give values or errors, never a panic.

use crate::addresses::{AddressOptions, BanReader, ReuReader};
use crate::census::{CensusOptions, CensusReader};
use crate::cog::{read_communes_csv, read_communes_json};
use crate::contours::{ContourKind, ContourMapping, ContoursOptions, read_contours};
use crate::error::Policy;
use crate::nuance::NuanceTable;
use crate::results::history::{HistoryOptions, HistoryReader};
use crate::results::{LongMapping, ResultsOptions, ResultsReader};
use crate::text::Encoding;
use proptest::prelude::*;
use terrain_model::ElectionId;

const CORPUS: &[(&str, &[u8])] = &[
    (
        "pr17_t1_latin1.txt",
        include_bytes!("../testdata/corpus/pr17_t1_latin1.txt"),
    ),
    (
        "pr22_t2_subcom.csv",
        include_bytes!("../testdata/corpus/pr22_t2_subcom.csv"),
    ),
    (
        "paris_long.csv",
        include_bytes!("../testdata/corpus/paris_long.csv"),
    ),
    (
        "legi2024.csv",
        include_bytes!("../testdata/corpus/legi2024.csv"),
    ),
    ("ban.csv", include_bytes!("../testdata/corpus/ban.csv")),
    (
        "ban.csv.gz",
        include_bytes!("../testdata/corpus/ban.csv.gz"),
    ),
    (
        "census.csv",
        include_bytes!("../testdata/corpus/census.csv"),
    ),
    (
        "filosofi.csv",
        include_bytes!("../testdata/corpus/filosofi.csv"),
    ),
    (
        "paris_bureaux.geojson",
        include_bytes!("../testdata/corpus/paris_bureaux.geojson"),
    ),
    (
        "nuances.csv",
        include_bytes!("../testdata/corpus/nuances.csv"),
    ),
];

/// Runs every parser over the bytes, draining the iterators.
fn every_parser(bytes: &[u8]) {
    let election = ElectionId::parse("2017_pres_t1").ok();
    for encoding in [Encoding::Auto, Encoding::Utf8, Encoding::Latin1] {
        let o = ResultsOptions {
            source: "fuzz".into(),
            election: election.clone(),
            encoding,
            policy: Policy::Warn,
            mapping: None,
        };
        if let Ok(r) = ResultsReader::new(bytes, o) {
            for x in r.take(10_000) {
                let _ = x;
            }
        }
    }
    let stop = ResultsOptions {
        source: "PR17_T1.txt".into(),
        policy: Policy::Stop,
        mapping: Some(LongMapping::default()),
        ..Default::default()
    };
    if let Ok(r) = ResultsReader::new(bytes, stop) {
        r.take(10_000).for_each(drop);
    }
    if let Ok(r) = BanReader::new(bytes, AddressOptions::default()) {
        r.take(10_000).for_each(drop);
    }
    if let Ok(r) = ReuReader::new(bytes, AddressOptions::default()) {
        r.take(10_000).for_each(drop);
    }
    if let Ok(r) = CensusReader::new(bytes, CensusOptions::default()) {
        r.take(10_000).for_each(drop);
    }
    if let Ok(r) = HistoryReader::new(bytes, bytes, HistoryOptions::default()) {
        r.take(10_000).for_each(drop);
    }
    for kind in [ContourKind::Bureau, ContourKind::Iris, ContourKind::Commune] {
        let _ = read_contours(
            bytes,
            ContoursOptions {
                kind,
                ..Default::default()
            },
        );
    }
    let _ = read_contours(
        bytes,
        ContoursOptions {
            mapping: Some(ContourMapping::paris_2017()),
            ..Default::default()
        },
    );
    let _ = NuanceTable::from_csv(bytes, "fuzz");
    let _ = LongMapping::from_json(bytes, "fuzz");
    let _ = read_communes_json(bytes, "fuzz");
    let _ = read_communes_csv(bytes, "fuzz");
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop_oneof![
        Just(b';'),
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(0xE9u8),
        Just(0xC3u8),
        Just(b'{'),
        Just(b']'),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), special.clone()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), special).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(seed: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in muts {
        if b.is_empty() {
            break;
        }
        let at = |i: usize, len: usize| i % len.max(1);
        match *m {
            Mutation::Flip(i, v) => {
                let k = at(i, b.len());
                b[k] = v;
            }
            Mutation::Insert(i, v) => {
                let k = at(i, b.len() + 1);
                b.insert(k, v);
            }
            Mutation::Delete(i) => {
                let k = at(i, b.len());
                b.remove(k);
            }
            Mutation::Truncate(i) => {
                let k = at(i, b.len());
                b.truncate(k);
            }
            Mutation::Duplicate(i, n) => {
                let k = at(i, b.len());
                let end = (k + n).min(b.len());
                let chunk = b[k..end].to_vec();
                b.splice(k..k, chunk);
            }
        }
    }
    b
}

/// Found by the fuzz run: a multi-byte character inside a commune code made
/// `CommuneCode::parse` slice through it (fixed in terrain-model).
#[test]
fn regression_non_ascii_commune_code() {
    let text = "code_departement;code_commune;code_bureau;scrutin;inscrits;votants;blancs;exprimes;nom;voix\n75;0\u{c3}56;0110;presidentielle-1;858;747;6;738;A;738\n";
    let o = ResultsOptions {
        source: "paris_2017.csv".into(),
        ..Default::default()
    };
    let (rows, rep) = crate::results::read_all(text.as_bytes(), o).unwrap();
    assert!(rows.is_empty());
    assert_eq!(rep.skipped_unmapped, 1);
    let w = rep.warnings.kept[0].to_string();
    assert!(
        w.contains("paris_2017.csv:2") && w.contains("invalid commune code"),
        "{w}"
    );
    every_parser(text.as_bytes());
}

#[test]
fn the_corpus_itself_parses_without_panic() {
    for (_, bytes) in CORPUS {
        every_parser(bytes);
    }
}

/// Cases per property: 400 in `make test`, more with `TERRAIN_FUZZ_CASES=…` for a longer run.
fn cases() -> u32 {
    std::env::var("TERRAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// The string parsers: codes, election names.
fn every_string_parser(s: &str) {
    let _ = crate::results::guess_election(s);
    let _ = crate::codes::ministry_department(s);
    let (a, b) = s.split_at(
        s.char_indices()
            .nth(s.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    let _ = crate::codes::ministry_commune(a, b, s);
    let _ = crate::codes::ministry_commune(s, s, s);
}

proptest! {
    // Seeded: CI runs the same cases every time (change the seed to explore further).
    #![proptest_config(ProptestConfig { cases: cases(), rng_seed: proptest::test_runner::RngSeed::Fixed(0x7e44a1), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        every_parser(&bytes);
    }

    #[test]
    fn arbitrary_strings_never_panic_the_code_parsers(s in ".{0,24}", d in "[0-9AB]{0,4}", l in "[0-9]{0,5}") {
        every_string_parser(&s);
        let _ = crate::codes::ministry_commune(&d, &l, &s);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_gzip_reader(bytes in proptest::collection::vec(any::<u8>(), 0..300), gz in any::<bool>()) {
        let mut b = bytes;
        if gz {
            b.splice(0..0, [0x1f, 0x8b, 0x08, 0x00]);
        }
        if let Ok(mut r) = crate::gzip::maybe_gunzip(&b[..], crate::gzip::GzipLimits::default()) {
            let mut out = Vec::new();
            let _ = std::io::Read::read_to_end(&mut r, &mut out);
        }
    }

    #[test]
    fn mutated_real_files_never_panic(seed in 0..CORPUS.len(), muts in proptest::collection::vec(mutation(), 1..8)) {
        every_parser(&apply(CORPUS[seed].1, &muts));
    }
}
