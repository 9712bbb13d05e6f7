//! A client's `X-Request-Id` is kept only when it is short and plain; anything else is
//! replaced by one of ours before it reaches the logs, the audit log or the response.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Longest request id taken from a client.
const MAX_LEN: usize = 64;

/// Letters, digits, `-`, `_`, `.` and `:`, 1 to 64 of them: what tracing systems send.
#[must_use]
pub fn is_plain(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Drops a client's request id that is not plain, so the next layer makes a fresh one.
pub async fn sanitize(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    // Every request passes here: look at the values without collecting them.
    let mut ids = headers.get_all("x-request-id").iter();
    let first = ids.next();
    let replace = ids.next().is_some() || first.is_some_and(|id| !is_plain(id.as_bytes()));
    if replace {
        headers.remove("x-request-id");
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::is_plain;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_plain(b"0195f3a0-0000-7000-8000-000000000000"));
        assert!(is_plain(b"trace:abc.def_1"));
        assert!(!is_plain(b""));
        assert!(!is_plain(&[b'a'; 65]));
        assert!(!is_plain(b"id\nforged log line"));
        assert!(!is_plain(b"<script>"));
        assert!(!is_plain("é".as_bytes()));
    }
}
