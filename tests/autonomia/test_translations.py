"""The pt-BR catalog: complete, compiled, and what pt-BR and English users see on the inbox screens."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from conversations import actions
from conversations.models import Conversation
from tests import factories

Status = Conversation.Status
LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdif]|%[sd]|\{\{.*?\}\}|<[^>]+>")


# --- the catalog ------------------------------------------------------------------------------------

def parse_po(path: Path) -> list[dict]:
    """A tiny .po reader: one dict per entry with flags, msgctxt, msgid, msgid_plural and msgstr(s)."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += value
            else:
                entry[field] += value
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                field = ("msgstr", int(match[1]))
                entry["msgstr"][field[1]] = value
            elif keyword == "msgstr":
                field = ("msgstr", 0)
                entry["msgstr"][0] = value
            else:
                field = keyword
                entry[field] = value
    finish()
    return entries


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    entries = parse_po(PO_PATH)
    header = entries[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]
    return entries[1:]


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    assert len(catalog) > 400
    untranslated = [e["msgid"] for e in catalog if not all(v.strip() for v in e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in catalog if "fuzzy" in e["flags"]]
    obsolete = [e["msgid"] for e in catalog if e.get("obsolete")]
    plural_gaps = [e["msgid"] for e in catalog if "msgid_plural" in e and sorted(e["msgstr"]) != [0, 1]]
    assert untranslated == [] and fuzzy == [] and obsolete == [] and plural_gaps == []


def test_translations_keep_placeholders_tags_and_newlines(catalog):
    broken = []
    for e in catalog:
        sources = [e["msgid"]] if "msgid_plural" not in e else [e["msgid"], e["msgid_plural"]]
        for index, translation in e["msgstr"].items():
            source = sources[min(index, len(sources) - 1)]
            if (sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation))
                    or source.startswith("\n") != translation.startswith("\n")
                    or source.endswith("\n") != translation.endswith("\n")):
                broken.append((source, translation))
    assert broken == []


def test_the_compiled_catalog_matches_the_po_file(catalog):
    with MO_PATH.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    stale = []
    for e in catalog:
        msgid = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            got = [compiled.ngettext(msgid, e["msgid_plural"], n) for n in (1, 2)]
            want = [e["msgstr"][0], e["msgstr"][1]]
        else:
            got, want = compiled.gettext(msgid), e["msgstr"][0]
        if got != want:
            stale.append(e["msgid"])
    assert stale == [], "run: manage.py compilemessages -l pt_BR --ignore=.venv"


def test_the_manual_vocabulary_is_used(catalog):
    by_key = {(e.get("msgctxt"), e["msgid"]): e["msgstr"][0] for e in catalog}
    expected = {
        ("status action: take over a pending conversation", "Open"): "Abrir",
        (None, "Resolve"): "Resolver",
        (None, "Mark as pending"): "Marcar como pendente",
        (None, "Reopen"): "Reabrir",
        (None, "Snooze"): "Adiar",
        (None, "Open"): "Aberta",
        (None, "Pending"): "Pendente",
        (None, "Snoozed"): "Adiada",
        (None, "Resolved"): "Resolvida",
        (None, "Inbox"): "Caixa de entrada",
        (None, "Private note"): "Nota privada",
        (None, "Canned responses"): "Respostas prontas",
        (None, "Labels"): "Etiquetas",
        (None, "Teams"): "Times",
        (None, "Agents"): "Agentes",
        (None, "Assignee"): "Responsável",
        (None, "Mine"): "Minhas",
        (None, "Unassigned"): "Não atribuídas",
        (None, "All"): "Todas",
        (None, "Mentions"): "Menções",
        (None, "Priority"): "Prioridade",
        (None, "Urgent"): "Urgente",
        (None, "High"): "Alta",
        (None, "Medium"): "Média",
        (None, "Low"): "Baixa",
        (None, "Availability"): "Disponibilidade",
        (None, "Busy"): "Ocupado",
        (None, "Settings"): "Configurações",
        (None, "Sign in"): "Entrar",
        (None, "Log out"): "Sair",
        (None, "Reply"): "Responder",
        (None, "Send"): "Enviar",
    }
    assert {key: by_key.get(key) for key in expected} == expected


# --- what users see ---------------------------------------------------------------------------------

def inbox_url(account) -> str:
    return reverse("conversations:inbox", kwargs={"account_id": account.pk})


def detail_url(conversation) -> str:
    return reverse("conversations:detail",
                   kwargs={"account_id": conversation.account_id, "display_id": conversation.display_id})


def status_control(html: str) -> str:
    """The status buttons of the conversation header (main button and its dropdown)."""
    start = html.index('id="status-control"')
    return html[start:html.index('data-action="toggle-contact-panel"', start)]


