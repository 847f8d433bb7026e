//! Election results by bureau de vote: elections, totals, candidates and lists, nuances and blocs.
//!
//! One [`BureauResult`] is one row of an official results file: the totals of one bureau (or of a
//! whole commune in the commune-level files) and the votes of each candidate or list. The
//! vocabulary is the Ministry's: *inscrits* (registered), *abstentions*, *votants* (who voted),
//! *blancs* (blank ballots), *nuls* (spoilt ballots), *exprimés* (valid votes), *voix* (votes for
//! a candidate) and *nuance* (the political label the prefecture gives a candidate).

use crate::codes::{BureauId, CommuneCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Shared text: candidate names and list labels repeat on every row of a national file
/// (69,000 bureaux × 12 candidates), so rows share one allocation per distinct name.
pub type SharedText = Arc<str>;

mod shared_text {
    //! Serde for `Arc<str>` fields, as plain strings (serde's `rc` feature is not enabled).
    use super::SharedText;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &SharedText, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SharedText, D::Error> {
        Ok(String::deserialize(d)?.into())
    }

    pub mod option {
        use super::SharedText;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &Option<SharedText>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(t) => s.serialize_some(&**t),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SharedText>, D::Error> {
            Ok(Option::<String>::deserialize(d)?.map(Into::into))
        }
    }
}

/// Why an election id, nuance or bloc did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultsCodeError {
    #[error(
        "invalid election id {0:?}: expected <year>_<kind>_t<round>, e.g. 2017_pres_t1, 2024_euro_t1 \
         (kinds: pres, legi, euro, muni, dpmt, regi, refe)"
    )]
    Election(String),
    #[error("invalid nuance {0:?}: expected 1 to 12 letters, digits or '-' (e.g. RN, ENS, DVG)")]
    Nuance(String),
    #[error(
        "unknown bloc {0:?}: expected far_left, left, ecologist, centre, right, far_right, \
         regionalist or other"
    )]
    Bloc(String),
    #[error("invalid sex {0:?}: expected M, F, MASCULIN or FEMININ")]
    Sex(String),
}

/// The kind of an election, with the short codes of the aggregated data.gouv dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionKind {
    Presidential,
    Legislative,
    European,
    Municipal,
    /// Departmental (formerly cantonal) elections.
    Departmental,
    Regional,
    Referendum,
}

impl ElectionKind {
    /// Every kind.
    pub const ALL: [ElectionKind; 7] = [
        ElectionKind::Presidential,
        ElectionKind::Legislative,
        ElectionKind::European,
        ElectionKind::Municipal,
        ElectionKind::Departmental,
        ElectionKind::Regional,
        ElectionKind::Referendum,
    ];

    /// The short code used in election ids (`pres`, `legi`, …).
    pub fn code(self) -> &'static str {
        match self {
            ElectionKind::Presidential => "pres",
            ElectionKind::Legislative => "legi",
            ElectionKind::European => "euro",
            ElectionKind::Municipal => "muni",
            ElectionKind::Departmental => "dpmt",
            ElectionKind::Regional => "regi",
            ElectionKind::Referendum => "refe",
        }
    }

    /// Reads a short code, also accepting the aliases seen in public data (`cant`, `dep`, `reg`).
    pub fn from_code(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let k = match s.as_str() {
            "pres" => ElectionKind::Presidential,
            "legi" | "leg" => ElectionKind::Legislative,
            "euro" | "eur" => ElectionKind::European,
            "muni" | "mun" => ElectionKind::Municipal,
            "dpmt" | "cant" | "dep" | "depa" => ElectionKind::Departmental,
            "regi" | "reg" => ElectionKind::Regional,
            "refe" | "ref" => ElectionKind::Referendum,
            _ => return None,
        };
        Some(k)
    }
}

/// An election and its round: `2017_pres_t1`, the `id_election` of the aggregated dataset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElectionId {
    year: u16,
    kind: ElectionKind,
    round: u8,
}

