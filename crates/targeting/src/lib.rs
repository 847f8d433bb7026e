//! Terrain's targeting: which bureaux de vote (polling stations) are worth the volunteers' time.
//!
//! - [`bloc`]: the bloc a campaign counts, resolved per election through the nuance → bloc table.
//! - [`counts`]: per-bureau counts of each election with the bloc resolved.
//! - [`plan`]: LMP's baseline ranking under a door budget, the split between territories, the
//!   red / orange / yellow classes and the expected yield of a plan.
//! - [`score`]: the potential averaged over several elections, shrunk ([`shrink`]) towards a
//!   census prior ([`census`]), carried onto redrawn bureaux ([`redraw`]), with a swing term and
//!   a persuasion term from vote transfers ([`ei`]), combined with user weights.
//! - [`experiment`]: LMP's randomised evaluation: strata by score, seeded assignment, and the
//!   effect on turnout and the bloc's share with intervals (ITT and, with coverage, IV).
//! - [`command`]: the entry point of `terrain target`.
//! - [`metrics`]: how well a score predicts a later election (the honest back-test).
//!
//! Pure: values in, values out; randomness comes from a seed the caller passes.

// Numeric code walks several parallel arrays by index; iterator chains would hide that.
#![allow(clippy::needless_range_loop)]

pub mod bloc;
pub mod census;
pub mod command;
pub mod counts;
mod dist;
pub mod ei;
pub mod error;
pub mod experiment;
mod linalg;
pub mod metrics;
pub mod plan;
pub mod redraw;
pub mod score;
pub mod shrink;

pub use bloc::{BlocResolver, BlocSpec, Selector};
pub use command::{
    TargetExtras, TargetOptions, TargetReport, target, target_counts, target_results,
};
pub use counts::{BureauCounts, ElectionCounts};
pub use error::TargetingError;
pub use plan::{BudgetOptions, ClassOptions, Density, PlanUnit, PlanYield, Priority, YieldParams};
