"""Alú's report over the JSON API: `GET /api/v2/accounts/{id}/reports/assistant?since=&until=&inbox_id=`.

Chatwoot's v2 reports take `since`/`until` as unix timestamps and are for administrators (agents get 401, as
every administrator-only endpoint here); ISO 8601 dates and times are accepted too. Another account's id is 404.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from autonomia.api import api_view, epoch, int_param, require_administrator, unprocessable
from automations.assistant import actions, queries

DEFAULT_DAYS = 30
MAX_RANGE = dt.timedelta(days=366)


def time_param(request: HttpRequest, name: str) -> dt.datetime | None:
    """A unix timestamp (seconds) or an ISO 8601 date or date-time; 422 otherwise."""
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = dt.datetime.combine(day, dt.time.min)
    except ValueError:  # well formed but not a real date (month 13)
        value = None
    if value is None:
        raise unprocessable(f"{name} must be a unix timestamp or an ISO 8601 date", [name])
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@api_view(["GET"])
def assistant_report(request: HttpRequest):
    """Conversations handled by the assistant, resolved without a person, handed off by reason, median time to
    handoff, runs, tokens and model latency, for [since, until)."""
    require_administrator(request)
    until = time_param(request, "until") or timezone.now()
    since = time_param(request, "since") or until - dt.timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise unprocessable("since must be before until", ["since"])
    if until - since > MAX_RANGE:
        raise unprocessable("The range can span at most 366 days", ["since"])
    inbox_id = int_param(request.GET, "inbox_id")
    if inbox_id is not None:
        from inboxes.queries import access_inbox

        access_inbox(request.account_user, inbox_id)  # 404 for another account's inbox
    report = queries.assistant_report(request.account.pk, since=since, until=until, inbox_id=inbox_id)
    by_reason = report.pop("handoffs_by_reason")
    return {"since": epoch(since), "until": epoch(until), "inbox_id": inbox_id, **report,
            "handoffs_by_reason": [{"reason": code, "label": actions.handoff_reason_label(code), "count": count}
                                   for code, count in by_reason.items()]}
