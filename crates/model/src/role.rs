//! Roles and what each may do. The server's authorisation checks ask this table, and only
//! this table, whether a role may perform a capability; the territory check comes on top.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in a campaign. `Admin` is server-wide (it manages campaigns); the others are
/// per campaign. Coordinators, trainers, walkers and coders are scoped to territories; a director
/// sees the whole campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Director,
    Coordinator,
    Trainer,
    Walker,
    /// Codes open answers with themes (issue 9), and nothing else: no field work, no
    /// members, no addresses; reads masked answers only, those of its territories (the
    /// campaign's root territory to code everything).
    Coder,
}

impl Role {
    /// Every role, from the most to the least powerful (the coder, apart, last).
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Director,
        Role::Coordinator,
        Role::Trainer,
        Role::Walker,
        Role::Coder,
    ];

    /// The stable name used in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Director => "director",
            Role::Coordinator => "coordinator",
            Role::Trainer => "trainer",
            Role::Walker => "walker",
            Role::Coder => "coder",
        }
    }

    /// True when the role sees the whole campaign rather than a set of territories.
    pub fn is_campaign_wide(self) -> bool {
        matches!(self, Role::Admin | Role::Director)
    }

    /// Whether this role may perform `cap` (inside its territorial scope).
    pub fn can(self, cap: Capability) -> bool {
        use Capability::*;
        use Role::*;
        // A coder codes answers, and reads only what coding needs.
        if self == Coder {
            return matches!(
                cap,
                ReadCampaign | ReadTerritories | ReadOwnProfile | ReadQuestionnaires | CodeAnswers
            );
        }
        match cap {
            ReadCampaign | ReadTerritories | ReadOwnProfile => true,
            ManageCampaigns => self == Admin,
            EditCampaign | EditTerritories | ReadAudit => matches!(self, Admin | Director),
            ReadMembers | CreateInvites | ReadInvites => {
                matches!(self, Admin | Director | Coordinator | Trainer)
            }
            ManageMembers => matches!(self, Admin | Director | Coordinator),
            ReadAddresses => true,
            ReadTargeting => matches!(self, Admin | Director | Coordinator),
            ImportData => matches!(self, Admin | Director),
            ManageExperiments => matches!(self, Admin | Director),
            PlanSurvey => matches!(self, Admin | Director),
            // Volunteers, trainings and sorties (issue 6).
            TakePart => true,
            ReadVolunteers => matches!(self, Admin | Director | Coordinator | Trainer),
            ManageTrainings => matches!(self, Admin | Director | Coordinator | Trainer),
            ManageVolunteers | PlanSorties => matches!(self, Admin | Director | Coordinator),
            // Turfs: everyone sees those of their territory (walkers their walk), coordinators
            // cut and edit them, trainers (who lead teams in the field) hand them out too.
            ReadTurfs => true,
            EditTurfs => matches!(self, Admin | Director | Coordinator),
            AssignTurfs => matches!(self, Admin | Director | Coordinator | Trainer),
            // Questionnaires and field work (issue 7).
            ReadQuestionnaires | FieldWork => true,
            EditQuestionnaires | ReadContacts => matches!(self, Admin | Director),
            // The paper fallback: coordinators key in the sheets of their territories.
            KeyInPaper => matches!(self, Admin | Director | Coordinator),
            // Data protection (issue 10).
            ManagePersonalData => matches!(self, Admin | Director),
            ReadFieldProgress => matches!(self, Admin | Director | Coordinator | Trainer),
            // The diagnostic (issue 9): the direction and coordinators (their territories) read
            // it and code the open answers; unmasked verbatims stay with the direction.
            ReadDiagnostic | CodeAnswers => matches!(self, Admin | Director | Coordinator),
            // The codebook is the analysis's frame: the direction owns it.
            EditCodebook => matches!(self, Admin | Director),
        }
    }

    /// The roles this role may give to a member it creates or invites: nobody grants more than
    /// they hold, and only admins make admins.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::Admin => true,
            // Coders are chosen by the direction, which owns the analysis.
            Role::Director => other != Role::Admin,
            Role::Coordinator => matches!(other, Role::Trainer | Role::Walker),
            // Trainers bring newcomers in at their training sessions.
            Role::Trainer => other == Role::Walker,
            Role::Walker | Role::Coder => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of Terrain's roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected admin, director, coordinator, trainer, walker or coder")]
