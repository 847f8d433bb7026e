//! The generic "long" results layout: one row per (bureau, candidate or list), the bureau's
//! totals repeated on each of its rows.
//!
//! ```text
//! code_departement;code_commune;code_bureau;scrutin;inscrits;votants;blancs;exprimes;numero_panneau;sexe;nom;prenom;nuance;voix
//! 75;056;0110;presidentielle-1;858;747;6;738;1;M;DUPONT-AIGNAN;Nicolas;DLF;3
//! ```
//!
//! Columns are found by name (see [`LongMapping`] for the names recognised); a mapping names
//! them when the file uses others. The bureau is given either by a full id column
//! (`75056_0110`, `75056-0110`, `id_brut_miom`) or by department + commune + bureau code
//! columns (the Ministry's codes, `Z?` overseas codes included). Missing totals are derived:
//! `abstentions = inscrits − votants`, `nuls = votants − blancs − exprimés`.
//!
//! A bureau's rows for one election must be consecutive (the file sorted by bureau, as every
//! export we know is): the reader yields a bureau as soon as its last row is read, so memory
//! stays bounded. A bureau met again later is an error that says so.

use super::Common;
use crate::codes::{Place, ministry_commune};
use crate::error::{IngestError, WarningKind};
use crate::text::{fold, parse_count, zfill};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use terrain_model::{
    BureauId, BureauResult, CandidateResult, CommuneCode, ElectionId, ElectionKind, Nuance,
    ResultArea, Sex, Totals,
};

/// Which column of a long file holds what. Every field is a column name (compared without
/// case, accents or punctuation); absent fields are looked up under their usual names.
///
/// As JSON (the `--mapping FILE` of `terrain import results`):
/// ```json
/// {"bureau_code": "num_bv", "votes": "nb_voix",
///  "election_values": {"presidentielle-1": "2017_pres_t1"}}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LongMapping {
    /// Full bureau id (`75056_0110`). Usual names: `id_bv`, `id_brut_miom`, `id_bureau`,
    /// `bureau_id`, `id_secteur`, `codeBureauVote`.
    pub bureau: Option<String>,
    /// Usual names: `code_departement`, `Code du département`, `dep`.
    pub department: Option<String>,
    /// Commune number within the department, or full INSEE code. Usual names:
    /// `code_commune`, `Code de la commune`, `code_insee`, `com`.
    pub commune: Option<String>,
    /// Bureau code within the commune. Usual names: `code_bureau`, `code_bv`, `Code du b.vote`,
    /// `num_bureau`, `bureau`.
    pub bureau_code: Option<String>,
    pub commune_name: Option<String>,
    pub circonscription: Option<String>,
    /// The election of each row. Usual names: `id_election`, `election`, `scrutin`.
    pub election: Option<String>,
    pub inscrits: Option<String>,
    pub abstentions: Option<String>,
    pub votants: Option<String>,
    pub blancs: Option<String>,
    pub nuls: Option<String>,
    pub exprimes: Option<String>,
    pub panel: Option<String>,
    pub sex: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub nuance: Option<String>,
    pub list_label: Option<String>,
    pub votes: Option<String>,
    /// Election column values → election ids, for values that are not ids themselves.
    /// Values such as `presidentielle-1` or `legislatives-2` are understood without it when the
    /// year is known (from the `election` option or a 4-digit year in the file name).
    pub election_values: BTreeMap<String, ElectionId>,
}

