"""Writes on website-widget inboxes made by administrators: create the inbox, change the widget's settings.

The visitor's own writes (contact, conversation, messages, typing) go through inboxes/client_actions.py,
shared with the public client API.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import Account
from inboxes.actions import create_inbox
from inboxes.models import Inbox, WebWidgetChannel

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")
WIDGET_FIELDS = (
    "website_url", "allowed_domains", "widget_color", "welcome_title", "welcome_tagline", "reply_time", "position",
    "launcher_title", "pre_chat_form_enabled", "pre_chat_form_options", "feature_flags", "continuity_via_email",
    "hmac_mandatory",
)
FIELD_TYPES = ("text", "email", "phone", "number", "url", "date", "list", "checkbox")
# Standard fields keep an empty label: the widget shows its own, in the visitor's language.
DEFAULT_PRE_CHAT_FIELDS = [
    {"name": "fullName", "label": "", "type": "text", "field_type": "standard", "required": True,
     "enabled": True},
    {"name": "emailAddress", "label": "", "type": "email", "field_type": "standard", "required": True,
     "enabled": True},
    {"name": "phoneNumber", "label": "", "type": "phone", "field_type": "standard", "required": False,
     "enabled": False},
]


def normalize_domains(text: str) -> str:
    """One host per line, lower-case, without scheme or path; raises DomainError on anything else."""
    hosts = []
    for raw in re.split(r"[\s,]+", text or ""):
        host = raw.strip().lower().split("://")[-1].split("/")[0]
        if not host:
            continue
        if not HOST.match(host):
            raise DomainError(_("“%(domain)s” is not a domain, e.g. loja.com.br or *.loja.com.br.") % {
                "domain": raw.strip()}, field="allowed_domains")
        if host not in hosts:
            hosts.append(host)
    return "\n".join(hosts)


def check_pre_chat_fields(fields: list) -> list[dict]:
    """Validate the pre-chat fields (name, label, type, field_type, required, enabled, optional regex)."""
    cleaned, names = [], set()
    for field in fields:
        name = str(field.get("name") or "").strip()
        if not re.fullmatch(r"[A-Za-z][\w-]{0,49}", name) or name in names:
            raise DomainError(_("Each pre-chat field needs a distinct key of letters and digits."),
                              field="pre_chat_form_options")
        if field.get("type", "text") not in FIELD_TYPES:
            raise DomainError(_("Unknown field type."), field="pre_chat_form_options")
        regex = str(field.get("regex_pattern") or "")
        if regex:
            try:
                re.compile(regex)
            except re.error:
                raise DomainError(_("The validation pattern of “%(label)s” is not a valid regular expression.")
                                  % {"label": field.get("label") or name}, field="pre_chat_form_options") from None
        names.add(name)
        cleaned.append({"name": name, "label": str(field.get("label") or "")[:100],
                        "type": field.get("type", "text"), "field_type": field.get("field_type", "standard"),
                        "required": bool(field.get("required")), "enabled": bool(field.get("enabled", True)),
                        "placeholder": str(field.get("placeholder") or "")[:100], "regex_pattern": regex,
                        "regex_cue": str(field.get("regex_cue") or "")[:200],
                        "values": [str(v)[:100] for v in field.get("values") or []][:50]})
    return cleaned


@transaction.atomic
def create_web_widget_inbox(account: Account, *, actor, name: str, website_url: str = "", welcome_title: str = "",
                            welcome_tagline: str = "", widget_color: str = "#1f93ff", allowed_domains: str = "",
                            member_ids=()) -> Inbox:
    """A website inbox with its widget channel (a new website token and HMAC token)."""
    inbox = create_inbox(account, actor=actor, name=name, channel_type=Inbox.ChannelType.WEB_WIDGET,
                         member_ids=list(member_ids))
    WebWidgetChannel.objects.create(
        inbox=inbox, website_url=website_url.strip(), welcome_title=welcome_title.strip(),
        welcome_tagline=welcome_tagline.strip(), widget_color=_color(widget_color),
        allowed_domains=normalize_domains(allowed_domains),
        pre_chat_form_options={"pre_chat_message": "", "pre_chat_fields": DEFAULT_PRE_CHAT_FIELDS})
    return inbox


def _color(value: str) -> str:
    if not COLOR.match(value or ""):
        raise DomainError(_("Choose a colour like #1f93ff."), field="widget_color")
    return value.lower()


@transaction.atomic
def update_web_widget(inbox: Inbox, *, actor, **changes) -> WebWidgetChannel:
    """Change the widget's appearance, pre-chat form, features and identity validation."""
    channel = WebWidgetChannel.objects.select_for_update().get(inbox=inbox)
    data = {k: v for k, v in changes.items() if k in WIDGET_FIELDS}
    if "widget_color" in data:
        data["widget_color"] = _color(data["widget_color"])
    if "allowed_domains" in data:
        data["allowed_domains"] = normalize_domains(data["allowed_domains"])
    if "pre_chat_form_options" in data:
        options = data["pre_chat_form_options"]
        data["pre_chat_form_options"] = {"pre_chat_message": str(options.get("pre_chat_message") or "")[:500],
                                         "pre_chat_fields": check_pre_chat_fields(options.get("pre_chat_fields", []))}
    if "feature_flags" in data:
        data["feature_flags"] = {**channel.feature_flags, **{k: bool(v) for k, v in data["feature_flags"].items()}}
    before = {k: getattr(channel, k) for k in data}
    for key, value in data.items():
        setattr(channel, key, value)
    channel.save()
    audit(inbox.account_id, actor, "update", inbox, {"web_widget_before": before})
    return channel


