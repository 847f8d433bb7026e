//! Addresses, buildings and doors: where walkers knock.
//!
//! An address (a BAN entry: number, street, commune, position) is one stop on a walk. It holds
//! one or more buildings (entrances, staircases), each with a number of dwelling units (doors).
//! Doors are first estimated at import (registered voters / 1.4) and corrected by walkers.

use crate::codes::CommuneCode;
use crate::ids::{AddressId, BuildingId, CampaignId, TerritoryId, UnitId};
use serde::{Deserialize, Serialize};

/// An address to be stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewAddress {
    /// The BAN identifier when the address comes from the BAN (`75101_cfq3tf_00001`).
    pub ban_id: Option<String>,
    pub number: Option<String>,
    /// Repetition index: `bis`, `ter`, `A`…
    pub rep: Option<String>,
    pub street: String,
    pub postcode: Option<String>,
    pub commune: CommuneCode,
    pub lon: f64,
    pub lat: f64,
    /// The bureau de vote the address votes in, when known.
    pub bureau_id: Option<TerritoryId>,
    /// The IRIS the address lies in, when known.
    pub iris_id: Option<TerritoryId>,
    /// Estimated number of doors (dwellings), before walkers correct it.
    pub doors_estimated: u32,
}

/// A stored address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub id: AddressId,
    pub campaign_id: CampaignId,
    #[serde(flatten)]
    pub fields: NewAddress,
}

impl Address {
    /// `12 bis Rue Ordener` — the line a walker reads.
    pub fn label(&self) -> String {
        let f = &self.fields;
        let mut s = String::new();
        if let Some(n) = &f.number {
            s.push_str(n);
            if let Some(r) = &f.rep {
                s.push(' ');
                s.push_str(r);
            }
            s.push(' ');
        }
        s.push_str(&f.street);
        s
    }
}

/// A building, entrance or staircase at an address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Building {
    pub id: BuildingId,
    pub campaign_id: CampaignId,
    pub address_id: AddressId,
    /// `Bât. A`, `Escalier 2`; empty for the only building of an address.
    pub label: String,
    /// Doors at this building as known now (estimate or walkers' count).
    pub doors: u32,
}

/// A dwelling unit: one door.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub campaign_id: CampaignId,
    pub building_id: BuildingId,
    /// Floor number when known (0 = ground floor).
    pub floor: Option<i32>,
    /// `Porte gauche`, `12`, …
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_label() {
        let a = Address {
            id: AddressId::new(),
            campaign_id: CampaignId::new(),
            fields: NewAddress {
                ban_id: None,
                number: Some("12".into()),
                rep: Some("bis".into()),
                street: "Rue Ordener".into(),
                postcode: Some("75018".into()),
                commune: CommuneCode::parse("75118").unwrap(),
                lon: 2.35,
                lat: 48.89,
                bureau_id: None,
                iris_id: None,
                doors_estimated: 14,
            },
        };
        assert_eq!(a.label(), "12 bis Rue Ordener");
    }
}
