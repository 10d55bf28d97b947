"""The JSON API's plumbing: token authentication, account access, body parsing, errors, rate limits.

Every endpoint of `/api/v1` is a short function decorated with `api_view`. It receives the request with
`request.account`, `request.account_user` (None for bot tokens), `request.api_actor` (the User or AgentBot
that acts) and `request.data` (JSON or form fields), and returns plain data: dicts and lists are rendered
as JSON. Errors follow Chatwoot: 401 `{"error": ...}`, 404 `{"error": "Resource could not be found"}`,
422 `{"message": ..., "attributes": [...]}`, 400 for malformed JSON, 413 for oversize bodies, 429 with
Retry-After.
"""

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from autonomia.actions import DomainError
from autonomia.models import AccessToken, Account, AccountUser, User

NOT_FOUND = {"error": "Resource could not be found"}


class ApiError(Exception):
    """An error answered as JSON with its status."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body)
        self.status, self.body, self.headers = status, body, headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


def unprocessable(message: str, attributes: Iterable[str] = ()) -> ApiError:
    return ApiError(422, {"message": message, "attributes": list(attributes)})


# --- Authentication ------------------------------------------------------------------------

def request_token(request: HttpRequest) -> str:
    """The token from `api_access_token` (any spelling the server stack keeps), `API-Key` (the administrator's
    manual, §9.4) or `Authorization: Bearer`. Never from the query string: URLs end up in access logs."""
    for key in ("api-access-token", "api_access_token", "api-key"):
        value = request.headers.get(key)
        if value:
            return value.strip()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return ""


def token_owner(token: str):
    """(owner_type, owner) for a valid token, else (None, None). Lookups go through a unique index."""
    if not token or len(token) > 64:
        return None, None
    row = AccessToken.objects.filter(token=token).values_list("owner_type", "owner_id").first()
    if row is None:
        return None, None
    owner_type, owner_id = row
    if owner_type == "User":
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
    elif owner_type == "AgentBot":
        from inboxes.models import AgentBot

        owner = AgentBot.objects.filter(pk=owner_id).first()
    elif owner_type == "PlatformApp":
        from autonomia.models import PlatformApp

        owner = PlatformApp.objects.filter(pk=owner_id).first()
    else:
        owner = None
    return (owner_type, owner) if owner is not None else (None, None)


def _authenticate(request: HttpRequest) -> tuple[str, object]:
    owner_type, owner = token_owner(request_token(request))
    if owner is None:
        raise ApiError(401, {"error": "Invalid Access Token"})
    return owner_type, owner


def _account_access(request: HttpRequest, owner_type: str, owner, account_id: int, *, bot_allowed: bool) -> None:
    """Sets request.account / account_user / api_actor, or 404 (never a hint that the account exists)."""
    if owner_type == "User":
        membership = (AccountUser.objects.select_related("account", "user")
                      .filter(user=owner, account_id=account_id, account__status=Account.Status.ACTIVE).first())
        if membership is None:
            raise ApiError(404, NOT_FOUND)
        request.account_user, request.account, request.api_actor = membership, membership.account, owner
        request.user = owner
    elif owner_type == "AgentBot":
        # A bot acts in its own account, or (a global bot) in the accounts whose inboxes use it.
        from inboxes.models import AgentBotInbox

        account = Account.objects.filter(pk=account_id, status=Account.Status.ACTIVE).first()
        uses_bot = account is not None and (owner.account_id == account.pk or AgentBotInbox.objects.filter(
            agent_bot=owner, inbox__account=account).exists())
        if not uses_bot:
            raise ApiError(404, NOT_FOUND)
        if not bot_allowed:
            raise ApiError(401, {"error": "You are not authorized to do this action"})
        request.account_user, request.account, request.api_actor = None, account, owner
    else:
        raise ApiError(401, {"error": "You are not authorized to do this action"})


# --- Bodies --------------------------------------------------------------------------------

def _parse_body(request: HttpRequest) -> dict:
    """JSON objects, or form / multipart fields (lists kept for `name[]` keys). Unknown keys are left to views."""
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "DELETE") and not request.body:
        return {}
    if content_type.startswith("multipart/") or content_type == "application/x-www-form-urlencoded":
        data = {}
        for key in request.POST:
            values = request.POST.getlist(key)
            name = key[:-2] if key.endswith("[]") else key
            data[name] = values if key.endswith("[]") or len(values) > 1 else values[0]
        return data
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"Malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    return data


def _has_bad_text(value) -> bool:
    """NUL characters and lone surrogates: PostgreSQL cannot store them (text or jsonb), so they would 500."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_text(v) for v in value)
    return False


def _reject_bad_text(request: HttpRequest) -> None:
    """422 naming the fields (body or query) whose text holds NUL characters or invalid Unicode."""
    bad = [key for key, value in request.data.items() if _has_bad_text(key) or _has_bad_text(value)]
    bad += [key for key, values in request.GET.lists() if _has_bad_text(key) or _has_bad_text(values)]
    if bad:
        raise unprocessable("Text must not contain NUL characters or invalid Unicode",
                            ["".join(c for c in key if c.isprintable()) for key in bad])


