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
        registries::RegistryList,
        registries::RegistryInfo,
        ops::Drained,
        ops::ClockBody,
        BlackoutBody,
        overrides::OverrideBody,
        overrides::OverrideDecision,
        crate::check::CheckAnswer,
        crate::check::ListingAnswer,
        blackouts::BlackoutList,
    )),
    modifiers(&BearerAuth, &DocumentsWithId, &BadInputAnswers),
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

/// `Account` and `Lead`: the documents as `GET` and `PUT` return them, `AccountBody` and
/// `LeadBody` with their `id` (the request schemas refuse unknown fields, so the answers need
/// schemas of their own).
#[derive(Debug)]
struct DocumentsWithId;

impl Modify for DocumentsWithId {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{Array, Object, Schema, Type};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (body, document) in [("AccountBody", "Account"), ("LeadBody", "Lead")] {
            let Some(RefOr::T(Schema::Object(mut object))) = components.schemas.get(body).cloned()
            else {
                continue;
            };
            object.properties.insert(
                "id".to_owned(),
                Object::builder()
                    .schema_type(Type::String)
                    .description(Some("The document's id (from the path)"))
                    .into(),
            );
            object.required.push("id".to_owned());
            if document == "Account" {
                // GET adds the sender-health view (computed, never stored or accepted by PUT).
                object.properties.insert(
                    "health".to_owned(),
                    Array::builder()
                        .items(Object::builder().schema_type(Type::Object))
                        .description(Some(
                            "Sender health per sending domain (answered by GET, ignored on PUT)",
                        ))
                        .into(),
                );
            }
            object.description = Some(format!("`{body}` as stored, with its `id`."));
            components
                .schemas
                .insert(document.to_owned(), RefOr::T(Schema::Object(object)));
        }
    }
}

/// Every operation that takes a path or query parameter or a body can answer 400 (an id with
/// control characters, a malformed query, an unknown field): document it once here rather
/// than in each annotation, so no operation can forget it.
#[derive(Debug)]
struct BadInputAnswers;

impl Modify for BadInputAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Response};
        let bad_request = || {
            let mut answer = Response::new(
                "Bad input: the error names the field (`{\"error\": {\"code\", \"message\", \"field\"?}}`)",
            );
            answer.content.insert(
                "application/json".to_owned(),
                RefOr::T(utoipa::openapi::content::Content::new(Some(RefOr::Ref(
                    utoipa::openapi::Ref::from_schema_name("ErrorBody"),
                )))),
            );
            RefOr::T(answer)
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                let takes_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if takes_input {
                    operation
                        .responses
                        .responses
                        .entry("400".to_owned())
                        .or_insert_with(bad_request);
                }
            }
        }
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
