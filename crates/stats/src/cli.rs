//! Entry points of the `terrain sample` and `terrain weight` commands on plain CSV: a plain
//! options struct, an `impl Read` for each input and an `impl Write` for the output CSV,
//! and a `Serialize` report (what `--json` prints). The binary only parses flags and
//! opens files.

use std::io::{Read, Write};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::allocation::{ResponseModel, allocate_interviews, design_expected_respondents};
use crate::calibration::{
    Calibration, CalibrationOptions, Method, WeightSummary, calibrate, encode_profiles,
    margins_from_long, summarise_weights,
};
use crate::cube::cube;
use crate::diagnostics::{TotalCheck, horvitz_thompson_checks, project_lon_lat, spatial_balance};
use crate::error::{Result, StatsError};
use crate::probabilities::{
    equal_probabilities, proportional_probabilities, stratified_probabilities,
};
use crate::spread::{local_cube, lpm2};

/// How to draw the areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SampleMethod {
    /// Local cube with `--balance` and `--spatial`, local pivotal with `--spatial` alone,
    /// the cube otherwise.
    #[default]
    Auto,
    /// Cube method (balanced).
    Cube,
    /// Local cube (balanced and spread).
    LocalCube,
    /// Local pivotal method 2 (spread).
    Lpm2,
}

/// Options of `terrain sample`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleOptions {
    /// Sample size (`--n`).
    pub n: usize,
    /// Column holding the area id (`--id`, default `id`).
    pub id_column: String,
    /// Size column for probabilities proportional to size (`--prob`); equal otherwise.
    pub prob: Option<String>,
    /// Balancing columns, by priority (`--balance a,b,c`).
    pub balance: Vec<String>,
    /// Longitude and latitude columns (`--spatial lon,lat`), in degrees.
    pub spatial: Option<(String, String)>,
    /// Stratum column (`--strata`): `n` is allocated to strata in proportion to their size.
    pub strata: Option<String>,
    /// Seed of the draw (`--seed`).
    pub seed: u64,
    /// Method (`--method auto|cube|local-cube|lpm2`).
    pub method: SampleMethod,
    /// Column of adults per area, for expected respondents and the allocation
    /// (`--adults`; defaults to the `--prob` column).
    pub adults: Option<String>,
    /// Interviews to allocate to the chosen areas (`--interviews`); adds the columns
    /// `interviews,doors` to the output.
    pub interviews: Option<usize>,
    /// Response assumptions (`--response-rate`, `--door-open-rate`).
    pub response: ResponseModel,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            n: 0,
            id_column: "id".into(),
            prob: None,
            balance: Vec::new(),
            spatial: None,
            strata: None,
            seed: 0,
            method: SampleMethod::Auto,
            adults: None,
            interviews: None,
            response: ResponseModel::default(),
        }
    }
}

/// What `terrain sample --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleReport {
    /// The method used.
    pub method: SampleMethod,
    /// How the landing phase was done.
    pub landing: &'static str,
    /// Areas in the frame.
    pub frame_units: usize,
    /// Areas chosen.
    pub selected: usize,
    /// Seed.
    pub seed: u64,
    /// Units left to the landing phase (balanced methods).
    pub landing_units: usize,
    /// Horvitz–Thompson check of each balancing (and size) total.
    pub balance: Vec<TotalCheck>,
    /// Largest relative error among them.
    pub max_relative_error: f64,
    /// Voronoi spatial balance (with `--spatial`; lower is better spread).
    pub spatial_balance: Option<f64>,
    /// Expected respondents of the design (Σ π × adults × response rate), if adults known.
    pub design_expected_respondents: Option<f64>,
    /// Expected respondents of this draw if every door is knocked.
    pub sample_expected_respondents: Option<f64>,
    /// Interviews and doors allocated (with `--interviews`).
    pub interviews: Option<usize>,
    /// Doors to knock for them.
    pub doors: Option<usize>,
    /// Areas chosen per stratum (with `--strata`).
    pub strata: Vec<StratumCount>,
}

/// Areas chosen in a stratum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumCount {
    /// Stratum value.
    pub stratum: String,
    /// Areas in the frame.
    pub frame_units: usize,
    /// Areas chosen.
    pub selected: usize,
}

