//! The SQL of [`crate::FieldStore`], shared by both backends like [`crate::sql`]. The pure
//! parts (row decoding, the checks of one record) are plain functions; the macro holds what
//! needs the backend's pool.

use crate::error::{Result, StorageError};
use crate::field::*;
use crate::types::Scope;
use std::collections::HashMap;
use terrain_model::questionnaire::{ConsentPurpose, Definition, QuestionKind};
use terrain_model::{BuildingId, Door, Outcome, Questionnaire, TerritoryPath, UnitId};
use time::OffsetDateTime;
use uuid::Uuid;

/// The longest door label, contact field or name accepted from a phone.
const MAX_LABEL: usize = 60;
const MAX_CONTACT: usize = 200;

#[derive(sqlx::FromRow)]
pub(crate) struct QuestionnaireRow {
    pub(crate) campaign_id: Uuid,
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    id: Uuid,
    questionnaire_id: Uuid,
    number: i32,
    status: String,
    definition: sqlx::types::Json<serde_json::Value>,
    created_at: OffsetDateTime,
    published_at: Option<OffsetDateTime>,
}

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Invalid {
        what,
        reason: format!("stored value cannot be read back: {reason}"),
    }
}

/// Reads a stored definition back into a checked questionnaire.
pub(crate) fn parse_definition(v: serde_json::Value) -> Result<Questionnaire> {
    let def: Definition = serde_json::from_value(v).map_err(|e| corrupt("questionnaire", e))?;
    Questionnaire::parse(def).map_err(|e| corrupt("questionnaire", e))
}

impl VersionRow {
    pub(crate) fn questionnaire_id(&self) -> Uuid {
        self.questionnaire_id
    }
}

impl TryFrom<VersionRow> for QuestionnaireVersion {
    type Error = StorageError;
    fn try_from(r: VersionRow) -> Result<Self> {
        let status = match r.status.as_str() {
            "draft" => VersionStatus::Draft,
            "published" => VersionStatus::Published,
            "retired" => VersionStatus::Retired,
            other => return Err(corrupt("questionnaire version", other)),
        };
        Ok(QuestionnaireVersion {
            id: r.id,
            questionnaire_id: r.questionnaire_id,
            number: u32::try_from(r.number).unwrap_or(0),
            status,
            questionnaire: parse_definition(r.definition.0)?,
            created_at: r.created_at,
            published_at: r.published_at,
        })
    }
}

/// Groups versions under their questionnaires (versions sorted by number).
pub(crate) fn assemble(
    qs: Vec<QuestionnaireRow>,
    versions: Vec<VersionRow>,
) -> Result<Vec<QuestionnaireInfo>> {
    let mut by_q: HashMap<Uuid, Vec<QuestionnaireVersion>> = HashMap::new();
    for v in versions {
        let q = v.questionnaire_id();
        by_q.entry(q).or_default().push(v.try_into()?);
    }
    Ok(qs
        .into_iter()
        .map(|q| {
            let mut versions = by_q.remove(&q.id).unwrap_or_default();
            versions.sort_by_key(|v| v.number);
            QuestionnaireInfo {
                id: q.id,
                campaign_id: terrain_model::CampaignId(q.campaign_id),
                name: q.name,
                created_at: q.created_at,
                versions,
            }
        })
        .collect())
}

/// Checks a questionnaire's name.
pub(crate) fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(StorageError::Invalid {
            what: "questionnaire",
            reason: "the name must have 1 to 200 characters".into(),
        });
    }
    Ok(name.to_string())
}

/// What the store knows of an address a record points at.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct AddressRef {
    pub(crate) id: Uuid,
    pub(crate) bureau_id: Option<Uuid>,
    pub(crate) iris_id: Option<Uuid>,
    pub(crate) bureau_path: Option<String>,
    pub(crate) iris_path: Option<String>,
}

impl AddressRef {
    /// Whether the address lies in the scope (through its bureau or its IRIS).
    pub(crate) fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Campaign => true,
            Scope::Within(_) => [&self.bureau_path, &self.iris_path]
                .into_iter()
                .flatten()
                .any(|p| scope.covers(&TerritoryPath::from_stored(p.clone()))),
        }
    }
}

/// A version a response points at.
pub(crate) struct VersionRef {
    pub(crate) status: String,
    pub(crate) questionnaire: Questionnaire,
}

/// Everything a batch refers to, read once before its records are checked.
#[derive(Default)]
pub(crate) struct Refs {
    /// Building → its address.
    pub(crate) buildings: HashMap<Uuid, Uuid>,
    pub(crate) addresses: HashMap<Uuid, AddressRef>,
    /// Unit → its building (stored units and the batch's new ones).
    pub(crate) units: HashMap<Uuid, Uuid>,
    pub(crate) versions: HashMap<Uuid, VersionRef>,
}

/// Why a record was not stored: a stable code and a sentence.
pub(crate) type Refusal = (&'static str, String);

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    (code, message.into())
}

/// A record ready to be written.
pub(crate) enum Prepared {
    Visit {
        address: AddressRef,
        building_id: Uuid,
        unit_id: Option<Uuid>,
        door_number: Option<i32>,
        door_key: String,
        outcome: Outcome,
        turf_id: Option<Uuid>,
        position: Option<[f64; 2]>,
    },
    Response {
        address: AddressRef,
        version_id: Uuid,
        checked: terrain_model::questionnaire::CheckedAnswers,
        contact: Option<(Contact, String)>,
    },
    Unit {
        building_id: Uuid,
        floor: Option<i32>,
        label: String,
    },
    DoorCount {
        building_id: Uuid,
        doors: i32,
    },
}

impl Refs {
    fn building(&self, b: BuildingId, scope: &Scope) -> Result<(Uuid, &AddressRef), Refusal> {
        let address = self.buildings.get(&b.0).ok_or_else(|| {
            refuse(
                "building_not_found",
                format!("building {b} does not exist in this campaign"),
            )
        })?;
        let a = self.addresses.get(address).ok_or_else(|| {
            refuse(
                "address_not_found",
                format!("the address of building {b} does not exist"),
            )
        })?;
        if !a.in_scope(scope) {
            return Err(refuse(
                "out_of_scope",
                format!("building {b} is outside your territories"),
            ));
        }
        Ok((*address, a))
    }

