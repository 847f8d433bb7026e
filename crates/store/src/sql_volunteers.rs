//! The SQL of [`crate::VolunteerStore`], shared by both backends like [`crate::sql`].
//!
//! Timestamps are stored in UTC to the second, so that SQLite's text timestamps compare in
//! time order.

use crate::error::{Result, StorageError};
use crate::types::ScopeTerritory;
use crate::volunteers::*;
use terrain_model::{
    Availability, CampaignId, SortieId, TeamId, TerritoryId, TerritoryKind, TerritoryPath,
    TrainingId, UserId, VolunteerId, VolunteerStatus,
};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// A moment as stored: UTC, whole seconds.
pub(crate) fn db_time(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Now, as stored.
pub(crate) fn db_now() -> OffsetDateTime {
    db_time(OffsetDateTime::now_utc())
}

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Invalid {
        what,
        reason: format!("stored value cannot be read back: {reason}"),
    }
}

fn invalid(what: &'static str, reason: impl Into<String>) -> StorageError {
    StorageError::Invalid {
        what,
        reason: reason.into(),
    }
}

/// A territory joined into a row (`t_…` columns), when present.
pub(crate) fn scope_territory(
    id: Option<Uuid>,
    kind: Option<String>,
    code: Option<String>,
    name: Option<String>,
    path: Option<String>,
) -> Result<Option<ScopeTerritory>> {
    match (id, kind, code, name, path) {
        (Some(id), Some(kind), Some(code), Some(name), Some(path)) => Ok(Some(ScopeTerritory {
            id: TerritoryId(id),
            kind: kind
                .parse::<TerritoryKind>()
                .map_err(|e| corrupt("territory", e))?,
            code,
            name,
            path: TerritoryPath::from_stored(path),
        })),
        _ => Ok(None),
    }
}

/// The territory columns joined as `t`.
pub(crate) const T_COLS: &str =
    "t.kind AS t_kind, t.code AS t_code, t.name AS t_name, t.path AS t_path";

pub(crate) const VOLUNTEER_SELECT: &str = "SELECT v.campaign_id, v.id, v.user_id, v.display_name, v.email, v.phone, v.postcode, \
     v.territory_id, t.kind AS t_kind, t.code AS t_code, t.name AS t_name, t.path AS t_path, v.placement, v.availability, \
     v.consent_contact, v.consent_at, v.status, v.status_at, v.source, v.recruited_by, v.duplicate_of, v.trained_at, v.created_at \
     FROM volunteers v LEFT JOIN territories t ON t.campaign_id = v.campaign_id AND t.id = v.territory_id";

#[derive(sqlx::FromRow)]
pub(crate) struct VolunteerRow {
    campaign_id: Uuid,
    id: Uuid,
    user_id: Option<Uuid>,
    display_name: String,
    email: Option<String>,
    phone: Option<String>,
    postcode: Option<String>,
    territory_id: Option<Uuid>,
    t_kind: Option<String>,
    t_code: Option<String>,
    t_name: Option<String>,
    t_path: Option<String>,
    placement: String,
    availability: i32,
    consent_contact: bool,
    consent_at: Option<OffsetDateTime>,
    status: String,
    status_at: OffsetDateTime,
    source: String,
    recruited_by: Option<Uuid>,
    duplicate_of: Option<Uuid>,
    trained_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
}

impl TryFrom<VolunteerRow> for Volunteer {
    type Error = StorageError;
    fn try_from(r: VolunteerRow) -> Result<Self> {
        Ok(Volunteer {
            id: VolunteerId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            user_id: r.user_id.map(UserId),
            display_name: r.display_name,
            email: r.email,
            phone: r.phone,
            postcode: r.postcode,
            territory: scope_territory(r.territory_id, r.t_kind, r.t_code, r.t_name, r.t_path)?,
            placement: Placement::parse(&r.placement)
                .ok_or_else(|| corrupt("volunteer", &r.placement))?,
            availability: Availability(u32::try_from(r.availability).unwrap_or(0)),
            consent_contact: r.consent_contact,
            consent_at: r.consent_at,
            status: r
                .status
                .parse::<VolunteerStatus>()
                .map_err(|e| corrupt("volunteer", e))?,
            status_at: r.status_at,
            source: r.source,
            recruited_by: r.recruited_by.map(UserId),
            duplicate_of: r.duplicate_of.map(VolunteerId),
            trained_at: r.trained_at,
            created_at: r.created_at,
        })
    }
}

pub(crate) const TRAINING_SELECT: &str = "SELECT tr.campaign_id, tr.id, tr.title, tr.territory_id, t.kind AS t_kind, t.code AS t_code, \
     t.name AS t_name, t.path AS t_path, tr.starts_at, tr.ends_at, tr.place, tr.video_url, tr.capacity, tr.programme, \
     tr.trainer_id, u.display_name AS trainer_name, tr.created_at, \
     (SELECT COUNT(*) FROM training_registrations r WHERE r.campaign_id = tr.campaign_id AND r.training_id = tr.id) AS registered, \
     (SELECT COUNT(*) FROM training_registrations r WHERE r.campaign_id = tr.campaign_id AND r.training_id = tr.id AND r.attended = TRUE) AS attended, \
     (SELECT COUNT(*) FROM training_registrations r WHERE r.campaign_id = tr.campaign_id AND r.training_id = tr.id AND r.validated_at IS NOT NULL) AS validated \
     FROM trainings tr JOIN territories t ON t.campaign_id = tr.campaign_id AND t.id = tr.territory_id \
     LEFT JOIN users u ON u.id = tr.trainer_id";

#[derive(sqlx::FromRow)]
pub(crate) struct TrainingRow {
    campaign_id: Uuid,
    id: Uuid,
    title: String,
    territory_id: Uuid,
    t_kind: String,
    t_code: String,
    t_name: String,
    t_path: String,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    place: Option<String>,
    video_url: Option<String>,
    capacity: i32,
    programme: String,
    trainer_id: Option<Uuid>,
    trainer_name: Option<String>,
    created_at: OffsetDateTime,
    registered: i64,
    attended: i64,
    validated: i64,
}

fn count32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

impl TryFrom<TrainingRow> for Training {
    type Error = StorageError;
    fn try_from(r: TrainingRow) -> Result<Self> {
        Ok(Training {
            id: TrainingId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            title: r.title,
            territory: scope_territory(
                Some(r.territory_id),
                Some(r.t_kind),
                Some(r.t_code),
                Some(r.t_name),
                Some(r.t_path),
            )?
            .ok_or_else(|| corrupt("training", "no territory"))?,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            place: r.place,
            video_url: r.video_url,
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            programme: serde_json::from_str(&r.programme).map_err(|e| corrupt("training", e))?,
            trainer_id: r.trainer_id.map(UserId),
            trainer_name: r.trainer_name,
            registered: count32(r.registered),
            attended: count32(r.attended),
            validated: count32(r.validated),
            created_at: r.created_at,
        })
    }
}

pub(crate) const REGISTRATION_SELECT: &str = "SELECT r.training_id, r.volunteer_id, v.display_name, v.status, r.registered_at, \
     r.attended, r.skills, r.validated_at, r.validated_by \
     FROM training_registrations r JOIN volunteers v ON v.campaign_id = r.campaign_id AND v.id = r.volunteer_id";

#[derive(sqlx::FromRow)]
pub(crate) struct RegistrationRow {
    training_id: Uuid,
    volunteer_id: Uuid,
    display_name: String,
    status: String,
    registered_at: OffsetDateTime,
    attended: Option<bool>,
    skills: String,
    validated_at: Option<OffsetDateTime>,
    validated_by: Option<Uuid>,
}

