//! Carrying past results onto bureaux that were redrawn since: through addresses placed in both
//! vintages when they are known, else by commune.
//!
//! **By addresses.** Each address (or door) placed in an old bureau a and a new bureau b links
//! them with its weight w. The new bureau receives w / Wₐ of every count of a, where Wₐ is the
//! weight of all of a's addresses (so a's voters are spread over the new bureaux its addresses
//! went to). The new bureau's *coverage* is the share of its own addresses that lay in an old
//! bureau with results: 1 when it is wholly made of old bureaux, less when part of it was not
//! placed (or its old bureau had no results).
//!
//! **By identifier, then commune.** Without addresses, a bureau with the same id in both
//! vintages is taken to be the same bureau when its commune kept the same number of bureaux, or
//! when its inscrits changed by at most 25 % (a commune that went from 12 to 14 bureaux redrew
//! some of them, but most keep their number and area). Every other new bureau gets its
//! commune's pooled rates (old communes merged since into the new one are pooled together
//! through a commune → current commune map), scaled to its own inscrits.

use crate::counts::{BureauCounts, ElectionCounts};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use terrain_model::{BureauId, CommuneCode};

/// A weighted link between an old and a new bureau.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedrawLink {
    pub old: BureauId,
    pub new: BureauId,
    pub weight: f64,
}

/// An address crosswalk between two vintages of bureaux.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Crosswalk {
    links: Vec<RedrawLink>,
    /// Weight of every address of each old bureau (including those placed in no new bureau).
    old_weight: HashMap<BureauId, f64>,
    /// Weight of every address of each new bureau (including those placed in no old bureau).
    new_weight: HashMap<BureauId, f64>,
}

/// How well a new bureau is covered by old results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    pub bureau: BureauId,
    /// Share of the new bureau's addresses that lay in an old bureau with results.
    pub coverage: f64,
    /// Old bureaux contributing.
    pub sources: usize,
}

impl Crosswalk {
    /// Builds the crosswalk from addresses: (old bureau, new bureau, weight), either side
    /// `None` when the address was not placed in that vintage.
    pub fn from_addresses(
        addresses: impl IntoIterator<Item = (Option<BureauId>, Option<BureauId>, f64)>,
    ) -> Self {
        let mut cw = Self::default();
        let mut acc: HashMap<(BureauId, BureauId), f64> = HashMap::new();
        for (old, new, w) in addresses {
            if !(w > 0.0 && w.is_finite()) {
                continue;
            }
            if let Some(o) = &old {
                *cw.old_weight.entry(o.clone()).or_default() += w;
            }
            if let Some(n) = &new {
                *cw.new_weight.entry(n.clone()).or_default() += w;
            }
            if let (Some(o), Some(n)) = (old, new) {
                *acc.entry((o, n)).or_default() += w;
            }
        }
        cw.links = acc
            .into_iter()
            .map(|((old, new), weight)| RedrawLink { old, new, weight })
            .collect();
        cw.links
            .sort_by(|a, b| a.new.cmp(&b.new).then_with(|| a.old.cmp(&b.old)));
        cw
    }

    /// The links, sorted by new then old bureau.
    pub fn links(&self) -> &[RedrawLink] {
        &self.links
    }

    /// Carries `old` onto the new bureaux. Bureaux with no covered address are left out; their
    /// coverage is reported as 0.
    pub fn carry(&self, old: &ElectionCounts) -> (ElectionCounts, Vec<Coverage>) {
        let idx = old.index();
        let mut acc: BTreeMap<&BureauId, (BureauCounts, f64, usize)> = BTreeMap::new();
        for l in &self.links {
            let Some(&i) = idx.get(&l.old) else { continue };
            let o = &old.bureaux[i];
            let share = l.weight / self.old_weight.get(&l.old).copied().unwrap_or(l.weight);
            let e = acc.entry(&l.new).or_insert_with(|| {
                (
                    BureauCounts {
                        bureau: l.new.clone(),
                        circonscription: o.circonscription.clone(),
                        inscrits: 0.0,
                        abstentions: 0.0,
                        exprimes: 0.0,
                        bloc: 0.0,
                    },
                    0.0,
                    0,
                )
            });
            e.0.inscrits += share * o.inscrits;
            e.0.abstentions += share * o.abstentions;
            e.0.exprimes += share * o.exprimes;
            e.0.bloc += share * o.bloc;
            e.1 += l.weight;
            e.2 += 1;
        }
        let mut coverage: Vec<Coverage> = self
            .new_weight
            .iter()
            .map(|(b, total)| {
                let (covered, sources) = acc.get(b).map_or((0.0, 0), |e| (e.1, e.2));
                Coverage {
                    bureau: b.clone(),
                    coverage: if *total > 0.0 { covered / total } else { 0.0 },
                    sources,
                }
            })
            .collect();
        coverage.sort_by(|a, b| a.bureau.cmp(&b.bureau));
        let counts = ElectionCounts {
            election: old.election.clone(),
            bureaux: acc.into_values().map(|(c, _, _)| c).collect(),
        };
        (counts, coverage)
    }
}

