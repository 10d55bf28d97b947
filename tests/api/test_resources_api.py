"""Canned responses, labels, custom attribute definitions and custom filters endpoints."""

import pytest

from automations.models import CannedResponse, CustomAttributeDefinition, CustomFilter
from conversations.models import Label
from tests.api.client import call


@pytest.fixture
def canned(account):
    CannedResponse.objects.create(account=account, short_code="obrigado", content="Obrigado pelo contato!")
    CannedResponse.objects.create(account=account, short_code="horario", content="Atendemos até às 18h, obrigado")
    return CannedResponse.objects.create(account=account, short_code="boas-vindas-obrigado", content="Bem-vindo")


@pytest.fixture
def label(account):
    return Label.objects.create(account=account, title="vip", color="#ff0000", description="Clientes VIP")


@pytest.fixture
def definition(account):
    return CustomAttributeDefinition.objects.create(account=account, attribute_display_name="Plano",
                                                    attribute_key="plano", attribute_display_type=6,
                                                    attribute_values=["basic", "pro"], attribute_model=1)


# --- Canned responses ------------------------------------------------------------------

def test_canned_list_and_search_ranking(agent, canned, account, base):
    rows = call(agent, "GET", base + "/canned_responses", bearer=True).json()
    assert [r["short_code"] for r in rows] == ["boas-vindas-obrigado", "horario", "obrigado"]
    assert isinstance(rows[0]["id"], int) and rows[0]["account_id"] == account.pk
    ranked = call(agent, "GET", base + "/canned_responses?search=obrigado").json()
    assert [r["short_code"] for r in ranked] == ["obrigado", "boas-vindas-obrigado", "horario"]


def test_canned_crud(admin, account, base):
    created = call(admin, "POST", base + "/canned_responses", {"short_code": "oi", "content": "Olá!"})
    assert created.status_code == 200, created.content
    canned_id = created.json()["id"]
    updated = call(admin, "PATCH", f"{base}/canned_responses/{canned_id}", {"content": "Olá de novo"})
    assert updated.json()["content"] == "Olá de novo" and updated.json()["short_code"] == "oi"
    assert call(admin, "DELETE", f"{base}/canned_responses/{canned_id}").status_code == 200
    assert not CannedResponse.objects.filter(pk=canned_id).exists()


def test_canned_bad_input(admin, canned, account, base):
    for body, attribute in [({"short_code": "com espaço", "content": "x"}, "short_code"),
                            ({"short_code": "ok"}, "content"), ({"short_code": "obrigado", "content": "x"}, "short_code"),
                            ({"short_code": ["x"], "content": "x"}, "short_code")]:
        response = call(admin, "POST", base + "/canned_responses", body)
        assert response.status_code == 422 and response.json()["attributes"] == [attribute], body
    assert call(admin, "POST", base + "/canned_responses", raw="{").status_code == 400
    assert CannedResponse.objects.filter(account=account).count() == 3


