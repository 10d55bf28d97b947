"""Loopback stand-ins for the WhatsApp Cloud API (Graph) and Evolution API (channels.md §8).

Real HTTP servers (http.server in a thread on 127.0.0.1) that record every request and answer like the
provider, with scripted error replies queued per route kind.
"""

import base64
import hashlib
import itertools
import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "EAAG-test-token"
EVOLUTION_KEY = "evo-instance-key"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


class Recorded:
    def __init__(self, method: str, path: str, query: dict, headers: dict, body: bytes):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def json(self):
        return json.loads(self.body or b"null")


class Standin:
    """Base: a threaded HTTP server; subclasses implement `route(request) -> (status, body, content_type)`."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.script: dict[str, deque] = defaultdict(deque)  # kind → queued (status, body) replies
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(self.command, parts.path, parse_qs(parts.query),
                                   {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                with standin.lock:
                    standin.requests.append(request)
                status, body, content_type = standin.route(request)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.script.clear()

    def fail_next(self, kind: str, status: int, body, times: int = 1):
        for _ in range(times):
            self.script[kind].append((status, body))

    def scripted(self, kind: str):
        with self.lock:
            return self.script[kind].popleft() if self.script[kind] else None

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]


def graph_error(code: int, message: str = "error", status: int = 400) -> tuple[int, dict]:
    return status, {"error": {"message": message, "type": "OAuthException", "code": code,
                              "error_data": {"details": message}, "fbtrace_id": "A1"}}


class CloudStandin(Standin):
    """Graph API: messages, media upload, two-step media download (Bearer only), paged templates."""

    VERSION = "v22.0"

    def __init__(self):
        super().__init__()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.templates: list[dict] = []

    def add_media(self, media_id: str, data: bytes, mime: str = "image/png"):
        self.media[media_id] = (data, mime)

    def route(self, request: Recorded):
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                   "code": 190}}, "application/json"
        path = request.path
        if path.startswith("/download/"):
            data, mime = self.media[path.rsplit("/", 1)[-1]]
            return 200, data, mime
        parts = path.strip("/").split("/")
        if parts[-1] == "messages" and request.method == "POST":
            reply = self.scripted("send")
            if reply:
                return reply[0], reply[1], "application/json"
            body = request.json()
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                         "messages": [{"id": f"wamid.OUT{next(self.counter)}"}]}, "application/json"
        if parts[-1] == "media" and request.method == "POST":
            return 200, {"id": f"upload-{next(self.counter)}"}, "application/json"
        if parts[-1] == "message_templates":
            page = int((request.query.get("after") or ["0"])[0])
            chunk = self.templates[page * 2:page * 2 + 2]
            body = {"data": chunk, "paging": {}}
            if page * 2 + 2 < len(self.templates):
                body["paging"]["next"] = f"{self.url}{path}?after={page + 1}"
            return 200, body, "application/json"
        if len(parts) == 2 and parts[1] in self.media:
            reply = self.scripted("media")
            if reply:
                return reply[0], reply[1], "application/json"
            data, mime = self.media[parts[1]]
            return 200, {"messaging_product": "whatsapp", "url": f"{self.url}/download/{parts[1]}",
                         "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                         "id": parts[1]}, "application/json"
        if len(parts) == 2:
            return 200, {"display_phone_number": "15550001111", "verified_name": "Loja Teste",
                         "quality_rating": "GREEN", "id": parts[1]}, "application/json"
        return 404, {"error": {"message": "unknown path", "code": 100}}, "application/json"


class EvolutionStandin(Standin):
    """Evolution API 2.x: sendText / sendMedia (201 + key.id), media as base64, instance state, QR, webhook set."""

    def __init__(self):
        super().__init__()
        self.state = "open"

    def route(self, request: Recorded):
        if request.headers.get("apikey") != EVOLUTION_KEY:
            return 401, {"status": 401, "error": "Unauthorized"}, "application/json"
        path = request.path
        if path.startswith("/message/send"):
            reply = self.scripted("send")
            if reply:
                return reply[0], reply[1], "application/json"
            body = request.json()
            return 201, {"key": {"remoteJid": f"{body.get('number')}@s.whatsapp.net", "fromMe": True,
                                 "id": f"EVO{next(self.counter):06d}"}, "status": "PENDING"}, "application/json"
        if path.startswith("/chat/getBase64FromMediaMessage/"):
            return 200, {"mediaType": "imageMessage", "fileName": "photo.png", "mimetype": "image/png",
                         "base64": base64.b64encode(PNG).decode()}, "application/json"
        if path.startswith("/instance/connectionState/"):
            return 200, {"instance": {"instanceName": path.rsplit("/", 1)[-1], "state": self.state}}, "application/json"
        if path.startswith("/instance/connect/"):
            self.state = "connecting"
            return 200, {"pairingCode": "WZYEH1YY", "code": "2@abc", "base64": "data:image/png;base64,"
                         + base64.b64encode(PNG).decode()}, "application/json"
        if path.startswith("/instance/logout/"):
            self.state = "close"
            return 200, {"status": "SUCCESS", "error": False}, "application/json"
        if path.startswith("/webhook/set/"):
            return 201, {"webhook": request.json().get("webhook")}, "application/json"
        return 404, {"status": 404, "error": "Not Found"}, "application/json"