/// How a new bureau got its past results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMethod {
    /// Same id, in a commune whose bureaux were not renumbered.
    Id,
    /// Through addresses placed in both vintages.
    Addresses,
    /// Its commune's pooled rates.
    Commune,
    /// No result for its commune in the old election.
    Unmatched,
}

/// Whether a same-id match is trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdPolicy {
    /// Only in communes whose number of bureaux is unchanged.
    UnchangedCommunes,
    /// Always (same id = same bureau).
    Always,
    /// In unchanged communes, and elsewhere when the bureau's inscrits changed by at most
    /// [`SIMILAR_SIZE_TOLERANCE`] (relative) between the two elections (the default: it
    /// predicted the Rhône's 2022 bureaux best, see bench/README.md).
    #[default]
    SimilarSize,
    /// Never: every bureau by commune.
    Never,
}

/// Largest relative change of inscrits for [`IdPolicy::SimilarSize`] to trust a same-id match.
pub const SIMILAR_SIZE_TOLERANCE: f64 = 0.25;

/// How the bureaux of a new vintage were matched to an old election.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MatchReport {
    pub election: String,
    pub new_bureaux: usize,
    pub by_id: usize,
    pub by_addresses: usize,
    pub by_commune: usize,
    pub unmatched: usize,
    /// Communes whose number of bureaux changed (or that merged), so not matched by id.
    pub communes_redrawn: usize,
    /// Old communes merged into a current one.
    pub communes_merged: usize,
    /// Mean coverage of the bureaux matched by addresses.
    pub mean_address_coverage: Option<f64>,
}

/// A new bureau to match: its id and its inscrits in the new vintage.
#[derive(Clone, Debug, PartialEq)]
pub struct NewBureau {
    pub bureau: BureauId,
    pub inscrits: f64,
}

