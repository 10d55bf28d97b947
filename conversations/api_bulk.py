"""POST /api/v1/accounts/{id}/bulk_actions (chatwoot-compat §5.2): many conversations at once.

Body: `{type: "Conversation", ids: [display ids], fields: {status, assignee_id, team_id}, snoozed_until,
labels: {add: [], remove: []}}`. The body is checked here (422 for anything no conversation could take), the
change is applied by a background job (conversations.bulk_actions) and the answer is 200 `{}` at once, as
Chatwoot's. The job touches only the conversations the caller may see.
"""

from autonomia.api import api_view, unprocessable
from conversations import bulk_actions
from conversations.api import parse_status, parse_time
from conversations.models import Conversation


def _ids(data) -> list[int]:
    value = data.get("ids")
    if not isinstance(value, list) or not value:
        raise unprocessable("ids must be a non-empty list of conversation ids", ["ids"])
    try:
        if any(isinstance(v, (bool, float, dict, list)) for v in value):
            raise ValueError
        ids = sorted({int(v) for v in value})
    except (TypeError, ValueError):
        raise unprocessable("ids must be a non-empty list of conversation ids", ["ids"]) from None
    if len(ids) > bulk_actions.MAX_IDS or ids[0] < 0 or ids[-1] >= 2**31:
        raise unprocessable(f"ids must hold between 1 and {bulk_actions.MAX_IDS} conversation ids", ["ids"])
    return ids


def _optional_id(fields: dict, name: str) -> int | None:
    """An id that may be null (unassign); the dashboard sends 0 to remove the team."""
    value = fields.get(name)
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, (bool, float, dict, list)):
        raise unprocessable(f"Invalid {name}", [name])
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise unprocessable(f"Invalid {name}", [name]) from None
    if not 0 < number < 2**63:
        raise unprocessable(f"Invalid {name}", [name])
    return number


def _titles(labels: dict, key: str) -> list[str]:
    value = labels.get(key) or []
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in value):
        raise unprocessable(f"labels.{key} must be a list of label titles", ["labels"])
    return value


def _changes(data) -> dict:
    fields = data.get("fields") or {}
    labels = data.get("labels") or {}
    if not isinstance(fields, dict):
        raise unprocessable("fields must be an object", ["fields"])
    if not isinstance(labels, dict):
        raise unprocessable("labels must be an object", ["labels"])
    changes = {}
    if fields.get("status") is not None:  # Chatwoot drops a null status
        if not isinstance(fields["status"], str):
            raise unprocessable("status must be one of open, resolved, pending, snoozed", ["status"])
        changes["status"] = parse_status(fields["status"])
        until = parse_time(data, "snoozed_until") or parse_time(fields, "snoozed_until")
        if until is not None and changes["status"] == Conversation.Status.SNOOZED:
            changes["snoozed_until"] = until.isoformat()
    for name in ("assignee_id", "team_id"):
        if name in fields:
            changes[name] = _optional_id(fields, name)
    for key in ("add", "remove"):
        titles = _titles(labels, key)
        if titles:
            changes[f"{key}_labels"] = titles
    return changes


@api_view(["POST"])
def bulk_actions_view(request):
    """Check the bulk change, queue it, answer `{}` (agent-bot tokens get 401 from api_view)."""
    data = request.data
    if str(data.get("type") or "").lower() != "conversation":
        raise unprocessable("type must be Conversation", ["type"])
    bulk_actions.request_bulk_update(request.account_user, ids=_ids(data), changes=_changes(data))
    return {}
