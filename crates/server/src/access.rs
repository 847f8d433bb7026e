//! Authorisation, in one place. Every campaign endpoint takes an [`Authorized<R>`] extractor,
//! where `R` names the capability it needs; the extractor
//! 1. identifies the caller ([`Principal`]: 401 when absent or invalid),
//! 2. finds the campaign in the path and the caller's membership (404 `campaign_not_found`
//!    for non-members, so that campaigns do not leak their existence),
//! 3. asks the role table ([`Role::can`]) whether the role has the capability (403
//!    `forbidden_role`),
//! 4. hands the handler the caller's territorial [`Scope`]; every territory a handler touches
//!    goes through [`Authorized::check_territory`] (403 `territory_out_of_scope`).
//!
//! Server administrators act as directors of every campaign.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use std::marker::PhantomData;
use terrain_model::{Campaign, CampaignId, Capability, Role, Territory, TerritoryPath, UserId};
use terrain_store::{Audit, Scope, ScopeTerritory};

/// A capability named at the type level, so a handler's signature says what it needs.
pub trait Requirement: Send + Sync + 'static {
    /// The capability required.
    const CAPABILITY: Capability;
    /// What the capability lets one do, for the 403 message.
    const WHAT: &'static str;
}

macro_rules! requirements {
    ($($name:ident => $cap:ident, $what:literal;)*) => {
        $(
            #[doc = concat!("Requires [`Capability::", stringify!($cap), "`].")]
            #[derive(Debug)]
            pub struct $name;
            impl Requirement for $name {
                const CAPABILITY: Capability = Capability::$cap;
                const WHAT: &'static str = $what;
            }
        )*
    };
}

requirements! {
    ReadCampaign => ReadCampaign, "read this campaign";
    EditCampaign => EditCampaign, "change this campaign";
    ReadTerritories => ReadTerritories, "read territories";
    EditTerritories => EditTerritories, "edit territories";
    ReadAddresses => ReadAddresses, "read addresses";
    ReadMembers => ReadMembers, "list members";
    ManageMembers => ManageMembers, "add members";
    CreateInvites => CreateInvites, "create invites";
    ReadInvites => ReadInvites, "list invites";
    ReadAudit => ReadAudit, "read the audit log";
    ReadTargeting => ReadTargeting, "see targeting scores and plans";
    ImportData => ImportData, "import data files";
    ManageExperiments => ManageExperiments, "draw experiments";
    PlanSurvey => PlanSurvey, "plan surveys";
    TakePart => TakePart, "take part in sorties and trainings";
    ReadVolunteers => ReadVolunteers, "see volunteers, trainings and sorties";
    ManageVolunteers => ManageVolunteers, "manage volunteers";
    ManageTrainings => ManageTrainings, "run trainings";
    PlanSorties => PlanSorties, "plan sorties and teams";
    ReadTurfs => ReadTurfs, "see turfs";
    EditTurfs => EditTurfs, "cut and edit turfs";
    AssignTurfs => AssignTurfs, "hand turfs out";
    ReadQuestionnaires => ReadQuestionnaires, "read questionnaires";
    EditQuestionnaires => EditQuestionnaires, "write questionnaires";
    FieldWork => FieldWork, "do field work";
    KeyInPaper => KeyInPaper, "key in paper questionnaires";
    ReadFieldProgress => ReadFieldProgress, "see field progress";
    ReadContacts => ReadContacts, "see respondents' contact details";
    ReadDiagnostic => ReadDiagnostic, "read the diagnostic";
    CodeAnswers => CodeAnswers, "code open answers";
    EditCodebook => EditCodebook, "edit codebooks";
    ManagePersonalData => ManagePersonalData, "export or erase personal data";
}

/// A caller allowed to use capability `R` in the campaign named by the path's `{campaign}`.
#[derive(Debug)]
pub struct Authorized<R> {
    pub principal: Principal,
    pub campaign: Campaign,
    pub role: Role,
    /// The caller's territories (empty for campaign-wide roles).
    pub territories: Vec<ScopeTerritory>,
    pub scope: Scope,
    _requirement: PhantomData<R>,
}

impl<R> Authorized<R> {
    /// The caller's id.
    pub fn user_id(&self) -> UserId {
        self.principal.user.id
    }

    /// The audit context of writes made on the caller's behalf.
    pub fn audit(&self) -> Audit {
        Audit::api(self.principal.user.id)
    }

    /// 403 unless the territory lies inside the caller's territories.
    pub fn check_territory(&self, t: &Territory) -> ApiResult<()> {
        self.check_path(&t.path, &format!("{} {}", t.kind, t.code))
    }

    /// 403 unless the path lies inside the caller's territories.
    pub fn check_path(&self, path: &TerritoryPath, label: &str) -> ApiResult<()> {
        if self.scope.covers(path) {
            Ok(())
        } else {
            Err(ApiError::out_of_scope(label))
        }
    }

    /// 403 unless the caller may give `role` to someone.
    pub fn check_grant(&self, role: Role) -> ApiResult<()> {
        if self.role.may_grant(role) {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "role_not_grantable",
                format!("a {} cannot give the role {role}", self.role),
            ))
        }
    }
}

impl<R: Requirement> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::internal("route without path parameters used Authorized"))?;
        let not_found = || {
            ApiError::not_found(
                "campaign_not_found",
                "no such campaign, or you are not a member of it",
            )
        };
        let id: CampaignId = params
            .iter()
            .find(|(k, _)| *k == "campaign")
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(not_found)?;
        let campaign = match state.store.campaign(id).await {
            Ok(c) => c,
            Err(terrain_store::StorageError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let (role, territories) = if principal.user.is_admin {
            (Role::Admin, Vec::new())
        } else {
            match state.store.member(id, principal.user.id).await {
                Ok(m) => (m.role, m.territories),
                Err(terrain_store::StorageError::NotFound { .. }) => return Err(not_found()),
                Err(e) => return Err(e.into()),
            }
        };
        if !role.can(R::CAPABILITY) {
            return Err(ApiError::forbidden_role(R::WHAT));
        }
        let scope = if role.is_campaign_wide() {
            Scope::Campaign
        } else {
            Scope::Within(territories.iter().map(|t| t.path.clone()).collect())
        };
        Ok(Self {
            principal,
            campaign,
            role,
            territories,
            scope,
            _requirement: PhantomData,
        })
    }
}

/// A server administrator (for creating campaigns).
#[derive(Debug)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let p = Principal::from_request_parts(parts, state).await?;
        if p.user.is_admin {
            Ok(Admin(p))
        } else {
            Err(ApiError::forbidden_role("administer the server"))
        }
    }
}
