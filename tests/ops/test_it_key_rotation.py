"""Rotating SECRET_KEY: what survives with the old key in SECRET_KEY_FALLBACKS, and what never needed it.

docs/deploy.md, "Key rotation", says each of these; every test shows the
difference the fallback makes (or that it makes none), so each can fail.
"""

from __future__ import annotations

import io
import runpy
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.models import IntegrationKey
from publicstatus.links import confirm_token, keyed_hash, unsubscribe_token
from publicstatus.models import Subscriber
from publicstatus.subscriptions import BadLink, check_unsubscribe_link, confirm, sign_up
from tests.helpers import token_client

pytestmark = [pytest.mark.django_db]

OLD = "old-key-" + "o" * 50
NEW = "new-key-" + "n" * 50
ADDRESS = "ann@example.test"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def old_key(settings):
    settings.SECRET_KEY = OLD
    settings.SECRET_KEY_FALLBACKS = []
    return settings


def rotate(settings, *, keep_old: bool) -> None:
    settings.SECRET_KEY = NEW
    settings.SECRET_KEY_FALLBACKS = [OLD] if keep_old else []


def signed_up(address: str = ADDRESS) -> Subscriber:
    """Sign up under the current key; return the (unconfirmed) row the address has now."""
    sign_up(address=address, client="192.0.2.7")
    return Subscriber.objects.get(address_hash=keyed_hash(address))


def active_subscriber(address: str = ADDRESS) -> Subscriber:
    return confirm(confirm_token(signed_up(address)))


def rehash() -> str:
    out = io.StringIO()
    call_command("rehash_subscribers", stdout=out)
    return out.getvalue()


def test_settings_read_the_fallbacks_as_a_list(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", NEW)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f" {OLD} , older-key ,")
    settings = runpy.run_path(str(ROOT / "console" / "settings.py"))
    assert settings["SECRET_KEY_FALLBACKS"] == [OLD, "older-key"]
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    assert runpy.run_path(str(ROOT / "console" / "settings.py"))["SECRET_KEY_FALLBACKS"] == []


@pytest.mark.parametrize("keep_old, signed_in", [(True, True), (False, False)])
def test_a_session_survives_only_with_the_old_key_as_a_fallback(
    client, old_key, responder, keep_old, signed_in
):
    client.force_login(responder)
    assert client.get("/incidents/").status_code == 200
    rotate(old_key, keep_old=keep_old)
    response = client.get("/incidents/")
    assert (response.status_code == 200) is signed_in
    if not signed_in:
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_unsubscribe_link_mailed_before_the_rotation_needs_the_fallback(old_key):
    link = unsubscribe_token(active_subscriber())
    rotate(old_key, keep_old=True)
    assert check_unsubscribe_link(link).address == ADDRESS
    rotate(old_key, keep_old=False)
    with pytest.raises(BadLink, match="This link is not valid"):
        check_unsubscribe_link(link)


def test_signing_up_again_after_a_rotation_finds_the_subscriber_under_the_old_hash(old_key):
    subscriber = active_subscriber()
    rotate(old_key, keep_old=True)
    sign_up(address=ADDRESS, client="192.0.2.7")
    assert list(Subscriber.objects.values_list("pk", "address_hash")) == [
        (subscriber.pk, keyed_hash(ADDRESS))  # moved to the new key's hash: found next time too
    ]
    assert Subscriber.objects.get().is_active


def test_without_the_fallback_the_same_address_becomes_a_second_subscriber(old_key):
    """What the fallback prevents: the old row is not found, so a new one starts."""
    active_subscriber()
    rotate(old_key, keep_old=False)
    sign_up(address=ADDRESS, client="192.0.2.7")
    assert Subscriber.objects.filter(address=ADDRESS).count() == 2


def test_api_tokens_and_integration_keys_do_not_depend_on_secret_key(old_key, responder):
    """Both are plain SHA-256 digests of a random key: a rotation without fallbacks keeps them."""
    api = token_client(responder)
    _, raw = IntegrationKey.issue(name="am", kind=IntegrationKey.Kind.ALERTMANAGER)
    rotate(old_key, keep_old=False)
    assert api.get("/api/v1/incidents/").status_code == 200
    key = IntegrationKey.authenticate(raw, IntegrationKey.Kind.ALERTMANAGER)
    assert key is not None and key.name == "am"


def test_rehash_subscribers_moves_every_row_to_the_new_key(old_key):
    """After it, the fallback is no longer needed to find a subscriber by address."""
    addresses = [ADDRESS, "bob@example.test"]
    for address in addresses:
        active_subscriber(address)
    signed_up("cy@example.test")  # not confirmed yet: moved too
    rotate(old_key, keep_old=False)
    assert rehash().startswith("3 subscriber(s) moved to the current key, 0 already on it.")
    for address in [*addresses, "cy@example.test"]:
        assert Subscriber.objects.filter(address_hash=keyed_hash(address)).count() == 1
    sign_up(address=ADDRESS, client="192.0.2.7")
    assert Subscriber.objects.count() == 3
    assert rehash().startswith("0 subscriber(s) moved to the current key, 3 already on it.")


def test_rehash_ends_the_old_row_when_the_address_subscribed_again(old_key):
    old = active_subscriber()
    rotate(old_key, keep_old=False)
    new = active_subscriber()  # the duplicate: two mails per notice from now on
    assert new.pk != old.pk
    assert f"subscriber #{old.pk} ended: the same address is subscriber #{new.pk}." in rehash()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_active, new.is_active) == (False, True)


def test_rehash_keeps_the_confirmed_row_over_an_unconfirmed_new_one(old_key):
    old = active_subscriber()
    rotate(old_key, keep_old=False)
    new = signed_up()  # waits for its confirmation
    assert f"subscriber #{new.pk} ended: the same address is subscriber #{old.pk}." in rehash()
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.is_active and old.address_hash == keyed_hash(ADDRESS)
    assert not new.is_active and new.address_hash != keyed_hash(ADDRESS)
    sign_up(address=ADDRESS, client="192.0.2.7")  # an active address: nothing new
    assert Subscriber.objects.count() == 2
