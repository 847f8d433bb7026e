//! The entry point of `terrain target`: results in, a ranked and planned CSV out, and the
//! summary that `--json` prints.
//!
//! ```text
//! terrain target --election ID[:WEIGHT] [--election ID…] --bloc NAMES --budget-doors N
//!     [--territory department|circonscription|commune|national] [--nuances FILE]
//!     [--shrink] [--swing FROM:TO] [--transfers FROM:TO] [--weights mobilisation=1,trend=0,persuasion=0]
//!     [--overflow stop|skip|include] [--classes 0.9,0.7,0.5] [--electors-per-door 1.4]
//!     [--open-rate 0.48] [--conversations-per-open 1] [--doors-per-hour-dense 25]
//!     [--doors-per-hour-suburban 15] [--passes 1] [--dense-commune-inscrits 20000]
//!     [--experiment [--strata 5] [--treated 4] [--seed N] [--experiment-scope plan|all]]
//!     [--json|--out FILE]  FILE…
//! ```
//!
//! The input files are results files in any layout `terrain-ingest` reads (the Ministry's,
//! the normalised long CSV of `terrain import results`, which can hold several elections), or
//! the compact counts CSV of [`crate::counts`]. The output CSV has one row per bureau, ranked.

use crate::bloc::{BlocResolver, BlocSpec};
use crate::counts::{
    COUNTS_HEADER, CountsReport, ElectionCounts, counts_from_results, read_counts_csv,
};
use crate::error::TargetingError;
use crate::experiment::{DesignOptions, ExperimentDesign, ExperimentUnit, design_experiment};
use crate::plan::{
    BudgetOptions, ClassOptions, Density, Overflow, PlanUnit, PlanYield, Priority, Split,
    TerritoryBudget, YieldParams, classify, doors, plan_yield, select,
};
use crate::redraw::{MatchMethod, MatchReport};
use crate::score::{
    ComponentWeights, ElectionPair, ReferenceElection, ScoreInputs, ScoreOptions, score,
};
use crate::shrink::{Covariates, ShrinkFit, ShrinkOptions};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use terrain_ingest::{NuanceTable, ResultsOptions, ResultsReader};
use terrain_model::{BureauResult, CommuneCode, ElectionId};

/// Which territories share the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerritoryLevel {
    /// Departments (LMP's national split).
    #[default]
    Department,
    /// Legislative constituencies (department + number).
    Circonscription,
    /// Communes (municipal arrondissements for Paris, Lyon and Marseille).
    Commune,
    /// One ranking for every bureau.
    National,
}

/// Which bureaux the experiment covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentScope {
    /// The plan's bureaux: controls are taken out of the plan.
    #[default]
    Plan,
    /// Every scored bureau.
    All,
}

/// Options of `terrain target` (each field is the flag of the same name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetOptions {
    /// `--election ID[:WEIGHT]`, repeatable; at least one.
    pub elections: Vec<String>,
    /// `--bloc NAMES`: blocs, candidates, nuances (see [`BlocSpec::parse`]).
    pub bloc: String,
    /// `--budget-doors N`.
    pub budget_doors: f64,
    /// `--territory`.
    pub territory: TerritoryLevel,
    /// The text of `--nuances FILE`, merged over the default nuance → bloc table.
    pub nuances_csv: Option<String>,
    /// `--shrink`: empirical Bayes shrinkage of each election's rates (towards the census
    /// prior when covariates are given, else towards the overall rate).
    pub shrink: bool,
    /// `--swing FROM:TO`.
    pub swing: Option<String>,
    /// `--transfers FROM:TO`.
    pub transfers: Option<String>,
    /// `--weights mobilisation=1,trend=…,persuasion=…`.
    pub weights: Option<String>,
    /// `--overflow`.
    pub overflow: Overflow,
    /// `--classes RED,ORANGE,YELLOW` quantiles.
    pub classes: Option<String>,
    /// `--electors-per-door`, `--open-rate`, `--conversations-per-open`,
    /// `--doors-per-hour-dense`, `--doors-per-hour-suburban`, `--passes`.
    #[serde(flatten)]
    pub yield_params: YieldParams,
    /// `--dense-commune-inscrits N`: bureaux of communes with at least N inscrits (and Paris,
    /// Lyon, Marseille) count as dense for the hours.
    pub dense_commune_inscrits: f64,
    /// `--experiment`.
    pub experiment: bool,
    /// `--strata K`.
    pub strata_size: usize,
    /// `--treated M`.
    pub treated_per_stratum: usize,
    /// `--seed N`.
    pub seed: u64,
    /// `--experiment-scope`.
    pub experiment_scope: ExperimentScope,
}

