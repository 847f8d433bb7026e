//! From answers to features: lemmas, multi-word expressions, vocabulary and TF-IDF.
//!
//! Each answer is normalised, tokenised and lemmatised, then encoded as ids. Multi-word
//! expressions are found in three passes: a seed list of known expressions ("pouvoir
//! d'achat", "services publics", "fin du mois"…) is matched first, then two passes of
//! collocation statistics join pairs of content words, adjacent or linked by a preposition
//! (and an article): `taxe d'habitation`, `impôt sur le revenu`. A pair becomes a phrase
//! when it occurs at least `min_count` times in at least `min_docs` answers with a
//! normalised pointwise mutual information (NPMI, over content-word positions) of at least
//! `min_npmi`. The second pass can join a phrase with another word (`référendum
//! d'initiative citoyenne`). Phrases never cross punctuation or line items.
//!
//! Features are content lemmas (no stop word, no number, two letters at least) and phrases,
//! kept when they occur in at least `min_df` answers and at most `max_df_fraction` of them,
//! the `max_features` most frequent at most. TF-IDF follows scikit-learn's
//! `TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2")`:
//! `(1 + ln tf) · (ln((1 + n) / (1 + df)) + 1)`, rows scaled to unit length.

use std::collections::HashMap;

use crate::fxhash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::lemma::{Context, Lemmatizer, Reduction};
use crate::lexicon::is_stop;
use crate::normalize::normalize;
use crate::token::{TokenKind, tokenize};

/// Expressions always joined when they occur, whatever their counts.
pub const SEED_PHRASES: &[&str] = &[
    "pouvoir d'achat",
    "services publics",
    "service public",
    "fin du mois",
    "fins de mois",
    "fin de mois",
    "vote blanc",
    "taxe d'habitation",
    "taxe foncière",
    "impôt sur le revenu",
    "impôt sur la fortune",
    "référendum d'initiative citoyenne",
    "transition écologique",
    "gilets jaunes",
    "prix du carburant",
    "prix de l'essence",
    "limitation de vitesse",
    "assurance chômage",
    "sécurité sociale",
    "fonction publique",
    "maison de retraite",
    "contrôle technique",
    "train de vie",
    "évasion fiscale",
    "fraude fiscale",
    "niche fiscale",
    "haute fonction publique",
    "petites retraites",
    "classes moyennes",
    "mise en place",
    "prise en charge",
];

/// Options of multi-word expression detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhraseOptions {
    /// Detect phrases at all.
    pub enabled: bool,
    /// Minimum occurrences of a pair.
    pub min_count: usize,
    /// Minimum number of answers in which a pair occurs.
    pub min_docs: usize,
    /// Minimum NPMI of a pair (from −1 to 1).
    pub min_npmi: f64,
    /// Expressions always joined (written as in text: "pouvoir d'achat").
    pub seeds: Vec<String>,
}

impl Default for PhraseOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            min_count: 5,
            min_docs: 3,
            min_npmi: 0.4,
            seeds: SEED_PHRASES.iter().map(|s| (*s).to_string()).collect(),
        }
    }
}

/// Options of feature extraction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureOptions {
    /// How words are reduced (lemmas by default).
    pub reduction: Reduction,
    /// Multi-word expressions.
    pub phrases: PhraseOptions,
    /// Minimum number of answers a feature occurs in; 0 means automatic:
    /// max(3, 0.1 % of the answers).
    pub min_df: usize,
    /// Maximum share of answers a feature occurs in.
    pub max_df_fraction: f64,
    /// Maximum number of features (the most frequent are kept).
    pub max_features: usize,
    /// Use `1 + ln tf` instead of raw counts.
    pub sublinear_tf: bool,
    /// Lines of six words or more found in at least this share of answers (and in
    /// `boilerplate_min_docs` of them) are template text (page footers, form headers,
    /// copied signatures) and are left out; 0 disables. Only answers of several lines are
    /// counted: an answer given word for word by many respondents is content.
    pub boilerplate_fraction: f64,
    /// Minimum number of answers for a line to count as template text.
    pub boilerplate_min_docs: usize,
    /// Threads used to normalise and encode texts (results do not depend on it).
    pub threads: usize,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        Self {
            reduction: Reduction::Lemma,
            phrases: PhraseOptions::default(),
            min_df: 0,
            max_df_fraction: 0.5,
            max_features: 3000,
            sublinear_tf: true,
            boilerplate_fraction: 0.02,
            boilerplate_min_docs: 5,
            threads: 2,
        }
    }
}

