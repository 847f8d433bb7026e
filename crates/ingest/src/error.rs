//! What can go wrong while reading a file, and where: errors stop an import, warnings do not.
//!
//! Every error and warning names the file (the `source` name the caller gives, usually the file
//! name), the line (1-based, as an editor shows it) and, when it applies, the field (the column's
//! header name) and the bureau.

use serde::Serialize;
use std::fmt;

/// A place in an input file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file name (or whatever the caller called the input).
    pub source: String,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: u64,
    /// The column (header name) concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Location {
    /// A location in a whole file.
    pub fn file(source: &str) -> Self {
        Self {
            source: source.to_string(),
            line: 0,
            field: None,
        }
    }

    /// A location on a line.
    pub fn line(source: &str, line: u64) -> Self {
        Self {
            source: source.to_string(),
            line,
            field: None,
        }
    }

    /// The same location, narrowed to a field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(field) = &self.field {
            write!(f, " (field {field:?})")?;
        }
        Ok(())
    }
}

/// An error that stops the import of a file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{loc}: read error: {detail}")]
    Io { loc: Location, detail: String },
    #[error("{loc}: encoding: {detail}")]
    Encoding { loc: Location, detail: String },
    #[error("{loc}: unrecognised header: {detail}")]
    Header { loc: Location, detail: String },
    #[error("{loc}: invalid value {value:?}: {expected}")]
    Field {
        loc: Location,
        value: String,
        expected: String,
    },
    #[error("{loc}: {detail}")]
    Row { loc: Location, detail: String },
    #[error("{loc}: bureau {bureau}: inconsistent totals: {detail}")]
    Inconsistent {
        loc: Location,
        bureau: String,
        detail: String,
    },
    #[error("{loc}: {detail}")]
    Compression { loc: Location, detail: String },
    #[error("{loc}: feature {feature}: {detail}")]
    Geometry {
        loc: Location,
        feature: u64,
        detail: String,
    },
    #[error("{loc}: JSON: {detail}")]
    Json { loc: Location, detail: String },
    #[error("invalid option: {0}")]
    Options(String),
}

impl IngestError {
    /// Where the error happened, when it concerns an input.
    pub fn location(&self) -> Option<&Location> {
        match self {
            IngestError::Io { loc, .. }
            | IngestError::Encoding { loc, .. }
            | IngestError::Header { loc, .. }
            | IngestError::Field { loc, .. }
            | IngestError::Row { loc, .. }
            | IngestError::Inconsistent { loc, .. }
            | IngestError::Compression { loc, .. }
            | IngestError::Geometry { loc, .. }
            | IngestError::Json { loc, .. } => Some(loc),
            IngestError::Options(_) => None,
        }
    }

    /// A stable snake_case code for JSON reports.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "io",
            IngestError::Encoding { .. } => "encoding",
            IngestError::Header { .. } => "header",
            IngestError::Field { .. } => "field",
            IngestError::Row { .. } => "row",
            IngestError::Inconsistent { .. } => "inconsistent",
            IngestError::Compression { .. } => "compression",
            IngestError::Geometry { .. } => "geometry",
            IngestError::Json { .. } => "json",
            IngestError::Options(_) => "options",
        }
    }

    pub(crate) fn field(loc: Location, value: &str, expected: impl Into<String>) -> Self {
        let mut value = value.to_string();
        if value.len() > 80 {
            let cut = (0..=80)
                .rev()
                .find(|i| value.is_char_boundary(*i))
                .unwrap_or(0);
            value.truncate(cut);
            value.push('…');
        }
        IngestError::Field {
            loc,
            value,
            expected: expected.into(),
        }
    }

    pub(crate) fn from_csv(source: &str, e: &csv::Error) -> Self {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        let loc = Location::line(source, line);
        match e.kind() {
            csv::ErrorKind::Io(io) => IngestError::Io {
                loc,
                detail: io.to_string(),
            },
            csv::ErrorKind::Utf8 { err, .. } => IngestError::Encoding {
                loc,
                detail: format!("not UTF-8 ({err})"),
            },
            _ => IngestError::Row {
                loc,
                detail: e.to_string(),
            },
        }
    }
}

/// What kind of problem a warning reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The row breaks an arithmetic identity (inscrits, votants, voix).
    Inconsistent,
    /// A line is not in the file's encoding; it was decoded with the other one.
    Encoding,
    /// A row was skipped (abroad, unknown code, empty).
    Skipped,
    /// A nuance that the nuance → bloc table does not know.
    UnknownNuance,
    /// A polygon is invalid (self-intersection…); it is kept as is.
    InvalidGeometry,
    /// The declared coordinate system contradicts the coordinates.
    Crs,
    /// A value was repaired (padding restored, a duplicate dropped).
    Repaired,
    /// Any other oddity worth telling.
    Other,
}

/// A problem that does not stop the import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    #[serde(flatten)]
    pub loc: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bureau: Option<String>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.loc)?;
        if let Some(b) = &self.bureau {
            write!(f, "bureau {b}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Warnings of one import: all are counted, the first [`Warnings::KEPT`] are kept in full so
/// that memory stays bounded on a file where every row warns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Warnings {
    pub total: u64,
    pub by_kind: std::collections::BTreeMap<String, u64>,
    pub kept: Vec<Warning>,
}

impl Warnings {
    /// How many warnings are kept in full.
    pub const KEPT: usize = 1000;

    pub fn push(&mut self, w: Warning) {
        self.total += 1;
        let key = serde_json::to_value(w.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *self.by_kind.entry(key).or_insert(0) += 1;
        if self.kept.len() < Self::KEPT {
            self.kept.push(w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Adds another import's warnings to these.
    pub fn merge(&mut self, other: Warnings) {
        self.total += other.total;
        for (k, n) in other.by_kind {
            *self.by_kind.entry(k).or_insert(0) += n;
        }
        let room = Self::KEPT.saturating_sub(self.kept.len());
        self.kept.extend(other.kept.into_iter().take(room));
    }
}

/// What to do with a row whose totals do not add up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Stop at the first inconsistent row, with an error naming it.
    Stop,
    /// Import the row and report a warning.
    #[default]
    Warn,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_print_file_line_and_field() {
        let l = Location::line("PR17.txt", 12).with_field("Voix");
        assert_eq!(l.to_string(), "PR17.txt:12 (field \"Voix\")");
        assert_eq!(Location::file("a.csv").to_string(), "a.csv");
    }

    #[test]
    fn warnings_are_counted_but_bounded() {
        let mut w = Warnings::default();
        for i in 0..(Warnings::KEPT as u64 + 5) {
            w.push(Warning {
                kind: WarningKind::Inconsistent,
                loc: Location::line("f", i + 1),
                bureau: None,
                message: "x".into(),
            });
        }
        assert_eq!(w.total, Warnings::KEPT as u64 + 5);
        assert_eq!(w.kept.len(), Warnings::KEPT);
        assert_eq!(w.by_kind["inconsistent"], Warnings::KEPT as u64 + 5);
    }

    #[test]
    fn long_values_are_cut_in_errors() {
        let e = IngestError::field(Location::line("f", 1), &"é".repeat(100), "a number");
        let s = e.to_string();
        assert!(s.contains('…') && s.len() < 300, "{s}");
    }
}
