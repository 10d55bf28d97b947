"""Account settings (administrators): account, agents, teams; and every member's profile page."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from autonomia import actions
from autonomia.actions import DomainError
from autonomia.forms import (AccountSettingsForm, AgentForm, AvailabilityForm, InviteAgentForm, PasswordChangeForm,
                             ProfileForm, TeamForm, add_domain_error)
from autonomia.queries import (access_member_user, access_membership, access_team, account_members,
                               api_token_for, team_member_ids, visible_teams)
from autonomia.views import account_view, admin_view


def form_status(form) -> int:
    """422 when a submitted form is shown again with errors, else 200."""
    return 422 if form.is_bound and form.errors else 200


def optional_url(name: str, **kwargs) -> str | None:
    """The URL if the route exists (avatar routes are wired by the URL owner), else None."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def user_avatar_url(account_id: int, user) -> str | None:
    if not user.avatar:
        return None
    return optional_url("settings:user-avatar", account_id=account_id, user_id=user.pk)


# --- Account ------------------------------------------------------------------------

@admin_view
def account_settings(request: HttpRequest) -> HttpResponse:
    form = AccountSettingsForm(request.POST or None, account=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_account(request.account, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Account settings saved."))
            return redirect("settings:account", account_id=request.account.pk)
    return render(request, "settings/account.html", {"form": form}, status=form_status(form))


# --- Agents -------------------------------------------------------------------------

@admin_view
def agent_list(request: HttpRequest) -> HttpResponse:
    memberships = list(account_members(request.account))
    for membership in memberships:
        membership.avatar_url = user_avatar_url(request.account.pk, membership.user)
    return render(request, "settings/agents/list.html", {"memberships": memberships})


@admin_view
def agent_invite(request: HttpRequest) -> HttpResponse:
    form = InviteAgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = actions.invite_agent(request.account, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
            return redirect("settings:agents", account_id=request.account.pk)
    return render(request, "settings/agents/invite.html", {"form": form}, status=form_status(form))


@admin_view
def agent_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.account_user, membership_id)
    form = AgentForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_agent(membership, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("%(name)s was updated.") % {"name": membership.user.available_name})
            if membership.user_id == request.user.pk and not membership.is_administrator:  # demoted themselves
                return redirect("settings:profile", account_id=request.account.pk)
            return redirect("settings:agents", account_id=request.account.pk)
    membership.avatar_url = user_avatar_url(request.account.pk, membership.user)
    return render(request, "settings/agents/edit.html", {"form": form, "membership": membership},
                  status=form_status(form))


@admin_view
def agent_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.account_user, membership_id)
    error = None
    if request.method == "POST":
        try:
            actions.remove_agent(membership, actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("%(name)s was removed from the account.")
                             % {"name": membership.user.available_name})
            return redirect("settings:agents", account_id=request.account.pk)
    return render(request, "settings/agents/remove.html", {"membership": membership, "error": error},
                  status=422 if error else 200)


# --- Teams --------------------------------------------------------------------------

@admin_view
def team_list(request: HttpRequest) -> HttpResponse:
    teams = visible_teams(request.account).prefetch_related("members")
    return render(request, "settings/teams/list.html", {"teams": teams})


@admin_view
def team_edit(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    team = access_team(request.account_user, team_id) if team_id is not None else None
    form = TeamForm(request.POST or None, memberships=account_members(request.account), team=team,
                    member_ids=team_member_ids(team) if team else ())
    if request.method == "POST" and form.is_valid():
        try:
            team = actions.save_team(request.account, actor=request.user, team=team, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
            return redirect("settings:teams", account_id=request.account.pk)
    return render(request, "settings/teams/edit.html", {"form": form, "team": team}, status=form_status(form))


@admin_view
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access_team(request.account_user, team_id)
    if request.method == "POST":
        actions.delete_team(team, actor=request.user)
        messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
        return redirect("settings:teams", account_id=request.account.pk)
    return render(request, "settings/confirm_delete.html", {
        "title": _("Delete team “%(name)s”?") % {"name": team.name},
        "message": _("Conversations of this team keep their agent but will no longer belong to a team."),
        "cancel_url": reverse("settings:teams", kwargs={"account_id": request.account.pk}),
        "confirm_label": _("Delete team"), "section": "teams",
    })


# --- Profile (any member) -----------------------------------------------------------

@account_view
def profile(request: HttpRequest) -> HttpResponse:
    which = request.POST.get("form", "profile") if request.method == "POST" else None
    profile_form = ProfileForm(request.POST if which == "profile" else None,
                               request.FILES if which == "profile" else None,
                               user=request.user, membership=request.account_user)
    password_form = PasswordChangeForm(request.user, request.POST if which == "password" else None)
    form = password_form if which == "password" else profile_form
    if which and form.is_valid():
        try:
            if which == "password":
                _save_password(request, form)
            else:
                _save_profile(request, form)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("settings:profile", account_id=request.account.pk)
    return render(request, "settings/profile.html", {
        "form": profile_form, "password_form": password_form,
        "avatar_url": user_avatar_url(request.account.pk, request.user),
        "access_token": api_token_for("User", request.user.pk),
    }, status=form_status(form))


@transaction.atomic
def _save_profile(request: HttpRequest, form: ProfileForm) -> None:
    data = form.cleaned_data
    actions.update_profile(request.user, actor=request.user, name=data["name"], display_name=data["display_name"],
                           message_signature=data["message_signature"], locale=data["locale"],
                           timezone=data["timezone"], ui_settings=form.ui_settings)
    if data["avatar"] or data["remove_avatar"]:
        actions.set_user_avatar(request.user, actor=request.user, avatar=data["avatar"] or None)
    availability = AvailabilityForm({"availability": data["availability"]})
    if availability.is_valid() and availability.value != request.account_user.availability:
        actions.set_availability(request.account_user, actor=request.user, availability=availability.value)
    messages.success(request, _("Your profile was saved."))


def _save_password(request: HttpRequest, form: PasswordChangeForm) -> None:
    user = form.save()
    # Keeps this session; every other session of the user fails Django's session-hash check.
    update_session_auth_hash(request, user)
    messages.success(request, _("Your password was changed. Other devices were signed out."))


@account_view
@require_POST
def set_availability(request: HttpRequest) -> HttpResponse:
    """The availability switch: a small partial for HTMX, a redirect back otherwise."""
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose online, busy or offline."), status=422)
    membership = actions.set_availability(request.account_user, actor=request.user, availability=form.value)
    if request.htmx:
        response = render(request, "settings/profile.html#availability-status", {"account_user": membership})
        return trigger_client_event(response, "availabilityChanged",
                                    {"availability": membership.availability_status})
    messages.success(request, _("Your availability is now %(status)s.")
                     % {"status": membership.get_availability_display()})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("settings:profile", account_id=request.account.pk)


@account_view
def regenerate_access_token(request: HttpRequest) -> HttpResponse:
    """Confirm (GET), then replace (POST) the member's own API access token; the old one stops working."""
    profile_url = reverse("settings:profile", kwargs={"account_id": request.account.pk})
    if request.method == "POST":
        actions.regenerate_access_token("User", request.user, actor=request.user)
        messages.success(request, _("A new access token was generated. Update the integrations that used the old one."))
        return redirect(profile_url + "#access-token-section")
    return render(request, "settings/confirm_delete.html", {
        "title": _("Generate a new access token?"),
        "message": _("Integrations and scripts that use your current token will stop working until you give "
                     "them the new one."),
        "cancel_url": profile_url, "confirm_label": _("Generate new token"), "section": "profile",
    })


@account_view
def user_avatar(request: HttpRequest, user_id: int) -> HttpResponse:
    """The picture of a member of the same account (needs the route "settings:user-avatar")."""
    user = access_member_user(request.account_user, user_id)
    if not user.avatar:
        raise Http404
    response = FileResponse(user.avatar.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