pub struct RoleError(pub String);

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Self, RoleError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| RoleError(s.to_string()))
    }
}

/// What an endpoint needs. Each API operation names exactly one capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Create campaigns (server administration).
    ManageCampaigns,
    /// See a campaign's name and settings.
    ReadCampaign,
    /// Change a campaign's settings.
    EditCampaign,
    /// Browse the territory tree (within scope).
    ReadTerritories,
    /// Add or rename territories.
    EditTerritories,
    /// See addresses, buildings and doors (within scope).
    ReadAddresses,
    /// List members (within scope).
    ReadMembers,
    /// Create members and give them roles (within scope, never above one's own role).
    ManageMembers,
    /// Make invite codes for walkers (within scope).
    CreateInvites,
    /// List invites (within scope).
    ReadInvites,
    /// Read the audit log of the campaign.
    ReadAudit,
    /// One's own account.
    ReadOwnProfile,
    /// Scores, ranks and plans of bureaux (within scope).
    ReadTargeting,
    /// Import official files (results, census, contours, addresses) into the campaign.
    ImportData,
    /// Draw and record a randomised evaluation of the canvassing.
    ManageExperiments,
    /// Draw and accept the plan of a representative survey.
    PlanSurvey,
    // ── volunteers, trainings and sorties (issue 6) ──
    /// Take part: see the sorties and trainings offered to oneself, answer them, one's own
    /// calendar feed, the leaderboard of one's territory.
    TakePart,
    /// See volunteers, their funnel, trainings, teams and sorties (within scope).
    ReadVolunteers,
    /// Move volunteers through the funnel, place them, send reminders, switch the leaderboard.
    ManageVolunteers,
    /// Create trainings, take attendance, validate skills.
    ManageTrainings,
    /// Plan sorties and make teams.
    PlanSorties,
    /// See turfs, their stops in walking order and their walk sheets (within scope).
    ReadTurfs,
    /// Cut bureaux into turfs and edit them: move stops, split, merge, redraw (within scope).
    EditTurfs,
    /// Hand turfs out (check out with an expiry), release them, mark them done (within scope).
    AssignTurfs,
    /// See questionnaires and preview them.
    ReadQuestionnaires,
    /// Write questionnaires, publish new versions.
    EditQuestionnaires,
    /// Download a field package and upload door outcomes and responses (within scope).
    FieldWork,
    /// Key in questionnaires filled in on paper, list and void them (within scope).
    KeyInPaper,
    /// See field progress: visits, outcomes, responses (within scope).
    ReadFieldProgress,
    /// See the contact details of respondents who agreed to be contacted again.
    ReadContacts,
    /// Read the diagnostic: results, themes, reading list, report, exports (within scope).
    ReadDiagnostic,
    /// Code open answers with a question's codebook (within scope).
    CodeAnswers,
    /// Rename, add and remove the codes of a question's codebook.
    EditCodebook,
    /// Export or erase one person's data on request, read the record of processing activities.
    ManagePersonalData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        assert!(!Role::Director.may_grant(Role::Admin));
        assert!(!Role::Coordinator.may_grant(Role::Director));
        assert!(!Role::Coordinator.may_grant(Role::Coordinator));
        assert!(Role::Coordinator.may_grant(Role::Walker));
        assert!(Role::Trainer.may_grant(Role::Walker));
        assert!(!Role::Trainer.may_grant(Role::Trainer));
        assert!(!Role::Walker.may_grant(Role::Walker));
    }

    #[test]
    fn trainers_train_coordinators_plan_walkers_take_part() {
        assert!(Role::Trainer.can(Capability::ManageTrainings));
        assert!(!Role::Trainer.can(Capability::PlanSorties));
        assert!(Role::Coordinator.can(Capability::PlanSorties));
        assert!(Role::Walker.can(Capability::TakePart));
        assert!(!Role::Walker.can(Capability::ReadVolunteers));
        assert!(!Role::Walker.can(Capability::ManageTrainings));
    }

    #[test]
    fn coordinators_key_in_paper_walkers_and_trainers_do_not() {
        for r in [Role::Admin, Role::Director, Role::Coordinator] {
            assert!(r.can(Capability::KeyInPaper), "{r}");
        }
        for r in [Role::Trainer, Role::Walker, Role::Coder] {
            assert!(!r.can(Capability::KeyInPaper), "{r}");
        }
    }

    #[test]
    fn walkers_cannot_manage_or_audit() {
        assert!(!Role::Walker.can(Capability::ManageMembers));
        assert!(!Role::Walker.can(Capability::ReadMembers));
        assert!(!Role::Coordinator.can(Capability::ReadAudit));
        assert!(Role::Director.can(Capability::ReadAudit));
        assert!(Role::Walker.can(Capability::ReadTerritories));
    }

    #[test]
    fn contact_details_stay_with_the_direction() {
        assert!(Role::Walker.can(Capability::FieldWork));
        assert!(!Role::Walker.can(Capability::ReadFieldProgress));
        assert!(!Role::Coordinator.can(Capability::ReadContacts));
        assert!(Role::Director.can(Capability::ManagePersonalData));
        assert!(!Role::Coordinator.can(Capability::ManagePersonalData));
        assert!(!Role::Walker.can(Capability::ManagePersonalData));
        assert!(!Role::Coordinator.can(Capability::EditQuestionnaires));
        assert!(Role::Director.can(Capability::ReadContacts));
    }

    #[test]
    fn the_diagnostic_is_for_the_direction_and_coordinators() {
        assert!(Role::Coordinator.can(Capability::ReadDiagnostic));
        assert!(Role::Coordinator.can(Capability::CodeAnswers));
        assert!(!Role::Trainer.can(Capability::ReadDiagnostic));
        assert!(!Role::Walker.can(Capability::CodeAnswers));
        assert!(Role::Director.can(Capability::EditCodebook));
        assert!(!Role::Coordinator.can(Capability::EditCodebook));
    }

    #[test]
    fn coders_code_and_do_nothing_else() {
        let may: Vec<Capability> = [
            Capability::ReadCampaign,
            Capability::ReadTerritories,
            Capability::ReadOwnProfile,
            Capability::ReadQuestionnaires,
            Capability::CodeAnswers,
        ]
        .into();
        for cap in [
            Capability::ManageCampaigns,
            Capability::EditCampaign,
            Capability::ReadAddresses,
            Capability::ReadMembers,
            Capability::ManageMembers,
            Capability::CreateInvites,
            Capability::ReadAudit,
            Capability::ReadTargeting,
            Capability::TakePart,
            Capability::ReadVolunteers,
            Capability::ReadTurfs,
            Capability::AssignTurfs,
            Capability::FieldWork,
            Capability::ReadFieldProgress,
            Capability::ReadContacts,
            Capability::ReadDiagnostic,
            Capability::EditCodebook,
            Capability::ManagePersonalData,
        ]
        .into_iter()
        .chain(may.iter().copied())
        {
            assert_eq!(
                Role::Coder.can(cap),
                may.contains(&cap),
                "coder and {cap:?}"
            );
        }
        assert!(!Role::Coder.is_campaign_wide());
        assert!(Role::Director.may_grant(Role::Coder));
        assert!(Role::Admin.may_grant(Role::Coder));
        assert!(!Role::Coordinator.may_grant(Role::Coder));
        assert!(!Role::Trainer.may_grant(Role::Coder));
        assert!(!Role::Coder.may_grant(Role::Walker));
        assert_eq!("coder".parse::<Role>().unwrap(), Role::Coder);
    }
}