impl TryFrom<RegistrationRow> for Registration {
    type Error = StorageError;
    fn try_from(r: RegistrationRow) -> Result<Self> {
        Ok(Registration {
            training_id: TrainingId(r.training_id),
            volunteer_id: VolunteerId(r.volunteer_id),
            volunteer_name: r.display_name,
            status: r.status.parse().map_err(|e| corrupt("volunteer", e))?,
            registered_at: r.registered_at,
            attended: r.attended,
            skills: serde_json::from_str(&r.skills).map_err(|e| corrupt("registration", e))?,
            validated_at: r.validated_at,
            validated_by: r.validated_by.map(UserId),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TeamRow {
    pub(crate) campaign_id: Uuid,
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) territory_id: Uuid,
    pub(crate) t_kind: String,
    pub(crate) t_code: String,
    pub(crate) t_name: String,
    pub(crate) t_path: String,
    pub(crate) created_at: OffsetDateTime,
}

impl TeamRow {
    pub(crate) fn into_team(self, members: Vec<TeamMember>) -> Result<Team> {
        Ok(Team {
            id: TeamId(self.id),
            campaign_id: CampaignId(self.campaign_id),
            name: self.name,
            territory: scope_territory(
                Some(self.territory_id),
                Some(self.t_kind),
                Some(self.t_code),
                Some(self.t_name),
                Some(self.t_path),
            )?
            .ok_or_else(|| corrupt("team", "no territory"))?,
            members,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TeamMemberRow {
    pub(crate) team_id: Uuid,
    pub(crate) volunteer_id: Uuid,
    pub(crate) display_name: String,
    pub(crate) status: String,
}

impl TeamMemberRow {
    pub(crate) fn into_member(self) -> Result<(TeamId, TeamMember)> {
        Ok((
            TeamId(self.team_id),
            TeamMember {
                volunteer_id: VolunteerId(self.volunteer_id),
                display_name: self.display_name,
                status: self.status.parse().map_err(|e| corrupt("volunteer", e))?,
            },
        ))
    }
}

pub(crate) const SORTIE_SELECT: &str = "SELECT s.campaign_id, s.id, s.title, s.territory_id, t.kind AS t_kind, t.code AS t_code, \
     t.name AS t_name, t.path AS t_path, s.starts_at, s.ends_at, s.meeting_point, s.meeting_lon, s.meeting_lat, s.team_id, \
     tm.name AS team_name, s.open_signup, s.min_per_area, s.notes, s.created_by, s.created_at \
     FROM sorties s JOIN territories t ON t.campaign_id = s.campaign_id AND t.id = s.territory_id \
     LEFT JOIN teams tm ON tm.campaign_id = s.campaign_id AND tm.id = s.team_id";

#[derive(sqlx::FromRow)]
pub(crate) struct SortieRow {
    pub(crate) campaign_id: Uuid,
    pub(crate) id: Uuid,
    pub(crate) title: String,
    pub(crate) territory_id: Uuid,
    pub(crate) t_kind: String,
    pub(crate) t_code: String,
    pub(crate) t_name: String,
    pub(crate) t_path: String,
    pub(crate) starts_at: OffsetDateTime,
    pub(crate) ends_at: OffsetDateTime,
    pub(crate) meeting_point: String,
    pub(crate) meeting_lon: Option<f64>,
    pub(crate) meeting_lat: Option<f64>,
    pub(crate) team_id: Option<Uuid>,
    pub(crate) team_name: Option<String>,
    pub(crate) open_signup: bool,
    pub(crate) min_per_area: i32,
    pub(crate) notes: Option<String>,
    pub(crate) created_by: Option<Uuid>,
    pub(crate) created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AreaRow {
    pub(crate) sortie_id: Uuid,
    pub(crate) territory_id: Uuid,
    pub(crate) t_kind: String,
    pub(crate) t_code: String,
    pub(crate) t_name: String,
    pub(crate) t_path: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ParticipantRow {
    pub(crate) sortie_id: Uuid,
    pub(crate) volunteer_id: Uuid,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) display_name: String,
    pub(crate) status: String,
    pub(crate) area_id: Option<Uuid>,
    pub(crate) attended: Option<bool>,
    pub(crate) responded_at: Option<OffsetDateTime>,
}

/// Puts sorties together from their rows, areas and participants.
pub(crate) fn assemble_sorties(
    rows: Vec<SortieRow>,
    areas: Vec<AreaRow>,
    participants: Vec<ParticipantRow>,
) -> Result<Vec<Sortie>> {
    use std::collections::HashMap;
    let mut areas_by: HashMap<Uuid, Vec<ScopeTerritory>> = HashMap::new();
    for a in areas {
        let t = scope_territory(
            Some(a.territory_id),
            Some(a.t_kind),
            Some(a.t_code),
            Some(a.t_name),
            Some(a.t_path),
        )?
        .ok_or_else(|| corrupt("sortie area", "no territory"))?;
        areas_by.entry(a.sortie_id).or_default().push(t);
    }
    let mut people_by: HashMap<Uuid, Vec<Participant>> = HashMap::new();
    for p in participants {
        people_by.entry(p.sortie_id).or_default().push(Participant {
            volunteer_id: VolunteerId(p.volunteer_id),
            user_id: p.user_id.map(UserId),
            display_name: p.display_name,
            status: ParticipantStatus::parse(&p.status)
                .ok_or_else(|| corrupt("participant", &p.status))?,
            area_id: p.area_id.map(TerritoryId),
            attended: p.attended,
            responded_at: p.responded_at,
        });
    }
    rows.into_iter()
        .map(|r| {
            let participants = people_by.remove(&r.id).unwrap_or_default();
            let min = u32::try_from(r.min_per_area).unwrap_or(1);
            let areas = areas_by
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    let accepted = participants
                        .iter()
                        .filter(|p| {
                            p.status == ParticipantStatus::Accepted && p.area_id == Some(t.id)
                        })
                        .count() as u32;
                    SortieArea {
                        territory: t,
                        accepted,
                        covered: accepted >= min,
                    }
                })
                .collect();
            Ok(Sortie {
                id: SortieId(r.id),
                campaign_id: CampaignId(r.campaign_id),
                title: r.title,
                territory: scope_territory(
                    Some(r.territory_id),
                    Some(r.t_kind),
                    Some(r.t_code),
                    Some(r.t_name),
                    Some(r.t_path),
                )?
                .ok_or_else(|| corrupt("sortie", "no territory"))?,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                meeting_point: r.meeting_point,
                meeting_lonlat: r.meeting_lon.zip(r.meeting_lat),
                team: r.team_id.map(TeamId).zip(r.team_name),
                open_signup: r.open_signup,
                min_per_area: min,
                notes: r.notes,
                areas,
                participants,
                created_by: r.created_by.map(UserId),
                created_at: r.created_at,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct TallyRow {
    pub(crate) id: Uuid,
    pub(crate) display_name: String,
    pub(crate) path: Option<String>,
    pub(crate) sorties: i64,
    pub(crate) trainings: i64,
    pub(crate) doors: i64,
    pub(crate) conversations: i64,
    pub(crate) questionnaires: i64,
}

/// The sources of activity summed by [`VolunteerStore::tallies`]: each yields
/// `(campaign_id, volunteer_id, kind, n)` rows, `$1` being the moment counted up to. The field
/// app issue adds its doors, conversations and questionnaires here, one `SELECT` each.
pub(crate) const ACTIVITY_SOURCES: [&str; 2] = [
    // A sortie counts when attendance was recorded, or when it is over and nobody said they
    // were absent.
    "SELECT p.campaign_id, p.volunteer_id, 'sortie' AS kind, 1 AS n FROM sortie_participants p \
     JOIN sorties s ON s.campaign_id = p.campaign_id AND s.id = p.sortie_id \
     WHERE p.status = 'accepted' AND (p.attended = TRUE OR (p.attended IS NULL AND s.ends_at <= $1))",
    "SELECT r.campaign_id, r.volunteer_id, 'training' AS kind, 1 AS n FROM training_registrations r \
     WHERE r.attended = TRUE",
];

/// The kinds of activity a tally sums, in the order of [`TallyRow`]'s columns.
pub(crate) const ACTIVITY_KINDS: [&str; 5] = [
    "sortie",
    "training",
    "door",
    "conversation",
    "questionnaire",
];

/// Checks a text field and gives it trimmed.
pub(crate) fn text(what: &'static str, field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(invalid(what, format!("{field} is empty")));
    }
    if v.chars().count() > max {
        return Err(invalid(
            what,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(v.to_string())
}

/// Checks an optional text field.
pub(crate) fn opt_text(
    what: &'static str,
    field: &str,
    v: Option<&str>,
    max: usize,
) -> Result<Option<String>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(what, field, s, max).map(Some),
    }
}

/// Checks the start and end of a training or sortie.
pub(crate) fn check_times(
    what: &'static str,
    starts: OffsetDateTime,
    ends: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime)> {
    let (s, e) = (db_time(starts), db_time(ends));
    if e <= s {
        return Err(invalid(what, "it must end after it starts"));
    }
    if e - s > time::Duration::hours(24) {
        return Err(invalid(what, "it cannot last more than 24 hours"));
    }
    Ok((s, e))
}

/// The lowest territory containing all of `paths` (by path prefix), as a path.
pub(crate) fn common_ancestor(paths: &[TerritoryPath]) -> Option<TerritoryPath> {
    let first = paths.first()?;
    let mut segs: Vec<&str> = first.as_str().split('/').collect();
    for p in &paths[1..] {
        let other: Vec<&str> = p.as_str().split('/').collect();
        let n = segs.iter().zip(&other).take_while(|(a, b)| a == b).count();
        segs.truncate(n);
    }
    // A path starts with '/', so the first segment is empty: at least one real one is needed.
    (segs.len() > 1).then(|| TerritoryPath::from_stored(segs.join("/")))
}

/// Generates `impl VolunteerStore` for a backend made by `sql_store!`.
macro_rules! volunteer_store {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Gives every member (coordinator, trainer, walker) a volunteer record, whose id is
            /// their user id. Idempotent; concurrent runs are harmless.
            async fn sync_member_volunteers(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<()> {
                sqlx::query(
                    "INSERT INTO volunteers (campaign_id, id, user_id, display_name, territory_id, placement, availability, \
                       consent_contact, status, status_at, source, recruited_by, trained_at, created_at) \
                     SELECT m.campaign_id, m.user_id, m.user_id, u.display_name, \
                       (SELECT mt.territory_id FROM membership_territories mt JOIN territories t2 \
                          ON t2.campaign_id = mt.campaign_id AND t2.id = mt.territory_id \
                        WHERE mt.campaign_id = m.campaign_id AND mt.user_id = m.user_id ORDER BY t2.path LIMIT 1), \
                       'member', 0, FALSE, \
                       CASE WHEN m.role IN ('coordinator', 'trainer') OR m.trained_by IS NOT NULL THEN 'trained' ELSE 'contacted' END, \
                       m.created_at, 'member', m.recruited_by, \
                       CASE WHEN m.role IN ('coordinator', 'trainer') OR m.trained_by IS NOT NULL THEN m.created_at ELSE NULL END, \
                       m.created_at \
                     FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.campaign_id = $1 AND m.role IN ('coordinator', 'trainer', 'walker') \
                       AND NOT EXISTS (SELECT 1 FROM volunteers v WHERE v.campaign_id = m.campaign_id AND v.user_id = m.user_id) \
                     ON CONFLICT DO NOTHING")
                    .bind(campaign.0)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn load_sorties(
                &self,
                campaign: terrain_model::CampaignId,
                rows: Vec<$crate::sql_volunteers::SortieRow>,
            ) -> $crate::error::Result<Vec<$crate::volunteers::Sortie>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
                let mut areas = Vec::new();
                let mut people = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT a.sortie_id, a.territory_id, {} FROM sortie_areas a \
                         JOIN territories t ON t.campaign_id = a.campaign_id AND t.id = a.territory_id WHERE a.campaign_id = ",
                        $crate::sql_volunteers::T_COLS));
                    qb.push_bind(campaign.0);
                    qb.push(" AND a.sortie_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(") ORDER BY t.code");
                    let mut a: Vec<$crate::sql_volunteers::AreaRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                    areas.append(&mut a);
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT p.sortie_id, p.volunteer_id, v.user_id, v.display_name, p.status, p.area_id, p.attended, p.responded_at \
                         FROM sortie_participants p JOIN volunteers v ON v.campaign_id = p.campaign_id AND v.id = p.volunteer_id \
                         WHERE p.campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND p.sortie_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(") ORDER BY v.display_name, v.id");
                    let mut p: Vec<$crate::sql_volunteers::ParticipantRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                    people.append(&mut p);
                }
                $crate::sql_volunteers::assemble_sorties(rows, areas, people)
            }

            async fn team_members_of(
                &self,
                campaign: terrain_model::CampaignId,
                team: Option<uuid::Uuid>,
            ) -> $crate::error::Result<Vec<(terrain_model::TeamId, $crate::volunteers::TeamMember)>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT tm.team_id, v.id AS volunteer_id, v.display_name, v.status FROM team_members tm \
                     JOIN volunteers v ON v.campaign_id = tm.campaign_id AND v.id = tm.volunteer_id WHERE tm.campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(t) = team {
                    qb.push(" AND tm.team_id = ");
                    qb.push_bind(t);
                }
                qb.push(" ORDER BY v.display_name, v.id");
                let rows: Vec<$crate::sql_volunteers::TeamMemberRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_member()).collect()
            }

            /// Territories by id, checked to exist in the campaign.
            async fn territories_by_id(
                &self,
                campaign: terrain_model::CampaignId,
                ids: &[terrain_model::TerritoryId],
            ) -> $crate::error::Result<Vec<terrain_model::Territory>> {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push($crate::Store::territory(self, campaign, *id).await?);
                }
                Ok(out)
            }
        }

        #[async_trait::async_trait]
        impl $crate::volunteers::VolunteerStore for $store {
            async fn volunteer_settings(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<$crate::volunteers::VolunteerSettings> {
                let row: Option<(bool, bool)> = sqlx::query_as(
                    "SELECT turfs_require_training, signup_open FROM volunteer_settings WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_optional(&self.pool).await?;
                let hidden: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT territory_id FROM leaderboard_hidden WHERE campaign_id = $1 ORDER BY territory_id")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                let d = $crate::volunteers::VolunteerSettings::default();
                let (turfs_require_training, signup_open) = row.unwrap_or((d.turfs_require_training, d.signup_open));
                Ok($crate::volunteers::VolunteerSettings {
                    turfs_require_training,
                    signup_open,
                    leaderboard_hidden: hidden.into_iter().map(|(t,)| terrain_model::TerritoryId(t)).collect(),
                })
            }

            async fn set_volunteer_settings(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                s: &$crate::volunteers::VolunteerSettings) -> $crate::error::Result<$crate::volunteers::VolunteerSettings> {
                $crate::Store::campaign(self, campaign).await?;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO volunteer_settings (campaign_id, turfs_require_training, signup_open, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (campaign_id) DO UPDATE SET turfs_require_training = excluded.turfs_require_training, \
                       signup_open = excluded.signup_open, updated_at = excluded.updated_at")
                    .bind(campaign.0).bind(s.turfs_require_training).bind(s.signup_open)
                    .bind($crate::sql_volunteers::db_now())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "volunteer_settings.set", campaign.to_string(),
                    serde_json::json!({"turfs_require_training": s.turfs_require_training, "signup_open": s.signup_open})).await?;
                tx.commit().await?;
                self.volunteer_settings(campaign).await
            }

            async fn set_leaderboard(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                territory: terrain_model::TerritoryId, visible: bool) -> $crate::error::Result<$crate::volunteers::VolunteerSettings> {
                $crate::Store::territory(self, campaign, territory).await?;
                let mut tx = self.begin_write().await?;
                if visible {
                    sqlx::query("DELETE FROM leaderboard_hidden WHERE campaign_id = $1 AND territory_id = $2")
                        .bind(campaign.0).bind(territory.0).execute(&mut *tx).await?;
                } else {
                    sqlx::query("INSERT INTO leaderboard_hidden (campaign_id, territory_id, hidden_by, hidden_at) VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT DO NOTHING")
                        .bind(campaign.0).bind(territory.0).bind(audit.actor.map(|u| u.0)).bind($crate::sql_volunteers::db_now())
                        .execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "leaderboard.set", territory.to_string(),
                    serde_json::json!({"visible": visible})).await?;
                tx.commit().await?;
                self.volunteer_settings(campaign).await
            }

            async fn add_postcodes(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                items: &[(terrain_model::Postcode, terrain_model::TerritoryId)]) -> $crate::error::Result<u64> {
                let mut tx = self.begin_write().await?;
                let mut added = 0;
                for chunk in items.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO territory_postcodes (campaign_id, postcode, territory_id) ");
                    qb.push_values(chunk, |mut b, (p, t)| {
                        b.push_bind(campaign.0).push_bind(p.as_str().to_string()).push_bind(t.0);
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                    added += qb.build().execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } => $crate::error::StorageError::NotFound { what: "territory", key: "of a postcode".into() },
                        other => other,
                    })?.rows_affected();
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "postcodes.add", campaign.to_string(),
                    serde_json::json!({"items": items.len(), "added": added})).await?;
                tx.commit().await?;
                Ok(added)
            }

            async fn place_postcode(&self, campaign: terrain_model::CampaignId, postcode: &terrain_model::Postcode)
                -> $crate::error::Result<Option<($crate::types::ScopeTerritory, $crate::volunteers::Placement)>> {
                use $crate::volunteers::Placement;
                let to_scope = |t: terrain_model::Territory| $crate::types::ScopeTerritory { id: t.id, kind: t.kind, code: t.code, name: t.name, path: t.path };
                let listed: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT territory_id FROM territory_postcodes WHERE campaign_id = $1 AND postcode = $2")
                    .bind(campaign.0).bind(postcode.as_str()).fetch_all(&self.pool).await?;
                let mut found: Vec<terrain_model::Territory> = Vec::new();
                let mut how = Placement::Postcode;
                for (id,) in listed {
                    found.push($crate::Store::territory(self, campaign, terrain_model::TerritoryId(id)).await?);
                }
                if found.is_empty() && let Some(arr) = postcode.plm_arrondissement() {
                    for kind in [terrain_model::TerritoryKind::Arrondissement, terrain_model::TerritoryKind::Commune] {
                        match $crate::Store::territory_by_code(self, campaign, kind, arr.as_str()).await {
                            Ok(t) => { found.push(t); how = Placement::Arrondissement; break; }
                            Err($crate::error::StorageError::NotFound { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                if found.is_empty() {
                    let communes: Vec<(String,)> = sqlx::query_as(
                        "SELECT DISTINCT commune FROM addresses WHERE campaign_id = $1 AND postcode = $2 ORDER BY commune LIMIT 50")
                        .bind(campaign.0).bind(postcode.as_str()).fetch_all(&self.pool).await?;
                    for (code,) in communes {
                        for kind in [terrain_model::TerritoryKind::Arrondissement, terrain_model::TerritoryKind::Commune] {
                            match $crate::Store::territory_by_code(self, campaign, kind, &code).await {
                                Ok(t) => { found.push(t); how = Placement::Addresses; break; }
                                Err($crate::error::StorageError::NotFound { .. }) => {}
                                Err(e) => return Err(e),
                            }
                        }
                    }
                }
                match found.len() {
                    0 => Ok(None),
                    1 => Ok(found.pop().map(|t| (to_scope(t), how))),
                    _ => {
                        let paths: Vec<terrain_model::TerritoryPath> = found.iter().map(|t| t.path.clone()).collect();
                        let Some(common) = $crate::sql_volunteers::common_ancestor(&paths) else { return Ok(None) };
                        let row: Option<$crate::sql::TerritoryRow> = sqlx::query_as(
                            "SELECT campaign_id, id, kind, code, name, parent_id, path FROM territories WHERE campaign_id = $1 AND path = $2")
                            .bind(campaign.0).bind(common.as_str()).fetch_optional(&self.pool).await?;
                        match row {
                            Some(r) => Ok(Some((to_scope(terrain_model::Territory::try_from(r)?), how))),
                            None => Ok(None),
                        }
                    }
                }
            }

            #[tracing::instrument(skip(self, audit, new))]
            async fn sign_up(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                new: &$crate::volunteers::NewSignup) -> $crate::error::Result<$crate::volunteers::Volunteer> {
                use $crate::volunteers::Placement;
                let name = $crate::sql_volunteers::text("sign-up", "the name", &new.display_name, 80)?;
                if !new.consent_contact {
                    return Err($crate::error::StorageError::Invalid { what: "consent", reason: "the volunteer did not agree to be contacted".into() });
                }
                if new.email.is_none() && new.phone.is_none() {
                    return Err($crate::error::StorageError::Invalid { what: "sign-up", reason: "give an e-mail address or a telephone number".into() });
                }
                $crate::Store::campaign(self, campaign).await?;
                let placed = self.place_postcode(campaign, &new.postcode).await?;
                let keys = terrain_model::ContactKeys::of(new.email.as_ref(), new.phone.as_ref());
                let now = $crate::sql_volunteers::db_now();
                let id = terrain_model::VolunteerId::new();
                let mut tx = self.begin_write().await?;
                let dup: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT id FROM volunteers WHERE campaign_id = $1 AND (email_key = $2 OR phone_key = $3) \
                     ORDER BY created_at, id LIMIT 1")
                    .bind(campaign.0).bind(keys.email.clone()).bind(keys.phone.clone())
                    .fetch_optional(&mut *tx).await?;
                let (territory, placement) = match &placed {
                    Some((t, how)) => (Some(t.id.0), *how),
                    None => (None, Placement::Unplaced),
                };
                sqlx::query(
                    "INSERT INTO volunteers (campaign_id, id, user_id, display_name, email, email_key, phone, phone_key, postcode, \
                       territory_id, placement, availability, consent_contact, consent_at, status, status_at, source, recruited_by, \
                       duplicate_of, trained_at, created_at) \
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, TRUE, $12, 'signed_up', $12, 'signup', NULL, $13, NULL, $12)")
                    .bind(campaign.0).bind(id.0).bind(&name)
                    .bind(new.email.as_ref().map(|e| e.as_str().to_string())).bind(keys.email.clone())
                    .bind(new.phone.as_ref().map(|p| p.display.clone())).bind(keys.phone.clone())
                    .bind(new.postcode.as_str()).bind(territory).bind(placement.as_str())
                    .bind(i32::try_from(new.availability.0).unwrap_or(0)).bind(now)
                    .bind(dup.map(|d| d.0))
                    .execute(&mut *tx).await?;
                // The log says where the sign-up went, not who it is.
                Self::write_audit(&mut tx, audit, Some(campaign.0), "volunteer.sign_up", id.to_string(),
                    serde_json::json!({"territory": territory, "placement": placement, "duplicate_of": dup.map(|d| d.0)})).await?;
                tx.commit().await?;
                self.volunteer(campaign, id).await
            }

            async fn volunteer(&self, campaign: terrain_model::CampaignId, id: terrain_model::VolunteerId)
                -> $crate::error::Result<$crate::volunteers::Volunteer> {
                let sql = format!("{} WHERE v.campaign_id = $1 AND v.id = $2", $crate::sql_volunteers::VOLUNTEER_SELECT);
                let mut row: Option<$crate::sql_volunteers::VolunteerRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(campaign.0).bind(id.0).fetch_optional(&self.pool).await?;
                if row.is_none() {
                    // A member whose record was not made yet (their volunteer id is their user id).
                    self.sync_member_volunteers(campaign).await?;
                    row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(campaign.0).bind(id.0).fetch_optional(&self.pool).await?;
                }
                row.ok_or_else(|| $crate::error::StorageError::NotFound { what: "volunteer", key: id.to_string() })?
                    .try_into()
            }

            async fn volunteer_of_user(&self, campaign: terrain_model::CampaignId, user: terrain_model::UserId)
                -> $crate::error::Result<$crate::volunteers::Volunteer> {
                self.sync_member_volunteers(campaign).await?;
                let row: $crate::sql_volunteers::VolunteerRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE v.campaign_id = $1 AND v.user_id = $2", $crate::sql_volunteers::VOLUNTEER_SELECT)))
                    .bind(campaign.0).bind(user.0).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("volunteer", user))?;
                row.try_into()
            }

            async fn volunteers(&self, campaign: terrain_model::CampaignId, q: &$crate::volunteers::VolunteerQuery)
                -> $crate::error::Result<$crate::volunteers::VolunteerPage> {
                self.sync_member_volunteers(campaign).await?;
                let within = match q.within {
                    Some(t) => Some($crate::Store::territory(self, campaign, t).await?.path),
                    None => None,
                };
                let filters = |qb: &mut sqlx::QueryBuilder<$db>| {
                    qb.push(" WHERE v.campaign_id = ");
                    qb.push_bind(campaign.0);
                    if let $crate::types::Scope::Within(paths) = &q.scope {
                        $crate::sql::push_within(qb, "t.path", paths);
                    }
                    if let Some(p) = &within {
                        $crate::sql::push_within(qb, "t.path", std::slice::from_ref(p));
                    }
                    if q.unplaced {
                        qb.push(" AND v.territory_id IS NULL");
                    }
                    if let Some(s) = q.status {
                        qb.push(" AND v.status = ");
                        qb.push_bind(s.as_str());
                    }
                    if q.duplicates {
                        qb.push(" AND (v.duplicate_of IS NOT NULL OR EXISTS (SELECT 1 FROM volunteers d WHERE d.campaign_id = v.campaign_id AND d.duplicate_of = v.id))");
                    }
                    if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                        let pat = format!("%{}%", $crate::sql::like_escape(&s.to_lowercase()));
                        qb.push(" AND (LOWER(v.display_name) LIKE ");
                        qb.push_bind(pat.clone());
                        qb.push(" ESCAPE '\\' OR LOWER(COALESCE(v.email, '')) LIKE ");
                        qb.push_bind(pat.clone());
                        qb.push(" ESCAPE '\\' OR COALESCE(v.phone_key, '') LIKE ");
                        qb.push_bind(pat.clone());
                        qb.push(" ESCAPE '\\' OR COALESCE(v.postcode, '') LIKE ");
                        qb.push_bind(pat);
                        qb.push(" ESCAPE '\\')");
                    }
                };
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM volunteers v LEFT JOIN territories t ON t.campaign_id = v.campaign_id AND t.id = v.territory_id");
                filters(&mut qb);
                let (total,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new($crate::sql_volunteers::VOLUNTEER_SELECT);
                filters(&mut qb);
                qb.push(" ORDER BY v.created_at DESC, v.id DESC LIMIT ");
                qb.push_bind(i64::from(q.limit.clamp(1, 500)));
                qb.push(" OFFSET ");
                qb.push_bind(i64::from(q.offset));
                let rows: Vec<$crate::sql_volunteers::VolunteerRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok($crate::volunteers::VolunteerPage {
                    total: u64::try_from(total).unwrap_or(0),
                    items: rows.into_iter().map(TryInto::try_into).collect::<$crate::error::Result<_>>()?,
                })
            }

            async fn update_volunteer(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                id: terrain_model::VolunteerId, u: &$crate::volunteers::VolunteerUpdate) -> $crate::error::Result<$crate::volunteers::Volunteer> {
                let before = self.volunteer(campaign, id).await?;
                if let Some(t) = u.territory {
                    $crate::Store::territory(self, campaign, t).await?;
                }
                if let Some(r) = u.recruited_by {
                    $crate::Store::member(self, campaign, r).await?;
                }
                let now = $crate::sql_volunteers::db_now();
                let mut tx = self.begin_write().await?;
                if let Some(s) = u.status.filter(|s| *s != before.status) {
                    sqlx::query("UPDATE volunteers SET status = $1, status_at = $2 WHERE campaign_id = $3 AND id = $4")
                        .bind(s.as_str()).bind(now).bind(campaign.0).bind(id.0).execute(&mut *tx).await?;
                }
                if let Some(t) = u.territory {
                    sqlx::query("UPDATE volunteers SET territory_id = $1, placement = 'manual' WHERE campaign_id = $2 AND id = $3")
                        .bind(t.0).bind(campaign.0).bind(id.0).execute(&mut *tx).await?;
                }
                if let Some(a) = u.availability {
                    sqlx::query("UPDATE volunteers SET availability = $1 WHERE campaign_id = $2 AND id = $3")
                        .bind(i32::try_from(a.0).unwrap_or(0)).bind(campaign.0).bind(id.0).execute(&mut *tx).await?;
                }
                if let Some(r) = u.recruited_by {
                    sqlx::query("UPDATE volunteers SET recruited_by = $1 WHERE campaign_id = $2 AND id = $3")
                        .bind(r.0).bind(campaign.0).bind(id.0).execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "volunteer.update", id.to_string(),
                    serde_json::json!({"status": u.status, "territory": u.territory, "availability": u.availability.map(|a| a.slots()),
                                       "recruited_by": u.recruited_by})).await?;
                tx.commit().await?;
                self.volunteer(campaign, id).await
            }

            async fn link_volunteer(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                id: terrain_model::VolunteerId, user: terrain_model::UserId) -> $crate::error::Result<$crate::volunteers::Volunteer> {
                let v = self.volunteer(campaign, id).await?;
                if v.user_id.is_some() {
                    return Err($crate::error::StorageError::Conflict { what: "volunteer account", key: id.to_string() });
                }
                let member = $crate::Store::member(self, campaign, user).await?;
                let mut tx = self.begin_write().await?;
                // The record made for the member when they joined goes, unless it already holds
                // their history (then both stay, the sign-up marked as its duplicate).
                let used: (i64,) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM training_registrations WHERE campaign_id = $1 AND volunteer_id = $2) \
                          + (SELECT COUNT(*) FROM sortie_participants WHERE campaign_id = $1 AND volunteer_id = $2) \
                          + (SELECT COUNT(*) FROM team_members WHERE campaign_id = $1 AND volunteer_id = $2) \
                          + (SELECT COUNT(*) FROM calendar_feeds WHERE campaign_id = $1 AND volunteer_id = $2)")
                    .bind(campaign.0).bind(user.0).fetch_one(&mut *tx).await?;
                let status = v.status.after_event(terrain_model::VolunteerStatus::Contacted);
                if used.0 == 0 {
                    sqlx::query("DELETE FROM volunteers WHERE campaign_id = $1 AND user_id = $2 AND source = 'member'")
                        .bind(campaign.0).bind(user.0).execute(&mut *tx).await?;
                    let territory = match v.territory.as_ref() {
                        Some(t) => Some(t.id.0),
                        None => member.territories.first().map(|t| t.id.0),
                    };
                    sqlx::query("UPDATE volunteers SET user_id = $1, status = $2, status_at = $3, territory_id = $4, \
                                 recruited_by = COALESCE(recruited_by, $5) WHERE campaign_id = $6 AND id = $7")
                        .bind(user.0).bind(status.as_str()).bind($crate::sql_volunteers::db_now()).bind(territory)
                        .bind(member.recruited_by.map(|u| u.0)).bind(campaign.0).bind(id.0)
                        .execute(&mut *tx).await?;
                } else {
                    sqlx::query("UPDATE volunteers SET duplicate_of = $1 WHERE campaign_id = $2 AND id = $3")
                        .bind(user.0).bind(campaign.0).bind(id.0).execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "volunteer.link", id.to_string(),
                    serde_json::json!({"user": user, "merged_member_record": used.0 == 0})).await?;
                tx.commit().await?;
                self.volunteer(campaign, id).await
            }

            async fn tie_invite(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                invite: terrain_model::InviteId, volunteer: terrain_model::VolunteerId) -> $crate::error::Result<()> {
                let v = self.volunteer(campaign, volunteer).await?;
                if v.user_id.is_some() {
                    return Err($crate::error::StorageError::Conflict { what: "volunteer account", key: volunteer.to_string() });
                }
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO volunteer_invites (campaign_id, invite_id, volunteer_id) VALUES ($1, $2, $3)")
                    .bind(campaign.0).bind(invite.0).bind(volunteer.0).execute(&mut *tx).await
                    .map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } => $crate::error::StorageError::NotFound { what: "invite", key: invite.to_string() },
                        other => other,
                    })?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "volunteer.invite", volunteer.to_string(),
                    serde_json::json!({"invite": invite})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn link_by_invite(&self, code_hash: &str, user: terrain_model::UserId)
                -> $crate::error::Result<Option<$crate::volunteers::Volunteer>> {
                let row: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT vi.campaign_id, vi.volunteer_id FROM volunteer_invites vi JOIN invites i \
                       ON i.campaign_id = vi.campaign_id AND i.id = vi.invite_id \
                     JOIN volunteers v ON v.campaign_id = vi.campaign_id AND v.id = vi.volunteer_id \
                     WHERE i.code_hash = $1 AND v.user_id IS NULL")
                    .bind(code_hash).fetch_optional(&self.pool).await?;
                let Some((c, v)) = row else { return Ok(None) };
                let audit = $crate::types::Audit { actor: Some(user), source: $crate::types::AuditSource::Invite };
                self.link_volunteer(&audit, terrain_model::CampaignId(c), terrain_model::VolunteerId(v), user).await.map(Some)
            }

            async fn funnel_counts(&self, campaign: terrain_model::CampaignId, scope: &$crate::types::Scope)
                -> $crate::error::Result<Vec<$crate::volunteers::FunnelCount>> {
                self.sync_member_volunteers(campaign).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT t.path, v.status, v.recruited_by, COUNT(*) FROM volunteers v \
                     LEFT JOIN territories t ON t.campaign_id = v.campaign_id AND t.id = v.territory_id WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" GROUP BY t.path, v.status, v.recruited_by");
                let rows: Vec<(Option<String>, String, Option<uuid::Uuid>, i64)> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(|(path, status, by, n)| Ok($crate::volunteers::FunnelCount {
                    territory: path.map(terrain_model::TerritoryPath::from_stored),
                    status: status.parse().map_err(|e: terrain_model::volunteer::StatusError| $crate::error::StorageError::Invalid { what: "volunteer", reason: e.to_string() })?,
                    recruited_by: by.map(terrain_model::UserId),
                    count: u64::try_from(n).unwrap_or(0),
                })).collect()
            }

            async fn may_receive_turfs(&self, campaign: terrain_model::CampaignId, user: terrain_model::UserId) -> $crate::error::Result<bool> {
                if !self.volunteer_settings(campaign).await?.turfs_require_training {
                    return Ok(true);
                }
                Ok(self.volunteer_of_user(campaign, user).await?.status.is_trained())
            }

            #[tracing::instrument(skip(self, audit, new))]
            async fn create_training(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                new: &$crate::volunteers::NewTraining) -> $crate::error::Result<$crate::volunteers::Training> {
                use $crate::sql_volunteers::{text, opt_text, check_times};
                let title = text("training", "the title", &new.title, 120)?;
                let (starts, ends) = check_times("training", new.starts_at, new.ends_at)?;
                let place = opt_text("training", "the place", new.place.as_deref(), 200)?;
                let video = opt_text("training", "the video link", new.video_url.as_deref(), 500)?;
                if let Some(v) = &video && !(v.starts_with("https://") || v.starts_with("http://")) {
                    return Err($crate::error::StorageError::Invalid { what: "training", reason: "the video link must start with https://".into() });
                }
                if place.is_none() && video.is_none() {
                    return Err($crate::error::StorageError::Invalid { what: "training", reason: "give a place or a video link".into() });
                }
                if !(1..=500).contains(&new.capacity) {
                    return Err($crate::error::StorageError::Invalid { what: "training", reason: "the capacity must be 1 to 500".into() });
                }
                let mut programme = Vec::new();
                for item in &new.programme {
                    let item = text("training", "a programme item", item, 200)?;
                    if programme.contains(&item) {
                        return Err($crate::error::StorageError::Invalid { what: "training", reason: format!("the programme lists {item:?} twice") });
                    }
                    programme.push(item);
                }
                if programme.is_empty() || programme.len() > 30 {
                    return Err($crate::error::StorageError::Invalid { what: "training", reason: "the programme needs 1 to 30 items".into() });
                }
                $crate::Store::territory(self, campaign, new.territory_id).await?;
                if let Some(t) = new.trainer_id {
                    $crate::Store::member(self, campaign, t).await?;
                }
                let id = terrain_model::TrainingId::new();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO trainings (campaign_id, id, territory_id, title, starts_at, ends_at, place, video_url, capacity, programme, \
                       trainer_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                    .bind(campaign.0).bind(id.0).bind(new.territory_id.0).bind(&title).bind(starts).bind(ends)
                    .bind(place).bind(video).bind(i32::try_from(new.capacity).unwrap_or(1))
                    .bind(serde_json::to_string(&programme).unwrap_or_else(|_| "[]".into()))
                    .bind(new.trainer_id.map(|u| u.0)).bind(audit.actor.map(|u| u.0)).bind($crate::sql_volunteers::db_now())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "training.create", id.to_string(),
                    serde_json::json!({"title": title, "territory": new.territory_id, "capacity": new.capacity})).await?;
                tx.commit().await?;
                self.training(campaign, id).await
            }

            async fn training(&self, campaign: terrain_model::CampaignId, id: terrain_model::TrainingId)
                -> $crate::error::Result<$crate::volunteers::Training> {
                let row: $crate::sql_volunteers::TrainingRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE tr.campaign_id = $1 AND tr.id = $2", $crate::sql_volunteers::TRAINING_SELECT)))
                    .bind(campaign.0).bind(id.0).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("training", id))?;
                row.try_into()
            }

            async fn trainings(&self, campaign: terrain_model::CampaignId, scope: &$crate::types::Scope,
                from: Option<time::OffsetDateTime>) -> $crate::error::Result<Vec<$crate::volunteers::Training>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new($crate::sql_volunteers::TRAINING_SELECT);
                qb.push(" WHERE tr.campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(f) = from {
                    qb.push(" AND tr.ends_at > ");
                    qb.push_bind($crate::sql_volunteers::db_time(f));
                }
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY tr.starts_at, tr.id LIMIT 500");
                let rows: Vec<$crate::sql_volunteers::TrainingRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn registrations(&self, campaign: terrain_model::CampaignId, training: terrain_model::TrainingId)
                -> $crate::error::Result<Vec<$crate::volunteers::Registration>> {
                let rows: Vec<$crate::sql_volunteers::RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE r.campaign_id = $1 AND r.training_id = $2 ORDER BY v.display_name, v.id", $crate::sql_volunteers::REGISTRATION_SELECT)))
                    .bind(campaign.0).bind(training.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn registrations_of(&self, campaign: terrain_model::CampaignId, volunteer: terrain_model::VolunteerId)
                -> $crate::error::Result<Vec<($crate::volunteers::Training, $crate::volunteers::Registration)>> {
                let rows: Vec<$crate::sql_volunteers::RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE r.campaign_id = $1 AND r.volunteer_id = $2 ORDER BY r.registered_at DESC", $crate::sql_volunteers::REGISTRATION_SELECT)))
                    .bind(campaign.0).bind(volunteer.0).fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let r: $crate::volunteers::Registration = r.try_into()?;
                    out.push((self.training(campaign, r.training_id).await?, r));
                }
                out.sort_by(|a, b| b.0.starts_at.cmp(&a.0.starts_at));
                Ok(out)
            }

            async fn register(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                training: terrain_model::TrainingId, volunteer: terrain_model::VolunteerId) -> $crate::error::Result<$crate::volunteers::Registration> {
                self.volunteer(campaign, volunteer).await?;
                let mut tx = self.begin_write().await?;
                // Touching the training's row first makes concurrent registrations queue, so
                // the last seat cannot be taken twice.
                let cap: Option<(i32,)> = sqlx::query_as(
                    "UPDATE trainings SET capacity = capacity WHERE campaign_id = $1 AND id = $2 RETURNING capacity")
                    .bind(campaign.0).bind(training.0).fetch_optional(&mut *tx).await?;
                let Some((cap,)) = cap else {
                    return Err($crate::error::StorageError::NotFound { what: "training", key: training.to_string() });
                };
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM training_registrations WHERE campaign_id = $1 AND training_id = $2")
                    .bind(campaign.0).bind(training.0).fetch_one(&mut *tx).await?;
                let already: Option<(i32,)> = sqlx::query_as(
                    "SELECT 1 FROM training_registrations WHERE campaign_id = $1 AND training_id = $2 AND volunteer_id = $3")
                    .bind(campaign.0).bind(training.0).bind(volunteer.0).fetch_optional(&mut *tx).await?;
                if already.is_some() {
                    return Err($crate::error::StorageError::Conflict { what: "registration", key: volunteer.to_string() });
                }
                if n >= i64::from(cap) {
                    return Err($crate::error::StorageError::Conflict { what: "training full", key: format!("{cap} places") });
                }
                sqlx::query("INSERT INTO training_registrations (campaign_id, training_id, volunteer_id, registered_at, attended, skills) \
                             VALUES ($1, $2, $3, $4, NULL, '[]')")
                    .bind(campaign.0).bind(training.0).bind(volunteer.0).bind($crate::sql_volunteers::db_now())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "training.register", training.to_string(),
                    serde_json::json!({"volunteer": volunteer})).await?;
                tx.commit().await?;
                self.registrations(campaign, training).await?.into_iter().find(|r| r.volunteer_id == volunteer)
                    .ok_or_else(|| $crate::error::StorageError::NotFound { what: "registration", key: volunteer.to_string() })
            }

            async fn record_attendance(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                training: terrain_model::TrainingId, volunteer: terrain_model::VolunteerId, a: &$crate::volunteers::Attendance)
                -> $crate::error::Result<$crate::volunteers::Registration> {
                let tr = self.training(campaign, training).await?;
                let v = self.volunteer(campaign, volunteer).await?;
                let mut skills = Vec::new();
                for s in &a.skills {
                    let s = s.trim();
                    if !tr.programme.iter().any(|p| p == s) {
                        return Err($crate::error::StorageError::Invalid { what: "attendance", reason: format!("{s:?} is not in the training's programme") });
                    }
                    if !skills.iter().any(|k: &String| k == s) {
                        skills.push(s.to_string());
                    }
                }
                if a.validated && !a.attended {
                    return Err($crate::error::StorageError::Invalid { what: "attendance", reason: "only someone who attended can be validated".into() });
                }
                let now = $crate::sql_volunteers::db_now();
                let validator = if a.validated { audit.actor.or(tr.trainer_id) } else { None };
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE training_registrations SET attended = $1, skills = $2, validated_at = $3, validated_by = $4 \
                     WHERE campaign_id = $5 AND training_id = $6 AND volunteer_id = $7")
                    .bind(a.attended).bind(serde_json::to_string(&skills).unwrap_or_else(|_| "[]".into()))
                    .bind(a.validated.then_some(now)).bind(validator.map(|u| u.0))
                    .bind(campaign.0).bind(training.0).bind(volunteer.0)
                    .execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err($crate::error::StorageError::NotFound { what: "registration", key: volunteer.to_string() });
                }
                if a.validated {
                    let status = v.status.after_event(terrain_model::VolunteerStatus::Trained);
                    sqlx::query("UPDATE volunteers SET status = $1, status_at = CASE WHEN status = $1 THEN status_at ELSE $2 END, \
                                 trained_at = COALESCE(trained_at, $2) WHERE campaign_id = $3 AND id = $4")
                        .bind(status.as_str()).bind(now).bind(campaign.0).bind(volunteer.0).execute(&mut *tx).await?;
                    if let (Some(user), Some(trainer)) = (v.user_id, validator) {
                        sqlx::query("UPDATE memberships SET trained_by = $1 WHERE campaign_id = $2 AND user_id = $3 AND trained_by IS NULL")
                            .bind(trainer.0).bind(campaign.0).bind(user.0).execute(&mut *tx).await?;
                    }
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "training.attendance", training.to_string(),
                    serde_json::json!({"volunteer": volunteer, "attended": a.attended, "skills": skills, "validated": a.validated})).await?;
                tx.commit().await?;
                self.registrations(campaign, training).await?.into_iter().find(|r| r.volunteer_id == volunteer)
                    .ok_or_else(|| $crate::error::StorageError::NotFound { what: "registration", key: volunteer.to_string() })
            }

            async fn create_team(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                new: &$crate::volunteers::NewTeam) -> $crate::error::Result<$crate::volunteers::Team> {
                let name = $crate::sql_volunteers::text("team", "the name", &new.name, 80)?;
                $crate::Store::territory(self, campaign, new.territory_id).await?;
                for v in &new.members {
                    self.volunteer(campaign, *v).await?;
                }
                let id = terrain_model::TeamId::new();
                let now = $crate::sql_volunteers::db_now();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO teams (campaign_id, id, name, territory_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(campaign.0).bind(id.0).bind(&name).bind(new.territory_id.0).bind(audit.actor.map(|u| u.0)).bind(now)
                    .execute(&mut *tx).await
                    .map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Conflict { .. } => $crate::error::StorageError::Conflict { what: "team", key: name.clone() },
                        other => other,
                    })?;
                let mut seen = std::collections::HashSet::new();
                for v in new.members.iter().filter(|v| seen.insert(**v)) {
                    sqlx::query("INSERT INTO team_members (campaign_id, team_id, volunteer_id, added_at) VALUES ($1, $2, $3, $4)")
                        .bind(campaign.0).bind(id.0).bind(v.0).bind(now).execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "team.create", id.to_string(),
                    serde_json::json!({"name": name, "territory": new.territory_id, "members": new.members})).await?;
                tx.commit().await?;
                self.team(campaign, id).await
            }

            async fn team(&self, campaign: terrain_model::CampaignId, id: terrain_model::TeamId) -> $crate::error::Result<$crate::volunteers::Team> {
                let row: $crate::sql_volunteers::TeamRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT tm.campaign_id, tm.id, tm.name, tm.territory_id, {}, tm.created_at FROM teams tm \
                     JOIN territories t ON t.campaign_id = tm.campaign_id AND t.id = tm.territory_id WHERE tm.campaign_id = $1 AND tm.id = $2",
                    $crate::sql_volunteers::T_COLS)))
                    .bind(campaign.0).bind(id.0).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("team", id))?;
                let members = self.team_members_of(campaign, Some(id.0)).await?.into_iter().map(|(_, m)| m).collect();
                row.into_team(members)
            }

            async fn teams(&self, campaign: terrain_model::CampaignId, scope: &$crate::types::Scope) -> $crate::error::Result<Vec<$crate::volunteers::Team>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT tm.campaign_id, tm.id, tm.name, tm.territory_id, {}, tm.created_at FROM teams tm \
                     JOIN territories t ON t.campaign_id = tm.campaign_id AND t.id = tm.territory_id WHERE tm.campaign_id = ",
                    $crate::sql_volunteers::T_COLS));
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY tm.name, tm.id");
                let rows: Vec<$crate::sql_volunteers::TeamRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut members: std::collections::HashMap<terrain_model::TeamId, Vec<$crate::volunteers::TeamMember>> = std::collections::HashMap::new();
                for (t, m) in self.team_members_of(campaign, None).await? {
                    members.entry(t).or_default().push(m);
                }
                rows.into_iter().map(|r| {
                    let m = members.remove(&terrain_model::TeamId(r.id)).unwrap_or_default();
                    r.into_team(m)
                }).collect()
            }

            async fn set_team_members(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                team: terrain_model::TeamId, members: &[terrain_model::VolunteerId]) -> $crate::error::Result<$crate::volunteers::Team> {
                self.team(campaign, team).await?;
                for v in members {
                    self.volunteer(campaign, *v).await?;
                }
                let now = $crate::sql_volunteers::db_now();
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM team_members WHERE campaign_id = $1 AND team_id = $2")
                    .bind(campaign.0).bind(team.0).execute(&mut *tx).await?;
                let mut seen = std::collections::HashSet::new();
                for v in members.iter().filter(|v| seen.insert(**v)) {
                    sqlx::query("INSERT INTO team_members (campaign_id, team_id, volunteer_id, added_at) VALUES ($1, $2, $3, $4)")
                        .bind(campaign.0).bind(team.0).bind(v.0).bind(now).execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "team.members", team.to_string(),
                    serde_json::json!({"members": members})).await?;
                tx.commit().await?;
                self.team(campaign, team).await
            }

            #[tracing::instrument(skip(self, audit, new))]
            async fn create_sortie(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                new: &$crate::volunteers::NewSortie) -> $crate::error::Result<$crate::volunteers::Sortie> {
                use $crate::sql_volunteers::{text, opt_text, check_times};
                let title = text("sortie", "the title", &new.title, 120)?;
                let (starts, ends) = check_times("sortie", new.starts_at, new.ends_at)?;
                let meeting = text("sortie", "the meeting point", &new.meeting_point, 200)?;
                let notes = opt_text("sortie", "the notes", new.notes.as_deref(), 2000)?;
                if let Some((lon, lat)) = new.meeting_lonlat && !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
                    return Err($crate::error::StorageError::Invalid { what: "sortie", reason: format!("the meeting point ({lon}, {lat}) is not a longitude and latitude") });
                }
                if !(1..=10).contains(&new.min_per_area) {
                    return Err($crate::error::StorageError::Invalid { what: "sortie", reason: "the minimum per area must be 1 to 10".into() });
                }
                if new.areas.is_empty() || new.areas.len() > 50 {
                    return Err($crate::error::StorageError::Invalid { what: "sortie", reason: "choose 1 to 50 areas".into() });
                }
                let home = $crate::Store::territory(self, campaign, new.territory_id).await?;
                let mut areas = self.territories_by_id(campaign, &new.areas).await?;
                areas.dedup_by_key(|t| t.id);
                if let Some(out) = areas.iter().find(|a| !home.path.contains(&a.path)) {
                    return Err($crate::error::StorageError::Invalid { what: "sortie", reason: format!("{} {} is not inside {}", out.kind, out.code, home.name) });
                }
                let team = match new.team_id {
                    Some(t) => Some(self.team(campaign, t).await?),
                    None => None,
                };
                let id = terrain_model::SortieId::new();
                let now = $crate::sql_volunteers::db_now();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO sorties (campaign_id, id, territory_id, title, starts_at, ends_at, meeting_point, meeting_lon, meeting_lat, \
                       team_id, open_signup, min_per_area, notes, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
                    .bind(campaign.0).bind(id.0).bind(home.id.0).bind(&title).bind(starts).bind(ends).bind(&meeting)
                    .bind(new.meeting_lonlat.map(|p| p.0)).bind(new.meeting_lonlat.map(|p| p.1))
                    .bind(new.team_id.map(|t| t.0)).bind(new.open_signup).bind(i32::try_from(new.min_per_area).unwrap_or(2))
                    .bind(notes).bind(audit.actor.map(|u| u.0)).bind(now)
                    .execute(&mut *tx).await?;
                let mut seen = std::collections::HashSet::new();
                for a in areas.iter().filter(|a| seen.insert(a.id)) {
                    sqlx::query("INSERT INTO sortie_areas (campaign_id, sortie_id, territory_id) VALUES ($1, $2, $3)")
                        .bind(campaign.0).bind(id.0).bind(a.id.0).execute(&mut *tx).await?;
                }
                if let Some(team) = &team {
                    for m in &team.members {
                        sqlx::query("INSERT INTO sortie_participants (campaign_id, sortie_id, volunteer_id, status, area_id, attended, responded_at, created_at) \
                                     VALUES ($1, $2, $3, 'invited', NULL, NULL, NULL, $4)")
                            .bind(campaign.0).bind(id.0).bind(m.volunteer_id.0).bind(now).execute(&mut *tx).await?;
                    }
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "sortie.create", id.to_string(),
                    serde_json::json!({"title": title, "territory": home.id, "areas": new.areas, "team": new.team_id,
                                       "starts_at": starts.unix_timestamp(), "ends_at": ends.unix_timestamp()})).await?;
                tx.commit().await?;
                self.sortie(campaign, id).await
            }

            async fn sortie(&self, campaign: terrain_model::CampaignId, id: terrain_model::SortieId) -> $crate::error::Result<$crate::volunteers::Sortie> {
                let row: $crate::sql_volunteers::SortieRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE s.campaign_id = $1 AND s.id = $2", $crate::sql_volunteers::SORTIE_SELECT)))
                    .bind(campaign.0).bind(id.0).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("sortie", id))?;
                self.load_sorties(campaign, vec![row]).await?.pop()
                    .ok_or_else(|| $crate::error::StorageError::NotFound { what: "sortie", key: id.to_string() })
            }

            async fn sorties(&self, campaign: terrain_model::CampaignId, q: &$crate::volunteers::SortieQuery)
                -> $crate::error::Result<Vec<$crate::volunteers::Sortie>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new($crate::sql_volunteers::SORTIE_SELECT);
                qb.push(" WHERE s.campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(f) = q.from {
                    qb.push(" AND s.ends_at > ");
                    qb.push_bind($crate::sql_volunteers::db_time(f));
                }
                if let Some(t) = q.to {
                    qb.push(" AND s.starts_at < ");
                    qb.push_bind($crate::sql_volunteers::db_time(t));
                }
                if let $crate::types::Scope::Within(paths) = &q.scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                if let Some(v) = q.participant {
                    qb.push(" AND (EXISTS (SELECT 1 FROM sortie_participants p WHERE p.campaign_id = s.campaign_id AND p.sortie_id = s.id AND p.volunteer_id = ");
                    qb.push_bind(v.0);
                    qb.push(")");
                    match &q.open_in {
                        Some($crate::types::Scope::Campaign) => { qb.push(" OR s.open_signup = TRUE"); }
                        Some($crate::types::Scope::Within(paths)) => {
                            qb.push(" OR (s.open_signup = TRUE");
                            $crate::sql::push_within(&mut qb, "t.path", paths);
                            qb.push(")");
                        }
                        None => {}
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY s.starts_at, s.id LIMIT ");
                qb.push_bind(i64::from(q.limit.clamp(1, 1000)));
                let rows: Vec<$crate::sql_volunteers::SortieRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                self.load_sorties(campaign, rows).await
            }

            #[tracing::instrument(skip(self, audit, u))]
            async fn set_participant(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                sortie: terrain_model::SortieId, volunteer: terrain_model::VolunteerId, u: &$crate::volunteers::ParticipantUpdate)
                -> $crate::error::Result<$crate::volunteers::Sortie> {
                use $crate::volunteers::ParticipantStatus;
                let s = self.sortie(campaign, sortie).await?;
                let v = self.volunteer(campaign, volunteer).await?;
                let settings = self.volunteer_settings(campaign).await?;
                let before = s.participant(volunteer).cloned();
                let status = u.status.or(before.as_ref().map(|p| p.status)).unwrap_or(ParticipantStatus::Invited);
                let mut area = match u.area {
                    Some(a) => a,
                    None => before.as_ref().and_then(|p| p.area_id),
                };
                if let Some(a) = area && !s.areas.iter().any(|x| x.territory.id == a) {
                    return Err($crate::error::StorageError::Invalid { what: "participant", reason: "that area is not one of the sortie's".into() });
                }
                if status == ParticipantStatus::Declined {
                    area = None;
                }
                let now = $crate::sql_volunteers::db_now();
                let mut tx = self.begin_write().await?;
                // Touching the volunteer's row first makes two answers of the same person queue,
                // so the overlap check below sees the other.
                sqlx::query("UPDATE volunteers SET status = status WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(volunteer.0).execute(&mut *tx).await?;
                if status == ParticipantStatus::Accepted {
                    if settings.turfs_require_training && !v.status.is_trained() {
                        return Err($crate::error::StorageError::Invalid { what: "untrained volunteer",
                            reason: format!("{} is not trained yet: the campaign gives turfs only to trained walkers", v.display_name) });
                    }
                    let clash: Option<(String, time::OffsetDateTime)> = sqlx::query_as(
                        "SELECT s.title, s.starts_at FROM sortie_participants p JOIN sorties s ON s.campaign_id = p.campaign_id AND s.id = p.sortie_id \
                         WHERE p.campaign_id = $1 AND p.volunteer_id = $2 AND p.status = 'accepted' AND s.id <> $3 \
                           AND s.starts_at < $4 AND s.ends_at > $5 ORDER BY s.starts_at LIMIT 1")
                        .bind(campaign.0).bind(volunteer.0).bind(sortie.0).bind(s.ends_at).bind(s.starts_at)
                        .fetch_optional(&mut *tx).await?;
                    if let Some((title, _)) = clash {
                        return Err($crate::error::StorageError::Conflict { what: "schedule", key: title });
                    }
                    if area.is_none() {
                        // Where fewest people go yet: pairs form by themselves.
                        area = s.areas.iter()
                            .map(|a| (a.accepted - u32::from(before.as_ref().is_some_and(|p| p.status == ParticipantStatus::Accepted && p.area_id == Some(a.territory.id))), a.territory.id))
                            .min_by_key(|(n, _)| *n)
                            .map(|(_, id)| id);
                    }
                }
                let responded = if u.status.is_some() { Some(now) } else { before.as_ref().and_then(|p| p.responded_at) };
                let attended = u.attended.or(before.as_ref().and_then(|p| p.attended));
                sqlx::query(
                    "INSERT INTO sortie_participants (campaign_id, sortie_id, volunteer_id, status, area_id, attended, responded_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (campaign_id, sortie_id, volunteer_id) DO UPDATE SET status = excluded.status, area_id = excluded.area_id, \
                       attended = excluded.attended, responded_at = excluded.responded_at")
                    .bind(campaign.0).bind(sortie.0).bind(volunteer.0).bind(status.as_str()).bind(area.map(|a| a.0))
                    .bind(attended).bind(responded).bind(now)
                    .execute(&mut *tx).await?;
                if status == ParticipantStatus::Accepted || attended == Some(true) {
                    let next = v.status.after_event(terrain_model::VolunteerStatus::Active);
                    if next != v.status {
                        sqlx::query("UPDATE volunteers SET status = $1, status_at = $2 WHERE campaign_id = $3 AND id = $4")
                            .bind(next.as_str()).bind(now).bind(campaign.0).bind(volunteer.0).execute(&mut *tx).await?;
                    }
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "sortie.participant", sortie.to_string(),
                    serde_json::json!({"volunteer": volunteer, "status": status, "area": area, "attended": attended})).await?;
                tx.commit().await?;
                self.sortie(campaign, sortie).await
            }

            async fn create_feed(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                owner: $crate::volunteers::FeedOwner, token_hash: &str) -> $crate::error::Result<()> {
                use $crate::volunteers::FeedOwner;
                let (v, t) = match owner {
                    FeedOwner::Volunteer(v) => { self.volunteer(campaign, v).await?; (Some(v.0), None) }
                    FeedOwner::Team(t) => { self.team(campaign, t).await?; (None, Some(t.0)) }
                };
                let now = $crate::sql_volunteers::db_now();
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE campaign_id = $2 AND revoked_at IS NULL \
                             AND (volunteer_id = $3 OR team_id = $4)")
                    .bind(now).bind(campaign.0).bind(v).bind(t).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO calendar_feeds (campaign_id, id, token_hash, volunteer_id, team_id, created_at, revoked_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                    .bind(campaign.0).bind(id).bind(token_hash).bind(v).bind(t).bind(now).execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "calendar_feed.create", id.to_string(),
                    serde_json::json!({"volunteer": v, "team": t})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn feed(&self, token_hash: &str) -> $crate::error::Result<Option<(terrain_model::CampaignId, $crate::volunteers::FeedOwner)>> {
                let row: Option<(uuid::Uuid, Option<uuid::Uuid>, Option<uuid::Uuid>)> = sqlx::query_as(
                    "SELECT campaign_id, volunteer_id, team_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL")
                    .bind(token_hash).fetch_optional(&self.pool).await?;
                Ok(row.and_then(|(c, v, t)| {
                    let owner = match (v, t) {
                        (Some(v), _) => $crate::volunteers::FeedOwner::Volunteer(terrain_model::VolunteerId(v)),
                        (None, Some(t)) => $crate::volunteers::FeedOwner::Team(terrain_model::TeamId(t)),
                        (None, None) => return None,
                    };
                    Some((terrain_model::CampaignId(c), owner))
                }))
            }

            async fn tallies(&self, campaign: terrain_model::CampaignId, scope: &$crate::types::Scope, now: time::OffsetDateTime)
                -> $crate::error::Result<Vec<$crate::volunteers::VolunteerTally>> {
                use $crate::sql_volunteers::{ACTIVITY_KINDS, ACTIVITY_SOURCES};
                self.sync_member_volunteers(campaign).await?;
                let sums: Vec<String> = ACTIVITY_KINDS.iter().map(|k| {
                    format!("COALESCE(SUM(CASE WHEN a.kind = '{k}' THEN a.n ELSE 0 END), 0) AS {k}s")
                }).collect();
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT v.id, v.display_name, t.path, {} FROM volunteers v \
                     LEFT JOIN territories t ON t.campaign_id = v.campaign_id AND t.id = v.territory_id \
                     LEFT JOIN (", sums.join(", ")));
                for (i, src) in ACTIVITY_SOURCES.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    // A source may name the moment counted up to as $1 (once).
                    match src.split_once("$1") {
                        Some((head, tail)) => {
                            qb.push(head);
                            qb.push_bind($crate::sql_volunteers::db_time(now));
                            qb.push(tail);
                        }
                        None => { qb.push(*src); }
                    }
                }
                qb.push(") a ON a.campaign_id = v.campaign_id AND a.volunteer_id = v.id WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" GROUP BY v.id, v.display_name, t.path ORDER BY v.display_name, v.id");
                let rows: Vec<$crate::sql_volunteers::TallyRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut teams: std::collections::HashMap<terrain_model::VolunteerId, Vec<terrain_model::TeamId>> = std::collections::HashMap::new();
                let links: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "SELECT volunteer_id, team_id FROM team_members WHERE campaign_id = $1 ORDER BY team_id")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                for (v, t) in links {
                    teams.entry(terrain_model::VolunteerId(v)).or_default().push(terrain_model::TeamId(t));
                }
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok(rows.into_iter().map(|r| $crate::volunteers::VolunteerTally {
                    volunteer_id: terrain_model::VolunteerId(r.id),
                    display_name: r.display_name,
                    territory: r.path.map(terrain_model::TerritoryPath::from_stored),
                    teams: teams.remove(&terrain_model::VolunteerId(r.id)).unwrap_or_default(),
                    sorties: n(r.sorties),
                    trainings: n(r.trainings),
                    doors: n(r.doors),
                    conversations: n(r.conversations),
                    questionnaires: n(r.questionnaires),
                }).collect())
            }
        }
    };
}

pub(crate) use volunteer_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ancestors_stop_at_segment_boundaries() {
        let p = |s: &str| TerritoryPath::from_stored(s.to_string());
        let a = p("/department:75/commune:75056/arrondissement:75118");
        let b = p("/department:75/commune:75056/arrondissement:75119");
        assert_eq!(
            common_ancestor(&[a.clone(), b]).unwrap().as_str(),
            "/department:75/commune:75056"
        );
        assert_eq!(common_ancestor(std::slice::from_ref(&a)).unwrap(), a);
        assert_eq!(common_ancestor(&[a, p("/department:69")]), None);
        assert_eq!(common_ancestor(&[]), None);
    }
}