/// A compressed sparse row matrix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseMatrix {
    /// Number of rows.
    pub n_rows: usize,
    /// Number of columns.
    pub n_cols: usize,
    /// Row `i` holds entries `indptr[i]..indptr[i + 1]`.
    pub indptr: Vec<usize>,
    /// Column of each entry.
    pub indices: Vec<u32>,
    /// Value of each entry.
    pub values: Vec<f64>,
}

impl SparseMatrix {
    /// The columns and values of row `i` (empty past the end).
    #[must_use]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        match (self.indptr.get(i), self.indptr.get(i + 1)) {
            (Some(&a), Some(&b)) => (&self.indices[a..b], &self.values[a..b]),
            _ => (&[], &[]),
        }
    }

    /// Number of stored entries.
    #[must_use]
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// The transpose (compressed sparse columns of `self`).
    #[must_use]
    pub fn transpose(&self) -> SparseMatrix {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0.0; self.nnz()];
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                let slot = next[j as usize];
                indices[slot] = u32::try_from(i).unwrap_or(u32::MAX);
                values[slot] = v;
                next[j as usize] += 1;
            }
        }
        SparseMatrix {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            values,
        }
    }

    /// Selects rows (in the order given).
    #[must_use]
    pub fn select_rows(&self, rows: &[usize]) -> SparseMatrix {
        let mut out = SparseMatrix {
            n_rows: rows.len(),
            n_cols: self.n_cols,
            indptr: vec![0],
            ..Default::default()
        };
        for &i in rows {
            let (cols, vals) = self.row(i);
            out.indices.extend_from_slice(cols);
            out.values.extend_from_slice(vals);
            out.indptr.push(out.indices.len());
        }
        out
    }
}

/// One feature (a column of the matrices).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// Lemma, or the lemmas of a phrase separated by spaces.
    pub key: String,
    /// How to show it: the lemma, or a phrase's most frequent written form.
    pub label: String,
    /// True for a multi-word expression.
    pub phrase: bool,
    /// Number of answers it occurs in.
    pub df: usize,
}

/// A multi-word expression found in the corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phrase {
    /// Lemmas separated by spaces.
    pub key: String,
    /// Most frequent written form.
    pub label: String,
    /// Occurrences after joining.
    pub count: usize,
    /// NPMI when found by statistics; `None` for a seed.
    pub npmi: Option<f64>,
}

/// The answers as features, ready for theme models.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Number of answers (rows), including those left without features.
    pub n_docs: usize,
    /// The features (columns).
    pub features: Vec<Feature>,
    /// Raw feature counts per answer.
    pub counts: SparseMatrix,
    /// TF-IDF per answer (rows of unit length, or empty).
    pub tfidf: SparseMatrix,
    /// Multi-word expressions joined, most frequent first.
    pub phrases: Vec<Phrase>,
    /// Minimum document frequency actually used.
    pub min_df: usize,
    /// Template lines left out, with the number of answers holding each, most frequent first.
    pub boilerplate: Vec<(String, usize)>,
}

impl Corpus {
    /// Number of answers that kept at least one feature.
    #[must_use]
    pub fn usable_docs(&self) -> usize {
        (0..self.n_docs)
            .filter(|&i| !self.counts.row(i).0.is_empty())
            .count()
    }
}

const BREAK: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Item {
    lemma: u32,
    surface: u32,
    stop: bool,
}

const BREAK_ITEM: Item = Item {
    lemma: BREAK,
    surface: BREAK,
    stop: true,
};

#[derive(Debug, Default)]
struct Interner {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(BREAK - 1);
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

struct Encoder<'a> {
    lemmatizer: &'a Lemmatizer,
    reduction: Reduction,
    lemmas: Interner,
    surfaces: Interner,
    /// per lemma id: is a number
    numeric: Vec<bool>,
    /// per lemma id: is a stop word
    lemma_stop: Vec<bool>,
    /// (surface id, context) -> lemma id: most words repeat, so each is lemmatised once
    cache: FxHashMap<(u32, u8), u32>,
}

impl<'a> Encoder<'a> {
    fn new(lemmatizer: &'a Lemmatizer, reduction: Reduction) -> Self {
        Self {
            lemmatizer,
            reduction,
            lemmas: Interner::default(),
            surfaces: Interner::default(),
            numeric: Vec::new(),
            lemma_stop: Vec::new(),
            cache: FxHashMap::default(),
        }
    }

    /// Interns a lemma and records its flags.
    fn intern_lemma(&mut self, lemma: &str) -> u32 {
        let id = self.lemmas.intern(lemma);
        while self.numeric.len() <= id as usize {
            let name = self
                .lemmas
                .name(u32::try_from(self.numeric.len()).unwrap_or(BREAK));
            self.numeric
                .push(name.starts_with(|c: char| c.is_ascii_digit()));
            self.lemma_stop.push(is_stop(name));
        }
        id
    }

