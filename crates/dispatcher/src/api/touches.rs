//! Touches: create (one or a batch, idempotent on `idempotency_key`), read with the decision
//! timeline, list (JSON pages or streamed CSV), cancel.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::{Operator, Service};
use super::check_id;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, IdPath, Params, parse_value};
use crate::app::AppState;
use crate::domain::TouchBody;
use crate::store::{
    DocumentTable, Enqueued, NewTouch, Store, StoreError, TouchFilter, TouchRow, TouchStatus,
};

/// Largest batch of `POST /v1/touches/batch`.
pub const MAX_BATCH: usize = 1000;
/// Default and largest page of `GET /v1/touches` (JSON).
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;
/// Rows fetched per step while streaming CSV.
pub const CSV_PAGE: i64 = 500;
/// Deadline of a touch that names none: 7 days after creation.
pub const DEFAULT_DEADLINE_DAYS: i64 = 7;

/// The answer to an accepted touch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TouchAccepted {
    pub id: String,
    /// `queued` for a new touch; the first touch's current status for a repeated key.
    pub status: String,
}

/// `POST /v1/touches/batch`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Up to 1,000 touch bodies, as for `POST /v1/touches`.
    #[schema(value_type = Vec<TouchBody>)]
    pub touches: Vec<Value>,
}

/// One result per item, in order: `{"id", "status", "created"}` or `{"error": {...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResponse {
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Value>,
}

/// A page of `GET /v1/touches`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TouchList {
    #[schema(value_type = Vec<Object>)]
    pub touches: Vec<Value>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Validates a touch, checks its account and lead exist in the workspace, and stores it
/// unless its idempotency key exists. Returns the stored touch and whether it was created.
///
/// A key seen before in the workspace answers with the first touch before anything is
/// validated: a client's retry must get the first answer even when the request no longer
/// validates on its own (its deadline has passed since, its account was deleted, …).
pub(crate) async fn accept_touch(
    state: &AppState,
    workspace: &str,
    body: TouchBody,
) -> Result<(TouchRow, bool), ApiError> {
    if let Some(key) = body.idempotency_key.as_deref()
        && let Some(row) = state.store.touch_by_idempotency_key(workspace, key).await?
    {
        tracing::debug!(workspace, touch_id = %row.id, "idempotency key seen before; returning the first touch");
        return Ok((row, false));
    }
    let new = prepare_touch(workspace, body, state.clock.now())?;
    require_account_and_lead(&state.store, workspace, &new.request).await?;
    let (row, created) = state.store.create_touch(&new).await?;
    if created {
        tracing::debug!(workspace, touch_id = %row.id, channel = %row.channel, account_id = %row.account_id, lead_id = %row.lead_id, "touch queued");
    } else {
        tracing::debug!(workspace, touch_id = %row.id, "idempotency key seen before; returning the first touch");
    }
    Ok((row, created))
}

