//! Human coding of open answers: codebooks, agreement between two coders, weighted shares.
//!
//! The model proposes (see [`crate::themes::ThemeAnalysis::proposals`]), the coder decides.
//! A codebook belongs to one question; each code has a stable id, a label, an optional
//! description and an optional keyboard key so that coding goes fast. An answer may carry
//! several codes. Agreement on a double-coded sample is Cohen's kappa: on one code per
//! answer ([`cohen_kappa`]) or, for several codes per answer, per code as presence/absence
//! ([`code_kappas`]). Its standard error is Cohen's (1960) large-sample approximation
//! √(pₒ(1−pₒ) / (n(1−pₑ)²)).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::share::{Proportion, weighted_share, z_for};
use crate::themes::ThemeAnalysis;

/// One code of a codebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// Stable identifier (what codings store).
    pub id: String,
    /// What coders and readers see.
    pub label: String,
    /// When to use it.
    #[serde(default)]
    pub description: Option<String>,
    /// Keyboard key that applies it.
    #[serde(default)]
    pub key: Option<char>,
}

/// The codes of one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Codebook {
    /// The question the codebook codes.
    pub question: String,
    /// Its codes, in display order.
    pub codes: Vec<Code>,
}

impl Codebook {
    /// A checked codebook: ids and labels not blank, ids unique, keys unique (ignoring case).
    ///
    /// # Errors
    /// [`TextError::Codebook`] saying which code is wrong.
    pub fn new(question: impl Into<String>, codes: Vec<Code>) -> Result<Self, TextError> {
        let question = question.into();
        let bad = |message: String| TextError::Codebook {
            question: question.clone(),
            message,
        };
        let mut ids = HashSet::new();
        let mut keys = HashMap::new();
        for code in &codes {
            if code.id.trim().is_empty() || code.label.trim().is_empty() {
                return Err(bad(format!("code {:?} has a blank id or label", code.id)));
            }
            if !ids.insert(code.id.as_str()) {
                return Err(bad(format!("code id {:?} is used twice", code.id)));
            }
            if let Some(key) = code.key {
                let folded: String = key.to_lowercase().collect();
                if let Some(other) = keys.insert(folded, code.id.as_str()) {
                    return Err(bad(format!(
                        "key {key:?} is given to both {other:?} and {:?}",
                        code.id
                    )));
                }
            }
        }
        Ok(Self { question, codes })
    }

