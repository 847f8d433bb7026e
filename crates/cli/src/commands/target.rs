//! `terrain target`: LMP's ranking of bureaux de vote and a door plan, on results files (every
//! layout `terrain import results` reads, or the compact counts CSV). The engine is
//! `terrain-targeting`.

use super::print_json;
use anyhow::Context;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use terrain_targeting::command::{ExperimentScope, TerritoryLevel};
use terrain_targeting::plan::Overflow;
use terrain_targeting::{TargetOptions, target};

/// How the budget is split.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Level {
    Department,
    Circonscription,
    Commune,
    National,
}

/// What to do with the first bureau that does not fit the budget.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OverflowArg {
    Stop,
    Skip,
    Include,
}

/// Options of `terrain target`.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// Results files (any layout; several elections).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Reference election, with an optional weight (`2017_pres_t2:2`); repeatable.
    #[arg(long = "election", required = true)]
    pub elections: Vec<String>,
    /// The bloc: blocs, candidates or nuances (`left,ecologist`, `candidate:HAMON`, `nuance:DVG`).
    #[arg(long)]
    pub bloc: String,
    /// Doors the campaign can knock.
    #[arg(long)]
    pub budget_doors: f64,
    /// How the budget is split (LMP: between departments in proportion to their potential).
    #[arg(long, value_enum, default_value = "department")]
    pub territory: Level,
    /// Nuance → bloc table (CSV) loaded over the defaults.
    #[arg(long)]
    pub nuances: Option<PathBuf>,
    /// Shrink the rates of small bureaux (empirical Bayes).
    #[arg(long)]
    pub shrink: bool,
    /// A swing term between two elections, `FROM:TO`.
    #[arg(long)]
    pub swing: Option<String>,
    /// Vote transfers between two elections (ecological inference), `FROM:TO`.
    #[arg(long)]
    pub transfers: Option<String>,
    /// Weights of the score's components, `mobilisation=1,trend=0,persuasion=0`.
    #[arg(long)]
    pub weights: Option<String>,
    #[arg(long, value_enum, default_value = "stop")]
    pub overflow: OverflowArg,
    /// Quantiles of the red, orange and yellow classes, `0.9,0.7,0.5`.
    #[arg(long)]
    pub classes: Option<String>,
    /// Registered voters per door (1.4 in LMP's 2012 campaign).
    #[arg(long, default_value_t = 1.4)]
    pub electors_per_door: f64,
    /// Share of doors that open.
    #[arg(long, default_value_t = 0.48)]
    pub open_rate: f64,
    /// Draw LMP's randomised evaluation on the plan (strata of --strata, --treated treated each).
    #[arg(long)]
    pub experiment: bool,
    #[arg(long, default_value_t = 5)]
    pub strata: usize,
    #[arg(long, default_value_t = 4)]
    pub treated: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the ranking (CSV, one row per bureau) here; standard output otherwise.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON (with --out; otherwise the CSV goes to standard output).
    #[arg(long)]
    pub json: bool,
}

/// Runs `terrain target`.
pub fn run(a: TargetArgs) -> anyhow::Result<()> {
    let mut options = TargetOptions {
        elections: a.elections,
        bloc: a.bloc,
        budget_doors: a.budget_doors,
        territory: match a.territory {
            Level::Department => TerritoryLevel::Department,
            Level::Circonscription => TerritoryLevel::Circonscription,
            Level::Commune => TerritoryLevel::Commune,
            Level::National => TerritoryLevel::National,
        },
        nuances_csv: a
            .nuances
            .as_ref()
            .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
            .transpose()?,
        shrink: a.shrink,
        swing: a.swing,
        transfers: a.transfers,
        weights: a.weights,
        overflow: match a.overflow {
            OverflowArg::Stop => Overflow::Stop,
            OverflowArg::Skip => Overflow::Skip,
            OverflowArg::Include => Overflow::Include,
        },
        classes: a.classes,
        experiment: a.experiment,
        strata_size: a.strata,
        treated_per_stratum: a.treated,
        seed: a.seed,
        experiment_scope: ExperimentScope::Plan,
        ..TargetOptions::default()
    };
    options.yield_params.electors_per_door = a.electors_per_door;
    options.yield_params.open_rate = a.open_rate;
    let mut inputs = Vec::new();
    for f in &a.files {
        let name = f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        inputs.push((
            name,
            BufReader::new(File::open(f).with_context(|| format!("opening {}", f.display()))?),
        ));
    }
    let report = match &a.out {
        Some(path) => {
            let out = BufWriter::new(
                File::create(path).with_context(|| format!("creating {}", path.display()))?,
            );
            target(&options, inputs, out)?
        }
        None => {
            let stdout = std::io::stdout();
            let r = target(&options, inputs, stdout.lock())?;
            stdout.lock().flush()?;
            r
        }
    };
    if a.json || a.out.is_some() {
        print_json(&report)?;
    }
    Ok(())
}
