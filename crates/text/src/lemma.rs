//! French lemmas (default) and Snowball stems: reducing inflected forms to one feature.
//!
//! The lemmatiser replays spaCy's rule-based French lemmatiser (index of known lemmas,
//! table of irregular forms, suffix rules, per part of speech) on tables taken from the MIT
//! package `spacy-lookups-data` (see `data/PROVENANCE.md`), shipped compressed in the crate.
//! spaCy picks the part of speech with a statistical tagger; we have none, so the part of
//! speech is guessed from the previous word (after a subject pronoun or an auxiliary: verb;
//! after a determiner or a preposition: noun or adjective) and otherwise by the order
//! adjective, noun, verb among the readings the tables know. Closed-class words (articles,
//! pronouns, prepositions, auxiliaries) come from a fixed table. Capitalised words inside a
//! sentence are taken as proper nouns and kept as they are (folded).
//!
//! Agreement with spaCy's `fr_core_news_sm` on the Charente-Maritime notebooks is measured by
//! `bench/text/run.sh` (figures in `bench/README.md`).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::token::{Token, TokenKind};

/// The compressed lemma tables (built by `data/build_lemmas.py`).
const FRENCH_TABLES: &[u8] = include_bytes!("../data/fr_lemmas.txt.gz");

/// How words are reduced to features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// Lemmas from the lemma tables (default): `retraités` → `retraité`, `ont` → `avoir`.
    #[default]
    Lemma,
    /// Snowball French stems: `retraités` → `retrait`. Cruder (it merges `marché` with
    /// `marcher`) but needs no tables.
    Stem,
    /// The folded word itself.
    Surface,
}

/// Parts of speech the tables distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pos {
    /// Common noun.
    Noun,
    /// Adjective.
    Adj,
    /// Verb.
    Verb,
    /// Adverb.
    Adv,
    /// Preposition.
    Adp,
    /// Auxiliary.
    Aux,
    /// Coordinating conjunction.
    Cconj,
    /// Determiner.
    Det,
    /// Pronoun.
    Pron,
    /// Subordinating conjunction.
    Sconj,
}

impl Pos {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "noun" => Self::Noun,
            "adj" => Self::Adj,
            "verb" => Self::Verb,
            "adv" => Self::Adv,
            "adp" => Self::Adp,
            "aux" => Self::Aux,
            "cconj" => Self::Cconj,
            "det" => Self::Det,
            "pron" => Self::Pron,
            "sconj" => Self::Sconj,
            _ => return None,
        })
    }
}

/// Words after which the next word is read as a verb.
const VERB_CONTEXT: &[&str] = &[
    "je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ne", "n", "se", "s",
    "me", "m", "te", "t", "y", "qui", "lui", "leur",
];

/// Auxiliary forms: the next word is read as a participle (verb).
const AUX_CONTEXT: &[&str] = &[
    "ai", "as", "a", "avons", "avez", "ont", "avais", "avait", "avions", "aviez", "avaient",
    "aurai", "aura", "aurons", "aurez", "auront", "aurait", "auraient", "eu", "suis", "es", "est",
    "sommes", "êtes", "sont", "était", "étaient", "sera", "seront", "serait", "seraient", "été",
    "être", "avoir", "soit", "soient",
];

/// Determiners and prepositions: the next word is read as a noun or adjective.
const NOMINAL_CONTEXT: &[&str] = &[
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "au",
    "aux",
    "ce",
    "cet",
    "cette",
    "ces",
    "mon",
    "ma",
    "mes",
    "ton",
    "ta",
    "tes",
    "son",
    "sa",
    "ses",
    "notre",
    "nos",
    "votre",
    "vos",
    "leurs",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "chaque",
    "plusieurs",
    "certains",
    "certaines",
    "tout",
    "toute",
    "tous",
    "toutes",
    "aucun",
    "aucune",
    "nul",
    "nulle",
    "à",
    "pour",
    "par",
    "sur",
    "dans",
    "avec",
    "sans",
    "vers",
    "chez",
    "contre",
    "entre",
    "sous",
];

