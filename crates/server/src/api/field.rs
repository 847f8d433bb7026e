//! Field work: the package a walker's phone downloads (stops, buildings and doors, a map drawn
//! from GeoJSON, the published questionnaires and their scripts), the upload of what the phone
//! recorded (exactly once: see [`terrain_store::FieldStore::apply_sync`]), the progress of the
//! field, and the contact details of respondents who asked to be recontacted.

use super::dto::KindDto;
use super::extract::{ApiJson, ApiQuery};
use super::questionnaires::{CodeDto, profile_codes};
use crate::access::{Authorized, FieldWork, ReadContacts, ReadFieldProgress};
use crate::admission::UploadSlot;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrain_model::{
    AddressId, Answer, BuildingId, Door, Outcome, TerritoryId, TerritoryKind, TurfId, UnitId,
};
use terrain_store::{
    Ack, Contact, FieldRecord, NewResponse, NewVisit, PackageStop, ParticipantStatus, RecordAck,
    RecordBody, Scope, SortieQuery, StorageError, SyncBatch, Turf, TurfQuery, TurfStatus,
};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most stops in one package: more means choosing a smaller territory (a bureau de vote).
pub const MAX_PACKAGE_STOPS: u32 = 1500;

/// What happened at a door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeDto {
    NotHome,
    Refused,
    Conversation,
    QuestionnaireDone,
    ComeBackLater,
    DoNotKnock,
}

impl From<Outcome> for OutcomeDto {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::NotHome => OutcomeDto::NotHome,
            Outcome::Refused => OutcomeDto::Refused,
            Outcome::Conversation => OutcomeDto::Conversation,
            Outcome::QuestionnaireDone => OutcomeDto::QuestionnaireDone,
            Outcome::ComeBackLater => OutcomeDto::ComeBackLater,
            Outcome::DoNotKnock => OutcomeDto::DoNotKnock,
        }
    }
}

impl From<OutcomeDto> for Outcome {
    fn from(o: OutcomeDto) -> Self {
        match o {
            OutcomeDto::NotHome => Outcome::NotHome,
            OutcomeDto::Refused => Outcome::Refused,
            OutcomeDto::Conversation => Outcome::Conversation,
            OutcomeDto::QuestionnaireDone => Outcome::QuestionnaireDone,
            OutcomeDto::ComeBackLater => Outcome::ComeBackLater,
            OutcomeDto::DoNotKnock => Outcome::DoNotKnock,
        }
    }
}

/// A door: `{"number": 3}` (the 3rd of the building's counted doors) or `{"unit": "<uuid>"}`
/// (a named door).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoorDto {
    Unit(Uuid),
    Number(u32),
}

impl From<Door> for DoorDto {
    fn from(d: Door) -> Self {
        match d {
            Door::Unit(u) => DoorDto::Unit(u.0),
            Door::Number(n) => DoorDto::Number(n),
        }
    }
}

impl From<DoorDto> for Door {
    fn from(d: DoorDto) -> Self {
        match d {
            DoorDto::Unit(u) => Door::Unit(UnitId(u)),
            DoorDto::Number(n) => Door::Number(n),
        }
    }
}

/// What is known of a door.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoorStatusDto {
    pub door: DoorDto,
    pub last_outcome: Option<OutcomeDto>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_at: Option<OffsetDateTime>,
    /// Never knock here again.
    pub do_not_knock: bool,
}

/// A named door.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageUnitDto {
    pub id: Uuid,
    pub floor: Option<i32>,
    pub label: String,
}

/// A building of a stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingDto {
    pub id: Uuid,
    /// `Bât. A`; empty for the only building of an address.
    pub label: String,
    /// How many doors it has (estimated, or counted by a walker): doors `1`…`doors`.
    pub doors: u32,
    /// Named doors, beside the counted ones.
    pub units: Vec<PackageUnitDto>,
    /// The doors with something recorded.
    pub door_status: Vec<DoorStatusDto>,
}

