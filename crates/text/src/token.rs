//! Tokenisation of normalised French text: words, elided clitics, numbers, redaction markers.
//!
//! Input is text from [`crate::normalize::normalize`] (ASCII apostrophes and hyphens).
//! Elisions are split (`l'État` → `l'` + `état`, `jusqu'à` → `jusqu'` + `à`) but lexicalised
//! forms stay whole (`aujourd'hui`, `quelqu'un`, `presqu'île`). Hyphenated compounds stay one
//! token (`porte-monnaie`, `peut-être`, `Saint-Jean-d'Angély`) while inverted subject pronouns
//! are split off (`pouvons-nous`, `a-t-il`). Bracketed editorial marks such as the
//! publisher's redactions `[Prénom Nom, Adresse]` become one [`TokenKind::Marker`] token that
//! analysis ignores. Offsets are byte offsets into the text given.

use serde::Serialize;

use crate::normalize::fold_case;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A word (possibly a hyphenated compound).
    Word,
    /// An elided clitic such as `l'`, `d'`, `qu'`, `jusqu'` (text keeps the apostrophe).
    Elided,
    /// A number, possibly glued to a unit or ordinal suffix (`2019`, `17,2`, `1er`, `80km`).
    Number,
    /// A bracketed editorial mark (`[Prénom Nom]`, `[sic]`, `[Signature]`): text is the
    /// content between the brackets; ignored by analysis.
    Marker,
    /// An e-mail address.
    Email,
    /// A web address.
    Url,
    /// Punctuation inside a sentence (`,`, `/`, `-`…): phrases do not cross it.
    Punct,
    /// A sentence or list-item boundary (`.`, `!`, `?`, `;`, `:`, brackets, quotes, a line
    /// break before a capital or after end punctuation, a blank line).
    Boundary,
}

/// One token of a normalised text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Kind of token.
    pub kind: TokenKind,
    /// Case-folded text (accents kept); for a marker, the content between the brackets.
    pub text: String,
    /// Byte offset of the first byte in the tokenised text.
    pub start: usize,
    /// Byte offset one past the last byte in the tokenised text.
    pub end: usize,
    /// The surface form starts with a capital letter.
    pub capitalized: bool,
    /// The surface form has at least two letters, all capitals.
    pub all_caps: bool,
    /// First word-like token after a boundary (or at the start).
    pub sentence_start: bool,
}

impl Token {
    /// Words, elided clitics and numbers: what carries the answer's content.
    #[must_use]
    pub fn is_lexical(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Word | TokenKind::Elided | TokenKind::Number
        )
    }
}

/// Clitics that elide before a vowel.
const ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

/// Forms with an apostrophe that are one word.
const WHOLE_WITH_APOSTROPHE: &[&str] = &[
    "aujourd'hui",
    "quelqu'un",
    "quelqu'une",
    "presqu'île",
    "presqu'îles",
    "prud'homme",
    "prud'hommes",
    "prud'homal",
    "prud'homale",
    "c'est-à-dire",
    "entr'ouvert",
];

/// Subject pronouns that follow a verb in questions (`pouvons-nous`, `a-t-il`).
const INVERTED_PRONOUNS: &[&str] = &[
    "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ce", "moi", "toi", "lui",
    "leur", "y", "en", "le", "la", "les",
];

/// Hyphenated forms whose last part looks like a pronoun but which are one word.
const HYPHENATED_WHOLE: &[&str] = &[
    "rendez-vous",
    "chez-nous",
    "chez-soi",
    "va-et-vient",
    "qu'en-dira-t-on",
    "sur-le-champ",
    "vis-à-vis",
    "m'as-tu-vu",
    "après-midi",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_boundary_punct(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '{' | '}'
    )
}

