//! Scores of every bureau from several past elections: LMP's potential averaged over
//! elections, optionally shrunk towards a census prior, plus a swing (trend) term and a
//! persuasion term from vote transfers, combined with user weights.
//!
//! Components, all per registered voter so that their weights compare:
//!
//! - **mobilisation** = abstention rate × bloc share, each rate averaged over the reference
//!   elections with their weights (the bloc share only over elections where the bloc stood, so
//!   a second round without the bloc's candidate still informs abstention). With one election
//!   and no shrinkage this is exactly LMP's PO.
//! - **trend** = abstention rate × relative swing, where the swing is the bureau's change in
//!   bloc share between two elections minus the change over all bureaux: positive where the
//!   bloc gains ground faster than elsewhere.
//! - **persuasion** = voters who chose the bloc at the first of two elections and another
//!   candidate at the second, per registered voter, estimated by ecological inference
//!   ([`crate::ei`]): the bloc's lost voters, whom a conversation may win back.
//!
//! score = w_mobilisation × mobilisation + w_trend × trend + w_persuasion × persuasion.

use crate::counts::{BureauCounts, ElectionCounts, ratio};
use crate::ei::{CategoryTable, TransferOptions, estimate_transfers};
use crate::error::TargetingError;
use crate::redraw::{Crosswalk, IdPolicy, MatchMethod, MatchReport, NewBureau, align};
use crate::shrink::{Covariates, Design, ShrinkFit, ShrinkOptions, shrink};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::{BureauId, CommuneCode, ElectionId};

/// An election's counts aligned on the scored bureaux, how each was matched, and the summary.
type Aligned = (Vec<Option<BureauCounts>>, Vec<MatchMethod>, MatchReport);

/// A reference election and its weight in the averages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceElection {
    pub election: ElectionId,
    pub weight: f64,
}

impl ReferenceElection {
    /// Parses `2017_pres_t1` (weight 1) or `2017_pres_t1:2`.
    pub fn parse(s: &str) -> Result<Self, TargetingError> {
        let (id, w) = match s.split_once(':') {
            Some((id, w)) => (id, w),
            None => (s, "1"),
        };
        let election =
            ElectionId::parse(id).map_err(|e| TargetingError::option("election", e.to_string()))?;
        let weight: f64 = w.trim().parse().map_err(|_| {
            TargetingError::option("election", format!("{s:?}: weight {w:?} is not a number"))
        })?;
        if !(weight.is_finite() && weight > 0.0) {
            return Err(TargetingError::option(
                "election",
                format!("{s:?}: the weight must be > 0"),
            ));
        }
        Ok(Self { election, weight })
    }
}

/// Weights of the score's components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentWeights {
    pub mobilisation: f64,
    pub trend: f64,
    pub persuasion: f64,
}

impl Default for ComponentWeights {
    fn default() -> Self {
        Self {
            mobilisation: 1.0,
            trend: 0.0,
            persuasion: 0.0,
        }
    }
}

impl ComponentWeights {
    /// Parses `mobilisation=1,trend=0.5,persuasion=0.5` (omitted components keep their default).
    pub fn parse(s: &str) -> Result<Self, TargetingError> {
        let mut w = Self::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (k, v) = item.split_once('=').ok_or_else(|| {
                TargetingError::option("weights", format!("{item:?}: expected name=value"))
            })?;
            let v: f64 = v.trim().parse().map_err(|_| {
                TargetingError::option("weights", format!("{item:?}: {v:?} is not a number"))
            })?;
            match k.trim() {
                "mobilisation" | "mobilization" => w.mobilisation = v,
                "trend" | "swing" => w.trend = v,
                "persuasion" => w.persuasion = v,
                other => {
                    return Err(TargetingError::option(
                        "weights",
                        format!("unknown component {other:?} (mobilisation, trend, persuasion)"),
                    ));
                }
            }
        }
        Ok(w)
    }
}

/// Two elections, in time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElectionPair {
    pub from: ElectionId,
    pub to: ElectionId,
}

impl ElectionPair {
    /// Parses `2017_pres_t1:2022_pres_t1`.
    pub fn parse(s: &str, field: &str) -> Result<Self, TargetingError> {
        let (a, b) = s.split_once(':').ok_or_else(|| {
            TargetingError::option(
                field,
                format!("{s:?}: expected FROM:TO, e.g. 2017_pres_t1:2022_pres_t1"),
            )
        })?;
        let p = |x: &str| {
            ElectionId::parse(x).map_err(|e| TargetingError::option(field, e.to_string()))
        };
        Ok(Self {
            from: p(a)?,
            to: p(b)?,
        })
    }
}

