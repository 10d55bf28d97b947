"""A small client for any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, OpenRouter, Ollama,
vLLM, LiteLLM): timeouts, retries with backoff and jitter, tool calls. No streaming: replies are posted whole.
`embed` calls the same server's `/embeddings` (optional reranking of help-center candidates)."""

import json
import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMError(Exception):
    """The provider could not give a usable answer; `kind` is the handoff reason."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # "llm_timeout" | "llm_error" | "malformed_reply"
        self.detail = detail


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # the raw JSON text, parsed by the tools module (a model may send broken JSON)


@dataclass
class Completion:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    message: dict = field(default_factory=dict)  # the assistant message, to send back with the tool results


@dataclass
class Endpoint:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5

    def completions_url(self) -> str:
        return self.url("/chat/completions")

    def url(self, suffix: str) -> str:
        # Azure puts ?api-version=… on the deployment URL: keep the query after the appended path.
        parts = urlsplit(self.base_url)
        path = parts.path.rstrip("/") + suffix
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    def headers(self) -> dict:
        headers = {"Content-Type": "application/json", "User-Agent": "Autonomia-Assistant"}
        if self.api_key:
            if (urlsplit(self.base_url).hostname or "").endswith(".openai.azure.com"):
                headers["api-key"] = self.api_key
            else:
                headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


def chat(endpoint: Endpoint, messages: list[dict], *, tools: list[dict] | None = None,
         session: requests.Session | None = None, temperature: float = 0.2) -> Completion:
    """One chat completion, retried on timeouts, connection errors, 429 and 5xx; raises LLMError."""
    body = {"model": endpoint.model, "messages": messages, "temperature": temperature}
    if tools:
        body.update(tools=tools, tool_choice="auto")
    response, latency_ms = _post(endpoint, endpoint.completions_url(), body, session)
    completion = parse(response)
    completion.latency_ms = latency_ms
    return completion


@dataclass
class Embeddings:
    vectors: list[list[float]]
    tokens: int = 0
    latency_ms: int = 0


def embed(endpoint: Endpoint, texts: list[str], *, model: str,
          session: requests.Session | None = None) -> Embeddings:
    """Vectors for `texts` from `POST {base}/embeddings` (same retries as chat); raises LLMError."""
    response, latency_ms = _post(endpoint, endpoint.url("/embeddings"), {"model": model, "input": texts}, session)
    try:
        data = response.json()
        rows = sorted(data["data"], key=lambda row: row.get("index", 0))
        vectors = [[float(x) for x in row["embedding"]] for row in rows]
        tokens = int((data.get("usage") or {}).get("prompt_tokens") or 0)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise LLMError("malformed_reply", f"{type(error).__name__}: {response.text[:300]}") from None
    if len(vectors) != len(texts) or any(len(v) != len(vectors[0]) or not v for v in vectors):
        raise LLMError("malformed_reply", "embeddings of the wrong count or size")
    return Embeddings(vectors=vectors, tokens=tokens, latency_ms=latency_ms)


def _post(endpoint: Endpoint, url: str, body: dict, session) -> tuple[requests.Response, int]:
    """POST with the endpoint's timeouts and retries; the 200 response and its latency in ms."""
    http = session or requests
    deadline = time.monotonic() + endpoint.timeout * (endpoint.retries + 1)
    last = LLMError("llm_error")
    started = time.monotonic()
    for attempt in range(endpoint.retries + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            response = http.post(url, json=body, headers=endpoint.headers(),
                                 timeout=(min(5.0, endpoint.timeout), min(endpoint.timeout, remaining)),
                                 allow_redirects=False)
        except requests.Timeout as error:
            last = LLMError("llm_timeout", str(error)[:300])
        except requests.RequestException as error:
            last = LLMError("llm_error", str(error)[:300])
        else:
            if response.status_code == 200:
                return response, int((time.monotonic() - started) * 1000)
            last = LLMError("llm_error", f"HTTP {response.status_code}: {response.text[:300]}")
            if response.status_code not in RETRY_STATUSES:
                raise last
            retry_after = _retry_after(response)
            if retry_after is not None:
                time.sleep(min(retry_after, max(0.0, deadline - time.monotonic())))
                continue
        if attempt < endpoint.retries:
            delay = endpoint.backoff * (2 ** attempt) * (0.5 + random.random())
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
    raise last


def _retry_after(response: requests.Response) -> float | None:
    try:
        return min(10.0, max(0.0, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return None


def parse(response: requests.Response) -> Completion:
    """Read a chat-completions body; anything off-shape is a malformed reply."""
    try:
        data = response.json()
        choice = data["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
        if not isinstance(content, str):  # some servers send content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        calls = []
        for raw in message.get("tool_calls") or []:
            function = raw["function"]
            arguments = function.get("arguments") or "{}"
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            calls.append(ToolCall(id=str(raw.get("id") or f"call_{len(calls)}"), name=str(function["name"]),
                                  arguments=arguments))
        usage = data.get("usage") or {}
        return Completion(content=content.strip(), tool_calls=calls,
                          prompt_tokens=int(usage.get("prompt_tokens") or 0),
                          completion_tokens=int(usage.get("completion_tokens") or 0),
                          message={"role": "assistant", "content": content or None,
                                   **({"tool_calls": message["tool_calls"]} if calls else {})})
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise LLMError("malformed_reply", f"{type(error).__name__}: {response.text[:300]}") from None