/// Tokenises normalised text.
#[must_use]
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut tokens: Vec<Token> = Vec::with_capacity(chars.len() / 5 + 1);
    let mut sentence_start = true;
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c == ' ' {
            i += 1;
            continue;
        }
        if c == '\n' {
            if newline_is_boundary(&chars, i) {
                push_boundary(&mut tokens, start, start + 1, "\n");
                sentence_start = true;
            }
            i += 1;
            continue;
        }
        // chunk-level patterns: e-mail addresses and web addresses
        if (i == 0 || chars[i - 1].1.is_whitespace() || is_boundary_punct(chars[i - 1].1))
            && let Some((kind, len)) = email_or_url(&chars[i..])
        {
            let end = byte_at(i + len);
            tokens.push(Token {
                kind,
                text: text[start..end].to_string(),
                start,
                end,
                capitalized: false,
                all_caps: false,
                sentence_start,
            });
            sentence_start = false;
            i += len;
            continue;
        }
        if c == '['
            && let Some(len) = marker_len(&chars[i..])
        {
            let end = byte_at(i + len);
            tokens.push(Token {
                kind: TokenKind::Marker,
                text: text[byte_at(i + 1)..byte_at(i + len - 1)]
                    .trim()
                    .to_string(),
                start,
                end,
                capitalized: false,
                all_caps: false,
                sentence_start,
            });
            i += len;
            continue;
        }
        if is_word_char(c) {
            let mut j = i + 1;
            while j < chars.len() {
                let cj = chars[j].1;
                let next_is_word = chars.get(j + 1).is_some_and(|&(_, n)| is_word_char(n));
                let prev_is_digit = chars[j - 1].1.is_ascii_digit();
                let next_is_digit = chars.get(j + 1).is_some_and(|&(_, n)| n.is_ascii_digit());
                if is_word_char(cj)
                    || (matches!(cj, '\'' | '-') && next_is_word)
                    || (matches!(cj, '.' | ',') && prev_is_digit && next_is_digit)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = byte_at(j);
            split_run(text, start, end, sentence_start, &mut tokens);
            sentence_start = false;
            i = j;
            continue;
        }
        let end = byte_at(i + 1);
        if is_boundary_punct(c) {
            // a full stop inside an abbreviation (`M.`, `Mme.`) is not a boundary when a
            // lower-case word follows; keep it simple: `.` before a lower-case letter is Punct
            let lower_follows = chars[i + 1..]
                .iter()
                .find(|(_, n)| !n.is_whitespace())
                .is_some_and(|(_, n)| n.is_lowercase());
            if c == '.' && lower_follows {
                push_punct(&mut tokens, start, end, c);
            } else {
                push_boundary(&mut tokens, start, end, &c.to_string());
                sentence_start = true;
            }
        } else {
            push_punct(&mut tokens, start, end, c);
        }
        i += 1;
    }
    tokens
}

fn push_boundary(tokens: &mut Vec<Token>, start: usize, end: usize, text: &str) {
    if tokens.last().is_some_and(|t| t.kind == TokenKind::Boundary) && text == "\n" {
        return;
    }
    tokens.push(Token {
        kind: TokenKind::Boundary,
        text: text.to_string(),
        start,
        end,
        capitalized: false,
        all_caps: false,
        sentence_start: false,
    });
}

fn push_punct(tokens: &mut Vec<Token>, start: usize, end: usize, c: char) {
    tokens.push(Token {
        kind: TokenKind::Punct,
        text: c.to_string(),
        start,
        end,
        capitalized: false,
        all_caps: false,
        sentence_start: false,
    });
}

/// A line break ends a sentence or list item when the next line starts with a capital,
/// a digit, a dash or is blank, or when the line ended with end punctuation. Otherwise the
/// line was wrapped in the middle of a sentence.
fn newline_is_boundary(chars: &[(usize, char)], i: usize) -> bool {
    let next = chars[i + 1..].iter().map(|&(_, c)| c).find(|c| *c != ' ');
    let prev = chars[..i].iter().rev().map(|&(_, c)| c).find(|c| *c != ' ');
    match next {
        None => true,
        Some(n) if n == '\n' || n.is_uppercase() || n.is_ascii_digit() || n == '-' => true,
        _ => prev.is_none_or(|p| matches!(p, '.' | '!' | '?' | ';' | ':' | '\n')),
    }
}

/// Length in chars of a bracketed mark starting at `chars[0] == '['` (at most 500 chars:
/// transcribers' notes such as `[En pièce jointe, un courrier du …]` run long).
fn marker_len(chars: &[(usize, char)]) -> Option<usize> {
    for (k, &(_, c)) in chars.iter().enumerate().skip(1).take(500) {
        match c {
            ']' => return (k > 1).then_some(k + 1),
            '[' => return None,
            _ => {}
        }
    }
    None
}

/// Recognises an e-mail address or a web address at the start of a whitespace chunk.
fn email_or_url(chars: &[(usize, char)]) -> Option<(TokenKind, usize)> {
    let chunk_len = chars
        .iter()
        .position(|&(_, c)| {
            c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')' | '[' | ']')
        })
        .unwrap_or(chars.len());
    // cheap test before building the chunk: an address has `@` or starts with h/w
    let first = chars.first().map_or(' ', |&(_, c)| c.to_ascii_lowercase());
    if first != 'h' && first != 'w' && !chars[..chunk_len].iter().any(|&(_, c)| c == '@') {
        return None;
    }
    let chunk: String = chars[..chunk_len].iter().map(|&(_, c)| c).collect();
    // trailing punctuation is not part of the address
    let trimmed = chunk.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'']);
    let len = trimmed.chars().count();
    let lower = trimmed.to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Some((TokenKind::Url, len));
    }
    if crate::privacy::is_email(trimmed) {
        return Some((TokenKind::Email, len));
    }
    None
}

