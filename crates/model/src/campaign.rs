//! Campaigns: the unit of tenancy. A party runs many local campaigns on one server; every
//! campaign-owned row in storage is keyed by its campaign.

use crate::ids::CampaignId;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime};

/// A short URL-safe name for a campaign (`paris-2027`): lower-case ASCII letters, digits and
/// dashes, 2 to 63 characters, not starting or ending with a dash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Why a slug was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid campaign slug {0:?}: use 2–63 lower-case letters, digits and dashes")]
pub struct SlugError(pub String);

impl Slug {
    /// Parses a slug, lower-casing it.
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim().to_ascii_lowercase();
        let ok = (2..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err(SlugError(input.to_string()))
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slug::parse(&s).map_err(serde::de::Error::custom)
    }
}

// Calendar dates travel as `2027-06-30`.
time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");

/// A campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub slug: Slug,
    pub name: String,
    /// After this date the campaign's personal data (contact details) is purged.
    #[serde(with = "iso_date::option")]
    pub retention_until: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(Slug::parse("Paris-2027").unwrap().as_str(), "paris-2027");
        for bad in [
            "",
            "a",
            "-paris",
            "paris-",
            "paris 2027",
            "parís",
            "paris/2027",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
