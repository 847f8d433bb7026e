//! A campaign's territory: a tree of official areas, from region down to bureau de vote and IRIS.
//!
//! ```text
//! region ─ department ─ commune ─┬─ bureau de vote (polling station)
//!                                ├─ IRIS (census area)
//!                                └─ arrondissement (Paris, Lyon, Marseille) ─┬─ bureau
//!                                                                             └─ IRIS
//! ```
//! Addresses, buildings and doors hang below, in their own tables (see [`crate::address`]).
//! Each node carries a materialised [`TerritoryPath`] so that "is this inside my territory?" is a
//! prefix test, in Rust and in SQL alike.

use crate::codes::{BureauId, CodeError, CommuneCode, DepartmentCode, IrisCode, RegionCode};
use crate::ids::{CampaignId, TerritoryId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The level of a territory node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerritoryKind {
    Region,
    Department,
    Commune,
    /// A municipal arrondissement of Paris, Lyon or Marseille.
    Arrondissement,
    /// A bureau de vote (polling station).
    Bureau,
    /// An IRIS (INSEE census area, ~2,000 inhabitants).
    Iris,
}

impl TerritoryKind {
    /// Every kind, from the top of the tree down.
    pub const ALL: [TerritoryKind; 6] = [
        TerritoryKind::Region,
        TerritoryKind::Department,
        TerritoryKind::Commune,
        TerritoryKind::Arrondissement,
        TerritoryKind::Bureau,
        TerritoryKind::Iris,
    ];

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TerritoryKind::Region => "region",
            TerritoryKind::Department => "department",
            TerritoryKind::Commune => "commune",
            TerritoryKind::Arrondissement => "arrondissement",
            TerritoryKind::Bureau => "bureau",
            TerritoryKind::Iris => "iris",
        }
    }

    /// Checks and normalises a code for this kind (`75056_810` → `75056_0810` for a bureau).
    pub fn normalise_code(self, code: &str) -> Result<String, CodeError> {
        Ok(match self {
            TerritoryKind::Region => RegionCode::parse(code)?.to_string(),
            TerritoryKind::Department => DepartmentCode::parse(code)?.to_string(),
            TerritoryKind::Commune => CommuneCode::parse(code)?.to_string(),
            TerritoryKind::Arrondissement => {
                let c = CommuneCode::parse(code)?;
                if c.plm_city().is_none() {
                    return Err(CodeError::Commune(code.to_string()));
                }
                c.to_string()
            }
            TerritoryKind::Bureau => BureauId::parse(code)?.to_string(),
            TerritoryKind::Iris => IrisCode::parse(code)?.to_string(),
        })
    }

    /// The kinds that may sit directly below this one.
    pub fn allowed_children(self) -> &'static [TerritoryKind] {
        use TerritoryKind::*;
        match self {
            Region => &[Department],
            Department => &[Commune],
            Commune => &[Arrondissement, Bureau, Iris],
            Arrondissement => &[Bureau, Iris],
            Bureau | Iris => &[],
        }
    }
}

impl fmt::Display for TerritoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A territory kind name that Terrain does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown territory kind {0:?}: expected region, department, commune, arrondissement, bureau or iris"
)]
pub struct TerritoryKindError(pub String);

impl FromStr for TerritoryKind {
    type Err = TerritoryKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TerritoryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| TerritoryKindError(s.to_string()))
    }
}

/// The materialised path of a territory node: `/department:75/commune:75056/arrondissement:75118`.
/// A node contains another when its path is a prefix of the other's at a segment boundary.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TerritoryPath(String);

impl TerritoryPath {
    /// The path of a root node.
    pub fn root(kind: TerritoryKind, code: &str) -> Self {
        Self(format!("/{kind}:{code}"))
    }

    /// The path of a child of this node.
    pub fn child(&self, kind: TerritoryKind, code: &str) -> Self {
        Self(format!("{}/{kind}:{code}", self.0))
    }

    /// Wraps a path read back from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this node or lies below it.
    pub fn contains(&self, other: &TerritoryPath) -> bool {
        other.0 == self.0
            || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }

    /// The depth of the node (1 for a root).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count()
    }
}

impl fmt::Display for TerritoryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A node of a campaign's territory tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    pub id: TerritoryId,
    pub campaign_id: CampaignId,
    pub kind: TerritoryKind,
    /// The official code, normalised for its kind.
    pub code: String,
    pub name: String,
    pub parent_id: Option<TerritoryId>,
    pub path: TerritoryPath,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_respects_segment_boundaries() {
        let paris = TerritoryPath::root(TerritoryKind::Department, "75")
            .child(TerritoryKind::Commune, "75056");
        let a18 = paris.child(TerritoryKind::Arrondissement, "75118");
        let a1 = paris.child(TerritoryKind::Arrondissement, "75101");
        let a10 = paris.child(TerritoryKind::Arrondissement, "75110");
        assert!(paris.contains(&a18));
        assert!(a18.contains(&a18));
        assert!(!a18.contains(&paris));
        assert!(!a1.contains(&a10), "75101 must not contain 75110");
        assert_eq!(a18.depth(), 3);
        let fake = TerritoryPath::from_stored(format!("{}0", a1.as_str()));
        assert!(!a1.contains(&fake));
    }

    #[test]
    fn codes_are_normalised_per_kind() {
        assert_eq!(
            TerritoryKind::Bureau.normalise_code("75056_810").unwrap(),
            "75056_0810"
        );
        assert!(
            TerritoryKind::Arrondissement
                .normalise_code("69001")
                .is_err()
        );
        assert!(
            TerritoryKind::Arrondissement
                .normalise_code("69381")
                .is_ok()
        );
        assert!(TerritoryKind::Department.normalise_code("xx").is_err());
    }

    #[test]
    fn tree_shape() {
        assert!(
            TerritoryKind::Commune
                .allowed_children()
                .contains(&TerritoryKind::Arrondissement)
        );
        assert!(TerritoryKind::Bureau.allowed_children().is_empty());
        for k in TerritoryKind::ALL {
            assert_eq!(k.as_str().parse::<TerritoryKind>().unwrap(), k);
        }
    }
}
