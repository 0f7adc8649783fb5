//! The AURA HTTP client: token exchange with caching, renewal before expiry, one renewal-and-retry on
//! 401, create and cancel with typed errors that keep AURA's own `message`.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio::sync::Mutex;

use super::secret::Secret;
use super::wire::{
    CreateScheduledRequest, Created, ErrorBody, TOKEN_PATH, TokenRequest, TokenResponse,
    cancel_path, create_path, read_cancelled, read_created,
};

#[derive(Clone)]
pub struct AuraConfig {
    /// Ends in `/panic-api/v2`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub timeout: Duration,
}

impl std::fmt::Debug for AuraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuraConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// How a call to AURA failed, in the three kinds that must never be confused. Messages are AURA's
/// own where it gave one; none carries a credential or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuraError {
    /// The call did not take effect at AURA: nothing reached it, or AURA answered that it failed
    /// (429, 5xx) or did not accept our credentials. Safe to send again.
    #[error("{0}")]
    NotDelivered(NotDelivered),
    /// AURA understood and refused (4xx): final, with AURA's message.
    #[error("AURA refused it ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The call went out and no usable answer came back (timeout after sending, connection dropped
    /// mid-answer, a success whose body cannot be read): AURA may have acted on it.
    #[error("no usable answer from AURA: {0}")]
    OutcomeUnknown(String),
}

/// Why a call was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDelivered {
    #[error("AURA could not be reached: {0}")]
    Unreachable(String),
    #[error("AURA failed ({status}): {message}")]
    Unavailable {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("AURA asked us to slow down: {message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Our credentials were refused: a configuration problem for the operator.
    #[error("AURA refused the dashboard's credentials: {message}")]
    Unauthorized { message: String },
}

impl AuraError {
    /// How long AURA asked us to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuraError::NotDelivered(
                NotDelivered::Unavailable { retry_after, .. }
                | NotDelivered::RateLimited { retry_after, .. },
            ) => *retry_after,
            _ => None,
        }
    }

    fn unreachable(why: impl Into<String>) -> Self {
        AuraError::NotDelivered(NotDelivered::Unreachable(why.into()))
    }
}

/// The result of a cancel that AURA accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelOutcome {
    Cancelled,
    /// 409: it was cancelled already (e.g. our earlier attempt got through); treated as success.
    AlreadyCancelled,
}

struct CachedToken {
    value: Secret,
    renew_at: Instant,
}

pub struct AuraClient {
    http: reqwest::Client,
    config: AuraConfig,
    token: Mutex<Option<CachedToken>>,
}