/// Verb rule endings that, without context, do not outweigh a noun reading.
const WEAK_VERB_ENDINGS: &[&str] = &["es", "as", "a", "ai", "ais", "âmes", "âtes"];

/// Determiners: the next word is read as a noun.
const DETERMINERS: &[&str] = &[
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "au",
    "aux",
    "ce",
    "cet",
    "cette",
    "ces",
    "mon",
    "ma",
    "mes",
    "ton",
    "ta",
    "tes",
    "son",
    "sa",
    "ses",
    "notre",
    "nos",
    "votre",
    "vos",
    "leurs",
    "chaque",
    "plusieurs",
];

/// Closed-class words mapped to themselves.
const SELF_FUNCTION_WORDS: &[&str] = &[
    "de",
    "à",
    "et",
    "pour",
    "en",
    "qui",
    "que",
    "un",
    "sur",
    "dans",
    "par",
    "il",
    "au",
    "je",
    "ou",
    "nous",
    "avec",
    "on",
    "mais",
    "vous",
    "ce",
    "sans",
    "y",
    "comme",
    "si",
    "le",
    "car",
    "rien",
    "depuis",
    "contre",
    "où",
    "quand",
    "dont",
    "après",
    "me",
    "chaque",
    "avant",
    "ni",
    "moi",
    "selon",
    "chez",
    "vers",
    "plusieurs",
    "aucun",
    "lui",
    "tu",
    "te",
    "toi",
    "ne",
    "pas",
];

/// Closed-class words whose lemma the tables get wrong or leave ambiguous.
const FUNCTION_OVERRIDES: &[(&str, &str)] = &[
    ("des", "de"),
    ("du", "de"),
    ("leur", "leur"),
    ("cela", "cela"),
    ("ça", "cela"),
    ("elle", "elle"),
    ("elles", "elle"),
    ("eux", "eux"),
    ("lui", "lui"),
    ("entre", "entre"),
    ("sous", "sous"),
    ("été", "être"),
    ("a", "avoir"),
    ("n'", "ne"),
    ("l'", "le"),
    ("d'", "de"),
    ("qu'", "que"),
    ("j'", "je"),
    ("s'", "se"),
    ("c'", "ce"),
    ("m'", "me"),
    ("t'", "te"),
    ("jusqu'", "jusque"),
    ("lorsqu'", "lorsque"),
    ("puisqu'", "puisque"),
    ("quoiqu'", "quoique"),
];

/// French lemma tables with the context heuristics described in the module documentation.
pub struct Lemmatizer {
    rules: HashMap<Pos, Vec<(String, String)>>,
    index: HashMap<Pos, HashSet<String>>,
    exceptions: HashMap<Pos, HashMap<String, String>>,
    lookup: HashMap<String, String>,
    function_words: HashMap<String, String>,
    stemmer: rust_stemmers::Stemmer,
}

impl std::fmt::Debug for Lemmatizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lemmatizer")
            .field("forms", &self.len())
            .finish_non_exhaustive()
    }
}

static FRENCH: OnceLock<Result<Lemmatizer, TextError>> = OnceLock::new();

