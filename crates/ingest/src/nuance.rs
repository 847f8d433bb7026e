//! The editable nuance → bloc table: which political bloc each candidate or list counts for.
//!
//! The table is a small CSV (`kind;scope;code;bloc`, `#` comments allowed), documented in the
//! default table shipped with the crate ([`NuanceTable::DEFAULT_CSV`]): Ministry nuance codes of
//! 2017, 2022 and 2024, and the 2017 and 2022 presidential candidates by name (presidential
//! files carry no nuance). A campaign edits a copy and loads it over the defaults
//! ([`NuanceTable::merge`]).

use crate::error::{IngestError, Location};
use crate::text::fold;
use std::collections::HashMap;
use std::io::Read;
use terrain_model::{Bloc, CandidateResult, ElectionId, ElectionKind};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Any,
    Year(u16),
    YearKind(u16, ElectionKind),
    Election(ElectionId),
}

impl Scope {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s == "*" || s.is_empty() {
            return Some(Scope::Any);
        }
        if let Ok(e) = ElectionId::parse(s) {
            return Some(Scope::Election(e));
        }
        let mut parts = s.split(['_', '-']);
        let year: u16 = parts.next()?.parse().ok()?;
        match parts.next() {
            None => Some(Scope::Year(year)),
            Some(k) => Some(Scope::YearKind(year, ElectionKind::from_code(k)?)),
        }
    }

    fn render(&self) -> String {
        match self {
            Scope::Any => "*".into(),
            Scope::Year(y) => y.to_string(),
            Scope::YearKind(y, k) => format!("{y}_{}", k.code()),
            Scope::Election(e) => e.to_string(),
        }
    }

    /// The scopes that apply to an election, most specific first.
    fn chain(e: &ElectionId) -> [Scope; 4] {
        [
            Scope::Election(e.clone()),
            Scope::YearKind(e.year(), e.kind()),
            Scope::Year(e.year()),
            Scope::Any,
        ]
    }
}

/// Maps nuances and candidates to blocs.
#[derive(Clone, Debug, Default)]
pub struct NuanceTable {
    nuances: HashMap<(Scope, String), Bloc>,
    candidates: HashMap<(Scope, String), Bloc>,
    /// Rows in reading order, to write the table back.
    order: Vec<(bool, Scope, String)>,
}

impl NuanceTable {
    /// The default table (see the file for the choices made).
    pub const DEFAULT_CSV: &'static str = include_str!("default_blocs.csv");

    /// The default table.
    pub fn defaults() -> Self {
        // The embedded table is tested below; an error here would be a bug in the crate.
        Self::from_csv(Self::DEFAULT_CSV.as_bytes(), "default_blocs.csv").unwrap_or_default()
    }

