"""The guided flow, used when no model is configured: greeting, menu of needs, the configured fields with
validation, matching articles, routing by need, handoff. Same contract as the model: it only decides;
`actions.apply_decision` writes."""

import re
import unicodedata

from django.utils.translation import gettext as _

from automations.assistant import fields as field_rules
from automations.assistant import knowledge
from automations.assistant.tools import Decision, collectable, routes

MAX_RETRIES = 2
SKIP_WORDS = {"pular", "nao sei", "prefiro nao informar", "skip"}


def normalize(text: str) -> str:
    """Lower case without accents or extra spaces, for matching the customer's words."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.lower()).strip()


def asks_for_person(config, text: str) -> bool:
    """The customer asked for a person with one of the configured phrases (word match, accents ignored)."""
    words = f" {re.sub(r'[^a-z0-9 ]', ' ', normalize(text))} "
    return any(f" {normalize(p)} " in words for p in config.phrases() if normalize(p))


def menu_text(config) -> str:
    """The numbered menu of needs, ending with the option to talk to a person."""
    options = routes(config)
    lines = [_("How can I help you? Reply with a number:")]
    lines += [f"{i}. {row['label']}" for i, row in enumerate(options, 1)]
    lines.append(_("%(number)s. Talk to a person") % {"number": len(options) + 1})
    return "\n".join(lines)


def greeting(config, company: str) -> str:
    return _("Hello! I'm %(name)s, the virtual assistant of %(company)s.") % {"name": config.name, "company": company}


def match_need(config, text: str) -> str | None:
    """The need the customer chose: its number, its name or one of its keywords; "person" for the last option."""
    options = routes(config)
    clean = normalize(text)
    number = re.fullmatch(r"\D{0,12}(\d{1,2})\D{0,3}", clean)
    if number:
        index = int(number.group(1))
        if 1 <= index <= len(options):
            return options[index - 1]["need"]
        if index == len(options) + 1:
            return "person"
    for row in options:
        words = [row["need"], row["label"], *row["keywords"]]
        if any(normalize(w) and re.search(rf"\b{re.escape(normalize(w))}", clean) for w in words):
            return row["need"]
    return None


def decide(config, state: dict, text: str, *, company: str) -> Decision:
    """The next step for the customer's unanswered text, from the conversation's saved state."""
    decision = Decision(mode="guided")
    state = {"step": "", "need": "", "field_index": 0, "retries": 0, "collected": {}, "topic": "", **state}
    decision.state = state
    if asks_for_person(config, text):
        return decision.hand_off("asked_for_human")
    step = state["step"]
    if step == "":
        state["topic"] = text[:500]
        need = match_need(config, text) if routes(config) else ""
        if need == "person":
            return decision.hand_off("asked_for_human")
        decision.replies.append(greeting(config, company))
        if need is None:
            state["step"] = "menu"
            decision.replies.append(menu_text(config))
            return decision
        return _choose(config, decision, state, need)
    if step == "menu":
        need = match_need(config, text)
        if need == "person":
            return decision.hand_off("asked_for_human")
        if need is None:
            return _retry(decision, state, "not_understood",
                          _("Sorry, I didn't understand.") + "\n" + menu_text(config))
        state["topic"] = (state["topic"] + " " + text)[:500]
        return _choose(config, decision, state, need)
    if step == "field":
        return _answer_field(config, decision, state, text)
    return decision.hand_off("routed")  # "done": anything more goes to a person


def _retry(decision: Decision, state: dict, reason: str, message: str) -> Decision:
    state["retries"] += 1
    if state["retries"] > MAX_RETRIES:
        return decision.hand_off(reason)
    decision.replies.append(message)
    return decision


def _choose(config, decision: Decision, state: dict, need: str) -> Decision:
    state.update(need=need, retries=0, field_index=0)
    if need:
        decision.ops.append(("need", need))
        decision.ops.append(("labels", [need]))
    return _ask_next(config, decision, state)


def _ask_next(config, decision: Decision, state: dict) -> Decision:
    wanted = collectable(config)
    if state["field_index"] < len(wanted):
        state["step"] = "field"
        decision.replies.append(_("Please tell me: %(field)s") % {"field": wanted[state["field_index"]]["label"]})
        return decision
    return _finish(config, decision, state)


def _answer_field(config, decision: Decision, state: dict, text: str) -> Decision:
    wanted = collectable(config)
    if state["field_index"] >= len(wanted):
        return _finish(config, decision, state)
    spec = wanted[state["field_index"]]
    if not spec["required"] and normalize(text) in SKIP_WORDS:
        state["field_index"] += 1
        return _ask_next(config, decision, state)
    try:
        value = field_rules.clean_value(spec["kind"], text)
    except ValueError as error:
        return _retry(decision, state, "validation", str(error))
    decision.ops.append(("attribute", spec["target"], spec["key"], value))
    state["collected"][spec["key"]] = value
    state["field_index"] += 1
    state["retries"] = 0
    return _ask_next(config, decision, state)


def _finish(config, decision: Decision, state: dict) -> Decision:
    state["step"] = "done"
    articles = knowledge.search(config, state.get("topic") or "")
    if articles:
        decision.replies.append("\n".join([_("These articles may help:")] +
                                          [f"• {a['title']}: {a['url']}" for a in articles]))
    route = next((r for r in routes(config) if r["need"] == state.get("need")), None)
    if route and route["team_id"]:
        decision.ops.append(("team", route["team_id"]))
    return decision.hand_off("routed", route["label"] if route else "")