/// Splits a run of word characters (with inner apostrophes, hyphens, decimal marks) into
/// tokens: elisions first, then inverted pronouns after hyphens.
fn split_run(text: &str, start: usize, end: usize, sentence_start: bool, out: &mut Vec<Token>) {
    let mut pos = start;
    let mut first = true;
    // elisions: `l'`, `qu'`, `jusqu'`… (only runs with an apostrophe need a look)
    if text[start..end].contains('\'') {
        loop {
            let rest = &text[pos..end];
            let Some(apos) = rest.find('\'') else { break };
            let prefix = fold_case(&rest[..apos]);
            if !ELISIONS.contains(&prefix.as_str()) || apos + 1 >= rest.len() {
                break;
            }
            if WHOLE_WITH_APOSTROPHE.contains(&fold_case(rest).as_str()) {
                break;
            }
            let clitic_end = pos + apos + 1;
            out.push(make_token(
                TokenKind::Elided,
                text,
                pos,
                clitic_end,
                sentence_start && first,
            ));
            first = false;
            pos = clitic_end;
        }
    }
    let rest = &text[pos..end];
    if rest.is_empty() {
        return;
    }
    let kind = if rest.starts_with(|c: char| c.is_ascii_digit()) {
        TokenKind::Number
    } else {
        TokenKind::Word
    };
    if kind == TokenKind::Word
        && rest.contains('-')
        && !HYPHENATED_WHOLE.contains(&fold_case(rest).as_str())
    {
        // strip trailing inverted pronouns: `pouvons-nous`, `a-t-il`, `dit-elle`
        let parts: Vec<&str> = rest.split('-').collect();
        let mut keep = parts.len();
        while keep > 1 && INVERTED_PRONOUNS.contains(&fold_case(parts[keep - 1]).as_str()) {
            keep -= 1;
        }
        if keep < parts.len() {
            let mut head_end = pos + parts[..keep].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
            let mut tail_start = head_end + 1;
            // euphonic `t` (`a-t-il`)
            if keep > 1 && fold_case(parts[keep - 1]) == "t" {
                head_end -= 2;
                tail_start = head_end + 3;
            }
            out.push(make_token(
                TokenKind::Word,
                text,
                pos,
                head_end,
                sentence_start && first,
            ));
            let mut p = tail_start;
            for part in &parts[keep..] {
                out.push(make_token(TokenKind::Word, text, p, p + part.len(), false));
                p += part.len() + 1;
            }
            return;
        }
    }
    out.push(make_token(kind, text, pos, end, sentence_start && first));
}

