"""The OpenAPI document: valid, complete (every served API route and method is described) and served."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from autonomia.openapi import openapi_document

# Served under api/ but not part of the JSON API.
NOT_API = {"/api/docs/": "the HTML docs page"}
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def served_routes():
    """(path template, methods) for every route under api/ and platform/, walking the URL conf."""
    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(("api/", "platform/")):
                yield "/" + CONVERTER.sub(r"{\1}", route), entry.callback

    for route, view in walk(get_resolver().url_patterns, ""):
        if route in NOT_API:
            continue
        methods = getattr(view, "api_methods", None) or {"GET"}
        yield route.rstrip("/"), {m.lower() for m in methods}


def test_document_is_valid_openapi():
    validate(openapi_document())


def test_every_served_route_and_method_is_in_the_schema():
    paths = openapi_document()["paths"]
    missing = []
    for route, methods in served_routes():
        described = {m for m in paths.get(route, {}) if m != "parameters"}
        if methods - described:
            missing.append((route, sorted(methods - described)))
    assert not missing, f"API routes missing from autonomia/openapi.py: {missing}"


def test_the_schema_describes_only_served_routes():
    served = {route for route, _ in served_routes()}
    assert set(openapi_document()["paths"]) - served == set()


def test_path_parameters_are_declared():
    for route, item in openapi_document()["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", route)), route


@pytest.mark.django_db
def test_openapi_json_is_served_without_auth(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_docs_page_uses_local_files_and_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/js/api-docs.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html  # every script is an external file (the CSP allows no inline script)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    for path in ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", "/static/js/api-docs.js"):
        assert client.get(path).status_code == 200


@pytest.mark.browser
@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_docs_page_renders_in_chromium_under_the_csp(live_server_asgi, browser, tmp_path):
    """Swagger UI starts from the external init file, loads the schema and shows the operations, with no CSP
    violation and no request outside the server."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    problems, outside = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server_asgi.url) else None)
    page.goto(live_server_asgi.url + "/api/docs/")
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    assert page.locator(".info .title").first.inner_text().startswith("Autonomia API")
    assert page.locator(".opblock-tag").first.inner_text().startswith("Conversations")
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".parameters", timeout=10_000)
    page.screenshot(path=str(tmp_path / "api-docs.png"))
    assert not problems, problems
    assert not outside, outside


@pytest.mark.django_db
def test_nul_characters_and_lone_surrogates_answer_422_not_500(api, conversation, contact):
    """Found by schemathesis: PostgreSQL cannot store NUL (nor lone surrogates), in text or jsonb columns."""
    path = f"conversations/{conversation.display_id}/custom_attributes"
    response = api("POST", path, raw=b'{"custom_attributes": {"a": "x\\u0000y"}}')
    assert response.status_code == 422 and response.json()["attributes"] == ["custom_attributes"]
    response = api("POST", f"contacts/{contact.pk}/notes", raw=b'{"content": "\\ud800"}')
    assert response.status_code == 422
    assert api("GET", "contacts/search", query={"q": "a\x00"}).status_code == 422
    assert api("GET", "contacts/search", query={"q": "Ana"}).status_code == 200


def test_operation_ids_are_unique():
    ids = [spec["operationId"] for item in openapi_document()["paths"].values()
           for method, spec in item.items() if method != "parameters"]
    assert len(ids) == len(set(ids))