impl ElectionId {
    /// Builds an id; the round must be 1 or 2 and the year between 1958 and 2200.
    pub fn new(year: u16, kind: ElectionKind, round: u8) -> Result<Self, ResultsCodeError> {
        if !(1958..=2200).contains(&year) || !(1..=2).contains(&round) {
            return Err(ResultsCodeError::Election(format!(
                "{year}_{}_t{round}",
                kind.code()
            )));
        }
        Ok(Self { year, kind, round })
    }

    /// Parses `2017_pres_t1` (case-insensitive; `-` accepted as separator).
    pub fn parse(input: &str) -> Result<Self, ResultsCodeError> {
        let err = || ResultsCodeError::Election(input.to_string());
        let s = input.trim().to_ascii_lowercase();
        let mut parts = s.split(['_', '-']);
        let year: u16 = parts.next().and_then(|y| y.parse().ok()).ok_or_else(err)?;
        let kind = parts
            .next()
            .and_then(ElectionKind::from_code)
            .ok_or_else(err)?;
        let round: u8 = parts
            .next()
            .and_then(|t| t.strip_prefix('t'))
            .and_then(|r| r.parse().ok())
            .ok_or_else(err)?;
        if parts.next().is_some() {
            return Err(err());
        }
        Self::new(year, kind, round).map_err(|_| err())
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn kind(&self) -> ElectionKind {
        self.kind
    }

    /// 1 for the first round, 2 for the second.
    pub fn round(&self) -> u8 {
        self.round
    }
}

impl fmt::Display for ElectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_t{}", self.year, self.kind.code(), self.round)
    }
}

impl FromStr for ElectionId {
    type Err = ResultsCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ElectionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ElectionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A candidate's sex as published (`M`/`F` until 2022, `MASCULIN`/`FEMININ` in 2024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

impl Sex {
    /// Parses `F`, `M`, `FEMININ`, `MASCULIN`, `Mme`, `M.` (case-insensitive).
    pub fn parse(input: &str) -> Result<Self, ResultsCodeError> {
        match input.trim().to_ascii_uppercase().as_str() {
            "F" | "FEMININ" | "FÉMININ" | "MME" | "FEMME" => Ok(Sex::Female),
            "M" | "MASCULIN" | "M." | "HOMME" => Ok(Sex::Male),
            _ => Err(ResultsCodeError::Sex(input.to_string())),
        }
    }

    /// `F` or `M`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }
}

/// A political nuance code given by the Ministry (`RN`, `ENS`, `UG`, `DVG`, `REM`, `FN`…),
/// upper-cased. Election-specific: `REM` (2017) and `ENS` (2022) are different codes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nuance(SharedText);

impl Nuance {
    /// Parses a nuance code: 1 to 12 ASCII letters, digits or `-`, upper-cased.
    pub fn parse(input: &str) -> Result<Self, ResultsCodeError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty()
            || s.len() > 12
            || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ResultsCodeError::Nuance(input.to_string()));
        }
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nuance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Nuance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Nuance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A political bloc: what targeting adds up across elections, whatever the nuance codes of the
/// year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bloc {
    FarLeft,
    Left,
    Ecologist,
    Centre,
    Right,
    FarRight,
    Regionalist,
    /// Miscellaneous candidates and lists that fit no bloc (`DIV`, single-issue lists).
    Other,
}

impl Bloc {
    /// Every bloc, from left to right, then the others.
    pub const ALL: [Bloc; 8] = [
        Bloc::FarLeft,
        Bloc::Left,
        Bloc::Ecologist,
        Bloc::Centre,
        Bloc::Right,
        Bloc::FarRight,
        Bloc::Regionalist,
        Bloc::Other,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Bloc::FarLeft => "far_left",
            Bloc::Left => "left",
            Bloc::Ecologist => "ecologist",
            Bloc::Centre => "centre",
            Bloc::Right => "right",
            Bloc::FarRight => "far_right",
            Bloc::Regionalist => "regionalist",
            Bloc::Other => "other",
        }
    }
}

