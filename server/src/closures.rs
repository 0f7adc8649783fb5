//! The closures page's forms, and the several-bookings page's confirmation: plain HTML posts (they work without JavaScript), as axum handlers
//! rather than server functions because they carry lists (the sites ticked, the bookings chosen)
//! and a file (an `.ics` import). Each ends like every form of the dashboard: a flash in the
//! session and a redirect, back to the page with the problem next to its field when there is one.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use backend::AppState;
use backend::auth::{self, CurrentViewer};
use backend::closures::{self, MAX_ICS_BYTES, PAGE};
use backend::error::ServerError;
use backend::forms::Done;
use domain::Field;
use domain::error::AppError;
use domain::model::{FormFlash, FormId, Kept};
use tower_sessions::Session;

/// Ends a form of the closures page.
async fn finish(
    session: &Session,
    form: FormId,
    values: Kept,
    outcome: Result<Done, ServerError>,
) -> Response {
    finish_to(session, form, values, outcome, PAGE).await
}

/// Ends a form: where it goes, with what it did, or back to `page` with what went wrong.
async fn finish_to(
    session: &Session,
    form: FormId,
    values: Kept,
    outcome: Result<Done, ServerError>,
    page: &str,
) -> Response {
    let flash = match outcome {
        Ok(done) => {
            let flash = FormFlash {
                success: done.success,
                reveal: done.reveal,
                ..FormFlash::empty(form)
            };
            if auth::set_flash(session, &flash).await.is_err() {
                tracing::warn!("a closure form's flash could not be kept");
            }
            return Redirect::to(&done.redirect).into_response();
        }
        Err(ServerError::User(AppError::Unauthorized)) => {
            return Redirect::to(&auth::sign_in_then(page)).into_response();
        }
        Err(e) => {
            let (errors, notice) = match e.reported() {
                AppError::Invalid(errors) => (errors, None),
                other => (Default::default(), Some(other.to_string())),
            };
            FormFlash {
                form,
                values,
                errors,
                notice,
                success: None,
                reveal: None,
            }
        }
    };
    if auth::set_flash(session, &flash).await.is_err() {
        tracing::warn!("a closure form's flash could not be kept");
    }
    Redirect::to(page).into_response()
}

fn ids(pairs: &[(String, String)], name: &str) -> Result<Vec<i64>, ServerError> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| {
            v.trim().parse::<i64>().map_err(|_| {
                ServerError::User(AppError::BadRequest(format!("{name}: not a number")))
            })
        })
        .collect()
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn signed_in(
    viewer: Option<std::sync::Arc<backend::auth::Viewer>>,
) -> Result<std::sync::Arc<backend::auth::Viewer>, ServerError> {
    viewer.ok_or(ServerError::User(AppError::Unauthorized))
}

/// `POST /closures/add`: name, first and last day closed, the sites ticked (none: every site).
pub async fn add(
    State(state): State<AppState>,
    axum::Extension(CurrentViewer(viewer)): axum::Extension<CurrentViewer>,
    session: Session,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let (name, from, to) = (
        one(&pairs, &Field::Name.name()),
        one(&pairs, &Field::SkipFrom.name()),
        one(&pairs, &Field::SkipTo.name()),
    );
    let outcome = async {
        let viewer = signed_in(viewer)?;
        let sites = ids(&pairs, &Field::Site.name())?;
        closures::add_closure(&state, &viewer, name, from, to, &sites, chrono::Utc::now()).await
    }
    .await;
    let kept = Kept::of(&[
        (Field::Name, name),
        (Field::SkipFrom, from),
        (Field::SkipTo, to),
    ]);
    finish(&session, FormId::NewClosure, kept, outcome).await
}

/// `POST /closures/import`: a calendar file (`ics`) and the sites ticked (none: every site).
pub async fn import(
    State(state): State<AppState>,
    axum::Extension(CurrentViewer(viewer)): axum::Extension<CurrentViewer>,
    session: Session,
    multipart: Multipart,
) -> Response {
    let outcome = async {
        let viewer = signed_in(viewer)?;
        let (text, sites) = read_import(multipart).await?;
        closures::import_closures(&state, &viewer, &text, &sites, chrono::Utc::now()).await
    }
    .await;
    finish(&session, FormId::ImportClosures, Kept::default(), outcome).await
}

/// The file and the sites of an import form (the file at most [`MAX_ICS_BYTES`], as text).
async fn read_import(mut multipart: Multipart) -> Result<(String, Vec<i64>), ServerError> {
    let bad = |why: &str| ServerError::User(AppError::BadRequest(why.to_string()));
    let mut text = None;
    let mut sites = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("The form could not be read."))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|_| bad("The form could not be read."))?
        {
            if bytes.len() + chunk.len() > MAX_ICS_BYTES {
                return Err(domain::FieldErrors::one(
                    Field::ClosureFile,
                    format!(
                        "The file is larger than {} KB; split it.",
                        MAX_ICS_BYTES / 1024
                    ),
                )
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == Field::ClosureFile.name() {
            text = Some(String::from_utf8(bytes).map_err(|_| {
                domain::FieldErrors::one(
                    Field::ClosureFile,
                    "The file is not text (a calendar file is UTF-8 text).",
                )
            })?);
        } else if name == Field::Site.name() {
            let value = String::from_utf8_lossy(&bytes);
            sites.push(
                value
                    .trim()
                    .parse()
                    .map_err(|_| bad("site: not a number"))?,
            );
        }
    }
    match text {
        Some(text) if !text.trim().is_empty() => Ok((text, sites)),
        _ => Err(
            domain::FieldErrors::one(Field::ClosureFile, "Choose a calendar file (.ics).").into(),
        ),
    }
}

/// `POST /closures/{id}/apply`: skip the closure's dates in the bookings ticked.
pub async fn apply(
    State(state): State<AppState>,
    axum::Extension(CurrentViewer(viewer)): axum::Extension<CurrentViewer>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let outcome = async {
        let viewer = signed_in(viewer)?;
        let chosen = ids(&pairs, "booking")?;
        closures::apply_closure(
            &state,
            &viewer,
            id,
            &chosen,
            one(&pairs, "key"),
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish(&session, FormId::Closure(id), Kept::default(), outcome).await
}

/// `POST /closures/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(CurrentViewer(viewer)): axum::Extension<CurrentViewer>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let outcome = async {
        let viewer = signed_in(viewer)?;
        closures::delete_closure(&state, &viewer, id).await
    }
    .await;
    finish(&session, FormId::Closure(id), Kept::default(), outcome).await
}

/// `POST /several/apply`: the action of the dry run (`action`, with `reason` or `skip-from` and
/// `skip-to`) on each booking ticked.
pub async fn apply_several(
    State(state): State<AppState>,
    axum::Extension(CurrentViewer(viewer)): axum::Extension<CurrentViewer>,
    session: Session,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    use backend::several;
    let outcome = async {
        let viewer = signed_in(viewer)?;
        let act = several::read_act(
            one(&pairs, "action"),
            one(&pairs, &Field::CancelReason.name()),
            one(&pairs, &Field::SkipFrom.name()),
            one(&pairs, &Field::SkipTo.name()),
        )?
        .ok_or_else(|| ServerError::User(AppError::BadRequest("No action was given.".into())))?;
        let chosen = ids(&pairs, "booking")?;
        several::apply(
            &state,
            &viewer,
            &chosen,
            &act,
            one(&pairs, "key"),
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_to(
        &session,
        FormId::Several,
        Kept::default(),
        outcome,
        several::PAGE,
    )
    .await
}