    fn encode(&mut self, text: &str) -> Vec<Item> {
        self.encode_normalized(&normalize(text))
    }

    fn encode_normalized(&mut self, normalized: &str) -> Vec<Item> {
        let tokens = tokenize(normalized);
        let mut items = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            match token.kind {
                TokenKind::Word | TokenKind::Elided => {
                    let surface = self.surfaces.intern(&token.text);
                    let context = match self.reduction {
                        Reduction::Lemma => {
                            Context::of(token, i.checked_sub(1).and_then(|p| tokens.get(p)))
                        }
                        _ => Context::None,
                    };
                    let key = (surface, context as u8);
                    let lemma_id = match self.cache.get(&key) {
                        Some(&id) => id,
                        None => {
                            let lemma = match self.reduction {
                                Reduction::Lemma => {
                                    self.lemmatizer.lemma_with_context(&token.text, context)
                                }
                                Reduction::Stem => self.lemmatizer.stem(&token.text),
                                Reduction::Surface => token.text.clone(),
                            };
                            let id = self.intern_lemma(&lemma);
                            self.cache.insert(key, id);
                            id
                        }
                    };
                    let stop = match self.reduction {
                        Reduction::Lemma => self
                            .lemma_stop
                            .get(lemma_id as usize)
                            .copied()
                            .unwrap_or(true),
                        _ => is_stop(&token.text),
                    };
                    items.push(Item {
                        lemma: lemma_id,
                        surface,
                        stop,
                    });
                }
                _ => {
                    if items.last().is_some_and(|i: &Item| i.lemma != BREAK) {
                        items.push(BREAK_ITEM);
                    }
                }
            }
        }
        items
    }

    /// Encodes many texts, on up to `threads` threads; ids are the same as encoding them
    /// in order on one thread (ids are given in order of first appearance).
    fn encode_all<S: AsRef<str> + Sync>(&mut self, texts: &[S], threads: usize) -> Vec<Vec<Item>> {
        if threads <= 1 || texts.len() < 1000 {
            return texts
                .iter()
                .map(|t| self.encode_normalized(t.as_ref()))
                .collect();
        }
        let per = texts.len().div_ceil(threads);
        let (lemmatizer, reduction) = (self.lemmatizer, self.reduction);
        let parts: Vec<(Vec<Vec<Item>>, Interner, Interner)> = std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(per)
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut local = Encoder::new(lemmatizer, reduction);
                        let docs: Vec<Vec<Item>> = chunk
                            .iter()
                            .map(|t| local.encode_normalized(t.as_ref()))
                            .collect();
                        (docs, local.lemmas, local.surfaces)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let mut out = Vec::with_capacity(texts.len());
        for (docs, lemmas, surfaces) in parts {
            let lemma_map: Vec<u32> = lemmas.names.iter().map(|n| self.intern_lemma(n)).collect();
            let surface_map: Vec<u32> = surfaces
                .names
                .iter()
                .map(|n| self.surfaces.intern(n))
                .collect();
            for mut doc in docs {
                for item in &mut doc {
                    if item.lemma != BREAK {
                        item.lemma = lemma_map[item.lemma as usize];
                        item.surface = surface_map[item.surface as usize];
                    }
                }
                out.push(doc);
            }
        }
        out
    }
}