/// One stop of the walk.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopDto {
    /// Position in the walk (by street and number until turfs give a walking order).
    pub order: u32,
    pub address_id: Uuid,
    /// `12 bis Rue Ordener`.
    pub label: String,
    pub postcode: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub bureau_id: Option<Uuid>,
    pub iris_id: Option<Uuid>,
    pub buildings: Vec<BuildingDto>,
}

impl StopDto {
    fn new(order: u32, s: PackageStop) -> Self {
        let label = s.address.label();
        let f = s.address.fields;
        Self {
            order,
            address_id: s.address.id.0,
            label,
            postcode: f.postcode,
            lon: f.lon,
            lat: f.lat,
            bureau_id: f.bureau_id.map(|t| t.0),
            iris_id: f.iris_id.map(|t| t.0),
            buildings: s
                .buildings
                .into_iter()
                .map(|b| BuildingDto {
                    id: b.building.id.0,
                    label: b.building.label,
                    doors: b.building.doors,
                    units: b
                        .units
                        .into_iter()
                        .map(|u| PackageUnitDto {
                            id: u.id.0,
                            floor: u.floor,
                            label: u.label,
                        })
                        .collect(),
                    door_status: b
                        .doors
                        .into_iter()
                        .map(|d| DoorStatusDto {
                            door: d.door.into(),
                            last_outcome: d.last_outcome.map(Into::into),
                            last_at: d.last_at,
                            do_not_knock: d.do_not_knock,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The territory a package covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageTerritoryDto {
    pub id: Uuid,
    pub kind: KindDto,
    pub code: String,
    pub name: String,
}

/// A published questionnaire, as the phone needs it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageQuestionnaireDto {
    pub questionnaire_id: Uuid,
    pub name: String,
    /// Responses are sent with this version id.
    pub version_id: Uuid,
    pub number: u32,
    /// The script and the questions (see `VersionDto.definition`).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// The turf a package covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageTurfDto {
    /// 1, 2, 3… within the bureau.
    pub number: u32,
    /// Estimated walk, minutes.
    pub minutes: f64,
    /// Length of the walk, metres.
    pub length_m: f64,
}

/// Everything a walker needs for a day without network.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageDto {
    pub campaign_id: Uuid,
    pub territory: PackageTerritoryDto,
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    /// The turf, when the package is a turf's: its stops are then in walking order.
    pub turf_id: Option<Uuid>,
    /// What the walk of the turf is expected to be, when the package is a turf's.
    pub turf: Option<PackageTurfDto>,
    pub stops: Vec<StopDto>,
    /// A GeoJSON `FeatureCollection` of the territory's contours (WGS84), drawn without tiles.
    #[schema(value_type = Object)]
    pub map: serde_json::Value,
    pub questionnaires: Vec<PackageQuestionnaireDto>,
    /// The codes and labels of the profile fields.
    pub profile_codes: BTreeMap<String, Vec<CodeDto>>,
}

/// Which territory (or turf) to download: exactly one of the two.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageParams {
    /// A territory inside one's own: a bureau de vote, an IRIS, or a small commune.
    pub territory: Option<Uuid>,
    /// Or a turf of a bureau inside one's own: its stops then come in walking order.
    pub turf: Option<Uuid>,
}

/// The most addresses read from a turf's bureau to build the turf's package.
const MAX_BUREAU_STOPS: u32 = 20_000;

/// The territory, stops (in walking order for a turf) and turf of a package.
async fn package_content(
    state: &AppState,
    auth: &Authorized<FieldWork>,
    p: &PackageParams,
) -> ApiResult<(terrain_model::Territory, Vec<PackageStop>, Option<Turf>)> {
    let c = auth.campaign.id;
    match (p.territory, p.turf) {
        (Some(t), None) => {
            let t = state.store.territory(c, TerritoryId(t)).await?;
            auth.check_territory(&t)?;
            let stops = state
                .store
                .package_stops(c, &t.path, MAX_PACKAGE_STOPS + 1)
                .await?;
            if stops.len() > MAX_PACKAGE_STOPS as usize {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "package_too_large",
                    format!(
                        "{} has more than {MAX_PACKAGE_STOPS} addresses: choose a bureau de vote inside it",
                        t.name
                    ),
                ));
            }
            Ok((t, stops, None))
        }
        (None, Some(id)) => {
            let turf = state.store.turf(c, TurfId(id)).await?;
            auth.check_path(&turf.bureau_path, &turf.bureau_name)?;
            if turf.status == TurfStatus::Retired {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "turf_retired",
                    format!(
                        "turf {} of {} was emptied by a re-cut: download one of the bureau's current turfs",
                        turf.number, turf.bureau_name
                    ),
                ));
            }
            let t = state.store.territory(c, turf.bureau_id).await?;
            let order = state.store.turf_stops(c, turf.id).await?;
            let mut by_address: std::collections::HashMap<AddressId, PackageStop> = state
                .store
                .package_stops(c, &t.path, MAX_BUREAU_STOPS)
                .await?
                .into_iter()
                .map(|s| (s.address.id, s))
                .collect();
            let stops = order
                .iter()
                .filter_map(|s| by_address.remove(&s.address.id))
                .collect();
            Ok((t, stops, Some(turf)))
        }
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "give either territory or turf",
        )),
    }
}