impl fmt::Display for Bloc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Bloc {
    type Err = ResultsCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Bloc::ALL
            .into_iter()
            .find(|b| b.as_str() == t)
            .ok_or_else(|| ResultsCodeError::Bloc(s.to_string()))
    }
}

/// Where a result row was counted: one bureau de vote, or a whole commune (the Ministry's
/// commune-level "subcom" files, which have no bureau column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "level", content = "code")]
pub enum ResultArea {
    Bureau(BureauId),
    Commune(CommuneCode),
}

impl ResultArea {
    /// The commune as written in the results (the whole city for Paris, Lyon and Marseille).
    pub fn commune(&self) -> CommuneCode {
        match self {
            ResultArea::Bureau(b) => b.commune(),
            ResultArea::Commune(c) => c.clone(),
        }
    }

    /// The code as text (`75056_0810` or `69001`).
    pub fn code(&self) -> &str {
        match self {
            ResultArea::Bureau(b) => b.as_str(),
            ResultArea::Commune(c) => c.as_str(),
        }
    }
}

/// The totals of one bureau (or commune) for one election round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Registered voters.
    pub inscrits: u64,
    pub abstentions: u64,
    /// Voters who cast a ballot.
    pub votants: u64,
    /// Blank ballots (counted apart from spoilt ones since 2014).
    pub blancs: u64,
    /// Spoilt ballots.
    pub nuls: u64,
    /// Valid votes, shared among the candidates.
    pub exprimes: u64,
}

/// Which arithmetic identity a row breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inconsistency {
    /// inscrits ≠ abstentions + votants
    Registered,
    /// votants ≠ blancs + nuls + exprimés
    Ballots,
    /// Σ voix ≠ exprimés
    Votes,
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Inconsistency::Registered => "inscrits ≠ abstentions + votants",
            Inconsistency::Ballots => "votants ≠ blancs + nuls + exprimés",
            Inconsistency::Votes => "sum of voix ≠ exprimés",
        })
    }
}

/// One candidate's (or list's) result in one bureau.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// Panel number (`N°Panneau`), the candidate's or list's number on the ballot boards.
    pub panel: Option<u32>,
    pub sex: Option<Sex>,
    /// Family name, as published (upper case in the Ministry's files). For a list: its head.
    #[serde(with = "shared_text")]
    pub last_name: SharedText,
    #[serde(with = "shared_text")]
    pub first_name: SharedText,
    pub nuance: Option<Nuance>,
    /// The list's full label (European and municipal elections).
    #[serde(with = "shared_text::option", default)]
    pub list_label: Option<SharedText>,
    /// The list's short label.
    #[serde(with = "shared_text::option", default)]
    pub list_short_label: Option<SharedText>,
    pub votes: u64,
    /// Whether the candidate was elected (2024 files' `Elu` column), when published.
    pub elected: Option<bool>,
    /// Seats won by the list (European 2024 files' `Sièges`), when published.
    pub seats: Option<u32>,
}

impl CandidateResult {
    /// A name to show: the list's label for a list, else `First LAST`.
    pub fn display_name(&self) -> String {
        if let Some(l) = self.list_short_label.as_ref().or(self.list_label.as_ref()) {
            return l.to_string();
        }
        match (self.first_name.is_empty(), self.last_name.is_empty()) {
            (true, _) => self.last_name.to_string(),
            (false, true) => self.first_name.to_string(),
            (false, false) => format!("{} {}", self.first_name, self.last_name),
        }
    }
}

/// One bureau's (or commune's) results for one election round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BureauResult {
    pub election: ElectionId,
    pub area: ResultArea,
    /// The municipal arrondissement holding the bureau, for Paris, Lyon and Marseille (the code
    /// used by the BAN, the IRIS and the COG).
    pub arrondissement: Option<CommuneCode>,
    pub commune_name: String,
    /// Legislative constituency number within the department (`08`), when the file gives it.
    pub circonscription: Option<String>,
    pub totals: Totals,
    pub candidates: Vec<CandidateResult>,
}

