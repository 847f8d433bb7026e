//! Themes of open answers: TF-IDF + NMF, the number of themes chosen by coherence and
//! stability, each theme's label, weighted share with an interval, breakdown by group, and
//! the verbatims that represent it best.
//!
//! **Units.** Long answers are cut into items ([`crate::segment`]) and themes are modelled
//! per item; an answer then *mentions* every theme that dominates one of its items, and its
//! *dominant* theme is the one with the most weight summed over its items. Short answers
//! are one item. `segment = false` models whole answers.
//!
//! **Choosing k.** For each k in `k_min..=k_max`, NMF (NNDSVDa start) is fitted on a seeded
//! sample of at most `selection_sample` items (all of them for a small corpus) and on
//! `restarts − 1` seeded 80 % subsamples of it. Each k gets the mean NPMI coherence of its
//! themes' top terms (answers as windows) and the stability of the top terms across those
//! fits (mean matched Jaccard overlap, see [`crate::coherence`]): a k whose themes change
//! when a fifth of the answers is left out is not one to report. The k kept maximises `coherence + stability_weight × stability`
//! (the weight defaults to 0.5: coherence alone drifts to the smallest k when themes are
//! broad, stability alone rewards trivially repeated solutions); ties go to the smaller k.
//!
//! **Fitting.** At the chosen k, `restarts` fits from different seeds on the whole sample
//! reach near-equal residuals but different themes; the most coherent one is kept. On a
//! small corpus it is the model. On a large one, the model is refitted on all items from the sample's H (warm
//! start), which costs a few passes instead of a full search.
//!
//! **Shares.** Two shares per theme, both weighted by the caller's weights with the interval
//! of [`crate::share`]: respondents whose dominant theme it is (these add up to 100 %), and
//! respondents who mention it (an answer can mention several). Answers with no feature left
//! after cleaning (empty, only stop words, only redactions) have no theme and are left out
//! of the denominators.

use std::collections::{BTreeMap, HashSet};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::coherence::{Postings, stability};
use crate::error::TextError;
use crate::features::{Corpus, FeatureOptions, Phrase, build_corpus_with_template, template_lines};
use crate::lemma::{Lemmatizer, Reduction};
use crate::nmf::{Init, NmfFit, NmfOptions, fit};
use crate::privacy::{PrivacyOptions, mask};
use crate::segment::segments;
use crate::share::{Proportion, weighted_share};

/// Options of the theme analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThemeOptions {
    /// Feature extraction (lemmas, phrases, vocabulary).
    pub features: FeatureOptions,
    /// Model themes per item of an answer (true) or per whole answer.
    pub segment: bool,
    /// Items with fewer words are joined to the next one.
    pub segment_min_words: usize,
    /// A fixed number of themes; `None` chooses it between `k_min` and `k_max`.
    pub k: Option<usize>,
    /// Smallest k tried.
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// Weight of stability in the choice of k.
    pub stability_weight: f64,
    /// Fits per k: one on the whole selection sample, the others on seeded 80 % subsamples
    /// of it; the agreement of their top terms is the stability.
    pub restarts: usize,
    /// Seed of everything random.
    pub seed: u64,
    /// Top terms per theme (labels and coherence).
    pub top_terms: usize,
    /// Verbatims per theme.
    pub examples: usize,
    /// Preferred maximum length of a verbatim, in characters (longer ones are used only if
    /// a theme has no shorter one).
    pub example_max_chars: usize,
    /// Largest sample of items on which k is chosen.
    pub selection_sample: usize,
    /// NMF iteration cap.
    pub max_iter: usize,
    /// NMF relative tolerance.
    pub tol: f64,
    /// Threads for NMF (results do not depend on it).
    pub threads: usize,
    /// Groups with fewer respondents are suppressed in breakdowns.
    pub min_group_size: usize,
    /// Confidence level of intervals.
    pub confidence: f64,
    /// Mask names, e-mails, phones and addresses in verbatims.
    pub mask_examples: bool,
    /// Masking options.
    pub privacy: PrivacyOptions,
}

impl Default for ThemeOptions {
    fn default() -> Self {
        Self {
            features: FeatureOptions::default(),
            segment: true,
            segment_min_words: 4,
            k: None,
            k_min: 4,
            k_max: 12,
            stability_weight: 0.5,
            restarts: 3,
            seed: 42,
            top_terms: 10,
            examples: 5,
            example_max_chars: 600,
            selection_sample: 4000,
            max_iter: 400,
            tol: 1e-6,
            threads: 2,
            min_group_size: 10,
            confidence: 0.95,
            mask_examples: true,
            privacy: PrivacyOptions::default(),
        }
    }
}

