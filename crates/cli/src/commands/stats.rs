//! `terrain sample` and `terrain weight` on plain CSV files, so they can be run and compared
//! outside the server (the engines are in `terrain-stats`).

use super::print_json;
use anyhow::Context;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use terrain_stats::cli::{
    SampleMethod, SampleOptions, WeightOptions, sample_command, weight_command,
};

/// How `terrain sample` draws.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MethodArg {
    Auto,
    Cube,
    LocalCube,
    Lpm2,
}

/// Options of `terrain sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// The frame: one row per area (bureau de vote, IRIS), with an id column.
    #[arg(long)]
    pub frame: PathBuf,
    /// Sample size.
    #[arg(long)]
    pub n: usize,
    #[arg(long, default_value = "id")]
    pub id: String,
    /// Size column: inclusion probabilities proportional to it (equal otherwise).
    #[arg(long)]
    pub prob: Option<String>,
    /// Columns whose totals the sample must reproduce (cube method), by priority.
    #[arg(long, value_delimiter = ',')]
    pub balance: Vec<String>,
    /// Longitude and latitude columns: a spatially balanced sample.
    #[arg(long, value_delimiter = ',')]
    pub spatial: Option<Vec<String>>,
    /// Stratum column.
    #[arg(long)]
    pub strata: Option<String>,
    /// auto: local cube with --balance and --spatial, local pivotal with --spatial alone,
    /// the cube otherwise.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: MethodArg,
    /// Adults per area (for expected respondents and the allocation; default: --prob).
    #[arg(long)]
    pub adults: Option<String>,
    /// Interviews to allocate to the chosen areas (adds interviews,doors to the output).
    #[arg(long)]
    pub interviews: Option<usize>,
    /// Share of an area's adults who answer when all its doors are knocked.
    #[arg(long)]
    pub response_rate: Option<f64>,
    /// Share of knocked doors that open.
    #[arg(long)]
    pub door_open_rate: Option<f64>,
    #[arg(long)]
    pub seed: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// Print the diagnostics as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `terrain sample`.
pub fn sample(a: SampleArgs) -> anyhow::Result<()> {
    let mut options = SampleOptions {
        n: a.n,
        id_column: a.id,
        prob: a.prob,
        balance: a.balance,
        spatial: match a.spatial.as_deref() {
            None => None,
            Some([lon, lat]) => Some((lon.clone(), lat.clone())),
            Some(_) => anyhow::bail!("--spatial takes two columns: LON,LAT"),
        },
        strata: a.strata,
        seed: a.seed,
        method: match a.method {
            MethodArg::Auto => SampleMethod::Auto,
            MethodArg::Cube => SampleMethod::Cube,
            MethodArg::LocalCube => SampleMethod::LocalCube,
            MethodArg::Lpm2 => SampleMethod::Lpm2,
        },
        adults: a.adults,
        interviews: a.interviews,
        response: Default::default(),
    };
    if let Some(r) = a.response_rate {
        options.response.resident_response_rate = r;
    }
    if let Some(r) = a.door_open_rate {
        options.response.door_open_rate = r;
    }
    let frame = File::open(&a.frame).with_context(|| format!("opening {}", a.frame.display()))?;
    let out = File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let report = sample_command(&options, BufReader::new(frame), BufWriter::new(out))?;
    if a.json {
        print_json(&report)
    } else {
        println!("Sample written to {}.", a.out.display());
        print_json(&report)
    }
}

/// Options of `terrain weight`.
#[derive(Debug, clap::Args)]
pub struct WeightArgs {
    /// One row per respondent: an id column and categorical columns.
    #[arg(long)]
    pub respondents: PathBuf,
    /// Margins in long form: `variable,category,target`.
    #[arg(long)]
    pub margins: PathBuf,
    /// raking, linear or logit.
    #[arg(long, default_value = "raking")]
    pub method: String,
    /// Bounds L,U on the weight ratios (logit; linear with bounds).
    #[arg(long, value_delimiter = ',')]
    pub bounds: Option<Vec<f64>>,
    /// Cap weights at X times the mean weight.
    #[arg(long)]
    pub trim: Option<f64>,
    /// Design weight column.
    #[arg(long)]
    pub design_weight: Option<String>,
    #[arg(long, default_value = "id")]
    pub id: String,
    /// Scale every variable's margins to the first variable's total.
    #[arg(long)]
    pub normalise_margins: bool,
    #[arg(long)]
    pub out: PathBuf,
    /// Print convergence, deviations from the margins and Kish's design effect as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `terrain weight`.
pub fn weight(a: WeightArgs) -> anyhow::Result<()> {
    let options = WeightOptions {
        method: a
            .method
            .parse()
            .map_err(|e| anyhow::anyhow!("--method: {e}"))?,
        bounds: match a.bounds.as_deref() {
            None => None,
            Some([l, u]) => Some((*l, *u)),
            Some(_) => anyhow::bail!("--bounds takes two numbers: L,U"),
        },
        trim: a.trim,
        design_weight: a.design_weight,
        id_column: a.id,
        normalise_margins: a.normalise_margins,
    };
    let respondents = File::open(&a.respondents)
        .with_context(|| format!("opening {}", a.respondents.display()))?;
    let margins =
        File::open(&a.margins).with_context(|| format!("opening {}", a.margins.display()))?;
    let out = File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let report = weight_command(
        &options,
        BufReader::new(respondents),
        BufReader::new(margins),
        BufWriter::new(out),
    )?;
    if a.json {
        print_json(&report)
    } else {
        println!("Weights written to {}.", a.out.display());
        print_json(&report)
    }
}
