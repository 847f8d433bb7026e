//! French open answers: from raw text to themes a campaign can read.
//!
//! The pipeline is pure (values in, values out, randomness from a caller's seed):
//! [`normalize`] repairs encodings and typography while keeping accents ("marche" ≠
//! "marché"), [`token`] splits words, elisions and redaction marks, [`lemma`] reduces words
//! to lemmas (default, spaCy's French tables) or Snowball stems, [`lexicon`] holds the stop
//! words, [`segment`] cuts long answers into the items they list, [`features`] finds
//! multi-word expressions, drops template lines and builds TF-IDF, [`nmf`] factorises it,
//! [`themes`] chooses the number of themes and reports each theme's label, weighted shares
//! with intervals ([`share`]), breakdown by group and verbatims, [`coherence`] measures NPMI
//! and stability, [`coding`] supports human coders (codebooks, Cohen's kappa), [`privacy`]
//! masks names, e-mails, phone numbers and addresses, and [`cli`] is the `terrain themes`
//! entry point.
//!
//! ```
//! use terrain_text::themes::{ThemeOptions, analyse};
//! let answers: Vec<String> = (0..40)
//!     .map(|i| match i % 2 {
//!         0 => format!("Baisser les impôts et la TVA, trop de taxes ({i})"),
//!         _ => format!("Plus de médecins à l'hôpital, les urgences ferment ({i})"),
//!     })
//!     .collect();
//! let options = ThemeOptions { k: Some(2), ..ThemeOptions::default() };
//! let analysis = analyse(&answers, None, None, &options)?;
//! assert_eq!(analysis.themes.len(), 2);
//! assert!(analysis.dominant.iter().all(Option::is_some));
//! # Ok::<(), terrain_text::TextError>(())
//! ```

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
