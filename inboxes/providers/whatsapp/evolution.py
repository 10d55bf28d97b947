"""Evolution API client (channels.md §2): instance state and QR, webhook set-up, sendText / sendMedia, media.

The server URL is the administrator's; calls go through the SSRF-guarded adapter of automations.webhooks, so
a self-hosted Evolution on a private network needs WEBHOOK_ALLOW_PRIVATE_URLS=1 (as outgoing webhooks do).
"""

import base64
import datetime as dt

import jwt
import requests
from django.conf import settings

from automations.webhooks import GuardedAdapter, UnsafeURL
from inboxes.providers.whatsapp.cloud import ProviderError, network_error
from inboxes.providers.whatsapp.models import WhatsappChannel

# What Evolution's webhook must carry for Autonomia (empty would mean "all events").
WEBHOOK_EVENTS = ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE", "QRCODE_UPDATED", "SEND_MESSAGE"]
MEDIA_TYPES = {0: "image", 1: "audio", 2: "video"}  # Attachment.FileType → mediatype; anything else: document


def webhook_jwt_valid(key: str, authorization: str | None) -> bool:
    """Evolution's `headers.jwt_key` mode: Authorization: Bearer <HS256 JWT> with app=evolution (PyJWT)."""
    if not key or not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer ").strip(), key, algorithms=["HS256"],
                            options={"require": ["iat", "exp"]}, leeway=dt.timedelta(seconds=30))
    except jwt.PyJWTError:
        return False
    return claims.get("app") == "evolution"


def _session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", GuardedAdapter())
    session.mount("https://", GuardedAdapter())
    return session


class EvolutionClient:
    """Calls for one instance; every call raises ProviderError on failure."""

    def __init__(self, channel: WhatsappChannel, session: requests.Session | None = None):
        self.channel = channel
        self.base = channel.config("server_url").rstrip("/")
        self.instance = channel.config("instance_name")
        self.session = session or _session()
        self.timeout = settings.WHATSAPP_HTTP_TIMEOUT

    def _call(self, method: str, path: str, *, sending: bool = False, **kwargs):
        try:
            response = self.session.request(method, f"{self.base}{path}", timeout=self.timeout,
                                            headers={"apikey": self.channel.config("apikey")}, **kwargs)
        except UnsafeURL as error:
            raise ProviderError(str(error), retryable=False) from error
        except requests.RequestException as error:
            raise network_error(error, sending=sending) from error
        if response.status_code >= 400:
            raise _error(response)
        try:
            return response.json()
        except ValueError:
            return {}

    def connection_state(self) -> str:
        body = self._call("GET", f"/instance/connectionState/{self.instance}")
        return ((body.get("instance") or {}).get("state")) or body.get("state") or "close"

    def connect(self) -> dict:
        """GET /instance/connect: a fresh QR code ({base64, code, pairingCode}) while not paired."""
        return self._call("GET", f"/instance/connect/{self.instance}")

    def logout(self) -> None:
        self._call("DELETE", f"/instance/logout/{self.instance}")

    def set_webhook(self, url: str) -> None:
        """Point the instance's webhook at Autonomia, signed with a JWT made from the channel's secret."""
        self._call("POST", f"/webhook/set/{self.instance}", json={"webhook": {
            "enabled": True, "url": url, "byEvents": False, "base64": True, "events": WEBHOOK_EVENTS,
            "headers": {"jwt_key": self.channel.webhook_token}}})

    def send_text(self, number: str, text: str, quoted_id: str | None = None) -> str:
        body = {"number": number, "text": text, "linkPreview": False}
        if quoted_id:
            body["quoted"] = {"key": {"id": quoted_id}}
        return _key_id(self._call("POST", f"/message/sendText/{self.instance}", sending=True, json=body))

    def send_media(self, number: str, *, media_type: str, mime_type: str, data: bytes, file_name: str,
                   caption: str = "") -> str:
        body = {"number": number, "mediatype": media_type, "mimetype": mime_type, "fileName": file_name,
                "caption": caption, "media": base64.b64encode(data).decode()}
        return _key_id(self._call("POST", f"/message/sendMedia/{self.instance}", sending=True, json=body))

    def group_info(self, group_jid: str) -> dict:
        """GET /group/findGroupInfos → {id, subject, size, participants, …} of a group the instance is in."""
        return self._call("GET", f"/group/findGroupInfos/{self.instance}", params={"groupJid": group_jid})

    def media_base64(self, message_id: str) -> dict:
        """POST /chat/getBase64FromMediaMessage → {mediaType, fileName, mimetype, base64}."""
        return self._call("POST", f"/chat/getBase64FromMediaMessage/{self.instance}",
                          json={"message": {"key": {"id": message_id}}, "convertToMp4": False})


def _key_id(body) -> str:
    try:
        return body["key"]["id"]
    except (KeyError, TypeError):  # accepted (2xx) but unreadable: it may be out
        raise ProviderError("the reply carried no message id", uncertain=True) from None


def _error(response: requests.Response) -> ProviderError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    rows = body if isinstance(body, list) else (body.get("response", {}) or {}).get("message") or []
    if isinstance(rows, list) and any(isinstance(r, dict) and r.get("exists") is False for r in rows):
        return ProviderError("number not on WhatsApp", code=131026, http_status=response.status_code,
                             title="This number is not on WhatsApp.")
    message = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    retryable = response.status_code in (408, 429) or response.status_code >= 500
    return ProviderError(str(message or f"HTTP {response.status_code}"), http_status=response.status_code,
                         retryable=retryable)
