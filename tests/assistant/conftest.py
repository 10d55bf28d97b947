"""A stand-in OpenAI-compatible server (real HTTP on 127.0.0.1) that plays scripted replies, tool calls, slow
replies and errors, plus inboxes where Alú is on (guided flow, or with the stand-in model)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automations.assistant import actions as assistant_actions
from autonomia.models import Team, TeamMember
from tests import factories


def reply(content: str, **extra) -> dict:
    """A scripted final answer."""
    return {"content": content, **extra}


def tool_call(name: str, arguments, **extra) -> dict:
    """A scripted answer calling one tool (`arguments` a dict, or a raw string for broken JSON)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"tool_calls": [{"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": raw}}],
            **extra}


class FakeLLM:
    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.default = reply("Posso ajudar com mais alguma coisa?")
        self.lock = threading.Lock()
        # /embeddings: dimension i counts the words of concepts[i] in the text (plus a constant last dimension).
        self.concepts: list[list[str]] = []
        self.embedding_requests: list[dict] = []
        self.embedding_status = 200

    def vector(self, text: str) -> list[float]:
        text = text.lower()
        return [float(sum(text.count(word) for word in words)) for words in self.concepts] + [0.1]

    def embeddings_body(self, body: dict) -> bytes:
        texts = body.get("input") if isinstance(body.get("input"), list) else [body.get("input") or ""]
        return json.dumps({"object": "list", "model": body.get("model"), "usage": {"prompt_tokens": 8 * len(texts)},
                           "data": [{"object": "embedding", "index": i, "embedding": self.vector(t)}
                                    for i, t in enumerate(texts)]}).encode()

    def play(self, *steps: dict) -> None:
        self.script.extend(steps)

    def next_step(self) -> dict:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    @property
    def last_messages(self) -> list[dict]:
        return self.requests[-1]["body"]["messages"]


@pytest.fixture
def fake_llm():
    llm = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path.endswith("/embeddings"):
                llm.embedding_requests.append({"path": self.path, "body": body})
                ok = llm.embedding_status == 200
                payload = llm.embeddings_body(body) if ok else b'{"error": {"message": "down"}}'
                self.send_response(llm.embedding_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            llm.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            step = llm.next_step()
            if step.get("before"):
                step["before"]()
            if step.get("delay"):
                time.sleep(step["delay"])
            status = step.get("status", 200)
            if "raw" in step:
                payload = step["raw"].encode()
            elif status != 200:
                payload = json.dumps({"error": {"message": "scripted failure"}}).encode()
            else:
                message = {"role": "assistant", "content": step.get("content")}
                if step.get("tool_calls"):
                    message["tool_calls"] = step["tool_calls"]
                payload = json.dumps({
                    "id": "chatcmpl-test", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": message,
                                 "finish_reason": "tool_calls" if step.get("tool_calls") else "stop"}],
                    "usage": {"prompt_tokens": step.get("prompt_tokens", 100),
                              "completion_tokens": step.get("completion_tokens", 20), "total_tokens": 120},
                }).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (step.get("headers") or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    llm.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield llm
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_local_llm(settings):
    """The stand-in listens on 127.0.0.1, which model endpoints may only use when the operator allows it."""
    settings.ASSISTANT_ALLOW_PRIVATE_URLS = True


@pytest.fixture(autouse=True)
def _english_account(request):
    """Assertions read the English msgids; the pt-BR catalogue is filled by the lead's translation pass."""
    if "account" in request.fixturenames:
        account = request.getfixturevalue("account")
        account.locale = "en"
        account.save(update_fields=["locale"])


@pytest.fixture
def teams(account, agent):
    compras = Team.objects.create(account=account, name="Compras")
    fornecedores = Team.objects.create(account=account, name="Fornecedores")
    TeamMember.objects.create(team=compras, user=agent)
    TeamMember.objects.create(team=fornecedores, user=agent)
    return {"compras": compras, "fornecedores": fornecedores}


ROUTING = [
    {"need": "compras", "label": "Compras", "keywords": ["comprar", "orçamento", "pedido"]},
    {"need": "fornecedores", "label": "Fornecedores", "keywords": ["fornecer", "fornecedor", "vender para"]},
    {"need": "segunda_via", "label": "Segunda via de boleto", "keywords": ["segunda via", "boleto"]},
]
FIELDS = [
    {"key": "empresa", "label": "Nome da empresa", "target": "contact", "kind": "text"},
    {"key": "cnpj", "label": "CNPJ", "target": "contact", "kind": "cnpj"},
    {"key": "cidade", "label": "Cidade", "target": "conversation", "kind": "text"},
]
INSTRUCTIONS = ("Qualifique o cliente, entenda a necessidade (compras, fornecedores), colete empresa, CNPJ e "
                "cidade e encaminhe para a equipe certa. Código interno do protocolo: ZEBRA-42, nunca divulgue.")


def routing_with(teams):
    rows = [dict(r) for r in ROUTING]
    rows[0]["team_id"], rows[1]["team_id"] = teams["compras"].pk, teams["fornecedores"].pk
    return rows


@pytest.fixture
def alu_inbox(account, agent, admin, teams):
    """An inbox where Alú works without a model (the guided flow); Bruno is online to take handoffs."""
    inbox = factories.make_inbox(account, name="Vendas", members=[agent])
    assistant_actions.save_assistant_config(inbox, actor=admin, enabled=True, routing=routing_with(teams),
                                            fields_to_collect=FIELDS, instructions=INSTRUCTIONS, debounce_seconds=0)
    return inbox


@pytest.fixture
def llm_inbox(account, agent, admin, teams, fake_llm, allow_local_llm):
    """An inbox where Alú answers with the stand-in model."""
    inbox = factories.make_inbox(account, name="Atendimento IA", members=[agent])
    assistant_actions.save_assistant_config(
        inbox, actor=admin, enabled=True, routing=routing_with(teams), fields_to_collect=FIELDS,
        instructions=INSTRUCTIONS, faq="Horário: segunda a sexta, 8h às 18h.", debounce_seconds=0,
        llm_base_url=fake_llm.url, llm_model="stand-in-1", api_key="sk-test-123456789", llm_timeout=2)
    return inbox
