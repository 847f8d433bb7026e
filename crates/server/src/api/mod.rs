//! The JSON API under `/api/v1`. Every operation is registered through [`routes`] with its
//! `#[utoipa::path]`, so the OpenAPI document served at `/api/v1/openapi.json` is generated from
//! the same code that routes requests — an endpoint cannot exist without its description.

pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod data;
pub mod dto;
pub mod experiments;
pub mod extract;
pub mod imports;
pub mod invites;
pub mod members;
pub mod survey;
pub mod targeting;
pub mod territories;
// volunteers, trainings and sorties (issue 6)
pub mod sorties;
pub mod trainings;
pub mod volunteers;
// turfs and walk routes (issue 5)
pub mod turf_plan;
pub mod turfs;
pub mod walk_sheet;
// questionnaires and field work (issue 7)
pub mod field;
pub mod paper;
pub mod paper_form;
pub mod questionnaires;
// representativeness: quotas and weighting (issue 8)
pub mod quotas;
// the diagnostic (issue 9)
pub mod diagnostic;
// data protection (issue 10)
pub mod privacy;

use crate::error::ErrorBody;
use crate::state::AppState;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Terrain API",
        description = "The field side of an election campaign: territories, volunteers, canvassing, surveys. \
                       Browser clients sign in with `POST /auth/login` (an HttpOnly session cookie) and echo the \
                       `csrf_token` in the `x-csrf-token` header on every write; scripts send \
                       `Authorization: Bearer trn_…`. Errors are `{\"code\", \"message\"}` with stable codes.",
        license(name = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1")),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Signing in, sessions, invites redeemed, API tokens"),
        (name = "campaigns", description = "Campaigns"),
        (name = "territories", description = "The territory tree: departments, communes, bureaux de vote, IRIS, addresses"),
        (name = "members", description = "People and roles: directors, coordinators, trainers, walkers"),
        (name = "invites", description = "Invite codes for walkers"),
        (name = "audit", description = "Who wrote what, when"),
        (name = "data", description = "Official data: elections and results, census, map layers, imports"),
        (name = "targeting", description = "Which bureaux de vote are worth the volunteers' time"),
        (name = "survey", description = "The representative survey: its plan of areas, quotas and weighting"),
        (name = "volunteers", description = "Sign-ups, the recruitment funnel, certificates, recognition"),
        (name = "trainings", description = "Training sessions: registration, attendance, skills"),
        (name = "sorties", description = "Teams, canvassing sessions (sorties), calendars, the coordinator's week"),
        (name = "turfs", description = "Turfs and walk routes: cutting bureaux, editing, hand-outs, walk sheets"),
        (name = "questionnaires", description = "Questionnaires and their versions: scripts, questions, consents"),
        (name = "field", description = "Field work: packages for the phones, the exactly-once upload of visits and responses, progress"),
        (name = "diagnostic", description = "The diagnostic: closed results with intervals, themes of open answers, human coding, the report"),
        (name = "privacy", description = "Data protection: one person's data exported or erased on request, the record of processing activities"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
    }
}

