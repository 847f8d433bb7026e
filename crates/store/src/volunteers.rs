//! Volunteers and their organisation: public sign-ups placed in the territory of their postcode,
//! the recruitment funnel, training sessions (registration, attendance, skills), teams,
//! canvassing sessions ("sorties": a date, a meeting point, the areas covered, who goes),
//! calendar feeds, and the tallies behind recognition. Implemented by both backends next to
//! [`crate::Store`], in `sql_volunteers.rs`.
//!
//! Members (coordinators, trainers, walkers) are volunteers too: each gets a volunteer record
//! (whose id is their user id) the first time the volunteer lists are read, so that the funnel
//! and the sorties cover everyone however they joined.

use crate::error::Result;
use crate::types::{Audit, Scope, ScopeTerritory};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terrain_model::{
    Availability, CampaignId, Email, Phone, Postcode, SortieId, TeamId, TerritoryId, TrainingId,
    UserId, VolunteerId, VolunteerStatus,
};
use time::OffsetDateTime;

/// How a volunteer's territory was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The postcode is listed for a commune or arrondissement (from the COG import).
    Postcode,
    /// Paris, Lyon or Marseille: the postcode names the arrondissement (75018 → 75118).
    Arrondissement,
    /// Addresses imported with this postcode lie in the territory.
    Addresses,
    /// The member's own territory.
    Member,
    /// Chosen by a coordinator.
    Manual,
    /// Nowhere yet: only campaign-wide staff see them, to place them by hand.
    Unplaced,
}

impl Placement {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Postcode => "postcode",
            Placement::Arrondissement => "arrondissement",
            Placement::Addresses => "addresses",
            Placement::Member => "member",
            Placement::Manual => "manual",
            Placement::Unplaced => "unplaced",
        }
    }

    /// The placement named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Placement::Postcode,
            Placement::Arrondissement,
            Placement::Addresses,
            Placement::Member,
            Placement::Manual,
            Placement::Unplaced,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A volunteer's record in a campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Volunteer {
    pub id: VolunteerId,
    pub campaign_id: CampaignId,
    /// Their account, once they have one (members always do).
    pub user_id: Option<UserId>,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    /// Where they work; `None` while unplaced.
    pub territory: Option<ScopeTerritory>,
    pub placement: Placement,
    pub availability: Availability,
    /// They agreed to be contacted (sign-ups must); when.
    pub consent_contact: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub consent_at: Option<OffsetDateTime>,
    pub status: VolunteerStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub status_at: OffsetDateTime,
    /// `signup` (the public form) or `member` (joined as a member).
    pub source: String,
    /// Who brought them in.
    pub recruited_by: Option<UserId>,
    /// An earlier sign-up with the same e-mail or phone (differently spelled): shown, never
    /// merged.
    pub duplicate_of: Option<VolunteerId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub trained_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A public sign-up, already parsed. The form asks for nothing more.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSignup {
    pub display_name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub postcode: Postcode,
    pub availability: Availability,
    /// Must be true: nobody is stored who did not agree to be contacted.
    pub consent_contact: bool,
}

/// Which volunteers to list.
#[derive(Clone, Debug, PartialEq)]
pub struct VolunteerQuery {
    pub scope: Scope,
    /// Part of the name, e-mail, phone or postcode.
    pub search: Option<String>,
    pub status: Option<VolunteerStatus>,
    /// Only those inside this territory.
    pub within: Option<TerritoryId>,
    /// Only possible duplicates.
    pub duplicates: bool,
    /// Only those not placed in any territory (campaign-wide scope only).
    pub unplaced: bool,
    pub limit: u32,
    pub offset: u32,
}

impl Default for VolunteerQuery {
    fn default() -> Self {
        Self {
            scope: Scope::Campaign,
            search: None,
            status: None,
            within: None,
            duplicates: false,
            unplaced: false,
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of volunteers, with how many match in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolunteerPage {
    pub total: u64,
    pub items: Vec<Volunteer>,
}

/// A change a coordinator makes to a volunteer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VolunteerUpdate {
    pub status: Option<VolunteerStatus>,
    pub territory: Option<TerritoryId>,
    pub availability: Option<Availability>,
    /// The person who brought them in (for sign-ups contacted by a coordinator).
    pub recruited_by: Option<UserId>,
}

/// Volunteers counted by territory, funnel stage and recruiter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunnelCount {
    pub territory: Option<terrain_model::TerritoryPath>,
    pub status: VolunteerStatus,
    pub recruited_by: Option<UserId>,
    pub count: u64,
}

/// Campaign-wide rules about volunteers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolunteerSettings {
    /// A walker is given turfs (and joins sorties) only once trained. On by default.
    pub turfs_require_training: bool,
    /// The public sign-up page accepts sign-ups.
    pub signup_open: bool,
    /// Territories whose coordinator switched the team leaderboard off.
    pub leaderboard_hidden: Vec<TerritoryId>,
}

