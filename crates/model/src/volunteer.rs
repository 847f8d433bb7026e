//! Volunteers: what a sign-up carries (postcode, phone, availability), the recruitment funnel
//! (signed up → contacted → trained → active → inactive), and the keys that reveal the same
//! person signing up twice under different spellings. Pure values, no I/O.

use crate::codes::CommuneCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// A French postcode (code postal): five digits. Not an INSEE code: `75018` is the postcode of
/// the arrondissement whose INSEE code is `75118`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

/// Why a text is not a postcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid postcode {0:?}: expected five digits, like 75018")]
pub struct PostcodeError(pub String);

impl Postcode {
    /// Parses `75018` (spaces allowed: `75 018`).
    pub fn parse(input: &str) -> Result<Self, PostcodeError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with("00") {
            Ok(Self(s))
        } else {
            Err(PostcodeError(input.to_string()))
        }
    }

    /// The postcode as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The municipal arrondissement of Paris, Lyon or Marseille this postcode serves, by the
    /// postal rule: Paris 750NN → 751NN (and 75116, the 16th's second postcode), Lyon 6900N →
    /// 6938N, Marseille 130NN → 132NN.
    pub fn plm_arrondissement(&self) -> Option<CommuneCode> {
        let n: u32 = self.0.parse().ok()?;
        let code = match n {
            75001..=75020 => 75100 + (n - 75000),
            75116 => 75116,
            69001..=69009 => 69380 + (n - 69000),
            13001..=13016 => 13200 + (n - 13000),
            _ => return None,
        };
        CommuneCode::parse(&code.to_string()).ok()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Postcode {
    type Error = PostcodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> String {
        p.0
    }
}

/// A telephone number as the volunteer wrote it, with its normalised form: French numbers in
/// the national ten-digit form (`+33 6 12 34 56 78`, `0033612345678` and `06.12.34.56.78` all
/// become `0612345678`), others as `+` and digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone {
    /// What the volunteer typed, trimmed.
    pub display: String,
    /// The comparable form.
    pub key: String,
}

/// Why a text is not a telephone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid telephone number {0:?}: write it like 06 12 34 56 78 or +33 6 12 34 56 78")]
pub struct PhoneError(pub String);

impl Phone {
    /// Parses a telephone number (spaces, dots, dashes and brackets ignored).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let display = input.trim().to_string();
        let err = || PhoneError(input.to_string());
        if display.is_empty() || display.len() > 40 {
            return Err(err());
        }
        let mut digits = String::new();
        for (i, c) in display.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => digits.push('+'),
                ' ' | '.' | '-' | '(' | ')' | '/' => {}
                _ => return Err(err()),
            }
        }
        let international = if let Some(rest) = digits.strip_prefix('+') {
            Some(rest.to_string())
        } else {
            digits.strip_prefix("00").map(str::to_string)
        };
        let key = match international {
            // +33 (0)6…: the bracketed national zero is sometimes kept.
            Some(rest) if rest.starts_with("33") => {
                let national = rest[2..].trim_start_matches('0');
                format!("0{national}")
            }
            Some(rest) => format!("+{rest}"),
            None => digits,
        };
        let ok = if key.starts_with('+') {
            (9..=16).contains(&key.len())
        } else {
            key.len() == 10 && key.starts_with('0') && !key.starts_with("00")
        };
        if ok {
            Ok(Self { display, key })
        } else {
            Err(err())
        }
    }
}

/// The comparable forms of a person's contact details, to find the same person signed up twice
/// ("Marie.Dupont@Gmail.com" and "mariedupont+terrain@gmail.com"; "06 12…" and "+33 6 12…").
/// Used to flag possible duplicates, never to merge them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactKeys {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactKeys {
    /// The keys of an (already parsed) e-mail and phone.
    pub fn of(email: Option<&crate::Email>, phone: Option<&Phone>) -> Self {
        Self {
            email: email.map(|e| email_key(e.as_str())),
            phone: phone.map(|p| p.key.clone()),
        }
    }
}

/// The comparable form of an e-mail address: lower case, without a `+tag`, and without the dots
/// Gmail ignores.
pub fn email_key(email: &str) -> String {
    let e = email.trim().to_lowercase();
    let Some((local, domain)) = e.rsplit_once('@') else {
        return e;
    };
    let local = local.split('+').next().unwrap_or(local);
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let local = if domain == "gmail.com" {
        local.replace('.', "")
    } else {
        local.to_string()
    };
    format!("{local}@{domain}")
}

