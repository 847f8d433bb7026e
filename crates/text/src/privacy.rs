//! Detection and masking of personal data in answers before anyone but an analyst reads them.
//!
//! Four kinds are masked: names (`[nom]`), e-mail addresses (`[email]`), French phone
//! numbers (`[téléphone]`) and street addresses (`[adresse]`). Names are found
//! 1. after a self-introduction or a signature (`je m'appelle`, `mon nom est`, `signé`),
//! 2. after a title (`M.`, `Mme`, `Monsieur`, `Docteur`…) unless an office follows
//!    (`Monsieur le Maire`, `Madame la Ministre`),
//! 3. as a first name followed by a surname-like word (`Jean Dupont`, `Marie DURAND`,
//!    `DURAND Marie`). First names are the 4,563 given more than 500 times in France between
//!    1900 and 2018 (INSEE's *Fichier des prénoms*, via the MIT package `prenoms`; see
//!    `data/PROVENANCE.md`). A surname-like word is in capitals, or capitalised and not a
//!    common French word.
//!
//! A surname alone, without title or first name, is not found: that is the known limit.
//! The publisher's redaction marks (`[Prénom Nom, Adresse]`) are left as they are.
//! Titles are kept (`M. [nom]`): they say nothing about who the person is.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::lemma::Lemmatizer;

/// What kind of personal data a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// A person's name.
    Name,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A street address.
    Address,
}

impl PiiKind {
    /// The mask shown in place of the data.
    #[must_use]
    pub fn mask(self) -> &'static str {
        match self {
            Self::Name => "[nom]",
            Self::Email => "[email]",
            Self::Phone => "[téléphone]",
            Self::Address => "[adresse]",
        }
    }
}

/// A span of personal data (byte offsets into the text given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PiiSpan {
    /// What it is.
    pub kind: PiiKind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A masked text and what was masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Masked {
    /// The text with every span replaced by its mask.
    pub text: String,
    /// The spans, in order, as offsets into the *original* text.
    pub spans: Vec<PiiSpan>,
}

/// Options of the masker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivacyOptions {
    /// Names never masked (public figures the analysis must keep), compared without case.
    pub keep_names: Vec<String>,
}

const FIRST_NAMES: &str = include_str!("../data/prenoms.txt");

/// First names that are far more often places than people in answers.
const NOT_FIRST_NAMES: &[&str] = &[
    "France", "Lorraine", "Loire", "Charente", "Savoie", "Provence", "Bretagne",
];

static FIRST: OnceLock<HashSet<String>> = OnceLock::new();

fn first_names() -> &'static HashSet<String> {
    FIRST.get_or_init(|| {
        FIRST_NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !NOT_FIRST_NAMES.contains(l))
            .map(|l| l.to_lowercase())
            .collect()
    })
}

/// True when `s` is an e-mail address (`local@domain.tld`).
#[must_use]
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || "._%+-'".contains(c));
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || ".-".contains(c));
    let tld_ok = tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic);
    local_ok && host_ok && tld_ok
}

const TITLES: &[&str] = &[
    "m",
    "mr",
    "mme",
    "mlle",
    "mm",
    "mmes",
    "monsieur",
    "madame",
    "mademoiselle",
    "dr",
    "docteur",
    "me",
    "maître",
    "pr",
    "professeur",
];

/// Offices: after a title they mean the office, not a name.
const OFFICES: &[&str] = &[
    "le",
    "la",
    "les",
    "l",
    "maire",
    "président",
    "présidente",
    "ministre",
    "préfet",
    "préfète",
    "député",
    "députée",
    "sénateur",
    "sénatrice",
    "directeur",
    "directrice",
    "conseiller",
    "conseillère",
    "adjoint",
    "adjointe",
    "premier",
    "première",
    "secrétaire",
    "commissaire",
    "juge",
    "procureur",
    "curé",
    "abbé",
];

