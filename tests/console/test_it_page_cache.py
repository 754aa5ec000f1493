"""One "cache or build" and one version query (kit.cache, kit.versions) behind the status pages and API.

The version is read from counters the database bumps on every write to a
watched table (even raw SQL); content lives in this process's memory and in
the shared cache for a short while; a cache outage costs one build per
version and process, not one per request.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection

from comms import status_versions
from comms.models import Deadline
from comms.services import create_draft
from console.pages import status as status_page
from glossary.models import Term
from incidents.choices import Audience
from incidents.models import MetricPoint
from integrations import statuspage
from kit import cache as kit_cache
from kit.versions import read_counters
from tests.builders import add_points, declare, publish_renditions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

NOW = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)


def expected(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def test_the_statuspage_version_hashes_schema_hour_and_the_public_counter():
    (public,) = read_counters([status_versions.PUBLIC])
    version = statuspage.data_version(now=NOW)
    assert version == expected(statuspage.SCHEMA, "2026120421", str(public))


def test_the_status_versions_hash_schema_audience_hour_and_their_counter():
    public, executive = read_counters([status_versions.PUBLIC, status_versions.EXECUTIVE])
    assert status_page.data_version(Audience.CUSTOMER, now=NOW) == expected(
        status_page.CACHE_SCHEMA, "customer", "2026120421", str(public)
    )
    assert status_page.data_version(Audience.EXECUTIVE, now=NOW) == expected(
        status_page.CACHE_SCHEMA, "executive", "2026120421", str(executive)
    )


def test_the_version_moves_with_the_hour():
    later = NOW.replace(hour=22)
    assert statuspage.data_version(now=NOW) != statuspage.data_version(now=later)


def _watched_rows(commander, responder, fraud_model) -> dict[str, int]:
    """One row in every table a counter watches: {table: primary key}."""
    incident = declare(commander, fraud_model, severity=2)
    publish_renditions(incident, commander, responder, customer={"summary": "Some payments fail."})
    # Published updates refuse UPDATE (immutable): a draft's rows take the raw writes.
    draft = create_draft(
        incident=incident,
        by=commander,
        what_changed="Next step",
        renditions={"customer": {"summary": "We are still on it."}},
    )
    add_points(fraud_model, "error_rate", [1.0], start=NOW)
    term = Term.objects.create(
        name="p95 latency",
        slug="p95-latency",
        technical_definition="The 95th percentile of response time.",
        plain_definition="How slow the slowest 1 in 20 answers are.",
    )
    deadline = Deadline.objects.filter(incident=incident).first()
    assert deadline is not None
    return {
        "incidents_incident": incident.pk,
        "comms_statusupdate": draft.pk,
        "comms_rendition": draft.renditions.get().pk,
        "incidents_monitoredmodel": fraud_model.pk,
        "incidents_affectedmodel": incident.affected_links.first().pk,
        "comms_deadline": deadline.pk,
        "incidents_metricpoint": MetricPoint.objects.latest("pk").pk,
        "glossary_term": term.pk,
    }


def test_every_watched_table_moves_its_counters_even_below_the_orm(
    commander, responder, fraud_model
):
    """Raw SQL on each watched table moves the counters that watch it, and only those.

    Fails too if a later migration rebuilt a watched table on SQLite (which
    drops its triggers) without installing the counters' triggers again.
    """
    rows = _watched_rows(commander, responder, fraud_model)
    assert set(rows) == set(status_versions.EXECUTIVE.tables)
    counters = [status_versions.PUBLIC, status_versions.EXECUTIVE]
    for table, pk in rows.items():
        before = read_counters(counters)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [pk])  # noqa: S608  table names from the declarations
        after = read_counters(counters)
        assert (after[0] > before[0]) == (table in status_versions.PUBLIC.tables), table
        assert after[1] > before[1], table


def test_a_published_update_changes_both_pages_at_once(client, commander, responder, fraud_model):
    incident = declare(commander, fraud_model, severity=2)
    first = client.get("/status/public/")
    publish_renditions(
        incident,
        commander,
        responder,
        customer={"summary": "Card payments fail for some customers"},
    )
    second = client.get("/status/public/")
    assert first["ETag"] != second["ETag"]
    assert "Card payments fail for some customers" in second.content.decode()
    assert "Card payments fail" not in first.content.decode()


def test_pages_and_documents_are_stored_under_their_old_keys(client):
    assert client.get("/status/public/").status_code == 200
    assert client.get("/api/v2/summary.json").status_code == 200
    status_version = status_page.data_version(Audience.CUSTOMER)
    api_version = statuspage.data_version()
    assert cache.get(f"status:public-page:{status_version}")[1].startswith("<!doctype html>")
    assert json.loads(cache.get(f"statuspage:summary:{api_version}")[1])["page"]["id"] == "icc"


class Down:
    """A shared cache that is down: every call fails, and is counted."""

    def __init__(self) -> None:
        self.calls = 0
        self.key_prefix = "down"

    def get(self, *args, **kwargs):
        self.calls += 1
        raise ConnectionError("cache down")

    set = get


def test_a_cache_outage_answers_and_builds_each_version_once_per_process(client, monkeypatch):
    down = Down()
    monkeypatch.setattr(kit_cache, "cache", down)
    built: list[str] = []
    real = status_page.render_public_content

    def counting() -> str:
        built.append("x")
        return real()

    monkeypatch.setattr(status_page, "render_public_content", counting)
    for _ in range(5):
        assert client.get("/status/public/").status_code == 200
        assert client.get("/api/v2/summary.json").status_code == 200
    assert built == ["x"]
    # One failed attempt, then the shared cache is left alone for a while (no connect per request).
    assert down.calls == 1


def test_the_shared_cache_is_tried_again_after_its_backoff(monkeypatch):
    down = Down()
    monkeypatch.setattr(kit_cache, "cache", down)
    clock = [1000.0]
    monkeypatch.setattr(kit_cache.time, "time", lambda: clock[0])
    kit_cache.cached_or_build("test:backoff-a", lambda: "a")
    kit_cache.cached_or_build("test:backoff-b", lambda: "b")
    assert down.calls == 1
    clock[0] += kit_cache.SHARED_CACHE_BACKOFF_SECONDS + 1
    kit_cache.cached_or_build("test:backoff-c", lambda: "c")
    assert down.calls == 2


def test_content_is_built_again_after_its_max_age_even_for_the_same_version(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(kit_cache.time, "time", lambda: clock[0])
    built: list[int] = []

    def build() -> str:
        built.append(1)
        return f"content {len(built)}"

    assert kit_cache.cached_or_build("test:max-age", build) == "content 1"
    clock[0] += kit_cache.MAX_AGE_SECONDS - 1
    assert kit_cache.cached_or_build("test:max-age", build) == "content 1"
    clock[0] += 2
    assert kit_cache.cached_or_build("test:max-age", build) == "content 2"


def test_a_value_of_another_shape_in_the_shared_cache_is_a_miss():
    cache.set("test:planted", "<script>planted</script>", 60)
    assert kit_cache.cached_or_build("test:planted", lambda: "built here") == "built here"


def test_another_process_finds_the_content_in_the_shared_cache():
    assert (
        kit_cache.cached_or_build("test:shared", lambda: "from process one") == "from process one"
    )
    kit_cache.local.clear()  # as if this were another process
    assert kit_cache.cached_or_build("test:shared", lambda: "built again") == "from process one"


def test_cached_or_build_builds_once_per_key():
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return "content"

    assert kit_cache.cached_or_build("test:once", build) == "content"
    assert kit_cache.cached_or_build("test:once", build) == "content"
    assert built == ["x"]


def test_the_version_is_read_at_most_once_per_max_age_and_changes_show_after_it(
    client, settings, commander, responder, fraud_model, monkeypatch, django_assert_num_queries
):
    """Production reads the counters once a second per process; the page follows within it."""
    settings.STATUS_VERSION_MAX_AGE = 1.0
    clock = [5000.0]
    monkeypatch.setattr(kit_cache.time, "monotonic", lambda: clock[0])
    incident = declare(commander, fraud_model, severity=2)
    first = client.get("/status/public/")
    with django_assert_num_queries(0):  # within the second: no database at all
        assert client.get("/status/public/")["ETag"] == first["ETag"]
    publish_renditions(
        incident,
        commander,
        responder,
        customer={"summary": "Card payments fail for some customers"},
    )
    clock[0] += 0.5
    assert client.get("/status/public/")["ETag"] == first["ETag"]  # not yet
    clock[0] += 0.6
    # the counters moved: read them, build the content (incidents and renditions, the
    # components' three, the uptime history's three, the maintenance list)
    with django_assert_num_queries(10):
        fresh = client.get("/status/public/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert "Card payments fail for some customers" in fresh.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_bumps_as_the_write_happens_and_again_at_commit(postgres_only, commander):
    """A reader that built the page between the write and the commit is superseded at commit."""
    from django.db import transaction

    (start,) = read_counters([status_versions.PUBLIC])
    with transaction.atomic():
        declare(commander, None, severity=3)
        (during,) = read_counters([status_versions.PUBLIC])
        assert during > start  # the writer's own reads see the change at once
    (after,) = read_counters([status_versions.PUBLIC])
    assert after > during  # and every reader sees a new number once the rows are visible