    /// Checks one record against the references and the rules; says why when it cannot be
    /// stored.
    pub(crate) fn prepare(&self, r: &FieldRecord, scope: &Scope) -> Result<Prepared, Refusal> {
        match &r.body {
            RecordBody::Visit(v) => {
                let (address_id, address) = self.building(v.building_id, scope)?;
                if address_id != v.address_id.0 {
                    return Err(refuse(
                        "invalid_record",
                        format!(
                            "building {} is not at address {}",
                            v.building_id, v.address_id
                        ),
                    ));
                }
                let (unit_id, door_number) = match v.door {
                    None => (None, None),
                    Some(Door::Number(n)) => {
                        if n == 0 || n > terrain_model::field::MAX_DOOR_NUMBER {
                            return Err(refuse(
                                "invalid_record",
                                format!("door number {n} is not between 1 and 999"),
                            ));
                        }
                        (None, Some(n as i32))
                    }
                    Some(Door::Unit(u)) => {
                        // A unit added on another phone may arrive later: unknown units are
                        // accepted, known ones must be in this building.
                        if self.units.get(&u.0).is_some_and(|b| *b != v.building_id.0) {
                            return Err(refuse(
                                "invalid_record",
                                format!("door {u} is not in building {}", v.building_id),
                            ));
                        }
                        (Some(u.0), None)
                    }
                };
                if let Some([lon, lat]) = v.position
                    && !(lon.is_finite()
                        && lat.is_finite()
                        && (-180.0..=180.0).contains(&lon)
                        && (-90.0..=90.0).contains(&lat))
                {
                    return Err(refuse(
                        "invalid_record",
                        "the position is not a longitude/latitude",
                    ));
                }
                Ok(Prepared::Visit {
                    address: address.clone(),
                    building_id: v.building_id.0,
                    unit_id,
                    door_number,
                    door_key: v.door.map_or_else(|| "*".to_string(), |d| d.key()),
                    outcome: v.outcome,
                    turf_id: v.turf_id,
                    position: v.position,
                })
            }
            RecordBody::Response(resp) => {
                let version =
                    published_version(resp.version_id, self.versions.get(&resp.version_id))?;
                let address = self.addresses.get(&resp.address_id.0).ok_or_else(|| {
                    refuse(
                        "address_not_found",
                        format!(
                            "address {} does not exist in this campaign",
                            resp.address_id
                        ),
                    )
                })?;
                if !address.in_scope(scope) {
                    return Err(refuse(
                        "out_of_scope",
                        format!("address {} is outside your territories", resp.address_id),
                    ));
                }
                let checked = check_answers(version, &resp.answers).map_err(|e| e.refusal)?;
                let contact = match &resp.contact {
                    None => None,
                    Some(_) if !checked.recontact_consent => {
                        return Err(refuse(
                            "contact_without_consent",
                            "contact details are kept only when the respondent agreed to be recontacted",
                        ));
                    }
                    Some(c) => {
                        let c = check_contact(c)?;
                        let statement = version
                            .questionnaire
                            .consent(ConsentPurpose::Recontact)
                            .and_then(|q| match &q.kind {
                                QuestionKind::Consent { statement, .. } => Some(statement.clone()),
                                _ => None,
                            })
                            .unwrap_or_default();
                        Some((c, statement))
                    }
                };
                Ok(Prepared::Response {
                    address: address.clone(),
                    version_id: resp.version_id,
                    checked,
                    contact,
                })
            }
            RecordBody::Unit {
                building_id,
                floor,
                label,
            } => {
                self.building(*building_id, scope)?;
                let label = label.trim();
                if label.is_empty() || label.chars().count() > MAX_LABEL {
                    return Err(refuse(
                        "invalid_record",
                        "a door needs a label of 1 to 60 characters",
                    ));
                }
                if floor.is_some_and(|f| !(-5..=200).contains(&f)) {
                    return Err(refuse(
                        "invalid_record",
                        "the floor is not between -5 and 200",
                    ));
                }
                Ok(Prepared::Unit {
                    building_id: building_id.0,
                    floor: *floor,
                    label: label.to_string(),
                })
            }
            RecordBody::DoorCount { building_id, doors } => {
                self.building(*building_id, scope)?;
                if *doors > terrain_model::field::MAX_DOOR_NUMBER {
                    return Err(refuse("invalid_record", "a building has at most 999 doors"));
                }
                Ok(Prepared::DoorCount {
                    building_id: building_id.0,
                    doors: *doors as i32,
                })
            }
        }
    }
}

/// The version a response points at, when it may collect answers (published or retired: a
/// phone may still hold a retired version's package). Shared by phones and paper.
pub(crate) fn published_version(
    id: Uuid,
    version: Option<&VersionRef>,
) -> Result<&VersionRef, Refusal> {
    let version = version.ok_or_else(|| {
        refuse(
            "questionnaire_not_found",
            format!("questionnaire version {id} does not exist"),
        )
    })?;
    if version.status == "draft" {
        return Err(refuse(
            "questionnaire_not_published",
            format!("questionnaire version {id} is a draft: publish it before collecting answers"),
        ));
    }
    Ok(version)
}

/// Answers that do not fit their questionnaire: the refusal, and the question at fault.
pub(crate) struct AnswersRefused {
    pub(crate) refusal: Refusal,
    pub(crate) question: String,
}

/// Checks answers against their version ([`Questionnaire::check`]). Shared by phones and paper.
pub(crate) fn check_answers(
    version: &VersionRef,
    answers: &std::collections::BTreeMap<String, terrain_model::Answer>,
) -> Result<terrain_model::questionnaire::CheckedAnswers, AnswersRefused> {
    version
        .questionnaire
        .check(answers)
        .map_err(|e| AnswersRefused {
            refusal: refuse("invalid_answers", e.to_string()),
            question: e.question,
        })
}

/// A response row, from a phone or keyed in from paper.
pub(crate) struct ResponseRow {
    pub(crate) id: Uuid,
    pub(crate) version_id: Uuid,
    pub(crate) bureau_id: Option<Uuid>,
    pub(crate) iris_id: Option<Uuid>,
    pub(crate) collected_on: time::Date,
    pub(crate) profile: terrain_model::questionnaire::RespondentProfile,
    pub(crate) recontact_consent: bool,
    pub(crate) answers: serde_json::Value,
    /// `phone` or `paper`.
    pub(crate) source: &'static str,
}

impl ResponseRow {
    /// The row of checked answers, under a new random id (never the client's: see the
    /// migration 0007).
    pub(crate) fn new(
        version_id: Uuid,
        bureau_id: Option<Uuid>,
        iris_id: Option<Uuid>,
        collected_on: time::Date,
        checked: terrain_model::questionnaire::CheckedAnswers,
        source: &'static str,
    ) -> Result<Self> {
        let answers =
            serde_json::to_value(&checked.answers).map_err(|e| StorageError::Invalid {
                what: "response",
                reason: e.to_string(),
            })?;
        Ok(Self {
            id: Uuid::new_v4(),
            version_id,
            bureau_id,
            iris_id,
            collected_on,
            profile: checked.profile,
            recontact_consent: checked.recontact_consent,
            answers,
            source,
        })
    }
}

/// The paper entry row as listed: see [`PaperEntry`].
pub(crate) type PaperRow = (
    Uuid,
    Uuid,
    Uuid,
    i32,
    Uuid,
    String,
    Uuid,
    String,
    String,
    String,
    time::Date,
    String,
    Uuid,
    Option<String>,
    OffsetDateTime,
);

/// The columns of a [`PaperRow`], for `FROM paper_entries p JOIN responses r … JOIN
/// questionnaire_versions v … JOIN questionnaires q … JOIN territories t … LEFT JOIN users u`.
pub(crate) const PAPER_SELECT: &str = "SELECT p.response_id, p.client_id, r.version_id, v.number, v.questionnaire_id, q.name, \
     r.bureau_id, t.code, t.name, t.path, r.collected_on, p.sheet_ref, p.keyed_by, u.display_name, p.keyed_at \
     FROM paper_entries p JOIN responses r ON r.campaign_id = p.campaign_id AND r.id = p.response_id \
     JOIN questionnaire_versions v ON v.campaign_id = r.campaign_id AND v.id = r.version_id \
     JOIN questionnaires q ON q.campaign_id = v.campaign_id AND q.id = v.questionnaire_id \
     JOIN territories t ON t.campaign_id = r.campaign_id AND t.id = r.bureau_id \
     LEFT JOIN users u ON u.id = p.keyed_by WHERE p.campaign_id = ";

/// Reads a listed paper entry.
pub(crate) fn paper_entry(r: PaperRow) -> PaperEntry {
    let (
        response_id,
        client_id,
        version_id,
        number,
        questionnaire_id,
        questionnaire_name,
        bureau_id,
        bureau_code,
        bureau_name,
        bureau_path,
        collected_on,
        sheet_ref,
        keyed_by,
        name,
        keyed_at,
    ) = r;
    PaperEntry {
        response_id,
        client_id,
        version_id,
        version_number: u32::try_from(number).unwrap_or(0),
        questionnaire_id,
        questionnaire_name,
        bureau_id,
        bureau_code,
        bureau_name,
        bureau_path: TerritoryPath::from_stored(bureau_path),
        collected_on,
        sheet_ref,
        keyed_by: terrain_model::UserId(keyed_by),
        keyed_by_name: name.unwrap_or_default(),
        keyed_at,
    }
}

