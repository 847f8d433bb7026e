//! The vocabulary of door-to-door work: what happened at a door, and how a door is named when
//! the database knows only how many doors a building has.

use crate::ids::UnitId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happened at a door: one tap for the walker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nobody opened.
    NotHome,
    /// Opened, and refused to talk.
    Refused,
    /// Opened and talked, no questionnaire.
    Conversation,
    /// Opened and answered the questionnaire.
    QuestionnaireDone,
    /// Asked to come back another time.
    ComeBackLater,
    /// Asked never to be visited again: the door is left out of every future list.
    DoNotKnock,
}

impl Outcome {
    /// Every outcome, in the order the walker's buttons show them.
    pub const ALL: [Outcome; 6] = [
        Outcome::NotHome,
        Outcome::Refused,
        Outcome::Conversation,
        Outcome::QuestionnaireDone,
        Outcome::ComeBackLater,
        Outcome::DoNotKnock,
    ];

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotHome => "not_home",
            Outcome::Refused => "refused",
            Outcome::Conversation => "conversation",
            Outcome::QuestionnaireDone => "questionnaire_done",
            Outcome::ComeBackLater => "come_back_later",
            Outcome::DoNotKnock => "do_not_knock",
        }
    }

    /// Whether someone opened the door.
    pub fn opened(self) -> bool {
        matches!(
            self,
            Outcome::Refused
                | Outcome::Conversation
                | Outcome::QuestionnaireDone
                | Outcome::DoNotKnock
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown door outcome {0:?}")]
pub struct OutcomeError(pub String);

impl FromStr for Outcome {
    type Err = OutcomeError;
    fn from_str(s: &str) -> Result<Self, OutcomeError> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| OutcomeError(s.to_string()))
    }
}

/// The highest door number accepted at a building.
pub const MAX_DOOR_NUMBER: u32 = 999;

/// A door of a building: a stored unit (named by a walker or an import), or the n-th of the
/// doors the building is estimated to have, when nobody has named them (most of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    Unit(UnitId),
    /// 1-based.
    Number(u32),
}

impl Door {
    /// The stable text key of the door within its building: `u:<uuid>` or `n:<number>`.
    pub fn key(&self) -> String {
        match self {
            Door::Unit(u) => format!("u:{u}"),
            Door::Number(n) => format!("n:{n}"),
        }
    }

    /// The unit, when the door is one.
    pub fn unit(&self) -> Option<UnitId> {
        match self {
            Door::Unit(u) => Some(*u),
            Door::Number(_) => None,
        }
    }

    /// The number, when the door is numbered.
    pub fn number(&self) -> Option<u32> {
        match self {
            Door::Number(n) => Some(*n),
            Door::Unit(_) => None,
        }
    }

    /// Rebuilds a door from its stored columns (a unit id or a number).
    pub fn from_parts(unit: Option<UnitId>, number: Option<u32>) -> Option<Door> {
        match (unit, number) {
            (Some(u), _) => Some(Door::Unit(u)),
            (None, Some(n)) => Some(Door::Number(n)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert!("absent".parse::<Outcome>().is_err());
        assert!(!Outcome::NotHome.opened());
        assert!(Outcome::QuestionnaireDone.opened());
    }

    #[test]
    fn door_keys_are_stable_and_distinct() {
        let u = UnitId::new();
        assert_eq!(Door::Unit(u).key(), format!("u:{u}"));
        assert_eq!(Door::Number(3).key(), "n:3");
        assert_eq!(Door::from_parts(None, Some(3)), Some(Door::Number(3)));
        assert_eq!(Door::from_parts(Some(u), None), Some(Door::Unit(u)));
        assert_eq!(Door::from_parts(None, None), None);
        let json = serde_json::to_string(&Door::Number(4)).unwrap();
        assert_eq!(json, r#"{"number":4}"#);
    }
}