    /// A codebook seeded from themes: one code per theme (`T1`, `T2`…), labelled by the
    /// theme's label, keys `1`–`9` then `a`–`z`. Coders rename, merge and add codes after.
    #[must_use]
    pub fn from_themes(question: impl Into<String>, analysis: &ThemeAnalysis) -> Self {
        let keys: Vec<char> = ('1'..='9').chain('a'..='z').collect();
        let codes = analysis
            .themes
            .iter()
            .enumerate()
            .map(|(i, t)| Code {
                id: format!("T{}", t.id),
                label: t.label.clone(),
                description: Some(
                    t.terms
                        .iter()
                        .map(|x| x.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                key: keys.get(i).copied(),
            })
            .collect();
        Self {
            question: question.into(),
            codes,
        }
    }

    /// The code a key applies.
    #[must_use]
    pub fn code_for_key(&self, key: char) -> Option<&Code> {
        let folded: String = key.to_lowercase().collect();
        self.codes.iter().find(|c| {
            c.key
                .is_some_and(|k| k.to_lowercase().collect::<String>() == folded)
        })
    }

    /// Checks that every code of every answer's coding is in the codebook.
    ///
    /// # Errors
    /// [`TextError::Coding`] naming the answer (0-based) and the unknown code.
    pub fn check(&self, codings: &[Vec<String>]) -> Result<(), TextError> {
        let ids: HashSet<&str> = self.codes.iter().map(|c| c.id.as_str()).collect();
        for (i, coding) in codings.iter().enumerate() {
            if let Some(unknown) = coding.iter().find(|c| !ids.contains(c.as_str())) {
                return Err(TextError::Coding {
                    answer: i.to_string(),
                    message: format!(
                        "code {unknown:?} is not in the codebook of {:?}",
                        self.question
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Cohen's kappa with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kappa {
    /// κ = (pₒ − pₑ) / (1 − pₑ).
    pub kappa: f64,
    /// Observed agreement pₒ.
    pub observed: f64,
    /// Agreement expected by chance pₑ.
    pub expected: f64,
    /// Answers coded by both.
    pub n: usize,
    /// Approximate standard error.
    pub std_error: f64,
    /// Lower bound of the 95 % interval.
    pub lower: f64,
    /// Upper bound of the 95 % interval.
    pub upper: f64,
}

fn kappa_from<T: Eq + std::hash::Hash + Clone>(pairs: &[(T, T)]) -> Kappa {
    let n = pairs.len();
    if n == 0 {
        return Kappa {
            kappa: 0.0,
            observed: 0.0,
            expected: 0.0,
            n,
            std_error: 0.0,
            lower: 0.0,
            upper: 0.0,
        };
    }
    let nf = n as f64;
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / nf;
    let mut left: HashMap<T, usize> = HashMap::new();
    let mut right: HashMap<T, usize> = HashMap::new();
    for (a, b) in pairs {
        *left.entry(a.clone()).or_insert(0) += 1;
        *right.entry(b.clone()).or_insert(0) += 1;
    }
    let expected: f64 = left
        .iter()
        .map(|(c, &na)| na as f64 * right.get(c).copied().unwrap_or(0) as f64)
        .sum::<f64>()
        / (nf * nf);
    let (kappa, std_error) = if (1.0 - expected).abs() < 1e-15 {
        // both coders used one and the same category throughout: agreement is total
        (1.0, 0.0)
    } else {
        (
            (observed - expected) / (1.0 - expected),
            (observed * (1.0 - observed) / (nf * (1.0 - expected).powi(2))).sqrt(),
        )
    };
    let z = z_for(0.95);
    Kappa {
        kappa,
        observed,
        expected,
        n,
        std_error,
        lower: kappa - z * std_error,
        upper: (kappa + z * std_error).min(1.0),
    }
}

/// Cohen's kappa between two coders giving one code per answer; answers either coder
/// left uncoded (`None`) are skipped.
///
/// # Errors
/// [`TextError::LengthMismatch`] when the two codings do not cover the same answers.
pub fn cohen_kappa(a: &[Option<&str>], b: &[Option<&str>]) -> Result<Kappa, TextError> {
    if a.len() != b.len() {
        return Err(TextError::LengthMismatch {
            what: "second coder's codes".into(),
            expected: a.len(),
            found: b.len(),
        });
    }
    let pairs: Vec<(&str, &str)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    Ok(kappa_from(&pairs))
}

/// Kappa per code when answers carry several codes: each code is a presence/absence
/// judgement on every answer both coders coded.
///
/// # Errors
/// Length mismatch, or a code not in the codebook.
pub fn code_kappas(
    codebook: &Codebook,
    a: &[Vec<String>],
    b: &[Vec<String>],
) -> Result<Vec<(String, Kappa)>, TextError> {
    if a.len() != b.len() {
        return Err(TextError::LengthMismatch {
            what: "second coder's codings".into(),
            expected: a.len(),
            found: b.len(),
        });
    }
    codebook.check(a)?;
    codebook.check(b)?;
    let sets_a: Vec<BTreeSet<&str>> = a
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let sets_b: Vec<BTreeSet<&str>> = b
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    Ok(codebook
        .codes
        .iter()
        .map(|code| {
            let pairs: Vec<(bool, bool)> = sets_a
                .iter()
                .zip(&sets_b)
                .map(|(x, y)| (x.contains(code.id.as_str()), y.contains(code.id.as_str())))
                .collect();
            (code.id.clone(), kappa_from(&pairs))
        })
        .collect())
}

/// The weighted share of answers carrying a code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeShare {
    /// Code id.
    pub code: String,
    /// Code label.
    pub label: String,
    /// Weighted share of coded answers carrying it (answers may carry several codes).
    pub share: Proportion,
}

/// Weighted share of each code among the answers that carry at least one code.
///
/// # Errors
/// Length mismatch between codings and weights, a code not in the codebook, bad weights.
pub fn code_shares(
    codebook: &Codebook,
    codings: &[Vec<String>],
    weights: &[f64],
    confidence: f64,
) -> Result<Vec<CodeShare>, TextError> {
    if codings.len() != weights.len() {
        return Err(TextError::LengthMismatch {
            what: "weights".into(),
            expected: codings.len(),
            found: weights.len(),
        });
    }
    codebook.check(codings)?;
    let coded: Vec<usize> = (0..codings.len())
        .filter(|&i| !codings[i].is_empty())
        .collect();
    let w: Vec<f64> = coded.iter().map(|&i| weights[i]).collect();
    codebook
        .codes
        .iter()
        .map(|code| {
            let flags: Vec<bool> = coded
                .iter()
                .map(|&i| codings[i].contains(&code.id))
                .collect();
            Ok(CodeShare {
                code: code.id.clone(),
                label: code.label.clone(),
                share: weighted_share(&flags, &w, confidence)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(id: &str, key: Option<char>) -> Code {
        Code {
            id: id.into(),
            label: format!("libellé {id}"),
            description: None,
            key,
        }
    }

    #[test]
    fn codebooks_are_checked() {
        assert!(Codebook::new("Q1", vec![code("a", Some('1')), code("b", Some('2'))]).is_ok());
        let dup =
            Codebook::new("Q1", vec![code("a", None), code("a", None)]).expect_err("duplicate id");
        assert!(dup.to_string().contains("used twice"), "{dup}");
        let keys = Codebook::new("Q1", vec![code("a", Some('x')), code("b", Some('X'))])
            .expect_err("same key");
        assert!(keys.to_string().contains("key"), "{keys}");
        assert!(Codebook::new("Q1", vec![code(" ", None)]).is_err());
    }

    #[test]
    fn keys_find_codes() {
        let book = Codebook::new(
            "Q1",
            vec![code("impots", Some('i')), code("sante", Some('s'))],
        )
        .expect("book");
        assert_eq!(book.code_for_key('S').map(|c| c.id.as_str()), Some("sante"));
        assert!(book.code_for_key('z').is_none());
        let err = book
            .check(&[vec!["impots".into()], vec!["ecole".into()]])
            .expect_err("unknown code");
        assert!(
            matches!(err, TextError::Coding { ref answer, .. } if answer == "1"),
            "{err}"
        );
    }

    #[test]
    fn kappa_of_the_textbook_table() {
        // 50 answers: both yes 20, A yes B no 5, A no B yes 10, both no 15:
        // po = 0.7, pe = 0.5·0.6 + 0.5·0.4 = 0.5, kappa = 0.4
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (x, y, n) in [
            ("oui", "oui", 20),
            ("oui", "non", 5),
            ("non", "oui", 10),
            ("non", "non", 15),
        ] {
            for _ in 0..n {
                a.push(Some(x));
                b.push(Some(y));
            }
        }
        let k = cohen_kappa(&a, &b).expect("kappa");
        assert!((k.observed - 0.7).abs() < 1e-12);
        assert!((k.expected - 0.5).abs() < 1e-12);
        assert!((k.kappa - 0.4).abs() < 1e-12);
        assert!((k.std_error - (0.7f64 * 0.3 / (50.0 * 0.25)).sqrt()).abs() < 1e-12);
        assert!(k.lower < 0.4 && 0.4 < k.upper);
    }

    #[test]
    fn uncoded_answers_are_skipped() {
        let k = cohen_kappa(
            &[Some("a"), None, Some("b")],
            &[Some("a"), Some("b"), Some("b")],
        )
        .expect("kappa");
        assert_eq!(k.n, 2);
        assert!((k.kappa - 1.0).abs() < 1e-12);
        assert!(cohen_kappa(&[Some("a")], &[]).is_err());
    }

    #[test]
    fn per_code_kappas_and_weighted_shares() {
        let book =
            Codebook::new("Q1", vec![code("impots", None), code("sante", None)]).expect("book");
        let a = vec![
            vec!["impots".to_string()],
            vec!["impots".into(), "sante".into()],
            vec!["sante".into()],
            vec![],
        ];
        let b = vec![
            vec!["impots".to_string()],
            vec!["impots".into()],
            vec!["sante".into()],
            vec![],
        ];
        let kappas = code_kappas(&book, &a, &b).expect("kappas");
        assert_eq!(kappas[0].0, "impots");
        assert!((kappas[0].1.kappa - 1.0).abs() < 1e-12);
        assert!(kappas[1].1.kappa < 1.0);
        let shares = code_shares(&book, &a, &[1.0, 1.0, 2.0, 5.0], 0.95).expect("shares");
        // coded answers 0, 1, 2 with weights 1, 1, 2: impots 2/4, sante 3/4
        assert!((shares[0].share.estimate - 0.5).abs() < 1e-12);
        assert!((shares[1].share.estimate - 0.75).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn kappa_is_one_for_identical_codings(codes in proptest::collection::vec(0u8..4, 2..60)) {
            let labels: Vec<String> = codes.iter().map(|c| format!("c{c}")).collect();
            let a: Vec<Option<&str>> = labels.iter().map(|s| Some(s.as_str())).collect();
            let k = cohen_kappa(&a, &a).expect("kappa");
            prop_assert!((k.kappa - 1.0).abs() < 1e-12);
        }

        #[test]
        fn kappa_is_at_most_one(a in proptest::collection::vec(0u8..3, 1..60), b in proptest::collection::vec(0u8..3, 1..60)) {
            let n = a.len().min(b.len());
            let la: Vec<String> = a[..n].iter().map(|c| c.to_string()).collect();
            let lb: Vec<String> = b[..n].iter().map(|c| c.to_string()).collect();
            let ra: Vec<Option<&str>> = la.iter().map(|s| Some(s.as_str())).collect();
            let rb: Vec<Option<&str>> = lb.iter().map(|s| Some(s.as_str())).collect();
            let k = cohen_kappa(&ra, &rb).expect("kappa");
            prop_assert!(k.kappa <= 1.0 + 1e-12 && k.observed <= 1.0 && k.expected <= 1.0);
        }
    }
}
