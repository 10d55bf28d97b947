"""The only things the model may do, each bound to the one conversation being answered.

A tool call is validated here and recorded as an operation; `actions.apply_decision` performs the operations
through the platform's ordinary actions (audit trail, activity lines), under the conversation's lock and only
if the assistant may still answer. The model never sees ids, other conversations or the database.
"""

import json
import re
from dataclasses import dataclass, field

from automations.assistant import fields as field_rules
from automations.assistant import knowledge

LABEL_RE = re.compile(r"^[\w-]{1,40}$")


class ToolRefused(Exception):
    """A call outside the allowed set or with unreadable arguments: the assistant hands off."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason  # "unknown_tool" | "malformed_reply"
        self.detail = detail


@dataclass
class Decision:
    """What one run decided: replies to post, operations to apply, or a handoff (with its reason)."""

    mode: str = "guided"
    replies: list[str] = field(default_factory=list)
    ops: list[tuple] = field(default_factory=list)  # ("attribute", target, key, value) | ("labels", [..]) | ("team", id)
    handoff_reason: str = ""
    handoff_note: str = ""
    state: dict | None = None  # the guided flow's next state
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    tool_log: list[dict] = field(default_factory=list)

    def hand_off(self, reason: str, note: str = "") -> "Decision":
        self.handoff_reason, self.handoff_note = reason, note[:1000]
        return self


def routes(config) -> list[dict]:
    """The routing table's usable rows: {"need", "label", "team_id", "keywords"}."""
    rows = []
    for row in config.routing or []:
        if isinstance(row, dict) and row.get("need"):
            rows.append({"need": str(row["need"]), "label": str(row.get("label") or row["need"]),
                         "team_id": row.get("team_id"), "keywords": [str(k) for k in row.get("keywords") or []]})
    return rows


def collectable(config) -> list[dict]:
    """The configured fields: {"key", "label", "target", "kind", "required"}."""
    rows = []
    for row in config.fields_to_collect or []:
        if isinstance(row, dict) and field_rules.KEY_RE.match(str(row.get("key") or "")):
            rows.append({"key": row["key"], "label": str(row.get("label") or row["key"]),
                         "target": "contact" if row.get("target") == "contact" else "conversation",
                         "kind": row.get("kind") if row.get("kind") in field_rules.KINDS else "text",
                         "required": bool(row.get("required", True))})
    return rows


class ToolBox:
    """The tool definitions sent to the model and the validation of its calls."""

    def __init__(self, config, decision: Decision, masker: field_rules.Masker):
        self.config, self.decision, self.masker = config, decision, masker
        self.fields = {f["key"]: f for f in collectable(config)}
        self.routes = {r["need"]: r for r in routes(config)}
        self.articles: list[dict] = []  # every article shown to the model: the links it may cite

    def definitions(self) -> list[dict]:
        tools = [
            _tool("search_articles", "Search the company's help center for articles answering the customer.",
                  {"query": {"type": "string", "description": "Keywords in the customer's language."}}, ["query"]),
            _tool("add_labels", "Tag the conversation (e.g. its subject).",
                  {"labels": {"type": "array", "items": {"type": "string"}, "maxItems": 5}}, ["labels"]),
            _tool("hand_off", "Pass the conversation to a person: the customer asked for one, you cannot help, "
                  "you are unsure, or the protocol is complete.",
                  {"reason": {"type": "string", "description": "Why, in a few words, for the manager."}},
                  ["reason"]),
        ]
        if self.fields:
            tools.insert(0, _tool(
                "save_fields", "Save information the customer gave.",
                {"fields": {"type": "object", "additionalProperties": False,
                            "properties": {k: {"type": "string", "description": f["label"]}
                                           for k, f in self.fields.items()}}}, ["fields"]))
        if self.routes:
            tools.insert(0, _tool(
                "route_to_team", "Choose the team for the customer's need (then hand off when ready).",
                {"need": {"type": "string", "enum": list(self.routes)}}, ["need"]))
        return tools

    def call(self, name: str, raw_arguments: str) -> dict:
        """Run one tool call; returns the result for the model, or raises ToolRefused."""
        handler = {"save_fields": self._save_fields if self.fields else None,
                   "route_to_team": self._route if self.routes else None,
                   "add_labels": self._add_labels, "search_articles": self._search,
                   "hand_off": self._hand_off}.get(name)
        if handler is None:
            raise ToolRefused("unknown_tool", f"the model called {name[:60]!r}")
        try:
            arguments = json.loads(raw_arguments or "{}")
        except ValueError:
            raise ToolRefused("malformed_reply", f"{name}: arguments are not JSON") from None
        if not isinstance(arguments, dict):
            raise ToolRefused("malformed_reply", f"{name}: arguments are not an object")
        result = handler(arguments)
        self.decision.tool_log.append({"name": name, "arguments": _redacted(arguments), "result": result.get("status")})
        return result

    def _save_fields(self, arguments: dict) -> dict:
        values = arguments.get("fields")
        if not isinstance(values, dict):
            return {"status": "error", "error": "fields must be an object"}
        saved, errors = [], {}
        for key, raw in values.items():
            spec = self.fields.get(key)
            if spec is None:
                errors[str(key)[:40]] = "unknown field"
                continue
            try:
                value = field_rules.clean_value(spec["kind"], self.masker.unmask(str(raw)))
            except ValueError as error:
                errors[key] = str(error)
                continue
            self.decision.ops.append(("attribute", spec["target"], key, value))
            saved.append(key)
        return {"status": "ok" if not errors else "partial", "saved": saved, "errors": errors}

    def _route(self, arguments: dict) -> dict:
        need = str(arguments.get("need") or "")
        route = self.routes.get(need)
        if route is None:
            return {"status": "error", "error": "unknown need", "needs": list(self.routes)}
        self.decision.ops.append(("need", need))
        if route["team_id"]:
            self.decision.ops.append(("team", route["team_id"]))
        return {"status": "ok", "team": route["label"]}

    def _add_labels(self, arguments: dict) -> dict:
        labels = arguments.get("labels")
        if not isinstance(labels, list):
            return {"status": "error", "error": "labels must be a list"}
        clean = [str(t).strip().lower() for t in labels[:5] if LABEL_RE.match(str(t).strip())]
        if clean:
            self.decision.ops.append(("labels", clean))
        return {"status": "ok", "added": clean}

    def _search(self, arguments: dict) -> dict:
        found = knowledge.search(self.config, str(arguments.get("query") or ""))
        self.articles.extend(found)
        return {"status": "ok", "articles": found}

    def _hand_off(self, arguments: dict) -> dict:
        self.decision.hand_off("model_handoff", str(arguments.get("reason") or ""))
        return {"status": "ok"}


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required}}}


def _redacted(arguments: dict) -> dict:
    """What the run log keeps of a call: field names, not the customer's values."""
    if isinstance(arguments.get("fields"), dict):
        return {"fields": sorted(str(k)[:40] for k in arguments["fields"])}
    return {k: (v[:200] if isinstance(v, str) else v) for k, v in list(arguments.items())[:5]}