/// A touch body checked and completed (id, idempotency key, due instant, deadline) at `now`:
/// everything about a new touch that needs no database.
fn prepare_touch(
    workspace: &str,
    mut body: TouchBody,
    now: DateTime<Utc>,
) -> Result<NewTouch, ApiError> {
    body.validate(now)?;
    check_id(&body.account_id, "account_id")?;
    check_id(&body.lead_id, "lead_id")?;
    if body.campaign_id.as_ref().is_some_and(|c| c.len() > 255) {
        return Err(ApiError::bad_request(
            "campaign_id",
            "must be at most 255 bytes",
        ));
    }
    let next_attempt_at = body.not_before.map_or(now, |nb| nb.max(now));
    let deadline = match body.deadline {
        Some(d) => d,
        None => {
            let d = now + Duration::days(DEFAULT_DEADLINE_DAYS);
            if next_attempt_at >= d {
                return Err(ApiError::bad_request(
                    "not_before",
                    "falls after the default deadline (7 days after creation); give a deadline",
                ));
            }
            d
        }
    };
    let key = match &body.idempotency_key {
        Some(k) => k.clone(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    body.idempotency_key = Some(key.clone());
    Ok(NewTouch {
        workspace: workspace.to_owned(),
        id: uuid::Uuid::now_v7().to_string(),
        idempotency_key: key,
        request: body,
        next_attempt_at,
        deadline,
        now,
    })
}

/// The batch's items, each its touch or its error, in order: keys seen before answer their
/// first touch (as one `POST /v1/touches` does, before any other check); the others are
/// checked, their accounts and leads looked up once for the whole batch, and inserted together
/// in one transaction.
async fn accept_batch(
    state: &AppState,
    workspace: &str,
    items: &[Value],
) -> Result<Vec<Result<Enqueued, ApiError>>, ApiError> {
    let parsed: Vec<Result<TouchBody, ApiError>> =
        items.iter().map(parse_value::<TouchBody>).collect();
    let keys: Vec<&str> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok()?.idempotency_key.as_deref())
        .collect();
    let seen = state.store.touches_by_keys(workspace, &keys).await?;
    let now = state.clock.now();
    // `None`: waiting for the insert's answer.
    let mut results: Vec<Option<Result<Enqueued, ApiError>>> = Vec::with_capacity(items.len());
    let mut fresh: Vec<(usize, NewTouch)> = Vec::new();
    for (i, p) in parsed.into_iter().enumerate() {
        let outcome =
            p.and_then(
                |body| match body.idempotency_key.as_deref().and_then(|k| seen.get(k)) {
                    Some(first) => Ok(Some(first.clone())),
                    None => prepare_touch(workspace, body, now).map(|t| {
                        fresh.push((i, t));
                        None
                    }),
                },
            );
        results.push(outcome.transpose());
    }
    let ids = |f: fn(&TouchBody) -> &str| {
        let mut v: Vec<&str> = fresh.iter().map(|(_, t)| f(&t.request)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let accounts = state
        .store
        .existing_ids(workspace, DocumentTable::Accounts, &ids(|b| &b.account_id))
        .await?;
    let leads = state
        .store
        .existing_ids(workspace, DocumentTable::Leads, &ids(|b| &b.lead_id))
        .await?;
    let mut insert = Vec::with_capacity(fresh.len());
    let mut slots = Vec::with_capacity(fresh.len());
    for (i, t) in fresh {
        let r = &t.request;
        let missing = if !accounts.contains(&r.account_id) {
            Some((
                "account_id",
                format!("no account `{}` in this workspace", r.account_id),
            ))
        } else if !leads.contains(&r.lead_id) {
            Some((
                "lead_id",
                format!("no lead `{}` in this workspace", r.lead_id),
            ))
        } else {
            None
        };
        match (missing, results.get_mut(i)) {
            (Some((field, message)), Some(slot)) => {
                *slot = Some(Err(ApiError::bad_request(field, message)));
            }
            _ => {
                slots.push(i);
                insert.push(t);
            }
        }
    }
    let stored = state.store.create_touches(&insert).await?;
    for (i, e) in slots.into_iter().zip(stored) {
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(Ok(e));
        }
    }
    // The store answers every touch it was given, so none is left waiting.
    results
        .into_iter()
        .map(|r| {
            r.ok_or_else(|| ApiError::Internal(StoreError::Db(sqlx::Error::RowNotFound).into()))
        })
        .collect()
}

/// 400 naming `account_id` / `lead_id` when either is unknown in the workspace.
pub(crate) async fn require_account_and_lead(
    store: &Store,
    workspace: &str,
    body: &TouchBody,
) -> Result<(), ApiError> {
    if store
        .get_account(workspace, &body.account_id)
        .await?
        .is_none()
    {
        return Err(ApiError::bad_request(
            "account_id",
            format!("no account `{}` in this workspace", body.account_id),
        ));
    }
    if store.get_lead(workspace, &body.lead_id).await?.is_none() {
        return Err(ApiError::bad_request(
            "lead_id",
            format!("no lead `{}` in this workspace", body.lead_id),
        ));
    }
    Ok(())
}

/// Enqueues one touch.
#[utoipa::path(
    post,
    path = "/v1/touches",
    tag = "touches",
    request_body = TouchBody,
    responses(
        (status = 201, description = "Queued", body = TouchAccepted),
        (status = 200, description = "The idempotency key was seen before: the first touch, nothing enqueued", body = TouchAccepted),
        (status = 400, description = "Invalid touch, or unknown account/lead (the field is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_touch(
    State(state): State<AppState>,
    Service(p): Service,
    ApiJson(body): ApiJson<TouchBody>,
) -> Result<(StatusCode, Json<TouchAccepted>), ApiError> {
    let (row, created) = accept_touch(&state, &p.workspace, body).await?;
    if created {
        state.wake.notify_one();
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(TouchAccepted {
            id: row.id,
            status: row.status.as_str().to_owned(),
        }),
    ))
}

/// Enqueues up to 1,000 touches; one result per item, in order. A bad item does not reject
/// the others.
#[utoipa::path(
    post,
    path = "/v1/touches/batch",
    tag = "touches",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One result per item", body = BatchResponse),
        (status = 400, description = "Not a batch, or more than 1,000 items (field `touches`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_batch(
    State(state): State<AppState>,
    Service(p): Service,
    ApiJson(batch): ApiJson<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    if batch.touches.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "touches",
            format!(
                "at most {MAX_BATCH} touches per batch (got {})",
                batch.touches.len()
            ),
        ));
    }
    let mut results = Vec::with_capacity(batch.touches.len());
    let mut any_created = false;
    let accepted = accept_batch(&state, &p.workspace, &batch.touches).await?;
    for (i, outcome) in accepted.into_iter().enumerate() {
        results.push(match outcome {
            Ok(e) => {
                any_created |= e.created;
                serde_json::json!({ "id": e.id, "status": e.status.as_str(), "created": e.created })
            }
            Err(e) => {
                e.log();
                if matches!(e, ApiError::BadRequest { .. }) {
                    tracing::debug!(workspace = %p.workspace, item = i, error = %e, "batch item rejected");
                }
                serde_json::to_value(e.body()).map_err(ApiError::internal)?
            }
        });
    }
    if any_created {
        state.wake.notify_one();
    }
    Ok(Json(BatchResponse { results }))
}