/// Carries `old` onto `new` bureaux: addresses first when a crosswalk is given (bureaux with
/// coverage ≥ `min_coverage`), then same ids (per `policy`), then communes. `current_commune`
/// maps an old commune code to the commune it belongs to now (merged communes); codes absent
/// from it are unchanged.
pub fn align(
    old: &ElectionCounts,
    new: &[NewBureau],
    crosswalk: Option<(&Crosswalk, f64)>,
    policy: IdPolicy,
    current_commune: &HashMap<CommuneCode, CommuneCode>,
) -> (ElectionCounts, Vec<MatchMethod>, MatchReport) {
    // Communes as `&str` slices of the ids (no allocation per bureau), through the merge map.
    let merged: HashMap<&str, &str> = current_commune
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    fn current<'x>(merged: &HashMap<&'x str, &'x str>, id: &'x BureauId) -> &'x str {
        let written = id.as_str().get(..5).unwrap_or_default();
        merged.get(written).copied().unwrap_or(written)
    }
    let mut report = MatchReport {
        election: old.election.to_string(),
        new_bureaux: new.len(),
        ..Default::default()
    };
    // Current commune of every old and new bureau, computed once.
    let old_current: Vec<&str> = old
        .bureaux
        .iter()
        .map(|b| current(&merged, &b.bureau))
        .collect();
    let new_current: Vec<&str> = new.iter().map(|n| current(&merged, &n.bureau)).collect();
    // Bureau counts and original codes per current commune (to spot renumbered and merged
    // communes), and the pooled old counts.
    let mut old_count: HashMap<&str, usize> = HashMap::new();
    let mut old_codes_by_commune: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut pooled: HashMap<&str, BureauCounts> = HashMap::new();
    for (b, c) in old.bureaux.iter().zip(&old_current) {
        *old_count.entry(c).or_default() += 1;
        // The commune as written in the old results: the id's first five characters.
        let written = b.bureau.as_str().get(..5).unwrap_or_default();
        old_codes_by_commune.entry(c).or_default().insert(written);
        let e = pooled.entry(c).or_insert_with(|| BureauCounts {
            bureau: b.bureau.clone(),
            circonscription: b.circonscription.clone(),
            inscrits: 0.0,
            abstentions: 0.0,
            exprimes: 0.0,
            bloc: 0.0,
        });
        e.inscrits += b.inscrits;
        e.abstentions += b.abstentions;
        e.exprimes += b.exprimes;
        e.bloc += b.bloc;
    }
    report.communes_merged = old_codes_by_commune
        .values()
        .map(|s| s.len().saturating_sub(1))
        .sum();
    let mut new_count: HashMap<&str, usize> = HashMap::new();
    for c in &new_current {
        *new_count.entry(c).or_default() += 1;
    }
    let stable = |c: &str| {
        old_codes_by_commune.get(c).is_some_and(|s| s.len() == 1)
            && old_count.get(c).copied() == new_count.get(c).copied()
    };
    report.communes_redrawn = new_count
        .keys()
        .filter(|c| old_count.contains_key(*c) && !stable(c))
        .count();
    let idx = old.index();
    let carried = crosswalk.map(|(cw, min)| {
        let (counts, cov) = cw.carry(old);
        let cov: HashMap<BureauId, f64> = cov.into_iter().map(|c| (c.bureau, c.coverage)).collect();
        let by_id: HashMap<BureauId, BureauCounts> = counts
            .bureaux
            .into_iter()
            .map(|b| (b.bureau.clone(), b))
            .collect();
        (by_id, cov, min)
    });
    let mut out = Vec::with_capacity(new.len());
    let mut methods = Vec::with_capacity(new.len());
    let mut coverage_sum = 0.0;
    for (n, commune) in new.iter().zip(&new_current) {
        if let Some((by_id, cov, min)) = &carried
            && let (Some(c), Some(&k)) = (by_id.get(&n.bureau), cov.get(&n.bureau))
            && k >= *min
        {
            out.push(c.clone());
            methods.push(MatchMethod::Addresses);
            report.by_addresses += 1;
            coverage_sum += k;
            continue;
        }
        let id_ok = |old_inscrits: f64| match policy {
            IdPolicy::Always => true,
            IdPolicy::Never => false,
            IdPolicy::UnchangedCommunes => stable(commune),
            IdPolicy::SimilarSize => {
                stable(commune)
                    || (old_inscrits > 0.0
                        && (n.inscrits / old_inscrits - 1.0).abs() <= SIMILAR_SIZE_TOLERANCE)
            }
        };
        if let Some(&i) = idx.get(&n.bureau)
            && id_ok(old.bureaux[i].inscrits)
        {
            out.push(old.bureaux[i].clone());
            methods.push(MatchMethod::Id);
            report.by_id += 1;
            continue;
        }
        if let Some(p) = pooled.get(commune)
            && p.inscrits > 0.0
        {
            // The commune's rates on the new bureau's own inscrits.
            let scale = if n.inscrits > 0.0 {
                n.inscrits / p.inscrits
            } else {
                0.0
            };
            out.push(BureauCounts {
                bureau: n.bureau.clone(),
                circonscription: p.circonscription.clone(),
                inscrits: p.inscrits * scale,
                abstentions: p.abstentions * scale,
                exprimes: p.exprimes * scale,
                bloc: p.bloc * scale,
            });
            methods.push(MatchMethod::Commune);
            report.by_commune += 1;
            continue;
        }
        methods.push(MatchMethod::Unmatched);
        report.unmatched += 1;
    }
    if report.by_addresses > 0 {
        report.mean_address_coverage = Some(coverage_sum / report.by_addresses as f64);
    }
    (
        ElectionCounts {
            election: old.election.clone(),
            bureaux: out,
        },
        methods,
        report,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_model::ElectionId;

    fn bc(id: &str, ins: f64, abs: f64, exp: f64, bloc: f64) -> BureauCounts {
        BureauCounts {
            bureau: BureauId::parse(id).unwrap(),
            circonscription: None,
            inscrits: ins,
            abstentions: abs,
            exprimes: exp,
            bloc,
        }
    }

    fn id(s: &str) -> BureauId {
        BureauId::parse(s).unwrap()
    }

    #[test]
    fn addresses_split_old_counts_and_measure_coverage() {
        let old = ElectionCounts {
            election: ElectionId::parse("2017_pres_t1").unwrap(),
            bureaux: vec![
                bc("75056_0101", 1000.0, 200.0, 780.0, 100.0),
                bc("75056_0102", 500.0, 100.0, 390.0, 50.0),
            ],
        };
        // Old 0101 (100 addresses) splits 60/40 into new 0101 and 0103; old 0102 (50) all goes
        // to new 0102, which also has 50 addresses placed in no old bureau.
        let mut addresses = vec![];
        addresses.extend(std::iter::repeat_n(
            (Some(id("75056_0101")), Some(id("75056_0101")), 1.0),
            60,
        ));
        addresses.extend(std::iter::repeat_n(
            (Some(id("75056_0101")), Some(id("75056_0103")), 1.0),
            40,
        ));
        addresses.extend(std::iter::repeat_n(
            (Some(id("75056_0102")), Some(id("75056_0102")), 1.0),
            50,
        ));
        addresses.extend(std::iter::repeat_n((None, Some(id("75056_0102")), 1.0), 50));
        let cw = Crosswalk::from_addresses(addresses);
        let (new, cov) = cw.carry(&old);
        let get = |s: &str| new.bureaux.iter().find(|b| b.bureau == id(s)).unwrap();
        assert!((get("75056_0101").inscrits - 600.0).abs() < 1e-9);
        assert!((get("75056_0103").bloc - 40.0).abs() < 1e-9);
        assert!((get("75056_0102").abstentions - 100.0).abs() < 1e-9);
        // Counts are conserved.
        let total: f64 = new.bureaux.iter().map(|b| b.inscrits).sum();
        assert!((total - 1500.0).abs() < 1e-9);
        let c102 = cov.iter().find(|c| c.bureau == id("75056_0102")).unwrap();
        assert!((c102.coverage - 0.5).abs() < 1e-12);
        assert_eq!(
            cov.iter()
                .find(|c| c.bureau == id("75056_0103"))
                .unwrap()
                .coverage,
            1.0
        );
    }

    #[test]
    fn ids_are_trusted_only_in_unchanged_communes_and_merged_communes_pool() {
        let old = ElectionCounts {
            election: ElectionId::parse("2017_pres_t1").unwrap(),
            bureaux: vec![
                bc("69001_0001", 100.0, 20.0, 78.0, 10.0), // unchanged commune
                bc("69002_0001", 100.0, 10.0, 80.0, 40.0), // 2 → 3 bureaux
                bc("69002_0002", 300.0, 90.0, 200.0, 20.0),
                bc("69003_0001", 200.0, 40.0, 150.0, 30.0), // merged into 69004
                bc("69004_0001", 200.0, 60.0, 130.0, 30.0),
            ],
        };
        let new: Vec<NewBureau> = [
            ("69001_0001", 110.0),
            ("69002_0001", 200.0),
            ("69002_0002", 100.0),
            ("69002_0003", 100.0),
            ("69004_0001", 400.0),
            ("69005_0001", 50.0),
        ]
        .into_iter()
        .map(|(b, i)| NewBureau {
            bureau: id(b),
            inscrits: i,
        })
        .collect();
        let merged: HashMap<CommuneCode, CommuneCode> = [(
            CommuneCode::parse("69003").unwrap(),
            CommuneCode::parse("69004").unwrap(),
        )]
        .into_iter()
        .collect();
        let (counts, methods, rep) = align(&old, &new, None, IdPolicy::UnchangedCommunes, &merged);
        assert_eq!(
            methods,
            vec![
                MatchMethod::Id,
                MatchMethod::Commune,
                MatchMethod::Commune,
                MatchMethod::Commune,
                MatchMethod::Commune,
                MatchMethod::Unmatched
            ]
        );
        assert_eq!(
            (
                rep.by_id,
                rep.by_commune,
                rep.unmatched,
                rep.communes_redrawn,
                rep.communes_merged
            ),
            (1, 4, 1, 2, 1)
        );
        // 69002's pooled rates: abstention 100/400, bloc 60/280, on the new inscrits.
        let b = &counts.bureaux[1];
        assert!((b.abstention_rate() - 0.25).abs() < 1e-12);
        assert!((b.bloc_share() - 60.0 / 280.0).abs() < 1e-12);
        assert!((b.inscrits - 200.0).abs() < 1e-9);
        // 69004 now = old 69003 + 69004 pooled.
        assert!((counts.bureaux[4].abstention_rate() - 100.0 / 400.0).abs() < 1e-12);
        let (_, m_always, _) = align(&old, &new, None, IdPolicy::Always, &merged);
        assert_eq!(m_always[1], MatchMethod::Id);
        // 69002_0001 went from 100 to 200 inscrits (not similar), 69002_0002 from 300 to 100.
        let (_, m_similar, _) = align(&old, &new, None, IdPolicy::SimilarSize, &merged);
        assert_eq!(m_similar[1], MatchMethod::Commune);
        let mut closer = new.clone();
        closer[1].inscrits = 110.0;
        let (_, m_similar, _) = align(&old, &closer, None, IdPolicy::SimilarSize, &merged);
        assert_eq!(m_similar[1], MatchMethod::Id);
    }
}
