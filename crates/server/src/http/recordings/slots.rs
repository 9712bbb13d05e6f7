//! Uploads in flight per token: each holds a temporary file and a probe slot, so one token
//! cannot open hundreds of slow uploads at once. Past the cap: 429 `too_many_uploads`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use callbase_domain::TokenId;
use serde_json::json;

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Default, Clone)]
pub struct UploadSlots {
    in_flight: Arc<Mutex<HashMap<TokenId, u32>>>,
}

/// One upload's place; given back when dropped, however the upload ends.
#[derive(Debug)]
pub struct UploadSlot {
    slots: UploadSlots,
    token: TokenId,
}

impl UploadSlots {
    /// A place for one more upload by `token`, if it has fewer than `cap` in flight.
    ///
    /// # Errors
    /// `too_many_uploads` (429) at the cap.
    pub fn take(&self, token: TokenId, cap: u32) -> Result<UploadSlot, ApiError> {
        let mut in_flight = self.in_flight.lock().map_err(ApiError::internal)?;
        let count = in_flight.entry(token).or_insert(0);
        if *count >= cap {
            return Err(ApiError::new(
                ErrorCode::TooManyUploads,
                format!("this token has {cap} uploads or fetches in flight already; wait for one to finish"),
            )
            .with_details(json!({ "limit": cap }))
            .with_header(axum::http::header::RETRY_AFTER, 1));
        }
        *count += 1;
        Ok(UploadSlot { slots: self.clone(), token })
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.slots.in_flight.lock()
            && let Some(count) = in_flight.get_mut(&self.token)
        {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.token);
            }
        }
    }
}
