"""Alú's part of the OpenAPI document (merged by autonomia/openapi.py)."""

from autonomia.openapi import ID, TIME, operation, query
from autonomia.openapi_components import INT, NUM, STR, array, null

REASON = {"type": "object", "properties": {"reason": STR, "label": STR, "count": INT}}
REPORT = {"type": "object", "properties": {
    "since": INT, "until": INT, "inbox_id": null(INT), "handled": INT, "resolved_without_person": INT,
    "handed_off": INT, "handoffs_by_reason": array(REASON), "median_seconds_to_handoff": null(NUM), "runs": INT,
    "replied_runs": INT, "discarded_runs": INT, "prompt_tokens": INT, "completion_tokens": INT,
    "median_latency_ms": null(NUM)}}


def assistant_paths() -> dict:
    return {
        "/api/v2/accounts/{account_id}/reports/assistant": {
            "parameters": [ID("account_id")],
            "get": operation(
                "Alú's report: conversations handled, resolved without a person, handed off by reason",
                REPORT, tag="Reports", errors=(401, 404, 422),
                params=(query("since", TIME, "Start (unix seconds or ISO 8601); default: until − 30 days."),
                        query("until", TIME, "End, exclusive (unix seconds or ISO 8601); default: now."),
                        query("inbox_id", INT, "Only this inbox.")),
                description="Administrators only (agents and bots: 401). The range spans at most 366 days.")},
    }