/// The API router (to nest under `/api/v1`) and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::join))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::session))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(
            campaigns::list_campaigns,
            campaigns::create_campaign
        ))
        .routes(routes!(campaigns::get_campaign))
        .routes(routes!(
            territories::list_territories,
            territories::upsert_territories
        ))
        .routes(routes!(territories::get_territory))
        .routes(routes!(territories::list_addresses))
        .routes(routes!(members::list_members, members::add_member))
        .routes(routes!(members::get_member))
        .routes(routes!(invites::list_invites, invites::create_invite))
        .routes(routes!(audit::audit_log))
        .routes(routes!(data::list_elections))
        .routes(routes!(data::territory_results))
        .routes(routes!(data::territory_census))
        .routes(routes!(data::map_layer))
        .routes(routes!(imports::upload))
        .routes(routes!(targeting::targeting))
        .routes(routes!(targeting::targeting_csv))
        .routes(routes!(targeting::targeting_geojson))
        .routes(routes!(
            experiments::list_experiments,
            experiments::create_experiment
        ))
        .routes(routes!(experiments::get_experiment))
        .routes(routes!(experiments::analyse_experiment))
        .routes(routes!(survey::survey_frame))
        .routes(routes!(survey::list_plans, survey::create_plan))
        .routes(routes!(survey::get_plan))
        .routes(routes!(survey::accept_plan))
        // volunteers, trainings and sorties (issue 6)
        .routes(routes!(volunteers::signup_form, volunteers::sign_up))
        .routes(routes!(volunteers::list_volunteers))
        .routes(routes!(
            volunteers::get_volunteer,
            volunteers::update_volunteer
        ))
        .routes(routes!(volunteers::invite_volunteer))
        .routes(routes!(volunteers::certificate))
        .routes(routes!(volunteers::funnel))
        .routes(routes!(volunteers::get_settings, volunteers::put_settings))
        .routes(routes!(
            volunteers::leaderboard,
            volunteers::switch_leaderboard
        ))
        .routes(routes!(volunteers::recognition))
        .routes(routes!(
            trainings::list_trainings,
            trainings::create_training
        ))
        .routes(routes!(trainings::get_training))
        .routes(routes!(trainings::register))
        .routes(routes!(trainings::record_attendance))
        .routes(routes!(sorties::list_teams, sorties::create_team))
        .routes(routes!(sorties::set_team_members))
        .routes(routes!(sorties::team_feed))
        .routes(routes!(sorties::list_sorties, sorties::create_sortie))
        .routes(routes!(sorties::get_sortie))
        .routes(routes!(sorties::set_participant))
        .routes(routes!(sorties::map))
        .routes(routes!(sorties::my_sorties))
        .routes(routes!(sorties::answer_sortie))
        .routes(routes!(sorties::my_feed))
        .routes(routes!(sorties::calendar))
        .routes(routes!(sorties::week))
        .routes(routes!(sorties::reminders_csv))
        .routes(routes!(sorties::send_reminders))
        // turfs and walk routes (issue 5)
        .routes(routes!(turfs::list_turfs))
        .routes(routes!(turfs::turfs_geojson))
        .routes(routes!(turfs::cut_turfs))
        .routes(routes!(turfs::move_stops))
        .routes(routes!(turfs::redraw_turf))
        .routes(routes!(turfs::get_turf))
        .routes(routes!(turfs::turf_stops))
        .routes(routes!(turfs::walk_sheet))
        .routes(routes!(turfs::split_turf))
        .routes(routes!(turfs::merge_turfs))
        .routes(routes!(turfs::check_out_turf))
        .routes(routes!(turfs::release_turf))
        .routes(routes!(turfs::finish_turf))
        .routes(routes!(turfs::turf_versions))
        .routes(routes!(
            questionnaires::list_questionnaires,
            questionnaires::create_questionnaire
        ))
        .routes(routes!(questionnaires::get_questionnaire))
        .routes(routes!(questionnaires::save_draft))
        .routes(routes!(questionnaires::publish))
        .routes(routes!(questionnaires::questionnaire_kit))
        .routes(routes!(paper::print_questionnaire))
        .routes(routes!(field::package))
        .routes(routes!(field::my_turfs))
        .routes(routes!(field::sync))
        .routes(routes!(field::progress))
        .routes(routes!(field::quality))
        .routes(routes!(field::recontacts))
        // the paper fallback (issue 7)
        .routes(routes!(paper::list_paper, paper::key_in))
        .routes(routes!(paper::void_paper))
        // representativeness: quotas and weighting (issue 8)
        .routes(routes!(quotas::board))
        .routes(routes!(quotas::put_settings))
        .routes(routes!(quotas::field_quotas))
        .routes(routes!(quotas::create_weighting))
        .routes(routes!(quotas::latest_weighting))
        // the diagnostic (issue 9)
        .routes(routes!(diagnostic::closed))
        .routes(routes!(diagnostic::themes))
        .routes(routes!(diagnostic::coding, diagnostic::code_answer))
        .routes(routes!(diagnostic::reading_list))
        .routes(routes!(diagnostic::report))
        .routes(routes!(diagnostic::export_csv))
        .routes(routes!(diagnostic::export_xlsx))
        .routes(routes!(diagnostic::edit_codebook))
        .routes(routes!(diagnostic::report_pdf))
        .routes(routes!(privacy::export_volunteer))
        .routes(routes!(privacy::erase_volunteer))
        .routes(routes!(privacy::do_not_contact))
        .routes(routes!(privacy::export_respondent))
        .routes(routes!(privacy::erase_respondent))
        .routes(routes!(privacy::processing_register))
        .split_for_parts()
}