def conversation_in(inbox, contact, status, actor):
    conversation = factories.make_conversation(inbox, contact=contact)
    if status != Status.OPEN:
        conversation = actions.change_status(conversation, actor=actor, status=status)
    assert conversation.status == status
    return conversation


@pytest.fixture
def english(agent):
    agent.locale = "en"
    agent.save(update_fields=["locale"])
    return agent


def test_a_pt_br_user_sees_the_inbox_in_portuguese(agent_client, account, inbox, contact):
    conversation_in(inbox, contact, Status.OPEN, None)
    html = agent_client.get(inbox_url(account)).content.decode()
    assert '<html lang="pt-br">' in html
    for word in ("Conversas", "Caixa de entrada", "Caixas de entrada", "Todas as conversas", "Minhas",
                 "Não atribuídas", "Menções", "Aberta", "Pendente", "Adiada", "Resolvida", "Prioridade",
                 "Configurações", "Disponibilidade", "Ocupado", "Sair"):
        assert word in html, word
    for word in ("All conversations", "Mentions", "Settings", "Log out", "Availability"):
        assert word not in html, word


def test_a_pending_conversation_offers_abrir(agent_client, agent, inbox, contact):
    conversation = conversation_in(inbox, contact, Status.PENDING, agent)
    html = agent_client.get(detail_url(conversation)).content.decode()
    control = status_control(html)
    assert re.search(r'data-action="open".*?Abrir\s*</button>', control, re.S)
    assert "Resolver" not in control and "Reabrir" not in control
    assert '<span class="status-badge status-pending">Pendente</span>' in html
    assert "Caixa de entrada" in html and "Conversas" in html


def test_an_open_conversation_offers_resolver_and_marcar_como_pendente(agent_client, inbox, contact):
    conversation = conversation_in(inbox, contact, Status.OPEN, None)
    html = agent_client.get(detail_url(conversation)).content.decode()
    control = status_control(html)
    assert re.search(r'data-action="resolve".*?Resolver\s*</button>', control, re.S)
    assert re.search(r'data-action="pending".*?Marcar como pendente\s*</button>', control, re.S)
    assert "Adiar até" in control and "Adiar</button>" in control
    assert "Abrir" not in control and "Reabrir" not in control
    for word in ("Responder", "Nota privada", "Enviar", "Agente responsável",
                 "Não atribuída", "Sem time", "Sem prioridade", "Urgente", "Alta", "Média", "Baixa",
                 "Detalhes do contato", "Etiquetas"):
        assert word in html, word


def test_a_resolved_conversation_offers_reabrir(agent_client, agent, inbox, contact):
    conversation = conversation_in(inbox, contact, Status.RESOLVED, agent)
    html = agent_client.get(detail_url(conversation)).content.decode()
    control = status_control(html)
    assert re.search(r'data-action="open".*?Reabrir\s*</button>', control, re.S)
    assert "Resolver" not in control and "Marcar como pendente" not in control
    assert '<span class="status-badge status-resolved">Resolvida</span>' in html


def test_a_snoozed_conversation_is_shown_as_adiada(agent_client, agent, inbox, contact):
    conversation = conversation_in(inbox, contact, Status.SNOOZED, agent)
    html = agent_client.get(detail_url(conversation)).content.decode()
    assert '<span class="status-badge status-snoozed">Adiada</span>' in html
    assert "até a próxima resposta" in html
    assert 'data-action="open"' in status_control(html) and "Reabrir" in status_control(html)


def test_an_english_user_sees_english(english, agent_client, account, inbox, contact):
    html = agent_client.get(inbox_url(account)).content.decode()
    assert '<html lang="en">' in html
    for word in ("Conversations", "Inbox", "All conversations", "Mine", "Unassigned", "Mentions", "Settings"):
        assert word in html, word
    for word in ("Conversas", "Caixa de entrada", "Configurações", "Minhas"):
        assert word not in html, word

    expected = {Status.PENDING: ("open", "Open"), Status.OPEN: ("resolve", "Resolve"),
                Status.RESOLVED: ("open", "Reopen")}
    for status, (action, word) in expected.items():
        conversation = conversation_in(inbox, factories.make_contact(account), status, english)
        html = agent_client.get(detail_url(conversation)).content.decode()
        control = status_control(html)
        assert re.search(rf'data-action="{action}".*?{word}\s*</button>', control, re.S), status
        assert not re.search("Abrir|Resolver|Reabrir|Marcar como pendente", control)
        if status == Status.OPEN:
            assert re.search(r'data-action="pending".*?Mark as pending\s*</button>', control, re.S)


def test_the_sign_in_page_follows_the_language_switch(db, client):
    assert "Entrar" in client.get(reverse("login")).content.decode()
    html = client.get(reverse("login") + "?lang=en").content.decode()
    assert "Sign in" in html and "Entrar" not in html