/// The touch as the API shows it: the stored row, its request, and every decision.
pub(crate) async fn touch_doc(store: &Store, row: &TouchRow) -> Result<Value, ApiError> {
    let decisions = store.decisions(&row.id).await?;
    let mut doc = serde_json::to_value(row).map_err(ApiError::internal)?;
    let request = serde_json::to_value(&row.request).map_err(ApiError::internal)?;
    if let Some(map) = doc.as_object_mut() {
        for key in ["content", "template", "not_before", "action"] {
            if let Some(v) = request.get(key) {
                map.entry(key).or_insert_with(|| v.clone());
            }
        }
        map.insert("request".to_owned(), request);
        map.insert(
            "decisions".to_owned(),
            serde_json::to_value(decisions).map_err(ApiError::internal)?,
        );
    }
    Ok(doc)
}

/// Returns a touch with its status, schedule and decision timeline.
#[utoipa::path(
    get,
    path = "/v1/touches/{id}",
    tag = "touches",
    params(("id" = String, Path, description = "Touch id")),
    responses(
        (status = 200, description = "The touch: status, next_attempt_at, attempts, decisions (oldest first), sent_at, provider_message_id, recipient (the contact it was sent to, fixed when the gate allowed it), sandbox_message, request", body = Object),
        (status = 400, description = "A bad id in the path (empty, over 255 bytes, or with control characters; field `id`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_touch(
    State(state): State<AppState>,
    Service(p): Service,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let row = state
        .store
        .get_touch(&p.workspace, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no touch `{id}`")))?;
    Ok(Json(touch_doc(&state.store, &row).await?))
}

/// Cancels a touch not yet sent (`queued` or `scheduled`); 409 once it is sending or final.
#[utoipa::path(
    post,
    path = "/v1/touches/{id}/cancel",
    tag = "touches",
    params(("id" = String, Path, description = "Touch id")),
    responses(
        (status = 200, description = "Cancelled; the touch", body = Object),
        (status = 400, description = "A bad id in the path (empty, over 255 bytes, or with control characters; field `id`)", body = ErrorBody),
        (status = 409, description = "Already sending or final", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_touch(
    State(state): State<AppState>,
    Service(p): Service,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found(format!("no touch `{id}`"));
    let (after, applied) = state
        .store
        .cancel_touch(&p.workspace, &id, state.clock.now())
        .await?
        .ok_or_else(not_found)?;
    // The conditional write decides: of concurrent cancels, one answers 200.
    if !applied.changed() {
        return Err(ApiError::Conflict(format!(
            "touch is {}; only a queued or scheduled touch can be cancelled",
            after.status.as_str()
        )));
    }
    tracing::debug!(workspace = %p.workspace, touch_id = %id, "touch cancelled");
    Ok(Json(touch_doc(&state.store, &after).await?))
}

/// Filters and paging of `GET /v1/touches`.
#[derive(Debug)]
pub(crate) struct ListQuery {
    pub(crate) filter: TouchFilter,
    pub(crate) limit: Option<i64>,
    pub(crate) cursor: Option<String>,
}

fn parse_time(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    crate::domain::time::parse_instant(v.trim()).map_err(|e| ApiError::bad_request(name, e))
}

pub(crate) fn parse_list_query(mut params: Params) -> Result<ListQuery, ApiError> {
    let status = params
        .take("status")?
        .map(|s| {
            s.trim()
                .parse::<TouchStatus>()
                .map_err(|e| ApiError::bad_request("status", e))
        })
        .transpose()?;
    let channel = params
        .take("channel")?
        .map(|s| {
            s.trim()
                .parse::<gate::Channel>()
                .map(|c| c.as_str().to_owned())
                .map_err(|e| ApiError::bad_request("channel", e.to_string()))
        })
        .transpose()?;
    let mut text = |name: &str| -> Result<Option<String>, ApiError> {
        let v = params.take(name)?;
        if let Some(v) = &v {
            check_id(v, name)?;
        }
        Ok(v)
    };
    let reason = text("reason")?;
    let account_id = text("account_id")?;
    let lead_id = text("lead_id")?;
    let campaign_id = text("campaign_id")?;
    let cursor = text("cursor")?;
    let from = params
        .take("from")?
        .map(|v| parse_time("from", &v))
        .transpose()?;
    let to = params
        .take("to")?
        .map(|v| parse_time("to", &v))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        return Err(ApiError::bad_request("to", "must be after from"));
    }
    let limit = params
        .take("limit")?
        .map(|v| match v.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                "limit",
                format!("expected an integer from 1 to {MAX_PAGE}"),
            )),
        })
        .transpose()?;
    params.finish()?;
    Ok(ListQuery {
        filter: TouchFilter {
            status,
            reason,
            channel,
            account_id,
            lead_id,
            campaign_id,
            from,
            to,
        },
        limit,
        cursor,
    })
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/csv"))
}