def _rate_limit(request: HttpRequest, key: str) -> None:
    if not settings.RATELIMIT_ENABLE:
        return
    if is_ratelimited(request, group="api", key=lambda g, r: key, rate=settings.API_RATE_PER_TOKEN, increment=True):
        raise ApiError(429, {"error": "Too many requests. Slow down and retry."},
                       headers={"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)})


# --- The decorator -------------------------------------------------------------------------

def render(result, status: int = 200) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    if result is None:
        return HttpResponse(status=200 if status == 200 else status)
    return JsonResponse(result, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def api_view(methods: Iterable[str], *, bot_allowed: bool = False, account: bool = True,
             platform: bool = False) -> Callable:
    """Token-authenticated JSON endpoint; `account=False` for /api/v1/profile and other account-less paths.

    `platform=True` is for /platform/api/v1: only PlatformApp tokens, set as request.platform_app (and
    request.api_actor); the view checks which objects the app may manage.
    """
    allowed = {m.upper() for m in methods}

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in allowed:
                    raise ApiError(405, {"error": f"Method {request.method} not allowed"},
                                   headers={"Allow": ", ".join(sorted(allowed))})
                owner_type, owner = _authenticate(request)
                _rate_limit(request, f"{owner_type}:{getattr(owner, 'pk', '')}")
                if platform:
                    if owner_type != "PlatformApp":
                        raise ApiError(401, {"error": "You are not authorized to do this action"})
                    request.account_user, request.account, request.api_actor = None, None, owner
                    request.platform_app = owner
                elif account:
                    _account_access(request, owner_type, owner, kwargs.pop("account_id"), bot_allowed=bot_allowed)
                elif owner_type != "User":
                    raise ApiError(401, {"error": "You are not authorized to do this action"})
                else:
                    request.account_user, request.account, request.api_actor = None, None, owner
                    request.user = owner
                request.data = _parse_body(request)
                _reject_bad_text(request)
                return render(view(request, *args, **kwargs))
            except ApiError as error:
                response = JsonResponse(error.body, status=error.status)
                for header, value in error.headers.items():
                    response[header] = value
                return response
            except Http404:
                return JsonResponse(NOT_FOUND, status=404)
            except DomainError as error:
                return JsonResponse({"message": error.message, "attributes": [error.field] if error.field else []},
                                    status=422)
            except RequestDataTooBig:
                return JsonResponse({"error": "The request body is too large."}, status=413)

        wrapper.api_methods = allowed
        return wrapper

    return decorate


def require_administrator(request: HttpRequest) -> None:
    """Administrator-only endpoints answer 401 to agents and bots, as Chatwoot does."""
    if request.account_user is None or not request.account_user.is_administrator:
        raise ApiError(401, {"error": "You are not authorized to do this action"})


# --- Values --------------------------------------------------------------------------------

def epoch(value: dt.datetime | None, default=None):
    """Chatwoot's integer unix timestamps."""
    return int(value.timestamp()) if value else default


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value, dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def int_param(data, name: str, default: int | None = None) -> int | None:
    """An integer that may arrive as a string (Evolution API sends ids as strings); 422 when not a number."""
    value = data.get(name, default)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise unprocessable(f"{name} must be an integer", [name]) from None


def page_param(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def str_param(data, name: str, default: str | None = None, *, max_length: int = 255,
              required: bool = False) -> str | None:
    """A string field (numbers are accepted and converted); 422 when it is not text or too long."""
    value = data.get(name, default)
    if value is None:
        if required:
            raise unprocessable(f"{name} can't be blank", [name])
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise unprocessable(f"{name} must be a string", [name])
    value = str(value).strip()
    if required and not value:
        raise unprocessable(f"{name} can't be blank", [name])
    if len(value) > max_length:
        raise unprocessable(f"{name} is too long (maximum is {max_length} characters)", [name])
    return value


def bool_param(data, name: str, default: bool | None = None) -> bool | None:
    """A boolean that may arrive as true/false, 1/0 or "true"/"false" (form posts); 422 otherwise."""
    value = data.get(name, default)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "on", "yes"):
        return True
    if text in ("false", "0", "off", "no", ""):
        return False
    raise unprocessable(f"{name} must be true or false", [name])


def ids_param(data, name: str, *, required: bool = True) -> list[int]:
    """A list of integer ids (`user_ids[]`); ids may arrive as strings. 422 when missing or not ids."""
    value = data.get(name)
    if value is None:
        if required:
            raise unprocessable(f"{name} can't be blank", [name])
        return []
    if not isinstance(value, list):
        value = [value]
    try:
        if any(isinstance(v, (bool, dict, list, float)) for v in value):
            raise ValueError
        return [int(v) for v in value]
    except (TypeError, ValueError):
        raise unprocessable(f"{name} must be a list of ids", [name]) from None


def nested(data, key: str) -> dict:
    """Chatwoot clients send some bodies wrapped (`{"profile": {...}}`); accept both forms."""
    value = data.get(key)
    return value if isinstance(value, dict) else data
