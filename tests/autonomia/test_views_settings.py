"""Account settings pages (account, agents, teams) and the profile page of every member."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from autonomia.models import Account, AccountUser, Team, TeamMember, User
from tests import factories

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(admin, agent):
    """The assertions read the English interface (the product's default language is pt-BR)."""
    User.objects.filter(pk__in=[admin.pk, agent.pk]).update(locale="en")


def url(name, account, **kwargs):
    return reverse(f"settings:{name}", kwargs={"account_id": account.pk, **kwargs})


def membership_of(user, account) -> AccountUser:
    return AccountUser.objects.get(user=user, account=account)


def png_upload(name="me.png", size=(300, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 111, 235)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def account_post(**overrides):
    data = {"name": "Loja Nova", "locale": "en", "timezone": "America/Manaus", "auto_resolve_after": "60",
            "auto_resolve_message": "Encerramos por inatividade.", "auto_resolve_ignore_waiting": "on"}
    data.update(overrides)
    return data


# --- permissions --------------------------------------------------------------------------------------

ADMIN_PAGES = [("account", {}), ("agents", {}), ("agent-invite", {}), ("teams", {}), ("team-new", {})]


@pytest.mark.parametrize(("name", "kwargs"), ADMIN_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_agent_gets_403_on_admin_pages(agent_client, account, name, kwargs, method):
    response = getattr(agent_client, method)(url(name, account, **kwargs))
    assert response.status_code == 403
    assert "Only administrators can open this page" in response.content.decode()


def test_agent_gets_403_on_per_object_admin_pages(agent_client, account, admin):
    team = Team.objects.create(account=account, name="vendas")
    membership = membership_of(admin, account)
    for target in (url("agent-edit", account, membership_id=membership.pk),
                   url("agent-remove", account, membership_id=membership.pk),
                   url("team-edit", account, team_id=team.pk), url("team-delete", account, team_id=team.pk)):
        assert agent_client.get(target).status_code == 403, target
        assert agent_client.post(target).status_code == 403, target
    assert AccountUser.objects.filter(pk=membership.pk).exists() and Team.objects.filter(pk=team.pk).exists()


def test_agent_sees_only_the_profile_link_in_the_settings_menu(agent_client, account):
    html = agent_client.get(url("profile", account)).content.decode()
    assert url("profile", account) in html
    # exact hrefs: other settings pages (e.g. the help center's) live under the account settings' URL
    assert f'href="{url("agents", account)}"' not in html and f'href="{url("account", account)}"' not in html


# --- account ------------------------------------------------------------------------------------------

def test_account_page_shows_the_current_settings(admin_client, account):
    account.settings = {"auto_resolve_after": 120, "auto_resolve_message": "Tchau!"}
    account.save()
    response = admin_client.get(url("account", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Account settings" in html and 'value="Loja Exemplo"' in html
    assert 'value="120"' in html and "Tchau!" in html
    assert 'value="America/Sao_Paulo" selected' in html
    assert f"<code>{account.pk}</code>" in html
    assert 'aria-current="page"' in html and "settings.css" in html


def test_account_post_saves_and_redirects(admin_client, account):
    response = admin_client.post(url("account", account), account_post())
    assert response.status_code == 302 and response["Location"] == url("account", account)
    account.refresh_from_db()
    assert (account.name, account.locale, account.timezone) == ("Loja Nova", "en", "America/Manaus")
    assert account.settings["auto_resolve_after"] == 60
    assert account.settings["auto_resolve_ignore_waiting"] is True
    assert "Account settings saved." in admin_client.get(url("account", account)).content.decode()


def test_account_post_with_errors_returns_422_and_keeps_the_input(admin_client, account):
    data = account_post(name="Nome digitado", auto_resolve_after="5")
    response = admin_client.post(url("account", account), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 10." in html
    assert 'value="Nome digitado"' in html and 'value="5"' in html
    assert "has-error" in html and "Please correct the errors below." in html
    assert Account.objects.get(pk=account.pk).name == "Loja Exemplo"


def test_account_blank_name_is_an_error(admin_client, account):
    response = admin_client.post(url("account", account), account_post(name=""))
    assert response.status_code == 422 and "This field is required." in response.content.decode()


# --- agents -------------------------------------------------------------------------------------------

def test_agent_list_shows_people_roles_and_availability(admin_client, account, admin, agent):
    AccountUser.objects.filter(user=agent).update(availability=AccountUser.Availability.BUSY)
    response = admin_client.get(url("agents", account))
    html = response.content.decode()
    assert response.status_code == 200
    for fragment in ("Ana Admin", "admin@example.com", "Bruno Agente", "agent@example.com",
                     "Administrator", "badge-violet", "badge-blue", 'data-availability="busy"', "Busy", "AA", "BA",
                     url("agent-invite", account), "(you)"):
        assert fragment in html, fragment
    # No "Remove" for yourself, one for the other person.
    assert html.count("/remove/") == 1


def test_agent_list_marks_pending_invitations(admin_client, account):
    invited = User.objects.create_user("novo@example.com", None, name="Novo Convidado")
    AccountUser.objects.create(account=account, user=invited)
    html = admin_client.get(url("agents", account)).content.decode()
    assert "Novo Convidado" in html and "Invitation pending" in html


def test_invite_page_renders(admin_client, account):
    response = admin_client.get(url("agent-invite", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="email"' in html and 'name="role"' in html and "Send invitation" in html


def test_invite_creates_the_member_and_sends_the_email(admin_client, account, admin,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url("agent-invite", account),
                                     {"name": "Carla Nova", "email": "Carla@Example.com", "role": "1"})
    assert response.status_code == 302 and response["Location"] == url("agents", account)
    membership = AccountUser.objects.get(account=account, user__email="carla@example.com")
    assert membership.role == AccountUser.Role.ADMINISTRATOR and membership.inviter == admin
    assert membership.user.name == "Carla Nova"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carla@example.com"]
    assert "Invitation sent to carla@example.com." in admin_client.get(url("agents", account)).content.decode()


def test_invite_with_a_bad_email_returns_422_and_keeps_the_input(admin_client, account):
    response = admin_client.post(url("agent-invite", account), {"name": "Dora Digitada", "email": "not-an-email",
                                                                "role": "0"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter a valid email address." in html
    assert 'value="Dora Digitada"' in html and 'value="not-an-email"' in html
    assert not User.objects.filter(name="Dora Digitada").exists()


def test_inviting_an_existing_member_shows_the_domain_error_on_the_email(admin_client, account, agent):
    response = admin_client.post(url("agent-invite", account), {"name": "Bruno", "email": "agent@example.com",
                                                                "role": "0"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "This person is already a member of the account." in html and 'value="agent@example.com"' in html


def test_agent_edit_page_renders(admin_client, account, agent):
    membership = membership_of(agent, account)
    response = admin_client.get(url("agent-edit", account, membership_id=membership.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bruno Agente" in html and "agent@example.com" in html and 'value="Bruno Agente"' in html
    assert url("agent-remove", account, membership_id=membership.pk) in html


def test_agent_edit_saves_name_role_and_availability(admin_client, account, agent):
    membership = membership_of(agent, account)
    response = admin_client.post(url("agent-edit", account, membership_id=membership.pk),
                                 {"name": "Bruno Silva", "role": "1", "availability": "2"})
    assert response.status_code == 302 and response["Location"] == url("agents", account)
    membership.refresh_from_db()
    assert membership.user.name == "Bruno Silva"
    assert membership.role == AccountUser.Role.ADMINISTRATOR
    assert membership.availability == AccountUser.Availability.BUSY


def test_agent_edit_with_errors_returns_422_and_keeps_the_input(admin_client, account, agent):
    membership = membership_of(agent, account)
    response = admin_client.post(url("agent-edit", account, membership_id=membership.pk),
                                 {"name": "Nome Novo", "role": "7", "availability": "0"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice." in html and 'value="Nome Novo"' in html
    assert User.objects.get(pk=agent.pk).name == "Bruno Agente"


def test_the_last_administrator_cannot_be_demoted(admin_client, account, admin):
    membership = membership_of(admin, account)
    response = admin_client.post(url("agent-edit", account, membership_id=membership.pk),
                                 {"name": "Ana Admin", "role": "0", "availability": "0"})
    assert response.status_code == 422
    assert "The account needs at least one administrator." in response.content.decode()
    assert membership_of(admin, account).role == AccountUser.Role.ADMINISTRATOR


def test_an_administrator_who_demotes_themselves_lands_on_their_profile(admin_client, account, admin, agent):
    AccountUser.objects.filter(user=agent).update(role=AccountUser.Role.ADMINISTRATOR)
    membership = membership_of(admin, account)
    response = admin_client.post(url("agent-edit", account, membership_id=membership.pk),
                                 {"name": "Ana Admin", "role": "0", "availability": "0"})
    assert response.status_code == 302 and response["Location"] == url("profile", account)
    assert membership_of(admin, account).role == AccountUser.Role.AGENT


def test_remove_agent_asks_then_removes(admin_client, account, agent, inbox):
    membership = membership_of(agent, account)
    page = admin_client.get(url("agent-remove", account, membership_id=membership.pk))
    assert page.status_code == 200 and "Remove Bruno Agente from the account?" in page.content.decode()
    response = admin_client.post(url("agent-remove", account, membership_id=membership.pk))
    assert response.status_code == 302 and response["Location"] == url("agents", account)
    assert not AccountUser.objects.filter(pk=membership.pk).exists()
    assert not inbox.members.filter(pk=agent.pk).exists()


def test_removing_yourself_is_refused_with_422(admin_client, account, admin):
    membership = membership_of(admin, account)
    response = admin_client.post(url("agent-remove", account, membership_id=membership.pk))
    assert response.status_code == 422 and "You cannot remove yourself." in response.content.decode()
    assert AccountUser.objects.filter(pk=membership.pk).exists()


# --- teams --------------------------------------------------------------------------------------------

def test_team_list_empty_state(admin_client, account):
    response = admin_client.get(url("teams", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No teams yet" in html and url("team-new", account) in html


def test_team_list_shows_teams_and_member_counts(admin_client, account, admin, agent):
    sales = Team.objects.create(account=account, name="vendas", description="Pedidos e orçamentos")
    TeamMember.objects.create(team=sales, user=admin)
    TeamMember.objects.create(team=sales, user=agent)
    Team.objects.create(account=account, name="financeiro", allow_auto_assign=False)
    html = admin_client.get(url("teams", account)).content.decode()
    assert "Vendas" in html and "Pedidos e orçamentos" in html and "2 members" in html
    assert "Financeiro" in html and "0 members" in html
    assert url("team-edit", account, team_id=sales.pk) in html and "No teams yet" not in html


def test_new_team_page_lists_the_members_to_choose(admin_client, account, admin, agent):
    response = admin_client.get(url("team-new", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "New team" in html and f'value="{agent.pk}"' in html and "Bruno Agente" in html


def test_create_team_saves_and_redirects(admin_client, account, agent):
    response = admin_client.post(url("team-new", account), {"name": " Suporte Técnico ", "description": "N2",
                                                            "allow_auto_assign": "on", "member_ids": [agent.pk]})
    assert response.status_code == 302 and response["Location"] == url("teams", account)
    team = Team.objects.get(account=account)
    assert team.name == "suporte técnico" and team.allow_auto_assign
    assert list(team.members.all()) == [agent]


def test_create_team_with_errors_returns_422_and_keeps_the_input(admin_client, account, agent):
    response = admin_client.post(url("team-new", account), {"name": "", "description": "Descrição digitada",
                                                            "member_ids": [agent.pk]})
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html and "Descrição digitada" in html
    assert f'value="{agent.pk}"' in html and "checked" in html
    assert not Team.objects.exists()


def test_duplicate_team_name_is_an_error_on_the_name(admin_client, account):
    Team.objects.create(account=account, name="vendas")
    response = admin_client.post(url("team-new", account), {"name": "Vendas"})
    assert response.status_code == 422
    assert "A team with this name already exists." in response.content.decode()


def test_edit_team_changes_members(admin_client, account, admin, agent):
    team = Team.objects.create(account=account, name="vendas")
    TeamMember.objects.create(team=team, user=admin)
    page = admin_client.get(url("team-edit", account, team_id=team.pk))
    assert page.status_code == 200 and 'value="vendas"' in page.content.decode()
    response = admin_client.post(url("team-edit", account, team_id=team.pk),
                                 {"name": "vendas", "description": "", "member_ids": [agent.pk]})
    assert response.status_code == 302
    assert list(team.members.all()) == [agent]
    assert not Team.objects.get(pk=team.pk).allow_auto_assign


def test_delete_team_asks_then_deletes(admin_client, account):
    team = Team.objects.create(account=account, name="vendas")
    page = admin_client.get(url("team-delete", account, team_id=team.pk))
    assert page.status_code == 200 and "Delete team “vendas”?" in page.content.decode()
    response = admin_client.post(url("team-delete", account, team_id=team.pk))
    assert response.status_code == 302 and not Team.objects.filter(pk=team.pk).exists()


# --- profile ------------------------------------------------------------------------------------------

def profile_post(**overrides):
    data = {"form": "profile", "name": "Bruno Agente", "display_name": "Bruno", "message_signature": "Abraços",
            "locale": "en", "timezone": "America/Manaus", "availability": "busy",
            "notify": ["conversation_mention"], "send_on_enter": "on"}
    data.update(overrides)
    return data


def test_profile_page_works_for_an_agent(agent_client, account):
    response = agent_client.get(url("profile", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="remove_avatar"' not in html  # nothing to remove yet
    assert "autofocus" not in html  # the password form below must not scroll the page down
    assert 'enctype="multipart/form-data"' in html
    assert 'name="form" value="profile"' in html and 'name="form" value="password"' in html
    assert 'id="availability-status"' in html and 'value="online" id="availability-online" checked' in html
    assert 'value="Bruno Agente"' in html and 'name="old_password"' in html and 'name="new_password2"' in html
    assert "agent@example.com" in html and "<script>" not in html


def test_profile_post_saves_the_profile_and_preferences(agent_client, account, agent):
    response = agent_client.post(url("profile", account), profile_post())
    assert response.status_code == 302 and response["Location"] == url("profile", account)
    agent.refresh_from_db()
    assert (agent.display_name, agent.message_signature, agent.locale, agent.timezone) == (
        "Bruno", "Abraços", "en", "America/Manaus")
    assert agent.ui_settings == {"send_on_enter": True, "notify": ["conversation_mention"], "sound": False}
    assert membership_of(agent, account).availability == AccountUser.Availability.BUSY


def test_profile_post_with_errors_returns_422_and_keeps_the_input(agent_client, account, agent):
    response = agent_client.post(url("profile", account), profile_post(name="", display_name="Apelido digitado"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html and 'value="Apelido digitado"' in html
    assert 'value="busy" id="availability-busy" checked' in html
    assert User.objects.get(pk=agent.pk).display_name == ""


def test_profile_avatar_upload_and_removal(agent_client, account, agent):
    response = agent_client.post(url("profile", account), profile_post(avatar=png_upload()))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.avatar.name.endswith(".png")
    with Image.open(agent.avatar.open("rb")) as image:
        assert image.size == (256, 256)
    assert 'name="remove_avatar"' in agent_client.get(url("profile", account)).content.decode()
    response = agent_client.post(url("profile", account), profile_post(remove_avatar="on"))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.avatar


def test_profile_rejects_a_file_that_is_not_an_image(agent_client, account, agent):
    fake = SimpleUploadedFile("me.png", b"not an image", content_type="image/png")
    response = agent_client.post(url("profile", account), profile_post(avatar=fake))
    assert response.status_code == 422 and "Upload a valid image." in response.content.decode()


def test_password_change_keeps_this_session(agent_client, account, agent):
    response = agent_client.post(url("profile", account), {
        "form": "password", "old_password": factories.PASSWORD,
        "new_password1": "outra-Senha-forte-42", "new_password2": "outra-Senha-forte-42"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("outra-Senha-forte-42")
    page = agent_client.get(url("profile", account))
    assert page.status_code == 200 and "Your password was changed." in page.content.decode()


def test_password_change_with_a_wrong_old_password_returns_422(agent_client, account, agent):
    response = agent_client.post(url("profile", account), {
        "form": "password", "old_password": "errada", "new_password1": "outra-Senha-forte-42",
        "new_password2": "outra-Senha-forte-42"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Your old password was entered incorrectly." in html
    assert User.objects.get(pk=agent.pk).check_password(factories.PASSWORD)
    # The profile form next to it is untouched (unbound, no errors).
    assert 'value="Bruno Agente"' in html and html.count("has-error") >= 1


def test_availability_htmx_post_returns_the_partial(agent_client, account, agent):
    response = agent_client.post(url("availability", account), {"availability": "busy"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<fieldset class="availability-switch" id="availability-status"')
    assert 'value="busy" id="availability-busy" checked' in html and "Saved" in html
    assert "availabilityChanged" in response["HX-Trigger"]
    assert membership_of(agent, account).availability == AccountUser.Availability.BUSY


def test_availability_post_without_htmx_redirects_back(agent_client, account, agent):
    response = agent_client.post(url("availability", account), {"availability": "offline"})
    assert response.status_code == 302 and response["Location"] == url("profile", account)
    assert membership_of(agent, account).availability == AccountUser.Availability.OFFLINE
    inbox_url = reverse("conversations:inbox", kwargs={"account_id": account.pk})
    response = agent_client.post(url("availability", account), {"availability": "online", "next": inbox_url})
    assert response["Location"] == inbox_url
    response = agent_client.post(url("availability", account), {"availability": "busy",
                                                                 "next": "https://evil.example/"})
    assert response["Location"] == url("profile", account)


def test_availability_accepts_the_numbers_posted_by_the_profile_menu(agent_client, account, agent):
    """base.html's menu posts AccountUser.Availability values (0 online, 1 offline, 2 busy)."""
    response = agent_client.post(url("availability", account), {"availability": "2"}, headers=HX)
    assert response.status_code == 200
    assert membership_of(agent, account).availability == AccountUser.Availability.BUSY


def test_availability_rejects_unknown_values(agent_client, account, agent):
    response = agent_client.post(url("availability", account), {"availability": "sleeping"}, headers=HX)
    assert response.status_code == 422
    assert membership_of(agent, account).availability == AccountUser.Availability.ONLINE


def test_settings_pages_never_carry_inline_scripts(admin_client, account, admin):
    for name in ("account", "agents", "agent-invite", "teams", "team-new", "profile"):
        html = admin_client.get(url(name, account)).content.decode()
        assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html, name
        assert "js/settings.js" in html
