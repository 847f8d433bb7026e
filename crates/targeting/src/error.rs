//! What can go wrong in targeting, and where: which input, which bureau, which option.

use terrain_ingest::IngestError;

/// A targeting failure. Each variant names what failed and where.
#[derive(Debug, thiserror::Error)]
pub enum TargetingError {
    /// An option is missing or out of range (`field` is the option's name).
    #[error("invalid option {field}: {detail}")]
    Option { field: String, detail: String },
    /// The bloc specification (`--bloc`) does not parse.
    #[error("invalid bloc {spec:?}: {detail}")]
    Bloc { spec: String, detail: String },
    /// An election asked for is not in the input.
    #[error("election {election} is not in the input (found: {found})")]
    MissingElection { election: String, found: String },
    /// A results file could not be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A row of a CSV input is wrong (`source`, 1-based `line`, `field`).
    #[error("{source_name}:{line}: field {field:?}: {detail}")]
    Row {
        source_name: String,
        line: u64,
        field: String,
        detail: String,
    },
    /// A value refers to a bureau that the plan does not know.
    #[error("unknown bureau {bureau} in {context}")]
    UnknownBureau { bureau: String, context: String },
    /// The data cannot support the computation asked for (too few bureaux, no variation…).
    #[error("{context}: {detail}")]
    Insufficient { context: String, detail: String },
    /// Writing the output failed.
    #[error("writing {target}: {detail}")]
    Write { target: String, detail: String },
}

impl TargetingError {
    pub(crate) fn option(field: &str, detail: impl Into<String>) -> Self {
        Self::Option {
            field: field.to_string(),
            detail: detail.into(),
        }
    }

    pub(crate) fn insufficient(context: &str, detail: impl Into<String>) -> Self {
        Self::Insufficient {
            context: context.to_string(),
            detail: detail.into(),
        }
    }
}