const INTRODUCTIONS: &[&[&str]] = &[
    &["je", "m", "appelle"],
    &["je", "me", "nomme"],
    &["mon", "nom", "est"],
    &["mon", "nom", "c", "est"],
    &["je", "soussigné"],
    &["je", "soussignée"],
    &["signé"],
    &["signée"],
    &["signature"],
];

const STREET_TYPES: &[&str] = &[
    "rue",
    "r",
    "avenue",
    "av",
    "ave",
    "boulevard",
    "bd",
    "bld",
    "blvd",
    "chemin",
    "ch",
    "impasse",
    "imp",
    "allée",
    "allées",
    "all",
    "place",
    "pl",
    "route",
    "rte",
    "quai",
    "cours",
    "square",
    "sq",
    "passage",
    "lotissement",
    "lot",
    "résidence",
    "rés",
    "hameau",
    "voie",
    "sentier",
    "cité",
    "faubourg",
    "fg",
    "rond-point",
    "esplanade",
    "parvis",
    "venelle",
    "ruelle",
    "montée",
    "promenade",
    "chaussée",
    "villa",
    "clos",
    "domaine",
    "lieu-dit",
    "lieudit",
    "zone",
];

const PARTICLES: &[&str] = &[
    "de", "du", "des", "d", "le", "la", "van", "von", "der", "ben", "el", "di", "da",
];

/// A word of the original text.
#[derive(Debug, Clone)]
struct Word {
    start: usize,
    end: usize,
    /// folded, apostrophes as `'`
    lower: String,
    capitalized: bool,
    all_caps: bool,
    numeric: bool,
    /// the separator before this word contains a line break or sentence punctuation
    hard_break_before: bool,
    /// the separator before this word contains a comma
    comma_before: bool,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut hard = true;
    let mut comma = false;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_alphanumeric() {
            let start = chars[i].0;
            let mut j = i + 1;
            while j < chars.len() {
                let cj = chars[j].1;
                let next_alnum = chars.get(j + 1).is_some_and(|&(_, n)| n.is_alphanumeric());
                if cj.is_alphanumeric() || (matches!(cj, '-' | '\'' | '\u{2019}') && next_alnum) {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            let surface = &text[start..end];
            let letters: Vec<char> = surface.chars().filter(|c| c.is_alphabetic()).collect();
            out.push(Word {
                start,
                end,
                lower: surface.to_lowercase().replace('\u{2019}', "'"),
                capitalized: surface.chars().next().is_some_and(char::is_uppercase),
                all_caps: letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()),
                numeric: surface.starts_with(|c: char| c.is_ascii_digit()),
                hard_break_before: hard,
                comma_before: comma,
            });
            hard = false;
            comma = false;
            i = j;
        } else {
            if matches!(
                c,
                '\n' | '!' | '?' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '«' | '»'
            ) {
                hard = true;
            }
            if c == '.' {
                // a full stop after an abbreviated title does not end the sentence
                let after_title = out
                    .last()
                    .is_some_and(|w: &Word| TITLES.contains(&w.lower.as_str()));
                if !after_title {
                    hard = true;
                }
            }
            if c == ',' {
                comma = true;
            }
            i += 1;
        }
    }
    out
}

/// Byte ranges of bracketed marks (`[Prénom Nom]`), left untouched.
fn bracket_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (b, c) in text.char_indices() {
        match c {
            '[' => open = Some(b),
            ']' => {
                if let Some(s) = open.take() {
                    out.push((s, b + 1));
                }
            }
            '\n' if open.is_some_and(|s| b - s > 1000) => open = None,
            _ => {}
        }
    }
    out
}

fn surname_like(w: &Word, lexicon: Option<&Lemmatizer>) -> bool {
    if w.numeric || !(w.capitalized || w.all_caps) {
        return false;
    }
    if OFFICES.contains(&w.lower.as_str()) || TITLES.contains(&w.lower.as_str()) {
        return false;
    }
    if w.all_caps {
        return w.lower.chars().count() >= 2;
    }
    match lexicon {
        Some(lex) => !lex.is_common_word(&w.lower) || first_names().contains(&w.lower),
        None => true,
    }
}

