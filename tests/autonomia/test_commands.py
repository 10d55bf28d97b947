"""Provisioning from the shell: create_account and seed_demo."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from autonomia.models import AccessToken, Account, AccountUser, User

pytestmark = pytest.mark.django_db


def create(**kwargs):
    out = StringIO()
    args = {"name": "Loja Exemplo", "email": "Dono@Loja.com.br", "password": "uma-senha-forte-1", "json": True}
    args.update(kwargs)
    call_command("create_account", stdout=out, **{k: v for k, v in args.items()})
    return out.getvalue()


def test_create_account_prints_one_json_line_with_a_working_token():
    output = create()
    assert output.count("\n") <= 1
    data = json.loads(output)
    assert set(data) == {"account_id", "user_id", "api_access_token"}
    membership = AccountUser.objects.get(account_id=data["account_id"], user_id=data["user_id"])
    assert membership.role == AccountUser.Role.ADMINISTRATOR
    assert membership.user.email == "dono@loja.com.br" and membership.user.check_password("uma-senha-forte-1")
    assert AccessToken.objects.get(token=data["api_access_token"]).owner_id == data["user_id"]


def test_rerunning_with_the_same_email_fails_and_changes_nothing():
    create()
    counts = (Account.objects.count(), User.objects.count(), AccessToken.objects.count())
    with pytest.raises(CommandError, match="Já existe um usuário"):
        create(name="Outra", email="dono@loja.com.br")
    assert (Account.objects.count(), User.objects.count(), AccessToken.objects.count()) == counts


def test_weak_password_is_refused():
    with pytest.raises(CommandError):
        create(password="123")
    assert not User.objects.exists()


def test_seed_demo_runs_once():
    call_command("seed_demo", stdout=StringIO())
    counts = (Account.objects.count(), User.objects.count())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already" in out.getvalue()
    assert (Account.objects.count(), User.objects.count()) == counts
    assert User.objects.get(email="admin@autonomia.local").check_password("autonomia123")