/// The package of a territory (its stops by street and number) or of a turf (its stops in
/// walking order), with their buildings, doors and what is known of them, its map, the
/// published questionnaires.
#[utoipa::path(get, path = "/campaigns/{campaign}/field/package", tag = "field",
    params(("campaign" = Uuid, Path), PackageParams),
    responses((status = 200, body = PackageDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "`turf_retired`: the turf was emptied by a re-cut", body = ErrorBody),
              (status = 422, description = "`package_too_large`: choose a bureau de vote; `invalid_input`: neither or both of territory and turf", body = ErrorBody)))]
pub async fn package(
    State(state): State<AppState>,
    auth: Authorized<FieldWork>,
    ApiQuery(p): ApiQuery<PackageParams>,
) -> ApiResult<Json<PackageDto>> {
    let c = auth.campaign.id;
    let (t, stops, turf) = package_content(&state, &auth, &p).await?;
    let kind = if t.kind == TerritoryKind::Iris {
        TerritoryKind::Iris
    } else {
        TerritoryKind::Bureau
    };
    let shapes = state
        .store
        .shapes(c, kind, &Scope::Within(vec![t.path.clone()]))
        .await?;
    let mut features: Vec<serde_json::Value> = shapes
        .into_iter()
        .filter_map(|s| {
            let geometry: serde_json::Value = serde_json::from_str(&s.geometry).ok()?;
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": geometry,
                "properties": {"code": s.code, "name": s.name, "kind": s.kind.as_str()},
            }))
        })
        .collect();
    let hull = turf.as_ref().and_then(|x| {
        let h = serde_json::from_str::<serde_json::Value>(x.hull.as_deref()?).ok()?;
        Some((x, h))
    });
    if let Some((turf, hull)) = hull {
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": hull,
            "properties": {"code": format!("{}-{}", turf.bureau_code, turf.number),
                           "name": format!("Secteur {}", turf.number), "kind": "turf"},
        }));
    }
    let questionnaires = state
        .store
        .published_questionnaires(c)
        .await?
        .into_iter()
        .map(|(name, v)| {
            Ok(PackageQuestionnaireDto {
                questionnaire_id: v.questionnaire_id,
                name,
                version_id: v.id,
                number: v.number,
                definition: serde_json::to_value(&v.questionnaire).map_err(ApiError::internal)?,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(PackageDto {
        campaign_id: c.0,
        territory: PackageTerritoryDto {
            id: t.id.0,
            kind: t.kind.into(),
            code: t.code,
            name: t.name,
        },
        made_at: OffsetDateTime::now_utc(),
        turf: turf.as_ref().map(|x| PackageTurfDto {
            number: x.number,
            minutes: x.minutes,
            length_m: x.length_m,
        }),
        turf_id: turf.map(|x| x.id.0),
        stops: stops
            .into_iter()
            .enumerate()
            .map(|(i, s)| StopDto::new(i as u32 + 1, s))
            .collect(),
        map: serde_json::json!({"type": "FeatureCollection", "features": features}),
        questionnaires,
        profile_codes: profile_codes(),
    }))
}

/// A turf handed to the caller, or to a sortie they accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTurfDto {
    pub id: Uuid,
    pub bureau_id: Uuid,
    pub bureau_code: String,
    pub bureau_name: String,
    /// 1, 2, 3… within the bureau.
    pub number: u32,
    pub stops: u32,
    pub doors: u64,
    /// Estimated walk, minutes.
    pub minutes: f64,
    /// The hand-out lapses then.
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
    /// The sortie it was handed to, when it was.
    pub sortie_id: Option<Uuid>,
    pub team: Option<String>,
}

/// The turfs handed to me now: to me by name, or to a sortie I accepted. Soonest to lapse
/// first.
#[utoipa::path(get, path = "/campaigns/{campaign}/field/turfs", tag = "field",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<MyTurfDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn my_turfs(
    State(state): State<AppState>,
    auth: Authorized<FieldWork>,
) -> ApiResult<Json<Vec<MyTurfDto>>> {
    let c = auth.campaign.id;
    let me = auth.user_id();
    let now = OffsetDateTime::now_utc();
    let sorties: std::collections::HashSet<Uuid> = match state.store.volunteer_of_user(c, me).await
    {
        Ok(v) => state
            .store
            .sorties(
                c,
                &SortieQuery {
                    participant: Some(v.id),
                    from: Some(now),
                    ..SortieQuery::default()
                },
            )
            .await?
            .into_iter()
            .filter(|s| {
                s.participant(v.id)
                    .is_some_and(|p| p.status == ParticipantStatus::Accepted)
            })
            .map(|s| s.id.0)
            .collect(),
        Err(StorageError::NotFound { .. }) => Default::default(),
        Err(e) => return Err(e.into()),
    };
    let mut out: Vec<MyTurfDto> = state
        .store
        .turfs(c, &TurfQuery::within(auth.scope.clone()))
        .await?
        .into_iter()
        .filter(|t| t.effective_status(now) == TurfStatus::CheckedOut)
        .filter_map(|t| {
            let k = t.checkout.clone()?;
            let mine = k.to_user == Some(me) || k.session_id.is_some_and(|s| sorties.contains(&s));
            mine.then_some(MyTurfDto {
                id: t.id.0,
                bureau_id: t.bureau_id.0,
                bureau_code: t.bureau_code,
                bureau_name: t.bureau_name,
                number: t.number,
                stops: t.stops,
                doors: t.doors,
                minutes: t.minutes,
                until: k.expires_at,
                sortie_id: k.session_id,
                team: k.team,
            })
        })
        .collect();
    out.sort_by_key(|t| (t.until, t.bureau_code.clone(), t.number));
    Ok(Json(out))
}

