"""schemathesis against the live app: generated requests for every operation of autonomia/openapi.py.

One uvicorn server (fixture `live_server_asgi`) serves a seeded account; each operation gets a few
derandomized examples with the admin's token (the platform app's token for /platform/api/v1). Path ids of the
seeded objects are fixed for reads and writes, so the success shapes are exercised too; DELETEs keep
generated ids (mostly 404) so the seeded objects survive. Checks: no 500, responses and status codes as the
schema says, and the documented content types.
"""

import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from automations.models import CannedResponse, CustomAttributeDefinition, CustomFilter, Webhook
from autonomia.actions import permit, provision_account, provision_user
from autonomia.models import AccountUser, PlatformApp, Team
from autonomia.openapi import openapi_document
from autonomia.queries import api_token_for
from contacts.models import ContactNote
from conversations.models import Label, Message
from helpcenter import actions as helpcenter_actions
from inboxes.models import AgentBot
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.servers]

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
MAX_EXAMPLES = 4
# Operations not run: they would take the admin's own access away for the rest of the run.
SKIPPED = {
    "POST /api/v1/profile/reset_access_token",  # the admin's token changes (tested in test_account_api.py)
}


@pytest.fixture
def seeded(live_server_asgi):
    """An account with an admin, an API inbox, a contact (with a note), a conversation with messages, a team, an
    agent bot and one of each account resource; a platform app owning an account, a user and an agent bot."""
    account = factories.make_account("Loja Schemathesis")
    admin = factories.make_member(account, factories.make_user("st-admin@example.com", "Ana Admin"),
                                  role=AccountUser.Role.ADMINISTRATOR)
    inbox = factories.make_inbox(account, name="API", members=[admin])
    contact = factories.make_contact(account, name="Carla Cliente", email="carla@example.com")
    # Display id 1 is what DELETE conversations/{display_id} draws first: a spare one, so the seeded one survives.
    factories.make_conversation(inbox, contact=contact, messages=0)
    conversation = factories.make_conversation(inbox, contact=contact, messages=2)
    team = Team.objects.create(account=account, name="Suporte")
    app = PlatformApp.objects.create(name="Instalador")
    platform_account = provision_account(app, name="Cliente SA", locale="en", domain="", support_email="")
    platform_user = provision_user(app, name="Paula", email="paula@example.com", password=None, display_name="")
    bot = AgentBot.objects.create(account=platform_account, name="Robô")
    permit(app, bot)
    message = Message.objects.filter(conversation=conversation).order_by("id").first()
    account_bot = AgentBot.objects.create(account=account, name="Ajudante")
    canned = CannedResponse.objects.create(account=account, short_code="oi", content="Oi!")
    label = Label.objects.create(account=account, title="urgente")
    definition = CustomAttributeDefinition.objects.create(account=account, attribute_display_name="Plano",
                                                          attribute_key="plano")
    custom_filter = CustomFilter.objects.create(account=account, user=admin, name="Abertas", query={"payload": []})
    webhook = Webhook.objects.create(account=account, url="https://93.184.215.14/st", subscriptions=[])
    note = ContactNote.objects.create(contact=contact, user=admin, content="Cliente antiga")
    portal = helpcenter_actions.create_portal(account, actor=admin, name="Central", slug="central")
    return {
        "url": live_server_asgi.url,
        "admin_id": admin.pk,
        "user_token": api_token_for("User", admin.pk),
        "platform_token": api_token_for("PlatformApp", app.pk),
        "ids": {"account_id": account.pk, "display_id": conversation.display_id, "contact_id": contact.pk,
                "inbox_id": inbox.pk, "team_id": team.pk, "message_id": message.pk, "bot_id": account_bot.pk,
                "canned_id": canned.pk, "label_id": label.pk, "definition_id": definition.pk,
                "filter_id": custom_filter.pk, "webhook_id": webhook.pk, "note_id": note.pk,
                "portal_slug": portal.slug},
        "platform_ids": {"pk": platform_account.pk, "user_id": platform_user.pk, "bot_id": bot.pk},
    }


def fixed_path_parameters(operation, seeded, *, generated_deletes: bool = True) -> dict:
    names = {p.name for p in operation.path_parameters}
    ids = seeded["platform_ids"] if operation.path.startswith("/platform/") else seeded["ids"]
    if operation.method.upper() == "DELETE" and generated_deletes:
        ids = {"account_id": seeded["ids"]["account_id"]}
    return {name: value for name, value in ids.items() if name in names}


def example_body(document: dict, operation, seeded):
    """The operation's documented JSON example with the seeded ids in place of the example ids, or None."""
    spec = document["paths"][operation.path][operation.method.lower()]
    example = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
    if example is None:
        return None
    platform = operation.path.startswith("/platform/")
    ids = {"inbox_id": seeded["ids"]["inbox_id"], "contact_id": seeded["ids"]["contact_id"],
           "assignee_id": seeded["admin_id"],
           "account_id": seeded["platform_ids"]["pk"] if platform else seeded["ids"]["account_id"],
           "user_id": seeded["platform_ids"]["user_id"], "user_ids": [seeded["admin_id"]]}
    return {key: ids.get(key, value) for key, value in example.items()}


def run_operation(document: dict, operation, seeded, statuses: dict) -> None:
    platform = operation.path.startswith("/platform/")
    headers = {"api_access_token": seeded["platform_token" if platform else "user_token"]}
    path_parameters = fixed_path_parameters(operation, seeded)
    strategy = operation.as_strategy(path_parameters=path_parameters, headers=headers)

    def check(case):
        response = case.call(base_url=seeded["url"], headers=headers, timeout=30)
        statuses.setdefault(response.status_code, set()).add(f"{operation.method.upper()} {operation.path}")
        case.validate_response(response, checks=CHECKS, headers=headers)

    example = example_body(document, operation, seeded)
    if example is not None:  # the documented example first: it exercises the success answer of writes
        check(operation.Case(path_parameters=fixed_path_parameters(operation, seeded, generated_deletes=False),
                             headers=headers, body=example,
                             media_type="application/json"))

    hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                        print_blob=False)(hypothesis.given(case=strategy)(check))()


def test_schemathesis_finds_no_server_error_or_schema_violation(seeded):
    document = openapi_document()
    schema = schemathesis.openapi.from_dict(document)
    failures, ran, statuses = [], 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in SKIPPED:
            continue
        ran += 1
        try:
            run_operation(document, operation, seeded, statuses)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 (collect every failure, report them all)
            failures.append(f"{label}:\n{str(error)[:3000]}")
    assert ran > 80
    # The seeded ids and tokens work: most operations answered 200 at least once (not only 401/404/422).
    assert len(statuses.get(200, ())) > ran // 2, {code: len(ops) for code, ops in statuses.items()}
    if os.environ.get("SCHEMATHESIS_REPORT"):
        print({code: sorted(ops) for code, ops in sorted(statuses.items())})
    assert not failures, "\n\n".join(failures)