impl Default for TargetOptions {
    fn default() -> Self {
        Self {
            elections: Vec::new(),
            bloc: String::new(),
            budget_doors: 0.0,
            territory: TerritoryLevel::default(),
            nuances_csv: None,
            shrink: false,
            swing: None,
            transfers: None,
            weights: None,
            overflow: Overflow::default(),
            classes: None,
            yield_params: YieldParams::default(),
            dense_commune_inscrits: 20_000.0,
            experiment: false,
            strata_size: 5,
            treated_per_stratum: 4,
            seed: 0,
            experiment_scope: ExperimentScope::default(),
        }
    }
}

/// Optional inputs beyond results (the server passes them; the CLI leaves them empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetExtras<'a> {
    /// Covariates per bureau for the shrinkage prior (see [`crate::census`]).
    pub covariates: Option<&'a Covariates>,
    /// Old commune → current commune (merged communes), from the COG.
    pub current_commune: Option<&'a HashMap<CommuneCode, CommuneCode>>,
}

/// One input file, summarised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputSummary {
    pub source: String,
    pub format: String,
    pub rows: u64,
    pub warnings: u64,
}

/// One reference election, summarised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElectionSummary {
    pub election: ElectionId,
    pub weight: f64,
    pub bureaux: usize,
    pub bloc_stood: bool,
    /// Candidates counted for the bloc, with their votes.
    pub counted: Vec<(String, u64)>,
    /// The others.
    pub not_counted: Vec<(String, u64)>,
    pub matching: MatchReport,
}

/// The experiment, summarised (the assignment itself is in the CSV and in `design`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentSummary {
    pub seed: u64,
    pub strata_size: usize,
    pub treated_per_stratum: usize,
    pub strata: usize,
    pub treated: usize,
    pub control: usize,
    pub digest: String,
    /// Doors of the treated bureaux (what the canvassers will knock).
    pub treated_doors: f64,
}

/// What `terrain target --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    pub bloc: String,
    pub inputs: Vec<InputSummary>,
    pub elections: Vec<ElectionSummary>,
    pub universe: Option<ElectionId>,
    pub bureaux: usize,
    pub bureaux_without_results: usize,
    pub territories: Vec<TerritoryBudget>,
    pub budget_doors: f64,
    /// The plan's yield (the treated bureaux only when an experiment is drawn on the plan).
    pub plan: PlanYield,
    pub classes: BTreeMap<String, usize>,
    pub shrinkage: Vec<(ElectionId, ShrinkFit, Option<ShrinkFit>)>,
    pub overall_swing: Option<f64>,
    pub transfer_matrix: Option<Vec<Vec<f64>>>,
    pub transfer_r2: Option<f64>,
    pub experiment: Option<ExperimentSummary>,
    /// The full design, for the caller to record (not printed: the CSV has it).
    #[serde(skip)]
    pub design: Option<ExperimentDesign>,
    pub counts: CountsReport,
}

/// The CSV header of the output.
pub const OUTPUT_HEADER: [&str; 20] = [
    "rank",
    "bureau",
    "commune",
    "territory",
    "inscrits",
    "doors",
    "abstention_rate",
    "bloc_share",
    "potential",
    "potential_count",
    "trend",
    "persuasion",
    "score",
    "class",
    "selected",
    "cumulative_doors",
    "density",
    "matched_by",
    "stratum",
    "treated",
];