/// Where a volunteer stands in the recruitment funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolunteerStatus {
    /// Filled in the public sign-up form; nobody has called yet.
    SignedUp,
    /// A coordinator has been in touch.
    Contacted,
    /// Went through a training session and had their skills validated.
    Trained,
    /// Took part in a canvassing session.
    Active,
    /// Stopped (by their choice or after a long silence); kept for the counts.
    Inactive,
}

impl VolunteerStatus {
    /// The funnel's stages, in order.
    pub const ALL: [VolunteerStatus; 5] = [
        VolunteerStatus::SignedUp,
        VolunteerStatus::Contacted,
        VolunteerStatus::Trained,
        VolunteerStatus::Active,
        VolunteerStatus::Inactive,
    ];

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            VolunteerStatus::SignedUp => "signed_up",
            VolunteerStatus::Contacted => "contacted",
            VolunteerStatus::Trained => "trained",
            VolunteerStatus::Active => "active",
            VolunteerStatus::Inactive => "inactive",
        }
    }

    fn rank(self) -> i32 {
        match self {
            VolunteerStatus::Inactive => -1,
            VolunteerStatus::SignedUp => 0,
            VolunteerStatus::Contacted => 1,
            VolunteerStatus::Trained => 2,
            VolunteerStatus::Active => 3,
        }
    }

    /// The status after an event that proves `reached` (a validated training proves `Trained`,
    /// attending a sortie proves `Active`): events move people forward, never back.
    pub fn after_event(self, reached: VolunteerStatus) -> VolunteerStatus {
        if reached.rank() > self.rank() {
            reached
        } else {
            self
        }
    }

    /// True once the volunteer has been trained (and so may be given turfs).
    pub fn is_trained(self) -> bool {
        matches!(self, VolunteerStatus::Trained | VolunteerStatus::Active)
    }
}

impl fmt::Display for VolunteerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a funnel stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown volunteer status {0:?}: expected signed_up, contacted, trained, active or inactive"
)]
pub struct StatusError(pub String);

impl FromStr for VolunteerStatus {
    type Err = StatusError;
    fn from_str(s: &str) -> Result<Self, StatusError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| StatusError(s.to_string()))
    }
}

/// When a volunteer can go out: half-days of the week, stored as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Availability(pub u32);

impl Availability {
    /// The slots, by stable name, in the order forms show them.
    pub const SLOTS: [&'static str; 6] = [
        "weekday_daytime",
        "weekday_evening",
        "saturday_morning",
        "saturday_afternoon",
        "sunday_morning",
        "sunday_afternoon",
    ];

    /// The set of the named slots; an unknown name is an error naming it.
    pub fn from_slots<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut bits = 0;
        for n in names {
            let i = Self::SLOTS
                .iter()
                .position(|s| *s == n.as_ref())
                .ok_or_else(|| {
                    format!(
                        "unknown availability {:?}: expected one of {}",
                        n.as_ref(),
                        Self::SLOTS.join(", ")
                    )
                })?;
            bits |= 1 << i;
        }
        Ok(Self(bits))
    }

    /// The names of the slots in the set.
    pub fn slots(self) -> Vec<&'static str> {
        Self::SLOTS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect()
    }

    /// The bit of the slot a moment falls in (local time in metropolitan France).
    pub fn slot_of(at: OffsetDateTime) -> Availability {
        let local = paris_time(at);
        let afternoon = local.hour() >= 13;
        let i = match local.weekday() {
            Weekday::Saturday => 2 + usize::from(afternoon),
            Weekday::Sunday => 4 + usize::from(afternoon),
            _ => usize::from(local.hour() >= 17),
        };
        Availability(1 << i)
    }

    /// True when the volunteer said they are free at that moment.
    pub fn covers(self, at: OffsetDateTime) -> bool {
        self.0 & Self::slot_of(at).0 != 0
    }
}

/// The last Sunday of a month, at 01:00 UTC: when European summer time starts and ends.
fn last_sunday_0100_utc(year: i32, month: Month) -> OffsetDateTime {
    let next = match month {
        Month::December => Date::from_calendar_date(year + 1, Month::January, 1),
        m => Date::from_calendar_date(year, m.next(), 1),
    };
    let mut d = next
        .map(|d| d.previous_day().unwrap_or(d))
        .unwrap_or(Date::MIN);
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().unwrap_or(d);
    }
    PrimitiveDateTime::new(d, Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc()
}

