"""Password guessing against the console login, the admin login and API tokens (#10 item 3).

Each test reproduces the guessing attack: without throttling the 11th
attempt with the right password signs in, and bad tokens never slow down.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken

LIMIT = 10  # LOGIN_FAILURE_LIMIT's default; the tests below rely on the defaults.


def _login(client: Client, username: str, password: str, *, url: str = "/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _guess(client: Client, username: str, times: int = LIMIT, **extra) -> None:
    for _ in range(times):
        r = _login(client, username, "wrong", **extra)
        assert r.status_code in (200, 429)


def _window_passes() -> None:
    """Move every recorded failure back past the window: time passes for the throttle."""
    from django.conf import settings

    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
        )


def test_defaults_are_ten_failures_in_fifteen_minutes(settings):
    assert settings.LOGIN_FAILURE_LIMIT == 10
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_a_wrong_password_still_shows_the_form(commander):
    r = _login(Client(), "cara", "wrong")
    assert r.status_code == 200
    assert b"Sign in" in r.content


def test_after_ten_failures_the_right_password_is_refused(commander):
    client = Client()
    _guess(client, "cara")
    r = _login(client, "cara", "pw")
    assert r.status_code == 429
    assert not _signed_in(client)
    assert b"Sign-in temporarily locked" in r.content
    assert int(r["Retry-After"]) > 0
    # The account is locked from every address, not only the guesser's.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert _login(other, "cara", "pw").status_code == 429


def test_one_address_guessing_many_accounts_is_locked(commander, responder):
    client = Client()
    for i in range(LIMIT):
        _login(client, f"user{i}", "wrong")
    r = _login(client, "remy", "pw")
    assert r.status_code == 429
    assert not _signed_in(client)
    # Another address is not affected.
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), "remy", "pw").status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_address_lock(commander, settings):
    settings.BEHIND_TLS_PROXY = False
    client = Client()
    for i in range(LIMIT):
        _login(client, f"user{i}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    r = _login(client, "cara", "pw", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert r.status_code == 429


def test_behind_the_proxy_the_right_most_forwarded_address_counts(commander, settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client = Client()
    for i in range(LIMIT):
        # The client forges the left part; our proxy appends the real address on the right.
        _login(
            client,
            f"user{i}",
            "wrong",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 198.51.100.1",
            **proxy,
        )
    locked = _login(client, "cara", "pw", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1", **proxy)
    assert locked.status_code == 429
    # Another real client behind the same proxy still signs in.
    other = _login(Client(), "cara", "pw", HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 302


def test_the_admin_login_is_throttled_too(admin_user):
    client = Client()
    for _ in range(LIMIT):
        _login(client, "ada", "wrong", url="/admin/login/?next=/admin/")
    r = _login(client, "ada", "pw", url="/admin/login/?next=/admin/")
    assert r.status_code == 429
    assert not _signed_in(client)


def test_after_the_window_the_right_password_works_again(commander):
    client = Client()
    _guess(client, "cara")
    assert _login(client, "cara", "pw").status_code == 429
    _window_passes()
    assert _login(client, "cara", "pw").status_code == 302
    assert _signed_in(client)


def test_failures_during_the_lockout_do_not_extend_it(commander):
    client = Client()
    _guess(client, "cara")
    _window_passes()
    # The window has passed for the old failures; the next failure starts a fresh count.
    assert _login(client, "cara", "wrong").status_code == 200
    assert _login(client, "cara", "pw").status_code == 302


def test_an_admin_unlocks_an_account_with_the_command(commander):
    client = Client()
    _guess(client, "cara")
    assert _login(client, "cara", "pw").status_code == 429
    # Only the account's records go: the address counter (same address) must go too for this client.
    call_command("axes_reset_username", "cara", stdout=StringIO())
    call_command("axes_reset_ip", "127.0.0.1", stdout=StringIO())
    assert _login(client, "cara", "pw").status_code == 302


def test_an_admin_unlocks_in_the_admin(commander, admin_user):
    guesser = Client(REMOTE_ADDR="198.51.100.9")
    _guess(guesser, "cara")
    assert _login(guesser, "cara", "pw").status_code == 429
    admin = Client()
    admin.force_login(admin_user)
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    r = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert r.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _login(guesser, "cara", "pw").status_code == 302


# --- API tokens -------------------------------------------------------------

LIST = "/api/v1/incidents/"


def _token_client(raw: str, address: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_guessing_tokens_from_one_address_gets_429_with_retry_after(commander):
    _, raw = ApiToken.issue(user=commander, name="ci")
    for i in range(LIMIT - 1):
        assert _token_client(f"guess{i:04d}-not-a-token").get(LIST).status_code == 401
    # The failure that reaches the limit is answered with the lockout already.
    assert _token_client("guess-last").get(LIST).status_code == 429
    r = _token_client(raw).get(LIST)
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    body = r.json()["error"]
    assert body["status"] == 429 and body["code"] == "throttled"
    # Another address with the right token is not affected.
    assert _token_client(raw, "198.51.100.7").get(LIST).status_code == 200


def test_token_guessing_lock_ends_with_the_window(commander):
    _, raw = ApiToken.issue(user=commander, name="ci")
    for i in range(LIMIT):
        _token_client(f"guess{i:04d}").get(LIST)
    assert _token_client(raw).get(LIST).status_code == 429
    _window_passes()
    assert _token_client(raw).get(LIST).status_code == 200


def test_valid_tokens_are_never_counted(commander):
    _, raw = ApiToken.issue(user=commander, name="ci")
    for _ in range(LIMIT + 2):
        assert _token_client(raw).get(LIST).status_code == 200
    assert not AccessAttempt.objects.exists()