/// Joins the written forms of a phrase: no space after an elided clitic.
fn join_surface(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() && !out.ends_with('\'') {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// A pair key: first content id, up to two linking ids, last content id.
type PairKey = (u32, u32, u32, u32);

/// Linking lemmas allowed inside a phrase, and articles after them.
const LINKS: &[&str] = &[
    "de", "à", "au", "en", "pour", "sur", "sans", "contre", "par",
];
const ARTICLES: &[&str] = &["le"];

struct PhraseFinder {
    /// phrase sequences (lemma ids) -> phrase lemma id
    table: FxHashMap<Vec<u32>, u32>,
    /// first id -> lengths of phrases starting with it (longest first)
    starts: FxHashMap<u32, Vec<usize>>,
    /// per phrase id: written forms and their counts
    labels: HashMap<u32, HashMap<String, usize>>,
    npmi: HashMap<u32, f64>,
}

impl PhraseFinder {
    fn new() -> Self {
        Self {
            table: FxHashMap::default(),
            starts: FxHashMap::default(),
            labels: HashMap::new(),
            npmi: HashMap::new(),
        }
    }

    fn add(&mut self, seq: Vec<u32>, id: u32) {
        if seq.len() < 2 || self.table.contains_key(&seq) {
            return;
        }
        let lens = self.starts.entry(seq[0]).or_default();
        if !lens.contains(&seq.len()) {
            lens.push(seq.len());
            lens.sort_unstable_by(|a, b| b.cmp(a));
        }
        self.table.insert(seq, id);
    }

    /// Replaces phrase occurrences (longest first) in every document.
    fn rewrite(&mut self, docs: &mut [Vec<Item>], enc: &mut Encoder<'_>) {
        if self.table.is_empty() {
            return;
        }
        // which ids start a phrase: an array look-up per word instead of a hash look-up
        let mut starts = vec![false; enc.lemmas.names.len()];
        for &id in self.starts.keys() {
            if let Some(slot) = starts.get_mut(id as usize) {
                *slot = true;
            }
        }
        for doc in docs.iter_mut() {
            if !doc
                .iter()
                .any(|it| starts.get(it.lemma as usize).copied().unwrap_or(false))
            {
                continue;
            }
            let mut out = Vec::with_capacity(doc.len());
            let mut i = 0;
            while i < doc.len() {
                let item = doc[i];
                let mut matched = false;
                let lens = if starts.get(item.lemma as usize).copied().unwrap_or(false) {
                    self.starts.get(&item.lemma)
                } else {
                    None
                };
                if let Some(lens) = lens {
                    for &len in lens {
                        if i + len > doc.len() {
                            continue;
                        }
                        let mut key = [0u32; 16];
                        if len > key.len() {
                            continue;
                        }
                        for (slot, x) in key.iter_mut().zip(&doc[i..i + len]) {
                            *slot = x.lemma;
                        }
                        if let Some(&pid) = self.table.get(&key[..len]) {
                            let parts: Vec<&str> = doc[i..i + len]
                                .iter()
                                .map(|x| enc.surfaces.name(x.surface))
                                .collect();
                            let label = join_surface(&parts);
                            let surface = enc.surfaces.intern(&label);
                            *self
                                .labels
                                .entry(pid)
                                .or_default()
                                .entry(label)
                                .or_insert(0) += 1;
                            out.push(Item {
                                lemma: pid,
                                surface,
                                stop: false,
                            });
                            i += len;
                            matched = true;
                            break;
                        }
                    }
                }
                if !matched {
                    out.push(item);
                    i += 1;
                }
            }
            *doc = out;
        }
    }
}

fn phrase_id(enc: &mut Encoder<'_>, seq: &[u32]) -> u32 {
    let key = seq
        .iter()
        .map(|&id| enc.lemmas.name(id).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    enc.intern_lemma(&key)
}

/// One statistical pass: counts candidate pairs and returns those accepted, with NPMI.
fn collocations(
    docs: &[Vec<Item>],
    enc: &Encoder<'_>,
    options: &PhraseOptions,
) -> Vec<(Vec<u32>, f64)> {
    let link_ids: Vec<u32> = LINKS
        .iter()
        .filter_map(|l| enc.lemmas.ids.get(*l).copied())
        .collect();
    let article_ids: Vec<u32> = ARTICLES
        .iter()
        .filter_map(|l| enc.lemmas.ids.get(*l).copied())
        .collect();
    let is_content = |it: &Item| {
        !it.stop
            && it.lemma != BREAK
            && !enc.numeric.get(it.lemma as usize).copied().unwrap_or(true)
    };
    let mut unigram: FxHashMap<u32, u64> = FxHashMap::default();
    let mut total: u64 = 0;
    // count, docs, last doc seen
    let mut pairs: FxHashMap<PairKey, (u64, u64, usize)> = FxHashMap::default();
    for (d, doc) in docs.iter().enumerate() {
        for i in 0..doc.len() {
            let a = doc[i];
            if !is_content(&a) {
                continue;
            }
            *unigram.entry(a.lemma).or_insert(0) += 1;
            total += 1;
            let mut candidates: [Option<PairKey>; 3] = [None; 3];
            if let Some(b) = doc.get(i + 1) {
                if is_content(b) {
                    candidates[0] = Some((a.lemma, BREAK, BREAK, b.lemma));
                } else if link_ids.contains(&b.lemma)
                    && let Some(c) = doc.get(i + 2)
                {
                    if is_content(c) {
                        candidates[1] = Some((a.lemma, b.lemma, BREAK, c.lemma));
                    } else if article_ids.contains(&c.lemma)
                        && let Some(e) = doc.get(i + 3).filter(|e| is_content(e))
                    {
                        candidates[2] = Some((a.lemma, b.lemma, c.lemma, e.lemma));
                    }
                }
            }
            for key in candidates.into_iter().flatten() {
                let entry = pairs.entry(key).or_insert((0, 0, usize::MAX));
                entry.0 += 1;
                if entry.2 != d {
                    entry.1 += 1;
                    entry.2 = d;
                }
            }
        }
    }
    if total == 0 {
        return Vec::new();
    }
    let n = total as f64;
    let mut accepted: Vec<(Vec<u32>, f64)> = Vec::new();
    for (key, (count, ndocs, _)) in pairs {
        if (count as usize) < options.min_count || (ndocs as usize) < options.min_docs {
            continue;
        }
        let ca = unigram.get(&key.0).copied().unwrap_or(0) as f64;
        let cb = unigram.get(&key.3).copied().unwrap_or(0) as f64;
        if ca == 0.0 || cb == 0.0 {
            continue;
        }
        let pab = count as f64 / n;
        let npmi = (pab / ((ca / n) * (cb / n))).ln() / -pab.ln();
        if npmi >= options.min_npmi {
            let seq: Vec<u32> = [key.0, key.1, key.2, key.3]
                .into_iter()
                .filter(|&x| x != BREAK)
                .collect();
            accepted.push((seq, npmi));
        }
    }
    accepted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    accepted
}

/// Builds the features of a set of answers.
///
/// # Errors
/// [`TextError::InvalidOption`] for out-of-range options.
pub fn build_corpus<S: AsRef<str>>(
    texts: &[S],
    lemmatizer: &Lemmatizer,
    options: &FeatureOptions,
) -> Result<Corpus, TextError> {
    build_corpus_with_template(texts, lemmatizer, options, None)
}

/// Like [`build_corpus`], with template lines found beforehand (on whole answers, when
/// the texts given are items cut out of them); `None` finds them in `texts`.
///
/// # Errors
/// [`TextError::InvalidOption`] for out-of-range options.
pub fn build_corpus_with_template<S: AsRef<str>>(
    texts: &[S],
    lemmatizer: &Lemmatizer,
    options: &FeatureOptions,
    template: Option<Vec<(String, usize)>>,
) -> Result<Corpus, TextError> {
    if !(options.max_df_fraction > 0.0 && options.max_df_fraction <= 1.0) {
        return Err(TextError::InvalidOption {
            option: "max_df_fraction".into(),
            message: format!("{} is not in (0, 1]", options.max_df_fraction),
        });
    }
    if options.max_features == 0 {
        return Err(TextError::InvalidOption {
            option: "max_features".into(),
            message: "must be at least 1".into(),
        });
    }
    let mut enc = Encoder::new(lemmatizer, options.reduction);
    let normalized: Vec<String> = normalize_all(texts, options.threads);
    let boilerplate = template.unwrap_or_else(|| template_lines(&normalized, options));
    let kept_texts = strip_template(&normalized, &boilerplate);
    let mut docs: Vec<Vec<Item>> = enc.encode_all(&kept_texts, options.threads);
    drop(kept_texts);
    drop(normalized);

    let mut finder = PhraseFinder::new();
    if options.phrases.enabled {
        // pass 0: seeds
        for seed in &options.phrases.seeds {
            // seeds are noun phrases: lemmatise them after an article, as in running text
            let items = enc.encode(&format!("les {seed}"));
            if items.iter().skip(1).any(|i| i.lemma == BREAK) {
                continue;
            }
            let seq: Vec<u32> = items.iter().skip(1).map(|i| i.lemma).collect();
            if seq.len() >= 2 {
                let id = phrase_id(&mut enc, &seq);
                finder.add(seq, id);
            }
        }
        finder.rewrite(&mut docs, &mut enc);
        // passes 1 and 2: statistics
        for _ in 0..2 {
            let accepted = collocations(&docs, &enc, &options.phrases);
            let mut pass = PhraseFinder::new();
            for (seq, npmi) in accepted {
                let id = phrase_id(&mut enc, &seq);
                finder.npmi.insert(id, npmi);
                pass.add(seq, id);
            }
            pass.rewrite(&mut docs, &mut enc);
            for (id, labels) in pass.labels {
                let entry = finder.labels.entry(id).or_default();
                for (label, count) in labels {
                    *entry.entry(label).or_insert(0) += count;
                }
            }
        }
    }
    let best_label = |labels: &HashMap<String, usize>| {
        labels
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(l, _)| l.clone())
    };

    // document frequencies of candidate features
    let n_docs = docs.len();
    let is_feature = |it: &Item| {
        !it.stop
            && it.lemma != BREAK
            && !enc.numeric.get(it.lemma as usize).copied().unwrap_or(true)
            && enc
                .lemmas
                .name(it.lemma)
                .chars()
                .filter(|c| c.is_alphabetic())
                .count()
                >= 2
    };
    let mut df: FxHashMap<u32, usize> = FxHashMap::default();
    let mut doc_terms: Vec<Vec<(u32, u32)>> = Vec::with_capacity(n_docs);
    for doc in &docs {
        let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
        for it in doc.iter().filter(|it| is_feature(it)) {
            *counts.entry(it.lemma).or_insert(0) += 1;
        }
        for &id in counts.keys() {
            *df.entry(id).or_insert(0) += 1;
        }
        let mut terms: Vec<(u32, u32)> = counts.into_iter().collect();
        terms.sort_unstable();
        doc_terms.push(terms);
    }
    let min_df = if options.min_df == 0 {
        3usize.max(n_docs / 1000)
    } else {
        options.min_df
    };
    let max_df = ((options.max_df_fraction * n_docs as f64).floor() as usize).max(1);
    let mut kept: Vec<(u32, usize)> = df
        .into_iter()
        .filter(|&(_, d)| d >= min_df && d <= max_df)
        .collect();
    kept.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| enc.lemmas.name(a.0).cmp(enc.lemmas.name(b.0)))
    });
    kept.truncate(options.max_features);
    kept.sort_by(|a, b| enc.lemmas.name(a.0).cmp(enc.lemmas.name(b.0)));
    let column: FxHashMap<u32, u32> = kept
        .iter()
        .enumerate()
        .map(|(c, &(id, _))| (id, u32::try_from(c).unwrap_or(BREAK)))
        .collect();
    let features: Vec<Feature> = kept
        .iter()
        .map(|&(id, d)| {
            let key = enc.lemmas.name(id).to_string();
            let labels = finder.labels.get(&id);
            let phrase = labels.is_some();
            let label = labels.and_then(best_label).unwrap_or_else(|| key.clone());
            Feature {
                key,
                label,
                phrase,
                df: d,
            }
        })
        .collect();

    let mut counts = SparseMatrix {
        n_rows: n_docs,
        n_cols: features.len(),
        indptr: vec![0],
        ..Default::default()
    };
    for terms in &doc_terms {
        let mut row: Vec<(u32, f64)> = terms
            .iter()
            .filter_map(|(id, c)| column.get(id).map(|&col| (col, f64::from(*c))))
            .collect();
        row.sort_unstable_by_key(|&(c, _)| c);
        for (c, v) in row {
            counts.indices.push(c);
            counts.values.push(v);
        }
        counts.indptr.push(counts.indices.len());
    }
    let tfidf = tfidf(&counts, &features, n_docs, options.sublinear_tf);

    let mut phrases: Vec<Phrase> = finder
        .labels
        .iter()
        .map(|(id, labels)| Phrase {
            key: enc.lemmas.name(*id).to_string(),
            label: best_label(labels).unwrap_or_default(),
            count: labels.values().sum(),
            npmi: finder.npmi.get(id).copied(),
        })
        .collect();
    phrases.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    Ok(Corpus {
        n_docs,
        features,
        counts,
        tfidf,
        phrases,
        min_df,
        boilerplate,
    })
}