impl Lemmatizer {
    /// The French lemmatiser built from the tables shipped in the crate (parsed once).
    ///
    /// # Errors
    /// [`TextError::LemmaTable`] if the embedded tables are corrupt (a test guards this).
    pub fn french() -> Result<&'static Lemmatizer, TextError> {
        FRENCH
            .get_or_init(|| Self::from_reader(flate2::read::GzDecoder::new(FRENCH_TABLES)))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads tables in the format written by `data/build_lemmas.py` (uncompressed).
    ///
    /// # Errors
    /// [`TextError::LemmaTable`] naming the line that could not be read.
    pub fn from_reader(reader: impl Read) -> Result<Self, TextError> {
        let mut rules: HashMap<Pos, Vec<(String, String)>> = HashMap::new();
        let mut index: HashMap<Pos, HashSet<String>> = HashMap::new();
        let mut exceptions: HashMap<Pos, HashMap<String, String>> = HashMap::new();
        let mut lookup = HashMap::new();
        #[derive(Clone, Copy)]
        enum Section {
            None,
            Rules(Pos),
            Index(Pos),
            Exc(Pos),
            Lookup,
        }
        let mut section = Section::None;
        for (n, line) in BufReader::new(reader).lines().enumerate() {
            let line_no = n + 1;
            let bad = |message: &str| TextError::LemmaTable {
                line: line_no,
                message: message.to_string(),
            };
            let line = line.map_err(|e| bad(&e.to_string()))?;
            if line.is_empty() {
                continue;
            }
            if let Some(header) = line.strip_prefix('#') {
                let (kind, pos) = header
                    .split_once(' ')
                    .ok_or_else(|| bad("section header without part of speech"))?;
                section = match kind {
                    "lookup" => Section::Lookup,
                    _ => {
                        let pos = Pos::parse(pos).ok_or_else(|| bad("unknown part of speech"))?;
                        match kind {
                            "rules" => Section::Rules(pos),
                            "index" => Section::Index(pos),
                            "exc" => Section::Exc(pos),
                            _ => return Err(bad("unknown section")),
                        }
                    }
                };
                continue;
            }
            match section {
                Section::None => return Err(bad("entry before any section header")),
                Section::Rules(pos) => {
                    let (old, new) = line
                        .split_once('\t')
                        .ok_or_else(|| bad("rule without a tab"))?;
                    rules
                        .entry(pos)
                        .or_default()
                        .push((old.to_string(), new.to_string()));
                }
                Section::Index(pos) => {
                    index.entry(pos).or_default().insert(line);
                }
                Section::Exc(pos) => {
                    let (form, lemma) = parse_entry(&line)
                        .ok_or_else(|| bad("entry without a tab or malformed edit"))?;
                    exceptions.entry(pos).or_default().insert(form, lemma);
                }
                Section::Lookup => {
                    let (form, lemma) = parse_entry(&line)
                        .ok_or_else(|| bad("entry without a tab or malformed edit"))?;
                    lookup.insert(form, lemma);
                }
            }
        }
        let mut function_words: HashMap<String, String> = HashMap::new();
        for pos in [
            Pos::Det,
            Pos::Pron,
            Pos::Adp,
            Pos::Aux,
            Pos::Cconj,
            Pos::Sconj,
        ] {
            if let Some(table) = exceptions.get(&pos) {
                for (form, lemma) in table {
                    function_words
                        .entry(form.clone())
                        .or_insert_with(|| lemma.clone());
                }
            }
        }
        for word in SELF_FUNCTION_WORDS {
            function_words
                .entry((*word).to_string())
                .or_insert_with(|| (*word).to_string());
        }
        for (form, lemma) in FUNCTION_OVERRIDES {
            function_words.insert((*form).to_string(), (*lemma).to_string());
        }
        Ok(Self {
            rules,
            index,
            exceptions,
            lookup,
            function_words,
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::French),
        })
    }

    /// Number of distinct forms the tables know (index, exceptions and lookup).
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.values().map(HashSet::len).sum::<usize>()
            + self.exceptions.values().map(HashMap::len).sum::<usize>()
            + self.lookup.len()
    }

    /// True when no table was loaded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// spaCy's rule lemmatisation of a folded form read as `pos`; the flag says whether the
    /// lemma was found in the tables (index, exceptions, or a rule leading to a known lemma).
    #[must_use]
    pub fn lemma_as(&self, form: &str, pos: Pos) -> (String, bool) {
        let (lemma, known, _) = self.lemma_with_rule(form, pos);
        (lemma, known)
    }

    /// Like [`Self::lemma_as`], also returning the suffix of the rule used, if any.
    fn lemma_with_rule(&self, form: &str, pos: Pos) -> (String, bool, Option<&str>) {
        let index = self.index.get(&pos);
        let in_index = |s: &str| index.is_some_and(|i| i.contains(s));
        if in_index(form) {
            return (form.to_string(), true, None);
        }
        if let Some(lemma) = self.exceptions.get(&pos).and_then(|e| e.get(form)) {
            return (lemma.clone(), true, None);
        }
        let mut oov: Option<String> = None;
        if let Some(rules) = self.rules.get(&pos) {
            for (old, new) in rules {
                if let Some(stem) = form.strip_suffix(old.as_str()) {
                    let candidate = format!("{stem}{new}");
                    if candidate.is_empty() {
                        continue;
                    }
                    if in_index(&candidate) || !candidate.chars().all(char::is_alphabetic) {
                        return (candidate, true, Some(old.as_str()));
                    }
                    if oov.is_none() {
                        oov = Some(candidate);
                    }
                }
            }
        }
        match oov {
            Some(candidate) => (candidate, false, None),
            None => (
                self.lookup
                    .get(form)
                    .cloned()
                    .unwrap_or_else(|| form.to_string()),
                false,
                None,
            ),
        }
    }

    /// True when `form` (folded) is a closed-class word of the tables (article, pronoun,
    /// preposition, conjunction, auxiliary).
    #[must_use]
    pub fn is_function_word(&self, form: &str) -> bool {
        self.function_words.contains_key(form)
    }

    /// True when `form` (folded) is a known common noun, adjective or adverb lemma, or a
    /// closed-class word: used to tell a surname from an ordinary capitalised word.
    #[must_use]
    pub fn is_common_word(&self, form: &str) -> bool {
        self.function_words.contains_key(form)
            || [Pos::Noun, Pos::Adj, Pos::Adv]
                .iter()
                .any(|p| self.index.get(p).is_some_and(|i| i.contains(form)))
            || [Pos::Noun, Pos::Adj]
                .iter()
                .any(|p| self.exceptions.get(p).is_some_and(|e| e.contains_key(form)))
    }

    /// True when the tables know `form` under any part of speech.
    #[must_use]
    pub fn knows(&self, form: &str) -> bool {
        self.function_words.contains_key(form)
            || self.lookup.contains_key(form)
            || self.index.values().any(|i| i.contains(form))
            || self.exceptions.values().any(|e| e.contains_key(form))
    }

    /// The Snowball French stem of a folded word.
    #[must_use]
    pub fn stem(&self, form: &str) -> String {
        self.stemmer.stem(form).into_owned()
    }

    /// Reduces every token of a tokenised text; non-lexical tokens keep their text.
    #[must_use]
    pub fn reduce(&self, tokens: &[Token], reduction: Reduction) -> Vec<String> {
        match reduction {
            Reduction::Lemma => self.lemmatize(tokens),
            Reduction::Stem => tokens
                .iter()
                .map(|t| {
                    if t.kind == TokenKind::Word {
                        self.stem(&t.text)
                    } else {
                        t.text.clone()
                    }
                })
                .collect(),
            Reduction::Surface => tokens.iter().map(|t| t.text.clone()).collect(),
        }
    }

    /// Lemmatises every token of a tokenised text (non-lexical tokens keep their text).
    #[must_use]
    pub fn lemmatize(&self, tokens: &[Token]) -> Vec<String> {
        let mut out = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            let prev = if i > 0 { tokens.get(i - 1) } else { None };
            out.push(self.lemma_in_context(token, prev));
        }
        out
    }

    /// The lemma of one token given the token before it.
    #[must_use]
    pub fn lemma_in_context(&self, token: &Token, prev: Option<&Token>) -> String {
        match token.kind {
            TokenKind::Word | TokenKind::Elided => {
                self.lemma_with_context(&token.text, Context::of(token, prev))
            }
            _ => token.text.clone(),
        }
    }

    /// The lemma of a folded word in a context (see [`Context::of`]).
    #[must_use]
    pub fn lemma_with_context(&self, form: &str, context: Context) -> String {
        if let Some(lemma) = self.function_words.get(form) {
            return lemma.clone();
        }
        if context == Context::ProperNoun {
            // a capitalised word inside a sentence: a proper noun, kept as it is
            return form.to_string();
        }
        if self.index.get(&Pos::Adv).is_some_and(|i| i.contains(form)) {
            return form.to_string();
        }
        let noun = self.lemma_as(form, Pos::Noun);
        let adj = self.lemma_as(form, Pos::Adj);
        let (verb_lemma, verb_known, verb_rule) = self.lemma_with_rule(form, Pos::Verb);
        // second-person and past-historic endings (`routes` → *router*, `caméra` →
        // *camérer*) are rare in answers: without context such a reading is only a guess
        let weak = verb_rule.is_some_and(|r| WEAK_VERB_ENDINGS.contains(&r));
        let verb = (verb_lemma, verb_known && !weak);
        match context {
            Context::Verbal if verb.1 => return verb.0,
            // after a determiner spaCy's tagger says noun; its rules then give the
            // suffix-stripped form even when the lemma is not in the index
            Context::Determiner => return noun.0,
            Context::Preposition => return if noun.1 || !adj.1 { noun.0 } else { adj.0 },
            _ => {}
        }
        // no telling context: a form that is itself a noun or adjective lemma stays as it
        // is (`bus` the noun, not `boire`'s participle)
        if [Pos::Noun, Pos::Adj]
            .iter()
            .any(|p| self.index.get(p).is_some_and(|i| i.contains(form)))
        {
            return form.to_string();
        }
        for (lemma, known) in [adj, noun, verb] {
            if known {
                return lemma;
            }
        }
        self.lookup
            .get(form)
            .cloned()
            .unwrap_or_else(|| form.to_string())
    }
}

