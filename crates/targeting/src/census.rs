//! Census variables aggregated from IRIS (INSEE's sub-commune census areas) to bureaux de vote,
//! through the addresses the two share.
//!
//! A link (bureau b, IRIS i, weight w) says that w addresses (or doors, or dwellings) of b lie
//! in i. Counts are apportioned by address share: b receives w / Wᵢ of each count of IRIS i,
//! where Wᵢ is the weight of all of i's links; a share (graduates / people out of school) is
//! then computed from the bureau's apportioned counts. A level (Filosofi's median income) is
//! averaged over the bureau's IRIS, weighted by w.

use crate::error::TargetingError;
use crate::shrink::Covariates;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_ingest::census::CensusTable;
use terrain_model::{BureauId, IrisCode};

/// Some addresses of a bureau lie in an IRIS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IrisLink {
    pub bureau: BureauId,
    pub iris: IrisCode,
    /// Addresses (or doors) in both.
    pub weight: f64,
}

/// Adds up placements (bureau, IRIS, weight) into links.
pub fn links_from_placements(
    placements: impl IntoIterator<Item = (BureauId, IrisCode, f64)>,
) -> Vec<IrisLink> {
    let mut acc: HashMap<(BureauId, IrisCode), f64> = HashMap::new();
    for (b, i, w) in placements {
        if w > 0.0 && w.is_finite() {
            *acc.entry((b, i)).or_default() += w;
        }
    }
    let mut out: Vec<IrisLink> = acc
        .into_iter()
        .map(|((bureau, iris), weight)| IrisLink {
            bureau,
            iris,
            weight,
        })
        .collect();
    out.sort_by(|a, b| a.bureau.cmp(&b.bureau).then_with(|| a.iris.cmp(&b.iris)));
    out
}

/// A covariate computed from a census table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CovariateSpec {
    /// Σ numerators / denominator, from apportioned counts.
    Share {
        name: String,
        numerator: Vec<String>,
        denominator: String,
    },
    /// The address-weighted mean of an IRIS-level value (income median, rates).
    Mean { name: String, variable: String },
}

impl CovariateSpec {
    pub fn name(&self) -> &str {
        match self {
            CovariateSpec::Share { name, .. } | CovariateSpec::Mean { name, .. } => name,
        }
    }
}

/// The variable of `table` whose name, without its census prefix (`P15_`, `C11_`) or its
/// two-digit year suffix (Filosofi's `DISP_MED15`), is `base`.
pub fn find_variable(table: &CensusTable, base: &str) -> Option<String> {
    table
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .find_map(|name| {
            let b = name.as_bytes();
            let without_prefix = if b.len() > 4
                && (b[0] == b'P' || b[0] == b'C')
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && b[3] == b'_'
            {
                &name[4..]
            } else {
                name
            };
            let n = without_prefix.len();
            let without_year = if n > 2
                && without_prefix.as_bytes()[n - 2..]
                    .iter()
                    .all(u8::is_ascii_digit)
            {
                &without_prefix[..n - 2]
            } else {
                without_prefix
            };
            (without_prefix == base || without_year == base).then(|| name.to_string())
        })
}

/// The covariates Terrain knows how to build from whichever standard INSEE tables are given:
/// diplomas (`base-ic-diplomes-formation`), activity (`base-ic-activite-residents`), the
/// population by occupation (`POP15P_CS*`) and Filosofi incomes.
pub fn standard_specs(table: &CensusTable) -> Vec<CovariateSpec> {
    let mut out = Vec::new();
    let share = |name: &str, num: &[&str], den: &str| -> Option<CovariateSpec> {
        let numerator = num
            .iter()
            .map(|n| find_variable(table, n))
            .collect::<Option<Vec<_>>>()?;
        Some(CovariateSpec::Share {
            name: name.into(),
            numerator,
            denominator: find_variable(table, den)?,
        })
    };
    let mean = |name: &str, var: &str| -> Option<CovariateSpec> {
        Some(CovariateSpec::Mean {
            name: name.into(),
            variable: find_variable(table, var)?,
        })
    };
    out.extend(share("graduates", &["NSCOL15P_SUP"], "NSCOL15P"));
    out.extend(share("no_diploma", &["NSCOL15P_DIPLMIN"], "NSCOL15P"));
    out.extend(share("unemployment", &["CHOM1564"], "ACT1564"));
    out.extend(share("workers", &["ACT1564_CS6"], "ACT1564"));
    out.extend(share("executives", &["ACT1564_CS3"], "ACT1564"));
    out.extend(share("students", &["ETUD1564"], "POP1564"));
    out.extend(share("retired_15p", &["POP15P_CS7"], "POP15P"));
    if !out.iter().any(|s| s.name() == "workers") {
        out.extend(share("workers", &["POP15P_CS6"], "POP15P"));
    }
    if !out.iter().any(|s| s.name() == "executives") {
        out.extend(share("executives", &["POP15P_CS3"], "POP15P"));
    }
    out.extend(mean("median_income", "DISP_MED"));
    out.extend(mean("poverty_rate", "DISP_TP60"));
    out.extend(mean("social_benefits_share", "DISP_PPSOC"));
    out
}