impl Default for VolunteerSettings {
    fn default() -> Self {
        Self {
            turfs_require_training: true,
            signup_open: true,
            leaderboard_hidden: Vec::new(),
        }
    }
}

/// A training session to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTraining {
    pub title: String,
    /// Whose training it is (the scope it is seen in).
    pub territory_id: TerritoryId,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub capacity: u32,
    /// The role-play checklist: the skills validated at the end.
    pub programme: Vec<String>,
    pub trainer_id: Option<UserId>,
}

/// A training session with its fill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Training {
    pub id: TrainingId,
    pub campaign_id: CampaignId,
    pub title: String,
    pub territory: ScopeTerritory,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub capacity: u32,
    pub programme: Vec<String>,
    pub trainer_id: Option<UserId>,
    pub trainer_name: Option<String>,
    pub registered: u32,
    pub attended: u32,
    pub validated: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A volunteer registered for a training, and what the trainer recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub training_id: TrainingId,
    pub volunteer_id: VolunteerId,
    pub volunteer_name: String,
    pub status: VolunteerStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    /// `None` until attendance is taken.
    pub attended: Option<bool>,
    /// The programme items the trainer validated.
    pub skills: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub validated_at: Option<OffsetDateTime>,
    pub validated_by: Option<UserId>,
}

/// Attendance and skills recorded by the trainer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attendance {
    pub attended: bool,
    /// Programme items validated (each must be in the programme).
    pub skills: Vec<String>,
    /// The volunteer is trained: moves them to `trained` in the funnel.
    pub validated: bool,
}

/// A team to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTeam {
    pub name: String,
    pub territory_id: TerritoryId,
    pub members: Vec<VolunteerId>,
}

/// A team and its members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub territory: ScopeTerritory,
    pub members: Vec<TeamMember>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub volunteer_id: VolunteerId,
    pub display_name: String,
    pub status: VolunteerStatus,
}

/// A sortie to plan.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSortie {
    pub title: String,
    /// The territory it belongs to: every area must lie inside it.
    pub territory_id: TerritoryId,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    /// Where to meet, in words ("Métro Marcadet-Poissonniers, sortie 1").
    pub meeting_point: String,
    /// The point on the map (WGS84), when chosen.
    pub meeting_lonlat: Option<(f64, f64)>,
    /// The bureaux de vote (or other territories) covered. The turfs issue adds turfs per area.
    pub areas: Vec<TerritoryId>,
    /// A team: its members are invited.
    pub team_id: Option<TeamId>,
    /// Volunteers of the territory may sign up themselves.
    pub open_signup: bool,
    /// At least this many people per area (two: nobody knocks alone).
    pub min_per_area: u32,
    pub notes: Option<String>,
}

/// A participant's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    Invited,
    Accepted,
    Declined,
}

impl ParticipantStatus {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantStatus::Invited => "invited",
            ParticipantStatus::Accepted => "accepted",
            ParticipantStatus::Declined => "declined",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invited" => Some(ParticipantStatus::Invited),
            "accepted" => Some(ParticipantStatus::Accepted),
            "declined" => Some(ParticipantStatus::Declined),
            _ => None,
        }
    }
}

/// Someone on a sortie.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub volunteer_id: VolunteerId,
    pub user_id: Option<UserId>,
    pub display_name: String,
    pub status: ParticipantStatus,
    /// The area they go to.
    pub area_id: Option<TerritoryId>,
    /// Recorded after the sortie.
    pub attended: Option<bool>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub responded_at: Option<OffsetDateTime>,
}

/// An area of a sortie and how many go there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortieArea {
    pub territory: ScopeTerritory,
    /// Participants who accepted and go to this area.
    pub accepted: u32,
    /// True when `accepted` reaches the sortie's minimum per area.
    pub covered: bool,
}