/// The key of a line for template detection: its words, folded, without numbers.
fn line_key(line: &str) -> Option<String> {
    // six words at least: a repeated short demand ("Rétablissement de l'ISF") is content
    let words = line
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .count();
    if words < 6 {
        return None;
    }
    let mut key = String::with_capacity(line.len());
    for word in line
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    Some(key)
}

/// Normalises texts on up to `threads` threads.
fn normalize_all<S: AsRef<str>>(texts: &[S], threads: usize) -> Vec<String> {
    if threads <= 1 || texts.len() < 1000 {
        return texts.iter().map(|t| normalize(t.as_ref())).collect();
    }
    let per = texts.len().div_ceil(threads);
    let refs: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = refs
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|t| normalize(t)).collect::<Vec<String>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Template lines (see [`FeatureOptions::boilerplate_fraction`]) of a set of answers: the
/// key of each line found in enough of them, with its count, most frequent first.
#[must_use]
pub fn template_lines<S: AsRef<str>>(
    texts: &[S],
    options: &FeatureOptions,
) -> Vec<(String, usize)> {
    if options.boilerplate_fraction <= 0.0 {
        return Vec::new();
    }
    // line key -> (answers holding it, last answer seen)
    let mut df: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    for (doc, text) in texts.iter().enumerate() {
        // an answer that is a single line is content, however many give it word for word
        if text
            .as_ref()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .nth(1)
            .is_none()
        {
            continue;
        }
        // keys only use letters, folded: no need to normalise the whole text first
        for key in text.as_ref().lines().filter_map(line_key) {
            let entry = df.entry(key).or_insert((0, usize::MAX));
            if entry.1 != doc {
                entry.0 += 1;
                entry.1 = doc;
            }
        }
    }
    let threshold = ((options.boilerplate_fraction * texts.len() as f64).ceil() as usize)
        .max(options.boilerplate_min_docs)
        .max(2);
    let mut template: Vec<(String, usize)> = df
        .into_iter()
        .filter(|&(_, (d, _))| d >= threshold)
        .map(|(k, (d, _))| (k, d))
        .collect();
    template.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    template
}