/// Extends a name from word `i`: up to `max` capitalised words, particles allowed inside.
fn name_extent(ws: &[Word], i: usize, max: usize) -> Option<usize> {
    let mut last = None;
    let mut k = i;
    let mut taken = 0;
    while k < ws.len() && taken < max {
        if k > i && (ws[k].hard_break_before || ws[k].comma_before) {
            break;
        }
        let w = &ws[k];
        if PARTICLES.contains(&w.lower.as_str()) && !w.all_caps {
            // a particle only counts when a capitalised word follows
            if ws
                .get(k + 1)
                .is_some_and(|n| (n.capitalized || n.all_caps) && !n.hard_break_before)
            {
                k += 1;
                continue;
            }
            break;
        }
        if (w.capitalized || w.all_caps) && !w.numeric && !OFFICES.contains(&w.lower.as_str()) {
            last = Some(k);
            taken += 1;
            k += 1;
        } else {
            break;
        }
    }
    last
}

/// Finds personal data in a text.
#[must_use]
pub fn detect(text: &str, options: &PrivacyOptions) -> Vec<PiiSpan> {
    let lexicon = Lemmatizer::french().ok();
    let protected = bracket_ranges(text);
    let inside_marks = |s: usize, e: usize| protected.iter().any(|&(a, b)| s < b && e > a);
    let keep: HashSet<String> = options
        .keep_names
        .iter()
        .map(|n| n.to_lowercase())
        .collect();
    let mut spans: Vec<PiiSpan> = Vec::new();

    // e-mail addresses: whitespace chunks
    let mut offset = 0;
    for chunk in text.split_inclusive(char::is_whitespace) {
        let trimmed = chunk.trim_end().trim_start_matches(['(', '<', '"', '\'']);
        let lead = chunk.len() - chunk.trim_start_matches(['(', '<', '"', '\'']).len();
        let trimmed = trimmed.trim_end_matches(['.', ',', ';', ':', ')', '>', '"', '!', '?']);
        if is_email(trimmed) {
            spans.push(PiiSpan {
                kind: PiiKind::Email,
                start: offset + lead,
                end: offset + lead + trimmed.len(),
            });
        }
        offset += chunk.len();
    }

    spans.extend(phones(text));

    let ws = words(text);
    // street addresses: number [bis|ter] [,] street-type words… [, postcode town]
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        let mut j = i;
        let starts_with_number =
            w.numeric && w.lower.chars().filter(char::is_ascii_digit).count() <= 4;
        if starts_with_number {
            j += 1;
            if ws
                .get(j)
                .is_some_and(|n| matches!(n.lower.as_str(), "bis" | "ter" | "b" | "t"))
            {
                j += 1;
            }
        }
        let is_street = ws
            .get(j)
            .is_some_and(|n| STREET_TYPES.contains(&n.lower.as_str()));
        let lieu_dit = ws
            .get(i)
            .is_some_and(|n| matches!(n.lower.as_str(), "lieu-dit" | "lieudit"));
        if (starts_with_number && is_street) || lieu_dit {
            let mut end_word = j;
            let mut k = j + 1;
            while k < ws.len() && k <= j + 8 && !ws[k].hard_break_before && !ws[k].comma_before {
                end_word = k;
                k += 1;
            }
            // postcode and town
            if let Some(pc) = ws.get(end_word + 1)
                && pc.numeric
                && pc.lower.len() == 5
                && pc.lower.chars().all(|c| c.is_ascii_digit())
            {
                end_word += 1;
                let mut t = end_word + 1;
                while t < ws.len()
                    && t <= end_word + 4
                    && !ws[t].hard_break_before
                    && !ws[t].comma_before
                {
                    if ws[t].capitalized
                        || ws[t].all_caps
                        || PARTICLES.contains(&ws[t].lower.as_str())
                    {
                        end_word = t;
                        t += 1;
                    } else {
                        break;
                    }
                }
            }
            spans.push(PiiSpan {
                kind: PiiKind::Address,
                start: ws[i].start,
                end: ws[end_word].end,
            });
            i = end_word + 1;
            continue;
        }
        i += 1;
    }

    // names
    let push_name = |spans: &mut Vec<PiiSpan>, from: usize, to: usize| {
        let full: Vec<&str> = ws[from..=to].iter().map(|w| w.lower.as_str()).collect();
        let joined = full.join(" ");
        if keep.contains(&joined)
            || full
                .iter()
                .any(|p| keep.contains(*p) && !first_names().contains(*p))
        {
            return;
        }
        spans.push(PiiSpan {
            kind: PiiKind::Name,
            start: ws[from].start,
            end: ws[to].end,
        });
    };
    let mut i = 0;
    while i < ws.len() {
        // 1. self-introductions and signatures
        let mut advanced = false;
        for intro in INTRODUCTIONS {
            let n = intro.len();
            if i + n <= ws.len()
                && ws[i..i + n]
                    .iter()
                    .zip(intro.iter())
                    .all(|(w, p)| word_is(w, p))
            {
                let first = i + n;
                if let Some(last) = name_extent(&ws, first, 3)
                    && (!ws[first].hard_break_before || n == 1)
                {
                    push_name(&mut spans, first, last);
                    i = last + 1;
                    advanced = true;
                    break;
                }
            }
        }
        if advanced {
            continue;
        }
        let w = &ws[i];
        // 2. titles
        // short titles (`M`, `Me`, `Mr`) only count capitalised: `me` is also a pronoun
        let is_title = TITLES.contains(&w.lower.as_str()) && (w.capitalized || w.lower.len() > 3);
        if is_title
            && let Some(next) = ws.get(i + 1)
            && !next.hard_break_before
            && surname_like(next, None)
            && let Some(last) = name_extent(&ws, i + 1, 3)
        {
            push_name(&mut spans, i + 1, last);
            i = last + 1;
            continue;
        }
        // 3. first name + surname, or SURNAME + first name
        let is_first = (w.capitalized || w.all_caps) && first_names().contains(&w.lower);
        if is_first && let Some(next) = ws.get(i + 1) {
            // a first name that is also a common word (Pierre, Rose, Claire) needs a
            // surname-like word after it; any other first name, any capitalised word
            let common_first = lexicon.is_some_and(|l| l.is_common_word(&w.lower));
            let next_ok = if common_first {
                surname_like(next, lexicon)
            } else {
                surname_like(next, None)
            };
            if !next.hard_break_before && !next.comma_before && next_ok {
                let last = name_extent(&ws, i + 1, 2).unwrap_or(i + 1);
                push_name(&mut spans, i, last);
                i = last + 1;
                continue;
            }
        }
        if w.all_caps
            && !first_names().contains(&w.lower)
            && !lexicon.is_some_and(|l| l.is_function_word(&w.lower))
            && let Some(next) = ws.get(i + 1)
            && !next.hard_break_before
            && !next.comma_before
            && next.capitalized
            && !next.all_caps
            && first_names().contains(&next.lower)
        {
            push_name(&mut spans, i, i + 1);
            i += 2;
            continue;
        }
        i += 1;
    }

    spans.retain(|s| !inside_marks(s.start, s.end));
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut merged: Vec<PiiSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start < last.end => {
                if s.end > last.end {
                    last.end = s.end;
                }
            }
            _ => merged.push(s),
        }
    }
    merged
}

