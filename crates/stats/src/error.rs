//! The errors of the statistics engines: each says what failed and where (variable, unit, row).

use thiserror::Error;

/// Everything that can go wrong in `terrain-stats`.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    /// An input value is out of its domain (negative size, probability outside [0, 1], NaN…).
    #[error("invalid {what} for unit {index}: {value}")]
    InvalidValue {
        /// What the value is (e.g. "size", "inclusion probability").
        what: &'static str,
        /// Zero-based index of the unit or row.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Two inputs that must have the same length do not.
    #[error("{what}: expected {expected} values, got {got}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// The requested sample size cannot be drawn from the frame.
    #[error("sample size {n} is impossible: {reason}")]
    InvalidSampleSize {
        /// The requested size.
        n: f64,
        /// Why it is impossible.
        reason: String,
    },
    /// A parameter is out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A margin names a category nobody in the sample has, with a positive target.
    #[error("margin {variable}={category} has target {target} but no respondent is in that cell")]
    EmptyCell {
        /// Margin variable.
        variable: String,
        /// Category.
        category: String,
        /// Its target total.
        target: f64,
    },
    /// A respondent has a value that no margin of that variable lists.
    #[error("respondent {row} has {variable}={category:?}, which no margin of {variable} lists")]
    UnknownCategory {
        /// Zero-based respondent index (the CSV layer reports lines).
        row: usize,
        /// Variable.
        variable: String,
        /// The value found.
        category: String,
    },
    /// The margins of different variables add up to different population totals.
    #[error(
        "margins of {first} add up to {first_total} but those of {other} add up to {other_total}"
    )]
    InconsistentMargins {
        /// First variable.
        first: String,
        /// Its total.
        first_total: f64,
        /// Disagreeing variable.
        other: String,
        /// Its total.
        other_total: f64,
    },
    /// The bounds make some margin unreachable: no weights within them hit the targets.
    #[error("bounds [{lower}, {upper}] cannot be met: {detail}")]
    InfeasibleBounds {
        /// Lower bound on w/d.
        lower: f64,
        /// Upper bound on w/d.
        upper: f64,
        /// Which margin fails and by how much.
        detail: String,
    },
    /// Calibration stopped without reaching the margins.
    #[error(
        "calibration did not converge after {iterations} iterations: worst margin {variable}={category} off by {relative_deviation:e} (relative)"
    )]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Variable of the worst margin.
        variable: String,
        /// Category of the worst margin.
        category: String,
        /// Its relative deviation.
        relative_deviation: f64,
    },
    /// A linear system that must be solvable is singular.
    #[error("singular system in {context}")]
    Singular {
        /// Where.
        context: &'static str,
    },
    /// A CSV input could not be read or is malformed.
    #[error("{file}, line {line}: {message}")]
    Csv {
        /// Which input ("frame", "respondents", "margins").
        file: String,
        /// One-based line number (0 when unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The output could not be written.
    #[error("writing {file}: {message}")]
    Write {
        /// Which output.
        file: String,
        /// The underlying error.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, StatsError>;
