//! Errors of the text engine, each saying what failed and where.

use thiserror::Error;

/// What went wrong in `terrain-text`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TextError {
    /// The lemma tables could not be read.
    #[error("lemma table, line {line}: {message}")]
    LemmaTable {
        /// 1-based line in the (decompressed) table.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The answers CSV could not be read.
    #[error("answers CSV, line {line}: {message}")]
    Csv {
        /// 1-based line (the header is line 1), 0 when unknown.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A column named in the options is not in the CSV header.
    #[error("answers CSV: no column {column:?} (columns: {available})")]
    MissingColumn {
        /// The column asked for.
        column: String,
        /// The header's columns, comma-separated.
        available: String,
    },
    /// A weight is not a finite non-negative number.
    #[error(
        "answers CSV, line {line}, column {column:?}: weight {value:?} is not a finite number >= 0"
    )]
    BadWeight {
        /// 1-based line (the header is line 1).
        line: u64,
        /// The weight column.
        column: String,
        /// The value found.
        value: String,
    },
    /// Writing the output failed.
    #[error("writing {what}: {message}")]
    Write {
        /// What was being written.
        what: String,
        /// The underlying error.
        message: String,
    },
    /// Two inputs that must line up do not have the same length.
    #[error("{what}: expected {expected} values, got {found}")]
    LengthMismatch {
        /// Which input.
        what: String,
        /// Expected length.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// An option is out of range or contradicts another.
    #[error("option {option}: {message}")]
    InvalidOption {
        /// The option's name.
        option: String,
        /// What is wrong with it.
        message: String,
    },
    /// Too few answers carry words to model themes.
    #[error("{usable} answers carry words after cleaning; at least {needed} are needed for {what}")]
    TooFewAnswers {
        /// Answers that still have features.
        usable: usize,
        /// The minimum.
        needed: usize,
        /// What was attempted.
        what: String,
    },
    /// A codebook is inconsistent.
    #[error("codebook {question:?}: {message}")]
    Codebook {
        /// The codebook's question.
        question: String,
        /// What is wrong.
        message: String,
    },
    /// A coding refers to a code the codebook does not have, or codings disagree in shape.
    #[error("coding of answer {answer}: {message}")]
    Coding {
        /// Position (0-based) or id of the answer.
        answer: String,
        /// What is wrong.
        message: String,
    },
}
