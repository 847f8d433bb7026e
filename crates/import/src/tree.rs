//! Builds the territory nodes an imported file needs — region, department, commune,
//! arrondissement (Paris, Lyon, Marseille), bureau de vote, IRIS — parents first, for
//! [`terrain_store::ImportBatch::territories`].
//!
//! Nodes already in the campaign are not sent again: the first import that names a territory
//! gives it its name (the data's own name when the file has one, a plain placeholder such as
//! "Bureau 18-01" otherwise).

use crate::geography;
use std::collections::{HashMap, HashSet};
use terrain_model::{
    BureauId, CommuneCode, DepartmentCode, IrisCode, RegionCode, TerritoryId, TerritoryKind,
};
use terrain_store::NewTerritory;

/// A territory's key: kind and normalised code.
pub type Key = (TerritoryKind, String);

/// The nodes to create for an import.
#[derive(Debug, Default)]
pub struct Tree {
    existing: HashMap<Key, TerritoryId>,
    sent: HashSet<Key>,
    /// The nodes to create, parents first.
    pub items: Vec<NewTerritory>,
}

impl Tree {
    /// A tree over the campaign's territories (from `ElectoralStore::territory_index`).
    pub fn new(index: &[(TerritoryKind, String, TerritoryId, String)]) -> Self {
        Self {
            existing: index
                .iter()
                .map(|(k, c, id, _)| ((*k, c.clone()), *id))
                .collect(),
            ..Self::default()
        }
    }

    /// The id of a territory that already exists in the campaign.
    pub fn existing_id(&self, kind: TerritoryKind, code: &str) -> Option<TerritoryId> {
        self.existing.get(&(kind, code.to_string())).copied()
    }

    fn ensure(
        &mut self,
        kind: TerritoryKind,
        code: &str,
        name: impl FnOnce() -> String,
        parent: Option<Key>,
    ) -> Key {
        let key = (kind, code.to_string());
        if !self.existing.contains_key(&key) && self.sent.insert(key.clone()) {
            self.items.push(NewTerritory {
                kind,
                code: code.to_string(),
                name: name(),
                parent,
            });
        }
        key
    }

    /// Region (when the department belongs to one) and department.
    pub fn department(&mut self, dep: &DepartmentCode) -> Key {
        let known = geography::department(dep.as_str());
        let region = known.and_then(|(_, r)| RegionCode::parse(r).ok()).map(|r| {
            let name = geography::region(r.as_str())
                .unwrap_or("Région")
                .to_string();
            self.ensure(TerritoryKind::Region, r.as_str(), || name, None)
        });
        // A department made earlier as a root stays a root: nodes are never moved.
        let parent = if self
            .existing
            .contains_key(&(TerritoryKind::Department, dep.to_string()))
        {
            None
        } else {
            region
        };
        let name = known.map_or_else(|| format!("Département {dep}"), |(n, _)| n.to_string());
        self.ensure(TerritoryKind::Department, dep.as_str(), || name, parent)
    }

    /// A commune — or, for a municipal arrondissement, the city and the arrondissement.
    pub fn commune(&mut self, commune: &CommuneCode, name: Option<&str>) -> Key {
        if let Some(city) = commune.plm_city() {
            let city_key = self.commune(&city, None);
            let n = city
                .plm_arrondissements()
                .iter()
                .position(|a| a == commune)
                .map_or(0, |i| i as u32 + 1);
            let label = arrondissement_name(&city, n, name);
            return self.ensure(
                TerritoryKind::Arrondissement,
                commune.as_str(),
                || label,
                Some(city_key),
            );
        }
        let dep = self.department(&commune.department());
        let name = name
            .map(str::to_string)
            .or_else(|| plm_city_name(commune).map(str::to_string))
            .unwrap_or_else(|| format!("Commune {commune}"));
        self.ensure(TerritoryKind::Commune, commune.as_str(), || name, Some(dep))
    }

    /// A bureau de vote, under its arrondissement in Paris, Lyon and Marseille.
    pub fn bureau(&mut self, bureau: &BureauId, commune_name: Option<&str>) -> Key {
        let commune = bureau.commune();
        let parent = match bureau.plm_arrondissement() {
            Some(arr) => {
                self.commune(&commune, commune_name);
                self.commune(&arr, None)
            }
            None => self.commune(&commune, commune_name),
        };
        let label = bureau_name(bureau);
        self.ensure(
            TerritoryKind::Bureau,
            bureau.as_str(),
            || label,
            Some(parent),
        )
    }