impl BureauResult {
    /// Sum of the candidates' votes.
    pub fn votes_cast_for_candidates(&self) -> u64 {
        self.candidates.iter().map(|c| c.votes).sum()
    }

    /// The identities this row breaks (empty when consistent).
    pub fn inconsistencies(&self) -> Vec<Inconsistency> {
        let t = &self.totals;
        let mut v = Vec::new();
        if t.inscrits != t.abstentions.saturating_add(t.votants) {
            v.push(Inconsistency::Registered);
        }
        if t.votants != t.blancs.saturating_add(t.nuls).saturating_add(t.exprimes) {
            v.push(Inconsistency::Ballots);
        }
        if !self.candidates.is_empty() && self.votes_cast_for_candidates() != t.exprimes {
            v.push(Inconsistency::Votes);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_ids_round_trip_and_reject_nonsense() {
        let e = ElectionId::parse("2017_pres_t1").unwrap();
        assert_eq!(e.year(), 2017);
        assert_eq!(e.kind(), ElectionKind::Presidential);
        assert_eq!(e.round(), 1);
        assert_eq!(e.to_string(), "2017_pres_t1");
        assert_eq!(
            ElectionId::parse("2024-EURO-T1").unwrap().to_string(),
            "2024_euro_t1"
        );
        for bad in [
            "2017_pres",
            "2017_xxx_t1",
            "17_pres_t1",
            "2017_pres_t3",
            "2017_pres_t1_x",
        ] {
            assert!(ElectionId::parse(bad).is_err(), "{bad} accepted");
        }
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, "\"2017_pres_t1\"");
        assert_eq!(serde_json::from_str::<ElectionId>(&json).unwrap(), e);
    }

    #[test]
    fn sexes_nuances_blocs() {
        assert_eq!(Sex::parse("FEMININ").unwrap(), Sex::Female);
        assert_eq!(Sex::parse("m").unwrap(), Sex::Male);
        assert!(Sex::parse("X").is_err());
        assert_eq!(Nuance::parse(" dvg ").unwrap().as_str(), "DVG");
        assert!(Nuance::parse("").is_err());
        assert!(Nuance::parse("R N").is_err());
        for b in Bloc::ALL {
            assert_eq!(b.as_str().parse::<Bloc>().unwrap(), b);
        }
        assert_eq!("Far-Right".parse::<Bloc>().unwrap(), Bloc::FarRight);
    }

    #[test]
    fn inconsistencies_are_named() {
        let mut r = BureauResult {
            election: ElectionId::parse("2017_pres_t2").unwrap(),
            area: ResultArea::Bureau(BureauId::parse("69001_0001").unwrap()),
            arrondissement: None,
            commune_name: "Affoux".into(),
            circonscription: Some("08".into()),
            totals: Totals {
                inscrits: 257,
                abstentions: 39,
                votants: 218,
                blancs: 20,
                nuls: 7,
                exprimes: 191,
            },
            candidates: vec![],
        };
        assert!(r.inconsistencies().is_empty());
        r.totals.nuls = 8;
        assert_eq!(r.inconsistencies(), vec![Inconsistency::Ballots]);
        r.totals.nuls = 7;
        r.candidates.push(CandidateResult {
            panel: Some(1),
            sex: Some(Sex::Male),
            last_name: "MACRON".into(),
            first_name: "Emmanuel".into(),
            nuance: None,
            list_label: None,
            list_short_label: None,
            votes: 93,
            elected: None,
            seats: None,
        });
        assert_eq!(r.inconsistencies(), vec![Inconsistency::Votes]);
        assert_eq!(r.candidates[0].display_name(), "Emmanuel MACRON");
    }
}
