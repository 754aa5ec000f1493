"""PASSWORD_LOGIN=0 switches local passwords off; superusers keep /admin/login/ (break-glass).

Before PasswordBackend, the right password signed anyone in at /login/ whatever the setting.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from tests.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_passwords(settings: Any) -> None:
    settings.PASSWORD_LOGIN = False


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_password_login_works_by_default(client: Client, commander: User) -> None:
    answer = client.post("/login/", {"username": "cara", "password": "pw"})
    assert answer.status_code == 302
    assert signed_in(client)


def test_login_form_hidden_when_switched_off(client: Client, no_passwords: None) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="password"' not in page.content


def test_password_post_refused_when_switched_off(
    client: Client, commander: User, no_passwords: None
) -> None:
    answer = client.post("/login/", {"username": "cara", "password": "pw"})
    assert answer.status_code == 403
    assert b"Password sign-in is switched off" in answer.content
    assert not signed_in(client)


def test_superuser_password_refused_at_console_login(
    client: Client, admin_user: User, no_passwords: None
) -> None:
    assert client.post("/login/", {"username": "ada", "password": "pw"}).status_code == 403
    assert not signed_in(client)


def test_break_glass_superuser_at_admin_login(
    client: Client, admin_user: User, no_passwords: None
) -> None:
    answer = client.post("/admin/login/", {"username": "ada", "password": "pw", "next": "/admin/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/admin/"
    assert signed_in(client)


def test_staff_who_is_not_superuser_refused_at_admin_login(
    client: Client, no_passwords: None
) -> None:
    make_user("stan", is_staff=True)
    answer = client.post("/admin/login/", {"username": "stan", "password": "pw", "next": "/admin/"})
    assert answer.status_code == 200  # the admin form again, with its error
    assert not signed_in(client)


def test_no_other_path_checks_a_password(
    rf: RequestFactory, admin_user: User, no_passwords: None
) -> None:
    """Any other caller of authenticate() (an API login, a future view) gets nobody."""
    assert authenticate(rf.post("/api/v1/anything/"), username="ada", password="pw") is None
    assert authenticate(None, username="ada", password="pw") is None
