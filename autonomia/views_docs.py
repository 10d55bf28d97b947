"""The OpenAPI document (GET /api/v1/openapi.json) and the browsable API docs (GET /api/docs/).

Both are public, like Chatwoot's swagger: the document describes the API, it holds no data. The docs page
is Swagger UI served from our own static files (drf-spectacular-sidecar), started by static/js/api-docs.js
so that it runs under the CSP without inline scripts.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autonomia.openapi import openapi_document


@require_GET
def openapi_json(request):
    response = JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def api_docs(request):
    return render(request, "api/docs.html")