fn csv_error(file: &str, e: &csv::Error) -> StatsError {
    StatsError::Csv {
        file: file.into(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// A CSV read whole: header and rows (`,` or `;` separated, detected from the header).
struct Table {
    file: &'static str,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
    lines: Vec<u64>,
    semicolon: bool,
}

impl Table {
    fn read(file: &'static str, mut input: impl Read) -> Result<Table> {
        let mut text = Vec::new();
        input.read_to_end(&mut text).map_err(|e| StatsError::Csv {
            file: file.into(),
            line: 0,
            message: e.to_string(),
        })?;
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
        let first = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let semicolon = first.iter().filter(|&&b| b == b';').count()
            > first.iter().filter(|&&b| b == b',').count();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(if semicolon { b';' } else { b',' })
            .trim(csv::Trim::All)
            .from_reader(text);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(file, &e))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| csv_error(file, &e))?;
            lines.push(rec.position().map_or(0, |p| p.line()));
            rows.push(rec);
        }
        Ok(Table {
            file,
            header,
            rows,
            lines,
            semicolon,
        })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| StatsError::Csv {
                file: self.file.into(),
                line: 1,
                message: format!("no column {name:?} (columns: {})", self.header.join(", ")),
            })
    }

    fn text(&self, row: usize, col: usize) -> &str {
        self.rows[row].get(col).unwrap_or("")
    }

    fn number(&self, row: usize, col: usize) -> Result<f64> {
        let raw = self.text(row, col);
        let s = if self.semicolon {
            raw.replace(',', ".")
        } else {
            raw.to_string()
        };
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| StatsError::Csv {
                file: self.file.into(),
                line: self.lines[row],
                message: format!("column {:?}: {raw:?} is not a number", self.header[col]),
            })
    }

    fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        (0..self.rows.len()).map(|r| self.number(r, c)).collect()
    }
}

fn write_err(file: &str, e: impl std::fmt::Display) -> StatsError {
    StatsError::Write {
        file: file.into(),
        message: e.to_string(),
    }
}