/// Removes template lines from normalised texts (a removed line leaves its line break, so
/// that the items around it stay apart).
fn strip_template<'a>(
    texts: &'a [String],
    template: &[(String, usize)],
) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    if template.is_empty() {
        return texts.iter().map(|t| Cow::Borrowed(t.as_str())).collect();
    }
    let keys: crate::fxhash::FxHashSet<&str> = template.iter().map(|(k, _)| k.as_str()).collect();
    // cheap first test: the line's first word must start some template line
    let first_words: crate::fxhash::FxHashSet<&str> = template
        .iter()
        .filter_map(|(k, _)| k.split(' ').next())
        .collect();
    let is_template = |line: &str| {
        let first = line
            .split(|c: char| !c.is_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or("");
        first_words.contains(crate::normalize::fold_case(first).as_str())
            && line_key(line).is_some_and(|k| keys.contains(k.as_str()))
    };
    texts
        .iter()
        .map(|text| {
            let flags: Vec<bool> = text.lines().map(is_template).collect();
            if !flags.contains(&true) {
                return Cow::Borrowed(text.as_str());
            }
            let mut out = String::with_capacity(text.len());
            for (line, template) in text.lines().zip(flags) {
                if !template {
                    out.push_str(line);
                }
                out.push('\n');
            }
            Cow::Owned(out)
        })
        .collect()
}

