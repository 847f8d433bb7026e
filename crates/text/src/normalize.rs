//! Text repair and normalisation for French open answers, keeping what carries meaning.
//!
//! Real exports mix encodings (a cp1252 byte such as `\x92` inside an otherwise UTF-8 file),
//! typographic punctuation (`’`, `«`, `−`), symbol-font bullets cut off from their text by PDF
//! extraction (U+F0xx private-use characters), non-breaking spaces and ligatures. This module
//! repairs all of that into NFC text with ASCII apostrophes and hyphens, **without** removing
//! accents: `marché` stays `marché`, `côte` stays `côte`.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Decodes bytes that should be UTF-8 but may hold stray cp1252 (Windows-1252) bytes.
///
/// Valid UTF-8 sequences are kept; each byte that is not part of a valid sequence is read as
/// cp1252 (so `\x92` becomes `’`, `\xe9` becomes `é`). Never fails: undefined cp1252 bytes
/// (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD.
#[must_use]
pub fn decode_lossy_cp1252(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                break;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                // `valid` is valid UTF-8 by construction of `valid_up_to`.
                out.push_str(&String::from_utf8_lossy(valid));
                let bad = error.error_len().unwrap_or(after.len()).max(1);
                for &byte in &after[..bad.min(after.len())] {
                    out.push(cp1252_char(byte));
                }
                rest = &after[bad.min(after.len())..];
            }
        }
    }
    Cow::Owned(out)
}

/// The character a single cp1252 byte stands for.
fn cp1252_char(byte: u8) -> char {
    let bytes = [byte];
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    text.chars().next().unwrap_or('\u{FFFD}')
}

/// Maps a C1 control character (U+0080–U+009F, what a cp1252 byte becomes when a file is
/// wrongly read as ISO-8859-1) to the cp1252 character it stood for.
fn repair_c1(c: char) -> char {
    match u32::from(c) {
        code @ 0x80..=0x9F => u8::try_from(code).map_or(c, cp1252_char),
        _ => c,
    }
}

/// What a character becomes in normalised text.
enum Mapped {
    Keep(char),
    Str(&'static str),
    /// A list bullet or a dash used as one: becomes a line break, so that a bullet
    /// left alone on its line or glued to a heading separates items instead of joining them.
    Bullet,
    Drop,
}

fn map_char(c: char) -> Mapped {
    match c {
        // apostrophes and primes
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{00B4}' | '\u{2032}' | '\u{0060}'
        | '\u{02B9}' => Mapped::Keep('\''),
        // double quotes
        '\u{00AB}' | '\u{00BB}' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => {
            Mapped::Keep('"')
        }
        // hyphens inside words
        '\u{2010}' | '\u{2011}' => Mapped::Keep('-'),
        // dashes: a dash between spaces is punctuation, see `normalize`
        '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{23AF}'
        | '\u{2500}' => Mapped::Keep('\u{2013}'),
        // bullets, arrows, check marks, symbol-font private-use glyphs
        '\u{2022}' | '\u{25E6}' | '\u{25AA}' | '\u{25CF}' | '\u{25A0}' | '\u{25BA}'
        | '\u{27A2}' | '\u{2192}' | '\u{21D2}' | '\u{2713}' | '\u{2714}' | '\u{2023}'
        | '\u{2043}' | '\u{00B7}' => Mapped::Bullet,
        '\u{E000}'..='\u{F8FF}' => Mapped::Bullet,
        // spaces
        '\u{00A0}' | '\u{202F}' | '\u{2009}' | '\u{2007}' | '\u{2002}' | '\u{2003}'
        | '\u{3000}' => Mapped::Keep(' '),
        '\t' => Mapped::Keep(' '),
        '\r' => Mapped::Drop,
        '\u{000C}' | '\u{2028}' | '\u{2029}' | '\u{0085}' => Mapped::Keep('\n'),
        // invisible characters
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => Mapped::Drop,
        // Latin ligatures that are typography, not spelling (œ and æ are French letters: kept)
        '\u{FB00}' => Mapped::Str("ff"),
        '\u{FB01}' => Mapped::Str("fi"),
        '\u{FB02}' => Mapped::Str("fl"),
        '\u{FB03}' => Mapped::Str("ffi"),
        '\u{FB04}' => Mapped::Str("ffl"),
        '\u{2026}' => Mapped::Str("..."),
        c if c.is_control() && c != '\n' => Mapped::Drop,
        c => Mapped::Keep(c),
    }
}

/// Normalises French text for analysis: cp1252 control characters repaired, Unicode NFC,
/// ASCII apostrophes (`’` → `'`), quotes and in-word hyphens, bullets turned into line
/// breaks, dashes used as list markers removed, spaces unified. Accents and case are kept
/// (case is folded per token by the tokeniser).
#[must_use]
pub fn normalize(text: &str) -> String {
    // fast path: printable ASCII needs nothing but the backtick
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'`' || b == b'\n')
    {
        return text.to_string();
    }
    let repaired: String = if unicode_normalization::is_nfc_quick(text.chars())
        == unicode_normalization::IsNormalized::Yes
        && !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c))
    {
        text.to_string()
    } else {
        text.chars().map(repair_c1).nfc().collect()
    };
    let mut dropped = false;
    let mut out = String::with_capacity(repaired.len());
    let mut chars = repaired.chars().peekable();
    let mut prev: char = '\n';
    while let Some(c) = chars.next() {
        match map_char(c) {
            Mapped::Keep('\u{2013}') => {
                // A dash glued between two alphanumerics is a hyphen (or a minus sign);
                // otherwise it is a list marker or a parenthetical dash: a separator.
                let next = chars.peek().copied().unwrap_or(' ');
                if prev.is_alphanumeric() && next.is_alphanumeric() {
                    out.push('-');
                    prev = '-';
                } else if prev == '\n' || prev == ' ' && out.trim_end_matches(' ').ends_with('\n') {
                    // list marker at the start of a line: drop it
                } else {
                    out.push_str(" - ");
                    prev = ' ';
                }
            }
            Mapped::Keep(k) => {
                out.push(k);
                prev = k;
            }
            Mapped::Str(s) => {
                out.push_str(s);
                prev = s.chars().last().unwrap_or(prev);
            }
            Mapped::Bullet => {
                if prev != '\n' {
                    out.push('\n');
                    prev = '\n';
                }
            }
            Mapped::Drop => dropped = true,
        }
    }
    // Dropping an invisible character can bring a base letter and a combining mark
    // together: compose again so that the result is NFC and normalising twice is a no-op.
    if dropped { out.nfc().collect() } else { out }
}