/// `terrain sample`: reads the frame, draws the areas, writes `id,inclusion_probability`
/// (plus `stratum` with `--strata`, `interviews,doors` with `--interviews`) for the chosen
/// areas, and returns the diagnostics.
pub fn sample_command(
    options: &SampleOptions,
    frame: impl Read,
    out: impl Write,
) -> Result<SampleReport> {
    let t = Table::read("frame", frame)?;
    let n_units = t.rows.len();
    let id_col = t.column(&options.id_column)?;
    let sizes = options.prob.as_deref().map(|c| t.numbers(c)).transpose()?;
    let strata_col = options.strata.as_deref().map(|c| t.column(c)).transpose()?;
    let mut stratum_names: Vec<String> = Vec::new();
    let strata: Option<Vec<usize>> = strata_col.map(|c| {
        (0..n_units)
            .map(|r| {
                let v = t.text(r, c);
                match stratum_names.iter().position(|s| s == v) {
                    Some(i) => i,
                    None => {
                        stratum_names.push(v.to_string());
                        stratum_names.len() - 1
                    }
                }
            })
            .collect()
    });
    let pi = match (&strata, &sizes) {
        (Some(s), sz) => stratified_probabilities(sz.as_deref(), s, options.n)?.0,
        (None, Some(sz)) => proportional_probabilities(sz, options.n as f64)?,
        (None, None) => equal_probabilities(n_units, options.n as f64)?,
    };
    let p = options.balance.len();
    let mut aux = vec![0.0; n_units * p];
    for (j, name) in options.balance.iter().enumerate() {
        for (k, v) in t.numbers(name)?.into_iter().enumerate() {
            aux[k * p + j] = v;
        }
    }
    let coords = match &options.spatial {
        Some((lon, lat)) => Some(project_lon_lat(&t.numbers(lon)?, &t.numbers(lat)?)),
        None => None,
    };
    let method = match options.method {
        SampleMethod::Auto => match (&coords, p) {
            (Some(_), 0) => SampleMethod::Lpm2,
            (Some(_), _) => SampleMethod::LocalCube,
            (None, _) => SampleMethod::Cube,
        },
        m => m,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(options.seed);
    let need_coords = || {
        coords.as_deref().ok_or(StatsError::InvalidParameter {
            name: "method",
            reason: "lpm2 and local-cube need --spatial LON,LAT".into(),
        })
    };
    // The spread methods run stratum by stratum (each stratum's size is then fixed).
    let groups: Vec<Vec<usize>> = match &strata {
        Some(s) if method != SampleMethod::Cube => {
            let mut g = vec![Vec::new(); stratum_names.len()];
            for (k, &h) in s.iter().enumerate() {
                g[h].push(k);
            }
            g
        }
        _ => vec![(0..n_units).collect()],
    };
    let mut selected = Vec::new();
    let mut landing_units = 0;
    for group in &groups {
        let gpi: Vec<f64> = group.iter().map(|&k| pi[k]).collect();
        let gaux: Vec<f64> = group
            .iter()
            .flat_map(|&k| aux[k * p..(k + 1) * p].iter().copied())
            .collect();
        let gcoords = |c: &[f64]| -> Vec<f64> {
            group
                .iter()
                .flat_map(|&k| [c[2 * k], c[2 * k + 1]])
                .collect()
        };
        let chosen: Vec<usize> = match method {
            SampleMethod::Cube | SampleMethod::Auto => {
                let s = cube(&gpi, &gaux, p, strata.as_deref(), &mut rng)?;
                landing_units += s.landing_units;
                s.selected
            }
            SampleMethod::Lpm2 => lpm2(&gpi, &gcoords(need_coords()?), 2, &mut rng)?,
            SampleMethod::LocalCube => {
                let s = local_cube(&gpi, &gaux, p, &gcoords(need_coords()?), 2, &mut rng)?;
                landing_units += s.landing_units;
                s.selected
            }
        };
        selected.extend(chosen.into_iter().map(|i| group[i]));
    }
    selected.sort_unstable();

    // Diagnostics.
    let mut names = vec!["(sample size)".to_string()];
    names.extend(options.balance.iter().cloned());
    let mut checks_aux = Vec::with_capacity(n_units * (p + 1));
    for k in 0..n_units {
        checks_aux.push(pi[k]);
        checks_aux.extend_from_slice(&aux[k * p..(k + 1) * p]);
    }
    let balance = horvitz_thompson_checks(&pi, &checks_aux, &names, &selected)?;
    let max_relative_error = balance.iter().map(|c| c.relative_error).fold(0.0, f64::max);
    let spatial = match &coords {
        Some(c) if !selected.is_empty() => Some(spatial_balance(&pi, c, 2, &selected)?),
        _ => None,
    };
    let adults = match options.adults.as_deref().or(options.prob.as_deref()) {
        Some(c) => Some(t.numbers(c)?),
        None => None,
    };
    let allocation = match (options.interviews, &adults) {
        (Some(m), Some(a)) => Some(allocate_interviews(
            &selected,
            &pi,
            a,
            m,
            &options.response,
        )?),
        (Some(_), None) => {
            return Err(StatsError::InvalidParameter {
                name: "interviews",
                reason: "allocating interviews needs adults per area (--adults or --prob)".into(),
            });
        }
        _ => None,
    };

    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![options.id_column.as_str(), "inclusion_probability"];
    if strata.is_some() {
        header.push("stratum");
    }
    if allocation.is_some() {
        header.extend(["interviews", "doors"]);
    }
    w.write_record(&header)
        .map_err(|e| write_err("sample", e))?;
    for (i, &k) in selected.iter().enumerate() {
        let mut rec = vec![t.text(k, id_col).to_string(), format!("{}", pi[k])];
        if let Some(s) = &strata {
            rec.push(stratum_names[s[k]].clone());
        }
        if let Some(a) = &allocation {
            rec.push(a.areas[i].interviews.to_string());
            rec.push(a.areas[i].doors.to_string());
        }
        w.write_record(&rec).map_err(|e| write_err("sample", e))?;
    }
    w.flush().map_err(|e| write_err("sample", e))?;

    let strata_report = match &strata {
        Some(s) => stratum_names
            .iter()
            .enumerate()
            .map(|(h, name)| StratumCount {
                stratum: name.clone(),
                frame_units: s.iter().filter(|&&x| x == h).count(),
                selected: selected.iter().filter(|&&k| s[k] == h).count(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(SampleReport {
        method,
        landing: match method {
            SampleMethod::Lpm2 => "none (pivotal method)",
            _ => "suppression of variables",
        },
        frame_units: n_units,
        selected: selected.len(),
        seed: options.seed,
        landing_units,
        balance,
        max_relative_error,
        spatial_balance: spatial,
        design_expected_respondents: adults
            .as_ref()
            .map(|a| design_expected_respondents(&pi, a, &options.response)),
        sample_expected_respondents: adults.as_ref().map(|a| {
            selected
                .iter()
                .map(|&k| a[k] * options.response.resident_response_rate)
                .sum()
        }),
        interviews: allocation.as_ref().map(|a| a.interviews),
        doors: allocation.as_ref().map(|a| a.doors),
        strata: strata_report,
    })
}

/// Options of `terrain weight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightOptions {
    /// Calibration method (`--method raking|linear|logit`).
    pub method: Method,
    /// Bounds on `g = w / d` (`--bounds L,U`).
    pub bounds: Option<(f64, f64)>,
    /// Trimming ratio to the mean weight (`--trim X`).
    pub trim: Option<f64>,
    /// Design weight column (`--design-weight COL`); 1 for everyone otherwise.
    pub design_weight: Option<String>,
    /// Respondent id column (`--id`, default `id`).
    pub id_column: String,
    /// Scale each variable's margins to the first variable's total (`--normalise-margins`).
    pub normalise_margins: bool,
}

impl Default for WeightOptions {
    fn default() -> Self {
        WeightOptions {
            method: Method::Raking,
            bounds: None,
            trim: None,
            design_weight: None,
            id_column: "id".into(),
            normalise_margins: false,
        }
    }
}

/// What `terrain weight --json` prints: the calibration report and the weight distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightReport {
    /// Convergence, margins before and after, Kish deff, warnings.
    #[serde(flatten)]
    pub calibration: Calibration,
    /// Distribution of the final weights.
    pub weights: Option<WeightSummary>,
}

/// `terrain weight`: reads respondents (an id column and categorical columns named like the
/// margin variables) and long-form margins (`variable,category,target`), calibrates, writes
/// `id,weight`, and returns the report.
pub fn weight_command(
    options: &WeightOptions,
    respondents: impl Read,
    margins: impl Read,
    out: impl Write,
) -> Result<WeightReport> {
    let m = Table::read("margins", margins)?;
    let (cv, cc, ct) = (
        m.column("variable")?,
        m.column("category")?,
        m.column("target")?,
    );
    let mut long = Vec::with_capacity(m.rows.len());
    for r in 0..m.rows.len() {
        long.push((
            m.text(r, cv).to_string(),
            m.text(r, cc).to_string(),
            m.number(r, ct)?,
        ));
    }
    let vars = margins_from_long(long)?;
    let t = Table::read("respondents", respondents)?;
    let id_col = t.column(&options.id_column)?;
    let cols: Vec<usize> = vars
        .iter()
        .map(|v| t.column(&v.name))
        .collect::<Result<_>>()?;
    let values: Vec<Vec<&str>> = (0..t.rows.len())
        .map(|r| cols.iter().map(|&c| t.text(r, c)).collect())
        .collect();
    let codes = encode_profiles(&vars, &values).map_err(|e| match e {
        StatsError::UnknownCategory {
            row,
            variable,
            category,
        } => StatsError::Csv {
            file: "respondents".into(),
            line: t.lines.get(row).copied().unwrap_or(0),
            message: format!(
                "{variable}={category:?} is not a category of the margins of {variable}"
            ),
        },
        e => e,
    })?;
    let d = match &options.design_weight {
        Some(c) => t.numbers(c)?,
        None => vec![1.0; t.rows.len()],
    };
    if let Some(i) = d.iter().position(|&x| x <= 0.0) {
        return Err(StatsError::Csv {
            file: "respondents".into(),
            line: t.lines[i],
            message: format!("design weight {} is not positive", d[i]),
        });
    }
    let cal = calibrate(
        &vars,
        &codes,
        &d,
        &CalibrationOptions {
            method: options.method,
            bounds: options.bounds,
            trim: options.trim,
            normalise_margins: options.normalise_margins,
            ..CalibrationOptions::default()
        },
    )?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record([options.id_column.as_str(), "weight"])
        .map_err(|e| write_err("weights", e))?;
    for (r, weight) in cal.weights.iter().enumerate() {
        w.write_record([t.text(r, id_col), &format!("{weight}")])
            .map_err(|e| write_err("weights", e))?;
    }
    w.flush().map_err(|e| write_err("weights", e))?;
    Ok(WeightReport {
        weights: summarise_weights(&cal.weights),
        calibration: cal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_csv(n: usize) -> String {
        let (sizes, aux, coords) = crate::cube::tests::frame(n, 3, 17);
        let mut s = String::from("id,pop,a,b,c,lon,lat,region\n");
        for k in 0..n {
            s.push_str(&format!(
                "B{k:04},{},{},{},{},{},{},R{}\n",
                sizes[k],
                aux[k * 3],
                aux[k * 3 + 1],
                aux[k * 3 + 2],
                2.0 + coords[2 * k],
                46.0 + coords[2 * k + 1],
                k % 3
            ));
        }
        s
    }

    #[test]
    fn sample_command_writes_chosen_ids_and_reports_diagnostics() {
        let frame = frame_csv(800);
        for (balance, spatial, method) in [
            (vec![], None, SampleMethod::Cube),
            (vec!["a", "b", "c"], None, SampleMethod::Cube),
            (vec![], Some(("lon", "lat")), SampleMethod::Lpm2),
            (
                vec!["a", "b"],
                Some(("lon", "lat")),
                SampleMethod::LocalCube,
            ),
        ] {
            let o = SampleOptions {
                n: 40,
                prob: Some("pop".into()),
                balance: balance.iter().map(|s| s.to_string()).collect(),
                spatial: spatial.map(|(a, b): (&str, &str)| (a.to_string(), b.to_string())),
                seed: 42,
                interviews: Some(1000),
                ..Default::default()
            };
            let mut out = Vec::new();
            let r = sample_command(&o, frame.as_bytes(), &mut out).unwrap();
            assert_eq!(r.method, method);
            assert_eq!(r.selected, 40);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count(), 41);
            assert!(text.starts_with("id,inclusion_probability,interviews,doors\n"));
            assert_eq!(r.interviews, Some(1000));
            assert_eq!(r.spatial_balance.is_some(), spatial.is_some());
            // Same seed, same sample.
            let mut again = Vec::new();
            sample_command(&o, frame.as_bytes(), &mut again).unwrap();
            assert_eq!(String::from_utf8(again).unwrap(), text);
        }
    }

    #[test]
    fn stratified_sample_fixes_sizes_per_stratum() {
        let frame = frame_csv(600);
        for spatial in [None, Some(("lon".to_string(), "lat".to_string()))] {
            let o = SampleOptions {
                n: 30,
                prob: Some("pop".into()),
                balance: vec!["a".into()],
                strata: Some("region".into()),
                spatial,
                seed: 1,
                ..Default::default()
            };
            let r = sample_command(&o, frame.as_bytes(), std::io::sink()).unwrap();
            // The allocation in proportion to each stratum's population.
            let (sizes, _, _) = crate::cube::tests::frame(600, 3, 17);
            let strata: Vec<usize> = (0..600).map(|k| k % 3).collect();
            let (_, alloc) = stratified_probabilities(Some(&sizes), &strata, 30).unwrap();
            assert_eq!(
                r.strata.iter().map(|s| s.selected).collect::<Vec<_>>(),
                alloc
            );
        }
    }

    #[test]
    fn missing_columns_and_bad_numbers_name_the_place() {
        let o = SampleOptions {
            n: 2,
            prob: Some("pop".into()),
            ..Default::default()
        };
        let err =
            sample_command(&o, "id,size\na,1\nb,2\nc,3\n".as_bytes(), std::io::sink()).unwrap_err();
        assert!(err.to_string().contains("no column \"pop\""), "{err}");
        let err = sample_command(&o, "id;pop\na;1,5\nb;x\nc;3\n".as_bytes(), std::io::sink())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "frame, line 3: column \"pop\": \"x\" is not a number"
        );
    }

    #[test]
    fn weight_command_round_trip() {
        let respondents =
            "id,sex,age,w\n1,F,young,1\n2,F,old,1\n3,H,young,2\n4,H,old,1\n5,F,old,1\n";
        let margins = "variable,category,target\nsex,F,50\nsex,H,50\nage,young,40\nage,old,60\n";
        let o = WeightOptions {
            design_weight: Some("w".into()),
            ..Default::default()
        };
        let mut out = Vec::new();
        let r = weight_command(&o, respondents.as_bytes(), margins.as_bytes(), &mut out).unwrap();
        assert!(r.calibration.converged);
        assert!(r.calibration.max_relative_deviation < 1e-9);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 6);
        let total: f64 = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((total - 100.0).abs() < 1e-9);
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["kish_deff"].as_f64().unwrap() >= 1.0);
        assert!(json["margins"].as_array().unwrap().len() == 4);
        // An unknown category points at its line.
        let bad = "id,sex,age\n1,F,young\n2,X,old\n";
        let err = weight_command(
            &WeightOptions::default(),
            bad.as_bytes(),
            margins.as_bytes(),
            std::io::sink(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("respondents, line 3: sex=\"X\""),
            "{err}"
        );
    }
}
