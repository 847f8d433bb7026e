//! `terrain turfs` (cut doors into turfs and order their walks, `terrain-geo`) and
//! `terrain themes` (themes of open answers, `terrain-text`), on plain CSV files so that they
//! can be run and compared outside the server.

use super::print_json;
use anyhow::Context;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use terrain_geo::cut::CutMethod;
use terrain_geo::turfs::{TurfsOptions, run_turfs};
use terrain_text::cli::{ThemesCommand, run_themes};

/// How turfs are cut.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CutArg {
    /// Size-constrained k-means: compact, balanced, not overlapping.
    Balanced,
    /// Recursive coordinate bisection.
    Bisection,
    /// Chunks along a Hilbert curve.
    Hilbert,
}

/// Options of `terrain turfs`.
#[derive(Debug, clap::Args)]
pub struct TurfsArgs {
    /// Stops: `id,lon,lat` and optionally `bureau` (turfs never cross it), `doors` (default 1),
    /// `street`, `number`.
    #[arg(long)]
    pub doors: PathBuf,
    /// Target doors per turf (≈ 80 for a 3-hour pair shift, 40–50 for 2 hours alone).
    #[arg(long, default_value_t = 80)]
    pub size: u32,
    /// OpenStreetMap extract (.osm.pbf): walks follow the streets and street segments stay in
    /// one turf where possible.
    #[arg(long)]
    pub network: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "balanced")]
    pub method: CutArg,
    /// Starts of the balanced cut (best kept).
    #[arg(long, default_value_t = 4)]
    pub starts: u32,
    /// Closed loops instead of open walks.
    #[arg(long)]
    pub closed: bool,
    /// Let street segments be split between turfs (with --network).
    #[arg(long)]
    pub split_streets: bool,
    /// Route search effort (improvement kicks per stop).
    #[arg(long, default_value_t = 2)]
    pub effort: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Walking speed (m/s), seconds per door, seconds of conversation, share of doors opening.
    #[arg(long, default_value_t = 1.2)]
    pub speed: f64,
    #[arg(long, default_value_t = 30.0)]
    pub door_seconds: f64,
    #[arg(long, default_value_t = 240.0)]
    pub talk_seconds: f64,
    #[arg(long, default_value_t = 0.3)]
    pub open_rate: f64,
    /// Output: `id,turf,order`.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the quality measures (and one line per turf) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `terrain turfs`.
pub fn turfs(a: TurfsArgs) -> anyhow::Result<()> {
    let mut options = TurfsOptions {
        size: a.size,
        method: match a.method {
            CutArg::Balanced => CutMethod::Balanced,
            CutArg::Bisection => CutMethod::Bisection,
            CutArg::Hilbert => CutMethod::Hilbert,
        },
        starts: a.starts,
        closed: a.closed,
        keep_streets_together: !a.split_streets,
        kicks_per_stop: a.effort,
        seed: a.seed,
        per_turf: a.json,
        ..TurfsOptions::default()
    };
    options.walk.speed_m_s = a.speed;
    options.walk.seconds_per_door = a.door_seconds;
    options.walk.conversation_seconds = a.talk_seconds;
    options.walk.open_rate = a.open_rate;
    let doors = BufReader::new(
        File::open(&a.doors).with_context(|| format!("opening {}", a.doors.display()))?,
    );
    let network = a
        .network
        .as_ref()
        .map(|p| {
            File::open(p)
                .map(BufReader::new)
                .with_context(|| format!("opening {}", p.display()))
        })
        .transpose()?;
    let out = BufWriter::new(
        File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?,
    );
    let report = run_turfs(&options, doors, network, out)?;
    if a.json {
        print_json(&report)
    } else {
        println!("Turfs written to {}.", a.out.display());
        Ok(())
    }
}

/// Options of `terrain themes`.
#[derive(Debug, clap::Args)]
pub struct ThemesArgs {
    /// Answers, one per row (CSV, `,` or `;`).
    #[arg(long)]
    pub answers: PathBuf,
    /// The column holding the text.
    #[arg(long)]
    pub text_column: String,
    #[arg(long)]
    pub id_column: Option<String>,
    /// Survey weights.
    #[arg(long)]
    pub weight_column: Option<String>,
    /// Break the themes' shares down by this column.
    #[arg(long)]
    pub group_column: Option<String>,
    /// A fixed number of themes (chosen between 4 and 12 by coherence and stability otherwise).
    #[arg(long)]
    pub k: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output: `id,theme` (the answer's main theme).
    #[arg(long)]
    pub out: PathBuf,
    /// Print each theme's label, terms, weighted share and example answers as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `terrain themes`.
pub fn themes(a: ThemesArgs) -> anyhow::Result<()> {
    let cmd = ThemesCommand {
        text_column: a.text_column,
        id_column: a.id_column,
        weight_column: a.weight_column,
        group_column: a.group_column,
        k: a.k,
        seed: a.seed,
        delimiter: None,
    };
    let input = BufReader::new(
        File::open(&a.answers).with_context(|| format!("opening {}", a.answers.display()))?,
    );
    let out = BufWriter::new(
        File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?,
    );
    let report = run_themes(&cmd, input, out)?;
    if a.json {
        print_json(&report)
    } else {
        println!("Themes written to {}.", a.out.display());
        Ok(())
    }
}
