//! Cutting long answers into the items they list, so that themes are found per idea.
//!
//! A written contribution often lists many demands ("Fiscalité: rétablir l'ISF. Baisser la
//! TVA… Justice: …"). Modelled whole, such answers blur every theme together; modelled per
//! item, each demand finds its theme and the answer *mentions* several. Segments are byte
//! ranges of the original text, so an excerpt shown as a verbatim is the respondent's own
//! words, untouched.
//!
//! A segment ends after `.`, `!`, `?` or `;` followed by a space or line break, at a blank
//! line, at a line break followed by a capital, a digit or a list bullet, and before a
//! bullet. Segments with fewer than `min_words` words (a heading such as "Fiscalité") are
//! joined to the next one.

/// Characters that start a list item.
fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2013}'
            | '\u{2014}'
            | '\u{2212}'
            | '\u{2022}'
            | '\u{25E6}'
            | '\u{25AA}'
            | '\u{25CF}'
            | '\u{27A2}'
            | '\u{2192}'
            | '\u{2713}'
            | '\u{23AF}'
            | '*'
            | '\u{E000}'..='\u{F8FF}'
    )
}

/// Byte ranges of the segments of `text` (trimmed; empty segments dropped).
#[must_use]
pub fn segments(text: &str, min_words: usize) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut cuts: Vec<usize> = vec![0];
    for (i, &(b, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|&(_, n)| n);
        match c {
            '.' | '!' | '?' | ';' if next.is_none_or(char::is_whitespace) => {
                // not after a one-letter abbreviation (`M.`, `J.`)
                let prev_word_len = chars[..i]
                    .iter()
                    .rev()
                    .take_while(|(_, p)| p.is_alphabetic())
                    .count();
                if !(c == '.' && prev_word_len == 1) {
                    cuts.push(b + c.len_utf8());
                }
            }
            '\n' => {
                let rest = chars[i + 1..]
                    .iter()
                    .map(|&(_, n)| n)
                    .find(|n| *n != ' ' && *n != '\t' && *n != '\r');
                if rest.is_none_or(|n| {
                    n == '\n' || n.is_uppercase() || n.is_ascii_digit() || is_bullet(n)
                }) {
                    cuts.push(b + 1);
                }
            }
            c if is_bullet(c) && c != '-' => cuts.push(b),
            '-' if chars[..i]
                .iter()
                .rev()
                .map(|&(_, p)| p)
                .find(|p| *p != ' ')
                .is_none_or(|p| p == '\n') =>
            {
                cuts.push(b)
            }
            _ => {}
        }
    }
    cuts.push(text.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut raw: Vec<(usize, usize)> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let piece = &text[a..b];
        let trimmed_start = a
            + (piece.len()
                - piece
                    .trim_start_matches(|c: char| c.is_whitespace() || is_bullet(c))
                    .len());
        let trimmed_end = a + piece.trim_end().len();
        if trimmed_end > trimmed_start {
            raw.push((trimmed_start, trimmed_end));
        }
    }
    // join short pieces to the next one (a heading to its first item)
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .count()
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<usize> = None;
    let mut last_end = 0;
    for (a, b) in raw {
        last_end = b;
        let start = pending.take().unwrap_or(a);
        if words(&text[start..b]) < min_words {
            pending = Some(start);
        } else {
            out.push((start, b));
        }
    }
    if let Some(start) = pending {
        match out.last_mut() {
            Some(last) => last.1 = last_end,
            None => out.push((start, last_end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pieces(text: &str) -> Vec<&str> {
        segments(text, 3)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect()
    }

    #[test]
    fn a_list_of_demands_is_cut_into_items() {
        let text = "Fiscalité\n−\n−\nQue le taux de CSG soit calculé individuellement et non sur le revenu\ndu foyer.\nSuppression de la loi Pinel qui ne profite qu'aux riches.\n− Non-cumul des mandats des élus.\n− Référendum pour les grandes questions.";
        assert_eq!(
            pieces(text),
            [
                "Fiscalité\n−\n−\nQue le taux de CSG soit calculé individuellement et non sur le revenu\ndu foyer.",
                "Suppression de la loi Pinel qui ne profite qu'aux riches.",
                "Non-cumul des mandats des élus.",
                "Référendum pour les grandes questions."
            ]
        );
    }

    #[test]
    fn wrapped_lines_and_abbreviations_stay_together() {
        assert_eq!(
            pieces("que le vote blanc soit pris en\ncompte, écrit à M. Dupont hier"),
            ["que le vote blanc soit pris en\ncompte, écrit à M. Dupont hier"]
        );
    }

    #[test]
    fn a_short_answer_is_one_segment() {
        assert_eq!(pieces("Le pouvoir d'achat"), ["Le pouvoir d'achat"]);
        assert_eq!(pieces("Oui."), ["Oui."]);
        assert!(pieces("  \n ").is_empty());
    }

    proptest! {
        #[test]
        fn segments_are_ordered_disjoint_slices(text in "\\PC{0,300}") {
            let segs = segments(&text, 3);
            let mut last = 0;
            for (a, b) in segs {
                prop_assert!(a >= last && a < b && b <= text.len());
                prop_assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
                last = b;
            }
        }
    }
}
