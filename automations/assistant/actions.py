"""Writes for the assistant: its settings, its runs, and applying what it decided to a conversation.

`apply_decision` is where the handoff contract holds: under the conversation's row lock it re-checks that the
conversation is still pending, the assistant still on, the customer's last message still the one it answered and
still unanswered; otherwise the reply (and its tool effects) is discarded, never sent.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from autonomia.actions import DomainError, audit
from autonomia.models import Team
from automations.assistant import queries
from automations.assistant.models import ArticleEmbedding, AssistantConfig, AssistantConversation, AssistantRun
from automations.assistant.tools import Decision, collectable, routes
from conversations import realtime
from conversations.models import Conversation, Message
from inboxes.models import AgentBot, AgentBotInbox, Inbox

Outcome = AssistantRun.Outcome
STALE_RUN = dt.timedelta(minutes=10)  # longer than a model call with its retries (3 × 120 s at most)

EDITABLE = ("name", "instructions", "fields_to_collect", "routing", "faq", "portal_ids", "handoff_phrases",
            "handoff_message", "after_hours_message", "max_turns", "debounce_seconds", "mask_pii", "llm_base_url",
            "llm_model", "llm_timeout", "monthly_token_limit", "embeddings_model")


def handoff_reason_label(reason: str) -> str:
    """A manager-readable reason (the stored value is a stable code)."""
    return {
        "asked_for_human": _("the customer asked for a person"), "max_turns": _("too many replies"),
        "llm_error": _("the model failed"), "llm_timeout": _("the model timed out"),
        "malformed_reply": _("the model sent an unusable reply"),
        "unknown_tool": _("the model tried a tool it may not use"), "model_handoff": _("the assistant decided"),
        "token_limit": _("the monthly token limit was reached"), "leak_blocked": _("the reply was blocked"),
        "ungrounded_link": _("the reply cited an unknown link"), "routed": _("the protocol is complete"),
        "not_understood": _("the assistant did not understand"), "validation": _("invalid information"),
        "error": _("an internal error"),
        "unanswered": _("the assistant did not answer in time"),
        "worker_lost": _("the assistant stopped while answering"),
    }.get(reason, reason)


# --- Settings ---------------------------------------------------------------------------------

@transaction.atomic
def save_assistant_config(inbox: Inbox, *, actor, enabled: bool, api_key: str | None = None, avatar=None,
                          **fields) -> AssistantConfig:
    """Create or change the inbox's assistant; while enabled its bot is attached to the inbox (pending flow).

    `api_key` None keeps the stored key, "" clears it. `avatar`: an image (already checked and re-encoded by the
    form's AvatarField) replaces the picture shown on its messages, False removes it, None keeps it.
    """
    config = AssistantConfig.objects.select_for_update().filter(inbox=inbox).first() or AssistantConfig(
        inbox=inbox, account_id=inbox.account_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise DomainError(_("Unknown setting."), field=sorted(unknown)[0])
    for key, value in fields.items():
        setattr(config, key, value)
    if api_key is not None:
        config.llm_api_key = api_key.strip()
    if not (config.name or "").strip():
        raise DomainError(_("Give the assistant a name."), field="name")
    if bool(config.llm_base_url) != bool(config.llm_model):
        raise DomainError(_("Fill in both the model endpoint and the model name, or neither."), field="llm_model")
    if config.llm_base_url:
        _check_endpoint(config.llm_base_url)
    if config.embeddings_model and not config.llm_base_url:
        raise DomainError(_("Embeddings use the model endpoint: fill it in, or leave the embeddings model empty."),
                          field="embeddings_model")
    team_ids = {row.get("team_id") for row in config.routing or [] if isinstance(row, dict)} - {None, ""}
    if team_ids and Team.objects.filter(account_id=inbox.account_id, pk__in=team_ids).count() != len(team_ids):
        raise DomainError(_("The routing table names a team of another account."), field="routing")
    config.routing, config.fields_to_collect = routes(config), collectable(config)
    config.portal_ids = _checked_portals(inbox.account_id, config.portal_ids)
    config.enabled = enabled
    config.agent_bot = _sync_bot(inbox, config, avatar)
    config.save()
    link = AgentBotInbox.objects.select_for_update().filter(inbox=inbox).first()
    if link and link.agent_bot_id != config.agent_bot_id:
        if enabled:
            raise DomainError(_("This inbox already has an agent bot. Remove it before turning the assistant on."),
                              field="enabled")
    elif enabled:
        AgentBotInbox.objects.update_or_create(inbox=inbox, defaults={"agent_bot": config.agent_bot,
                                                                      "status": AgentBotInbox.Status.ACTIVE})
    elif link:
        link.delete()  # conversations now start open and reopen open, for people
    if config.embeddings_model:  # new articles, or a new model: vectors are computed in the background
        from automations.assistant.tasks import embed_articles_task

        config_id = config.pk
        transaction.on_commit(lambda: embed_articles_task.delay(config_id), robust=True)
    audit(inbox.account_id, actor, "assistant_config_saved", config,
          {"enabled": enabled, **{k: v for k, v in fields.items() if k not in ("instructions", "faq")},
           **({"avatar": "removed" if avatar is False else "changed"} if avatar is not None else {})})
    return config


def _check_endpoint(url: str) -> None:
    """Model endpoints on private addresses (Ollama on the same host) need ASSISTANT_ALLOW_PRIVATE_URLS."""
    from django.conf import settings

    from automations.webhooks import check_url

    if getattr(settings, "ASSISTANT_ALLOW_PRIVATE_URLS", False):
        return
    try:
        check_url(url)
    except Exception as error:
        raise DomainError(str(getattr(error, "message", error)), field="llm_base_url") from None


def _checked_portals(account_id: int, portal_ids) -> list[int]:
    """The chosen help centers, which must be the account's."""
    from helpcenter.models import Portal

    wanted = sorted({int(pk) for pk in portal_ids or []})
    if wanted and Portal.objects.filter(account_id=account_id, pk__in=wanted).count() != len(wanted):
        raise DomainError(_("Choose help centers of this account."), field="portal_ids")
    return wanted


def _sync_bot(inbox: Inbox, config: AssistantConfig, avatar=None) -> AgentBot:
    """The bot the assistant speaks as, named after it (sender of its messages and activity lines), with its
    picture; a replaced picture's file is deleted after commit."""
    bot = config.agent_bot or AgentBot(account_id=inbox.account_id, bot_config={"assistant": True})
    bot.name = config.name.strip()
    bot.description = _("Built-in assistant")
    old = bot.avatar.name if bot.avatar else ""
    if avatar is False:
        bot.avatar = ""
    elif avatar is not None:
        bot.avatar.save(avatar.name, avatar, save=False)
    bot.save()
    if old and old != (bot.avatar.name if bot.avatar else ""):
        storage = bot.avatar.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    return bot


# --- Runs -------------------------------------------------------------------------------------

def claim_run(conversation: Conversation, *, trigger_message_id: int | None, wake_key: str) -> AssistantRun | None:
    """Start a run for this wake-up; None when a redelivered task already ran it (or is running it).

    A run left "running" for longer than STALE_RUN by a worker that died is taken over by the redelivery.
    """
    try:
        with transaction.atomic():
            return AssistantRun.objects.create(account_id=conversation.account_id, inbox_id=conversation.inbox_id,
                                               conversation=conversation, wake_key=wake_key,
                                               trigger_message_id=trigger_message_id)
    except IntegrityError:
        stale = timezone.now() - STALE_RUN
        with transaction.atomic():
            taken = AssistantRun.objects.filter(wake_key=wake_key, outcome=Outcome.RUNNING,
                                                created_at__lt=stale).update(created_at=timezone.now())
        return AssistantRun.objects.get(wake_key=wake_key) if taken else None


def finish_run(run: AssistantRun, *, outcome: str, reason: str = "", detail: str = "",
               decision: Decision | None = None) -> AssistantRun:
    """Record how a run ended, with its cost."""
    run.outcome, run.reason, run.detail, run.finished_at = outcome, reason, detail[:2000], timezone.now()
    if decision is not None:
        run.mode, run.tool_calls = decision.mode, decision.tool_log
        run.prompt_tokens, run.completion_tokens = decision.prompt_tokens, decision.completion_tokens
        run.latency_ms = decision.latency_ms
    run.save()
    return run


@transaction.atomic
def apply_decision(run: AssistantRun, decision: Decision) -> str:
    """Post the replies and apply the tool effects (or hand off) if the assistant may still answer."""
    from conversations import actions as conversation_actions

    conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
        "inbox", "account", "contact").get(pk=run.conversation_id)
    config = queries.enabled_config(conversation.inbox_id)
    silent = queries.why_not_answer(conversation, config, run.trigger_message_id)
    if silent:
        finish_run(run, outcome=Outcome.DISCARDED, reason=silent, decision=decision,
                   detail="\n".join(decision.replies)[:500])
        return Outcome.DISCARDED
    bot = config.agent_bot
    state, _created = AssistantConversation.objects.select_for_update().get_or_create(
        conversation=conversation, defaults={"account_id": conversation.account_id,
                                             "inbox_id": conversation.inbox_id})
    with override(conversation.account.locale or "pt-br"):
        _apply_ops(conversation, state, bot, decision.ops)
        for text in decision.replies:
            conversation_actions.send_reply(conversation, actor=bot, content=text)
        if decision.state is not None:
            for key in ("step", "need", "field_index", "retries", "collected"):
                setattr(state, key, decision.state.get(key, getattr(state, key)))
        if decision.handoff_reason:
            _hand_off(conversation, state, bot, config, decision)
        else:
            state.replies += len(decision.replies)
    state.save()
    outcome = Outcome.HANDOFF if decision.handoff_reason else Outcome.REPLIED
    finish_run(run, outcome=outcome, reason=decision.handoff_reason, detail=decision.handoff_note,
               decision=decision)
    return outcome