/// Scores of one candidate number of themes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KScore {
    /// Number of themes.
    pub k: usize,
    /// Mean NPMI of top terms (on the selection sample), mean over the fits.
    pub coherence: f64,
    /// Mean matched top-term overlap across the fits (whole sample and subsamples).
    pub stability: f64,
    /// `coherence + stability_weight × stability`.
    pub score: f64,
}

/// A term of a theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeTerm {
    /// How to show it.
    pub label: String,
    /// Lemma key.
    pub key: String,
    /// Loading (the theme's loadings sum to 1).
    pub weight: f64,
    /// True for a multi-word expression.
    pub phrase: bool,
}

/// Words of a respondent that represent a theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verbatim {
    /// Row of the answer (0-based, in the order given).
    pub answer: usize,
    /// The item's text exactly as written (personal data masked when asked).
    pub text: String,
    /// Byte range of the item in the answer.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// Share of the item's theme weight that goes to this theme.
    pub affinity: f64,
}

/// A theme's share within one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupShare {
    /// The group's value.
    pub group: String,
    /// Answers with a theme in the group.
    pub n: usize,
    /// Share of the group's respondents whose dominant theme it is, unless suppressed.
    pub share: Option<Proportion>,
    /// Share of the group's respondents who mention it, unless suppressed.
    pub mention_share: Option<Proportion>,
    /// True when the group has fewer than `min_group_size` answers.
    pub suppressed: bool,
}

/// One theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// Number of the theme, from 1, largest first.
    pub id: usize,
    /// Short label: its leading terms (a phrase first when one is among the top terms).
    pub label: String,
    /// Top terms with loadings.
    pub terms: Vec<ThemeTerm>,
    /// Multi-word expressions among its top terms.
    pub phrases: Vec<String>,
    /// Weighted share of respondents whose dominant theme it is.
    pub share: Proportion,
    /// Weighted share of respondents who mention it.
    pub mention_share: Proportion,
    /// NPMI coherence of its top terms on the whole corpus (answers as windows).
    pub coherence: f64,
    /// The items that represent it best.
    pub examples: Vec<Verbatim>,
    /// Its shares in each group, when groups were given.
    pub groups: Vec<GroupShare>,
}

/// Result of the theme analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeAnalysis {
    /// Answers given.
    pub answers: usize,
    /// Answers that kept at least one feature.
    pub usable: usize,
    /// Items modelled (equal to the answers when not segmenting).
    pub items: usize,
    /// Number of themes.
    pub k: usize,
    /// How k was chosen.
    pub k_chosen_by: String,
    /// Scores of every k tried (one entry when k was given).
    pub selection: Vec<KScore>,
    /// Mean NPMI coherence of the themes on the whole corpus.
    pub coherence: f64,
    /// Stability across subsample fits at the chosen k.
    pub stability: f64,
    /// The themes, largest first.
    pub themes: Vec<Theme>,
    /// Size of the vocabulary.
    pub vocabulary: usize,
    /// Multi-word expressions found (at most 50, most frequent first).
    pub phrases: Vec<Phrase>,
    /// Template lines left out (page footers, form headers), with their answer counts.
    pub boilerplate: Vec<(String, usize)>,
    /// How words were reduced.
    pub reduction: Reduction,
    /// Dominant theme (0-based index into `themes`) of each answer; `None` without features.
    #[serde(skip)]
    pub dominant: Vec<Option<usize>>,
    /// Themes each answer mentions (0-based, increasing).
    #[serde(skip)]
    pub mentions: Vec<Vec<usize>>,
    /// Theme proportions of each answer, answers × k, row-major (rows sum to 1 or 0).
    #[serde(skip)]
    pub proportions: Vec<f64>,
}