/// How to reach a respondent who asked to be recontacted.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ContactDto {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What a record says, by `kind`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordBodyDto {
    /// A door visited (an append-only event).
    Visit {
        address_id: Uuid,
        building_id: Uuid,
        /// The door; absent for the building as a whole.
        door: Option<DoorDto>,
        outcome: OutcomeDto,
        turf_id: Option<Uuid>,
        /// `[lon, lat]`, only with the walker's consent to be located.
        position: Option<[f64; 2]>,
    },
    /// An answered questionnaire. The address only finds the bureau and IRIS: it is not kept.
    Response {
        version_id: Uuid,
        address_id: Uuid,
        /// By question key: text, list of choices, number or yes/no (`true`/`false`).
        #[schema(value_type = Object)]
        answers: BTreeMap<String, serde_json::Value>,
        /// Only when the respondent agreed to be recontacted.
        contact: Option<ContactDto>,
    },
    /// A door found at a building (the record's id becomes the door's id).
    Unit {
        building_id: Uuid,
        floor: Option<i32>,
        label: String,
    },
    /// The building's doors, counted.
    DoorCount { building_id: Uuid, doors: u32 },
}

/// A record made on the phone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FieldRecordDto {
    /// A UUIDv7 made by the phone: sending the record again is harmless.
    pub id: Uuid,
    /// When, by the phone's clock (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(flatten)]
    pub body: RecordBodyDto,
}

