//! The bloc a campaign counts: a set of blocs resolved per election through the nuance → bloc
//! table of `terrain-ingest`, edited by adding or removing candidates and nuances by name.
//!
//! `--bloc left,ecologist` counts every candidate the table puts in the left or ecologist bloc
//! in each election (in 2017 presidential: Mélenchon and Hamon; in 2022: Roussel, Mélenchon,
//! Hidalgo and Jadot). `--bloc left,-HAMON,candidate:LASSALLE` edits that set. A bare name that
//! is not a bloc is a candidate (`--bloc MACRON`).

use crate::error::TargetingError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use terrain_ingest::NuanceTable;
use terrain_model::{Bloc, BureauResult, CandidateResult, ElectionId, SharedText};

/// A candidate or nuance picked by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "code")]
pub enum Selector {
    /// A candidate's (or list head's) family name, compared without case, accents or
    /// punctuation (`Mélenchon` = `MELENCHON`).
    Candidate(String),
    /// A Ministry nuance code (`SOC`, `UG`), upper case.
    Nuance(String),
}

impl Selector {
    fn matches(&self, c: &CandidateResult) -> bool {
        match self {
            Selector::Candidate(name) => fold_name(&c.last_name) == *name,
            Selector::Nuance(code) => c.nuance.as_ref().is_some_and(|n| n.as_str() == code),
        }
    }
}

/// Folds a name for comparison: letters and digits only, lower case, accents removed.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => 'i',
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => 'u',
            'ç' | 'Ç' => 'c',
            'ÿ' | 'Ÿ' => 'y',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Which votes count as the bloc.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlocSpec {
    /// Blocs of the nuance → bloc table.
    pub blocs: Vec<Bloc>,
    /// Candidates or nuances counted whatever their bloc.
    pub include: Vec<Selector>,
    /// Candidates or nuances never counted (checked first).
    pub exclude: Vec<Selector>,
}

impl BlocSpec {
    /// A spec made of blocs only.
    pub fn of(blocs: &[Bloc]) -> Self {
        Self {
            blocs: blocs.to_vec(),
            ..Self::default()
        }
    }

    /// Parses `left,ecologist,-HAMON,candidate:LASSALLE,nuance:DVG,-nuance:DIV`.
    ///
    /// Items are separated by commas. A bloc name (`far_left`, `left`, `ecologist`, `centre`,
    /// `right`, `far_right`, `regionalist`, `other`) adds the bloc; `candidate:NAME` or a bare
    /// name adds a candidate; `nuance:CODE` adds a nuance; a leading `-` removes a candidate or
    /// nuance instead.
    pub fn parse(spec: &str) -> Result<Self, TargetingError> {
        let err = |detail: String| TargetingError::Bloc {
            spec: spec.to_string(),
            detail,
        };
        let mut out = Self::default();
        for raw in spec.split(',') {
            let item = raw.trim();
            if item.is_empty() {
                continue;
            }
            let (negated, item) = match item.strip_prefix('-') {
                Some(rest) => (true, rest.trim()),
                None => (false, item),
            };
            let selector = if let Some(name) =
                strip_prefix_ci(item, "candidate:").or_else(|| strip_prefix_ci(item, "candidat:"))
            {
                let f = fold_name(name);
                if f.is_empty() {
                    return Err(err(format!("{raw:?}: empty candidate name")));
                }
                Some(Selector::Candidate(f))
            } else if let Some(code) = strip_prefix_ci(item, "nuance:") {
                let code =
                    terrain_model::Nuance::parse(code).map_err(|e| err(format!("{raw:?}: {e}")))?;
                Some(Selector::Nuance(code.as_str().to_string()))
            } else if let Ok(b) = item.parse::<Bloc>() {
                if negated {
                    return Err(err(format!(
                        "{raw:?}: a bloc cannot be removed, only left out; remove candidates or \
                         nuances with -NAME or -nuance:CODE"
                    )));
                }
                if !out.blocs.contains(&b) {
                    out.blocs.push(b);
                }
                None
            } else {
                let f = fold_name(item);
                if f.is_empty() {
                    return Err(err(format!("{raw:?} is neither a bloc nor a name")));
                }
                Some(Selector::Candidate(f))
            };
            if let Some(s) = selector {
                if negated {
                    out.exclude.push(s);
                } else {
                    out.include.push(s);
                }
            }
        }
        if out.blocs.is_empty() && out.include.is_empty() {
            return Err(err(
                "name at least one bloc (far_left, left, ecologist, centre, right, far_right, \
                 regionalist, other) or candidate"
                    .into(),
            ));
        }
        Ok(out)
    }

    /// Whether a candidate counts for the bloc in an election.
    pub fn counts(&self, table: &NuanceTable, election: &ElectionId, c: &CandidateResult) -> bool {
        if self.exclude.iter().any(|s| s.matches(c)) {
            return false;
        }
        if self.include.iter().any(|s| s.matches(c)) {
            return true;
        }
        table
            .bloc_for(election, c)
            .is_some_and(|b| self.blocs.contains(&b))
    }

