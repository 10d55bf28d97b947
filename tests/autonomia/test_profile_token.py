"""The profile page shows the member's API access token and regenerates it after a confirmation."""

from django.test import Client
from django.urls import reverse

from autonomia.models import AccessToken, AuditLog
from autonomia.queries import api_token_for


def profile_url(account):
    return reverse("settings:profile", kwargs={"account_id": account.pk})


def regenerate_url(account):
    return reverse("settings:access-token-regenerate", kwargs={"account_id": account.pk})


def test_profile_shows_masked_token_with_copy_and_regenerate(agent_client, agent, account):
    token = api_token_for("User", agent.pk)
    html = agent_client.get(profile_url(account)).content.decode()
    assert f'id="access-token" type="password" class="input input-mono" value="{token}"' in html
    assert 'data-copy="#access-token"' in html
    assert regenerate_url(account) in html


def test_regenerate_asks_for_confirmation_first(agent_client, agent, account):
    token = api_token_for("User", agent.pk)
    response = agent_client.get(regenerate_url(account))
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert AccessToken.objects.get(owner_type="User", owner_id=agent.pk).token == token


def test_regenerate_replaces_the_token_and_audits(agent_client, agent, account):
    old = api_token_for("User", agent.pk)
    response = agent_client.post(regenerate_url(account))
    assert response.status_code == 302 and response["Location"].startswith(profile_url(account))
    new = AccessToken.objects.get(owner_type="User", owner_id=agent.pk).token
    assert new != old
    assert AuditLog.objects.filter(account=account, action="access_token_regenerated", auditable_id=agent.pk).exists()
    assert Client().get("/api/v1/profile", HTTP_API_ACCESS_TOKEN=old).status_code == 401
    assert Client().get("/api/v1/profile", HTTP_API_ACCESS_TOKEN=new).status_code == 200
    assert new in agent_client.get(profile_url(account)).content.decode()


def test_regenerate_needs_csrf(agent, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    old = api_token_for("User", agent.pk)
    assert client.post(regenerate_url(account)).status_code == 403
    assert AccessToken.objects.get(owner_type="User", owner_id=agent.pk).token == old


def test_outsider_gets_404(outsider_client, outsider, agent, account):
    old = api_token_for("User", agent.pk)
    assert outsider_client.get(regenerate_url(account)).status_code == 404
    assert outsider_client.post(regenerate_url(account)).status_code == 404
    assert AccessToken.objects.get(owner_type="User", owner_id=agent.pk).token == old


def test_anonymous_is_sent_to_login(client, account):
    response = client.post(regenerate_url(account))
    assert response.status_code == 302 and "/login/" in response["Location"]