fn make_token(
    kind: TokenKind,
    text: &str,
    start: usize,
    end: usize,
    sentence_start: bool,
) -> Token {
    let surface = &text[start..end];
    let capitalized = surface.chars().next().is_some_and(char::is_uppercase);
    let (mut letters, mut upper) = (0usize, 0usize);
    let mut folded = String::with_capacity(surface.len());
    for c in surface.chars() {
        if c.is_alphabetic() {
            letters += 1;
            if c.is_uppercase() {
                upper += 1;
            }
        }
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(c.to_lowercase());
        }
    }
    let all_caps = letters >= 2 && upper == letters;
    Token {
        kind,
        text: folded,
        start,
        end,
        capitalized,
        all_caps,
        sentence_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<(TokenKind, String)> {
        tokenize(&normalize(text))
            .into_iter()
            .filter(|t| !matches!(t.kind, TokenKind::Punct | TokenKind::Boundary))
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn texts(text: &str) -> Vec<String> {
        words(text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn elisions_are_split() {
        assert_eq!(
            texts("L’État qu'il faut"),
            ["l'", "état", "qu'", "il", "faut"]
        );
        assert_eq!(
            texts("jusqu'à lorsqu'on puisqu'elle d'achat n'est s'il c'est j'ai m'a t'as"),
            [
                "jusqu'", "à", "lorsqu'", "on", "puisqu'", "elle", "d'", "achat", "n'", "est",
                "s'", "il", "c'", "est", "j'", "ai", "m'", "a", "t'", "as"
            ]
        );
        let kinds: Vec<TokenKind> = words("l'école").into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [TokenKind::Elided, TokenKind::Word]);
    }

    #[test]
    fn lexicalised_apostrophes_stay_whole() {
        assert_eq!(
            texts("aujourd'hui quelqu'un presqu'île"),
            ["aujourd'hui", "quelqu'un", "presqu'île"]
        );
    }

    #[test]
    fn hyphenated_compounds_and_inverted_pronouns() {
        assert_eq!(
            texts("porte-monnaie peut-être"),
            ["porte-monnaie", "peut-être"]
        );
        assert_eq!(texts("Saint-Jean-d'Angély"), ["saint-jean-d'angély"]);
        assert_eq!(texts("pouvons-nous"), ["pouvons", "nous"]);
        assert_eq!(texts("a-t-il dit-elle"), ["a", "il", "dit", "elle"]);
        assert_eq!(texts("rendez-vous"), ["rendez-vous"]);
    }

    #[test]
    fn numbers_and_units() {
        let w = words("17,2 % en 2019, le 1er, 80km/h");
        assert!(w.contains(&(TokenKind::Number, "17,2".into())));
        assert!(w.contains(&(TokenKind::Number, "2019".into())));
        assert!(w.contains(&(TokenKind::Number, "1er".into())));
        assert!(w.contains(&(TokenKind::Number, "80km".into())));
    }

    #[test]
    fn redaction_markers_are_single_tokens() {
        let toks = tokenize(&normalize(
            "[Prénom NOM, Adresse] Je demande [sic] la justice",
        ));
        assert_eq!(toks[0].kind, TokenKind::Marker);
        assert_eq!(toks[0].text, "Prénom NOM, Adresse");
        assert!(
            toks.iter()
                .any(|t| t.kind == TokenKind::Marker && t.text == "sic")
        );
        assert!(
            !toks
                .iter()
                .any(|t| t.text == "prénom" || t.text == "adresse")
        );
    }

    #[test]
    fn emails_and_urls() {
        let w = words("écrivez à jean.dupont@exemple.fr ou www.exemple.fr.");
        assert!(w.contains(&(TokenKind::Email, "jean.dupont@exemple.fr".into())));
        assert!(w.contains(&(TokenKind::Url, "www.exemple.fr".into())));
    }

    #[test]
    fn case_is_folded_but_accents_kept() {
        assert_eq!(
            texts("MARCHÉ Marche côte COTE"),
            ["marché", "marche", "côte", "cote"]
        );
        let t = tokenize("ÉTAT Macron");
        assert!(t[0].all_caps && t[0].capitalized);
        assert!(!t[1].all_caps && t[1].capitalized);
    }

    #[test]
    fn wrapped_lines_are_not_boundaries_but_items_are() {
        let toks = tokenize("que le vote blanc soit pris en\ncompte\nRéférendum pour tout");
        let boundaries: Vec<&Token> = toks
            .iter()
            .filter(|t| t.kind == TokenKind::Boundary)
            .collect();
        assert_eq!(boundaries.len(), 1);
        let r = toks
            .iter()
            .find(|t| t.text == "référendum")
            .map(|t| t.sentence_start);
        assert_eq!(r, Some(true));
        let c = toks
            .iter()
            .find(|t| t.text == "compte")
            .map(|t| t.sentence_start);
        assert_eq!(c, Some(false));
    }

    #[test]
    fn offsets_point_at_the_surface() {
        let text = normalize("Qu’il rétablisse l’ISF !");
        for t in tokenize(&text) {
            if t.kind != TokenKind::Marker {
                assert_eq!(fold_case(&text[t.start..t.end]), t.text);
            }
        }
    }

    proptest! {
        #[test]
        fn offsets_are_ordered_and_on_char_boundaries(raw in "\\PC{0,120}") {
            let text = normalize(&raw);
            let toks = tokenize(&text);
            let mut last = 0;
            for t in &toks {
                prop_assert!(t.start >= last && t.start < t.end && t.end <= text.len());
                prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
                last = t.end;
            }
        }

        #[test]
        fn every_letter_lands_in_a_token(raw in "[a-zA-Zé' ,.-]{0,80}") {
            let text = normalize(&raw);
            let toks = tokenize(&text);
            let covered: usize = toks.iter().filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Elided | TokenKind::Email | TokenKind::Url))
                .map(|t| text[t.start..t.end].chars().filter(|c| c.is_alphabetic()).count()).sum();
            let letters = text.chars().filter(|c| c.is_alphabetic()).count();
            // letters only drop out with an euphonic `-t-`
            prop_assert!(covered <= letters);
            prop_assert!(letters - covered <= 2 * text.matches("-t-").count() + text.matches("-T-").count() * 2);
        }
    }
}