impl ThemeAnalysis {
    /// Each theme's shares (main theme and mentions, weighted, with intervals) in each group,
    /// groups in their sorted order; a group of fewer than `min_group_size` analysed answers
    /// is suppressed. `groups` and `weights` (default 1) hold one entry per analysed answer,
    /// as given to [`analyse`]; answers without features and without a group are left out.
    /// The same figures as [`analyse`] gives with `groups`, without analysing again: one
    /// analysis serves every breakdown.
    ///
    /// # Errors
    /// [`TextError::LengthMismatch`] when `groups` or `weights` do not have one entry per
    /// answer; [`TextError::InvalidOption`] for a bad weight or confidence.
    pub fn group_shares(
        &self,
        groups: &[Option<String>],
        weights: Option<&[f64]>,
        min_group_size: usize,
        confidence: f64,
    ) -> Result<Vec<Vec<GroupShare>>, TextError> {
        let n = self.dominant.len();
        if groups.len() != n {
            return Err(TextError::LengthMismatch {
                what: "groups".into(),
                expected: n,
                found: groups.len(),
            });
        }
        if let Some(w) = weights
            && w.len() != n
        {
            return Err(TextError::LengthMismatch {
                what: "weights".into(),
                expected: n,
                found: w.len(),
            });
        }
        let w_of = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mut group_rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in (0..n).filter(|&i| self.dominant[i].is_some()) {
            if let Some(value) = &groups[i] {
                group_rows.entry(value.as_str()).or_default().push(i);
            }
        }
        let mut out = Vec::with_capacity(self.themes.len());
        for l in 0..self.themes.len() {
            let mut shares = Vec::with_capacity(group_rows.len());
            for (value, rows) in &group_rows {
                if rows.len() < min_group_size {
                    shares.push(GroupShare {
                        group: (*value).to_string(),
                        n: rows.len(),
                        share: None,
                        mention_share: None,
                        suppressed: true,
                    });
                    continue;
                }
                let w: Vec<f64> = rows.iter().map(|&i| w_of(i)).collect();
                let d: Vec<bool> = rows.iter().map(|&i| self.dominant[i] == Some(l)).collect();
                let m: Vec<bool> = rows
                    .iter()
                    .map(|&i| self.mentions.get(i).is_some_and(|x| x.contains(&l)))
                    .collect();
                shares.push(GroupShare {
                    group: (*value).to_string(),
                    n: rows.len(),
                    share: Some(weighted_share(&d, &w, confidence)?),
                    mention_share: Some(weighted_share(&m, &w, confidence)?),
                    suppressed: false,
                });
            }
            out.push(shares);
        }
        Ok(out)
    }

    /// Themes proposed for an answer, most likely first, with their proportions
    /// (what a human coder sees as the model's suggestion).
    #[must_use]
    pub fn proposals(&self, answer: usize) -> Vec<(usize, f64)> {
        let k = self.k;
        let Some(row) = self.proportions.get(answer * k..(answer + 1) * k) else {
            return Vec::new();
        };
        let mut out: Vec<(usize, f64)> = row
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, p)| p > 0.0)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// An item of an answer.
#[derive(Debug, Clone, Copy)]
struct Item {
    answer: usize,
    start: usize,
    end: usize,
}