/// What a word's lemma depends on besides the word itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Capitalised inside a sentence: a proper noun.
    ProperNoun,
    /// After a subject pronoun, a clitic or an auxiliary: a verb.
    Verbal,
    /// After a determiner: a noun.
    Determiner,
    /// After a preposition: a noun or an adjective.
    Preposition,
    /// Nothing telling.
    None,
}

impl Context {
    /// The context of `token` given the token before it.
    #[must_use]
    pub fn of(token: &Token, prev: Option<&Token>) -> Self {
        if token.capitalized && !token.sentence_start && !token.all_caps {
            return Self::ProperNoun;
        }
        let Some(p) = prev
            .filter(|p| p.is_lexical())
            .map(|p| p.text.trim_end_matches('\''))
        else {
            return Self::None;
        };
        context_words().get(p).copied().unwrap_or(Self::None)
    }
}

static CONTEXT_WORDS: OnceLock<crate::fxhash::FxHashMap<&'static str, Context>> = OnceLock::new();

/// The context each telling previous word sets (one lookup instead of four list scans).
fn context_words() -> &'static crate::fxhash::FxHashMap<&'static str, Context> {
    CONTEXT_WORDS.get_or_init(|| {
        let mut map = crate::fxhash::FxHashMap::default();
        // later lists do not override earlier ones: the order is the precedence
        for (words, context) in [
            (VERB_CONTEXT, Context::Verbal),
            (AUX_CONTEXT, Context::Verbal),
            (DETERMINERS, Context::Determiner),
            (NOMINAL_CONTEXT, Context::Preposition),
        ] {
            for w in words {
                map.entry(*w).or_insert(context);
            }
        }
        map
    })
}

