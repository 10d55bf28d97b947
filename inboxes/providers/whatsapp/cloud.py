"""WhatsApp Cloud API (Meta Graph API) client: send, media up/download, templates, signatures, error meanings.

The base URL and version are settings (WHATSAPP_CLOUD_BASE_URL, WHATSAPP_CLOUD_API_VERSION) so tests point
them at a loopback stand-in (channels.md §1, §8).
"""

import hashlib
import hmac

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError
from django.utils.translation import gettext_lazy as _

from inboxes.providers.whatsapp.models import WhatsappChannel

# Provider error codes that mean "later may work": rate limits and throttling (channels.md §1).
RETRYABLE_CODES = {4, 80007, 130429, 131056, 131057, 131000, 131016, 133004}
TOKEN_CODES = {190}
ERROR_TEXT = {
    131047: _("More than 24 hours have passed since the customer's last message; only an approved template "
              "can be sent now."),
    130429: _("WhatsApp's sending rate limit for this number was reached; the message will be retried."),
    131056: _("Too many messages were sent to this customer in a short time; the message will be retried."),
    190: _("The WhatsApp access token expired or is invalid; update it in the inbox settings."),
    131026: _("This number cannot receive WhatsApp messages."),
    131048: _("WhatsApp limited this number for spam; wait before sending again."),
    131051: _("This message type is not supported by WhatsApp."),
    132000: _("The template's parameters do not match the approved template."),
    132001: _("This template does not exist in this language, or it is not approved."),
}
UNCERTAIN_TEXT = _("The connection to WhatsApp was interrupted while sending, so the message may or may not "
                   "have reached the customer. Check the conversation before sending it again.")


class ProviderError(Exception):
    """A failed provider call; `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None,
                 retryable: bool = False, title: str = "", uncertain: bool = False):
        super().__init__(message)
        self.code, self.http_status, self.retryable, self.title = code, http_status, retryable, title or message
        # The request may have reached the provider (a send that timed out waiting for its reply): resending
        # could deliver it twice, so the agent decides.
        self.uncertain = uncertain

    @property
    def agent_text(self) -> str:
        """'<code>: <explanation>' for the agent (Chatwoot's external_error shape)."""
        if self.uncertain:
            return str(UNCERTAIN_TEXT)
        explanation = ERROR_TEXT.get(self.code) or self.title
        return f"{self.code}: {explanation}" if self.code is not None else str(explanation)


def network_error(error: requests.RequestException, *, sending: bool) -> ProviderError:
    """A failed connection: retryable when the request cannot have reached the provider (refused, no route,
    connect timeout); for a send that may have arrived (read timeout, connection dropped mid-reply), uncertain."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    never_arrived = isinstance(error, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)
    if sending and not never_arrived:
        return ProviderError(str(error), uncertain=True)
    return ProviderError(str(error), retryable=True)


class MediaTooLarge(Exception):
    """The provider announced (or streamed) more bytes than WHATSAPP_MEDIA_MAX_BYTES."""


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>, compared in constant time."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def error_from_response(response: requests.Response) -> ProviderError:
    """Turn a Graph API error reply into a ProviderError (retry on 429, 5xx and rate-limit codes)."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code")
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    details = (error.get("error_data") or {}).get("details") or ""
    title = error.get("message") or details or f"HTTP {response.status_code}"
    retryable = response.status_code == 429 or response.status_code >= 500 or code in RETRYABLE_CODES
    return ProviderError(title, code=code, http_status=response.status_code, retryable=retryable, title=title)


class CloudClient:
    """Calls for one channel; every call raises ProviderError on failure."""

    def __init__(self, channel: WhatsappChannel, session: requests.Session | None = None):
        self.channel = channel
        self.session = session or requests.Session()
        self.base = f"{settings.WHATSAPP_CLOUD_BASE_URL}/{settings.WHATSAPP_CLOUD_API_VERSION}"
        self.timeout = settings.WHATSAPP_HTTP_TIMEOUT

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.channel.config('api_key')}"}

    def _call(self, method: str, url: str, *, sending: bool = False, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, headers=self.headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise network_error(error, sending=sending) from error
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def send(self, payload: dict) -> str:
        """POST /{phone_number_id}/messages → the new wamid."""
        url = f"{self.base}/{self.channel.phone_number_id}/messages"
        response = self._call("POST", url, sending=True, json={"messaging_product": "whatsapp", **payload})
        try:
            return response.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError):  # accepted (2xx) but unreadable: it may be out
            raise ProviderError("the reply carried no message id", uncertain=True) from None

    def upload_media(self, data: bytes, mime_type: str, file_name: str) -> str:
        """POST /{phone_number_id}/media (multipart) → a media id to send."""
        url = f"{self.base}/{self.channel.phone_number_id}/media"
        response = self._call("POST", url, data={"messaging_product": "whatsapp", "type": mime_type},
                              files={"file": (file_name, data, mime_type)})
        return response.json()["id"]

    def download_media(self, media_id: str, max_bytes: int) -> tuple[bytes, dict]:
        """The two-step download: GET /{media_id} for a short-lived URL, then GET it with the same Bearer."""
        info = self._call("GET", f"{self.base}/{media_id}",
                          params={"phone_number_id": self.channel.phone_number_id}).json()
        if int(info.get("file_size") or 0) > max_bytes:
            raise MediaTooLarge(info.get("file_size"))
        try:
            response = self.session.get(info["url"], headers=self.headers, timeout=self.timeout, stream=True)
        except (KeyError, requests.RequestException) as error:
            raise ProviderError(str(error), retryable=True) from error
        with response:
            if response.status_code >= 400:
                raise error_from_response(response)
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(size)
                chunks.append(chunk)
        data = b"".join(chunks)
        if info.get("sha256") and hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise ProviderError("media checksum mismatch", retryable=True)
        return data, info

    def templates(self):
        """Every template of the business account, following paging.next."""
        url = f"{self.base}/{self.channel.config('business_account_id')}/message_templates"
        params = {"limit": 100}
        for _page in range(100):  # a bound, in case a provider loops
            body = self._call("GET", url, params=params).json()
            yield from body.get("data") or []
            url = (body.get("paging") or {}).get("next")
            if not url:
                return
            params = None

    def phone_number_info(self) -> dict:
        """GET /{phone_number_id}: the 'test connection' call."""
        return self._call("GET", f"{self.base}/{self.channel.phone_number_id}",
                          params={"fields": "display_phone_number,verified_name,quality_rating"}).json()