    /// The spec written back in the syntax [`BlocSpec::parse`] reads.
    pub fn render(&self) -> String {
        let mut items: Vec<String> = self.blocs.iter().map(|b| b.to_string()).collect();
        let sel = |s: &Selector| match s {
            Selector::Candidate(n) => format!("candidate:{n}"),
            Selector::Nuance(n) => format!("nuance:{n}"),
        };
        items.extend(self.include.iter().map(sel));
        items.extend(self.exclude.iter().map(|s| format!("-{}", sel(s))));
        items.join(",")
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(s[prefix.len()..].trim())
    } else {
        None
    }
}

/// Resolves a spec on many result rows, remembering each candidate's answer (a national file
/// repeats the same dozen candidates on 69,000 rows) and what was counted, for the report.
pub struct BlocResolver<'a> {
    spec: &'a BlocSpec,
    table: &'a NuanceTable,
    /// (election, family name, nuance) → index into `tallies`.
    cache: HashMap<(ElectionId, SharedText, Option<String>), usize>,
    tallies: Vec<(ElectionId, String, CandidateTally)>,
}

/// One candidate's votes over the rows resolved, and whether it counted for the bloc.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CandidateTally {
    pub votes: u64,
    pub in_bloc: bool,
    /// The bloc the nuance → bloc table gives, if any.
    pub table_bloc: Option<Bloc>,
}

impl<'a> BlocResolver<'a> {
    pub fn new(spec: &'a BlocSpec, table: &'a NuanceTable) -> Self {
        Self {
            spec,
            table,
            cache: HashMap::new(),
            tallies: Vec::new(),
        }
    }

    /// The bloc's votes in one row.
    pub fn bloc_votes(&mut self, r: &BureauResult) -> u64 {
        let mut total = 0;
        for c in &r.candidates {
            let key = (
                r.election.clone(),
                c.last_name.clone(),
                c.nuance.as_ref().map(|n| n.as_str().to_string()),
            );
            let i = match self.cache.get(&key) {
                Some(i) => *i,
                None => {
                    let tally = CandidateTally {
                        votes: 0,
                        in_bloc: self.spec.counts(self.table, &r.election, c),
                        table_bloc: self.table.bloc_for(&r.election, c),
                    };
                    self.tallies
                        .push((r.election.clone(), c.display_name(), tally));
                    self.cache.insert(key, self.tallies.len() - 1);
                    self.tallies.len() - 1
                }
            };
            let t = &mut self.tallies[i].2;
            t.votes += c.votes;
            if t.in_bloc {
                total += c.votes;
            }
        }
        total
    }

    /// Per election, every candidate met with its votes and whether it counted.
    pub fn tallies(&self) -> BTreeMap<ElectionId, BTreeMap<String, CandidateTally>> {
        let mut out: BTreeMap<ElectionId, BTreeMap<String, CandidateTally>> = BTreeMap::new();
        for (e, name, t) in &self.tallies {
            let slot = out
                .entry(e.clone())
                .or_default()
                .entry(name.clone())
                .or_default();
            slot.votes += t.votes;
            slot.in_bloc |= t.in_bloc;
            slot.table_bloc = slot.table_bloc.or(t.table_bloc);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_model::Nuance;

    pub(crate) fn cand(name: &str, nuance: Option<&str>, votes: u64) -> CandidateResult {
        CandidateResult {
            panel: None,
            sex: None,
            last_name: name.into(),
            first_name: "".into(),
            nuance: nuance.map(|n| Nuance::parse(n).unwrap()),
            list_label: None,
            list_short_label: None,
            votes,
            elected: None,
            seats: None,
        }
    }

    #[test]
    fn parse_blocs_candidates_nuances_and_exclusions() {
        let s = BlocSpec::parse("left, ecologist,-Hamon,candidate:Lassalle,nuance:dvg,-nuance:DIV")
            .unwrap();
        assert_eq!(s.blocs, vec![Bloc::Left, Bloc::Ecologist]);
        assert_eq!(
            s.include,
            vec![
                Selector::Candidate("lassalle".into()),
                Selector::Nuance("DVG".into())
            ]
        );
        assert_eq!(
            s.exclude,
            vec![
                Selector::Candidate("hamon".into()),
                Selector::Nuance("DIV".into())
            ]
        );
        assert_eq!(BlocSpec::parse(&s.render()).unwrap(), s);
        assert_eq!(
            BlocSpec::parse("MÉLENCHON").unwrap().include,
            vec![Selector::Candidate("melenchon".into())]
        );
        for bad in ["", " , ", "-left", "nuance:R N", "candidate:--"] {
            assert!(BlocSpec::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn resolution_uses_the_table_then_the_edits() {
        let table = NuanceTable::defaults();
        let p17 = ElectionId::parse("2017_pres_t1").unwrap();
        let left = BlocSpec::parse("left").unwrap();
        assert!(left.counts(&table, &p17, &cand("MÉLENCHON", None, 0)));
        assert!(left.counts(&table, &p17, &cand("HAMON", None, 0)));
        assert!(!left.counts(&table, &p17, &cand("MACRON", None, 0)));
        let edited = BlocSpec::parse("left,-hamon,macron").unwrap();
        assert!(!edited.counts(&table, &p17, &cand("HAMON", None, 0)));
        assert!(edited.counts(&table, &p17, &cand("Macron", None, 0)));
        let l17 = ElectionId::parse("2017_legi_t1").unwrap();
        assert!(left.counts(&table, &l17, &cand("X", Some("SOC"), 0)));
        assert!(!left.counts(&table, &l17, &cand("X", Some("REM"), 0)));
    }
}
