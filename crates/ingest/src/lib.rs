//! Terrain's importers: the official French electoral and territorial files, read as published.
//!
//! Pure: every parser takes an `impl Read` (and a name for messages) and returns model values,
//! streaming where files are large. Errors and warnings name the file, line and field. See
//! `shared/data/FORMATS.md` for the formats and their pitfalls.
//!
//! - [`results`]: results by bureau de vote (Ministry 2017–2022 and 2024 layouts, the generic
//!   long layout, the aggregated data.gouv history), with consistency checks.
//! - [`nuance`]: the editable nuance → bloc table.
//! - [`codes`]: the Ministry's department and commune codes (`Z?` overseas) → INSEE.
//! - [`addresses`]: BAN exports (gzip read directly, [`gzip`] guards against bombs) and the REU
//!   address → bureau table.
//! - [`census`]: INSEE IRIS tables (census `base-ic-*`, Filosofi).
//! - [`contours`]: bureau, IRIS and commune contours as GeoJSON, reprojected by [`crs`].
//! - [`cog`]: the COG communes (JSON and `v_commune` CSV).
//! - [`placement`]: each address in its bureau and IRIS, and its estimated doors.
//! - [`commands`]: the entry points of `terrain import …`.
//! - [`demo`]: the Paris demo data set of `data/paris/`.

pub mod addresses;
pub mod census;
pub mod codes;
pub mod cog;
pub mod commands;
pub mod contours;
pub mod crs;
pub mod demo;
pub mod error;
pub mod gzip;
pub mod nuance;
pub mod placement;
mod record;
pub mod results;
mod sniff;
pub mod text;

pub use error::{IngestError, Location, Policy, Warning, WarningKind, Warnings};
pub use nuance::NuanceTable;
pub use results::{Layout, ResultsOptions, ResultsReader, ResultsReport};
pub use text::Encoding;

#[cfg(test)]
pub(crate) mod testutil {
    //! Locating the real data in `shared/data`, which a user's clone may lack.
    use std::path::PathBuf;

    /// `shared/data/<rel>` when present; `None` (after saying so) when the folder is absent.
    pub(crate) fn shared(rel: &str) -> Option<PathBuf> {
        let base = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        let p = base.join(rel);
        if p.exists() {
            Some(p)
        } else {
            eprintln!(
                "SKIPPED: {} is absent (shared/data is not beside this clone)",
                p.display()
            );
            None
        }
    }

    /// The bytes of a shared file, or `None` when absent.
    pub(crate) fn shared_bytes(rel: &str) -> Option<Vec<u8>> {
        shared(rel).and_then(|p| std::fs::read(p).ok())
    }
}

#[cfg(test)]
mod fuzz;