impl LongMapping {
    /// Reads a mapping from JSON.
    pub fn from_json(input: impl std::io::Read, source: &str) -> Result<Self, IngestError> {
        serde_json::from_reader(input).map_err(|e| IngestError::Json {
            loc: crate::error::Location::line(source, e.line() as u64),
            detail: e.to_string(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Role {
    Bureau,
    Department,
    Commune,
    BureauCode,
    CommuneName,
    Circ,
    Election,
    Inscrits,
    Abstentions,
    Votants,
    Blancs,
    Nuls,
    Exprimes,
    Panel,
    Sex,
    LastName,
    FirstName,
    Nuance,
    ListLabel,
    Votes,
}

const ALIASES: &[(Role, &[&str])] = &[
    (
        Role::Bureau,
        &[
            "idbv",
            "idbrutmiom",
            "idbureau",
            "bureauid",
            "idsecteur",
            "codebureauvote",
            "bureau_id",
        ],
    ),
    (
        Role::Department,
        &["codedepartement", "codedudepartement", "dep", "departement"],
    ),
    (
        Role::Commune,
        &[
            "codecommune",
            "codedelacommune",
            "codeinsee",
            "com",
            "commune",
        ],
    ),
    (
        Role::BureauCode,
        &[
            "codebureau",
            "codebv",
            "codedubvote",
            "numbureau",
            "numerobureau",
            "bureau",
            "numerobureauvote",
        ],
    ),
    (
        Role::CommuneName,
        &[
            "libellecommune",
            "libelledelacommune",
            "nomcommune",
            "libcom",
        ],
    ),
    (
        Role::Circ,
        &[
            "circonscription",
            "codecirconscription",
            "codedelacirconscription",
        ],
    ),
    (Role::Election, &["idelection", "election", "scrutin"]),
    (Role::Inscrits, &["inscrits", "nbinscrits"]),
    (Role::Abstentions, &["abstentions", "nbabstentions"]),
    (Role::Votants, &["votants", "nbvotants"]),
    (Role::Blancs, &["blancs", "nbblancs"]),
    (Role::Nuls, &["nuls", "nbnuls"]),
    (Role::Exprimes, &["exprimes", "nbexprimes"]),
    (
        Role::Panel,
        &["numeropanneau", "nopanneau", "panneau", "numpanneau"],
    ),
    (Role::Sex, &["sexe", "sexecandidat"]),
    (Role::LastName, &["nom", "nomcandidat", "candidat"]),
    (Role::FirstName, &["prenom", "prenomcandidat"]),
    (
        Role::Nuance,
        &["nuance", "codenuance", "nuancecandidat", "nuanceliste"],
    ),
    (
        Role::ListLabel,
        &[
            "liste",
            "libelleliste",
            "libelledeliste",
            "libelleabregeliste",
        ],
    ),
    (Role::Votes, &["voix", "nbvoix"]),
];

fn mapped(m: &LongMapping, role: Role) -> Option<&String> {
    match role {
        Role::Bureau => m.bureau.as_ref(),
        Role::Department => m.department.as_ref(),
        Role::Commune => m.commune.as_ref(),
        Role::BureauCode => m.bureau_code.as_ref(),
        Role::CommuneName => m.commune_name.as_ref(),
        Role::Circ => m.circonscription.as_ref(),
        Role::Election => m.election.as_ref(),
        Role::Inscrits => m.inscrits.as_ref(),
        Role::Abstentions => m.abstentions.as_ref(),
        Role::Votants => m.votants.as_ref(),
        Role::Blancs => m.blancs.as_ref(),
        Role::Nuls => m.nuls.as_ref(),
        Role::Exprimes => m.exprimes.as_ref(),
        Role::Panel => m.panel.as_ref(),
        Role::Sex => m.sex.as_ref(),
        Role::LastName => m.last_name.as_ref(),
        Role::FirstName => m.first_name.as_ref(),
        Role::Nuance => m.nuance.as_ref(),
        Role::ListLabel => m.list_label.as_ref(),
        Role::Votes => m.votes.as_ref(),
    }
}

type Key = (ElectionId, ResultArea);

struct Group {
    key: Key,
    first_line: u64,
    result: BureauResult,
}

/// Column positions of a long file, and the bureau being assembled.
pub(crate) struct LongParser {
    names: Vec<String>,
    col: BTreeMap<Role, usize>,
    election_values: BTreeMap<String, ElectionId>,
    year: Option<u16>,
    current: Option<Group>,
    done: HashSet<Key>,
}

fn election_from_label(label: &str, year: Option<u16>) -> Option<ElectionId> {
    if let Ok(e) = ElectionId::parse(label) {
        return Some(e);
    }
    let f = label.to_ascii_lowercase();
    let (word, round) = f.rsplit_once(['-', '_', ' '])?;
    let round: u8 = round.trim_start_matches(['t', 'T']).parse().ok()?;
    let w = fold(word);
    let kind = if w.starts_with("presidentielle") {
        ElectionKind::Presidential
    } else if w.starts_with("legislative") {
        ElectionKind::Legislative
    } else if w.starts_with("europeenne") {
        ElectionKind::European
    } else if w.starts_with("municipale") {
        ElectionKind::Municipal
    } else if w.starts_with("regionale") {
        ElectionKind::Regional
    } else if w.starts_with("departementale") || w.starts_with("cantonale") {
        ElectionKind::Departmental
    } else {
        return None;
    };
    ElectionId::new(year?, kind, round).ok()
}

fn year_in(name: &str) -> Option<u16> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|t| t.len() == 4 && (t.starts_with("19") || t.starts_with("20")))
        .find_map(|t| t.parse().ok())
}

impl LongParser {
    pub(crate) fn from_header(
        names: &[String],
        mapping: Option<&LongMapping>,
        common: &Common,
    ) -> Result<Self, IngestError> {
        let folded: Vec<String> = names.iter().map(|n| fold(n)).collect();
        let default = LongMapping::default();
        let m = mapping.unwrap_or(&default);
        let mut col = BTreeMap::new();
        for (role, aliases) in ALIASES {
            let found = match mapped(m, *role) {
                Some(name) => {
                    let f = fold(name);
                    let i = folded.iter().position(|h| *h == f).ok_or_else(|| IngestError::Header {
                        loc: common.loc(1),
                        detail: format!("the mapping names column {name:?}, which the header lacks (columns: {})", names.join(", ")),
                    })?;
                    Some(i)
                }
                None => aliases
                    .iter()
                    .find_map(|a| folded.iter().position(|h| h == a)),
            };
            if let Some(i) = found {
                col.insert(*role, i);
            }
        }
        // The same column cannot be both the full id and a part of it.
        if col.get(&Role::BureauCode) == col.get(&Role::Bureau) {
            col.remove(&Role::BureauCode);
        }
        let has_parts = col.contains_key(&Role::Commune) && col.contains_key(&Role::BureauCode);
        let mut missing = Vec::new();
        if !has_parts && !col.contains_key(&Role::Bureau) {
            missing
                .push("the bureau (a full id column such as id_bv, or code_commune + code_bureau)");
        }
        for (r, n) in [
            (Role::Inscrits, "inscrits"),
            (Role::Votants, "votants"),
            (Role::Exprimes, "exprimes"),
            (Role::Votes, "voix"),
        ] {
            if !col.contains_key(&r) {
                missing.push(n);
            }
        }
        if !col.contains_key(&Role::LastName)
            && !col.contains_key(&Role::ListLabel)
            && !col.contains_key(&Role::Nuance)
        {
            missing.push("the candidate (nom, liste or nuance)");
        }
        if !missing.is_empty() {
            return Err(IngestError::Header {
                loc: common.loc(1),
                detail: format!(
                    "not a known results layout (no candidate block such as N°Panneau) and, read \
                     as a long file (one row per bureau and candidate), these columns are \
                     missing: {}. Columns found: {}. Name them with a mapping.",
                    missing.join(", "),
                    names.join(", ")
                ),
            });
        }
        let year = common
            .election
            .as_ref()
            .map(ElectionId::year)
            .or_else(|| year_in(&common.source));
        Ok(Self {
            names: names.to_vec(),
            col,
            election_values: m.election_values.clone(),
            year,
            current: None,
            done: HashSet::new(),
        })
    }

    fn name(&self, role: Role) -> String {
        self.col
            .get(&role)
            .and_then(|i| self.names.get(*i))
            .cloned()
            .unwrap_or_default()
    }

    fn raw<'a>(&self, rec: &'a crate::record::Record, role: Role) -> Option<&'a [u8]> {
        self.col.get(&role).and_then(|i| rec.get(*i))
    }

    fn text(
        &self,
        rec: &crate::record::Record,
        role: Role,
        line: u64,
        c: &mut Common,
    ) -> Result<Option<String>, IngestError> {
        let Some(raw) = self.raw(rec, role) else {
            return Ok(None);
        };
        let source = c.source.clone();
        let field = self.name(role);
        let s = c
            .decoder
            .decode(
                raw,
                || crate::error::Location::line(&source, line).with_field(field),
                &mut c.report.warnings,
            )?
            .trim()
            .to_string();
        Ok(Some(s).filter(|s| !s.is_empty()))
    }

    fn count(
        &self,
        rec: &crate::record::Record,
        role: Role,
        line: u64,
        c: &Common,
    ) -> Result<Option<u64>, IngestError> {
        let Some(raw) = self.raw(rec, role) else {
            return Ok(None);
        };
        parse_count(raw).map_err(|()| {
            IngestError::field(
                c.loc(line).with_field(self.name(role)),
                &String::from_utf8_lossy(raw),
                "a whole number",
            )
        })
    }

    fn required(
        &self,
        rec: &crate::record::Record,
        role: Role,
        line: u64,
        c: &Common,
    ) -> Result<u64, IngestError> {
        self.count(rec, role, line, c)?.ok_or_else(|| {
            IngestError::field(
                c.loc(line).with_field(self.name(role)),
                "",
                "a count (this field is empty)",
            )
        })
    }

    fn area(
        &self,
        rec: &crate::record::Record,
        line: u64,
        c: &mut Common,
    ) -> Result<Option<ResultArea>, IngestError> {
        let label = self
            .text(rec, Role::CommuneName, line, c)?
            .unwrap_or_default();
        if let (Some(com), Some(bv)) = (
            self.text(rec, Role::Commune, line, c)?,
            self.text(rec, Role::BureauCode, line, c)?,
        ) {
            let dep = self
                .text(rec, Role::Department, line, c)?
                .unwrap_or_default();
            let place = if com.len() >= 4 || dep.is_empty() {
                CommuneCode::parse(&com)
                    .map(Place::Commune)
                    .map_err(|e| crate::codes::Unmapped(e.to_string()))
            } else {
                ministry_commune(&dep, &com, &label)
            };
            return match place {
                Ok(Place::Commune(code)) => {
                    // A bureau code may carry the commune (`75056-0110`): keep its last part.
                    let bv_local = bv.rsplit(['_', '-']).next().unwrap_or(&bv);
                    BureauId::new(&code, &zfill(bv_local, 4))
                        .map(|b| Some(ResultArea::Bureau(b)))
                        .map_err(|e| {
                            IngestError::field(
                                c.loc(line).with_field(self.name(Role::BureauCode)),
                                &bv,
                                e.to_string(),
                            )
                        })
                }
                Ok(Place::Abroad) => {
                    c.report.skipped_abroad += 1;
                    Ok(None)
                }
                Err(e) => {
                    c.report.skipped_unmapped += 1;
                    c.warn(
                        WarningKind::Skipped,
                        line,
                        None,
                        format!("{dep} {com}: {}; row skipped", e.0),
                    );
                    Ok(None)
                }
            };
        }
        let id = self.text(rec, Role::Bureau, line, c)?.unwrap_or_default();
        BureauId::parse(&id)
            .map(|b| Some(ResultArea::Bureau(b)))
            .map_err(|e| {
                IngestError::field(
                    c.loc(line).with_field(self.name(Role::Bureau)),
                    &id,
                    e.to_string(),
                )
            })
    }

    fn election(
        &self,
        rec: &crate::record::Record,
        line: u64,
        c: &mut Common,
    ) -> Result<ElectionId, IngestError> {
        match self.text(rec, Role::Election, line, c)? {
            None => c.election(),
            Some(label) => {
                if let Some(e) = self.election_values.get(&label) {
                    return Ok(e.clone());
                }
                election_from_label(&label, self.year).ok_or_else(|| {
                    IngestError::field(
                        c.loc(line).with_field(self.name(Role::Election)),
                        &label,
                        "an election id such as 2017_pres_t1, or a label such as presidentielle-1 \
                         with the year known (pass --election, or map the value in the mapping's \
                         election_values)",
                    )
                })
            }
        }
    }

    /// Reads one row; yields the previous bureau when this row starts a new one.
    pub(crate) fn row(
        &mut self,
        rec: &crate::record::Record,
        line: u64,
        c: &mut Common,
    ) -> Result<Option<(BureauResult, u64)>, IngestError> {
        let Some(area) = self.area(rec, line, c)? else {
            return Ok(None);
        };
        let election = self.election(rec, line, c)?;
        let inscrits = self.required(rec, Role::Inscrits, line, c)?;
        let votants = self.required(rec, Role::Votants, line, c)?;
        let exprimes = self.required(rec, Role::Exprimes, line, c)?;
        let blancs = self.count(rec, Role::Blancs, line, c)?.unwrap_or(0);
        let abstentions = match self.count(rec, Role::Abstentions, line, c)? {
            Some(a) => a,
            None => inscrits.checked_sub(votants).ok_or_else(|| IngestError::Row {
                loc: c.loc(line),
                detail: format!("votants ({votants}) exceed inscrits ({inscrits}): abstentions cannot be derived"),
            })?,
        };
        let nuls = match self.count(rec, Role::Nuls, line, c)? {
            Some(n) => n,
            None => votants
                .checked_sub(blancs + exprimes)
                .ok_or_else(|| IngestError::Row {
                    loc: c.loc(line),
                    detail: format!(
                        "blancs + exprimés ({}) exceed votants ({votants}): nuls cannot be derived",
                        blancs + exprimes
                    ),
                })?,
        };
        let totals = Totals {
            inscrits,
            abstentions,
            votants,
            blancs,
            nuls,
            exprimes,
        };
        let votes = self.required(rec, Role::Votes, line, c)?;
        let sex = match self.text(rec, Role::Sex, line, c)? {
            Some(s) => Some(Sex::parse(&s).map_err(|e| {
                IngestError::field(
                    c.loc(line).with_field(self.name(Role::Sex)),
                    &s,
                    e.to_string(),
                )
            })?),
            None => None,
        };
        let nuance = match self.text(rec, Role::Nuance, line, c)? {
            Some(s) => Some(Nuance::parse(&s).map_err(|e| {
                IngestError::field(
                    c.loc(line).with_field(self.name(Role::Nuance)),
                    &s,
                    e.to_string(),
                )
            })?),
            None => None,
        };
        let candidate = CandidateResult {
            panel: self
                .count(rec, Role::Panel, line, c)?
                .and_then(|p| u32::try_from(p).ok()),
            sex,
            last_name: self
                .text(rec, Role::LastName, line, c)?
                .unwrap_or_default()
                .into(),
            first_name: self
                .text(rec, Role::FirstName, line, c)?
                .unwrap_or_default()
                .into(),
            nuance,
            list_label: self.text(rec, Role::ListLabel, line, c)?.map(Into::into),
            list_short_label: None,
            votes,
            elected: None,
            seats: None,
        };
        let key = (election, area);
        if let Some(g) = &mut self.current
            && g.key == key
        {
            if g.result.totals != totals {
                return Err(IngestError::Row {
                    loc: c.loc(line),
                    detail: format!(
                        "bureau {} ({}): totals differ from the bureau's first row (line {}): \
                             {totals:?} vs {:?}",
                        key.1.code(),
                        key.0,
                        g.first_line,
                        g.result.totals
                    ),
                });
            }
            g.result.candidates.push(candidate);
            return Ok(None);
        }
        if self.done.contains(&key) {
            return Err(IngestError::Row {
                loc: c.loc(line),
                detail: format!(
                    "bureau {} ({}) was already read earlier in the file: a bureau's rows must be \
                     consecutive (sort the file by election and bureau)",
                    key.1.code(),
                    key.0
                ),
            });
        }
        let circonscription = self.text(rec, Role::Circ, line, c)?.map(|s| zfill(&s, 2));
        let commune_name = self
            .text(rec, Role::CommuneName, line, c)?
            .unwrap_or_default();
        let arrondissement = match &key.1 {
            ResultArea::Bureau(b) => b.plm_arrondissement(),
            ResultArea::Commune(_) => None,
        };
        let result = BureauResult {
            election: key.0.clone(),
            area: key.1.clone(),
            arrondissement,
            commune_name,
            circonscription,
            totals,
            candidates: vec![candidate],
        };
        let previous = self.current.replace(Group {
            key,
            first_line: line,
            result,
        });
        Ok(previous.map(|g| {
            self.done.insert(g.key);
            (g.result, g.first_line)
        }))
    }

    /// Yields the last bureau at the end of the file.
    pub(crate) fn finish(
        &mut self,
        _c: &mut Common,
    ) -> Result<Option<(BureauResult, u64)>, IngestError> {
        Ok(self.current.take().map(|g| {
            self.done.insert(g.key);
            (g.result, g.first_line)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_labels() {
        let e = |s: &str, y| election_from_label(s, y).map(|e| e.to_string());
        assert_eq!(
            e("presidentielle-1", Some(2017)).as_deref(),
            Some("2017_pres_t1")
        );
        assert_eq!(
            e("legislatives-2", Some(2017)).as_deref(),
            Some("2017_legi_t2")
        );
        assert_eq!(e("2024_euro_t1", None).as_deref(), Some("2024_euro_t1"));
        assert_eq!(e("presidentielle-1", None), None);
        assert_eq!(e("foo-1", Some(2017)), None);
        assert_eq!(
            year_in("paris_2017_resultats_par_bureau_long.csv"),
            Some(2017)
        );
    }
}
