//! Official French territorial codes, parsed and normalised once.
//!
//! - [`DepartmentCode`]: INSEE department code (`01`…`95`, `2A`, `2B`, `971`…`976`, and the
//!   overseas collectivities `975`, `977`, `978`, `984`, `986`…`989`).
//! - [`CommuneCode`]: INSEE commune code, 5 characters (`69001`, `2A004`, `97416`), including the
//!   municipal arrondissements of Paris, Lyon and Marseille (`75101`…`75120`, `69381`…`69389`,
//!   `13201`…`13216`).
//! - [`BureauId`]: a bureau de vote (polling station), `<commune>_<4-character code>`
//!   (`75056_0810`), the key the Ministry's aggregated data calls `id_brut_miom`.
//! - [`IrisCode`]: INSEE IRIS (sub-commune census area), 9 characters: commune + 4 digits.
//!
//! Zero-padding lost by spreadsheets is restored on parse (`1` → `01`, `75056_810` → `75056_0810`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a code did not parse. Carries the rejected input so that an importer can name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("invalid department code {0:?}: expected 01–95, 2A, 2B or an overseas code (971…989)")]
    Department(String),
    #[error("invalid commune code {0:?}: expected a 5-character INSEE code such as 69001 or 2A004")]
    Commune(String),
    #[error(
        "invalid bureau de vote id {0:?}: expected <INSEE commune>_<bureau code>, e.g. 75056_0810"
    )]
    Bureau(String),
    #[error("invalid IRIS code {0:?}: expected 9 characters, the INSEE commune code then 4 digits")]
    Iris(String),
    #[error("invalid region code {0:?}: expected 2 digits")]
    Region(String),
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Overseas departments and collectivities with a 3-digit INSEE code.
const OVERSEAS: [&str; 12] = [
    "971", "972", "973", "974", "975", "976", "977", "978", "984", "986", "987", "988",
];

