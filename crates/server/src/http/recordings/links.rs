//! Share links: `GET /recordings/{id}/media?link=…&signature=…` works without logging in.
//! Each link is a stored record — listed per recording, revocable, audited when made — and it
//! works only until it expires, and only while its creator is active and may still write in
//! the workspace. The signature (HMAC-SHA256 with a key every instance shares through the
//! database) makes link ids unguessable and lets a forged one be refused without a read.

use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callbase_domain::{RecordingId, ShareLinkId, Timestamp, UserId, UserStatus, WorkspaceId, now};
use callbase_store::ShareLink;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, JsonOrEmpty, Path};
use crate::state::AppState;

const DEFAULT_LIFETIME_SECONDS: u32 = 24 * 3600;
const MAX_LIFETIME_SECONDS: u32 = 30 * 24 * 3600;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareIn {
    /// How long the link works, 60 s to 30 days (default one day).
    #[serde(default, deserialize_with = "crate::extract::optional_integer")]
    #[schema(minimum = 60, maximum = 2592000)]
    pub expires_in_seconds: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareOut {
    pub id: ShareLinkId,
    /// Plays or downloads the recording without logging in (ranges work as usual). Shown
    /// only now: the list shows the link, not its URL.
    pub url: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareLinkOut {
    pub id: ShareLinkId,
    pub recording_id: RecordingId,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl From<ShareLink> for ShareLinkOut {
    fn from(link: ShareLink) -> Self {
        Self {
            id: link.id,
            recording_id: link.recording_id,
            created_by: link.created_by,
            created_at: link.created_at,
            expires_at: link.expires_at,
            revoked_at: link.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareLinkList {
    pub data: Vec<ShareLinkOut>,
}

/// A link to the recording's media that works without logging in until it expires or is
/// revoked (writers; audited).
#[utoipa::path(post, path = "/recordings/{id}/share", tag = "recordings",
    params(("id" = RecordingId, Path)),
    request_body(content = Option<ShareIn>, content_type = "application/json"),
    responses((status = 201, body = ShareOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn share_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
    JsonOrEmpty(input): JsonOrEmpty<ShareIn>,
) -> ApiResult<(StatusCode, Json<ShareOut>)> {
    let workspace = principal.require_write()?;
    let recording = super::editable_recording(&state, &principal, id).await?;
    if recording.media.is_none() {
        return Err(ApiError::new(ErrorCode::RecordingNotStored, "the recording has no media yet"));
    }
    let lifetime = input.expires_in_seconds.unwrap_or(DEFAULT_LIFETIME_SECONDS);
    if !(60..=MAX_LIFETIME_SECONDS).contains(&lifetime) {
        return Err(ApiError::invalid_field(
            "expires_in_seconds",
            "must be between 60 and 2592000 (30 days)",
        ));
    }
    let at = now();
    let expires_at =
        Timestamp::from_second(at.as_second() + i64::from(lifetime)).map_err(ApiError::internal)?;
    let link = ShareLink {
        id: ShareLinkId::new(),
        workspace_id: workspace,
        recording_id: id,
        created_by: principal.user.id,
        created_at: at,
        expires_at,
        revoked_at: None,
    };
    let mut audit = principal.audit("recording.share", "recording", id);
    audit.details = serde_json::json!({ "link_id": link.id, "expires_at": expires_at });
    state.store.create_share_link(&link, &audit).await?;
    let signature = sign(&link_key(&state).await?, link.id, id);
    let base = state.settings.public_url.as_deref().unwrap_or("").trim_end_matches('/');
    let url = format!("{base}/api/v1/recordings/{id}/media?link={}&signature={signature}", link.id);
    Ok((StatusCode::CREATED, Json(ShareOut { id: link.id, url, expires_at })))
}

/// The recording's share links, newest first (writers).
#[utoipa::path(get, path = "/recordings/{id}/shares", tag = "recordings",
    params(("id" = RecordingId, Path)),
    responses((status = 200, body = ShareLinkList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_share_links(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<Json<ShareLinkList>> {
    let workspace = principal.require_write()?;
    super::visible_recording(&state, &principal, workspace, id).await?;
    let links = state.store.list_share_links(workspace, id).await?;
    Ok(Json(ShareLinkList { data: links.into_iter().map(ShareLinkOut::from).collect() }))
}

/// Revokes a share link at once (its creator, or owners and admins; audited).
#[utoipa::path(delete, path = "/recordings/{id}/shares/{link_id}", tag = "recordings",
    params(("id" = RecordingId, Path), ("link_id" = ShareLinkId, Path)),
    responses((status = 200, body = ShareLinkOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_share_link(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, link_id)): Path<(RecordingId, ShareLinkId)>,
) -> ApiResult<Json<ShareLinkOut>> {
    let workspace = principal.require_write()?;
    let link_not_found = || ApiError::new(ErrorCode::ShareLinkNotFound, "no such share link");
    let access = state.store.share_link_access(link_id).await?.ok_or_else(link_not_found)?;
    let link = access.link;
    if link.workspace_id != workspace || link.recording_id != id {
        return Err(link_not_found());
    }
    if link.created_by != principal.user.id && !principal.role()?.can_administer() {
        return Err(ApiError::forbidden("only its creator or an admin revokes a share link"));
    }
    let mut audit = principal.audit("recording.share_revoke", "recording", id);
    audit.details = serde_json::json!({ "link_id": link_id });
    let revoked = state
        .store
        .revoke_share_link(workspace, link_id, now(), &audit)
        .await?
        .ok_or_else(link_not_found)?;
    Ok(Json(revoked.into()))
}

/// The workspace a share link opens `id` in, when the link is genuine, for this recording,
/// unrevoked, unexpired, and its creator is still active with write access there.
pub(crate) async fn verify_link(
    state: &AppState,
    id: RecordingId,
    link_id: ShareLinkId,
    signature: &str,
) -> ApiResult<WorkspaceId> {
    let invalid = || ApiError::new(ErrorCode::InvalidLink, "the share link is not valid");
    let given = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
    let mut mac = keyed(&link_key(state).await?);
    mac.update(message(link_id, id).as_bytes());
    mac.verify_slice(&given).map_err(|_| invalid())?;
    let access = state.store.share_link_access(link_id).await?.ok_or_else(invalid)?;
    let link = access.link;
    let creator_may_share = access.creator_status == UserStatus::Active
        && access.creator_role.is_some_and(|role| role.can_write());
    if link.recording_id != id || link.revoked_at.is_some() || !creator_may_share {
        return Err(ApiError::new(ErrorCode::InvalidLink, "the share link no longer works"));
    }
    if link.expires_at <= now() {
        return Err(ApiError::new(ErrorCode::LinkExpired, "the share link has expired"));
    }
    Ok(link.workspace_id)
}

fn message(link: ShareLinkId, id: RecordingId) -> String {
    format!("recording-share\n{link}\n{id}")
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn sign(key: &[u8], link: ShareLinkId, id: RecordingId) -> String {
    let mut mac = keyed(key);
    mac.update(message(link, id).as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The link-signing key: generated by whichever instance needs it first, then shared.
async fn link_key(state: &AppState) -> ApiResult<Vec<u8>> {
    let key = state
        .link_key
        .get_or_try_init(|| async {
            let mut generated = [0u8; 32];
            rand::rng().fill_bytes(&mut generated);
            state.store.server_key("share_links", &generated).await
        })
        .await?;
    Ok(key.clone())
}