    /// Reads a table (`kind;scope;code;bloc`, `;` or `,`, `#` comments).
    pub fn from_csv(mut input: impl Read, source: &str) -> Result<Self, IngestError> {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|e| IngestError::Encoding {
                loc: Location::file(source),
                detail: format!("the nuance table must be UTF-8 text ({e})"),
            })?;
        let mut t = Self::default();
        let mut header_seen = false;
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let sep = if line.contains(';') { ';' } else { ',' };
            let f: Vec<&str> = line.split(sep).map(str::trim).collect();
            if !header_seen && f.first().map(|s| s.eq_ignore_ascii_case("kind")) == Some(true) {
                header_seen = true;
                continue;
            }
            if f.len() != 4 {
                return Err(IngestError::Row {
                    loc: Location::line(source, n),
                    detail: format!("expected 4 fields kind;scope;code;bloc, found {}", f.len()),
                });
            }
            let is_candidate = match f[0].to_ascii_lowercase().as_str() {
                "nuance" => false,
                "candidate" | "candidat" => true,
                _ => {
                    return Err(IngestError::field(
                        Location::line(source, n).with_field("kind"),
                        f[0],
                        "nuance or candidate",
                    ));
                }
            };
            let scope = Scope::parse(f[1]).ok_or_else(|| {
                IngestError::field(
                    Location::line(source, n).with_field("scope"),
                    f[1],
                    "*, a year (2017), a year and kind (2017_pres) or an election id (2017_legi_t1)",
                )
            })?;
            let bloc: Bloc = f[3].parse().map_err(|e: terrain_model::ResultsCodeError| {
                IngestError::field(
                    Location::line(source, n).with_field("bloc"),
                    f[3],
                    e.to_string(),
                )
            })?;
            let code = if is_candidate {
                fold(f[2])
            } else {
                f[2].to_ascii_uppercase()
            };
            if code.is_empty() {
                return Err(IngestError::field(
                    Location::line(source, n).with_field("code"),
                    f[2],
                    "a nuance code or a name",
                ));
            }
            t.insert(is_candidate, scope, code, bloc);
        }
        Ok(t)
    }

    fn insert(&mut self, is_candidate: bool, scope: Scope, code: String, bloc: Bloc) {
        let map = if is_candidate {
            &mut self.candidates
        } else {
            &mut self.nuances
        };
        if map.insert((scope.clone(), code.clone()), bloc).is_none() {
            self.order.push((is_candidate, scope, code));
        }
    }

    /// Adds (or overrides with) another table's rows.
    pub fn merge(&mut self, other: NuanceTable) {
        for (is_candidate, scope, code) in other.order {
            let map = if is_candidate {
                &other.candidates
            } else {
                &other.nuances
            };
            if let Some(b) = map.get(&(scope.clone(), code.clone())) {
                self.insert(is_candidate, scope, code, *b);
            }
        }
    }

    /// The bloc of a nuance code in an election (European list codes `LRN` fall back to `RN`).
    pub fn nuance_bloc(&self, election: &ElectionId, nuance: &str) -> Option<Bloc> {
        let code = nuance.trim().to_ascii_uppercase();
        let look = |code: &str| {
            Scope::chain(election)
                .into_iter()
                .find_map(|s| self.nuances.get(&(s, code.to_string())).copied())
        };
        look(&code).or_else(|| {
            code.strip_prefix('L')
                .filter(|rest| rest.len() >= 2)
                .and_then(look)
        })
    }

    /// The bloc of a candidate or list: by name first (presidential candidates), then nuance.
    pub fn bloc_for(&self, election: &ElectionId, c: &CandidateResult) -> Option<Bloc> {
        let name = fold(&c.last_name);
        if !name.is_empty() {
            let by_name = Scope::chain(election)
                .into_iter()
                .find_map(|s| self.candidates.get(&(s, name.clone())).copied());
            if by_name.is_some() {
                return by_name;
            }
        }
        c.nuance
            .as_ref()
            .and_then(|n| self.nuance_bloc(election, n.as_str()))
    }

    /// The table as CSV, in the format [`NuanceTable::from_csv`] reads.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("kind;scope;code;bloc\n");
        for (is_candidate, scope, code) in &self.order {
            let (kind, map) = if *is_candidate {
                ("candidate", &self.candidates)
            } else {
                ("nuance", &self.nuances)
            };
            if let Some(b) = map.get(&(scope.clone(), code.clone())) {
                s.push_str(&format!("{kind};{};{code};{b}\n", scope.render()));
            }
        }
        s
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_model::Nuance;

    fn cand(name: &str, nuance: Option<&str>) -> CandidateResult {
        CandidateResult {
            panel: None,
            sex: None,
            last_name: name.into(),
            first_name: "".into(),
            nuance: nuance.map(|n| Nuance::parse(n).unwrap()),
            list_label: None,
            list_short_label: None,
            votes: 0,
            elected: None,
            seats: None,
        }
    }

    #[test]
    fn the_default_table_parses_and_covers_the_three_vintages() {
        let t = NuanceTable::from_csv(NuanceTable::DEFAULT_CSV.as_bytes(), "d").unwrap();
        assert_eq!(t.len(), NuanceTable::defaults().len());
        let e17 = ElectionId::parse("2017_legi_t1").unwrap();
        let e24 = ElectionId::parse("2024_legi_t1").unwrap();
        assert_eq!(t.nuance_bloc(&e17, "REM"), Some(Bloc::Centre));
        assert_eq!(t.nuance_bloc(&e17, "FN"), Some(Bloc::FarRight));
        assert_eq!(t.nuance_bloc(&e24, "UG"), Some(Bloc::Left));
        assert_eq!(t.nuance_bloc(&e24, "UXD"), Some(Bloc::FarRight));
        assert_eq!(
            t.nuance_bloc(&e24, "LRN"),
            Some(Bloc::FarRight),
            "European list code"
        );
        assert_eq!(t.nuance_bloc(&e24, "XYZ"), None);
    }

    #[test]
    fn presidential_candidates_by_name_without_accents() {
        let t = NuanceTable::defaults();
        let p17 = ElectionId::parse("2017_pres_t1").unwrap();
        let p22 = ElectionId::parse("2022_pres_t2").unwrap();
        assert_eq!(t.bloc_for(&p17, &cand("MELENCHON", None)), Some(Bloc::Left));
        assert_eq!(
            t.bloc_for(&p17, &cand("Le Pen", None)),
            Some(Bloc::FarRight)
        );
        assert_eq!(
            t.bloc_for(&p22, &cand("ZEMMOUR", None)),
            Some(Bloc::FarRight)
        );
        assert_eq!(
            t.bloc_for(&p17, &cand("ZEMMOUR", None)),
            None,
            "not a 2017 candidate"
        );
    }

    #[test]
    fn user_rows_override_defaults_at_their_scope() {
        let mut t = NuanceTable::defaults();
        let user =
            "kind,scope,code,bloc\nnuance,2017_legi_t1,DIV,centre\ncandidate,*,LASSALLE,right\n";
        t.merge(NuanceTable::from_csv(user.as_bytes(), "mine.csv").unwrap());
        let l1 = ElectionId::parse("2017_legi_t1").unwrap();
        let l2 = ElectionId::parse("2017_legi_t2").unwrap();
        assert_eq!(t.nuance_bloc(&l1, "DIV"), Some(Bloc::Centre));
        assert_eq!(t.nuance_bloc(&l2, "DIV"), Some(Bloc::Other));
        // The election-kind scope (2017_pres) is more specific than *.
        let p = ElectionId::parse("2017_pres_t1").unwrap();
        assert_eq!(t.bloc_for(&p, &cand("LASSALLE", None)), Some(Bloc::Other));
        // The table round-trips through its CSV.
        let again = NuanceTable::from_csv(t.to_csv().as_bytes(), "x").unwrap();
        assert_eq!(again.to_csv(), t.to_csv());
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = NuanceTable::from_csv(
            "kind;scope;code;bloc\nnuance;*;RN;extreme\n".as_bytes(),
            "t.csv",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("t.csv:2") && e.to_string().contains("bloc"),
            "{e}"
        );
        let e = NuanceTable::from_csv("nuance;*;RN\n".as_bytes(), "t.csv").unwrap_err();
        assert!(e.to_string().contains("4 fields"), "{e}");
        let e = NuanceTable::from_csv("party;*;RN;left\n".as_bytes(), "t.csv").unwrap_err();
        assert!(e.to_string().contains("kind"), "{e}");
    }
}