fn parse_classes(s: &str) -> Result<ClassOptions, TargetingError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            TargetingError::option(
                "classes",
                format!("{s:?}: expected three quantiles, e.g. 0.9,0.7,0.5"),
            )
        })?;
    if v.len() != 3 {
        return Err(TargetingError::option(
            "classes",
            format!("{s:?}: expected three quantiles"),
        ));
    }
    Ok(ClassOptions {
        red: v[0],
        orange: v[1],
        yellow: v[2],
        ..ClassOptions::default()
    })
}

/// Reads every input (results files or compact counts) into counts per election.
pub fn target<R: Read, W: Write>(
    options: &TargetOptions,
    inputs: Vec<(String, R)>,
    out: W,
) -> Result<TargetReport, TargetingError> {
    let spec = BlocSpec::parse(&options.bloc)?;
    let mut table = NuanceTable::defaults();
    if let Some(csv) = &options.nuances_csv {
        table.merge(NuanceTable::from_csv(csv.as_bytes(), "nuances")?);
    }
    let mut summaries = Vec::new();
    let mut results: Vec<BureauResult> = Vec::new();
    let mut counted: Vec<ElectionCounts> = Vec::new();
    for (source, reader) in inputs {
        let mut buffered = BufReader::with_capacity(1 << 16, reader);
        let is_counts = {
            let head = buffered.fill_buf().map_err(|e| TargetingError::Row {
                source_name: source.clone(),
                line: 1,
                field: "header".into(),
                detail: e.to_string(),
            })?;
            let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
            let first = String::from_utf8_lossy(first).trim().to_ascii_lowercase();
            first.starts_with(&format!("{};{}", COUNTS_HEADER[0], COUNTS_HEADER[1]))
        };
        if is_counts {
            let c = read_counts_csv(buffered, &source)?;
            summaries.push(InputSummary {
                source,
                format: "counts".into(),
                rows: c.iter().map(|e| e.bureaux.len() as u64).sum(),
                warnings: 0,
            });
            counted.extend(c);
            continue;
        }
        let mut rdr = ResultsReader::new(
            buffered,
            ResultsOptions {
                source: source.clone(),
                ..ResultsOptions::default()
            },
        )?;
        for r in rdr.by_ref() {
            results.push(r?);
        }
        let rep = rdr.into_report();
        summaries.push(InputSummary {
            source,
            format: rep.layout.map(|l| format!("{l:?}")).unwrap_or_default(),
            rows: rep.rows_read,
            warnings: rep.warnings.total,
        });
    }
    let mut resolver = BlocResolver::new(&spec, &table);
    let (by_election, counts_report) = counts_from_results(&results, &mut resolver);
    let tallies = resolver.tallies();
    counted.extend(by_election.into_values());
    let mut report = target_counts(options, &counted, TargetExtras::default(), out)?;
    report.inputs = summaries;
    report.counts = counts_report;
    for e in &mut report.elections {
        if let Some(t) = tallies.get(&e.election) {
            let mut yes: Vec<(String, u64)> = t
                .iter()
                .filter(|(_, v)| v.in_bloc)
                .map(|(k, v)| (k.clone(), v.votes))
                .collect();
            let mut no: Vec<(String, u64)> = t
                .iter()
                .filter(|(_, v)| !v.in_bloc)
                .map(|(k, v)| (k.clone(), v.votes))
                .collect();
            yes.sort_by_key(|x| std::cmp::Reverse(x.1));
            no.sort_by_key(|x| std::cmp::Reverse(x.1));
            e.counted = yes;
            e.not_counted = no;
        }
    }
    Ok(report)
}

/// The same from result values (what the server holds), with optional covariates.
pub fn target_results<W: Write>(
    options: &TargetOptions,
    results: &[BureauResult],
    table: &NuanceTable,
    extras: TargetExtras<'_>,
    out: W,
) -> Result<TargetReport, TargetingError> {
    let spec = BlocSpec::parse(&options.bloc)?;
    let mut resolver = BlocResolver::new(&spec, table);
    let (by_election, counts_report) = counts_from_results(results, &mut resolver);
    let counted: Vec<ElectionCounts> = by_election.into_values().collect();
    let mut report = target_counts(options, &counted, extras, out)?;
    report.counts = counts_report;
    Ok(report)
}

