//! The honest back-test: scores computed from the 2017 presidential election alone, in the Rhône
//! (department 69), measured against where each bloc's abstainers were in 2022 (PO of the 2022
//! first round, per 2022 bureau). Prints markdown tables for bench/README.md.
//!
//! Run: `cargo run --release -p terrain-targeting --example rhone_backtest [SHARED_DATA_DIR]`.

use geo::{BoundingRect, Contains, Point};
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::path::{Path, PathBuf};
use terrain_ingest::census::{CensusOptions, CensusTable};
use terrain_ingest::cog::{CommuneKind, read_communes_json};
use terrain_ingest::contours::{ContourKind, ContourMapping, ContoursOptions, read_contours};
use terrain_ingest::placement::PolygonIndex;
use terrain_ingest::{NuanceTable, ResultsOptions, ResultsReader};
use terrain_model::{BureauId, BureauResult, CommuneCode, ElectionId, IrisCode};
use terrain_targeting::census::{
    CovariateSpec, IrisLink, bureau_covariates, links_from_placements,
};
use terrain_targeting::counts::{ElectionCounts, counts_from_results};
use terrain_targeting::metrics::{BacktestScores, backtest};
use terrain_targeting::redraw::{IdPolicy, MatchMethod, NewBureau};
use terrain_targeting::score::{
    ComponentWeights, ElectionPair, ReferenceElection, ScoreInputs, ScoreOptions, score,
};
use terrain_targeting::shrink::{Covariates, ShrinkOptions};
use terrain_targeting::{BlocResolver, BlocSpec};