@transaction.atomic
def reset_widget_hmac_token(inbox: Inbox, *, actor) -> WebWidgetChannel:
    """A new HMAC token: identities signed with the old one stop verifying."""
    from inboxes.models import new_secret

    channel = WebWidgetChannel.objects.select_for_update().get(inbox=inbox)
    channel.hmac_token = new_secret()
    channel.save(update_fields=["hmac_token", "updated_at"])
    audit(inbox.account_id, actor, "hmac_token_reset", inbox)
    return channel


# --- The visitor's writes that the shared client actions do not cover ----------------------------

@transaction.atomic
def remove_client_contact_attributes(contact_inbox, *, keys: list[str]):
    """$chatwoot.deleteCustomAttribute: drop these keys from the visitor's contact."""
    from contacts.actions import update_contact
    from contacts.models import Contact

    contact = Contact.objects.select_for_update().get(pk=contact_inbox.contact_id)
    remaining = {k: v for k, v in contact.custom_attributes.items() if k not in set(keys)}
    if remaining != contact.custom_attributes:
        update_contact(contact, actor=contact, custom_attributes=remaining)
    return contact


@transaction.atomic
def start_widget_conversation(contact_inbox, *, custom_attributes=None, referer_url: str = "", content: str = ""):
    """The pre-chat form's submit: a new conversation (with the page it started on) and its first message."""
    from inboxes import client_actions

    additional = {"referer": referer_url} if referer_url else {}
    conversation = client_actions.start_client_conversation(contact_inbox, custom_attributes=custom_attributes,
                                                            additional_attributes=additional)
    if content.strip():
        client_actions.send_client_message(conversation, content=content)
    conversation.refresh_from_db()
    return conversation


@transaction.atomic
def widget_conversation_for_message(contact_inbox):
    """Where the visitor's next message goes: the current conversation, or a new one when there is none or it
    was resolved and the inbox does not accept messages after that."""
    from inboxes.widget_queries import visitor_conversation

    conversation = visitor_conversation(contact_inbox)
    if conversation is None or (conversation.is_resolved and not contact_inbox.inbox.allow_messages_after_resolved):
        return start_widget_conversation(contact_inbox)
    return conversation


@transaction.atomic
def change_widget_conversation_attributes(conversation, *, set_values: dict | None = None,
                                          remove_keys: list[str] = ()):
    """$chatwoot.setConversationCustomAttributes / deleteConversationCustomAttribute (merged, not replaced)."""
    from conversations.actions import update_custom_attributes

    values = {k: v for k, v in {**conversation.custom_attributes, **(set_values or {})}.items()
              if k not in set(remove_keys)}
    if values != conversation.custom_attributes:
        update_custom_attributes(conversation, actor=conversation.contact, custom_attributes=values)
    return conversation


@transaction.atomic
def change_widget_conversation_label(conversation, *, title: str, add: bool):
    """$chatwoot.setLabel / removeLabel: only labels the account already has (visitors cannot invent labels)."""
    from conversations.actions import set_labels
    from conversations.models import ConversationLabel, Label

    title = (title or "").strip().lower()
    if not Label.objects.filter(account_id=conversation.account_id, title=title).exists():
        raise DomainError(_("Unknown label."), field="label")
    current = set(ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True))
    wanted = current | {title} if add else current - {title}
    if wanted != current:
        set_labels(conversation, actor=conversation.contact, titles=wanted)
    return conversation


WIDGET_EVENT_INFO_KEYS = 20


def trigger_widget_opened(contact_inbox, *, event_info: dict) -> None:
    """The visitor opened the widget: webwidget_triggered for the inbox's agent bot and subscribed webhooks
    (Chatwoot's `POST /api/v1/widget/events` with name "webwidget.triggered"). Nothing is stored."""
    from automations.webhooks import emit

    info = dict(list(event_info.items())[:WIDGET_EVENT_INFO_KEYS])
    with transaction.atomic():
        emit("webwidget_triggered", contact_inbox_id=contact_inbox.pk, event_info=info)
