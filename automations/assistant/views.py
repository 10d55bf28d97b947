"""The assistant's settings tab of an inbox and its report page (administrators)."""

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from autonomia.actions import DomainError
from autonomia.forms import add_domain_error
from autonomia.views import account_view, admin_view
from autonomia.views_settings import form_status
from automations.assistant import actions, queries
from automations.assistant.forms import AssistantConfigForm


@admin_view
def assistant_settings(request: HttpRequest, inbox_id: int) -> HttpResponse:
    config = queries.access_assistant_config(request.account_user, inbox_id)
    form = AssistantConfigForm(request.POST or None, request.FILES or None, config=config)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_assistant_config(config.inbox, actor=request.user, **form.settings())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Assistant settings saved."))
            return redirect("assistant:settings", account_id=config.account_id, inbox_id=config.inbox_id)
    bot = config.agent_bot
    avatar_url = reverse("assistant:bot-avatar", args=[config.account_id, bot.pk]) if bot and bot.avatar else None
    return render(request, "assistant/settings.html", {
        "inbox": config.inbox, "config": config, "form": form, "tab": "assistant", "bot_avatar_url": avatar_url,
        "bot_placeholder": {"available_name": config.name, "initials": (config.name or "?")[:1].upper()},
    }, status=form_status(form))


@admin_view
def assistant_report(request: HttpRequest) -> HttpResponse:
    try:
        days = max(1, min(365, int(request.GET.get("days") or 30)))
    except ValueError:
        days = 30
    since = timezone.now() - dt.timedelta(days=days)
    report = queries.assistant_report(request.account.pk, since=since)
    reasons = [(actions.handoff_reason_label(code), count) for code, count in report["handoffs_by_reason"].items()]
    runs = queries.recent_runs(request.account.pk)
    for run in runs:
        run.reason_label = actions.handoff_reason_label(run.reason) if run.reason else ""
    return render(request, "assistant/report.html", {"report": report, "reasons": reasons, "days": days,
                                                     "runs": runs})


@account_view
def bot_avatar(request: HttpRequest, bot_id: int) -> HttpResponse:
    """The picture of a bot (Alú or an external one) shown on its messages to the account's members."""
    from inboxes.queries import access_agent_bot

    bot = access_agent_bot(request.account_user, bot_id)
    if not bot.avatar:
        raise Http404
    response = FileResponse(bot.avatar.open("rb"), content_type="image/png")  # AvatarField stores PNG only
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response

