//! The public REST API, `/api/v1`: its router (outside sessions and the page guard: a key is the
//! credential, so no cookie and no cross-site check apply), the key extractor, problem-details
//! answers, and the OpenAPI 3.1 document generated from the handlers (`utoipa`) with its
//! reference page.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend::AppState;
use backend::api::{ApiError, keys};
use backend::auth::Viewer;
use domain::api::{FieldProblem, Problem, Scope};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

mod docs;
mod handlers;

/// Where the API is served.
pub const API_PREFIX: &str = "/api/v1";

/// An API error as an answer: `application/problem+json`, with `Retry-After` when waiting helps.
pub struct ApiProblem(pub ApiError);

impl From<ApiError> for ApiProblem {
    fn from(e: ApiError) -> Self {
        ApiProblem(e)
    }
}

impl From<backend::ServerError> for ApiProblem {
    fn from(e: backend::ServerError) -> Self {
        ApiProblem(ApiError::Server(e))
    }
}

impl From<domain::error::AppError> for ApiProblem {
    fn from(e: domain::error::AppError) -> Self {
        ApiProblem(e.into())
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let (problem, wait) = self.0.problem();
        problem_response(&problem, wait)
    }
}

/// A problem document as an HTTP answer.
pub fn problem_response(problem: &Problem, wait: Option<u64>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(problem).unwrap_or_else(|_| "{}".into());
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(wait) = wait {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
    }
    response
}

/// A refusal before any handler ran (a body too large or too slow, a malformed path): the same
/// problem shape as the rest of the API.
pub fn refusal(status: StatusCode, detail: &str) -> Response {
    let kind = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::REQUEST_TIMEOUT => "too-slow",
        _ => "invalid-request",
    };
    problem_response(
        &Problem {
            kind: format!("/api/v1/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Refused").into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        },
        None,
    )
}

/// The key a request came with, checked (known, not revoked, not expired, within its rate): the
/// customer it acts for, as a viewer of the same flows as the pages, and its scopes.
pub struct Key {
    pub viewer: Arc<Viewer>,
    pub scopes: Vec<Scope>,
}

impl Key {
    pub fn require(&self, scope: Scope) -> Result<(), ApiProblem> {
        Ok(backend::api::require(&self.scopes, scope)?)
    }

    pub fn id(&self) -> i64 {
        self.viewer.key.as_ref().map_or(0, |k| k.id)
    }
}

impl FromRequestParts<AppState> for Key {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Key, ApiProblem> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let now = chrono::Utc::now();
        match keys::authenticate(state, authorization, state.api.rate_per_minute, now).await? {
            Ok((viewer, scopes)) => Ok(Key {
                viewer: Arc::new(viewer),
                scopes,
            }),
            Err(refusal) => Err(ApiProblem(ApiError::Key(refusal))),
        }
    }
}

/// A JSON body read into `T`; what is wrong is named by where it is (`details.numberOfGuards`).
pub fn read_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiProblem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiProblem(backend::api::param(
            "body",
            "A JSON body is required.",
        )));
    }
    let mut reader = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        // Nothing read yet ("?") or the value itself ("."): the body as a whole.
        let field = if path == "." || path == "?" {
            "body".to_string()
        } else {
            path
        };
        let detail = e.inner().to_string();
        ApiProblem(ApiError::Params(vec![FieldProblem { field, detail }]))
    })?;
    reader.end().map_err(|_| {
        ApiProblem(backend::api::param(
            "body",
            "Only one JSON value is expected.",
        ))
    })?;
    Ok(value)
}

/// The API's router, its state applied, to be nested at [`API_PREFIX`]; with the OpenAPI document
/// (`/openapi.json`) and its reference page (`/docs`) generated from the handlers.
pub fn router(state: AppState) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(handlers::base_document())
        .routes(utoipa_axum::routes!(
            handlers::list_bookings,
            handlers::create_booking
        ))
        .routes(utoipa_axum::routes!(
            handlers::get_booking,
            handlers::change_booking,
            handlers::cancel_booking
        ))
        .routes(utoipa_axum::routes!(handlers::skip_dates))
        .routes(utoipa_axum::routes!(
            handlers::list_sites,
            handlers::create_site
        ))
        .routes(utoipa_axum::routes!(handlers::list_windows))
        .routes(utoipa_axum::routes!(
            handlers::list_webhooks,
            handlers::create_webhook
        ))
        .routes(utoipa_axum::routes!(handlers::delete_webhook))
        .routes(utoipa_axum::routes!(handlers::rotate_webhook))
        .routes(utoipa_axum::routes!(handlers::list_deliveries))
        .routes(utoipa_axum::routes!(handlers::replay_delivery))
        .split_for_parts();
    let document = Arc::new(finish_document(document));
    let json = Arc::new(serde_json::to_string_pretty(&*document).unwrap_or_else(|_| "{}".into()));
    let page = Arc::new(docs::reference_page(&document));
    api.route(
        "/openapi.json",
        axum::routing::get(move || {
            let json = json.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    (*json).clone(),
                )
            }
        }),
    )
    .route(
        "/docs",
        axum::routing::get(move || {
            let page = page.clone();
            async move {
                (
                    [(
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'unsafe-inline'",
                    )],
                    axum::response::Html((*page).clone()),
                )
            }
        }),
    )
    .fallback(|| async { ApiProblem(ApiError::NoRoute) })
    .method_not_allowed_fallback(|| async {
        problem_response(
            &Problem {
                kind: "/api/v1/problems/method-not-allowed".into(),
                title: "Method not allowed".into(),
                status: 405,
                detail: "This operation does not take that method; see /api/v1/openapi.json."
                    .into(),
                errors: Vec::new(),
            },
            None,
        )
    })
    .layer(axum::middleware::from_fn(no_store))
    .with_state(state)
}

/// API answers carry one customer's data: never kept in shared caches.
async fn no_store(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-store"));
    response
}

/// The document as generated, with what every operation shares: the key as a bearer token, and
/// the problem answers any operation may give.
fn finish_document(mut document: OpenApi) -> OpenApi {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
    // The handlers' paths are relative to where the router is nested.
    let relative = std::mem::take(&mut document.paths.paths);
    for (path, item) in relative {
        document
            .paths
            .paths
            .insert(format!("{API_PREFIX}{path}"), item);
    }
    let components = document.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "apiKey".into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key (aura_…), made on the API keys page or with `server api-key add`.",
                ))
                .build(),
        )),
    );
    let problem = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "Problem",
                        ))))
                        .build(),
                )
                .build(),
        )
    };
    let shared = [
        (
            "400",
            "The request could not be read (each field named in errors).",
        ),
        (
            "401",
            "No valid API key: missing, unknown, revoked or expired.",
        ),
        ("403", "The key lacks the scope this needs."),
        ("404", "No such thing for this key's customer."),
        ("405", "This operation does not take that method."),
        ("408", "The body came in too slowly."),
        ("409", "Not possible in the state it is in."),
        ("413", "The body is too large."),
        (
            "422",
            "A rule is broken (each field named in errors), or an Idempotency-Key was reused with another body.",
        ),
        (
            "429",
            "Too many requests with this key this minute (see Retry-After).",
        ),
        ("500", "A failure on the dashboard's side (logged)."),
    ];
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.delete,
            &mut item.put,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for (code, what) in shared {
                operation
                    .responses
                    .responses
                    .entry(code.into())
                    .or_insert_with(|| problem(what));
            }
        }
    }
    document
}