def test_canned_writes_need_admin(agent, canned, base):
    assert call(agent, "POST", base + "/canned_responses", {"short_code": "a", "content": "b"}).status_code == 401
    assert call(agent, "PATCH", f"{base}/canned_responses/{canned.pk}", {"content": "b"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/canned_responses/{canned.pk}").status_code == 401
    canned.refresh_from_db()
    assert canned.content == "Bem-vindo"


def test_canned_other_account_404(outsider, other_account, canned, base):
    for method in ("GET", "PATCH", "DELETE"):
        assert call(outsider, method, f"{base}/canned_responses/{canned.pk}").status_code == 404
    other_base = f"/api/v1/accounts/{other_account.pk}"
    assert call(outsider, "GET", f"{other_base}/canned_responses/{canned.pk}").status_code == 404
    assert call(outsider, "DELETE", f"{other_base}/canned_responses/{canned.pk}").status_code == 404
    assert call(outsider, "GET", f"{other_base}/canned_responses").json() == []
    assert CannedResponse.objects.filter(pk=canned.pk).exists()


# --- Labels ----------------------------------------------------------------------------

def test_labels_list_and_show(agent, label, base):
    body = call(agent, "GET", base + "/labels").json()
    assert body == {"payload": [{"id": label.pk, "title": "vip", "description": "Clientes VIP", "color": "#ff0000",
                                 "show_on_sidebar": True}]}
    assert call(agent, "GET", f"{base}/labels/{label.pk}").json()["title"] == "vip"


def test_label_crud(admin, account, base):
    created = call(admin, "POST", base + "/labels", {"title": "Urgente", "color": "#00FF00", "show_on_sidebar": False})
    assert created.status_code == 200, created.content
    assert created.json()["title"] == "urgente" and created.json()["show_on_sidebar"] is False
    label_id = created.json()["id"]
    updated = call(admin, "PATCH", f"{base}/labels/{label_id}", {"description": "Agora"})
    assert updated.json()["description"] == "Agora" and updated.json()["color"] == "#00ff00"
    assert call(admin, "DELETE", f"{base}/labels/{label_id}").status_code == 200
    assert not Label.objects.filter(pk=label_id).exists()


def test_label_bad_input(admin, label, account, base):
    for body, attribute in [({"title": "com espaço"}, "title"), ({"title": "ok", "color": "red"}, "color"),
                            ({"title": "VIP"}, "title"), ({"title": "x", "show_on_sidebar": "talvez"}, "show_on_sidebar")]:
        response = call(admin, "POST", base + "/labels", body)
        assert response.status_code == 422 and response.json()["attributes"] == [attribute], body
    assert Label.objects.filter(account=account).count() == 1


def test_label_writes_need_admin_and_other_account_404(agent, outsider, label, base):
    assert call(agent, "POST", base + "/labels", {"title": "x"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/labels/{label.pk}").status_code == 401
    for method in ("GET", "PATCH", "DELETE"):
        assert call(outsider, method, f"{base}/labels/{label.pk}").status_code == 404
    assert Label.objects.filter(pk=label.pk, title="vip").exists()


# --- Custom attribute definitions ------------------------------------------------------

def test_custom_attributes_list_and_filter(agent, definition, account, base):
    CustomAttributeDefinition.objects.create(account=account, attribute_display_name="Pedido",
                                             attribute_key="pedido", attribute_model=0)
    rows = call(agent, "GET", base + "/custom_attribute_definitions").json()
    assert len(rows) == 2
    contact_rows = call(agent, "GET", base + "/custom_attribute_definitions?attribute_model=1").json()
    assert [r["attribute_key"] for r in contact_rows] == ["plano"]
    row = contact_rows[0]
    assert row["attribute_display_type"] == "list" and row["attribute_model"] == "contact_attribute"
    assert row["attribute_values"] == ["basic", "pro"] and isinstance(row["id"], int)
    assert call(agent, "GET", base + "/custom_attribute_definitions?attribute_model=9").status_code == 422


def test_custom_attribute_crud(admin, account, base):
    created = call(admin, "POST", base + "/custom_attribute_definitions", {
        "attribute_display_name": "CPF", "attribute_key": "cpf", "attribute_display_type": "text",
        "attribute_model": "contact_attribute", "regex_pattern": r"^\d{11}$", "regex_cue": "11 dígitos"})
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["attribute_model"] == "contact_attribute" and body["regex_pattern"] == r"^\d{11}$"
    updated = call(admin, "PATCH", f"{base}/custom_attribute_definitions/{body['id']}",
                   {"attribute_display_type": 1, "default_value": 0})
    assert updated.json()["attribute_display_type"] == "number" and updated.json()["default_value"] == 0
    assert call(admin, "DELETE", f"{base}/custom_attribute_definitions/{body['id']}").status_code == 200
    assert not CustomAttributeDefinition.objects.filter(account=account).exists()


def test_same_key_allowed_on_other_model(admin, definition, base):
    response = call(admin, "POST", base + "/custom_attribute_definitions",
                    {"attribute_display_name": "Plano", "attribute_key": "plano", "attribute_model": 0})
    assert response.status_code == 200


@pytest.mark.parametrize("body, attribute", [
    ({"attribute_key": "x"}, "attribute_display_name"),
    ({"attribute_display_name": "X"}, "attribute_key"),
    ({"attribute_display_name": "X", "attribute_key": "com espaço"}, "attribute_key"),
    ({"attribute_display_name": "X", "attribute_key": "plano", "attribute_model": 1}, "attribute_key"),
    ({"attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": "color"}, "attribute_display_type"),
    ({"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 5}, "attribute_model"),
    ({"attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": "list"}, "attribute_values"),
    ({"attribute_display_name": "X", "attribute_key": "x", "attribute_values": "a,b"}, "attribute_values"),
    ({"attribute_display_name": "X", "attribute_key": "x", "regex_pattern": "(["}, "regex_pattern"),
    ({"attribute_display_name": "X", "attribute_key": "x", "default_value": {"a": 1}}, "default_value"),
])
def test_custom_attribute_bad_input(admin, definition, account, base, body, attribute):
    response = call(admin, "POST", base + "/custom_attribute_definitions", body)
    assert response.status_code == 422 and response.json()["attributes"] == [attribute]
    assert CustomAttributeDefinition.objects.filter(account=account).count() == 1


def test_custom_attribute_writes_need_admin_and_other_account_404(agent, outsider, definition, base):
    assert call(agent, "POST", base + "/custom_attribute_definitions",
                {"attribute_display_name": "X", "attribute_key": "x"}).status_code == 401
    assert call(agent, "PATCH", f"{base}/custom_attribute_definitions/{definition.pk}", {"regex_cue": "x"}).status_code == 401
    assert call(agent, "DELETE", f"{base}/custom_attribute_definitions/{definition.pk}").status_code == 401
    for method in ("GET", "PATCH", "DELETE"):
        assert call(outsider, method, f"{base}/custom_attribute_definitions/{definition.pk}").status_code == 404
    definition.refresh_from_db()
    assert definition.regex_cue == ""


def test_custom_attribute_update_is_atomic(admin, definition, base):
    response = call(admin, "PATCH", f"{base}/custom_attribute_definitions/{definition.pk}",
                    {"attribute_display_name": "Novo", "attribute_values": []})
    assert response.status_code == 422
    definition.refresh_from_db()
    assert definition.attribute_display_name == "Plano"


# --- Custom filters --------------------------------------------------------------------

QUERY = {"payload": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"],
                      "query_operator": None}]}


def test_custom_filters_are_personal(agent, admin, account, base):
    created = call(agent, "POST", base + "/custom_filters", {"custom_filter": {"name": "Abertas", "type": "conversation",
                                                                               "query": QUERY}})
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["filter_type"] == "conversation" and body["query"] == QUERY and isinstance(body["id"], int)
    assert [r["id"] for r in call(agent, "GET", base + "/custom_filters?filter_type=conversation").json()] == [body["id"]]
    assert call(agent, "GET", base + "/custom_filters?filter_type=contact").json() == []
    assert call(admin, "GET", base + "/custom_filters").json() == []
    assert call(admin, "GET", f"{base}/custom_filters/{body['id']}").status_code == 404
    assert call(admin, "DELETE", f"{base}/custom_filters/{body['id']}").status_code == 404
    assert CustomFilter.objects.filter(pk=body["id"]).exists()


def test_custom_filter_update_and_delete(agent, account, base):
    created = call(agent, "POST", base + "/custom_filters", {"name": "A", "filter_type": 1, "query": QUERY}).json()
    assert created["filter_type"] == "contact"
    updated = call(agent, "PATCH", f"{base}/custom_filters/{created['id']}", {"custom_filter": {"name": "B"}})
    assert updated.status_code == 200 and updated.json()["name"] == "B"
    assert call(agent, "DELETE", f"{base}/custom_filters/{created['id']}").status_code == 200
    assert not CustomFilter.objects.exists()


def test_custom_filter_bad_input(agent, account, base):
    for body, attribute in [({"query": QUERY}, "name"), ({"name": "x", "query": "status=open"}, "query"),
                            ({"name": "x", "type": "ticket", "query": QUERY}, "type"), ({"name": "x"}, "query")]:
        response = call(agent, "POST", base + "/custom_filters", body)
        assert response.status_code == 422 and response.json()["attributes"] == [attribute], body
    assert call(agent, "POST", base + "/custom_filters", raw="nope").status_code == 400
    assert not CustomFilter.objects.exists()


def test_custom_filter_other_account_404(outsider, agent, account, base):
    custom_filter = CustomFilter.objects.create(account=account, user=agent, name="A", query=QUERY)
    assert call(outsider, "GET", base + "/custom_filters").status_code == 404
    assert call(outsider, "DELETE", f"{base}/custom_filters/{custom_filter.pk}").status_code == 404
    assert CustomFilter.objects.filter(pk=custom_filter.pk).exists()
