//! `POST /v1/scrub?phone_column=phone&channel=call&purpose=marketing` (operator): a CSV in, the
//! same rows out with `reason` and `detail`, both streamed (exempt from `max_body_bytes`,
//! bounded by `[registries] max_import_bytes`); `GET /v1/scrubs`: the runs.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::auth::{Operator, actor};
use super::error::{ApiError, ErrorBody};
use super::extract::Params;
use crate::app::AppState;
use crate::scrub::{Output, ScrubError, Scrubber};
use crate::store::ScrubRow;

/// Bytes of CSV sent to the client at a time.
const CHUNK: usize = 64 * 1024;

/// Scrubs a CSV.
#[utoipa::path(
    post,
    path = "/v1/scrub",
    tag = "registries",
    params(
        ("phone_column" = String, Query, description = "The column holding the number"),
        ("channel" = Option<String>, Query, description = "call (default) | sms | whatsapp | email | linkedin"),
        ("purpose" = Option<String>, Query, description = "marketing (default) | transactional"),
    ),
    request_body(content = String, content_type = "text/csv", description = "Headers on the first line; any CSV the `csv` crate reads"),
    responses(
        (status = 200, description = "Every row with `reason` and `detail` (empty when approved), text/csv", body = String, content_type = "text/csv"),
        (status = 400, description = "Bad parameter, or no such column (field `phone_column`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn scrub(
    State(state): State<AppState>,
    Operator(p): Operator,
    headers: HeaderMap,
    mut params: Params,
    req: Request,
) -> Result<Response, ApiError> {
    let phone_column = params
        .take("phone_column")?
        .ok_or_else(|| ApiError::bad_request("phone_column", "required"))?;
    let channel: gate::Channel = params
        .take("channel")?
        .map_or(Ok(gate::Channel::Call), |c| c.parse())
        .map_err(|e: gate::ParseError| ApiError::bad_request("channel", e.to_string()))?;
    let purpose_name = params
        .take("purpose")?
        .unwrap_or_else(|| "marketing".to_owned());
    let purpose = match purpose_name.as_str() {
        "marketing" => gate::Purpose::Marketing,
        "transactional" => gate::Purpose::Transactional,
        other => {
            return Err(ApiError::bad_request(
                "purpose",
                format!("unknown purpose `{other}` (expected marketing or transactional)"),
            ));
        }
    };
    params.finish()?;
    let body = req
        .into_body()
        .into_data_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other));
    let job = ScrubJob {
        phone_column,
        channel,
        purpose,
        purpose_name,
        actor: actor(&headers, &p),
    };
    run_scrub(&state, &p.workspace, job, body).await
}

/// What to scrub a CSV for, and who asked.
#[derive(Debug)]
pub(crate) struct ScrubJob {
    pub(crate) phone_column: String,
    pub(crate) channel: gate::Channel,
    pub(crate) purpose: gate::Purpose,
    pub(crate) purpose_name: String,
    pub(crate) actor: String,
}

/// Scrubs the CSV `body` streams (bounded by `[registries] max_import_bytes`) and answers
/// with the result, streamed; the run is recorded once it is over (`POST /v1/scrub` and the
/// console's upload).
pub(crate) async fn run_scrub<S>(
    state: &AppState,
    workspace: &str,
    job: ScrubJob,
    body: S,
) -> Result<Response, ApiError>
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static,
{
    let ScrubJob {
        phone_column,
        channel,
        purpose,
        purpose_name,
        actor: by,
    } = job;
    let now = state.clock.now();
    let settings = state.config.workspace(workspace);
    let dnc = state.store.dnc_contacts(workspace).await?;
    let scrubber = Scrubber::new(
        channel,
        purpose,
        &settings.default_region,
        dnc,
        state.registries.snapshot(),
        now,
    )
    .with_privacy(state.store.privacy().clone());
    let limit = state.config.registries.max_import_bytes();
    let mut read: u64 = 0;
    let body = body.map(move |chunk| {
        let chunk = chunk?;
        read = read.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if read > limit {
            return Err(std::io::Error::other(format!(
                "the body is over [registries] max_import_bytes ({limit})"
            )));
        }
        Ok::<Bytes, std::io::Error>(chunk)
    });
    let input = SyncIoBridge::new(StreamReader::new(body));
    let (opened_tx, opened) = oneshot::channel::<Result<(), ScrubError>>();
    let (out_tx, out_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let task = tokio::task::spawn_blocking(move || {
        let run = match scrubber.open(input, &phone_column) {
            Ok(r) => r,
            Err(e) => {
                let _ = opened_tx.send(Err(e));
                return None;
            }
        };
        let _ = opened_tx.send(Ok(()));
        let mut sink = ChannelWriter {
            tx: out_tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        match run.write(Output::All(&mut sink), &|_| {}) {
            Ok(counts) => Some(counts),
            Err(e) => {
                let _ = out_tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                None
            }
        }
    });
    match opened.await {
        Ok(Ok(())) => {}
        Ok(Err(ScrubError::NoSuchColumn(c))) => {
            return Err(ApiError::bad_request(
                "phone_column",
                format!("the CSV has no column `{c}`"),
            ));
        }
        Ok(Err(e)) => {
            return Err(ApiError::bad_request_no_field(format!(
                "{e}: {}",
                crate::logging::chain(&e)
            )));
        }
        Err(_) => return Err(ApiError::bad_request_no_field("the CSV could not be read")),
    }
    // Record the run once it is over, whatever the client does with the answer.
    let (store, ws) = (state.store.clone(), workspace.to_owned());
    state.background.spawn(async move {
        let Ok(Some(counts)) = task.await else { return };
        let row = ScrubRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: now,
            actor: by,
            channel: channel.as_str().to_owned(),
            purpose: purpose_name,
            rows: i64::try_from(counts.rows).unwrap_or(i64::MAX),
            approved: i64::try_from(counts.approved).unwrap_or(i64::MAX),
            rejected: i64::try_from(counts.rejected).unwrap_or(i64::MAX),
            by_reason: serde_json::to_value(&counts.by_reason).unwrap_or_default(),
        };
        if let Err(e) = store.record_scrub(&ws, &row).await {
            tracing::warn!(error = %crate::logging::chain(&e), "scrub run not recorded");
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(out_rx);
    let mut res = Body::from_stream(stream).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"scrubbed.csv\""),
    );
    Ok(res)
}

/// A `Write` that sends what it is given to the response, a chunk at a time.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

/// The workspace's scrub runs: `{"scrubs": [...]}`.
#[utoipa::path(
    get,
    path = "/v1/scrubs",
    tag = "registries",
    params(("limit" = Option<i64>, Query, description = "At most this many (default 100)")),
    responses((status = 200, description = "`{\"scrubs\": [{id, at, actor, channel, purpose, rows, approved, rejected, by_reason}]}`", body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn scrubs(
    State(state): State<AppState>,
    Operator(p): Operator,
    mut params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = super::check::limit(&mut params, 100)?;
    params.finish()?;
    let scrubs = state.store.list_scrubs(&p.workspace, limit).await?;
    Ok(Json(serde_json::json!({ "scrubs": scrubs })))
}
