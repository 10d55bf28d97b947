"""Loopback stand-ins for the WhatsApp Cloud API (Graph) and Evolution API (channels.md §8).

Real HTTP servers (http.server in a thread on 127.0.0.1) that record every request and answer like the
provider, with scripted error replies queued per route kind.
"""

import base64
import hashlib
import itertools
import json
import re
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "EAAG-test-token"
EVOLUTION_KEY = "evo-instance-key"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
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
        # hold_sends(): a send is recorded (the provider has it) but its reply waits for release() — the window
        # in which a worker can die or time out before it learns the message id.
        self.holding = False
        self.held = threading.Event()
        self.released = threading.Event()
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
        self.release()
        self.holding = False

    def hold_sends(self):
        self.holding = True
        self.held.clear()
        self.released.clear()

    def release(self):
        self.released.set()

    def wait_if_holding(self):
        if self.holding:
            self.held.set()
            self.released.wait(timeout=30)

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
        self.on_download = None

    def reset(self):
        super().reset()
        self.on_download = None

    def add_media(self, media_id: str, data: bytes, mime: str = "image/png"):
        self.media[media_id] = (data, mime)

    def route(self, request: Recorded):
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                   "code": 190}}, "application/json"
        path = request.path
        if path.startswith("/download/"):
            if self.on_download:  # a test's probe, run while the app waits for the file
                self.on_download()
            data, mime = self.media[path.rsplit("/", 1)[-1]]
            return 200, data, mime
        parts = path.strip("/").split("/")
        if parts[-1] == "messages" and request.method == "POST":
            self.wait_if_holding()
            reply = self.scripted("send")
            if reply:
                return reply[0], reply[1], "application/json"
            body = request.json()
            if body.get("type") == "template":
                problem = self.template_problem(body["template"])
                if problem:
                    return (*graph_error(132000, problem), "application/json")
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


    def template_problem(self, sent: dict) -> str:
        """Check a template send like Meta does, against the stand-in's template of that name and language:
        a header, body and URL-button component with exactly the parameters the template has, nothing else."""
        known = next((t for t in self.templates if t["name"] == sent.get("name")
                      and t["language"] == (sent.get("language") or {}).get("code")), None)
        if known is None:
            return ""  # a template the test did not give the stand-in: not checked
        expected = {}
        for component in known.get("components") or []:
            kind = component["type"].upper()
            if kind == "HEADER" and component.get("format", "TEXT").upper() != "TEXT":
                expected["header"] = [component["format"].lower()]
            elif kind in ("HEADER", "BODY") and PLACEHOLDER.findall(component.get("text", "")):
                expected[kind.lower()] = ["text"] * len(set(PLACEHOLDER.findall(component["text"])))
            elif kind == "BUTTONS":
                for index, button in enumerate(component["buttons"]):
                    if button["type"] == "URL" and PLACEHOLDER.findall(button.get("url", "")):
                        expected[f"button/url/{index}"] = ["text"]
        got = {}
        for component in sent.get("components") or []:
            key = component["type"] if component["type"] != "button" else \
                f"button/{component.get('sub_type')}/{component.get('index')}"
            if not isinstance(component.get("index", ""), str):
                return "button index must be a string"
            params = component.get("parameters") or []
            for param in params:
                kind = param.get("type")
                if kind == "text" and not param.get("text"):
                    return f"{key}: empty text parameter"
                if kind in ("image", "video", "document") and not (
                        (param.get(kind) or {}).get("link") or (param.get(kind) or {}).get("id")):
                    return f"{key}: {kind} needs a link or an id"
            got[key] = [p.get("type") for p in params]
        if got != expected:
            return f"Number of parameters does not match the expected number of params: {got} != {expected}"
        return ""


class EvolutionStandin(Standin):
    """Evolution API 2.x: sendText / sendMedia (201 + key.id), media as base64, group infos, instance state, QR,
    webhook set."""

    def __init__(self):
        super().__init__()
        self.state = "open"
        self.groups: dict[str, str] = {}  # group JID → subject, for /group/findGroupInfos

    def reset(self):
        super().reset()
        self.groups.clear()

    def route(self, request: Recorded):
        if request.headers.get("apikey") != EVOLUTION_KEY:
            return 401, {"status": 401, "error": "Unauthorized"}, "application/json"
        path = request.path
        if path.startswith("/message/send"):
            self.wait_if_holding()
            reply = self.scripted("send")
            if reply:
                return reply[0], reply[1], "application/json"
            body = request.json()
            return 201, {"key": {"remoteJid": f"{body.get('number')}@s.whatsapp.net", "fromMe": True,
                                 "id": f"EVO{next(self.counter):06d}"}, "status": "PENDING"}, "application/json"
        if path.startswith("/group/findGroupInfos/"):
            reply = self.scripted("group")
            if reply:
                return reply[0], reply[1], "application/json"
            jid = (request.query.get("groupJid") or [""])[0]
            if jid not in self.groups:
                return 404, {"status": 404, "error": "Not Found", "response": {"message": ["Group not found"]}}, \
                    "application/json"
            return 200, {"id": jid, "subject": self.groups[jid], "size": 3, "participants": []}, "application/json"
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
