//! French open answers: from raw text to themes a campaign can read.
//!
//! The pipeline is pure (values in, values out, randomness from a caller's seed):
//! [`normalize`] repairs encodings and typography while keeping accents, [`token`] splits
//! words, elisions and redaction marks, [`lemma`] reduces words to lemmas (or Snowball
//! stems), [`features`] finds multi-word expressions and builds TF-IDF, [`nmf`] factorises
//! it, [`themes`] chooses the number of themes and reports each theme's label, weighted
//! share, breakdown and verbatims, [`coherence`] measures NPMI and stability, [`coding`]
//! supports human coders (codebooks, Cohen's kappa), [`privacy`] masks names, e-mails,
//! phone numbers and addresses, and [`cli`] is the `terrain themes` entry point.

pub mod cli;
pub mod coding;
pub mod coherence;
pub mod error;
pub mod features;
pub mod fxhash;
pub mod lemma;
pub mod lexicon;
pub mod nmf;
pub mod normalize;
pub mod privacy;
pub mod segment;
pub mod share;
pub mod themes;
pub mod token;

pub use error::TextError;