/// Analyses the themes of a set of answers.
///
/// `weights` (one per answer, ≥ 0) default to 1; `groups` (one per answer) give the
/// breakdown, `None` entries being left out of it.
///
/// # Errors
/// Length mismatches, invalid options, or too few usable answers.
pub fn analyse<S: AsRef<str>>(
    texts: &[S],
    weights: Option<&[f64]>,
    groups: Option<&[Option<String>]>,
    options: &ThemeOptions,
) -> Result<ThemeAnalysis, TextError> {
    let n = texts.len();
    if let Some(w) = weights {
        if w.len() != n {
            return Err(TextError::LengthMismatch {
                what: "weights".into(),
                expected: n,
                found: w.len(),
            });
        }
        if let Some(bad) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(TextError::InvalidOption {
                option: "weights".into(),
                message: format!("weight of answer {bad} is {}", w[bad]),
            });
        }
    }
    if let Some(g) = groups
        && g.len() != n
    {
        return Err(TextError::LengthMismatch {
            what: "groups".into(),
            expected: n,
            found: g.len(),
        });
    }
    if options.k_min < 2 || options.k_min > options.k_max {
        return Err(TextError::InvalidOption {
            option: "k_min/k_max".into(),
            message: format!(
                "need 2 <= k_min <= k_max, got {}..={}",
                options.k_min, options.k_max
            ),
        });
    }
    if options.k.is_some_and(|k| k < 1) {
        return Err(TextError::InvalidOption {
            option: "k".into(),
            message: "must be at least 1".into(),
        });
    }
    let lemmatizer = Lemmatizer::french()?;
    let mut items: Vec<Item> = Vec::new();
    for (answer, text) in texts.iter().enumerate() {
        let text = text.as_ref();
        if options.segment {
            for (start, end) in segments(text, options.segment_min_words) {
                items.push(Item { answer, start, end });
            }
        } else if !text.trim().is_empty() {
            items.push(Item {
                answer,
                start: 0,
                end: text.len(),
            });
        }
    }
    let item_texts: Vec<&str> = items
        .iter()
        .map(|it| &texts[it.answer].as_ref()[it.start..it.end])
        .collect();
    // template lines are found on whole answers (a page footer is one line in many answers)
    let template = template_lines(texts, &options.features);
    let corpus =
        build_corpus_with_template(&item_texts, lemmatizer, &options.features, Some(template))?;
    let item_answer: Vec<usize> = items.iter().map(|it| it.answer).collect();
    let usable_rows: Vec<usize> = (0..items.len())
        .filter(|&i| !corpus.counts.row(i).0.is_empty())
        .collect();
    let needed = options.k.unwrap_or(options.k_min).max(2) * 2;
    if usable_rows.len() < needed {
        return Err(TextError::TooFewAnswers {
            usable: usable_rows.len(),
            needed,
            what: "a theme model".into(),
        });
    }

    // the selection sample
    let mut sample = usable_rows.clone();
    let sample_size = options.selection_sample.max(needed);
    if sample.len() > sample_size {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(0x5eed));
        sample.shuffle(&mut rng);
        sample.truncate(sample_size);
        sample.sort_unstable();
    }
    let sample_is_all = sample.len() == usable_rows.len();
    let x_sample = corpus.tfidf.select_rows(&sample);
    // coherence windows are answers: an answer's items together
    let sample_answer: Vec<usize> = sample.iter().map(|&r| item_answer[r]).collect();
    let mut distinct = sample_answer.clone();
    distinct.dedup();
    let postings_sample = Postings::grouped(
        &corpus.counts.select_rows(&sample),
        &sample_answer,
        distinct.len(),
    );
    let restarts = options.restarts.max(1);
    let nmf_options = |k: usize, seed: u64| NmfOptions {
        k,
        max_iter: options.max_iter,
        tol: options.tol,
        seed,
        threads: options.threads,
        init: Init::Nndsvda,
    };
    let max_k = (sample.len() / 2).min(corpus.features.len()).max(1);
    let ks: Vec<usize> = match options.k {
        Some(k) => vec![k.min(max_k)],
        None => (options.k_min..=options.k_max.min(max_k)).collect(),
    };
    if ks.is_empty() {
        return Err(TextError::TooFewAnswers {
            usable: usable_rows.len(),
            needed,
            what: "the range of k".into(),
        });
    }
    let mut selection = Vec::new();
    let mut best: Option<(KScore, Vec<NmfFit>)> = None;
    for &k in &ks {
        // fit 0 on the whole sample; the others on seeded 80 % subsamples of it
        let fits: Vec<NmfFit> = (0..restarts)
            .map(|r| {
                let seed = options.seed.wrapping_add(1000 * k as u64 + r as u64);
                let mut f = if r == 0 {
                    fit(&x_sample, &nmf_options(k, seed), None)
                } else {
                    let mut rows: Vec<usize> = (0..x_sample.n_rows).collect();
                    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
                    rows.truncate((x_sample.n_rows * 4).div_ceil(5));
                    rows.sort_unstable();
                    fit(&x_sample.select_rows(&rows), &nmf_options(k, seed), None)
                };
                f.normalize();
                f
            })
            .collect();
        let tops: Vec<Vec<Vec<usize>>> = fits
            .iter()
            .map(|f| {
                (0..k)
                    .map(|l| f.top_features(l, options.top_terms))
                    .collect()
            })
            .collect();
        let coherence = tops
            .iter()
            .map(|run| {
                run.iter()
                    .map(|t| postings_sample.coherence(t))
                    .sum::<f64>()
                    / k as f64
            })
            .sum::<f64>()
            / restarts as f64;
        let stab = stability(&tops);
        let score = KScore {
            k,
            coherence,
            stability: stab,
            score: coherence + options.stability_weight * stab,
        };
        selection.push(score);
        if best
            .as_ref()
            .is_none_or(|(b, _)| score.score > b.score + 1e-12)
        {
            best = Some((score, fits));
        }
    }
    let Some((chosen, fits)) = best else {
        return Err(TextError::TooFewAnswers {
            usable: usable_rows.len(),
            needed,
            what: "the range of k".into(),
        });
    };
    let k = chosen.k;
    // The fits from different seeds reach near-equal residuals but different themes: keep
    // the most coherent of `restarts` fits on the whole sample (fit 0 is one of them).
    let mut candidates: Vec<NmfFit> = fits.into_iter().take(1).collect();
    for r in 1..restarts {
        let seed = options.seed.wrapping_add(1000 * k as u64 + 500 + r as u64);
        let mut f = fit(&x_sample, &nmf_options(k, seed), None);
        f.normalize();
        candidates.push(f);
    }
    let coherence_of = |f: &NmfFit| {
        (0..k)
            .map(|l| postings_sample.coherence(&f.top_features(l, options.top_terms)))
            .sum::<f64>()
            / k as f64
    };
    let Some(best_fit) = candidates
        .into_iter()
        .map(|f| (coherence_of(&f), f))
        .max_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(b.1.residual.total_cmp(&a.1.residual))
        })
        .map(|(_, f)| f)
    else {
        return Err(TextError::TooFewAnswers {
            usable: usable_rows.len(),
            needed,
            what: "a theme model".into(),
        });
    };
    let model = if sample_is_all {
        best_fit
    } else {
        let x_all = corpus.tfidf.select_rows(&usable_rows);
        let mut f = fit(&x_all, &nmf_options(k, options.seed), Some(&best_fit.ht));
        f.normalize();
        f
    };
    let k_chosen_by = if options.k.is_some() {
        "given".to_string()
    } else {
        format!(
            "max of coherence + {} × stability over k = {}..={} ({} fits each: {} items, then 80 % subsamples)",
            options.stability_weight,
            ks.first().copied().unwrap_or(0),
            ks.last().copied().unwrap_or(0),
            restarts,
            sample.len()
        )
    };
    let context = Context {
        texts,
        weights,
        groups,
        options,
        corpus: &corpus,
        items: &items,
        usable_rows: &usable_rows,
    };
    report(&context, &model, selection, k_chosen_by, chosen.stability)
}