/// Scoring options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreOptions {
    pub elections: Vec<ReferenceElection>,
    /// The election whose bureaux are scored (default: the most recent reference election),
    /// unless the caller passes the bureaux themselves.
    pub universe: Option<ElectionId>,
    pub id_policy: IdPolicy,
    /// Empirical Bayes shrinkage of each election's rates (off when `None`).
    pub shrinkage: Option<ShrinkOptions>,
    pub swing: Option<ElectionPair>,
    pub transfers: Option<ElectionPair>,
    pub weights: ComponentWeights,
}

/// What the scorer reads besides options.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScoreInputs<'a> {
    pub elections: &'a [ElectionCounts],
    /// Census (or other) covariates per bureau of the universe, for the shrinkage prior.
    pub covariates: Option<&'a Covariates>,
    /// Address crosswalks from an election's bureaux to the universe's, with the least
    /// coverage accepted.
    pub crosswalks: Option<&'a HashMap<ElectionId, (Crosswalk, f64)>>,
    /// Old commune code → the commune it belongs to now (merged communes).
    pub current_commune: Option<&'a HashMap<CommuneCode, CommuneCode>>,
    /// The bureaux to score, with their inscrits (default: the universe election's).
    pub bureaux: Option<&'a [NewBureau]>,
}

/// One bureau's score and its parts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BureauScore {
    pub bureau: BureauId,
    pub circonscription: Option<String>,
    pub inscrits: f64,
    /// Averaged (and shrunk, when asked) rates; `None` without any past result.
    pub abstention_rate: Option<f64>,
    pub bloc_share: Option<f64>,
    pub mobilisation: Option<f64>,
    pub trend: Option<f64>,
    pub persuasion: Option<f64>,
    /// The combined score; `None` when the bureau has no past result.
    pub score: Option<f64>,
    /// How it was matched to each reference election, in order.
    pub matches: Vec<MatchMethod>,
}

/// How one reference election was used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElectionUse {
    pub election: ElectionId,
    pub weight: f64,
    pub bloc_stood: bool,
    pub matching: MatchReport,
}

/// What the scorer did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScoreReport {
    pub universe: Option<ElectionId>,
    pub bureaux: usize,
    pub bureaux_without_results: usize,
    pub elections: Vec<ElectionUse>,
    /// Shrinkage fits per election: (election, abstention fit, bloc share fit).
    pub shrinkage: Vec<(ElectionId, ShrinkFit, Option<ShrinkFit>)>,
    /// Overall change of the bloc's share between the swing elections.
    pub overall_swing: Option<f64>,
    /// The global transfer matrix (rows: bloc, other valid, blank/null, abstention at the first
    /// election; columns the same at the second).
    pub transfer_matrix: Option<Vec<Vec<f64>>>,
    pub transfer_r2: Option<f64>,
}