fn read_results(path: &Path) -> Result<Vec<BureauResult>, Box<dyn Error>> {
    let f = std::fs::File::open(path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let r = ResultsReader::new(
        f,
        ResultsOptions {
            source: name,
            ..Default::default()
        },
    )?;
    Ok(r.collect::<Result<Vec<_>, _>>()?)
}

struct Variant {
    name: String,
    options: ScoreOptions,
    covariates: Option<Covariates>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let rhone = data.join("elections-rhone-69-presidentielle-2017-2022");
    let t0 = std::time::Instant::now();
    let mut results = read_results(&rhone.join("PR17_T1_burvot_69_bronze.csv"))?;
    results.extend(read_results(&rhone.join("PR17_T2_burvot_69_bronze.csv"))?);
    results.extend(read_results(&rhone.join("PR22_T1_burvot_69_bronze.csv"))?);
    let (t1, t2, t22) = (
        ElectionId::parse("2017_pres_t1")?,
        ElectionId::parse("2017_pres_t2")?,
        ElectionId::parse("2022_pres_t1")?,
    );
    // Communes merged since 2017 → their current commune (COG 2026 delegated communes).
    let cog = read_communes_json(
        std::fs::File::open(data.join("cog-decoupage-administratif-2026/communes.json"))?,
        "communes.json",
    )?;
    let mut current: HashMap<CommuneCode, CommuneCode> = HashMap::new();
    for c in &cog {
        if matches!(c.kind, CommuneKind::Delegated | CommuneKind::Associated)
            && let Some(p) = &c.parent
            && *p != c.code
        {
            current.insert(c.code.clone(), p.clone());
        }
    }
    let cur = |c: &CommuneCode| current.get(c).cloned().unwrap_or_else(|| c.clone());

    // The 2022 bureaux.
    let universe: Vec<NewBureau> = results
        .iter()
        .filter(|r| r.election == t22)
        .filter_map(|r| match &r.area {
            terrain_model::ResultArea::Bureau(b) => Some(NewBureau {
                bureau: b.clone(),
                inscrits: r.totals.inscrits as f64,
            }),
            _ => None,
        })
        .collect();

    // Census: Filosofi 2015 by IRIS, linked to 2022 bureaux (see the README section).
    let filosofi = CensusTable::read(
        std::fs::File::open(data.join("paris-75/iris-recensement-2015-filosofi/revenus-2015.csv"))?,
        CensusOptions {
            source: "revenus-2015.csv".into(),
            ..Default::default()
        },
    )?;
    let mut iris_by_commune: HashMap<CommuneCode, Vec<IrisCode>> = HashMap::new();
    for r in &filosofi.rows {
        if r.iris.as_str().starts_with("69") {
            iris_by_commune
                .entry(cur(&r.commune))
                .or_default()
                .push(r.iris.clone());
        }
    }
    let (iris_contours, _) = read_contours(
        std::fs::File::open(rhone.join("iris-contours-69/iris_ge_69_wgs84.geojson"))?,
        ContoursOptions {
            source: "iris".into(),
            kind: ContourKind::Iris,
            ..Default::default()
        },
    )?;
    let iris_index = PolygonIndex::new(iris_contours);
    let (lyon2012, _) = read_contours(
        std::fs::File::open(
            data.join("lyon-69123-bureaux-2012/contours_bureaux_vote_lyon_2012_wgs84.geojson"),
        )?,
        ContoursOptions {
            source: "lyon2012".into(),
            kind: ContourKind::Bureau,
            mapping: Some(ContourMapping::lyon_2012()),
            ..Default::default()
        },
    )?;
    let lyon_shapes: HashMap<String, &geo::MultiPolygon<f64>> = lyon2012
        .iter()
        .map(|c| (c.code.clone(), &c.geometry))
        .collect();
    let mut placements: Vec<(BureauId, IrisCode, f64)> = Vec::new();
    let (mut lyon_by_shape, mut by_commune) = (0, 0);
    for u in &universe {
        if let Some(shape) = lyon_shapes.get(u.bureau.as_str())
            && let Some(rect) = shape.bounding_rect()
        {
            // Area weights by a 20 × 20 grid of points over the 2012 polygon.
            let mut hits = 0;
            for i in 0..20 {
                for j in 0..20 {
                    let x = rect.min().x + (f64::from(i) + 0.5) / 20.0 * rect.width();
                    let y = rect.min().y + (f64::from(j) + 0.5) / 20.0 * rect.height();
                    if shape.contains(&Point::new(x, y))
                        && let Some(code) = iris_index.locate(x, y)
                        && let Ok(iris) = IrisCode::parse(code)
                    {
                        placements.push((u.bureau.clone(), iris, 1.0));
                        hits += 1;
                    }
                }
            }
            if hits > 0 {
                lyon_by_shape += 1;
                continue;
            }
        }
        let area = u
            .bureau
            .plm_arrondissement()
            .unwrap_or_else(|| u.bureau.commune());
        if let Some(list) = iris_by_commune.get(&cur(&area)) {
            by_commune += 1;
            for i in list {
                placements.push((u.bureau.clone(), i.clone(), 1.0));
            }
        }
    }
    let links: Vec<IrisLink> = links_from_placements(placements);
    let specs = vec![
        CovariateSpec::Mean {
            name: "median_income".into(),
            variable: "DISP_MED15".into(),
        },
        CovariateSpec::Mean {
            name: "poverty_rate".into(),
            variable: "DISP_TP6015".into(),
        },
        CovariateSpec::Mean {
            name: "social_benefits_share".into(),
            variable: "DISP_PPSOC15".into(),
        },
    ];
    let (mut census, _coverage) = bureau_covariates(&filosofi, &links, &specs)?;
    // Commune size (2017 registered voters, log) for every bureau.
    let mut commune_ins: HashMap<CommuneCode, f64> = HashMap::new();
    for r in results.iter().filter(|r| r.election == t1) {
        *commune_ins.entry(cur(&r.area.commune())).or_default() += r.totals.inscrits as f64;
    }
    let mut size = Covariates {
        names: vec!["log_commune_inscrits".into()],
        values: HashMap::new(),
    };
    for u in &universe {
        let v = commune_ins.get(&cur(&u.bureau.commune())).map(|v| v.ln());
        size.values.insert(u.bureau.clone(), vec![v]);
    }
    census.join(&size);

    println!(
        "Rhône back-test: {} bureaux in 2022 (1,287 in 2017); census links: {lyon_by_shape} Lyon bureaux by their 2012 contour, {by_commune} by commune or arrondissement, {} without Filosofi IRIS. Loaded in {:.2} s.\n",
        universe.len(),
        universe.len() - lyon_by_shape - by_commune,
        t0.elapsed().as_secs_f64()
    );

    let table = NuanceTable::defaults();
    let blocs = [
        ("left", "left"),
        ("left + ecologist", "left,ecologist"),
        ("far right", "far_right"),
        ("centre", "centre"),
    ];
    for (label, spec_text) in blocs {
        let spec = BlocSpec::parse(spec_text)?;
        let mut resolver = BlocResolver::new(&spec, &table);
        let (by, _) = counts_from_results(&results, &mut resolver);
        let tallies = resolver.tallies();
        let names = |e: &ElectionId| {
            tallies
                .get(e)
                .map(|t| {
                    t.iter()
                        .filter(|(_, v)| v.in_bloc)
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let e17: Vec<ElectionCounts> = [&t1, &t2]
            .iter()
            .filter_map(|e| by.get(*e).cloned())
            .collect();
        let truth22 = &by[&t22];
        let stood_t2 = by.get(&t2).is_some_and(ElectionCounts::bloc_stood);
        // Commune prior: the commune's pooled 2017 T1 rates.
        let mut pooled: HashMap<CommuneCode, (f64, f64, f64, f64)> = HashMap::new();
        for b in &by[&t1].bureaux {
            let e = pooled.entry(cur(&b.bureau.commune())).or_default();
            e.0 += b.abstentions;
            e.1 += b.inscrits;
            e.2 += b.bloc;
            e.3 += b.exprimes;
        }
        let mut commune_prior = Covariates {
            names: vec![
                "commune_abstention_2017".into(),
                "commune_share_2017".into(),
            ],
            values: HashMap::new(),
        };
        for u in &universe {
            let v = pooled
                .get(&cur(&u.bureau.commune()))
                .map(|p| (p.0 / p.1, p.2 / p.3.max(1.0)));
            commune_prior
                .values
                .insert(u.bureau.clone(), vec![v.map(|x| x.0), v.map(|x| x.1)]);
        }
        let mut census_commune = census.clone();
        census_commune.join(&commune_prior);

        let one = |e: &ElectionId, w: f64| ReferenceElection {
            election: e.clone(),
            weight: w,
        };
        let base = ScoreOptions {
            elections: vec![one(&t1, 1.0)],
            id_policy: IdPolicy::SimilarSize,
            ..Default::default()
        };
        let shrink = Some(ShrinkOptions::default());
        let mut variants = vec![
            Variant {
                name: "**Baseline (LMP): PO from 2017 T1**".into(),
                options: base.clone(),
                covariates: None,
            },
            Variant {
                name: "redrawn bureaux: same id always trusted (naive join)".into(),
                options: ScoreOptions {
                    id_policy: IdPolicy::Always,
                    ..base.clone()
                },
                covariates: None,
            },
            Variant {
                name: "redrawn bureaux: same id only where the commune kept its number of bureaux"
                    .into(),
                options: ScoreOptions {
                    id_policy: IdPolicy::UnchangedCommunes,
                    ..base.clone()
                },
                covariates: None,
            },
            Variant {
                name: "redrawn bureaux: commune rates only (no bureau detail)".into(),
                options: ScoreOptions {
                    id_policy: IdPolicy::Never,
                    ..base.clone()
                },
                covariates: None,
            },
            Variant {
                name: "T1 + T2 averaged (1:1; share from rounds where the bloc stood)".into(),
                options: ScoreOptions {
                    elections: vec![one(&t1, 1.0), one(&t2, 1.0)],
                    ..base.clone()
                },
                covariates: None,
            },
            Variant {
                name: "T1, EB shrinkage towards the overall rate".into(),
                options: ScoreOptions {
                    shrinkage: shrink.clone(),
                    ..base.clone()
                },
                covariates: None,
            },
            Variant {
                name: "T1, EB shrinkage towards a census prior (Filosofi, commune size)".into(),
                options: ScoreOptions {
                    shrinkage: shrink.clone(),
                    ..base.clone()
                },
                covariates: Some(census.clone()),
            },
            Variant {
                name: "T1, EB shrinkage towards census + commune 2017 rates".into(),
                options: ScoreOptions {
                    shrinkage: shrink.clone(),
                    ..base.clone()
                },
                covariates: Some(census_commune.clone()),
            },
            Variant {
                name: "T1 + T2, shrinkage towards census + commune".into(),
                options: ScoreOptions {
                    elections: vec![one(&t1, 1.0), one(&t2, 1.0)],
                    shrinkage: shrink.clone(),
                    ..base.clone()
                },
                covariates: Some(census_commune.clone()),
            },
        ];
        if stood_t2 {
            variants.insert(
                1,
                Variant {
                    name: "PO from 2017 T2 (LMP's choice of a second round)".into(),
                    options: ScoreOptions {
                        elections: vec![one(&t2, 1.0)],
                        ..base.clone()
                    },
                    covariates: None,
                },
            );
            variants.push(Variant {
                name: "T1 + trend (swing T1→T2, weight 1)".into(),
                options: ScoreOptions {
                    swing: Some(ElectionPair {
                        from: t1.clone(),
                        to: t2.clone(),
                    }),
                    weights: ComponentWeights {
                        mobilisation: 1.0,
                        trend: 1.0,
                        persuasion: 0.0,
                    },
                    ..base.clone()
                },
                covariates: None,
            });
        }
        variants.push(Variant {
            name: "T1 + persuasion (EI transfers T1→T2, weight 0.5)".into(),
            options: ScoreOptions {
                transfers: Some(ElectionPair {
                    from: t1.clone(),
                    to: t2.clone(),
                }),
                weights: ComponentWeights {
                    mobilisation: 1.0,
                    trend: 0.0,
                    persuasion: 0.5,
                },
                ..base.clone()
            },
            covariates: None,
        });
        // Truth per universe bureau.
        let idx22 = truth22.index();
        let truth: Vec<f64> = universe
            .iter()
            .map(|u| {
                idx22
                    .get(&u.bureau)
                    .map_or(f64::NAN, |&i| truth22.bureaux[i].potential())
            })
            .collect();
        let doors: Vec<f64> = universe.iter().map(|u| u.inscrits / 1.4).collect();
        let mut rows: Vec<(String, Vec<Option<f64>>, Vec<MatchMethod>)> = Vec::new();
        let mut notes = Vec::new();
        if spec_text == "left" {
            let mut all = e17.clone();
            all.push(truth22.clone());
            let (_, rep) = score(
                ScoreInputs {
                    elections: &all,
                    current_commune: Some(&current),
                    bureaux: Some(&universe),
                    ..Default::default()
                },
                &ScoreOptions {
                    transfers: Some(ElectionPair {
                        from: t1.clone(),
                        to: t22.clone(),
                    }),
                    ..base.clone()
                },
            )?;
            if let Some(m) = &rep.transfer_matrix {
                notes.push(format!(
                    "Where the 2017 T1 voters went in 2022 T1 (descriptive, not a prediction; rows bloc / other valid / blank+null / abstention in 2017, columns the same in 2022), R² {:.2}: {}",
                    rep.transfer_r2.unwrap_or(f64::NAN),
                    m.iter().map(|r| format!("[{}]", r.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" "))).collect::<Vec<_>>().join(" ")
                ));
            }
        }
        for v in &variants {
            let t = std::time::Instant::now();
            let (scores, rep) = score(
                ScoreInputs {
                    elections: &e17,
                    covariates: v.covariates.as_ref(),
                    current_commune: Some(&current),
                    bureaux: Some(&universe),
                    ..Default::default()
                },
                &v.options,
            )?;
            if v.name.starts_with("**Baseline") {
                let m = &rep.elections[0].matching;
                notes.push(format!(
                    "2022 bureaux matched to 2017 (default policy): {} by id, {} by their commune's pooled rates ({} communes changed their number of bureaux; {} communes merged since 2017), {} unmatched.",
                    m.by_id, m.by_commune, m.communes_redrawn, m.communes_merged, m.unmatched
                ));
            }
            for (e, fa, fs) in &rep.shrinkage {
                notes.push(format!(
                    "{}: {e} abstention prior M = {:.0} voters (R² {:.2}), bloc share prior M = {} — mean pull towards the prior {:.0} % / {}.",
                    v.name.trim_matches('*'),
                    fa.prior_strength,
                    fa.prior_r2,
                    fs.as_ref().map_or("–".into(), |f| format!("{:.0} voters (R² {:.2})", f.prior_strength, f.prior_r2)),
                    100.0 * fa.mean_shrinkage,
                    fs.as_ref().map_or("–".into(), |f| format!("{:.0} %", 100.0 * f.mean_shrinkage)),
                ));
            }
            if let Some(m) = &rep.transfer_matrix {
                notes.push(format!(
                    "Transfers 2017 T1→T2 (rows bloc / other valid / blank+null / abstention; columns the same), R² {:.2}: {}",
                    rep.transfer_r2.unwrap_or(f64::NAN),
                    m.iter().map(|r| format!("[{}]", r.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" "))).collect::<Vec<_>>().join(" ")
                ));
            }
            let _ = t;
            rows.push((
                v.name.clone(),
                scores.iter().map(|s| s.score).collect(),
                scores[0..0].iter().map(|s| s.matches[0]).collect(),
            ));
        }
        // Common bureaux: predicted by every variant, with a 2022 truth.
        let common: Vec<usize> = (0..universe.len())
            .filter(|&i| truth[i].is_finite() && rows.iter().all(|r| r.1[i].is_some()))
            .collect();
        println!("### {label}\n");
        println!(
            "2017 bloc: {}; 2022 bloc: {}. Truth: PO of 2022 T1 per 2022 bureau. {} bureaux compared.\n",
            names(&t1),
            names(&t22),
            common.len()
        );
        println!(
            "| score from 2017 only | Pearson | Spearman | top-decile precision | capture, 10 % of doors | capture, 25 % of doors |"
        );
        println!("|---|---|---|---|---|---|");
        let mut base_scores: Option<BacktestScores> = None;
        for (name, pred, _) in &rows {
            let p: Vec<f64> = common.iter().map(|&i| pred[i].unwrap_or(0.0)).collect();
            let t: Vec<f64> = common.iter().map(|&i| truth[i]).collect();
            let d: Vec<f64> = common.iter().map(|&i| doors[i]).collect();
            let s = backtest(&p, &t, &d);
            let mark = |v: f64, b: Option<f64>| match b {
                Some(b) if (v - b).abs() < 5e-4 => format!("{v:.3}"),
                Some(b) if v > b => format!("{v:.3} ▲"),
                Some(_) => format!("{v:.3} ▼"),
                None => format!("{v:.3}"),
            };
            let b = base_scores.as_ref();
            println!(
                "| {name} | {} | {} | {} | {} | {} |",
                mark(s.pearson, b.map(|b| b.pearson)),
                mark(s.spearman, b.map(|b| b.spearman)),
                mark(s.top_decile_precision, b.map(|b| b.top_decile_precision)),
                mark(s.capture_10, b.map(|b| b.capture_10)),
                mark(s.capture_25, b.map(|b| b.capture_25)),
            );
            if base_scores.is_none() {
                base_scores = Some(s);
            }
        }
        println!();
        for n in &notes {
            println!("- {n}");
        }
        println!();
    }
    let _ = BTreeMap::<u8, u8>::new();
    Ok(())
}