def _apply_ops(conversation: Conversation, state: AssistantConversation, bot: AgentBot, ops: list[tuple]) -> None:
    """Tool effects through the platform's own actions, each audited with the bot as actor."""
    from contacts.actions import update_contact
    from conversations import actions as conversation_actions

    contact_values = {op[2]: op[3] for op in ops if op[0] == "attribute" and op[1] == "contact"}
    conversation_values = {op[2]: op[3] for op in ops if op[0] == "attribute" and op[1] == "conversation"}
    if contact_values:
        contact = conversation.contact
        update_contact(contact, actor=bot, custom_attributes={**contact.custom_attributes, **contact_values})
    if conversation_values:
        conversation_actions.update_custom_attributes(
            conversation, actor=bot, custom_attributes={**conversation.custom_attributes, **conversation_values})
    if contact_values or conversation_values:
        state.collected = {**state.collected, **contact_values, **conversation_values}
        names = ", ".join(sorted({*contact_values, *conversation_values}))
        _activity(conversation, _("%(name)s saved %(fields)s") % {"name": bot.name, "fields": names})
    for op in ops:
        if op[0] == "labels":
            conversation_actions.add_labels(conversation, actor=bot, titles=op[1])
        elif op[0] == "need":
            state.need = op[1]
        elif op[0] == "team":
            team = Team.objects.filter(pk=op[1], account_id=conversation.account_id).first()
            if team is not None:
                conversation_actions.assign_team(conversation, actor=bot, team=team)