/// Lists touches, newest first, by page (`next_cursor`); with `Accept: text/csv`, streams
/// every matching touch as CSV.
#[utoipa::path(
    get,
    path = "/v1/touches",
    tag = "touches",
    params(
        ("status" = Option<String>, Query, description = "queued, scheduled, sending, sent, blocked, failed, expired, cancelled, needs_review"),
        ("reason" = Option<String>, Query, description = "Reason code, e.g. dnc_listed"),
        ("channel" = Option<String>, Query, description = "email, sms, call, linkedin, whatsapp"),
        ("account_id" = Option<String>, Query),
        ("lead_id" = Option<String>, Query),
        ("campaign_id" = Option<String>, Query),
        ("from" = Option<String>, Query, description = "Created at or after (RFC 3339)"),
        ("to" = Option<String>, Query, description = "Created before (RFC 3339)"),
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 1000 (default 100); for CSV, the most rows"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of touches (JSON), or every matching touch (CSV: id, lead, channel, account, status, reason, retry_after, decided_at, campaign, step)",
            content((TouchList = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A bad filter value (the parameter is named)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_touches(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let q = parse_list_query(params)?;
    if wants_csv(&headers) {
        return csv_export(state.store.clone(), p.workspace, q).await;
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    let rows = state
        .store
        .list_touches(&p.workspace, &q.filter, limit, q.cursor.as_deref())
        .await?;
    let next_cursor = if i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit {
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let touches = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).map_err(ApiError::internal)?;
            if let Some(map) = v.as_object_mut() {
                map.insert(
                    "request".to_owned(),
                    serde_json::to_value(&r.request).map_err(ApiError::internal)?,
                );
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Json(TouchList {
        touches,
        next_cursor,
    })
    .into_response())
}

/// Where the CSV stream is.
struct CsvCursor {
    store: Store,
    workspace: String,
    filter: TouchFilter,
    cursor: Option<String>,
    /// Rows still allowed by `limit` (None: all).
    remaining: Option<i64>,
    done: bool,
}

impl CsvCursor {
    fn page_size(&self) -> i64 {
        self.remaining.map_or(CSV_PAGE, |r| r.min(CSV_PAGE))
    }

    /// Renders one fetched page (of `requested` rows at most, after the header when
    /// `header`) and moves the cursor past it.
    fn render(&mut self, rows: &[TouchRow], requested: i64, header: bool) -> Bytes {
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let out = Bytes::from(crate::export::touches_csv(header, rows));
        if let Some(rem) = &mut self.remaining {
            *rem -= n;
        }
        self.cursor = rows.last().map(|r| r.id.clone());
        if n < requested || self.remaining.is_some_and(|r| r <= 0) || self.cursor.is_none() {
            self.done = true;
        }
        out
    }
}

/// Streams CSV page by page (never the whole result in memory). The first page is fetched
/// before answering, so a failing database is a 500 rather than a cut stream.
pub(crate) async fn csv_export(
    store: Store,
    workspace: String,
    q: ListQuery,
) -> Result<Response, ApiError> {
    let mut cur = CsvCursor {
        store,
        workspace,
        filter: q.filter,
        cursor: q.cursor,
        remaining: q.limit,
        done: false,
    };
    let page = cur.page_size();
    let first = cur
        .store
        .list_touches(&cur.workspace, &cur.filter, page, cur.cursor.as_deref())
        .await?;
    let head = cur.render(&first, page, true);
    let rest = futures::stream::unfold(cur, |mut cur| async move {
        if cur.done {
            return None;
        }
        let page = cur.page_size();
        match cur
            .store
            .list_touches(&cur.workspace, &cur.filter, page, cur.cursor.as_deref())
            .await
        {
            Ok(rows) => {
                let out = cur.render(&rows, page, false);
                Some((Ok::<Bytes, std::io::Error>(out), cur))
            }
            Err(e) => {
                tracing::error!(workspace = %cur.workspace, error = %crate::logging::chain(&e), "CSV export failed mid-stream; the response is cut");
                cur.done = true;
                Some((
                    Err(std::io::Error::other("storage failed during CSV export")),
                    cur,
                ))
            }
        }
    });
    let stream = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<Bytes, std::io::Error>(head) }),
        rest,
    );
    let mut res = Body::from_stream(stream).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"touches.csv\""),
    );
    Ok(res)
}
