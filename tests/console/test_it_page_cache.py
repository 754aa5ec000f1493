"""One "cache or build" and one version query (kit.cache) behind the status pages and Statuspage API.

The keys are the ones the pages used before the move (a deploy must keep
serving what is cached), and a cache outage only costs a rebuild.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from console.pages import status as status_page
from incidents.choices import Audience
from integrations import statuspage
from kit import cache as kit_cache

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

NOW = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)


def expected(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def test_the_statuspage_version_hashes_schema_hour_and_values_as_before():
    version, last = statuspage.data_version(now=NOW)
    values = ["None", "None", "0", "None", "0", "0", "None"]
    assert version == expected(statuspage.SCHEMA, "2026120421", *values)
    assert last is None


def test_the_public_status_version_hashes_schema_audience_hour_and_values_as_before():
    version = status_page.data_version(Audience.CUSTOMER, now=NOW)
    assert version == expected(status_page.CACHE_SCHEMA, "customer", "2026120421", "None", "None")


def test_pages_and_documents_are_stored_under_their_old_keys(client):
    assert client.get("/status/public/").status_code == 200
    assert client.get("/api/v2/summary.json").status_code == 200
    status_version = status_page.data_version(Audience.CUSTOMER)
    api_version, _ = statuspage.data_version()
    assert cache.get(f"status:public-page:{status_version}")
    assert cache.get(f"statuspage:summary:{api_version}")


def test_a_cache_outage_builds_every_time_and_answers(client, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr(kit_cache, "cache", Down())
    assert client.get("/status/public/").status_code == 200
    assert client.get("/api/v2/summary.json").status_code == 200


def test_cached_or_build_builds_once_per_key():
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return "content"

    assert kit_cache.cached_or_build("test:once", build) == "content"
    assert kit_cache.cached_or_build("test:once", build) == "content"
    assert built == ["x"]