/// Reads `form<TAB>edit`.
fn parse_entry(line: &str) -> Option<(String, String)> {
    let (form, edit) = line.split_once('\t')?;
    Some((form.to_string(), apply_edit(form, edit)?))
}

/// Applies an edit `<n><suffix>`: drop the last n characters, append the suffix.
fn apply_edit(form: &str, edit: &str) -> Option<String> {
    let digits = edit.chars().take_while(char::is_ascii_digit).count();
    let drop: usize = edit.get(..digits)?.parse().ok()?;
    let suffix = edit.get(digits..)?;
    let keep = form.chars().count().checked_sub(drop)?;
    let mut lemma: String = form.chars().take(keep).collect();
    lemma.push_str(suffix);
    Some(lemma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use crate::token::tokenize;

    fn lemmas(text: &str) -> Vec<String> {
        let lem = Lemmatizer::french().expect("embedded tables load");
        let toks = tokenize(&normalize(text));
        let lemmas = lem.lemmatize(&toks);
        toks.iter()
            .zip(lemmas)
            .filter(|(t, _)| t.is_lexical())
            .map(|(_, l)| l)
            .collect()
    }

    #[test]
    fn embedded_tables_load_and_are_large() {
        let lem = Lemmatizer::french().expect("embedded tables load");
        assert!(lem.len() > 200_000, "{} forms", lem.len());
    }

    #[test]
    fn edits_apply() {
        assert_eq!(
            apply_edit("abalourdie", "1r").as_deref(),
            Some("abalourdir")
        );
        assert_eq!(apply_edit("a", "0voir").as_deref(), Some("avoir"));
        assert_eq!(apply_edit("été", "3être").as_deref(), Some("être"));
        assert_eq!(apply_edit("ab", "3x"), None);
    }

    #[test]
    fn marche_and_marche_stay_apart() {
        // the Grande Marche's NLP firm's trouble: "marche" (walk) vs "marché" (market)
        let l = lemmas("le marché de Noël et la marche");
        assert!(l.contains(&"marché".to_string()));
        assert!(l.contains(&"marche".to_string()));
        let l = lemmas("les marchés");
        assert_eq!(l[1], "marché");
    }

    #[test]
    fn common_inflections() {
        assert_eq!(lemmas("les retraités"), ["le", "retraité"]);
        assert_eq!(lemmas("ils ont supprimé"), ["il", "avoir", "supprimer"]);
        assert_eq!(lemmas("des services publics"), ["de", "service", "public"]);
        assert_eq!(lemmas("nous demandons"), ["nous", "demander"]);
        assert_eq!(lemmas("l'école"), ["le", "école"]);
        assert_eq!(lemmas("taxes nationales"), ["taxe", "national"]);
    }

    #[test]
    fn context_decides_noun_or_verb() {
        // "contrôle" is a noun after an article and a verb after a subject pronoun
        assert_eq!(lemmas("le contrôle")[1], "contrôle");
        assert_eq!(lemmas("il contrôle")[1], "contrôler");
    }

    #[test]
    fn proper_nouns_inside_sentences_are_kept() {
        let l = lemmas("nous écrivons à Macron");
        assert_eq!(l.last().map(String::as_str), Some("macron"));
    }

    #[test]
    fn stems_are_snowball() {
        let lem = Lemmatizer::french().expect("embedded tables load");
        assert_eq!(lem.stem("retraités"), "retrait");
        let toks = tokenize("les impôts");
        assert_eq!(lem.reduce(&toks, Reduction::Stem)[1], "impôt");
        assert_eq!(lem.reduce(&toks, Reduction::Surface)[1], "impôts");
    }

    #[test]
    fn malformed_tables_say_where() {
        let err = Lemmatizer::from_reader("#index noun\nchat\n#exc verb\nmangeait\n".as_bytes())
            .expect_err("entry without a tab");
        assert!(
            matches!(err, TextError::LemmaTable { line: 4, .. }),
            "{err}"
        );
        let err = Lemmatizer::from_reader("chat\n".as_bytes()).expect_err("no header");
        assert!(matches!(err, TextError::LemmaTable { line: 1, .. }));
    }
}
