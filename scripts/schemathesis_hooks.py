"""schemathesis hooks for scripts/test (REL-3): the few refusals of schema-valid requests that
follow rules no JSON Schema can state, such as one field compared with another. Each is
accepted only with its operation, status, code, field and reason; any other refusal still
fails the run."""

import json
import re

import schemathesis

# (operation, status, error code, field or query parameter, reason as a regex)
ACCEPTED = [
    # A call's timestamps come in order: started_at <= answered_at <= ended_at.
    ("POST /api/v1/calls", 422, "validation_failed", "answered_at", r"must not be before"),
    ("POST /api/v1/calls", 422, "validation_failed", "ended_at", r"must not be before"),
    # A transcript segment ends no earlier than it starts.
    (
        "PUT /api/v1/recordings/{id}/transcript",
        422,
        "validation_failed",
        "segments",
        r"segment \d+: start_ms must not be negative or after end_ms$",
    ),
    # The body may be any bytes; only audio in a supported format is stored.
    ("POST /api/v1/calls/{id}/recordings", 415, "unsupported_media_type", None, None),
    ("POST /api/v1/calls/{id}/recordings", 422, "invalid_media", None, None),
    # What Twilio does when the callee answers (`twiml`, `answer_url`, `record`) goes with a
    # call placed through an integration: one field that needs another to be non-null.
    (
        "POST /api/v1/calls/outbound",
        422,
        "validation_failed",
        None,
        r"^only for a call placed through an integration$",
    ),
    # With an integration, Twilio names the call and needs its instructions and caller id:
    # rules that tie fields to `integration_id` (to be stated in the schema as one shape per
    # case, as POST /calls does).
    (
        "POST /api/v1/calls/outbound",
        422,
        "validation_failed",
        None,
        r"^(set by Twilio for a call placed through it|give twiml or answer_url.*"
        r"|required with integration_id, or answer_url: .*"
        r"|required: the Twilio number the call comes from|must be an http or https URL)$",
    ),
    # An integration's config and secrets are those of its type, which the stored integration
    # decides (its type is not in the request).
    (
        "PATCH /api/v1/integrations/{id}",
        422,
        "validation_failed",
        None,
        r"^(a \w+ integration takes .*|required, as text|expected .*)$",
    ),
    (
        "PUT /api/v1/integrations/{id}/secrets",
        422,
        "validation_failed",
        None,
        r"^(a \w+ integration holds .*|required)$",
    ),
]

# A custom statistics period needs `from` before `to`, at most three years apart.
for _operation in ("stats", "stats/daily", "stats/duration-distribution"):
    for _parameter, _reason in (
        ("from", r"a custom period needs from and to$"),
        ("to", r"must be after from$"),
        ("to", r"a period is at most three years$"),
    ):
        ACCEPTED.append(
            (f"GET /api/v1/calls/{_operation}", 400, "invalid_query", _parameter, _reason)
        )


def _error(response):
    try:
        return json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return None


def _accepted(operation, response):
    error = _error(response)
    if not isinstance(error, dict):
        return False
    details = error.get("details") or {}
    named = details.get("field", details.get("parameter"))
    return any(
        operation == accepted_operation
        and response.status_code == status
        and error.get("code") == code
        and (field is None or named == field)
        and (reason is None or re.search(reason, str(details.get("reason", ""))))
        for accepted_operation, status, code, field, reason in ACCEPTED
    )


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but "schema-valid request rejected" for a rule in ACCEPTED."""
    if getattr(failure, "code", None) != "ST202":
        return True
    return not _accepted(case.operation.label, response)