fn territory_of(level: TerritoryLevel, b: &crate::score::BureauScore) -> String {
    let commune = b.bureau.commune();
    match level {
        TerritoryLevel::Department => commune.department().to_string(),
        TerritoryLevel::Circonscription => format!(
            "{}-{}",
            commune.department(),
            b.circonscription.as_deref().unwrap_or("?")
        ),
        TerritoryLevel::Commune => b.bureau.plm_arrondissement().unwrap_or(commune).to_string(),
        TerritoryLevel::National => "all".into(),
    }
}

/// The same from counts already resolved (the bloc was applied when they were made).
pub fn target_counts<W: Write>(
    options: &TargetOptions,
    elections: &[ElectionCounts],
    extras: TargetExtras<'_>,
    out: W,
) -> Result<TargetReport, TargetingError> {
    if options.elections.is_empty() {
        return Err(TargetingError::option(
            "election",
            "name at least one reference election (--election 2017_pres_t1)",
        ));
    }
    let refs = options
        .elections
        .iter()
        .map(|s| ReferenceElection::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let score_opts = ScoreOptions {
        elections: refs.clone(),
        universe: None,
        id_policy: Default::default(),
        shrinkage: options.shrink.then(ShrinkOptions::default),
        swing: options
            .swing
            .as_deref()
            .map(|s| ElectionPair::parse(s, "swing"))
            .transpose()?,
        transfers: options
            .transfers
            .as_deref()
            .map(|s| ElectionPair::parse(s, "transfers"))
            .transpose()?,
        weights: match &options.weights {
            Some(w) => ComponentWeights::parse(w)?,
            None => ComponentWeights::default(),
        },
    };
    let (scores, srep) = score(
        ScoreInputs {
            elections,
            covariates: extras.covariates,
            current_commune: extras.current_commune,
            ..Default::default()
        },
        &score_opts,
    )?;
    // Density from the commune's size.
    let mut commune_inscrits: HashMap<CommuneCode, f64> = HashMap::new();
    for s in &scores {
        *commune_inscrits.entry(s.bureau.commune()).or_default() += s.inscrits;
    }
    let scored: Vec<&crate::score::BureauScore> =
        scores.iter().filter(|s| s.score.is_some()).collect();
    let units: Vec<PlanUnit> = scored
        .iter()
        .map(|s| {
            let commune = s.bureau.commune();
            let dense = commune.is_plm_city()
                || commune_inscrits.get(&commune).copied().unwrap_or(0.0)
                    >= options.dense_commune_inscrits;
            PlanUnit {
                bureau: s.bureau.clone(),
                territory: territory_of(options.territory, s),
                inscrits: s.inscrits,
                score: s.score.unwrap_or(0.0),
                density: if dense {
                    Density::Dense
                } else {
                    Density::Suburban
                },
            }
        })
        .collect();
    let budget = BudgetOptions {
        budget_doors: options.budget_doors,
        electors_per_door: options.yield_params.electors_per_door,
        split: if options.territory == TerritoryLevel::National {
            Split::National
        } else {
            Split::ProportionalToCount
        },
        overflow: options.overflow,
    };
    let selection = select(&units, &budget)?;
    let class_opts = match &options.classes {
        Some(c) => parse_classes(c)?,
        None => ClassOptions::default(),
    };
    let classes = classify(&units, &class_opts)?;
    // The experiment.
    let mut design = None;
    let mut assignment: HashMap<usize, (usize, bool)> = HashMap::new();
    let mut canvassed = selection.selected.clone();
    if options.experiment {
        let members: Vec<usize> = (0..units.len())
            .filter(|&i| options.experiment_scope == ExperimentScope::All || selection.selected[i])
            .collect();
        let eunits: Vec<ExperimentUnit> = members
            .iter()
            .map(|&i| ExperimentUnit {
                bureau: units[i].bureau.clone(),
                territory: units[i].territory.clone(),
                score: units[i].score,
            })
            .collect();
        let d = design_experiment(
            &eunits,
            &DesignOptions {
                strata_size: options.strata_size,
                treated_per_stratum: options.treated_per_stratum,
                seed: options.seed,
                within_territory: true,
            },
        )?;
        let pos: HashMap<&terrain_model::BureauId, usize> =
            members.iter().map(|&i| (&units[i].bureau, i)).collect();
        for a in &d.assignments {
            if let Some(&i) = pos.get(&a.bureau) {
                assignment.insert(i, (a.stratum, a.treated));
                canvassed[i] = a.treated;
            }
        }
        design = Some(d);
    }
    let plan = plan_yield(&units, &canvassed, &options.yield_params)?;
    // Output, in territory then rank order.
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        units[a]
            .territory
            .cmp(&units[b].territory)
            .then(selection.rank[a].cmp(&selection.rank[b]))
    });
    let werr = |e: csv::Error| TargetingError::Write {
        target: "the output CSV".into(),
        detail: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
    w.write_record(OUTPUT_HEADER).map_err(werr)?;
    let f = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    for &i in &order {
        let u = &units[i];
        let s = scored[i];
        let matched: Vec<&str> = s
            .matches
            .iter()
            .map(|m| match m {
                MatchMethod::Id => "id",
                MatchMethod::Addresses => "addresses",
                MatchMethod::Commune => "commune",
                MatchMethod::Unmatched => "none",
            })
            .collect();
        let (stratum, treated) = match assignment.get(&i) {
            Some((s, t)) => (s.to_string(), if *t { "1" } else { "0" }.to_string()),
            None => (String::new(), String::new()),
        };
        w.write_record([
            selection.rank[i].to_string(),
            u.bureau.to_string(),
            u.bureau.commune().to_string(),
            u.territory.clone(),
            format!("{}", u.inscrits),
            format!("{:.1}", doors(u.inscrits, budget.electors_per_door)),
            f(s.abstention_rate),
            f(s.bloc_share),
            f(s.mobilisation),
            f(s.mobilisation.map(|m| m * u.inscrits)),
            f(s.trend),
            f(s.persuasion),
            format!("{:.6}", u.score),
            classes[i].as_str().to_string(),
            if selection.selected[i] { "1" } else { "0" }.to_string(),
            format!("{:.1}", selection.cumulative_doors[i]),
            match u.density {
                Density::Dense => "dense",
                Density::Suburban => "suburban",
            }
            .to_string(),
            matched.join(","),
            stratum,
            treated,
        ])
        .map_err(werr)?;
    }
    w.flush().map_err(|e| TargetingError::Write {
        target: "the output CSV".into(),
        detail: e.to_string(),
    })?;
    let mut class_counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in [
        Priority::Red,
        Priority::Orange,
        Priority::Yellow,
        Priority::None,
    ] {
        class_counts.insert(
            c.as_str().into(),
            classes.iter().filter(|x| **x == c).count(),
        );
    }
    let experiment = design.as_ref().map(|d| ExperimentSummary {
        seed: d.options.seed,
        strata_size: d.options.strata_size,
        treated_per_stratum: d.options.treated_per_stratum,
        strata: d.strata,
        treated: d.treated,
        control: d.control,
        digest: d.digest.clone(),
        treated_doors: plan.doors / options.yield_params.passes.max(f64::MIN_POSITIVE),
    });
    let per_election: HashMap<&ElectionId, usize> = elections
        .iter()
        .map(|e| (&e.election, e.bureaux.len()))
        .collect();
    Ok(TargetReport {
        bloc: options.bloc.clone(),
        inputs: Vec::new(),
        elections: srep
            .elections
            .iter()
            .map(|u| ElectionSummary {
                election: u.election.clone(),
                weight: u.weight,
                bureaux: per_election.get(&u.election).copied().unwrap_or(0),
                bloc_stood: u.bloc_stood,
                counted: Vec::new(),
                not_counted: Vec::new(),
                matching: u.matching.clone(),
            })
            .collect(),
        universe: srep.universe,
        bureaux: srep.bureaux,
        bureaux_without_results: srep.bureaux_without_results,
        territories: selection.territories,
        budget_doors: options.budget_doors,
        plan,
        classes: class_counts,
        shrinkage: srep.shrinkage,
        overall_swing: srep.overall_swing,
        transfer_matrix: srep.transfer_matrix,
        transfer_r2: srep.transfer_r2,
        experiment,
        design,
        counts: CountsReport::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(rel: &str) -> Option<std::path::PathBuf> {
        let p =
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
                .join(rel);
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

    const SMALL: &str = "election;bureau;circonscription;inscrits;abstentions;exprimes;bloc\n\
        2017_pres_t1;69001_0001;08;1400;280;1092;273\n\
        2017_pres_t1;69001_0002;08;700;210;476;95.2\n\
        2017_pres_t1;69002_0001;08;2100;210;1848;184.8\n\
        2017_pres_t1;69002_0002;08;280;28;246.4;73.92\n";

    #[test]
    fn compact_counts_in_ranked_plan_out() {
        let opts = TargetOptions {
            elections: vec!["2017_pres_t1".into()],
            bloc: "left".into(),
            budget_doors: 1300.0,
            ..Default::default()
        };
        let mut out = Vec::new();
        let rep = target(
            &opts,
            vec![("small.csv".to_string(), SMALL.as_bytes())],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], OUTPUT_HEADER.join(";"));
        // PO: 0001 = .2 × .25 = .05 (1000 doors); 0002 = .3 × .2 = .06 (500 doors);
        // 69002_0001 = .1 × .1 = .01 (1500); 69002_0002 = .1 × .3 = .03 (200).
        assert!(
            lines[1].starts_with("1;69001_0002;69001;69;"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("2;69001_0001;"), "{}", lines[2]);
        assert!(lines[3].starts_with("3;69002_0002;"), "{}", lines[3]);
        // 500 + 1000 > 1300: LMP stops after the first.
        assert_eq!(rep.plan.bureaux, 1);
        assert!((rep.plan.doors - 500.0).abs() < 1e-9);
        assert_eq!(rep.inputs[0].format, "counts");
        assert_eq!(rep.classes.values().sum::<usize>(), 4);
    }

    #[test]
    fn real_rhone_files_with_an_experiment() {
        let Some(dir) = shared("elections-rhone-69-presidentielle-2017-2022") else {
            return;
        };
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
        let opts = TargetOptions {
            elections: vec!["2017_pres_t1".into(), "2017_pres_t2:0.5".into()],
            bloc: "left".into(),
            budget_doors: 100_000.0,
            territory: TerritoryLevel::Circonscription,
            shrink: true,
            experiment: true,
            seed: 2012,
            ..Default::default()
        };
        let inputs = [
            (
                "PR17_T1_burvot_69_bronze.csv".to_string(),
                read("PR17_T1_burvot_69_bronze.csv"),
            ),
            (
                "reconstitue-format-officiel/PR17_BVot_T2_69.txt".to_string(),
                read("reconstitue-format-officiel/PR17_BVot_T2_69.txt"),
            ),
        ];
        let inputs: Vec<(String, &[u8])> = inputs
            .iter()
            .map(|(s, b)| (s.clone(), b.as_slice()))
            .collect();
        let mut out = Vec::new();
        let rep = target(&opts, inputs, &mut out).unwrap();
        assert_eq!(rep.bureaux, 1287);
        assert_eq!(rep.bureaux_without_results, 0);
        let e1 = &rep.elections[0];
        assert!(e1.bloc_stood && !rep.elections[1].bloc_stood);
        let counted: Vec<&str> = e1.counted.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(counted.len(), 2, "{counted:?}");
        assert!(
            counted
                .iter()
                .any(|n| n.contains("MÉLENCHON") || n.contains("MELENCHON"))
        );
        // 14 circonscriptions share the budget; none overspends.
        assert_eq!(rep.territories.len(), 14);
        for t in &rep.territories {
            assert!(t.doors_selected <= t.budget_doors + 1e-6);
        }
        let exp = rep.experiment.as_ref().unwrap();
        assert!(exp.treated > 3 * exp.control);
        assert!(rep.design.as_ref().unwrap().verify());
        // The canvassed doors are the treated bureaux' doors.
        assert!(rep.plan.doors < 100_000.0);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1288);
        assert_eq!(rep.shrinkage.len(), 2);
    }
}
