"""Sign in through a real OpenID Connect provider on loopback (its own process and key).

The Django test client plays the browser against the console; httpx submits the provider's
login form. Each broken ID token the provider can be switched to must be refused with no
session; before get_payload_data checked audience and issuer, the wrong-audience and
wrong-issuer tokens signed users in, and an expired token answered 500.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER
from sso.models import SsoIdentity
from tests.fixtures.oidc import OidcProvider, callback_path

pytestmark = pytest.mark.django_db


def sign_in(client: Client, provider: OidcProvider, username: str) -> str:
    """Run the whole authorization-code flow; return where the console sends the browser."""
    start = client.get("/sso/authenticate/?next=/incidents/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.issuer}/authorize?")
    back = client.get(callback_path(provider.log_in(start["Location"], username)))
    assert back.status_code == 302
    return back["Location"]


def groups_of(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_login_page_offers_the_provider(client: Client, sso_settings: OidcProvider) -> None:
    page = client.get("/login/")
    assert b"Sign in with Test IdP" in page.content
    assert b'href="/sso/authenticate/' in page.content


def test_button_absent_without_configuration(client: Client) -> None:
    assert b"Sign in with" not in client.get("/login/").content
    assert client.get("/sso/authenticate/").status_code == 404


def test_mapped_user_lands_on_incidents_with_group(
    client: Client, sso_settings: OidcProvider
) -> None:
    assert sign_in(client, sso_settings, "alice") == "/incidents/"
    assert client.get("/incidents/").status_code == 200
    user = User.objects.get(
        sso_identity__subject="0001-alice", sso_identity__issuer=sso_settings.issuer
    )
    assert groups_of(user.username) == {GROUP_COMMANDER}
    assert not user.has_usable_password()


def test_several_claims_map_to_several_groups(client: Client, sso_settings: OidcProvider) -> None:
    sign_in(client, sso_settings, "carol")
    assert groups_of("carol") == {GROUP_RESPONDER, GROUP_EXECUTIVE}


def test_unmapped_user_refused_without_session_or_account(
    client: Client, sso_settings: OidcProvider
) -> None:
    target = sign_in(client, sso_settings, "bob")
    assert target == "/sso/refused/?reason=no-group"
    page = client.get(target)
    assert page.status_code == 403
    assert b"not in any group that grants access" in page.content
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="bob@example.org").exists()
    assert client.get("/incidents/").status_code == 302  # to the login page


def test_groups_resync_at_every_sign_in(client: Client, sso_settings: OidcProvider) -> None:
    sign_in(client, sso_settings, "carol")
    sso_settings.set_groups("carol", ["icc-responders"])
    try:
        client.logout()
        sign_in(client, sso_settings, "carol")
        assert groups_of("carol") == {GROUP_RESPONDER}
        # Removed from every mapped group: refused, and the stale groups are taken away too.
        sso_settings.set_groups("carol", ["icc-other"])
        client.logout()
        assert sign_in(client, sso_settings, "carol") == "/sso/refused/?reason=no-group"
        assert groups_of("carol") == set()
        assert "_auth_user_id" not in client.session
    finally:
        sso_settings.set_groups("carol", ["icc-responders", "icc-execs", "icc-other"])


def test_same_email_other_subject_gets_its_own_account(
    client: Client, sso_settings: OidcProvider
) -> None:
    sign_in(client, sso_settings, "alice")
    alice = User.objects.get(sso_identity__subject="0001-alice")
    client.logout()
    sign_in(client, sso_settings, "mallory")
    mallory = User.objects.get(sso_identity__subject="0666-mallory")
    assert mallory.pk != alice.pk
    assert groups_of(alice.username) == {GROUP_COMMANDER}  # mallory's claims did not touch alice
    assert SsoIdentity.objects.count() == 2


@pytest.mark.parametrize(
    "mode", ["wrong-audience", "expired", "bad-signature", "wrong-issuer", "wrong-nonce"]
)
def test_bad_id_token_refused_without_session(
    client: Client, sso_settings: OidcProvider, mode: str
) -> None:
    sso_settings.set_mode(mode)
    assert sign_in(client, sso_settings, "alice") == "/sso/refused/?reason=failed"
    assert "_auth_user_id" not in client.session
    assert not SsoIdentity.objects.exists()
    assert client.get("/incidents/").status_code == 302


def test_bad_token_logs_out_whoever_was_signed_in(
    client: Client, sso_settings: OidcProvider
) -> None:
    sign_in(client, sso_settings, "alice")
    sso_settings.set_mode("expired")
    client.get("/sso/refused/")
    assert sign_in(client, sso_settings, "alice") == "/sso/refused/?reason=failed"
    assert "_auth_user_id" not in client.session


def test_refusal_page_does_not_echo_the_query(client: Client, sso_settings: OidcProvider) -> None:
    page = client.get("/sso/refused/?reason=<script>x</script>")
    assert page.status_code == 403
    assert b"<script>x" not in page.content