/// A batch of records from one phone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncBatchDto {
    /// Made by the phone once; bound to the first walker who uploads with it.
    pub device_id: Uuid,
    /// At most 500. A record that cannot be read is rejected alone, with its reason.
    #[schema(value_type = Vec<FieldRecordDto>)]
    pub records: Vec<serde_json::Value>,
}

/// What became of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AckStatusDto {
    /// Stored now.
    Stored,
    /// Stored by an earlier upload: nothing changed.
    Duplicate,
    /// Not stored (`code`, `message` say why); sending it again gives the same answer.
    Rejected,
}

/// The acknowledgement of one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AckDto {
    pub id: Uuid,
    pub status: AckStatusDto,
    /// `building_not_found`, `address_not_found`, `out_of_scope`, `questionnaire_not_found`,
    /// `questionnaire_not_published`, `invalid_answers`, `contact_without_consent`,
    /// `record_id_taken`, `invalid_record`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<RecordAck> for AckDto {
    fn from(a: RecordAck) -> Self {
        let (status, code, message) = match a.ack {
            Ack::Stored => (AckStatusDto::Stored, None, None),
            Ack::Duplicate => (AckStatusDto::Duplicate, None, None),
            Ack::Rejected { code, message } => (AckStatusDto::Rejected, Some(code), Some(message)),
        };
        Self {
            id: a.id,
            status,
            code,
            message,
        }
    }
}

/// The answer to a batch: one acknowledgement per record, in the batch's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResultDto {
    pub acks: Vec<AckDto>,
    pub stored: u32,
    pub duplicates: u32,
    pub rejected: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub server_time: OffsetDateTime,
}

fn rejected(id: Uuid, code: &str, message: String) -> RecordAck {
    RecordAck {
        id,
        ack: Ack::Rejected {
            code: code.into(),
            message,
        },
    }
}

/// Reads answers as JSON sends them (text, list of texts, whole number, true/false); `Err`
/// names the question whose answer is none of these, and says so. Shared by phones and paper.
pub fn parse_answers(
    answers: BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, Answer>, (String, String)> {
    let mut parsed = BTreeMap::new();
    for (k, v) in answers {
        match serde_json::from_value::<Answer>(v) {
            Ok(a) => {
                parsed.insert(k, a);
            }
            Err(_) => {
                let message = format!(
                    "answer to {k:?}: expected text, a list of texts, a whole number or true/false"
                );
                return Err((k, message));
            }
        }
    }
    Ok(parsed)
}

/// Reads one record: `Err` with its acknowledgement when it cannot be read.
fn read_record(i: usize, raw: serde_json::Value) -> ApiResult<Result<FieldRecord, RecordAck>> {
    let Some(id) = raw
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<Uuid>().ok())
    else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_record",
            format!("records[{i}] has no id (a UUID): it cannot be acknowledged"),
        ));
    };
    if id.get_version_num() != 7 {
        return Ok(Err(rejected(
            id,
            "invalid_record",
            "the record id must be a UUIDv7".into(),
        )));
    }
    let dto: FieldRecordDto = match serde_json::from_value(raw) {
        Ok(d) => d,
        Err(e) => {
            return Ok(Err(rejected(
                id,
                "invalid_record",
                format!("records[{i}]: {e}"),
            )));
        }
    };
    let body = match dto.body {
        RecordBodyDto::Visit {
            address_id,
            building_id,
            door,
            outcome,
            turf_id,
            position,
        } => RecordBody::Visit(NewVisit {
            address_id: AddressId(address_id),
            building_id: BuildingId(building_id),
            door: door.map(Into::into),
            outcome: outcome.into(),
            turf_id,
            position,
        }),
        RecordBodyDto::Response {
            version_id,
            address_id,
            answers,
            contact,
        } => {
            let parsed = match parse_answers(answers) {
                Ok(p) => p,
                Err((_, message)) => return Ok(Err(rejected(id, "invalid_answers", message))),
            };
            RecordBody::Response(NewResponse {
                version_id,
                address_id: AddressId(address_id),
                answers: parsed,
                contact: contact.map(|c| Contact {
                    name: c.name,
                    phone: c.phone,
                    email: c.email,
                }),
            })
        }
        RecordBodyDto::Unit {
            building_id,
            floor,
            label,
        } => RecordBody::Unit {
            building_id: BuildingId(building_id),
            floor,
            label,
        },
        RecordBodyDto::DoorCount { building_id, doors } => RecordBody::DoorCount {
            building_id: BuildingId(building_id),
            doors,
        },
    };
    Ok(Ok(FieldRecord {
        id,
        at: dto.at,
        body,
    }))
}

