//! Survey statistics for Terrain: which areas to survey, how many people of which profile to
//! interview there, and how to weight and read what they answered.
//!
//! * [`probabilities`]: inclusion probabilities (equal, proportional to size, stratified).
//! * [`cube`]: balanced sampling by the cube method (fast flight, then landing by linear
//!   programming or by suppression of variables, [`landing`]).
//! * [`spread`]: spatially balanced sampling (local pivotal method, local cube).
//! * [`diagnostics`]: Horvitz–Thompson checks and the Voronoi spatial balance of a draw.
//! * [`allocation`]: interviews and doors per chosen area from the expected response.
//! * [`quotas`]: quota cells from census tables and the plan, their live fill.
//! * [`calibration`]: raking, linear (GREG) and bounded logit calibration of weights.
//! * [`estimates`]: weighted shares and means with linearised 95 % intervals.
//! * [`cli`]: the `terrain sample` and `terrain weight` entry points on CSV.
//! * [`defaults`]: default margins shipped with the crate (real figures, with their sources).
//!
//! The crate is pure: no I/O besides the `impl Read`/`impl Write` its CLI entry points are
//! handed, no clock, and every random draw comes from a seed the caller passes.

// Numerical kernels index several parallel arrays by the same unit or column index; the
// iterator form clippy suggests would hide that.
#![allow(clippy::needless_range_loop)]

pub mod allocation;
pub mod calibration;
pub mod cli;
pub mod cube;
pub mod defaults;
pub mod diagnostics;
pub mod error;
pub mod estimates;
pub mod kdtree;
pub mod landing;
pub mod linalg;
pub mod probabilities;
pub mod quotas;
pub mod spread;

pub use error::{Result, StatsError};