macro_rules! code_traits {
    ($name:ident) => {
        impl $name {
            /// The normalised code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                Self::parse(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An INSEE department code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentCode(String);
code_traits!(DepartmentCode);

impl DepartmentCode {
    /// Parses `1`, `01`, `2a`, `971`; rejects `20`, `00`, `96`, letters other than Corsica's.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim().to_ascii_uppercase();
        let err = || CodeError::Department(input.to_string());
        if s == "2A" || s == "2B" {
            return Ok(Self(s));
        }
        if OVERSEAS.contains(&s.as_str()) || s == "989" {
            return Ok(Self(s));
        }
        if !all_digits(&s) || s.len() > 2 {
            return Err(err());
        }
        let n: u32 = s.parse().map_err(|_| err())?;
        if (1..=95).contains(&n) && n != 20 {
            Ok(Self(format!("{n:02}")))
        } else {
            Err(err())
        }
    }

    /// True for the departments and collectivities outside metropolitan France.
    pub fn is_overseas(&self) -> bool {
        self.0.len() == 3
    }
}

/// An INSEE commune code (5 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommuneCode(String);
code_traits!(CommuneCode);

/// Paris, Lyon and Marseille: one commune in election results, split into municipal
/// arrondissements in the COG, the IRIS and the BAN.
const PLM: [(&str, u32, u32); 3] = [
    // (city code, first arrondissement code, number of arrondissements)
    ("75056", 75101, 20),
    ("69123", 69381, 9),
    ("13055", 13201, 16),
];

impl CommuneCode {
    /// Parses a 5-character INSEE code; a 4-digit code whose leading zero was lost (`1001`) is
    /// padded back (`01001`).
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let mut s = input.trim().to_ascii_uppercase();
        let err = || CodeError::Commune(input.to_string());
        if s.len() == 4 && all_digits(&s) {
            s.insert(0, '0');
        }
        // Non-ASCII input must be refused before slicing by byte (`0Ã56` is 5 bytes).
        if s.len() != 5 || !s.is_ascii() {
            return Err(err());
        }
        let (dep, rest) = if s.starts_with("97") || s.starts_with("98") {
            s.split_at(3)
        } else {
            s.split_at(2)
        };
        DepartmentCode::parse(dep).map_err(|_| err())?;
        if !all_digits(rest) {
            return Err(err());
        }
        Ok(Self(s))
    }

    /// Builds the INSEE code from a department and the code within it (`69` + `1` → `69001`),
    /// as in the Ministry's results files (metropolitan France only; overseas needs a table).
    pub fn from_department(dep: &DepartmentCode, local: &str) -> Result<Self, CodeError> {
        let local = local.trim();
        let width = 5 - dep.as_str().len();
        if !all_digits(local) || local.len() > width {
            return Err(CodeError::Commune(format!("{dep}{local}")));
        }
        Self::parse(&format!("{}{:0>width$}", dep.as_str(), local))
    }

    /// The department this commune belongs to.
    pub fn department(&self) -> DepartmentCode {
        let n = if self.0.starts_with("97") || self.0.starts_with("98") {
            3
        } else {
            2
        };
        DepartmentCode(self.0[..n].to_string())
    }

    /// For a municipal arrondissement of Paris, Lyon or Marseille, the city's commune code.
    pub fn plm_city(&self) -> Option<CommuneCode> {
        let n: u32 = self.0.parse().ok()?;
        PLM.iter()
            .find(|(_, first, count)| (*first..*first + count).contains(&n))
            .map(|(city, _, _)| CommuneCode(city.to_string()))
    }

    /// True for Paris (75056), Lyon (69123) and Marseille (13055) as whole cities.
    pub fn is_plm_city(&self) -> bool {
        PLM.iter().any(|(city, _, _)| *city == self.0)
    }

    /// For Paris, Lyon or Marseille, the code of arrondissement number `n` (1-based).
    pub fn plm_arrondissement(&self, n: u32) -> Option<CommuneCode> {
        PLM.iter()
            .find(|(city, _, _)| *city == self.0)
            .filter(|(_, _, count)| (1..=*count).contains(&n))
            .map(|(_, first, _)| CommuneCode((first + n - 1).to_string()))
    }

    /// For Paris, Lyon or Marseille, every municipal arrondissement, in order.
    pub fn plm_arrondissements(&self) -> Vec<CommuneCode> {
        PLM.iter()
            .find(|(city, _, _)| *city == self.0)
            .map(|(_, first, count)| {
                (0..*count)
                    .map(|i| CommuneCode((first + i).to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A bureau de vote: commune + bureau code, the key the Ministry's aggregated data calls
/// `id_brut_miom` (`75056_0810`). In Paris, Lyon and Marseille the commune is the whole city and
/// the first two digits of the bureau code are the arrondissement.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BureauId(String);
code_traits!(BureauId);

impl BureauId {
    /// Parses `75056_0810`, `75056-810`, `01001_1`; pads the bureau code to 4 characters.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let err = || CodeError::Bureau(input.to_string());
        let (commune, bureau) = input.trim().split_once(['_', '-']).ok_or_else(err)?;
        let commune = CommuneCode::parse(commune).map_err(|_| err())?;
        Self::new(&commune, bureau).map_err(|_| err())
    }

    /// Builds the id from a commune and the bureau's own code (`1` → `0001`).
    pub fn new(commune: &CommuneCode, bureau: &str) -> Result<Self, CodeError> {
        let b = bureau.trim().to_ascii_uppercase();
        if b.is_empty() || b.len() > 4 || !b.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CodeError::Bureau(format!("{commune}_{bureau}")));
        }
        Ok(Self(format!("{commune}_{b:0>4}")))
    }

    /// The commune as written in the results (the whole city for Paris, Lyon, Marseille).
    pub fn commune(&self) -> CommuneCode {
        CommuneCode(self.0[..5].to_string())
    }

    /// The bureau's own 4-character code.
    pub fn local_code(&self) -> &str {
        &self.0[6..]
    }

    /// The municipal arrondissement holding this bureau, for Paris, Lyon and Marseille.
    pub fn plm_arrondissement(&self) -> Option<CommuneCode> {
        let n: u32 = self.local_code().get(..2)?.parse().ok()?;
        self.commune().plm_arrondissement(n)
    }
}

/// An INSEE IRIS code: the commune code then 4 digits (`751093501`); communes not divided into
/// IRIS use `0000`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IrisCode(String);
code_traits!(IrisCode);

impl IrisCode {
    /// Parses a 9-character IRIS code; an 8-digit code whose leading zero was lost is padded.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let mut s = input.trim().to_ascii_uppercase();
        let err = || CodeError::Iris(input.to_string());
        if s.len() == 8 && all_digits(&s) {
            s.insert(0, '0');
        }
        if s.len() != 9 || !s.is_ascii() || !all_digits(&s[5..]) {
            return Err(err());
        }
        CommuneCode::parse(&s[..5]).map_err(|_| err())?;
        Ok(Self(s))
    }

    /// The commune (or municipal arrondissement) this IRIS belongs to.
    pub fn commune(&self) -> CommuneCode {
        CommuneCode(self.0[..5].to_string())
    }
}

/// An INSEE region code (2 digits, `11` for Île-de-France).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);
code_traits!(RegionCode);

impl RegionCode {
    /// Parses a 2-digit region code (`1` → `01`).
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = input.trim();
        if !all_digits(s) || s.len() > 2 {
            return Err(CodeError::Region(input.to_string()));
        }
        Ok(Self(format!("{s:0>2}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn departments_are_padded_and_checked() {
        assert_eq!(DepartmentCode::parse("1").unwrap().as_str(), "01");
        assert_eq!(DepartmentCode::parse("2a").unwrap().as_str(), "2A");
        assert_eq!(DepartmentCode::parse("971").unwrap().as_str(), "971");
        assert!(DepartmentCode::parse("971").unwrap().is_overseas());
        for bad in ["0", "20", "96", "2C", "ZA", "", "100", "7 5"] {
            assert!(DepartmentCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn communes_parse_with_corsica_overseas_and_lost_zeros() {
        assert_eq!(CommuneCode::parse("1001").unwrap().as_str(), "01001");
        assert_eq!(CommuneCode::parse("2a004").unwrap().as_str(), "2A004");
        let reunion = CommuneCode::parse("97416").unwrap();
        assert_eq!(reunion.department().as_str(), "974");
        assert_eq!(
            CommuneCode::parse("69001").unwrap().department().as_str(),
            "69"
        );
        for bad in ["750", "750566", "20004", "2C004", "97A16", "", "ABCDE"] {
            assert!(CommuneCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn commune_from_department_and_local_code() {
        let dep = DepartmentCode::parse("69").unwrap();
        assert_eq!(
            CommuneCode::from_department(&dep, "1").unwrap().as_str(),
            "69001"
        );
        assert_eq!(
            CommuneCode::from_department(&dep, "123").unwrap().as_str(),
            "69123"
        );
        assert!(CommuneCode::from_department(&dep, "1234").is_err());
    }

    #[test]
    fn paris_lyon_marseille_arrondissements() {
        let paris = CommuneCode::parse("75056").unwrap();
        assert!(paris.is_plm_city());
        assert_eq!(paris.plm_arrondissement(18).unwrap().as_str(), "75118");
        assert!(paris.plm_arrondissement(21).is_none());
        assert_eq!(paris.plm_arrondissements().len(), 20);
        let lyon3 = CommuneCode::parse("69383").unwrap();
        assert_eq!(lyon3.plm_city().unwrap().as_str(), "69123");
        assert_eq!(
            CommuneCode::parse("13216")
                .unwrap()
                .plm_city()
                .unwrap()
                .as_str(),
            "13055"
        );
        assert!(CommuneCode::parse("13217").unwrap().plm_city().is_none());
        assert!(CommuneCode::parse("69001").unwrap().plm_city().is_none());
    }

    #[test]
    fn bureaux_are_padded_and_know_their_arrondissement() {
        let b = BureauId::parse("75056_810").unwrap();
        assert_eq!(b.as_str(), "75056_0810");
        assert_eq!(b.local_code(), "0810");
        assert_eq!(b.plm_arrondissement().unwrap().as_str(), "75108");
        assert_eq!(
            BureauId::parse("75056-1801").unwrap().as_str(),
            "75056_1801"
        );
        let lyon = BureauId::parse("69123_0211").unwrap();
        assert_eq!(lyon.plm_arrondissement().unwrap().as_str(), "69382");
        assert!(
            BureauId::parse("69001_0001")
                .unwrap()
                .plm_arrondissement()
                .is_none()
        );
        for bad in ["75056", "75056_", "75056_12345", "750_0001", "75056_00 1"] {
            assert!(BureauId::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn non_ascii_codes_are_refused_not_panicked_on() {
        // Found by terrain-ingest's fuzzing: byte slicing inside a multi-byte character.
        assert!(CommuneCode::parse("0Ã56").is_err());
        assert!(IrisCode::parse("7510Ã3501").is_err());
        assert!(IrisCode::parse("75109350é").is_err());
        assert!(BureauId::parse("0Ã56_0001").is_err());
    }

    #[test]
    fn iris_codes() {
        let i = IrisCode::parse("751093501").unwrap();
        assert_eq!(i.commune().as_str(), "75109");
        assert_eq!(IrisCode::parse("10010000").unwrap().as_str(), "010010000");
        assert!(IrisCode::parse("75109350A").is_err());
        assert!(IrisCode::parse("7510935").is_err());
    }

    #[test]
    fn codes_serialize_as_strings_and_reject_bad_json() {
        let c: CommuneCode = serde_json::from_str("\"75118\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"75118\"");
        assert!(serde_json::from_str::<CommuneCode>("\"7511\"").is_ok());
        assert!(serde_json::from_str::<CommuneCode>("\"x\"").is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(s in "[0-9A-Za-z_ -]{0,12}") {
            if let Ok(c) = CommuneCode::parse(&s) {
                prop_assert_eq!(CommuneCode::parse(c.as_str()).unwrap(), c);
            }
            if let Ok(b) = BureauId::parse(&s) {
                prop_assert_eq!(BureauId::parse(b.as_str()).unwrap(), b);
            }
            if let Ok(d) = DepartmentCode::parse(&s) {
                prop_assert_eq!(DepartmentCode::parse(d.as_str()).unwrap(), d);
            }
        }

        #[test]
        fn every_metropolitan_commune_code_parses(dep in 1u32..=95, local in 0u32..1000) {
            prop_assume!(dep != 20);
            let code = format!("{dep:02}{local:03}");
            let c = CommuneCode::parse(&code).unwrap();
            prop_assert_eq!(c.department().to_string(), format!("{dep:02}"));
        }
    }
}