/// What the report needs besides the model.
struct Context<'a, S> {
    texts: &'a [S],
    weights: Option<&'a [f64]>,
    groups: Option<&'a [Option<String>]>,
    options: &'a ThemeOptions,
    corpus: &'a Corpus,
    items: &'a [Item],
    usable_rows: &'a [usize],
}

fn report<S: AsRef<str>>(
    cx: &Context<'_, S>,
    model: &NmfFit,
    selection: Vec<KScore>,
    k_chosen_by: String,
    stability_at_k: f64,
) -> Result<ThemeAnalysis, TextError> {
    let n = cx.texts.len();
    let k = model.k;
    let options = cx.options;
    // per item: dominant theme and proportions; per answer: summed weights and mentions
    let mut item_dominant: Vec<Option<usize>> = vec![None; cx.items.len()];
    let mut item_affinity: Vec<f64> = vec![0.0; cx.items.len()];
    let mut answer_w = vec![0.0; n * k];
    let mut mentions: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (r, &row) in cx.usable_rows.iter().enumerate() {
        let w = model.w_row(r);
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            continue;
        }
        let best = (0..k).max_by(|&a, &b| w[a].total_cmp(&w[b]).then(b.cmp(&a)));
        let answer = cx.items[row].answer;
        if let Some(b) = best {
            item_dominant[row] = Some(b);
            item_affinity[row] = w[b] / total;
            if !mentions[answer].contains(&b) {
                mentions[answer].push(b);
            }
        }
        for l in 0..k {
            answer_w[answer * k + l] += w[l];
        }
    }
    let mut dominant: Vec<Option<usize>> = vec![None; n];
    let mut proportions = vec![0.0; n * k];
    for i in 0..n {
        mentions[i].sort_unstable();
        let row = &answer_w[i * k..(i + 1) * k];
        let total: f64 = row.iter().sum();
        if total > 0.0 {
            for l in 0..k {
                proportions[i * k + l] = row[l] / total;
            }
            dominant[i] = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)));
        }
    }
    let usable: Vec<usize> = (0..n).filter(|&i| dominant[i].is_some()).collect();
    let w_of = |i: usize| cx.weights.map_or(1.0, |w| w[i]);
    let usable_weights: Vec<f64> = usable.iter().map(|&i| w_of(i)).collect();
    let item_answer: Vec<usize> = cx.items.iter().map(|it| it.answer).collect();
    let postings = Postings::grouped(&cx.corpus.counts, &item_answer, n);

    let mut themes = Vec::with_capacity(k);
    for l in 0..k {
        let top = model.top_features(l, options.top_terms);
        let terms: Vec<ThemeTerm> = top
            .iter()
            .map(|&j| {
                let f = &cx.corpus.features[j];
                ThemeTerm {
                    label: f.label.clone(),
                    key: f.key.clone(),
                    weight: model.h(l, j),
                    phrase: f.phrase,
                }
            })
            .collect();
        let phrases: Vec<String> = terms
            .iter()
            .filter(|t| t.phrase)
            .map(|t| t.label.clone())
            .collect();
        let mut label_terms: Vec<&str> = terms.iter().take(3).map(|t| t.label.as_str()).collect();
        if let Some(p) = phrases.first()
            && !label_terms.contains(&p.as_str())
        {
            label_terms.insert(0, p);
            label_terms.truncate(3);
        }
        let dominant_flags: Vec<bool> = usable.iter().map(|&i| dominant[i] == Some(l)).collect();
        let mention_flags: Vec<bool> = usable.iter().map(|&i| mentions[i].contains(&l)).collect();
        let share = weighted_share(&dominant_flags, &usable_weights, options.confidence)?;
        let mention_share = weighted_share(&mention_flags, &usable_weights, options.confidence)?;
        themes.push(Theme {
            id: l + 1,
            label: label_terms.join(" · "),
            terms,
            phrases,
            share,
            mention_share,
            coherence: postings.coherence(&top),
            examples: examples(cx, &item_dominant, &item_affinity, l),
            groups: Vec::new(),
        });
    }
    let coherence = if k == 0 {
        0.0
    } else {
        themes.iter().map(|t| t.coherence).sum::<f64>() / k as f64
    };
    let mut analysis = ThemeAnalysis {
        answers: n,
        usable: usable.len(),
        items: cx.items.len(),
        k,
        k_chosen_by,
        selection,
        coherence,
        stability: stability_at_k,
        themes,
        vocabulary: cx.corpus.features.len(),
        phrases: cx.corpus.phrases.iter().take(50).cloned().collect(),
        boilerplate: cx.corpus.boilerplate.iter().take(50).cloned().collect(),
        reduction: options.features.reduction,
        dominant,
        mentions,
        proportions,
    };
    if let Some(g) = cx.groups {
        let shares =
            analysis.group_shares(g, cx.weights, options.min_group_size, options.confidence)?;
        for (theme, groups) in analysis.themes.iter_mut().zip(shares) {
            theme.groups = groups;
        }
    }
    Ok(analysis)
}

