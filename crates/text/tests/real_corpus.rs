//! Tests on the real Grand Débat 2019 notebooks of Charente-Maritime (802 contributions),
//! read from the shared data folder beside the repository. In a clone without that folder
//! they say so and skip.

use std::path::PathBuf;

use terrain_text::lemma::Lemmatizer;
use terrain_text::normalize::normalize;
use terrain_text::privacy::{PiiKind, PrivacyOptions, mask};
use terrain_text::themes::{ThemeOptions, analyse};
use terrain_text::token::{TokenKind, tokenize};

fn corpus() -> Option<Vec<String>> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../../../shared/data/grand-debat-cahiers-citoyens-charente-maritime-2019/contributions.csv",
    ]
    .iter()
    .collect();
    if !path.exists() {
        eprintln!(
            "SKIPPED: {} is absent (shared data not beside this clone)",
            path.display()
        );
        return None;
    }
    let mut reader = csv::Reader::from_path(&path).expect("readable CSV");
    let headers = reader.headers().expect("header").clone();
    let column = headers
        .iter()
        .position(|h| h == "texte")
        .expect("texte column");
    let texts: Vec<String> = reader
        .records()
        .map(|r| r.expect("record").get(column).unwrap_or("").to_string())
        .collect();
    assert_eq!(texts.len(), 802, "the set holds 802 contributions");
    Some(texts)
}

/// Byte ranges of bracketed marks.
fn marks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    for (b, c) in text.char_indices() {
        match c {
            '[' => open = Some(b),
            ']' => {
                if let Some(s) = open.take() {
                    out.push((s, b + 1));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn redaction_marks_survive_masking_and_are_not_words() {
    let Some(texts) = corpus() else { return };
    let mut marks_seen = 0;
    for text in &texts {
        let masked = mask(text, &PrivacyOptions::default()).text;
        for (a, b) in marks(text) {
            assert!(masked.contains(&text[a..b]), "mark {:?} lost", &text[a..b]);
            marks_seen += 1;
        }
        let normalized = normalize(text);
        let ranges = marks(&normalized);
        for t in tokenize(&normalized) {
            if matches!(t.kind, TokenKind::Word | TokenKind::Elided) {
                assert!(
                    !ranges.iter().any(|&(a, b)| t.start >= a && t.end <= b),
                    "word {:?} inside a redaction mark",
                    t.text
                );
            }
        }
    }
    assert!(marks_seen > 900, "{marks_seen} marks");
}

#[test]
fn personal_data_left_in_the_notebooks_is_masked() {
    let Some(texts) = corpus() else { return };
    let all: String = texts.join("\n");
    let masked = mask(&all, &PrivacyOptions::default());
    let count = |kind: PiiKind| masked.spans.iter().filter(|s| s.kind == kind).count();
    // the publisher redacted most data, but e-mail addresses of town halls and collectives,
    // a mobile number and street addresses remain in the transcriptions
    for leftover in [
        "maire@fontenet.fr",
        "laparolecitoyennesaintaise@gmail.com",
        "07.55.63.65.34",
        "39 rue des Gâtines",
    ] {
        assert!(all.contains(leftover), "{leftover} is in the source");
        assert!(!masked.text.contains(leftover), "{leftover} was not masked");
    }
    assert!(
        count(PiiKind::Email) >= 10,
        "{} e-mails",
        count(PiiKind::Email)
    );
    assert!(count(PiiKind::Phone) >= 1);
    assert!(count(PiiKind::Address) >= 3);
    assert!(count(PiiKind::Name) >= 20, "{} names", count(PiiKind::Name));
}

#[test]
fn normalisation_and_lemmas_on_real_text() {
    let Some(texts) = corpus() else { return };
    let lem = Lemmatizer::french().expect("tables");
    let mut words = 0usize;
    let mut changed = 0usize;
    for text in &texts {
        let n = normalize(text);
        assert_eq!(normalize(&n), n, "normalisation is idempotent");
        assert!(!n.contains('’') && !n.contains('\u{f02a}'));
        let tokens = tokenize(&n);
        let lemmas = lem.lemmatize(&tokens);
        for (t, l) in tokens.iter().zip(&lemmas) {
            if t.kind == TokenKind::Word {
                words += 1;
                changed += usize::from(*l != t.text);
            }
        }
    }
    assert!(words > 150_000, "{words} words");
    // lemmatisation changes a large share of the words (inflections, articles, auxiliaries)
    assert!(changed * 4 > words, "{changed} of {words} changed");
}

#[test]
fn themes_of_the_first_notebooks() {
    let Some(texts) = corpus() else { return };
    let texts = &texts[..200];
    let options = ThemeOptions {
        k: Some(6),
        mask_examples: false,
        ..ThemeOptions::default()
    };
    let a = analyse(texts, None, None, &options).expect("analysis");
    assert_eq!(a.themes.len(), 6);
    assert!(
        a.boilerplate
            .iter()
            .any(|(line, _)| line.starts_with("cahiers de doléances")),
        "{:?}",
        a.boilerplate
    );
    let total: f64 = a.themes.iter().map(|t| t.share.estimate).sum();
    assert!((total - 1.0).abs() < 1e-9);
    for t in &a.themes {
        assert!(t.mention_share.estimate >= t.share.estimate - 1e-12);
        for e in &t.examples {
            assert_eq!(
                e.text,
                texts[e.answer][e.start..e.end],
                "verbatims are the respondents' words"
            );
        }
    }
    // no theme is made of the page footer
    assert!(
        !a.themes
            .iter()
            .any(|t| t.terms.iter().any(|x| x.label.contains("édition")))
    );
}