    /// An IRIS, under its commune or arrondissement.
    pub fn iris(&mut self, iris: &IrisCode, name: Option<&str>, commune_name: Option<&str>) -> Key {
        let parent = self.commune(&iris.commune(), commune_name);
        let label = name.map_or_else(|| format!("IRIS {iris}"), str::to_string);
        self.ensure(TerritoryKind::Iris, iris.as_str(), || label, Some(parent))
    }
}

fn plm_city_name(c: &CommuneCode) -> Option<&'static str> {
    match c.as_str() {
        "75056" => Some("Paris"),
        "69123" => Some("Lyon"),
        "13055" => Some("Marseille"),
        _ => None,
    }
}

/// "Paris 18e Arrondissement", as the COG writes it (the data's own name wins when given).
pub fn arrondissement_name(city: &CommuneCode, n: u32, given: Option<&str>) -> String {
    if let Some(g) = given.filter(|g| !g.trim().is_empty()) {
        return g.trim().to_string();
    }
    let city = plm_city_name(city).unwrap_or("Ville");
    if n == 1 {
        format!("{city} 1er Arrondissement")
    } else {
        format!("{city} {n}e Arrondissement")
    }
}

/// "Bureau 18-01" in Paris, Lyon and Marseille (arrondissement and number), "Bureau 12"
/// elsewhere.
pub fn bureau_name(b: &BureauId) -> String {
    let local = b.local_code();
    if b.plm_arrondissement().is_some() {
        format!("Bureau {}-{}", &local[..2], &local[2..])
    } else {
        let trimmed = local.trim_start_matches('0');
        format!("Bureau {}", if trimmed.is_empty() { "0" } else { trimmed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paris_bureau_brings_its_whole_chain() {
        let mut t = Tree::new(&[]);
        t.bureau(&BureauId::parse("75056_1801").unwrap(), Some("Paris"));
        let got: Vec<_> = t
            .items
            .iter()
            .map(|i| (i.kind, i.code.as_str(), i.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (TerritoryKind::Region, "11", "Île-de-France"),
                (TerritoryKind::Department, "75", "Paris"),
                (TerritoryKind::Commune, "75056", "Paris"),
                (
                    TerritoryKind::Arrondissement,
                    "75118",
                    "Paris 18e Arrondissement"
                ),
                (TerritoryKind::Bureau, "75056_1801", "Bureau 18-01"),
            ]
        );
        assert_eq!(
            t.items[4].parent,
            Some((TerritoryKind::Arrondissement, "75118".into()))
        );
        // Asked again: nothing new.
        t.bureau(&BureauId::parse("75056_1801").unwrap(), Some("Paris"));
        assert_eq!(t.items.len(), 5);
    }

    #[test]
    fn existing_nodes_are_not_sent_and_never_moved() {
        let index = vec![(
            TerritoryKind::Department,
            "69".to_string(),
            TerritoryId::new(),
            "Rhône".to_string(),
        )];
        let mut t = Tree::new(&index);
        t.commune(&CommuneCode::parse("69001").unwrap(), Some("Affoux"));
        let got: Vec<_> = t.items.iter().map(|i| (i.kind, i.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (TerritoryKind::Region, "84"),
                (TerritoryKind::Commune, "69001")
            ]
        );
        assert_eq!(
            t.items[1].parent,
            Some((TerritoryKind::Department, "69".into()))
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            bureau_name(&BureauId::parse("69001_0001").unwrap()),
            "Bureau 1"
        );
        assert_eq!(
            bureau_name(&BureauId::parse("13055_0105").unwrap()),
            "Bureau 01-05"
        );
        let lyon = CommuneCode::parse("69123").unwrap();
        assert_eq!(
            arrondissement_name(&lyon, 1, None),
            "Lyon 1er Arrondissement"
        );
        let mut t = Tree::new(&[]);
        t.commune(&CommuneCode::parse("69382").unwrap(), None);
        assert_eq!(t.items.last().unwrap().name, "Lyon 2e Arrondissement");
        let mut t = Tree::new(&[]);
        t.iris(
            &IrisCode::parse("693810101").unwrap(),
            Some("Terreaux"),
            None,
        );
        assert!(
            t.items
                .iter()
                .any(|i| i.code == "69381" && i.kind == TerritoryKind::Arrondissement)
        );
        assert_eq!(t.items.last().unwrap().name, "Terreaux");
    }
}