/// The checks of a paper sheet that need no database: its number and its day (`campaign_day`:
/// the day the campaign was created; `today`: the server's day).
pub(crate) fn check_paper_sheet(
    sheet: &NewPaperResponse,
    campaign_day: time::Date,
    today: time::Date,
) -> Result<String, Refusal> {
    let sheet_ref = sheet.sheet_ref.trim();
    if sheet_ref.is_empty() || sheet_ref.chars().count() > MAX_SHEET_REF {
        return Err(refuse(
            "invalid_sheet_ref",
            format!("sheet_ref: the sheet number must have 1 to {MAX_SHEET_REF} characters"),
        ));
    }
    if sheet_ref.chars().any(char::is_control) {
        return Err(refuse(
            "invalid_sheet_ref",
            "sheet_ref: the sheet number has a control character",
        ));
    }
    // A day of margin: the server's clock is UTC, the sheet's day is French.
    if sheet.collected_on > today.next_day().unwrap_or(today) {
        return Err(refuse(
            "invalid_date",
            format!("collected_on: {} is in the future", sheet.collected_on),
        ));
    }
    let earliest = campaign_day - time::Duration::days(PAPER_DAYS_BEFORE_CAMPAIGN);
    if sheet.collected_on < earliest {
        return Err(refuse(
            "invalid_date",
            format!(
                "collected_on: {} is more than a year before the campaign began ({campaign_day}): check the year",
                sheet.collected_on
            ),
        ));
    }
    Ok(sheet_ref.to_string())
}

fn check_contact(c: &Contact) -> Result<Contact, Refusal> {
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let name = c.name.trim().to_string();
    let phone = clean(&c.phone);
    let email = clean(&c.email);
    if name.is_empty() || name.chars().count() > MAX_CONTACT {
        return Err(refuse(
            "invalid_record",
            "the contact needs a name (200 characters at most)",
        ));
    }
    if phone.is_none() && email.is_none() {
        return Err(refuse(
            "invalid_record",
            "the contact needs a phone number or an e-mail",
        ));
    }
    if phone.as_deref().is_some_and(|p| {
        p.len() > 30
            || !p
                .chars()
                .all(|ch| ch.is_ascii_digit() || " +.-()".contains(ch))
    }) {
        return Err(refuse(
            "invalid_record",
            "the phone number has characters a phone number does not",
        ));
    }
    if email
        .as_deref()
        .is_some_and(|e| e.len() > MAX_CONTACT || !e.contains('@'))
    {
        return Err(refuse("invalid_record", "the e-mail is not an address"));
    }
    Ok(Contact { name, phone, email })
}

/// The ids a batch refers to, by kind.
pub(crate) struct Wanted {
    pub(crate) buildings: Vec<Uuid>,
    pub(crate) addresses: Vec<Uuid>,
    pub(crate) units: Vec<Uuid>,
    pub(crate) versions: Vec<Uuid>,
}

/// What a batch refers to.
pub(crate) fn wanted(batch: &SyncBatch) -> Wanted {
    let mut w = Wanted {
        buildings: vec![],
        addresses: vec![],
        units: vec![],
        versions: vec![],
    };
    for r in &batch.records {
        match &r.body {
            RecordBody::Visit(v) => {
                w.buildings.push(v.building_id.0);
                w.addresses.push(v.address_id.0);
                if let Some(u) = v.door.and_then(|d| d.unit()) {
                    w.units.push(u.0);
                }
            }
            RecordBody::Response(resp) => {
                w.addresses.push(resp.address_id.0);
                w.versions.push(resp.version_id);
            }
            RecordBody::Unit { building_id, .. } | RecordBody::DoorCount { building_id, .. } => {
                w.buildings.push(building_id.0)
            }
        }
    }
    for v in [
        &mut w.buildings,
        &mut w.addresses,
        &mut w.units,
        &mut w.versions,
    ] {
        v.sort_unstable();
        v.dedup();
    }
    w
}

/// A stored visit as packages read it: building, unit, door number, outcome, time, id.
pub(crate) type VisitRow = (
    Uuid,
    Option<Uuid>,
    Option<i32>,
    String,
    OffsetDateTime,
    Uuid,
);

/// The latest status of every door from its visits `(building, unit, number, outcome, at, id)`.
pub(crate) fn door_statuses(
    visits: Vec<VisitRow>,
    flags: Vec<(Uuid, String)>,
) -> HashMap<Uuid, Vec<DoorStatus>> {
    let mut latest: HashMap<(Uuid, Door), (OffsetDateTime, Uuid, Outcome)> = HashMap::new();
    for (b, unit, number, outcome, at, id) in visits {
        let Some(door) =
            Door::from_parts(unit.map(UnitId), number.and_then(|n| u32::try_from(n).ok()))
        else {
            continue;
        };
        let Ok(outcome) = outcome.parse::<Outcome>() else {
            continue;
        };
        let e = latest.entry((b, door)).or_insert((at, id, outcome));
        if (at, id) > (e.0, e.1) {
            *e = (at, id, outcome);
        }
    }
    let flagged: std::collections::HashSet<(Uuid, String)> = flags.into_iter().collect();
    let mut out: HashMap<Uuid, Vec<DoorStatus>> = HashMap::new();
    for ((b, door), (at, _, outcome)) in latest {
        out.entry(b).or_default().push(DoorStatus {
            door,
            last_outcome: Some(outcome),
            last_at: Some(at),
            do_not_knock: flagged.contains(&(b, door.key())),
        });
    }
    // Flags whose visit named no door flag the whole building; flags are kept even when the
    // door's visits are gone.
    for (b, key) in &flagged {
        let door = key
            .strip_prefix("n:")
            .and_then(|n| n.parse().ok())
            .map(Door::Number)
            .or_else(|| {
                key.strip_prefix("u:")
                    .and_then(|u| u.parse().ok())
                    .map(Door::Unit)
            });
        if let Some(door) = door {
            let list = out.entry(*b).or_default();
            if !list.iter().any(|d| d.door == door) {
                list.push(DoorStatus {
                    door,
                    last_outcome: None,
                    last_at: None,
                    do_not_knock: true,
                });
            }
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|d| d.door);
    }
    out
}