/// How the census met the links.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CensusCoverage {
    pub source: String,
    /// Per covariate: bureaux that got a value.
    pub bureaux_with_value: Vec<(String, usize)>,
    /// Link weight whose IRIS is not in the table.
    pub weight_without_iris: f64,
    pub weight_total: f64,
}

/// Aggregates `specs` of `table` to the bureaux of `links`.
pub fn bureau_covariates(
    table: &CensusTable,
    links: &[IrisLink],
    specs: &[CovariateSpec],
) -> Result<(Covariates, CensusCoverage), TargetingError> {
    let var = |name: &str| {
        table.index(name).ok_or_else(|| {
            TargetingError::option("census", format!("{}: no variable {name:?}", table.source))
        })
    };
    enum Compiled {
        Share(Vec<usize>, usize),
        Mean(usize),
    }
    let compiled = specs
        .iter()
        .map(|s| match s {
            CovariateSpec::Share {
                numerator,
                denominator,
                ..
            } => Ok(Compiled::Share(
                numerator.iter().map(|n| var(n)).collect::<Result<_, _>>()?,
                var(denominator)?,
            )),
            CovariateSpec::Mean { variable, .. } => Ok(Compiled::Mean(var(variable)?)),
        })
        .collect::<Result<Vec<_>, TargetingError>>()?;
    let rows: HashMap<&IrisCode, usize> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.iris, i))
        .collect();
    let mut iris_weight: HashMap<&IrisCode, f64> = HashMap::new();
    for l in links {
        *iris_weight.entry(&l.iris).or_default() += l.weight;
    }
    // Per bureau and spec: (numerator, denominator) for shares, (Σ w v, Σ w) for means.
    let mut acc: HashMap<&BureauId, Vec<(f64, f64)>> = HashMap::new();
    let mut coverage = CensusCoverage {
        source: table.source.clone(),
        ..Default::default()
    };
    for l in links {
        coverage.weight_total += l.weight;
        let slot = acc
            .entry(&l.bureau)
            .or_insert_with(|| vec![(0.0, 0.0); specs.len()]);
        let Some(&r) = rows.get(&l.iris) else {
            coverage.weight_without_iris += l.weight;
            continue;
        };
        let values = &table.rows[r].values;
        let share = l.weight / iris_weight.get(&l.iris).copied().unwrap_or(l.weight);
        for (k, c) in compiled.iter().enumerate() {
            match c {
                Compiled::Share(num, den) => {
                    let n: Option<f64> = num.iter().map(|&j| values[j]).sum();
                    if let (Some(n), Some(d)) = (n, values[*den]) {
                        slot[k].0 += share * n;
                        slot[k].1 += share * d;
                    }
                }
                Compiled::Mean(j) => {
                    if let Some(v) = values[*j] {
                        slot[k].0 += l.weight * v;
                        slot[k].1 += l.weight;
                    }
                }
            }
        }
    }
    let mut cov = Covariates {
        names: specs.iter().map(|s| s.name().to_string()).collect(),
        values: HashMap::with_capacity(acc.len()),
    };
    let mut with_value = vec![0usize; specs.len()];
    for (b, slot) in acc {
        let row: Vec<Option<f64>> = slot
            .iter()
            .enumerate()
            .map(|(k, (num, den))| {
                let v = (*den > 0.0).then(|| num / den);
                if v.is_some() {
                    with_value[k] += 1;
                }
                v
            })
            .collect();
        cov.values.insert(b.clone(), row);
    }
    coverage.bureaux_with_value = specs
        .iter()
        .zip(with_value)
        .map(|(s, n)| (s.name().to_string(), n))
        .collect();
    Ok((cov, coverage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_ingest::census::CensusOptions;

    fn table() -> CensusTable {
        let csv = "IRIS,COM,LIBIRIS,P15_NSCOL15P,P15_NSCOL15P_SUP,DISP_MED15\n\
                   751010101,75101,A,100,60,30000\n\
                   751010102,75101,B,300,30,\n";
        CensusTable::read(
            csv.as_bytes(),
            CensusOptions {
                source: "t.csv".into(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn counts_are_apportioned_by_address_share_and_levels_averaged() {
        let t = table();
        let specs = standard_specs(&t);
        assert_eq!(
            specs,
            vec![
                CovariateSpec::Share {
                    name: "graduates".into(),
                    numerator: vec!["P15_NSCOL15P_SUP".into()],
                    denominator: "P15_NSCOL15P".into()
                },
                CovariateSpec::Mean {
                    name: "median_income".into(),
                    variable: "DISP_MED15".into()
                },
            ]
        );
        let b1 = BureauId::parse("75056_0101").unwrap();
        let b2 = BureauId::parse("75056_0102").unwrap();
        let i1 = IrisCode::parse("751010101").unwrap();
        let i2 = IrisCode::parse("751010102").unwrap();
        // IRIS A: 30 addresses in b1, 10 in b2. IRIS B: 20 in b2 only.
        let links = links_from_placements(vec![
            (b1.clone(), i1.clone(), 10.0),
            (b1.clone(), i1.clone(), 20.0),
            (b2.clone(), i1.clone(), 10.0),
            (b2.clone(), i2.clone(), 20.0),
        ]);
        assert_eq!(links.len(), 3);
        let (cov, coverage) = bureau_covariates(&t, &links, &specs).unwrap();
        // b1: ¾ of A → 45 / 75 = 0.6. b2: ¼ of A + all of B → (15 + 30) / (25 + 300).
        assert!((cov.values[&b1][0].unwrap() - 0.6).abs() < 1e-12);
        assert!((cov.values[&b2][0].unwrap() - 45.0 / 325.0).abs() < 1e-12);
        // Income known for A only: b2's mean uses its 10 addresses in A.
        assert_eq!(cov.values[&b2][1], Some(30000.0));
        assert_eq!(coverage.weight_total, 60.0);
        assert_eq!(coverage.weight_without_iris, 0.0);
    }

    /// Real Paris data: BAN addresses placed in the 2017 bureaux and the 2013 IRIS, the 2015
    /// diploma table, the 2017 presidential results.
    #[test]
    fn paris_census_through_addresses_predicts_the_right_and_centre_vote() {
        use crate::bloc::{BlocResolver, BlocSpec};
        use crate::counts::counts_from_results;
        use crate::shrink::{Design, ShrinkOptions, shrink};
        use std::io::Read;
        let base = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/paris-75"
        ));
        if !base.exists() {
            eprintln!(
                "SKIPPED: {} is absent (shared/data is not beside this clone)",
                base.display()
            );
            return;
        }
        let gz =
            std::fs::File::open(base.join("ban-adresses/adresses-75_bureau2017_iris2013.csv.gz"))
                .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .unwrap();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let mut placements = Vec::new();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let (Some(b), Some(i)) = (rec.get(8), rec.get(9)) else {
                continue;
            };
            if let (Ok(b), Ok(i)) = (BureauId::parse(&format!("75056_{b}")), IrisCode::parse(i)) {
                placements.push((b, i, 1.0));
            }
        }
        let links = links_from_placements(placements);
        let census = CensusTable::read(
            std::fs::File::open(base.join("iris-recensement-2015-filosofi/diplomes-2015.csv"))
                .unwrap(),
            CensusOptions {
                source: "diplomes-2015.csv".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let specs = standard_specs(&census);
        let (cov, coverage) = bureau_covariates(&census, &links, &specs).unwrap();
        assert!(
            coverage.weight_without_iris < 0.01 * coverage.weight_total,
            "{coverage:?}"
        );
        let graduates = specs.iter().position(|s| s.name() == "graduates").unwrap();
        // Results: the right and centre share of 2017 T1 per bureau.
        let f = std::fs::File::open(
            base.join("resultats-2017-par-bureau/paris_2017_resultats_par_bureau_long.csv"),
        )
        .unwrap();
        let rows: Vec<_> = terrain_ingest::ResultsReader::new(
            f,
            terrain_ingest::ResultsOptions {
                source: "paris_2017_resultats_par_bureau_long.csv".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
        let table = terrain_ingest::NuanceTable::defaults();
        let spec = BlocSpec::parse("centre,right").unwrap();
        let mut res = BlocResolver::new(&spec, &table);
        let (by, _) = counts_from_results(&rows, &mut res);
        let t1 = &by[&terrain_model::ElectionId::parse("2017_pres_t1").unwrap()];
        assert_eq!(t1.bureaux.len(), 896);
        let (mut x, mut y) = (vec![], vec![]);
        for b in &t1.bureaux {
            if let Some(Some(g)) = cov.values.get(&b.bureau).map(|r| r[graduates]) {
                x.push(g);
                y.push(b.bloc_share());
            }
        }
        assert!(x.len() > 880, "{} bureaux with a graduate share", x.len());
        let r = crate::metrics::pearson(&x, &y);
        assert!(r > 0.3, "graduates vs centre + right: r = {r}");
        // The census prior explains part of the share, and shrinkage keeps rates in [0, 1].
        let ids: Vec<BureauId> = t1.bureaux.iter().map(|b| b.bureau.clone()).collect();
        let design = Design::new(&ids, Some(&cov));
        let k: Vec<f64> = t1.bureaux.iter().map(|b| b.bloc).collect();
        let n: Vec<f64> = t1.bureaux.iter().map(|b| b.exprimes).collect();
        let (post, fit) = shrink(&k, &n, &design, &ShrinkOptions::default()).unwrap();
        assert!(fit.prior_r2 > 0.1, "{fit:?}");
        assert!(post.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn unknown_variables_are_named() {
        let t = table();
        let spec = CovariateSpec::Mean {
            name: "x".into(),
            variable: "NOPE".into(),
        };
        let err = bureau_covariates(&t, &[], &[spec]).unwrap_err().to_string();
        assert!(err.contains("NOPE") && err.contains("t.csv"), "{err}");
    }
}
