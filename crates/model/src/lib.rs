//! Terrain's domain vocabulary, shared by every other crate.
//!
//! Everything with a format is a newtype parsed once at the edge ("parse, don't validate"):
//! INSEE department and commune codes, bureau de vote (polling station) ids, IRIS codes,
//! e-mail addresses, campaign slugs. Once a value of these types exists it is valid, and no
//! other crate checks it again. This crate does no I/O.

pub mod address;
pub mod campaign;
pub mod codes;
pub mod email;
pub mod field;
pub mod ids;
pub mod questionnaire;
pub mod results;
pub mod role;
pub mod territory;
pub mod volunteer;

pub use address::{Address, Building, NewAddress, Unit};
pub use campaign::{Campaign, Slug};
pub use codes::{BureauId, CodeError, CommuneCode, DepartmentCode, IrisCode, RegionCode};
pub use email::Email;
pub use field::{Door, Outcome};
pub use ids::TurfId;
pub use ids::{
    AddressId, ApiTokenId, BuildingId, CampaignId, InviteId, SortieId, TeamId, TerritoryId,
    TrainingId, UnitId, UserId, VolunteerId,
};
pub use questionnaire::{Answer, Questionnaire, Template};
pub use results::{
    Bloc, BureauResult, CandidateResult, ElectionId, ElectionKind, Inconsistency, Nuance,
    ResultArea, ResultsCodeError, Sex, SharedText, Totals,
};
pub use role::{Capability, Role};
pub use territory::{Territory, TerritoryKind, TerritoryPath};
pub use volunteer::{Availability, ContactKeys, Phone, Postcode, VolunteerStatus};