/// A planned sortie with its areas and participants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sortie {
    pub id: SortieId,
    pub campaign_id: CampaignId,
    pub title: String,
    pub territory: ScopeTerritory,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub meeting_point: String,
    pub meeting_lonlat: Option<(f64, f64)>,
    pub team: Option<(TeamId, String)>,
    pub open_signup: bool,
    pub min_per_area: u32,
    pub notes: Option<String>,
    pub areas: Vec<SortieArea>,
    pub participants: Vec<Participant>,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Sortie {
    /// Areas with fewer people than the minimum.
    pub fn uncovered(&self) -> impl Iterator<Item = &SortieArea> {
        self.areas.iter().filter(|a| !a.covered)
    }

    /// The participant record of a volunteer.
    pub fn participant(&self, v: VolunteerId) -> Option<&Participant> {
        self.participants.iter().find(|p| p.volunteer_id == v)
    }
}

/// Which sorties to list.
#[derive(Clone, Debug, PartialEq)]
pub struct SortieQuery {
    /// Sorties whose territory lies inside this scope.
    pub scope: Scope,
    /// Ending after this moment.
    pub from: Option<OffsetDateTime>,
    /// Starting before this moment.
    pub to: Option<OffsetDateTime>,
    /// Only those this volunteer is on (invited, accepted or declined)…
    pub participant: Option<VolunteerId>,
    /// …or, with `participant`, also the open ones of this scope.
    pub open_in: Option<Scope>,
    pub limit: u32,
}

impl Default for SortieQuery {
    fn default() -> Self {
        Self {
            scope: Scope::Campaign,
            from: None,
            to: None,
            participant: None,
            open_in: None,
            limit: 200,
        }
    }
}

/// A change to someone's place on a sortie.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParticipantUpdate {
    pub status: Option<ParticipantStatus>,
    /// `Some(None)` clears the area; accepting without an area puts them where fewest are.
    pub area: Option<Option<TerritoryId>>,
    pub attended: Option<bool>,
}

/// Whose calendar a feed publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedOwner {
    Volunteer(VolunteerId),
    Team(TeamId),
}

/// What one volunteer did, for recognition. Sources of activity (sorties, trainings — and doors,
/// conversations and questionnaires once the field app records them) are summed by one query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolunteerTally {
    pub volunteer_id: VolunteerId,
    pub display_name: String,
    pub territory: Option<terrain_model::TerritoryPath>,
    pub teams: Vec<TeamId>,
    pub sorties: u64,
    pub trainings: u64,
    pub doors: u64,
    pub conversations: u64,
    pub questionnaires: u64,
}

/// Storage of volunteers, trainings, teams and sorties.
#[async_trait]
pub trait VolunteerStore: Send + Sync {
    // ── settings and postcodes ─────────────────────────────────────────────────
    async fn volunteer_settings(&self, campaign: CampaignId) -> Result<VolunteerSettings>;
    /// Sets the campaign's rules (the leaderboard list is left as it is).
    async fn set_volunteer_settings(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        settings: &VolunteerSettings,
    ) -> Result<VolunteerSettings>;
    /// Shows or hides the team leaderboard in a territory (and below it).
    async fn set_leaderboard(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        territory: TerritoryId,
        visible: bool,
    ) -> Result<VolunteerSettings>;
    /// Records the postcodes of territories (`(postcode, territory)`), from the COG.
    async fn add_postcodes(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        items: &[(Postcode, TerritoryId)],
    ) -> Result<u64>;
    /// The territory a postcode leads to and how it was found (`None`: nowhere).
    async fn place_postcode(
        &self,
        campaign: CampaignId,
        postcode: &Postcode,
    ) -> Result<Option<(ScopeTerritory, Placement)>>;