/// Uploads records made on a phone. Idempotent: a replayed batch changes nothing and is
/// acknowledged again; the phone forgets a record only once it is acknowledged.
#[utoipa::path(post, path = "/campaigns/{campaign}/field/sync", tag = "field",
    params(("campaign" = Uuid, Path)), request_body = SyncBatchDto,
    responses((status = 200, body = SyncResultDto), (status = 401, body = ErrorBody),
              (status = 403, description = "`device_not_yours`: the device id belongs to another walker", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 422, description = "`invalid_record` (a record without an id) or `invalid_input` (more than 500 records)", body = ErrorBody),
              (status = 429, description = "`server_busy`: as many uploads as the server takes at once are being written; send again after `Retry-After` seconds (nothing of this batch was stored)", body = ErrorBody)))]
pub async fn sync(
    State(state): State<AppState>,
    auth: Authorized<FieldWork>,
    // Before the body is read: an upload turned away costs no parsing. Held until the answer
    // is built.
    _slot: UploadSlot,
    ApiJson(body): ApiJson<SyncBatchDto>,
) -> ApiResult<Json<SyncResultDto>> {
    if body.records.len() > terrain_store::MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!(
                "send at most {} records per batch",
                terrain_store::MAX_BATCH
            ),
        ));
    }
    let mut slots: Vec<Option<RecordAck>> = Vec::with_capacity(body.records.len());
    let mut records = Vec::with_capacity(body.records.len());
    for (i, raw) in body.records.into_iter().enumerate() {
        match read_record(i, raw)? {
            Ok(r) => {
                slots.push(None);
                records.push(r);
            }
            Err(ack) => slots.push(Some(ack)),
        }
    }
    let batch = SyncBatch {
        device_id: body.device_id,
        records,
    };
    let acks = match state
        .store
        .apply_sync(
            &auth.audit(),
            auth.campaign.id,
            auth.user_id(),
            &auth.scope,
            &batch,
        )
        .await
    {
        Ok(a) => a,
        Err(StorageError::Conflict { what: "device", .. }) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "device_not_yours",
                "this device id was used by another walker: the app makes a new one after signing in again",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // The turfs' stops whose doors were just visited: the turfs board and walk sheets show
    // them walked. The visits are stored already: this only keeps the turfs up to date.
    let visited: Vec<AddressId> = batch
        .records
        .iter()
        .zip(&acks)
        .filter_map(|(r, a)| match (&r.body, &a.ack) {
            (RecordBody::Visit(v), Ack::Stored) => Some(v.address_id),
            _ => None,
        })
        .collect();
    if !visited.is_empty()
        && let Err(e) = state
            .store
            .mark_stops_visited(
                &auth.audit(),
                auth.campaign.id,
                &visited,
                OffsetDateTime::now_utc(),
            )
            .await
    {
        // Acknowledging matters more: the phone would otherwise send the stored visits again.
        tracing::warn!(error = %e, "could not mark the turfs' stops visited");
    }
    let mut stored = acks.into_iter();
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        let ack = match slot {
            Some(a) => a,
            None => stored
                .next()
                .ok_or_else(|| ApiError::internal("fewer acknowledgements than records"))?,
        };
        out.push(AckDto::from(ack));
    }
    let count = |s: AckStatusDto| out.iter().filter(|a| a.status == s).count() as u32;
    Ok(Json(SyncResultDto {
        stored: count(AckStatusDto::Stored),
        duplicates: count(AckStatusDto::Duplicate),
        rejected: count(AckStatusDto::Rejected),
        acks: out,
        server_time: OffsetDateTime::now_utc(),
    }))
}