def _hand_off(conversation: Conversation, state: AssistantConversation, bot: AgentBot, config: AssistantConfig,
              decision: Decision) -> None:
    """A short message to the customer, the reason as an activity line, then open: a person answers."""
    from conversations import actions as conversation_actions

    message = config.handoff_message.strip() or _(
        "I'm passing you to our team; a person will continue in a moment.")
    if not conversation.inbox.is_open_at():
        message += "\n" + (config.after_hours_message.strip() or _(
            "Our team is away right now and will answer as soon as we are back."))
    conversation_actions.send_reply(conversation, actor=bot, content=message)
    note = f" ({decision.handoff_note})" if decision.handoff_note else ""
    _activity(conversation, _("%(name)s handed off: %(reason)s") % {
        "name": bot.name, "reason": handoff_reason_label(decision.handoff_reason)} + note)
    state.handoff_reason, state.handoff_note = decision.handoff_reason, decision.handoff_note
    state.handed_off_at, state.replies = timezone.now(), 0
    conversation_actions.change_status(conversation, actor=bot, status=Conversation.Status.OPEN)


def _activity(conversation: Conversation, text: str) -> Message:
    """An activity line in the thread (what the assistant did, for the agents)."""
    message = Message.objects.create(account_id=conversation.account_id, inbox_id=conversation.inbox_id,
                                     conversation=conversation, message_type=Message.MessageType.ACTIVITY,
                                     content=text[:2000], created_at=timezone.now())
    realtime.message_created(message)
    return message