fn word_is(w: &Word, pattern: &str) -> bool {
    w.lower == pattern || w.lower.trim_end_matches('\'') == pattern
}

/// French phone numbers: `0X XX XX XX XX` with spaces, dots or dashes or none, `+33 X…`,
/// `+33 (0)X…`, `0033 X…`.
fn phones(text: &str) -> Vec<PiiSpan> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let prev_alnum = i > 0 && (chars[i - 1].1.is_alphanumeric() || chars[i - 1].1 == '+');
        if prev_alnum || !(c.is_ascii_digit() || c == '+') {
            i += 1;
            continue;
        }
        // collect digits with single separators between them
        let mut digits = String::new();
        let mut j = i;
        let plus = c == '+';
        if plus {
            j += 1;
        }
        let mut end = start;
        let mut last_digit_j = j;
        while j < chars.len() {
            let cj = chars[j].1;
            if cj.is_ascii_digit() {
                digits.push(cj);
                end = chars[j].0 + 1;
                last_digit_j = j;
                j += 1;
                if digits.len() >= 14 {
                    break;
                }
            } else if matches!(cj, ' ' | '.' | '-' | '\u{00A0}' | '\u{202F}')
                && chars
                    .get(j + 1)
                    .is_some_and(|&(_, n)| n.is_ascii_digit() || n == '(')
                && !digits.is_empty()
            {
                j += 1;
            } else if cj == '('
                && chars.get(j + 1).is_some_and(|&(_, n)| n == '0')
                && chars.get(j + 2).is_some_and(|&(_, n)| n == ')')
            {
                j += 3;
            } else {
                break;
            }
        }
        let followed_by_digit = chars
            .get(last_digit_j + 1)
            .is_some_and(|&(_, n)| n.is_ascii_digit());
        let national = |d: &str| d.len() == 9 && d.starts_with(|c: char| ('1'..='9').contains(&c));
        let ok = if plus {
            digits
                .strip_prefix("33")
                .is_some_and(|rest| national(rest) || rest.strip_prefix('0').is_some_and(national))
        } else if let Some(rest) = digits.strip_prefix("0033") {
            national(rest)
        } else {
            digits.len() == 10 && digits.starts_with('0') && national(&digits[1..])
        };
        if ok && !followed_by_digit {
            out.push(PiiSpan {
                kind: PiiKind::Phone,
                start,
                end,
            });
            i = last_digit_j + 1;
        } else {
            i = last_digit_j.max(i) + 1;
        }
    }
    out
}