/// Folds the case of a word while keeping its accents: `ÉTAT` → `état`, `Marché` → `marché`.
#[must_use]
pub fn fold_case(word: &str) -> String {
    word.to_lowercase()
}

/// Removes accents (used only to *match* unaccented capitals such as `ETAT` against the
/// lexicon, never to build features: `marche` and `marché` stay distinct).
#[must_use]
pub fn strip_accents(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    word.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cp1252_byte_inside_utf8_is_repaired() {
        let bytes = b"l\x92\xc3\xa9t\xc3\xa9 \x93chaud\x94";
        assert_eq!(decode_lossy_cp1252(bytes), "l’été “chaud”");
        let latin1 = b"march\xe9";
        assert_eq!(decode_lossy_cp1252(latin1), "marché");
    }

    #[test]
    fn valid_utf8_is_borrowed_unchanged() {
        let text = "Pouvoir d’achat, services publics";
        assert!(matches!(decode_lossy_cp1252(text.as_bytes()), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn c1_controls_become_the_cp1252_characters() {
        assert_eq!(normalize("l\u{0092}Etat"), "l'Etat");
        assert_eq!(normalize("\u{0093}oui\u{0094}"), "\"oui\"");
    }

    #[test]
    fn accents_survive_normalisation_and_folding() {
        assert_eq!(fold_case(&normalize("MARCHÉ")), "marché");
        assert_ne!(fold_case("marche"), fold_case("Marché"));
        assert_ne!(fold_case("côte"), fold_case("cote"));
        // decomposed input becomes composed (NFC)
        assert_eq!(normalize("marche\u{0301}"), "marché");
    }

    #[test]
    fn typographic_apostrophes_and_spaces() {
        assert_eq!(
            normalize("l’État\u{00A0}: qu‘il\u{202F}!"),
            "l'État : qu'il !"
        );
    }

    #[test]
    fn bullets_are_cut_into_lines() {
        let text = "Fiscalité\n−\n−\n\u{f02a} Baisser la TVA • Rétablir l'ISF";
        let n = normalize(text);
        assert!(!n.contains('−') && !n.contains('\u{f02a}') && !n.contains('•'));
        let lines: Vec<&str> = n.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert_eq!(lines, vec!["Fiscalité", "Baisser la TVA", "Rétablir l'ISF"]);
    }

    #[test]
    fn dashes_between_letters_are_hyphens() {
        assert_eq!(normalize("Saint\u{2011}Jean"), "Saint-Jean");
        assert_eq!(normalize("a\u{2212}b"), "a-b");
        assert_eq!(normalize("oui \u{2013} non"), "oui  -  non");
    }

    #[test]
    fn ligatures() {
        assert_eq!(normalize("ef\u{FB01}cace cœur"), "efficace cœur");
    }

    #[test]
    fn strip_accents_only_for_matching() {
        assert_eq!(strip_accents("Électricité côté"), "Electricite cote");
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_keeps_ascii(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = decode_lossy_cp1252(&bytes);
            let ascii_in = bytes.iter().filter(|b| b.is_ascii()).count();
            let ascii_out = text.chars().filter(char::is_ascii).count();
            prop_assert_eq!(ascii_in, ascii_out);
        }

        #[test]
        fn normalize_is_idempotent(text in "\\PC{0,80}") {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once.clone());
        }

        #[test]
        fn normalize_keeps_letters(word in "[a-zA-Zéèêàùçôûîœ]{1,20}") {
            prop_assert_eq!(normalize(&word), word);
        }
    }
}