@transaction.atomic
def hand_off_after_failure(run: AssistantRun, reason: str, detail: str = "") -> str:
    """The run crashed: hand off anyway (never silence), if the conversation is still the assistant's."""
    return apply_decision(run, Decision(mode=run.mode or "").hand_off(reason, detail[:300]))


def hand_off_unattended(conversation_id: int, message_id: int, *, reason: str, stuck_run_id: int | None = None) -> str:
    """Hand off a conversation the assistant left unanswered (its wake-up was lost, or its worker died while
    answering): never silence. Idempotent per message (wake key "handoff:<message id>")."""
    conversation = Conversation.objects.select_related("inbox", "account").filter(pk=conversation_id).first()
    if conversation is None:
        return "gone"
    if stuck_run_id is not None:  # closed here, so the report shows no run "running" forever
        AssistantRun.objects.filter(pk=stuck_run_id, outcome=Outcome.RUNNING).update(
            outcome=Outcome.DISCARDED, reason="worker_lost", finished_at=timezone.now())
    record = claim_run(conversation, trigger_message_id=message_id, wake_key=f"handoff:{message_id}")
    if record is None:
        return "duplicate"
    config = queries.enabled_config(conversation.inbox_id)
    mode = "llm" if config is not None and config.uses_llm else "guided"
    return apply_decision(record, Decision(mode=mode).hand_off(reason))


EMBED_BATCH = 32
EMBED_MAX_ARTICLES = 2000


def refresh_article_embeddings(config: AssistantConfig, *, article_ids: list[int] | None = None) -> int:
    """Store vectors for the published articles of the public help centers the assistant searches (or only
    `article_ids` of them) whose vector is missing or older than their text; returns how many were embedded.
    Derived data, so not audited; the model calls happen outside any transaction."""
    from automations.assistant import embeddings, knowledge
    from helpcenter.models import Article

    if not embeddings.enabled(config):
        return 0
    portals = [p for p in knowledge._portals(config) if p.is_public]
    articles = Article.objects.filter(portal__in=portals, status=Article.Status.PUBLISHED).only(
        "id", "title", "body_text").order_by("id")
    if article_ids is not None:
        articles = articles.filter(pk__in=article_ids)
    articles = list(articles[:EMBED_MAX_ARTICLES])
    fresh = embeddings.fresh_vectors(config, articles)
    stale = [a for a in articles if a.pk not in fresh]
    for start in range(0, len(stale), EMBED_BATCH):
        batch = stale[start:start + EMBED_BATCH]
        texts = [embeddings.article_text(a) for a in batch]
        vectors = embeddings.embed_texts(config, texts)
        for article, text, vector in zip(batch, texts, vectors, strict=True):
            ArticleEmbedding.objects.update_or_create(
                article=article, model=config.embeddings_model,
                defaults={"account_id": config.account_id, "digest": embeddings.digest(text), "vector": vector})
    return len(stale)
