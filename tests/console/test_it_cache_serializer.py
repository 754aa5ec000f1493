"""The cache never executes what it reads (#10, item 2).

A pickle planted in the real Redis under the key the status page reads used to
run in the web process on the next request (Django's RedisCache unpickles). With
the JSON serializer it is a miss: nothing runs and the page renders.
"""

from __future__ import annotations

import pathlib
import pickle
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer
from django.utils import timezone

from console.cache_serializer import JSONSerializer
from console.pages import status as status_page
from incidents.choices import Audience

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

NOW = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)


class Planted:
    """Unpickling this creates `path`: an observable side effect of running code."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (pathlib.Path.touch, (self.path,))


@pytest.fixture
def frozen_now(monkeypatch):
    # The status cache key contains the hour: freeze it so the planted key is the one read.
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def plant(key: str, payload: bytes) -> None:
    """Write raw bytes into Redis under the cache's own (prefixed, versioned) key."""
    full = cache.make_and_validate_key(key)
    cache._cache.get_client(full, write=True).set(full, payload)


def test_a_planted_pickle_is_not_run_and_the_page_still_renders(client, tmp_path, frozen_now):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Planted(marker))
    # Control: the payload does what it says under Django's default (pickling) serializer.
    RedisSerializer().loads(payload)
    assert marker.exists()
    marker.unlink()

    version = status_page.data_version(Audience.CUSTOMER)
    for audience in ("public-page", Audience.CUSTOMER):
        plant(f"status:{audience}:{version}", payload)

    response = client.get("/status/public/")

    assert response.status_code == 200
    assert "<html" in response.content.decode().lower()
    assert not marker.exists()
    # The miss was refilled with JSON the next request reads back.
    built_at, page = cache.get(f"status:public-page:{version}")
    assert isinstance(built_at, float) and "<html" in page.lower()


def test_the_serializer_never_unpickles(monkeypatch):
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "dumps", refuse)
    serializer = JSONSerializer()
    assert serializer.loads(serializer.dumps({"a": ["b", 1]})) == {"a": ["b", 1]}
    assert serializer.loads(serializer.dumps("<p>page</p>")) == "<p>page</p>"
    assert serializer.loads(b"\x80\x05\x95junk.") is None


def test_counters_stay_raw_integers_so_incr_works():
    serializer = JSONSerializer()
    assert serializer.dumps(7) == 7
    assert serializer.loads(b"7") == 7
    cache.set("counter", 1)
    assert cache.incr("counter") == 2


def test_values_that_are_not_json_are_refused_at_write():
    with pytest.raises(TypeError, match="not JSON serializable"):
        cache.set("response", object())
