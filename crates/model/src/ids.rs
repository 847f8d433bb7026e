//! Typed identifiers. Every id is a UUIDv7 (time-ordered), made by whoever creates the record:
//! the server, the CLI or, for field records, the walker's phone.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// A campaign: the unit of tenancy. Every campaign-owned row carries one.
    CampaignId
);
id_type!(
    /// A node of a campaign's territory tree (department, commune, bureau, IRIS…).
    TerritoryId
);
id_type!(
    /// A person who can sign in (staff or walker).
    UserId
);
id_type!(
    /// A postal address (BAN-like): one stop on a walk.
    AddressId
);
id_type!(
    /// A building (or entrance/staircase) at an address.
    BuildingId
);
id_type!(
    /// A dwelling unit: one door.
    UnitId
);
id_type!(
    /// An invitation for walkers to join a campaign.
    InviteId
);
id_type!(
    /// A bearer token for scripts.
    ApiTokenId
);
id_type!(
    /// A turf: the stops of one bureau de vote a pair of walkers covers in one session.
    TurfId
);

// ── volunteers, trainings, teams and sorties (issue 6) ─────────────────────────
id_type!(
    /// A volunteer's record in a campaign (a sign-up, or a member's place in the funnel).
    VolunteerId
);
id_type!(
    /// A training session (role-play before going out).
    TrainingId
);
id_type!(
    /// A team of volunteers led by a coordinator.
    TeamId
);
id_type!(
    /// A canvassing session ("sortie"): a date, a meeting point, the areas it covers.
    SortieId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_round_trip_through_strings() {
        let id = CampaignId::new();
        assert_eq!(id.0.get_version_num(), 7);
        let back: CampaignId = id.to_string().parse().unwrap();
        assert_eq!(back, id);
        assert!("not-a-uuid".parse::<CampaignId>().is_err());
    }

    #[test]
    fn ids_made_later_sort_later() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
    }
}