/// Generates `impl FieldStore` for a backend made by `sql_store!`.
macro_rules! field_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn versions_of(
                &self,
                campaign: terrain_model::CampaignId,
                questionnaire: Option<uuid::Uuid>,
            ) -> $crate::error::Result<Vec<$crate::sql_field::VersionRow>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, questionnaire_id, number, status, definition, created_at, published_at \
                     FROM questionnaire_versions WHERE campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(q) = questionnaire {
                    qb.push(" AND questionnaire_id = ");
                    qb.push_bind(q);
                }
                qb.push(" ORDER BY questionnaire_id, number");
                Ok(qb.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn version_by_id(&self, campaign: terrain_model::CampaignId, id: uuid::Uuid)
                -> $crate::error::Result<$crate::field::QuestionnaireVersion> {
                let row: $crate::sql_field::VersionRow = sqlx::query_as(
                    "SELECT id, questionnaire_id, number, status, definition, created_at, published_at \
                     FROM questionnaire_versions WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id)
                    .fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("questionnaire version", id))?;
                row.try_into()
            }

            /// Reads what a batch refers to, inside its transaction.
            async fn sync_refs(
                tx: &mut sqlx::Transaction<'static, $db>,
                campaign: terrain_model::CampaignId,
                batch: &$crate::field::SyncBatch,
            ) -> $crate::error::Result<$crate::sql_field::Refs> {
                let mut w = $crate::sql_field::wanted(batch);
                let mut refs = $crate::sql_field::Refs::default();
                for chunk in w.buildings.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, address_id FROM buildings WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    for (b, a) in rows {
                        refs.buildings.insert(b, a);
                        w.addresses.push(a);
                    }
                }
                w.addresses.sort_unstable();
                w.addresses.dedup();
                for chunk in w.addresses.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT a.id, a.bureau_id, a.iris_id, tb.path AS bureau_path, ti.path AS iris_path FROM addresses a \
                         LEFT JOIN territories tb ON tb.campaign_id = a.campaign_id AND tb.id = a.bureau_id \
                         LEFT JOIN territories ti ON ti.campaign_id = a.campaign_id AND ti.id = a.iris_id \
                         WHERE a.campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND a.id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<$crate::sql_field::AddressRef> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    for r in rows {
                        refs.addresses.insert(r.id, r);
                    }
                }
                for chunk in w.units.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, building_id FROM units WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    refs.units.extend(rows);
                }
                for r in &batch.records {
                    if let $crate::field::RecordBody::Unit { building_id, .. } = &r.body {
                        refs.units.entry(r.id).or_insert(building_id.0);
                    }
                }
                for chunk in w.versions.chunks(100) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, status, definition FROM questionnaire_versions WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(uuid::Uuid, String, sqlx::types::Json<serde_json::Value>)> =
                        qb.build_query_as().fetch_all(&mut **tx).await?;
                    for (id, status, def) in rows {
                        let questionnaire = $crate::sql_field::parse_definition(def.0)?;
                        refs.versions.insert(id, $crate::sql_field::VersionRef { status, questionnaire });
                    }
                }
                Ok(refs)
            }

            /// Writes checked records, many rows per statement: first their receipts, then —
            /// for the records whose receipt is new — their rows. Returns the ids whose receipt
            /// already existed (a concurrent upload stored them first): nothing of theirs is
            /// written again.
            async fn write_records(
                tx: &mut sqlx::Transaction<'static, $db>,
                campaign: terrain_model::CampaignId,
                user: terrain_model::UserId,
                device: uuid::Uuid,
                records: Vec<(&$crate::field::FieldRecord, $crate::sql_field::Prepared)>,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<std::collections::HashSet<uuid::Uuid>> {
                use $crate::sql_field::Prepared;
                let mut fresh: std::collections::HashSet<uuid::Uuid> = std::collections::HashSet::with_capacity(records.len());
                for chunk in records.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO field_receipts (campaign_id, id, kind, user_id, device_id, received_at) ");
                    qb.push_values(chunk, |mut b, (r, _)| {
                        b.push_bind(campaign.0).push_bind(r.id).push_bind(r.body.kind()).push_bind(user.0).push_bind(device).push_bind(now);
                    });
                    qb.push(" ON CONFLICT (campaign_id, id) DO NOTHING RETURNING id");
                    let rows: Vec<(uuid::Uuid,)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    fresh.extend(rows.into_iter().map(|(id,)| id));
                }
                let raced: std::collections::HashSet<uuid::Uuid> =
                    records.iter().map(|(r, _)| r.id).filter(|id| !fresh.contains(id)).collect();
                let mut visits = Vec::new();
                let mut flags = Vec::new();
                let mut responses = Vec::new();
                let mut contacts = Vec::new();
                let mut units = Vec::new();
                let mut counts = Vec::new();
                for (r, p) in records {
                    if raced.contains(&r.id) {
                        continue;
                    }
                    match p {
                        Prepared::Visit { address, building_id, unit_id, door_number, door_key, outcome, turf_id, position } => {
                            if outcome == terrain_model::Outcome::DoNotKnock {
                                flags.push((building_id, door_key, r.id, r.at));
                            }
                            visits.push((r.id, r.at, address, building_id, unit_id, door_number, outcome, turf_id, position));
                        }
                        Prepared::Response { address, version_id, checked, contact } => {
                            // A random id, not the phone's: see the migration.
                            let row = $crate::sql_field::ResponseRow::new(
                                version_id, address.bureau_id, address.iris_id, r.at.date(), checked, "phone")?;
                            if let Some((c, statement)) = contact {
                                contacts.push((row.id, c, address.id, statement, r.at));
                            }
                            responses.push(row);
                        }
                        Prepared::Unit { building_id, floor, label } => units.push((r.id, building_id, floor, label)),
                        Prepared::DoorCount { building_id, doors } => counts.push((r.id, building_id, doors, r.at)),
                    }
                }
                for chunk in visits.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO visits (campaign_id, id, user_id, address_id, building_id, unit_id, door_number, outcome, at, \
                         received_at, bureau_id, iris_id, turf_id, lon, lat) ");
                    qb.push_values(chunk, |mut b, (id, at, address, building_id, unit_id, door_number, outcome, turf_id, position)| {
                        b.push_bind(campaign.0).push_bind(*id).push_bind(user.0).push_bind(address.id).push_bind(*building_id)
                            .push_bind(*unit_id).push_bind(*door_number).push_bind(outcome.as_str()).push_bind(*at).push_bind(now)
                            .push_bind(address.bureau_id).push_bind(address.iris_id).push_bind(*turf_id)
                            .push_bind(position.map(|p| p[0])).push_bind(position.map(|p| p[1]));
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                for chunk in flags.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO door_flags (campaign_id, building_id, door_key, flag, visit_id, set_at) ");
                    qb.push_values(chunk, |mut b, (building_id, door_key, visit, at)| {
                        b.push_bind(campaign.0).push_bind(*building_id).push_bind(door_key.clone()).push_bind("do_not_knock")
                            .push_bind(*visit).push_bind(*at);
                    });
                    qb.push(" ON CONFLICT (campaign_id, building_id, door_key) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                }
                Self::insert_responses(tx, campaign, &responses).await?;
                for chunk in contacts.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO recontacts (campaign_id, response_id, name, phone, email, address_id, statement, consented_at) ");
                    qb.push_values(chunk, |mut b, (response, c, address, statement, at)| {
                        b.push_bind(campaign.0).push_bind(*response).push_bind(c.name.clone()).push_bind(c.phone.clone())
                            .push_bind(c.email.clone()).push_bind(*address).push_bind(statement.clone()).push_bind(*at);
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                for chunk in units.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO units (campaign_id, id, building_id, floor, label) ");
                    qb.push_values(chunk, |mut b, (id, building_id, floor, label)| {
                        b.push_bind(campaign.0).push_bind(*id).push_bind(*building_id).push_bind(*floor).push_bind(label.clone());
                    });
                    qb.push(" ON CONFLICT (campaign_id, id) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                }
                for chunk in counts.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO door_counts (campaign_id, id, building_id, doors, at, user_id) ");
                    qb.push_values(chunk, |mut b, (id, building_id, doors, at)| {
                        b.push_bind(campaign.0).push_bind(*id).push_bind(*building_id).push_bind(*doors).push_bind(*at).push_bind(user.0);
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                let buildings: std::collections::BTreeSet<uuid::Uuid> = counts.iter().map(|(_, b, _, _)| *b).collect();
                for building_id in buildings {
                    // The latest count by the phones' clocks wins, whatever order they arrive in.
                    sqlx::query(
                        "UPDATE buildings SET doors = (SELECT d.doors FROM door_counts d WHERE d.campaign_id = $1 \
                         AND d.building_id = $2 ORDER BY d.at DESC, d.id DESC LIMIT 1) WHERE campaign_id = $3 AND id = $4")
                        .bind(campaign.0).bind(building_id).bind(campaign.0).bind(building_id)
                        .execute(&mut **tx).await?;
                }
                Ok(raced)
            }

            /// Writes responses, many rows per statement: the one way a response is stored,
            /// from a phone or from paper.
            async fn insert_responses(
                tx: &mut sqlx::Transaction<'static, $db>,
                campaign: terrain_model::CampaignId,
                responses: &[$crate::sql_field::ResponseRow],
            ) -> $crate::error::Result<()> {
                for chunk in responses.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO responses (campaign_id, id, version_id, bureau_id, iris_id, collected_on, sex, age_band, \
                         occupation, postcode, recontact_consent, answers, source) ");
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(campaign.0).push_bind(r.id).push_bind(r.version_id).push_bind(r.bureau_id)
                            .push_bind(r.iris_id).push_bind(r.collected_on).push_bind(r.profile.sex.clone())
                            .push_bind(r.profile.age_band.clone()).push_bind(r.profile.occupation.clone())
                            .push_bind(r.profile.postcode.clone()).push_bind(r.recontact_consent)
                            .push_bind(sqlx::types::Json(r.answers.clone())).push_bind(r.source);
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Restricts a query on a table with `bureau_id`/`iris_id` columns (alias `alias`)
            /// to the scope.
            fn push_field_scope(qb: &mut sqlx::QueryBuilder<$db>, alias: &str, scope: &$crate::types::Scope) {
                if let $crate::types::Scope::Within(paths) = scope {
                    qb.push(format!(" AND EXISTS (SELECT 1 FROM territories t WHERE t.campaign_id = {alias}.campaign_id \
                                     AND (t.id = {alias}.bureau_id OR t.id = {alias}.iris_id)"));
                    $crate::sql::push_within(qb, "t.path", paths);
                    qb.push(")");
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::field::FieldStore for $store {
            #[tracing::instrument(skip(self, audit, questionnaire))]
            async fn create_questionnaire(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                name: &str,
                questionnaire: &terrain_model::Questionnaire,
            ) -> $crate::error::Result<$crate::field::QuestionnaireInfo> {
                let name = $crate::sql_field::check_name(name)?;
                $crate::Store::campaign(self, campaign).await?;
                let id = uuid::Uuid::now_v7();
                let now = time::OffsetDateTime::now_utc();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO questionnaires (campaign_id, id, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(campaign.0).bind(id).bind(&name).bind(audit.actor.map(|u| u.0)).bind(now)
                    .execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO questionnaire_versions (campaign_id, id, questionnaire_id, number, status, definition, created_at, published_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
                    .bind(campaign.0).bind(uuid::Uuid::now_v7()).bind(id).bind(1_i32).bind("draft")
                    .bind(sqlx::types::Json(questionnaire)).bind(now)
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "questionnaire.create", id.to_string(),
                    serde_json::json!({"name": name, "questions": questionnaire.definition().questions.len()})).await?;
                tx.commit().await?;
                $crate::field::FieldStore::questionnaire(self, campaign, id).await
            }

            async fn questionnaires(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::field::QuestionnaireInfo>> {
                let qs: Vec<$crate::sql_field::QuestionnaireRow> = sqlx::query_as(
                    "SELECT campaign_id, id, name, created_at FROM questionnaires WHERE campaign_id = $1 ORDER BY name, id")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                let versions = self.versions_of(campaign, None).await?;
                $crate::sql_field::assemble(qs, versions)
            }

            async fn questionnaire(&self, campaign: terrain_model::CampaignId, id: uuid::Uuid) -> $crate::error::Result<$crate::field::QuestionnaireInfo> {
                let q: $crate::sql_field::QuestionnaireRow = sqlx::query_as(
                    "SELECT campaign_id, id, name, created_at FROM questionnaires WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("questionnaire", id))?;
                let versions = self.versions_of(campaign, Some(id)).await?;
                $crate::sql_field::assemble(vec![q], versions)?.pop()
                    .ok_or_else(|| $crate::error::StorageError::NotFound { what: "questionnaire", key: id.to_string() })
            }

            #[tracing::instrument(skip(self, audit, questionnaire))]
            async fn save_draft(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                id: uuid::Uuid,
                name: Option<&str>,
                questionnaire: &terrain_model::Questionnaire,
            ) -> $crate::error::Result<$crate::field::QuestionnaireVersion> {
                let name = name.map($crate::sql_field::check_name).transpose()?;
                let mut tx = self.begin_write().await?;
                let exists: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM questionnaires WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err($crate::error::StorageError::NotFound { what: "questionnaire", key: id.to_string() });
                }
                let latest: Option<(uuid::Uuid, i32, String)> = sqlx::query_as(
                    "SELECT id, number, status FROM questionnaire_versions WHERE campaign_id = $1 AND questionnaire_id = $2 \
                     ORDER BY number DESC LIMIT 1")
                    .bind(campaign.0).bind(id).fetch_optional(&mut *tx).await?;
                let now = time::OffsetDateTime::now_utc();
                let version = match latest {
                    Some((vid, _, status)) if status == "draft" => {
                        sqlx::query("UPDATE questionnaire_versions SET definition = $1 WHERE campaign_id = $2 AND id = $3 AND status = 'draft'")
                            .bind(sqlx::types::Json(questionnaire)).bind(campaign.0).bind(vid)
                            .execute(&mut *tx).await?;
                        vid
                    }
                    other => {
                        let number = other.map_or(1, |(_, n, _)| n + 1);
                        let vid = uuid::Uuid::now_v7();
                        sqlx::query(
                            "INSERT INTO questionnaire_versions (campaign_id, id, questionnaire_id, number, status, definition, created_at, published_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
                            .bind(campaign.0).bind(vid).bind(id).bind(number).bind("draft")
                            .bind(sqlx::types::Json(questionnaire)).bind(now)
                            .execute(&mut *tx).await
                            .map_err(|e| match $crate::error::StorageError::from(e) {
                                $crate::error::StorageError::Conflict { .. } => $crate::error::StorageError::Conflict {
                                    what: "questionnaire version", key: format!("{id} version {number}") },
                                other => other,
                            })?;
                        vid
                    }
                };
                if let Some(n) = &name {
                    sqlx::query("UPDATE questionnaires SET name = $1 WHERE campaign_id = $2 AND id = $3")
                        .bind(n).bind(campaign.0).bind(id).execute(&mut *tx).await?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "questionnaire.save_draft", id.to_string(),
                    serde_json::json!({"version": version, "name": name, "questions": questionnaire.definition().questions.len()})).await?;
                tx.commit().await?;
                self.version_by_id(campaign, version).await
            }

            #[tracing::instrument(skip(self, audit))]
            async fn publish_draft(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                id: uuid::Uuid,
            ) -> $crate::error::Result<$crate::field::QuestionnaireVersion> {
                let mut tx = self.begin_write().await?;
                let exists: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM questionnaires WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err($crate::error::StorageError::NotFound { what: "questionnaire", key: id.to_string() });
                }
                let draft: Option<(uuid::Uuid, i32)> = sqlx::query_as(
                    "SELECT id, number FROM questionnaire_versions WHERE campaign_id = $1 AND questionnaire_id = $2 AND status = 'draft'")
                    .bind(campaign.0).bind(id).fetch_optional(&mut *tx).await?;
                let Some((vid, number)) = draft else {
                    return Err($crate::error::StorageError::Invalid {
                        what: "questionnaire", reason: "there is no draft to publish: save a change first".into() });
                };
                let now = time::OffsetDateTime::now_utc();
                sqlx::query("UPDATE questionnaire_versions SET status = 'retired' WHERE campaign_id = $1 AND questionnaire_id = $2 AND status = 'published'")
                    .bind(campaign.0).bind(id).execute(&mut *tx).await?;
                sqlx::query("UPDATE questionnaire_versions SET status = 'published', published_at = $1 WHERE campaign_id = $2 AND id = $3")
                    .bind(now).bind(campaign.0).bind(vid).execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "questionnaire.publish", id.to_string(),
                    serde_json::json!({"version": vid, "number": number})).await?;
                tx.commit().await?;
                self.version_by_id(campaign, vid).await
            }

            async fn published_questionnaires(&self, campaign: terrain_model::CampaignId)
                -> $crate::error::Result<Vec<(String, $crate::field::QuestionnaireVersion)>> {
                let all = $crate::field::FieldStore::questionnaires(self, campaign).await?;
                Ok(all.into_iter().filter_map(|q| {
                    let name = q.name.clone();
                    q.versions.into_iter().find(|v| v.status == $crate::field::VersionStatus::Published).map(|v| (name, v))
                }).collect())
            }

            #[tracing::instrument(skip(self))]
            async fn package_stops(
                &self,
                campaign: terrain_model::CampaignId,
                within: &terrain_model::TerritoryPath,
                limit: u32,
            ) -> $crate::error::Result<Vec<$crate::field::PackageStop>> {
                let addresses = $crate::Store::addresses_within(self, campaign, within, limit, 0).await?;
                let ids: Vec<uuid::Uuid> = addresses.iter().map(|a| a.id.0).collect();
                let mut buildings: Vec<terrain_model::Building> = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT campaign_id, id, address_id, label, doors FROM buildings WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND address_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(") ORDER BY label, id");
                    let rows: Vec<$crate::sql::BuildingRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                    buildings.extend(rows.into_iter().map(terrain_model::Building::from));
                }
                let bids: Vec<uuid::Uuid> = buildings.iter().map(|b| b.id.0).collect();
                let mut units: std::collections::HashMap<uuid::Uuid, Vec<terrain_model::Unit>> = std::collections::HashMap::new();
                let mut visits = Vec::new();
                let mut flags = Vec::new();
                for chunk in bids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT campaign_id, id, building_id, floor, label FROM units WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND building_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(") ORDER BY floor, label, id");
                    let rows: Vec<$crate::sql::UnitRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                    for u in rows.into_iter().map(terrain_model::Unit::from) {
                        units.entry(u.building_id.0).or_default().push(u);
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT building_id, unit_id, door_number, outcome, at, id FROM visits WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND building_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<$crate::sql_field::VisitRow> =
                        qb.build_query_as().fetch_all(&self.pool).await?;
                    visits.extend(rows);
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT building_id, door_key FROM door_flags WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND building_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(uuid::Uuid, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    flags.extend(rows);
                }
                let mut statuses = $crate::sql_field::door_statuses(visits, flags);
                let mut by_address: std::collections::HashMap<uuid::Uuid, Vec<$crate::field::PackageBuilding>> = std::collections::HashMap::new();
                for b in buildings {
                    let key = b.id.0;
                    by_address.entry(b.address_id.0).or_default().push($crate::field::PackageBuilding {
                        units: units.remove(&key).unwrap_or_default(),
                        doors: statuses.remove(&key).unwrap_or_default(),
                        building: b,
                    });
                }
                Ok(addresses.into_iter().map(|a| $crate::field::PackageStop {
                    buildings: by_address.remove(&a.id.0).unwrap_or_default(),
                    address: a,
                }).collect())
            }

            #[tracing::instrument(skip(self, audit, scope, batch), fields(device = %batch.device_id, n = batch.records.len()))]
            async fn apply_sync(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                user: terrain_model::UserId,
                scope: &$crate::types::Scope,
                batch: &$crate::field::SyncBatch,
            ) -> $crate::error::Result<Vec<$crate::field::RecordAck>> {
                use $crate::field::{Ack, RecordAck};
                if batch.records.len() > $crate::field::MAX_BATCH {
                    return Err($crate::error::StorageError::Invalid {
                        what: "batch", reason: format!("{} records: send at most {} per batch", batch.records.len(), $crate::field::MAX_BATCH) });
                }
                let now = time::OffsetDateTime::now_utc();
                let mut tx = self.begin_write().await?;
                let owner: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "INSERT INTO field_devices (campaign_id, id, user_id, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (campaign_id, id) DO UPDATE SET last_seen = excluded.last_seen \
                     WHERE field_devices.user_id = excluded.user_id RETURNING user_id")
                    .bind(campaign.0).bind(batch.device_id).bind(user.0).bind(now).bind(now)
                    .fetch_optional(&mut *tx).await?;
                if owner.is_none() {
                    return Err($crate::error::StorageError::Conflict { what: "device", key: batch.device_id.to_string() });
                }
                // Receipts of records already stored, by whom.
                let ids: Vec<uuid::Uuid> = batch.records.iter().map(|r| r.id).collect();
                let mut receipts: std::collections::HashMap<uuid::Uuid, uuid::Uuid> = std::collections::HashMap::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, user_id FROM field_receipts WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    receipts.extend(rows);
                }
                let refs = Self::sync_refs(&mut tx, campaign, batch).await?;
                let taken = |id: uuid::Uuid| Ack::Rejected {
                    code: "record_id_taken".into(),
                    message: format!("record {id} was uploaded by someone else"),
                };
                // Each record's answer: known at once (already stored, refused), or once written.
                let mut answers: Vec<Option<Ack>> = vec![None; batch.records.len()];
                let mut first: std::collections::HashMap<uuid::Uuid, usize> = std::collections::HashMap::new();
                let mut later: Vec<(usize, usize)> = Vec::new();
                let mut writes = Vec::new();
                for (i, r) in batch.records.iter().enumerate() {
                    if let Some(by) = receipts.get(&r.id) {
                        answers[i] = Some(if *by == user.0 { Ack::Duplicate } else { taken(r.id) });
                    } else if let Some(&j) = first.get(&r.id) {
                        // The same record twice in one batch: answered like the first.
                        later.push((i, j));
                    } else {
                        first.insert(r.id, i);
                        match refs.prepare(r, scope) {
                            Err((code, message)) => answers[i] = Some(Ack::Rejected { code: code.to_string(), message }),
                            Ok(prepared) => writes.push((r, prepared)),
                        }
                    }
                }
                let raced = Self::write_records(&mut tx, campaign, user, batch.device_id, writes, now).await?;
                for (i, r) in batch.records.iter().enumerate() {
                    if answers[i].is_none() && first.get(&r.id) == Some(&i) {
                        answers[i] = Some(if raced.contains(&r.id) {
                            // Stored meanwhile by a concurrent upload.
                            let by: Option<(uuid::Uuid,)> = sqlx::query_as(
                                "SELECT user_id FROM field_receipts WHERE campaign_id = $1 AND id = $2")
                                .bind(campaign.0).bind(r.id).fetch_optional(&mut *tx).await?;
                            if by.is_some_and(|(u,)| u == user.0) { Ack::Duplicate } else { taken(r.id) }
                        } else {
                            Ack::Stored
                        });
                    }
                }
                for (i, j) in later {
                    answers[i] = Some(match &answers[j] {
                        Some(rejected @ Ack::Rejected { .. }) => rejected.clone(),
                        _ => Ack::Duplicate,
                    });
                }
                let (mut stored, mut duplicates, mut rejected) = (0u64, 0u64, 0u64);
                let mut acks: Vec<RecordAck> = Vec::with_capacity(batch.records.len());
                for (r, a) in batch.records.iter().zip(answers) {
                    let ack = a.ok_or_else(|| $crate::error::StorageError::Invalid {
                        what: "batch", reason: format!("record {} was left unanswered", r.id) })?;
                    match &ack {
                        Ack::Stored => stored += 1,
                        Ack::Duplicate => duplicates += 1,
                        Ack::Rejected { .. } => rejected += 1,
                    }
                    acks.push(RecordAck { id: r.id, ack });
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "field.sync", batch.device_id.to_string(),
                    serde_json::json!({"records": batch.records.len(), "stored": stored, "duplicates": duplicates, "rejected": rejected})).await?;
                tx.commit().await?;
                Ok(acks)
            }

            async fn field_progress(&self, campaign: terrain_model::CampaignId, scope: &$crate::types::Scope)
                -> $crate::error::Result<$crate::field::FieldProgress> {
                let mut p = $crate::field::FieldProgress::default();
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT v.outcome, COUNT(*) FROM visits v WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "v", scope);
                qb.push(" GROUP BY v.outcome");
                let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&self.pool).await?;
                for (o, n) in rows {
                    let n = u64::try_from(n).unwrap_or(0);
                    p.visits += n;
                    p.outcomes.insert(o, n);
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT v.building_id, v.unit_id, v.door_number FROM visits v WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "v", scope);
                qb.push(") d");
                let (doors,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                p.doors_visited = u64::try_from(doors).unwrap_or(0);
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(DISTINCT v.user_id) FROM visits v WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "v", scope);
                let (walkers,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                p.walkers = u64::try_from(walkers).unwrap_or(0);
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT r.version_id, COUNT(*) FROM responses r WHERE r.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "r", scope);
                qb.push(" GROUP BY r.version_id");
                let rows: Vec<(uuid::Uuid, i64)> = qb.build_query_as().fetch_all(&self.pool).await?;
                for (v, n) in rows {
                    let n = u64::try_from(n).unwrap_or(0);
                    p.responses += n;
                    p.responses_by_version.insert(v, n);
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM recontacts c JOIN responses r ON r.campaign_id = c.campaign_id AND r.id = c.response_id \
                     WHERE c.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "r", scope);
                let (n,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                p.recontacts = u64::try_from(n).unwrap_or(0);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM door_flags f JOIN buildings b ON b.campaign_id = f.campaign_id AND b.id = f.building_id \
                     JOIN addresses a ON a.campaign_id = b.campaign_id AND a.id = b.address_id WHERE f.campaign_id = ");
                qb.push_bind(campaign.0);
                Self::push_field_scope(&mut qb, "a", scope);
                let (n,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                p.do_not_knock = u64::try_from(n).unwrap_or(0);
                Ok(p)
            }

            async fn recontacts(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::field::Recontact>> {
                let rows: Vec<(uuid::Uuid, String, Option<String>, Option<String>, Option<uuid::Uuid>, String, time::OffsetDateTime, time::Date)> =
                    sqlx::query_as(
                        "SELECT c.response_id, c.name, c.phone, c.email, c.address_id, c.statement, c.consented_at, r.collected_on \
                         FROM recontacts c JOIN responses r ON r.campaign_id = c.campaign_id AND r.id = c.response_id \
                         WHERE c.campaign_id = $1 ORDER BY c.response_id DESC")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(response_id, name, phone, email, address_id, statement, consented_at, collected_on)| {
                    $crate::field::Recontact {
                        response_id,
                        contact: $crate::field::Contact { name, phone, email },
                        address_id: address_id.map(terrain_model::AddressId),
                        statement,
                        consented_at,
                        collected_on,
                    }
                }).collect())
            }

            async fn doors_visited_by_bureau(&self, campaign: terrain_model::CampaignId)
                -> $crate::error::Result<std::collections::BTreeMap<uuid::Uuid, u64>> {
                let rows: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
                    "SELECT d.bureau_id, COUNT(*) FROM (SELECT DISTINCT v.bureau_id, v.building_id, v.unit_id, v.door_number \
                     FROM visits v WHERE v.campaign_id = $1 AND v.bureau_id IS NOT NULL) d GROUP BY d.bureau_id")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(b, n)| (b, u64::try_from(n).unwrap_or(0))).collect())
            }

            async fn visit_traces(
                &self,
                campaign: terrain_model::CampaignId,
                scope: &$crate::types::Scope,
                since: time::OffsetDateTime,
                limit: u32,
            ) -> $crate::error::Result<Vec<$crate::field::VisitTrace>> {
                type Row = (uuid::Uuid, time::OffsetDateTime, uuid::Uuid, f64, f64, String, Option<uuid::Uuid>,
                            Option<uuid::Uuid>, Option<f64>, Option<f64>);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT v.user_id, v.at, v.building_id, a.lon, a.lat, v.outcome, v.turf_id, v.bureau_id, v.lon, v.lat \
                     FROM visits v JOIN addresses a ON a.campaign_id = v.campaign_id AND a.id = v.address_id \
                     WHERE v.campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND v.at >= ");
                qb.push_bind(since);
                Self::push_field_scope(&mut qb, "v", scope);
                qb.push(" ORDER BY v.at DESC LIMIT ");
                qb.push_bind(i64::from(limit));
                let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut out = rows.into_iter().map(|(user, at, building, alon, alat, outcome, turf_id, bureau_id, lon, lat)| {
                    let outcome = outcome.parse::<terrain_model::Outcome>().map_err(|e| $crate::error::StorageError::Invalid {
                        what: "visit", reason: e.to_string() })?;
                    Ok($crate::field::VisitTrace {
                        user_id: terrain_model::UserId(user), at, building_id: terrain_model::BuildingId(building),
                        address: [alon, alat], outcome, turf_id, bureau_id,
                        position: lon.zip(lat).map(|(x, y)| [x, y]),
                    })
                }).collect::<$crate::error::Result<Vec<_>>>()?;
                out.sort_by(|a, b| (a.user_id.0, a.at).cmp(&(b.user_id.0, b.at)));
                Ok(out)
            }

            async fn responses(
                &self,
                campaign: terrain_model::CampaignId,
                scope: &$crate::types::Scope,
                questionnaire: Option<uuid::Uuid>,
            ) -> $crate::error::Result<Vec<$crate::field::StoredResponse>> {
                type Row = (uuid::Uuid, uuid::Uuid, Option<uuid::Uuid>, Option<uuid::Uuid>, time::Date, Option<String>,
                            Option<String>, Option<String>, Option<String>, bool, sqlx::types::Json<serde_json::Value>);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT r.id, r.version_id, r.bureau_id, r.iris_id, r.collected_on, r.sex, r.age_band, r.occupation, \
                     r.postcode, r.recontact_consent, r.answers FROM responses r WHERE r.campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(q) = questionnaire {
                    qb.push(" AND r.version_id IN (SELECT v.id FROM questionnaire_versions v WHERE v.campaign_id = r.campaign_id \
                             AND v.questionnaire_id = ");
                    qb.push_bind(q);
                    qb.push(")");
                }
                Self::push_field_scope(&mut qb, "r", scope);
                qb.push(" ORDER BY r.id");
                let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(|(id, version_id, bureau_id, iris_id, collected_on, sex, age_band, occupation, postcode,
                                       recontact_consent, answers)| {
                    let answers = serde_json::from_value(answers.0).map_err(|e| $crate::error::StorageError::Invalid {
                        what: "response", reason: format!("stored answers of {id}: {e}") })?;
                    Ok($crate::field::StoredResponse {
                        id, version_id, bureau_id, iris_id, collected_on,
                        profile: terrain_model::questionnaire::RespondentProfile { sex, age_band, occupation, postcode },
                        recontact_consent, answers,
                    })
                }).collect()
            }

            #[tracing::instrument(skip(self, audit, scope, sheet), fields(client = %sheet.client_id))]
            async fn key_in_paper(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                user: terrain_model::UserId,
                scope: &$crate::types::Scope,
                sheet: &$crate::field::NewPaperResponse,
            ) -> $crate::error::Result<$crate::field::PaperKeyed> {
                use $crate::field::{PaperKeyed, PaperRefusal};
                let refused = |(code, message): $crate::sql_field::Refusal| {
                    Ok(PaperKeyed::Rejected(PaperRefusal { code, message, question: None }))
                };
                let c = $crate::Store::campaign(self, campaign).await?;
                // A sheet keyed before: answered again, whatever changed since.
                let replay = |found: Option<(uuid::Uuid, uuid::Uuid)>| match found {
                    Some((_, by)) if by != user.0 => Some(Err(())),
                    Some((response, _)) => Some(Ok(response)),
                    None => None,
                };
                let find = "SELECT response_id, keyed_by FROM paper_entries WHERE campaign_id = $1 AND client_id = $2";
                let earlier: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(find)
                    .bind(campaign.0).bind(sheet.client_id).fetch_optional(&self.pool).await?;
                let taken = || refused(("client_id_taken",
                    format!("client_id: sheet {} was keyed in by someone else", sheet.client_id)));
                match replay(earlier) {
                    Some(Ok(response)) => return Ok(PaperKeyed::Duplicate($crate::field::FieldStore::paper_entry(self, campaign, response).await?)),
                    Some(Err(())) => return taken(),
                    None => {}
                }
                let now = time::OffsetDateTime::now_utc();
                let sheet_ref = match $crate::sql_field::check_paper_sheet(sheet, c.created_at.date(), now.date()) {
                    Ok(s) => s,
                    Err(r) => return refused(r),
                };
                let bureau: Option<(String, String)> = sqlx::query_as(
                    "SELECT kind, path FROM territories WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(sheet.bureau_id.0).fetch_optional(&self.pool).await?;
                let Some((kind, path)) = bureau else {
                    return refused(("territory_not_found", format!("bureau_id: territory {} does not exist in this campaign", sheet.bureau_id)));
                };
                if kind != terrain_model::TerritoryKind::Bureau.as_str() {
                    return refused(("not_a_bureau", format!("bureau_id: territory {} is a {kind}, not a bureau de vote", sheet.bureau_id)));
                }
                if !scope.covers(&terrain_model::TerritoryPath::from_stored(path)) {
                    return refused(("out_of_scope", format!("bureau_id: bureau {} is outside your territories", sheet.bureau_id)));
                }
                let version: Option<(String, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                    "SELECT status, definition FROM questionnaire_versions WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(sheet.version_id).fetch_optional(&self.pool).await?;
                let version = match version {
                    Some((status, def)) => Some($crate::sql_field::VersionRef {
                        status, questionnaire: $crate::sql_field::parse_definition(def.0)? }),
                    None => None,
                };
                let version = match $crate::sql_field::published_version(sheet.version_id, version.as_ref()) {
                    Ok(v) => v,
                    Err(r) => return refused(r),
                };
                let checked = match $crate::sql_field::check_answers(version, &sheet.answers) {
                    Ok(c) => c,
                    Err(e) => return Ok(PaperKeyed::Rejected(PaperRefusal {
                        code: e.refusal.0, message: e.refusal.1, question: Some(e.question) })),
                };
                let row = $crate::sql_field::ResponseRow::new(
                    sheet.version_id, Some(sheet.bureau_id.0), None, sheet.collected_on, checked, "paper")?;
                let id = row.id;
                let mut tx = self.begin_write().await?;
                Self::insert_responses(&mut tx, campaign, std::slice::from_ref(&row)).await?;
                let fresh = sqlx::query(
                    "INSERT INTO paper_entries (campaign_id, response_id, client_id, keyed_by, keyed_at, sheet_ref) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign_id, client_id) DO NOTHING")
                    .bind(campaign.0).bind(id).bind(sheet.client_id).bind(user.0).bind(now).bind(&sheet_ref)
                    .execute(&mut *tx).await?.rows_affected() == 1;
                if !fresh {
                    // The same sheet, submitted twice at once: the other submission stored it.
                    tx.rollback().await?;
                    let earlier: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(find)
                        .bind(campaign.0).bind(sheet.client_id).fetch_optional(&self.pool).await?;
                    return match replay(earlier) {
                        Some(Ok(response)) => Ok(PaperKeyed::Duplicate($crate::field::FieldStore::paper_entry(self, campaign, response).await?)),
                        _ => taken(),
                    };
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "paper.key_in", id.to_string(),
                    serde_json::json!({"client_id": sheet.client_id, "sheet_ref": sheet_ref, "bureau_id": sheet.bureau_id.0,
                                       "version_id": sheet.version_id, "collected_on": sheet.collected_on.to_string()})).await?;
                tx.commit().await?;
                Ok(PaperKeyed::Stored($crate::field::FieldStore::paper_entry(self, campaign, id).await?))
            }

            async fn paper_entries(
                &self,
                campaign: terrain_model::CampaignId,
                scope: &$crate::types::Scope,
                limit: u32,
                offset: u32,
            ) -> $crate::error::Result<(Vec<$crate::field::PaperEntry>, u64)> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM paper_entries p JOIN responses r ON r.campaign_id = p.campaign_id AND r.id = p.response_id \
                     JOIN territories t ON t.campaign_id = r.campaign_id AND t.id = r.bureau_id WHERE p.campaign_id = ");
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                let (total,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new($crate::sql_field::PAPER_SELECT);
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY p.keyed_at DESC, p.response_id DESC LIMIT ");
                qb.push_bind(i64::from(limit.min($crate::field::MAX_PAPER_PAGE)));
                qb.push(" OFFSET ");
                qb.push_bind(i64::from(offset));
                let rows: Vec<$crate::sql_field::PaperRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok((rows.into_iter().map($crate::sql_field::paper_entry).collect(), u64::try_from(total).unwrap_or(0)))
            }

            async fn paper_entry(&self, campaign: terrain_model::CampaignId, response: uuid::Uuid)
                -> $crate::error::Result<$crate::field::PaperEntry> {
                let mut qb = sqlx::QueryBuilder::<$db>::new($crate::sql_field::PAPER_SELECT);
                qb.push_bind(campaign.0);
                qb.push(" AND p.response_id = ");
                qb.push_bind(response);
                let row: Option<$crate::sql_field::PaperRow> = qb.build_query_as().fetch_optional(&self.pool).await?;
                row.map($crate::sql_field::paper_entry).ok_or_else(|| $crate::error::StorageError::NotFound {
                    what: "paper entry", key: response.to_string() })
            }

            #[tracing::instrument(skip(self, audit))]
            async fn void_paper_entry(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                response: uuid::Uuid,
            ) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let sheet: Option<(String,)> = sqlx::query_as(
                    "SELECT sheet_ref FROM paper_entries WHERE campaign_id = $1 AND response_id = $2")
                    .bind(campaign.0).bind(response).fetch_optional(&mut *tx).await?;
                let Some((sheet_ref,)) = sheet else {
                    return Err($crate::error::StorageError::NotFound { what: "paper entry", key: response.to_string() });
                };
                // The entry, weights, codings and any recontact details go with the response.
                sqlx::query("DELETE FROM responses WHERE campaign_id = $1 AND id = $2 AND source = 'paper'")
                    .bind(campaign.0).bind(response).execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "paper.void", response.to_string(),
                    serde_json::json!({"sheet_ref": sheet_ref})).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use field_store;