/// Masks personal data in a text.
#[must_use]
pub fn mask(text: &str, options: &PrivacyOptions) -> Masked {
    let spans = detect(text, options);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in &spans {
        out.push_str(&text[at..s.start]);
        out.push_str(s.kind.mask());
        at = s.end;
    }
    out.push_str(&text[at..]);
    Masked { text: out, spans }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> String {
        mask(text, &PrivacyOptions::default()).text
    }

    #[test]
    fn emails() {
        assert_eq!(
            m("Écrivez-moi : jean.dupont@orange.fr."),
            "Écrivez-moi : [email]."
        );
        assert_eq!(
            m("(contact: a_b-c@mairie-rochefort.fr)"),
            "(contact: [email])"
        );
        assert!(
            is_email("x@y.fr") && !is_email("x@y") && !is_email("@y.fr") && !is_email("a@b@c.fr")
        );
    }

    #[test]
    fn french_phone_numbers() {
        for (input, expected) in [
            ("Tél : 06 12 34 56 78", "Tél : [téléphone]"),
            (
                "appelez le 05.46.99.12.34 svp",
                "appelez le [téléphone] svp",
            ),
            ("au 0546991234.", "au [téléphone]."),
            ("mobile +33 6 12 34 56 78", "mobile [téléphone]"),
            ("ou +33 (0)6 12 34 56 78", "ou [téléphone]"),
            ("ou 0033 5 46 99 12 34", "ou [téléphone]"),
            ("06-12-34-56-78", "[téléphone]"),
        ] {
            assert_eq!(m(input), expected, "{input}");
        }
        // numbers that are not phones
        for input in [
            "en 2019 et 2020",
            "17,2 % de CSG",
            "1 200 000 euros",
            "01 02 03",
            "123 45 67 89 10 11",
        ] {
            assert_eq!(m(input), input);
        }
    }

    #[test]
    fn street_addresses() {
        assert_eq!(
            m("J'habite 12 rue des Lilas, 17300 Rochefort."),
            "J'habite [adresse]."
        );
        assert_eq!(
            m("au 3 bis avenue du Général de Gaulle\nmerci"),
            "au [adresse]\nmerci"
        );
        assert_eq!(
            m("domicile : 45, chemin de la Prée"),
            "domicile : [adresse]"
        );
        // a street without number is a place, not an address
        assert_eq!(
            m("la rue de la République est sale"),
            "la rue de la République est sale"
        );
    }

    #[test]
    fn names_after_introductions_and_titles() {
        assert_eq!(
            m("Bonjour, je m’appelle Jeanne Martin et je suis retraitée"),
            "Bonjour, je m’appelle [nom] et je suis retraitée"
        );
        assert_eq!(m("Signé : Paul Durand"), "Signé : [nom]");
        assert_eq!(
            m("J'ai écrit à M. Lefebvre hier"),
            "J'ai écrit à M. [nom] hier"
        );
        assert_eq!(
            m("Mme Dubois-Martin nous a reçus"),
            "Mme [nom] nous a reçus"
        );
        assert_eq!(
            m("Monsieur le Maire, Madame la Ministre"),
            "Monsieur le Maire, Madame la Ministre"
        );
        assert_eq!(
            m("Monsieur le Président de la République"),
            "Monsieur le Président de la République"
        );
    }

    #[test]
    fn first_name_and_surname() {
        assert_eq!(
            m("avec Nathalie Bouchard et Jean-Pierre DURAND"),
            "avec [nom] et [nom]"
        );
        assert_eq!(m("MOREAU Michel, retraité"), "[nom], retraité");
        // first names that are ordinary words, and ordinary capitalised words, are left
        assert_eq!(m("La France Insoumise"), "La France Insoumise");
        assert_eq!(
            m("Rose est une couleur. Pierre qui roule"),
            "Rose est une couleur. Pierre qui roule"
        );
        assert_eq!(m("Marine Nationale"), "Marine Nationale");
    }

    #[test]
    fn public_figures_can_be_kept() {
        let opts = PrivacyOptions {
            keep_names: vec!["Macron".into()],
        };
        assert_eq!(
            mask("Emmanuel Macron démission", &opts).text,
            "Emmanuel Macron démission"
        );
        assert_eq!(m("Emmanuel Macron démission"), "[nom] démission");
    }

    #[test]
    fn redaction_marks_are_left_alone() {
        let text = "[Prénom Nom, Adresse] Je demande le RIC. [Nom Prénom, Téléphone]";
        assert_eq!(m(text), text);
        let text = "[Signature] [P. NOM] [Prénoms Noms]";
        assert_eq!(m(text), text);
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "Marie Curie, 06 11 22 33 44, marie@exemple.fr";
        let masked = mask(text, &PrivacyOptions::default());
        let kinds: Vec<PiiKind> = masked.spans.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [PiiKind::Name, PiiKind::Phone, PiiKind::Email]);
        assert_eq!(
            &text[masked.spans[1].start..masked.spans[1].end],
            "06 11 22 33 44"
        );
        assert_eq!(masked.text, "[nom], [téléphone], [email]");
    }

    proptest::proptest! {
        #[test]
        fn masking_never_panics_and_spans_are_ordered(text in "\\PC{0,200}") {
            let masked = mask(&text, &PrivacyOptions::default());
            let mut last = 0;
            for s in &masked.spans {
                proptest::prop_assert!(s.start >= last && s.start < s.end && s.end <= text.len());
                proptest::prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
                last = s.end;
            }
        }
    }
}