/// Which part of one's territory to count.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// A territory inside one's own (default: all of one's territory).
    pub territory: Option<Uuid>,
}

/// Field progress inside a scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProgressDto {
    pub visits: u64,
    /// Visits by outcome (`not_home`, `refused`…).
    pub outcomes: BTreeMap<String, u64>,
    pub doors_visited: u64,
    pub responses: u64,
    /// Responses by questionnaire version id.
    pub responses_by_version: BTreeMap<String, u64>,
    pub do_not_knock: u64,
    pub recontacts: u64,
    pub walkers: u64,
}

/// Visits, outcomes and responses inside one's territory (or a part of it).
#[utoipa::path(get, path = "/campaigns/{campaign}/field/progress", tag = "field",
    params(("campaign" = Uuid, Path), ProgressParams),
    responses((status = 200, body = FieldProgressDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    auth: Authorized<ReadFieldProgress>,
    ApiQuery(p): ApiQuery<ProgressParams>,
) -> ApiResult<Json<FieldProgressDto>> {
    let scope = match p.territory {
        None => auth.scope.clone(),
        Some(t) => {
            let t = state
                .store
                .territory(auth.campaign.id, TerritoryId(t))
                .await?;
            auth.check_territory(&t)?;
            Scope::Within(vec![t.path])
        }
    };
    let p = state.store.field_progress(auth.campaign.id, &scope).await?;
    Ok(Json(FieldProgressDto {
        visits: p.visits,
        outcomes: p.outcomes,
        doors_visited: p.doors_visited,
        responses: p.responses,
        responses_by_version: p
            .responses_by_version
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        do_not_knock: p.do_not_knock,
        recontacts: p.recontacts,
        walkers: p.walkers,
    }))
}

/// Which part of one's territory to check, and how far back.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualityParams {
    /// A territory inside one's own (default: all of one's territory).
    pub territory: Option<Uuid>,
    /// Days looked back, 1–90 (default 14).
    pub days: Option<u32>,
}

/// A pattern to look at — never a verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityFlagDto {
    pub kind: crate::quality::FlagKind,
    /// The walker, for flags on visits (answers are never tied to a walker).
    pub walker_id: Option<Uuid>,
    pub walker_name: Option<String>,
    pub bureau_id: Option<Uuid>,
    pub bureau_code: Option<String>,
    pub bureau_name: Option<String>,
    pub turf_id: Option<Uuid>,
    pub turf_number: Option<u32>,
    #[serde(with = "terrain_model::campaign::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub day: Option<Date>,
    /// How many visits, legs or respondents show the pattern, out of how many looked at.
    pub count: u32,
    pub out_of: u32,
    /// The fastest leg in km/h (`too_fast`), the largest distance in metres
    /// (`far_from_door`), the answer's length (`copied_answers`).
    pub value: f64,
    /// The question, for copied answers.
    pub question: Option<String>,
}

/// The data-quality flags of a territory.
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityDto {
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    pub visits_checked: u64,
    pub responses_checked: u64,
    /// True when there were more visits than checked (the most recent were).
    pub truncated: bool,
    pub flags: Vec<QualityFlagDto>,
}

/// Most visits read by one data-quality check.
const MAX_QUALITY_VISITS: u32 = 200_000;

