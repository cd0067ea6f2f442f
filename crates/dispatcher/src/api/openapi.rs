//! `GET /openapi.json`: the OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ApiError;
use super::{
    accounts, blackouts, check, dnc, error, evaluate, health, inbound, leads, ops, overrides,
    registries, scrub, touches, unsubscribe, webhooks,
};
use crate::domain::{AccountBody, BlackoutBody, Content, DncBody, LeadBody, TouchBody};

/// The API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Touchgate",
        description = "Dispatches outreach touches through a compliance gate. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`; unknown JSON fields are rejected with 400."
    ),
    paths(
        accounts::put_account,
        accounts::get_account,
        accounts::resume_email,
        leads::put_lead,
        leads::get_lead,
        leads::erase_lead,
        touches::create_touch,
        touches::create_batch,
        touches::get_touch,
        touches::list_touches,
        touches::cancel_touch,
        overrides::override_touch,
        evaluate::evaluate,
        inbound::inbound,
        webhooks::twilio::twilio_sms,
        webhooks::meta::meta_verify,
        webhooks::meta::meta_whatsapp,
        webhooks::calls::call_disposition,
        webhooks::email::email_inbound,
        unsubscribe::unsubscribe_page,
        unsubscribe::unsubscribe_post,
        dnc::add_dnc,
        dnc::list_dnc,
        dnc::get_dnc,
        dnc::remove_dnc,
        blackouts::add,
        blackouts::list,
        blackouts::remove,
        check::check_contact,
        check::alerts,
        check::checks,
        scrub::scrub,
        scrub::scrubs,
        registries::list,
        registries::import,
        registries::imports,
        ops::drain,
        ops::set_clock,
        health::healthz,
        health::metrics,
        openapi_json,
    ),
    components(schemas(
        AccountBody,
        LeadBody,
        TouchBody,
        Content,
        DncBody,
        error::ErrorBody,
        error::ErrorDetail,
        touches::TouchAccepted,
        touches::BatchRequest,
        touches::BatchResponse,
        touches::TouchList,
        evaluate::Evaluation,
        inbound::InboundBody,
        webhooks::DispositionBody,
        dnc::DncList,
        ops::Drained,
        ops::ClockBody,
        BlackoutBody,
        overrides::OverrideBody,
        overrides::OverrideDecision,
        crate::check::CheckAnswer,
        crate::check::ListingAnswer,
        blackouts::BlackoutList,
        registries::RegistryInfo,
        registries::RegistryList,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Sender identities (operator)"),
        (name = "leads", description = "The people contacted (service)"),
        (name = "touches", description = "Messages, their decisions and their fate"),
        (name = "gate", description = "The gate, asked directly"),
        (name = "inbound", description = "Replies, opt-outs and one-click unsubscribe links"),
        (name = "webhooks", description = "Provider webhooks (no bearer token; each verifies its provider's signature)"),
        (name = "dnc", description = "Do-not-contact list (operator)"),
        (name = "blackouts", description = "Region-wide suspensions (operator)"),
        (name = "registries", description = "National and state Do-Not-Call lists, litigators, reassigned numbers (installation-wide; imports need an admin token)"),
        (name = "operations", description = "Operator tools"),
        (name = "health", description = "Health and metrics (no auth)"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn openapi_json() -> Response {
    match serde_json::to_value(ApiDoc::openapi()) {
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