/// The items that represent theme `l` best: highest share of their weight on `l` among
/// items dominated by `l`, preferring items of readable length, no duplicate text.
fn examples<S: AsRef<str>>(
    cx: &Context<'_, S>,
    item_dominant: &[Option<usize>],
    item_affinity: &[f64],
    l: usize,
) -> Vec<Verbatim> {
    let options = cx.options;
    let mut candidates: Vec<(bool, f64, usize)> = item_dominant
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == Some(l))
        .map(|(r, _)| {
            let it = cx.items[r];
            let len = cx.texts[it.answer].as_ref()[it.start..it.end]
                .chars()
                .count();
            let readable = (40..=options.example_max_chars).contains(&len);
            (readable, item_affinity[r], r)
        })
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut seen: HashSet<&str> = HashSet::new();
    let mut used_answers: HashSet<usize> = HashSet::new();
    let mut out = Vec::new();
    for (_, affinity, r) in candidates {
        if out.len() >= options.examples {
            break;
        }
        let it = cx.items[r];
        let text = &cx.texts[it.answer].as_ref()[it.start..it.end];
        // one verbatim per respondent, and no text twice (copied petitions)
        if used_answers.contains(&it.answer) || !seen.insert(text) {
            continue;
        }
        used_answers.insert(it.answer);
        let shown = if options.mask_examples {
            mask(text, &options.privacy).text
        } else {
            text.to_string()
        };
        out.push(Verbatim {
            answer: it.answer,
            text: shown,
            start: it.start,
            end: it.end,
            affinity,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 answers about three clear subjects (20 each, in the order impôts, santé,
    /// transport, repeated), each drawing five words of its subject and one shared word.
    fn answers() -> Vec<String> {
        use rand::Rng;
        let subjects = subject_words();
        let shared = ["France", "gens", "vie", "pays", "avenir"];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        (0..60)
            .map(|i| {
                let words = subjects[i % 3];
                let mut picked: Vec<&str> = Vec::new();
                while picked.len() < 5 {
                    let w = words[rng.random_range(0..words.len())];
                    if !picked.contains(&w) {
                        picked.push(w);
                    }
                }
                let noise = shared[rng.random_range(0..shared.len())];
                format!(
                    "Nous voulons parler de {}, {}, {}, {} et {} pour la {noise}.",
                    picked[0], picked[1], picked[2], picked[3], picked[4]
                )
            })
            .collect()
    }

    fn subject_words() -> [&'static [&'static str]; 3] {
        [
            &[
                "impôts",
                "TVA",
                "taxe foncière",
                "fiscalité",
                "ménages",
                "niches fiscales",
                "prélèvements",
                "taxes",
                "contribuables",
                "fraude fiscale",
                "ISF",
                "redevance",
            ],
            &[
                "médecins",
                "hôpital",
                "urgences",
                "déserts médicaux",
                "infirmières",
                "soins",
                "maternité",
                "pharmacie",
                "spécialistes",
                "dentiste",
                "ambulance",
                "santé",
            ],
            &[
                "carburant",
                "voiture",
                "trains",
                "bus",
                "transports",
                "essence",
                "routes",
                "gazole",
                "autoroutes",
                "covoiturage",
                "gare",
                "péage",
            ],
        ]
    }

    fn options() -> ThemeOptions {
        ThemeOptions {
            features: FeatureOptions {
                min_df: 2,
                ..FeatureOptions::default()
            },
            k_min: 2,
            k_max: 5,
            min_group_size: 5,
            ..ThemeOptions::default()
        }
    }

    #[test]
    fn finds_the_three_subjects() {
        let texts = answers();
        let a = analyse(&texts, None, None, &options()).expect("analysis");
        assert_eq!(a.k, 3, "selection: {:?}", a.selection);
        assert_eq!(a.usable, texts.len());
        // each theme gathers one subject: every answer of a subject has the same theme
        for subject in 0..3 {
            let themes: HashSet<Option<usize>> = (0..texts.len())
                .filter(|i| i % 3 == subject)
                .map(|i| a.dominant[i])
                .collect();
            assert_eq!(themes.len(), 1, "subject {subject}: {themes:?}");
        }
        // the three labels lead with words of three different subjects
        let words = subject_words();
        let subject_of = |label: &str| {
            let first: String = label
                .split(" · ")
                .next()
                .unwrap_or("")
                .chars()
                .take(5)
                .collect();
            words
                .iter()
                .position(|ws| ws.iter().any(|w| w.to_lowercase().starts_with(&first)))
        };
        let mut subjects: Vec<Option<usize>> =
            a.themes.iter().map(|t| subject_of(&t.label)).collect();
        subjects.sort_unstable();
        assert_eq!(
            subjects,
            [Some(0), Some(1), Some(2)],
            "{:?}",
            a.themes.iter().map(|t| &t.label).collect::<Vec<_>>()
        );
        // shares add up to one and each holds a third
        let total: f64 = a.themes.iter().map(|t| t.share.estimate).sum();
        assert!((total - 1.0).abs() < 1e-9);
        for t in &a.themes {
            assert!((t.share.estimate - 1.0 / 3.0).abs() < 1e-9);
            assert!(t.share.lower < t.share.estimate && t.share.estimate < t.share.upper);
            assert_eq!(t.examples.len(), 5);
            for e in &t.examples {
                assert_eq!(a.dominant[e.answer], Some(t.id - 1));
                assert_eq!(
                    e.text,
                    texts[e.answer][e.start..e.end],
                    "verbatims are never rewritten"
                );
            }
        }
        assert!(a.coherence > 0.0 && a.stability > 0.5);
    }

    #[test]
    fn a_long_answer_mentions_several_themes() {
        let mut texts = answers();
        let mixed = format!("{}\n{}", texts[0], texts[1]);
        texts.push(mixed);
        let a = analyse(
            &texts,
            None,
            None,
            &ThemeOptions {
                k: Some(3),
                ..options()
            },
        )
        .expect("analysis");
        let last = texts.len() - 1;
        let (t0, t1) = (a.dominant[0].expect("theme"), a.dominant[1].expect("theme"));
        assert_ne!(t0, t1);
        let mut expected = vec![t0, t1];
        expected.sort_unstable();
        assert_eq!(a.mentions[last], expected);
        assert_eq!(a.items, texts.len() + 1);
        for t in &a.themes {
            assert!(t.mention_share.estimate >= t.share.estimate);
        }
        // whole answers: one item each, one theme each
        let whole = analyse(
            &texts,
            None,
            None,
            &ThemeOptions {
                k: Some(3),
                segment: false,
                ..options()
            },
        )
        .expect("whole");
        assert_eq!(whole.items, texts.len());
        assert_eq!(whole.mentions[last].len(), 1);
    }

    #[test]
    fn weights_and_groups() {
        let texts = answers();
        let n = texts.len();
        // weight the health answers 3 times
        let weights: Vec<f64> = (0..n).map(|i| if i % 3 == 1 { 3.0 } else { 1.0 }).collect();
        let groups: Vec<Option<String>> = (0..n)
            .map(|i| {
                Some(if i < 9 {
                    "petit".to_string()
                } else {
                    "grand".to_string()
                })
            })
            .collect();
        // "petit" has 9 answers: more than min_group_size (5), so it is shown too
        let opts = ThemeOptions {
            k: Some(3),
            ..options()
        };
        let a = analyse(&texts, Some(&weights), Some(&groups), &opts).expect("analysis");
        let health = a.dominant[1].map(|d| &a.themes[d]).expect("health theme");
        assert!(
            (health.share.estimate - 0.6).abs() < 1e-9,
            "{}",
            health.share.estimate
        );
        let grand = health
            .groups
            .iter()
            .find(|g| g.group == "grand")
            .expect("grand");
        assert!(!grand.suppressed && grand.share.is_some());
        assert_eq!(grand.n, n - 9);
        assert_eq!(a.k_chosen_by, "given");
        let proposals = a.proposals(3);
        assert_eq!(proposals.first().map(|p| p.0), a.dominant[3]);
    }

    #[test]
    fn small_groups_are_suppressed() {
        let texts = answers();
        let groups: Vec<Option<String>> = (0..texts.len())
            .map(|i| (i == 0).then(|| "seul".to_string()))
            .collect();
        let a = analyse(
            &texts,
            None,
            Some(&groups),
            &ThemeOptions {
                k: Some(3),
                ..options()
            },
        )
        .expect("analysis");
        for t in &a.themes {
            assert_eq!(t.groups.len(), 1);
            assert!(t.groups[0].suppressed && t.groups[0].share.is_none());
        }
    }

    #[test]
    fn one_analysis_serves_every_breakdown() {
        let texts = answers();
        let n = texts.len();
        let groups: Vec<Option<String>> = (0..n)
            .map(|i| match i % 3 {
                0 => None,
                1 => Some("un".to_string()),
                _ => Some("deux".to_string()),
            })
            .collect();
        let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 4) as f64 / 2.0).collect();
        let opts = ThemeOptions {
            k: Some(3),
            min_group_size: 5,
            ..options()
        };
        let with = analyse(&texts, Some(&weights), Some(&groups), &opts).expect("analysis");
        let without = analyse(&texts, Some(&weights), None, &opts).expect("analysis");
        let later = without
            .group_shares(&groups, Some(&weights), 5, opts.confidence)
            .expect("shares");
        assert_eq!(later.len(), with.themes.len());
        for (t, g) in with.themes.iter().zip(&later) {
            assert_eq!(&t.groups, g);
            assert_eq!(g.len(), 2);
        }
        assert!(matches!(
            without.group_shares(&groups[1..], None, 5, 0.95),
            Err(TextError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn empty_answers_have_no_theme() {
        let mut texts = answers();
        texts.push(String::new());
        texts.push("[Prénom Nom] et de la".into());
        let a = analyse(
            &texts,
            None,
            None,
            &ThemeOptions {
                k: Some(3),
                ..options()
            },
        )
        .expect("analysis");
        assert_eq!(a.dominant[texts.len() - 1], None);
        assert_eq!(a.dominant[texts.len() - 2], None);
        assert_eq!(a.usable, texts.len() - 2);
    }

    #[test]
    fn same_seed_same_themes() {
        let texts = answers();
        let a = analyse(&texts, None, None, &options()).expect("a");
        let b = analyse(&texts, None, None, &options()).expect("b");
        assert_eq!(a.dominant, b.dominant);
        assert_eq!(a.themes, b.themes);
        let c = analyse(
            &texts,
            None,
            None,
            &ThemeOptions {
                seed: 7,
                ..options()
            },
        )
        .expect("c");
        assert_eq!(c.k, a.k);
    }

    #[test]
    fn errors_say_what() {
        let texts = answers();
        assert!(matches!(
            analyse(&texts, Some(&[1.0]), None, &options()),
            Err(TextError::LengthMismatch { .. })
        ));
        let few = ["impôts", "santé"];
        assert!(matches!(
            analyse(&few, None, None, &options()),
            Err(TextError::TooFewAnswers { .. })
        ));
        let bad = ThemeOptions {
            k_min: 5,
            k_max: 3,
            ..options()
        };
        assert!(matches!(
            analyse(&texts, None, None, &bad),
            Err(TextError::InvalidOption { .. })
        ));
    }
}