impl AuraClient {
    pub fn new(config: AuraConfig) -> Result<Self, AuraError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            // Shorter than the whole call, so a connection that never opens is "not delivered"
            // rather than timing out as a whole (which would leave the outcome unknown).
            .connect_timeout((config.timeout / 2).min(Duration::from_secs(5)))
            // A redirected POST would be re-sent as a GET: a 3xx is an answer to read, not follow.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aura-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuraError::unreachable(format!("HTTP client setup failed: {e}")))?;
        Ok(AuraClient {
            http,
            config: AuraConfig {
                base_url: config.base_url.trim_end_matches('/').to_string(),
                ..config
            },
            token: Mutex::new(None),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// A valid bearer token: the cached one until shortly before it expires, else a fresh one.
    async fn bearer(&self) -> Result<Secret, AuraError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.value.clone());
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    /// Drops the cached token if it is still the one that was refused (another call may have
    /// renewed it meanwhile).
    async fn forget_token(&self, refused: &Secret) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == *refused) {
            *cached = None;
        }
    }

    /// Whether a token can be had now (the cached one or a fresh one): the readiness check.
    pub async fn check_token(&self) -> Result<(), AuraError> {
        self.bearer().await.map(|_| ())
    }

    /// A token call never books anything, so every way it fails is "not delivered".
    async fn fetch_token(&self) -> Result<CachedToken, AuraError> {
        let body = TokenRequest {
            client_id: self.config.client_id.clone(),
            client_secret: self.config.client_secret.expose().to_string(),
        };
        let started = Instant::now();
        let not_delivered = |e: AuraError| match e {
            AuraError::NotDelivered(_) => e,
            AuraError::Refused { message, .. } | AuraError::OutcomeUnknown(message) => {
                AuraError::unreachable(format!("no token: {message}"))
            }
        };
        let response = self
            .http
            .post(self.url(TOKEN_PATH))
            .json(&body)
            .send()
            .await
            .map_err(|e| not_delivered(transport_error(e)))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(AuraError::NotDelivered(NotDelivered::Unauthorized {
                message: error_message(response).await,
            }));
        }
        if status != StatusCode::OK {
            return Err(not_delivered(status_error(status, response).await));
        }
        let bytes = response.bytes().await.map_err(|e| {
            AuraError::unreachable(format!("token answer lost: {}", e.without_url()))
        })?;
        let token: TokenResponse = serde_json::from_slice(&bytes)
            .map_err(|_| AuraError::unreachable("the token answer was not understood"))?;
        // A day at most, whatever the answer says (no overflow, and a token is renewed daily).
        let lifetime = Duration::from_secs(token.expires_in.min(86_400));
        // Renew a little early so a token never expires in flight: a tenth of its life, at most 60 s.
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        Ok(CachedToken {
            value: Secret::new(token.access_token),
            renew_at: started + lifetime - margin,
        })
    }

    /// Sends an authorised call; on a 401 fetches a new token once and retries once.
    async fn send(
        &self,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, AuraError> {
        let url = self.url(path);
        let mut retried = false;
        loop {
            let token = self.bearer().await?;
            let request =
                build(self.http.request(method.clone(), &url)).bearer_auth(token.expose());
            let response = request.send().await.map_err(transport_error)?;
            if response.status() == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(
                    path,
                    "AURA answered 401; renewing the token and retrying once"
                );
                self.forget_token(&token).await;
                retried = true;
                continue;
            }
            if response.status() == StatusCode::UNAUTHORIZED {
                // AURA did not act on a call it did not authorise.
                return Err(AuraError::NotDelivered(NotDelivered::Unauthorized {
                    message: error_message(response).await,
                }));
            }
            return Ok(response);
        }
    }

    /// `POST /scheduled/{slug}`: books a scheduled request. A success is any 2xx whose body names
    /// the created request (either documented shape); a 2xx without one is an unknown outcome.
    pub async fn create(
        &self,
        slug: &str,
        body: &CreateScheduledRequest,
    ) -> Result<Created, AuraError> {
        let response = self
            .send(Method::POST, &create_path(slug), |r| r.json(body))
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(status, response).await);
        }
        let bytes = answer_body(response).await?;
        read_created(&bytes)
            .map_err(|why| AuraError::OutcomeUnknown(format!("AURA answered {status}, but {why}")))
    }

    /// `DELETE /scheduled/{id}`: stops the whole request. Safe to repeat (409 = already cancelled).
    pub async fn cancel(&self, request_id: &str) -> Result<CancelOutcome, AuraError> {
        let response = self
            .send(Method::DELETE, &cancel_path(request_id), |r| r)
            .await?;
        let status = response.status();
        if status == StatusCode::CONFLICT {
            return Ok(CancelOutcome::AlreadyCancelled);
        }
        if !status.is_success() {
            return Err(status_error(status, response).await);
        }
        let bytes = answer_body(response).await?;
        read_cancelled(&bytes).map_err(|why| {
            AuraError::OutcomeUnknown(format!("AURA answered {status}, but {why}"))
        })?;
        Ok(CancelOutcome::Cancelled)
    }
}

/// The body of an answer whose status says AURA acted: losing it leaves the outcome unknown.
async fn answer_body(response: Response) -> Result<Vec<u8>, AuraError> {
    let status = response.status();
    response.bytes().await.map(|b| b.to_vec()).map_err(|e| {
        AuraError::OutcomeUnknown(format!(
            "AURA answered {status} and the connection broke before the answer was read ({})",
            e.without_url()
        ))
    })
}

/// A call that failed before any answer: not delivered when no connection was made (refused, DNS,
/// TLS, connect timeout) or the request was never built; otherwise the request may have reached
/// AURA (timeout while waiting, connection dropped) and the outcome is unknown.
fn transport_error(e: reqwest::Error) -> AuraError {
    let e = e.without_url();
    if e.is_connect() || e.is_builder() {
        return AuraError::unreachable(format!("connection failed: {e}"));
    }
    let kind = if e.is_timeout() {
        "no answer in time"
    } else {
        "the connection broke"
    };
    AuraError::OutcomeUnknown(format!("{kind} after the request was sent ({e})"))
}

async fn error_message(response: Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<ErrorBody>(&text)
        .ok()
        .and_then(|b| b.text().map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {status} without a message"))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// A non-success answer: 429 and 5xx were not acted on (not delivered), other 4xx are refusals,
/// anything else (1xx, 3xx) leaves the outcome unknown.
async fn status_error(status: StatusCode, response: Response) -> AuraError {
    let retry_after = retry_after(&response);
    let message = error_message(response).await;
    let code = status.as_u16();
    match status {
        // The request did not arrive in full, so nothing was done.
        StatusCode::REQUEST_TIMEOUT => AuraError::NotDelivered(NotDelivered::Unavailable {
            status: code,
            message,
            retry_after,
        }),
        StatusCode::TOO_MANY_REQUESTS => AuraError::NotDelivered(NotDelivered::RateLimited {
            message,
            retry_after,
        }),
        s if s.is_server_error() => AuraError::NotDelivered(NotDelivered::Unavailable {
            status: code,
            message,
            retry_after,
        }),
        s if s.is_client_error() => AuraError::Refused {
            status: code,
            message,
        },
        _ => AuraError::OutcomeUnknown(format!("unexpected HTTP {status}: {message}")),
    }
}