    // ── volunteers and the funnel ──────────────────────────────────────────────
    /// Stores a public sign-up, placed by its postcode; a sign-up whose e-mail or phone matches
    /// an earlier one is stored too, marked as its possible duplicate.
    async fn sign_up(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewSignup,
    ) -> Result<Volunteer>;
    async fn volunteer(&self, campaign: CampaignId, id: VolunteerId) -> Result<Volunteer>;
    /// The volunteer record of a member (made if missing).
    async fn volunteer_of_user(&self, campaign: CampaignId, user: UserId) -> Result<Volunteer>;
    async fn volunteers(&self, campaign: CampaignId, q: &VolunteerQuery) -> Result<VolunteerPage>;
    async fn update_volunteer(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: VolunteerId,
        update: &VolunteerUpdate,
    ) -> Result<Volunteer>;
    /// Links a sign-up to the account made when they joined (by an invite given to them).
    async fn link_volunteer(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: VolunteerId,
        user: UserId,
    ) -> Result<Volunteer>;
    /// Ties an invite to a sign-up, so that redeeming it links the new account to them.
    async fn tie_invite(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        invite: terrain_model::InviteId,
        volunteer: VolunteerId,
    ) -> Result<()>;
    /// After an invite was redeemed by `user`: links the sign-up it was made for, if any.
    async fn link_by_invite(&self, code_hash: &str, user: UserId) -> Result<Option<Volunteer>>;
    /// Counts by territory, stage and recruiter, inside `scope`.
    async fn funnel_counts(&self, campaign: CampaignId, scope: &Scope) -> Result<Vec<FunnelCount>>;
    /// Whether a member may be given turfs now: trained, or the campaign does not require it.
    /// The turfs issue calls this before assigning a turf.
    async fn may_receive_turfs(&self, campaign: CampaignId, user: UserId) -> Result<bool>;

    // ── trainings ──────────────────────────────────────────────────────────────
    async fn create_training(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewTraining,
    ) -> Result<Training>;
    async fn training(&self, campaign: CampaignId, id: TrainingId) -> Result<Training>;
    /// Trainings inside `scope` ending after `from`, soonest first.
    async fn trainings(
        &self,
        campaign: CampaignId,
        scope: &Scope,
        from: Option<OffsetDateTime>,
    ) -> Result<Vec<Training>>;
    async fn registrations(
        &self,
        campaign: CampaignId,
        training: TrainingId,
    ) -> Result<Vec<Registration>>;
    /// A volunteer's registrations, newest training first.
    async fn registrations_of(
        &self,
        campaign: CampaignId,
        volunteer: VolunteerId,
    ) -> Result<Vec<(Training, Registration)>>;
    /// Registers a volunteer; refused when the training is full (`Conflict` "training full") or
    /// they are already registered.
    async fn register(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        training: TrainingId,
        volunteer: VolunteerId,
    ) -> Result<Registration>;
    /// Records attendance and skills; validating moves the volunteer to `trained` and records
    /// the trainer as the member's `trained_by`.
    async fn record_attendance(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        training: TrainingId,
        volunteer: VolunteerId,
        attendance: &Attendance,
    ) -> Result<Registration>;

    // ── teams ──────────────────────────────────────────────────────────────────
    async fn create_team(&self, audit: &Audit, campaign: CampaignId, new: &NewTeam)
    -> Result<Team>;
    async fn team(&self, campaign: CampaignId, id: TeamId) -> Result<Team>;
    async fn teams(&self, campaign: CampaignId, scope: &Scope) -> Result<Vec<Team>>;
    /// Replaces a team's members.
    async fn set_team_members(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        team: TeamId,
        members: &[VolunteerId],
    ) -> Result<Team>;

    // ── sorties ────────────────────────────────────────────────────────────────
    /// Plans a sortie; the team's members (if any) are invited.
    async fn create_sortie(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewSortie,
    ) -> Result<Sortie>;
    async fn sortie(&self, campaign: CampaignId, id: SortieId) -> Result<Sortie>;
    /// Sorties matching the query, soonest first.
    async fn sorties(&self, campaign: CampaignId, q: &SortieQuery) -> Result<Vec<Sortie>>;
    /// Adds or changes a participant. Accepting checks that the volunteer is trained (when the
    /// campaign requires it: `Invalid` "not trained") and is not on another sortie at the same
    /// time (`Conflict` "schedule"); attending moves them to `active`.
    async fn set_participant(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        sortie: SortieId,
        volunteer: VolunteerId,
        update: &ParticipantUpdate,
    ) -> Result<Sortie>;

    // ── calendar feeds ─────────────────────────────────────────────────────────
    /// Makes the feed of a volunteer or a team, revoking the previous one.
    async fn create_feed(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        owner: FeedOwner,
        token_hash: &str,
    ) -> Result<()>;
    /// The feed a secret opens.
    async fn feed(&self, token_hash: &str) -> Result<Option<(CampaignId, FeedOwner)>>;

    // ── recognition ────────────────────────────────────────────────────────────
    /// What each volunteer inside `scope` did, up to `now`.
    async fn tallies(
        &self,
        campaign: CampaignId,
        scope: &Scope,
        now: OffsetDateTime,
    ) -> Result<Vec<VolunteerTally>>;
}
