//! The AURA HTTP client: token exchange with caching, renewal before expiry, one renewal-and-retry on
//! 401, create and cancel with typed errors that keep AURA's own `message`.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio::sync::Mutex;

use super::secret::Secret;
use super::wire::{
    CreateScheduledRequest, ErrorBody, RequestStatus, ScheduledRequestDto,
    ScheduledRequestEnvelope, TOKEN_PATH, TokenRequest, TokenResponse, cancel_path, create_path,
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

/// What can go wrong talking to AURA. Messages are AURA's own where it gave one; none of them
/// carries a credential or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuraError {
    /// AURA understood and refused (400, 403, 404, 409, 422 ...): retrying will not help.
    #[error("AURA refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// Our credentials were refused: a configuration problem.
    #[error("AURA refused the dashboard's credentials: {message}")]
    Unauthorized { message: String },
    #[error("AURA asked us to slow down: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// AURA failed on its side (5xx).
    #[error("AURA failed ({status}): {message}")]
    Unavailable { status: u16, message: String },
    /// No answer: connection refused, DNS, timeout.
    #[error("AURA could not be reached: {0}")]
    Unreachable(String),
    /// An answer we cannot trust to mean what we asked (unexpected status or body).
    #[error("AURA answered unexpectedly: {0}")]
    Protocol(String),
}

impl AuraError {
    /// Whether the same call may succeed later unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AuraError::RateLimited { .. }
                | AuraError::Unavailable { .. }
                | AuraError::Unreachable(_)
        )
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
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("aura-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuraError::Protocol(format!("HTTP client setup failed: {e}")))?;
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

    async fn fetch_token(&self) -> Result<CachedToken, AuraError> {
        let body = TokenRequest {
            client_id: self.config.client_id.clone(),
            client_secret: self.config.client_secret.expose().to_string(),
        };
        let started = Instant::now();
        let response = self
            .http
            .post(self.url(TOKEN_PATH))
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(AuraError::Unauthorized {
                message: error_message(response).await,
            });
        }
        if status != StatusCode::OK {
            return Err(status_error(status, response).await);
        }
        let token: TokenResponse = response.json().await.map_err(|e| {
            AuraError::Protocol(format!(
                "token response was not understood: {}",
                e.without_url()
            ))
        })?;
        let lifetime = Duration::from_secs(token.expires_in);
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
                return Err(AuraError::Unauthorized {
                    message: error_message(response).await,
                });
            }
            return Ok(response);
        }
    }

    /// `POST /scheduled/{slug}`: books a scheduled request and returns AURA's record of it.
    pub async fn create(
        &self,
        slug: &str,
        body: &CreateScheduledRequest,
    ) -> Result<ScheduledRequestDto, AuraError> {
        let response = self
            .send(Method::POST, &create_path(slug), |r| r.json(body))
            .await?;
        let status = response.status();
        // 200/201 only, and only with a body that names the created request: AURA uses odd 2xx
        // codes elsewhere, so a bare success status is not proof.
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(status_error(status, response).await);
        }
        let envelope: ScheduledRequestEnvelope = response.json().await.map_err(|e| {
            AuraError::Protocol(format!(
                "create answered {status} without a scheduled request: {}",
                e.without_url()
            ))
        })?;
        if envelope.scheduled_request.id.trim().is_empty() {
            return Err(AuraError::Protocol(
                "create answered without a request id".into(),
            ));
        }
        Ok(envelope.scheduled_request)
    }

    /// `DELETE /scheduled/{id}`: stops the whole request.
    pub async fn cancel(&self, request_id: &str) -> Result<CancelOutcome, AuraError> {
        let response = self
            .send(Method::DELETE, &cancel_path(request_id), |r| r)
            .await?;
        let status = response.status();
        if status == StatusCode::CONFLICT {
            return Ok(CancelOutcome::AlreadyCancelled);
        }
        if status != StatusCode::OK {
            return Err(status_error(status, response).await);
        }
        let envelope: ScheduledRequestEnvelope = response.json().await.map_err(|e| {
            AuraError::Protocol(format!(
                "cancel answered {status} without a scheduled request: {}",
                e.without_url()
            ))
        })?;
        if envelope.scheduled_request.status != RequestStatus::Cancelled {
            return Err(AuraError::Protocol(
                "cancel answered, but the request is not cancelled".into(),
            ));
        }
        Ok(CancelOutcome::Cancelled)
    }
}

fn transport_error(e: reqwest::Error) -> AuraError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    AuraError::Unreachable(format!("{kind}: {}", e.without_url()))
}

async fn error_message(response: Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<ErrorBody>(&text)
        .ok()
        .and_then(|b| b.text().map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {status} without a message"))
}

async fn status_error(status: StatusCode, response: Response) -> AuraError {
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let message = error_message(response).await;
    let code = status.as_u16();
    match status {
        StatusCode::TOO_MANY_REQUESTS => AuraError::RateLimited {
            retry_after,
            message,
        },
        s if s.is_server_error() => AuraError::Unavailable {
            status: code,
            message,
        },
        s if s.is_client_error() => AuraError::Rejected {
            status: code,
            message,
        },
        _ => AuraError::Protocol(format!("unexpected HTTP {status}: {message}")),
    }
}