/// Patterns in the field work of one's territory to look at: doors logged faster than one can
/// walk, turfs where nobody was ever home, phones far from their doors, the same long open
/// answer for several respondents of a bureau (see `crate::quality`).
#[utoipa::path(get, path = "/campaigns/{campaign}/field/quality", tag = "field",
    params(("campaign" = Uuid, Path), QualityParams),
    responses((status = 200, body = QualityDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quality(
    State(state): State<AppState>,
    auth: Authorized<ReadFieldProgress>,
    ApiQuery(p): ApiQuery<QualityParams>,
) -> ApiResult<Json<QualityDto>> {
    let c = auth.campaign.id;
    let days = p.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("days: {days} is not between 1 and 90"),
        ));
    }
    let scope = match p.territory {
        None => auth.scope.clone(),
        Some(t) => {
            let t = state.store.territory(c, TerritoryId(t)).await?;
            auth.check_territory(&t)?;
            Scope::Within(vec![t.path])
        }
    };
    let since = OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
    let traces = state
        .store
        .visit_traces(c, &scope, since, MAX_QUALITY_VISITS)
        .await?;
    let responses: Vec<_> = state
        .store
        .responses(c, &scope, None)
        .await?
        .into_iter()
        .filter(|r| r.collected_on >= since.date())
        .collect();
    let o = crate::quality::QualityOptions::default();
    let mut flags = crate::quality::visit_flags(&traces, &o);
    flags.extend(crate::quality::answer_flags(&responses, &o));
    let mut names: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut bureaux: BTreeMap<Uuid, (String, String)> = BTreeMap::new();
    let mut turfs: BTreeMap<Uuid, u32> = BTreeMap::new();
    let mut out = Vec::with_capacity(flags.len());
    for f in flags {
        if let Some(w) = f.walker
            && !names.contains_key(&w.0)
        {
            let name = match state.store.user(w).await {
                Ok(u) => u.display_name,
                Err(StorageError::NotFound { .. }) => String::new(),
                Err(e) => return Err(e.into()),
            };
            names.insert(w.0, name);
        }
        if let Some(b) = f.bureau
            && !bureaux.contains_key(&b)
        {
            let t = state.store.territory(c, TerritoryId(b)).await?;
            bureaux.insert(b, (t.code, t.name));
        }
        if let Some(t) = f.turf
            && !turfs.contains_key(&t)
        {
            let turf = state.store.turf(c, terrain_model::TurfId(t)).await?;
            turfs.insert(t, turf.number);
        }
        let bureau = f.bureau.and_then(|b| bureaux.get(&b));
        out.push(QualityFlagDto {
            kind: f.kind,
            walker_id: f.walker.map(|w| w.0),
            walker_name: f.walker.and_then(|w| names.get(&w.0).cloned()),
            bureau_id: f.bureau,
            bureau_code: bureau.map(|b| b.0.clone()),
            bureau_name: bureau.map(|b| b.1.clone()),
            turf_id: f.turf,
            turf_number: f.turf.and_then(|t| turfs.get(&t).copied()),
            day: f.day,
            count: f.count,
            out_of: f.out_of,
            value: f.value,
            question: f.question,
        });
    }
    out.sort_by(|a, b| (b.day, a.kind).cmp(&(a.day, b.kind)));
    Ok(Json(QualityDto {
        since,
        visits_checked: traces.len() as u64,
        responses_checked: responses.len() as u64,
        truncated: traces.len() as u64 >= u64::from(MAX_QUALITY_VISITS),
        flags: out,
    }))
}

/// A respondent who asked to be recontacted, with what they agreed to.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecontactDto {
    pub response_id: Uuid,
    pub contact: ContactDto,
    /// The address it was collected at, when known.
    pub address: Option<String>,
    /// The consent, word for word.
    pub statement: String,
    #[serde(with = "time::serde::rfc3339")]
    pub consented_at: OffsetDateTime,
    #[serde(with = "terrain_model::campaign::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub collected_on: Date,
}

/// Respondents who agreed to be recontacted (the direction only), newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/field/recontacts", tag = "field",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<RecontactDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn recontacts(
    State(state): State<AppState>,
    auth: Authorized<ReadContacts>,
) -> ApiResult<Json<Vec<RecontactDto>>> {
    let list = state.store.recontacts(auth.campaign.id).await?;
    let mut out = Vec::with_capacity(list.len());
    for r in list {
        let address = match r.address_id {
            Some(a) => match state.store.address(auth.campaign.id, a).await {
                Ok(a) => Some(a.label()),
                Err(StorageError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        out.push(RecontactDto {
            response_id: r.response_id,
            contact: ContactDto {
                name: r.contact.name,
                phone: r.contact.phone,
                email: r.contact.email,
            },
            address,
            statement: r.statement,
            consented_at: r.consented_at,
            collected_on: r.collected_on,
        });
    }
    Ok(Json(out))
}