/// Scores every bureau.
pub fn score(
    inputs: ScoreInputs<'_>,
    options: &ScoreOptions,
) -> Result<(Vec<BureauScore>, ScoreReport), TargetingError> {
    if options.elections.is_empty() {
        return Err(TargetingError::option(
            "election",
            "name at least one reference election",
        ));
    }
    let found = || {
        inputs
            .elections
            .iter()
            .map(|e| e.election.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_id: HashMap<&ElectionId, &ElectionCounts> =
        inputs.elections.iter().map(|e| (&e.election, e)).collect();
    let get = |id: &ElectionId| {
        by_id
            .get(id)
            .copied()
            .ok_or_else(|| TargetingError::MissingElection {
                election: id.to_string(),
                found: found(),
            })
    };
    let universe_id = options.universe.clone().unwrap_or_else(|| {
        options
            .elections
            .iter()
            .map(|e| e.election.clone())
            .max_by_key(|e| (e.year(), e.round()))
            .unwrap_or_else(|| options.elections[0].election.clone())
    });
    let owned_universe: Vec<NewBureau>;
    let universe: &[NewBureau] = match inputs.bureaux {
        Some(b) => b,
        None => {
            let u = get(&universe_id)?;
            owned_universe = u
                .bureaux
                .iter()
                .map(|b| NewBureau {
                    bureau: b.bureau.clone(),
                    inscrits: b.inscrits,
                })
                .collect();
            &owned_universe
        }
    };
    let n = universe.len();
    let empty = HashMap::new();
    let current = inputs.current_commune.unwrap_or(&empty);
    let same_vintage = inputs.bureaux.is_none();
    let align_one = |id: &ElectionId| -> Result<Aligned, TargetingError> {
        let e = get(id)?;
        let result = if same_vintage && *id == universe_id {
            let idx = e.index();
            let rows: Vec<Option<BureauCounts>> = universe
                .iter()
                .map(|u| idx.get(&u.bureau).map(|&i| e.bureaux[i].clone()))
                .collect();
            let report = MatchReport {
                election: id.to_string(),
                new_bureaux: n,
                by_id: n,
                ..Default::default()
            };
            (rows, vec![MatchMethod::Id; n], report)
        } else {
            let cw = inputs
                .crosswalks
                .and_then(|m| m.get(id))
                .map(|(c, min)| (c, *min));
            let (counts, methods, report) = align(e, universe, cw, options.id_policy, current);
            let mut it = counts.bureaux.into_iter();
            let rows = methods
                .iter()
                .map(|m| {
                    if *m == MatchMethod::Unmatched {
                        None
                    } else {
                        it.next()
                    }
                })
                .collect();
            (rows, methods, report)
        };
        Ok(result)
    };
    // Every election the options need, aligned once on the scored bureaux.
    let mut cache: HashMap<ElectionId, Aligned> = HashMap::new();
    let needed = options
        .elections
        .iter()
        .map(|e| &e.election)
        .chain(options.swing.iter().flat_map(|p| [&p.from, &p.to]))
        .chain(options.transfers.iter().flat_map(|p| [&p.from, &p.to]));
    for id in needed {
        if !cache.contains_key(id) {
            cache.insert(id.clone(), align_one(id)?);
        }
    }
    let aligned = |id: &ElectionId| -> Result<&Aligned, TargetingError> {
        cache
            .get(id)
            .ok_or_else(|| TargetingError::MissingElection {
                election: id.to_string(),
                found: found(),
            })
    };
    // The prior's design over every scored bureau, built once (rows picked per election).
    let full_design = options.shrinkage.as_ref().map(|_| {
        Design::new(
            &universe
                .iter()
                .map(|u| u.bureau.clone())
                .collect::<Vec<_>>(),
            inputs.covariates,
        )
    });
    let ids: Vec<BureauId> = universe.iter().map(|u| u.bureau.clone()).collect();
    let mut report = ScoreReport {
        universe: Some(universe_id.clone()),
        bureaux: n,
        ..Default::default()
    };
    // Weighted sums of rates.
    let (mut abst_sum, mut abst_w) = (vec![0.0; n], vec![0.0; n]);
    let (mut share_sum, mut share_w) = (vec![0.0; n], vec![0.0; n]);
    let mut matches: Vec<Vec<MatchMethod>> = vec![Vec::new(); n];
    let mut circ: Vec<Option<String>> = vec![None; n];
    for re in &options.elections {
        let (rows, methods, matching) = aligned(&re.election)?;
        let stood = rows.iter().flatten().any(|b| b.bloc > 0.0);
        for (i, m) in methods.iter().enumerate() {
            matches[i].push(*m);
        }
        let matching = matching.clone();
        let present: Vec<usize> = (0..n)
            .filter(|&i| rows[i].as_ref().is_some_and(|b| b.inscrits > 0.0))
            .collect();
        let mut abst: Vec<f64> = present
            .iter()
            .map(|&i| rows[i].as_ref().map_or(0.0, BureauCounts::abstention_rate))
            .collect();
        let with_votes: Vec<usize> = present
            .iter()
            .copied()
            .filter(|&i| rows[i].as_ref().is_some_and(|b| b.exprimes > 0.0))
            .collect();
        let mut share: Vec<f64> = with_votes
            .iter()
            .map(|&i| rows[i].as_ref().map_or(0.0, BureauCounts::bloc_share))
            .collect();
        if let (Some(so), Some(full)) = (&options.shrinkage, &full_design) {
            let design = full.select_rows(&present);
            let k: Vec<f64> = present
                .iter()
                .map(|&i| rows[i].as_ref().map_or(0.0, |b| b.abstentions))
                .collect();
            let t: Vec<f64> = present
                .iter()
                .map(|&i| rows[i].as_ref().map_or(0.0, |b| b.inscrits))
                .collect();
            let (post, fit_a) = shrink(&k, &t, &design, so)?;
            abst = post;
            let mut fit_s = None;
            if stood {
                let design = full.select_rows(&with_votes);
                let k: Vec<f64> = with_votes
                    .iter()
                    .map(|&i| rows[i].as_ref().map_or(0.0, |b| b.bloc))
                    .collect();
                let t: Vec<f64> = with_votes
                    .iter()
                    .map(|&i| rows[i].as_ref().map_or(0.0, |b| b.exprimes))
                    .collect();
                let (post, fit) = shrink(&k, &t, &design, so)?;
                share = post;
                fit_s = Some(fit);
            }
            report.shrinkage.push((re.election.clone(), fit_a, fit_s));
        }
        for (q, &i) in present.iter().enumerate() {
            abst_sum[i] += re.weight * abst[q];
            abst_w[i] += re.weight;
            if circ[i].is_none() {
                circ[i] = rows[i].as_ref().and_then(|b| b.circonscription.clone());
            }
        }
        if stood {
            for (q, &i) in with_votes.iter().enumerate() {
                share_sum[i] += re.weight * share[q];
                share_w[i] += re.weight;
            }
        }
        report.elections.push(ElectionUse {
            election: re.election.clone(),
            weight: re.weight,
            bloc_stood: stood,
            matching,
        });
    }
    // Swing.
    let mut trend: Vec<Option<f64>> = vec![None; n];
    if let Some(pair) = &options.swing {
        let (a, _, _) = aligned(&pair.from)?;
        let (b, _, _) = aligned(&pair.to)?;
        let both: Vec<usize> = (0..n).filter(|&i| matches!((&a[i], &b[i]), (Some(x), Some(y)) if x.exprimes > 0.0 && y.exprimes > 0.0)).collect();
        let agg = |rows: &[Option<BureauCounts>]| {
            let (mut bl, mut ex) = (0.0, 0.0);
            for &i in &both {
                if let Some(r) = &rows[i] {
                    bl += r.bloc;
                    ex += r.exprimes;
                }
            }
            ratio(bl, ex)
        };
        let overall = agg(b) - agg(a);
        report.overall_swing = Some(overall);
        for &i in &both {
            if let (Some(x), Some(y)) = (&a[i], &b[i]) {
                let s = y.bloc_share() - x.bloc_share() - overall;
                let abst = if abst_w[i] > 0.0 {
                    abst_sum[i] / abst_w[i]
                } else {
                    y.abstention_rate()
                };
                trend[i] = Some(abst * s);
            }
        }
    }
    // Persuasion.
    let mut persuasion: Vec<Option<f64>> = vec![None; n];
    if let Some(pair) = &options.transfers {
        let (a, _, _) = aligned(&pair.from)?;
        let (b, _, _) = aligned(&pair.to)?;
        let table = |rows: &[Option<BureauCounts>], election: &ElectionId| {
            let counts = ElectionCounts {
                election: election.clone(),
                bureaux: rows.iter().flatten().cloned().collect(),
            };
            CategoryTable::from_counts(&counts)
        };
        let est = estimate_transfers(
            &table(a, &pair.from),
            &table(b, &pair.to),
            &TransferOptions::default(),
        )?;
        let pos: HashMap<&BureauId, usize> = ids.iter().enumerate().map(|(i, b)| (b, i)).collect();
        for bt in &est.per_bureau {
            if let Some(&i) = pos.get(&bt.bureau) {
                let total: f64 = bt.cells.iter().flatten().sum();
                // Row 0 = bloc, column 1 = other valid votes.
                persuasion[i] = Some(ratio(bt.cells[0][1], total));
            }
        }
        report.transfer_r2 = Some(est.r2);
        report.transfer_matrix = Some(est.matrix);
    }
    let w = &options.weights;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let abst = (abst_w[i] > 0.0).then(|| abst_sum[i] / abst_w[i]);
        let share = (share_w[i] > 0.0)
            .then(|| share_sum[i] / share_w[i])
            .or(abst.map(|_| 0.0));
        let mob = abst.zip(share).map(|(a, s)| a * s);
        let score = mob.map(|m| {
            w.mobilisation * m
                + w.trend * trend[i].unwrap_or(0.0)
                + w.persuasion * persuasion[i].unwrap_or(0.0)
        });
        if score.is_none() {
            report.bureaux_without_results += 1;
        }
        out.push(BureauScore {
            bureau: universe[i].bureau.clone(),
            circonscription: circ[i].clone(),
            inscrits: universe[i].inscrits,
            abstention_rate: abst,
            bloc_share: share,
            mobilisation: mob,
            trend: trend[i],
            persuasion: persuasion[i],
            score,
            matches: std::mem::take(&mut matches[i]),
        });
    }
    Ok((out, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bc(id: &str, ins: f64, abs: f64, exp: f64, bloc: f64) -> BureauCounts {
        BureauCounts {
            bureau: BureauId::parse(id).unwrap(),
            circonscription: Some("01".into()),
            inscrits: ins,
            abstentions: abs,
            exprimes: exp,
            bloc,
        }
    }

    fn elections() -> Vec<ElectionCounts> {
        vec![
            ElectionCounts {
                election: ElectionId::parse("2017_pres_t1").unwrap(),
                bureaux: vec![
                    bc("69001_0001", 1000.0, 200.0, 780.0, 195.0),
                    bc("69001_0002", 500.0, 150.0, 340.0, 34.0),
                ],
            },
            ElectionCounts {
                election: ElectionId::parse("2017_pres_t2").unwrap(),
                bureaux: vec![
                    bc("69001_0001", 1000.0, 300.0, 600.0, 0.0),
                    bc("69001_0002", 500.0, 100.0, 380.0, 0.0),
                ],
            },
        ]
    }

    #[test]
    fn one_election_is_exactly_lmp_po() {
        let e = elections();
        let opts = ScoreOptions {
            elections: vec![ReferenceElection::parse("2017_pres_t1").unwrap()],
            ..Default::default()
        };
        let (s, rep) = score(
            ScoreInputs {
                elections: &e,
                ..Default::default()
            },
            &opts,
        )
        .unwrap();
        // PO = 200/1000 × 195/780 = 0.05 ; 150/500 × 34/340 = 0.03.
        assert!((s[0].score.unwrap() - 0.05).abs() < 1e-15);
        assert!((s[1].score.unwrap() - 0.03).abs() < 1e-15);
        assert_eq!(rep.bureaux_without_results, 0);
        assert!(rep.elections[0].bloc_stood);
    }

    #[test]
    fn weighted_average_uses_rounds_without_the_bloc_for_abstention_only() {
        let e = elections();
        let opts = ScoreOptions {
            elections: vec![
                ReferenceElection::parse("2017_pres_t1:3").unwrap(),
                ReferenceElection::parse("2017_pres_t2").unwrap(),
            ],
            universe: Some(ElectionId::parse("2017_pres_t1").unwrap()),
            ..Default::default()
        };
        let (s, rep) = score(
            ScoreInputs {
                elections: &e,
                ..Default::default()
            },
            &opts,
        )
        .unwrap();
        assert!(!rep.elections[1].bloc_stood);
        // Bureau 1: abstention (3 × .2 + .3) / 4 = .225, share .25 (T1 only) → .05625.
        assert!((s[0].abstention_rate.unwrap() - 0.225).abs() < 1e-15);
        assert!((s[0].score.unwrap() - 0.05625).abs() < 1e-15);
        assert_eq!(s[0].matches, vec![MatchMethod::Id, MatchMethod::Id]);
    }

    #[test]
    fn swing_is_relative_to_the_overall_change() {
        let mut e = elections();
        e[1].bureaux[0].bloc = 300.0; // 0.5 of 600 (was .25)
        e[1].bureaux[1].bloc = 38.0; // 0.1 of 380 (was .1)
        let opts = ScoreOptions {
            elections: vec![ReferenceElection::parse("2017_pres_t2").unwrap()],
            swing: Some(ElectionPair::parse("2017_pres_t1:2017_pres_t2", "swing").unwrap()),
            weights: ComponentWeights::parse("mobilisation=0,trend=1").unwrap(),
            ..Default::default()
        };
        let (s, rep) = score(
            ScoreInputs {
                elections: &e,
                ..Default::default()
            },
            &opts,
        )
        .unwrap();
        // Overall: 338/980 − 229/1120.
        let overall = 338.0 / 980.0 - 229.0 / 1120.0;
        assert!((rep.overall_swing.unwrap() - overall).abs() < 1e-12);
        let expected = 0.3 * (0.5 - 0.25 - overall);
        assert!((s[0].score.unwrap() - expected).abs() < 1e-12);
        assert!(s[0].score.unwrap() > 0.0 && s[1].score.unwrap() < 0.0);
    }

    #[test]
    fn options_parse_and_missing_elections_are_named() {
        assert!(ReferenceElection::parse("2017_pres_t1:0").is_err());
        assert!(ComponentWeights::parse("charisma=1").is_err());
        assert!(ElectionPair::parse("2017_pres_t1", "swing").is_err());
        let e = elections();
        let opts = ScoreOptions {
            elections: vec![ReferenceElection::parse("2012_pres_t1").unwrap()],
            ..Default::default()
        };
        let err = score(
            ScoreInputs {
                elections: &e,
                ..Default::default()
            },
            &opts,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("2012_pres_t1") && err.contains("2017_pres_t1"),
            "{err}"
        );
    }
}