/// The offset of metropolitan France's legal time at a moment: +02:00 in summer (from the last
/// Sunday of March to the last Sunday of October, 01:00 UTC), +01:00 otherwise.
pub fn paris_offset(at: OffsetDateTime) -> UtcOffset {
    let at = at.to_offset(UtcOffset::UTC);
    let start = last_sunday_0100_utc(at.year(), Month::March);
    let end = last_sunday_0100_utc(at.year(), Month::October);
    let hours = if at >= start && at < end { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// A moment in metropolitan France's legal time.
pub fn paris_time(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(paris_offset(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn postcodes_parse_and_lead_to_arrondissements() {
        let p = Postcode::parse("75 018").unwrap();
        assert_eq!(p.as_str(), "75018");
        assert_eq!(p.plm_arrondissement().unwrap().as_str(), "75118");
        assert_eq!(
            Postcode::parse("75116")
                .unwrap()
                .plm_arrondissement()
                .unwrap()
                .as_str(),
            "75116"
        );
        assert_eq!(
            Postcode::parse("69003")
                .unwrap()
                .plm_arrondissement()
                .unwrap()
                .as_str(),
            "69383"
        );
        assert_eq!(
            Postcode::parse("13016")
                .unwrap()
                .plm_arrondissement()
                .unwrap()
                .as_str(),
            "13216"
        );
        assert_eq!(Postcode::parse("75021").unwrap().plm_arrondissement(), None);
        assert_eq!(Postcode::parse("33000").unwrap().plm_arrondissement(), None);
        for bad in ["7501", "750188", "7501a", "00123", ""] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_written_differently_share_a_key() {
        let keys: Vec<String> = [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "0033612345678",
        ]
        .iter()
        .map(|s| Phone::parse(s).unwrap().key)
        .collect();
        assert!(keys.iter().all(|k| k == "0612345678"), "{keys:?}");
        assert_eq!(
            Phone::parse("+32 470 12 34 56").unwrap().key,
            "+32470123456"
        );
        for bad in ["12", "06 12 34", "appelez-moi", "06 12 34 56 78 90", "+"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_keys_ignore_case_tags_and_gmail_dots() {
        assert_eq!(
            email_key("Marie.Dupont+terrain@GoogleMail.com"),
            "mariedupont@gmail.com"
        );
        assert_eq!(email_key("marie.dupont@free.fr"), "marie.dupont@free.fr");
        assert_ne!(
            email_key("marie.dupont@free.fr"),
            email_key("mariedupont@free.fr")
        );
    }

    #[test]
    fn events_move_people_forward_only() {
        use VolunteerStatus::*;
        assert_eq!(SignedUp.after_event(Trained), Trained);
        assert_eq!(Active.after_event(Trained), Active);
        assert_eq!(Inactive.after_event(Active), Active);
        assert_eq!(Trained.after_event(Contacted), Trained);
        for s in VolunteerStatus::ALL {
            assert_eq!(s.as_str().parse::<VolunteerStatus>().unwrap(), s);
        }
    }

    #[test]
    fn availability_slots_round_trip_and_cover_local_times() {
        let a = Availability::from_slots(&["saturday_morning", "weekday_evening"]).unwrap();
        assert_eq!(a.slots(), vec!["weekday_evening", "saturday_morning"]);
        assert!(Availability::from_slots(&["someday"]).is_err());
        // Saturday 6 June 2026, 10:00 in Paris (08:00 UTC, summer time).
        assert!(a.covers(datetime!(2026-06-06 08:00 UTC)));
        // Saturday 14:00 in Paris is the afternoon.
        assert!(!a.covers(datetime!(2026-06-06 12:00 UTC)));
        // Tuesday 1 December 2026, 18:30 in Paris (17:30 UTC, winter time).
        assert!(a.covers(datetime!(2026-12-01 17:30 UTC)));
        // Tuesday 16:30 in Paris (15:30 UTC) is daytime.
        assert!(!a.covers(datetime!(2026-12-01 15:30 UTC)));
    }

    #[test]
    fn paris_time_follows_summer_time() {
        // 2026: summer time from 29 March to 25 October, 01:00 UTC.
        assert_eq!(
            paris_offset(datetime!(2026-03-29 00:59 UTC)).whole_hours(),
            1
        );
        assert_eq!(
            paris_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            paris_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            paris_offset(datetime!(2026-10-25 01:00 UTC)).whole_hours(),
            1
        );
    }
}