/// TF-IDF with scikit-learn's smooth idf and l2 rows.
fn tfidf(
    counts: &SparseMatrix,
    features: &[Feature],
    n_docs: usize,
    sublinear: bool,
) -> SparseMatrix {
    let n = n_docs as f64;
    let idf: Vec<f64> = features
        .iter()
        .map(|f| ((1.0 + n) / (1.0 + f.df as f64)).ln() + 1.0)
        .collect();
    let mut out = counts.clone();
    for i in 0..out.n_rows {
        let (a, b) = (out.indptr[i], out.indptr[i + 1]);
        let mut norm = 0.0;
        for k in a..b {
            let tf = out.values[k];
            let tf = if sublinear { 1.0 + tf.ln() } else { tf };
            let v = tf * idf[out.indices[k] as usize];
            out.values[k] = v;
            norm += v * v;
        }
        if norm > 0.0 {
            let norm = norm.sqrt();
            for v in &mut out.values[a..b] {
                *v /= norm;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(texts: &[&str], options: &FeatureOptions) -> Corpus {
        let lem = Lemmatizer::french().expect("tables");
        build_corpus(texts, lem, options).expect("corpus")
    }

    fn small_options() -> FeatureOptions {
        FeatureOptions {
            min_df: 1,
            max_df_fraction: 1.0,
            boilerplate_fraction: 0.0,
            ..FeatureOptions::default()
        }
    }

    #[test]
    fn seeds_are_joined_with_their_written_form() {
        let c = corpus(
            &[
                "Notre pouvoir d’achat baisse",
                "Le pouvoir d'achat des retraités",
                "Les services publics ferment",
            ],
            &small_options(),
        );
        let f = c
            .features
            .iter()
            .find(|f| f.key == "pouvoir de achat")
            .expect("phrase feature");
        assert!(f.phrase);
        assert_eq!(f.label, "pouvoir d'achat");
        assert_eq!(f.df, 2);
        let s = c
            .features
            .iter()
            .find(|f| f.key == "service public")
            .expect("services publics");
        assert_eq!(s.label, "services publics");
        // the words of a joined phrase are not counted again on their own
        assert!(!c.features.iter().any(|f| f.key == "achat"));
    }

    #[test]
    fn collocations_are_found_by_statistics() {
        let mut texts = Vec::new();
        for i in 0..8 {
            texts.push(format!("la carte grise coûte cher {i}"));
            texts.push(format!("une grise matinée et un chien {i}"));
            texts.push(format!("la carte du restaurant et le chat {i}"));
            texts.push(format!("le pain et le vin et le fromage {i}"));
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let c = corpus(&refs, &small_options());
        let phrase = c
            .phrases
            .iter()
            .find(|p| p.key == "carte gris")
            .expect("carte grise");
        assert_eq!(phrase.label, "carte grise");
        assert_eq!(phrase.count, 8);
        assert!(phrase.npmi.is_some_and(|v| v >= 0.4));
        assert!(
            !c.phrases.iter().any(|p| p.key.contains("vin")),
            "{:?}",
            c.phrases
        );
    }

    #[test]
    fn phrases_do_not_cross_punctuation() {
        let texts: Vec<String> = (0..10).map(|i| format!("carte. Grise {i}")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let c = corpus(&refs, &small_options());
        assert!(c.phrases.is_empty(), "{:?}", c.phrases);
    }

    #[test]
    fn tfidf_matches_scikit_learn_formula() {
        let c = corpus(
            &["impôt impôt retraite", "retraite santé", "santé école"],
            &small_options(),
        );
        let col = |k: &str| c.features.iter().position(|f| f.key == k).expect(k);
        let (cols, vals) = c.tfidf.row(0);
        let n: f64 = 3.0;
        let idf = |df: f64| ((1.0 + n) / (1.0 + df)).ln() + 1.0;
        let a = (1.0 + 2f64.ln()) * idf(1.0);
        let b = idf(2.0);
        let norm = (a * a + b * b).sqrt();
        let get = |k: &str| {
            cols.iter()
                .position(|&j| j as usize == col(k))
                .map(|p| vals[p])
        };
        assert!((get("impôt").unwrap_or(0.0) - a / norm).abs() < 1e-12);
        assert!((get("retraite").unwrap_or(0.0) - b / norm).abs() < 1e-12);
    }

    #[test]
    fn stop_words_numbers_and_markers_are_not_features() {
        let c = corpus(
            &["[Prénom Nom] Nous avons 2019 euros de plus et l'État"],
            &small_options(),
        );
        let keys: Vec<&str> = c.features.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["euro", "état"]);
    }

    #[test]
    fn document_frequency_bounds_prune() {
        let texts = ["impôt santé", "impôt école", "impôt route", "santé"];
        let opts = FeatureOptions {
            min_df: 2,
            max_df_fraction: 0.6,
            ..FeatureOptions::default()
        };
        let c = corpus(&texts, &opts);
        let keys: Vec<&str> = c.features.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["santé"]);
        assert_eq!(c.usable_docs(), 2);
    }

    #[test]
    fn template_lines_are_dropped() {
        let mut texts: Vec<String> =
            (0..20).map(|i| format!("Réponse {i} sur la santé\nCahiers de doléances citoyens de Charente, édition {i}")).collect();
        texts.push("Cahiers de doléances citoyens de Charente à lire ? non : la santé".into());
        let opts = FeatureOptions {
            boilerplate_fraction: 0.02,
            ..small_options()
        };
        let c = corpus(&texts.iter().map(String::as_str).collect::<Vec<_>>(), &opts);
        assert_eq!(
            c.boilerplate.first().map(|b| (b.0.as_str(), b.1)),
            Some(("cahiers de doléances citoyens de charente édition", 20))
        );
        assert!(!c.features.iter().any(|f| f.key == "édition"));
        // a line that merely shares words with the template is kept
        assert!(c.features.iter().any(|f| f.key == "lire"));
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let subjects = [
            "impôts et taxes trop lourds",
            "manque de médecins à l'hôpital",
            "prix du carburant et des trains",
        ];
        let texts: Vec<String> = (0..1500)
            .map(|i| format!("{} numéro {}", subjects[i % 3], i % 7))
            .collect();
        let lem = Lemmatizer::french().expect("tables");
        let one = build_corpus(
            &texts,
            lem,
            &FeatureOptions {
                threads: 1,
                ..small_options()
            },
        )
        .expect("one");
        let two = build_corpus(
            &texts,
            lem,
            &FeatureOptions {
                threads: 3,
                ..small_options()
            },
        )
        .expect("two");
        assert_eq!(one.features, two.features);
        assert_eq!(one.counts, two.counts);
        assert_eq!(one.phrases, two.phrases);
    }

    #[test]
    fn identical_one_line_answers_are_not_template() {
        let texts: Vec<String> = (0..30)
            .map(|_| "Baisser les impôts et la TVA sur les produits".to_string())
            .collect();
        let opts = FeatureOptions {
            boilerplate_fraction: 0.02,
            ..small_options()
        };
        let c = corpus(&texts.iter().map(String::as_str).collect::<Vec<_>>(), &opts);
        assert!(c.boilerplate.is_empty());
        assert!(c.features.iter().any(|f| f.key == "impôt"));
    }

    #[test]
    fn transpose_round_trips() {
        let c = corpus(
            &["impôt santé école", "santé route", "impôt"],
            &small_options(),
        );
        let t = c.counts.transpose();
        assert_eq!(t.transpose(), c.counts);
        assert_eq!(t.nnz(), c.counts.nnz());
    }
}
