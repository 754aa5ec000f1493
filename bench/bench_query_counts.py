"""Benchmark of query counts: every list page and list endpoint at 10, 100 and 1 000 incidents.

The list endpoints are found, not listed by hand: every GET operation of the
OpenAPI schema whose answer is a list (an array or a paginated page),
nested ones under the first incident (and its model). The pages are every
console page that lists things, plus the Statuspage documents. Each is
fetched in-process (Django test client) as a superuser who also holds the
commander, responder and regulator-viewer groups, with an empty cache (the
status pages and documents are counted as built, not as served from the
cache), after seeding 10, then 100, then 1 000 real incidents written through
the services (half with a published update to every audience). Goal per
URL: the count does not grow with the number of incidents (max − min = 0).
QUICK: 10 and 100 incidents.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from benchkit import QUICK, Figure, Queries, publish_sample_update, report, setup_django

setup_django("icc-bench-queries-")

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402

from comms import workflows  # noqa: E402
from incidents.decisions import add_note  # noqa: E402
from incidents.models import Incident, MonitoredModel  # noqa: E402
from kit import cache as kit_cache  # noqa: E402

SIZES = [10, 100] if QUICK else [10, 100, 1000]
PAGES = [
    "/incidents/",
    "/status/",
    "/status/public/",
    "/status/regulator/",
    "/inbox/",
    "/reviews/",
    "/drills/",
    "/communication-metrics/",
    "/glossary/",
    "/api/v2/summary.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
]


def list_endpoints() -> list[str]:
    """GET operations of the OpenAPI schema that answer a list."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    found = []
    for path, operations in schema["paths"].items():
        body = (
            operations.get("get", {})
            .get("responses", {})
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        if not body:
            continue
        node = resolve(body)
        if node.get("type") == "array" or "results" in node.get("properties", {}):
            found.append(path)
    return found


def seed(commander: User, comms: User, model: MonitoredModel, start: int, stop: int) -> None:
    now = timezone.now()
    for i in range(start, stop):
        incident = workflows.declare_incident(
            by=commander,
            title=f"Incident {i}",
            severity=1 + i % 4,
            models=[(model, "")],
            detected_at=now - timedelta(hours=1 + i % 20),
        )
        add_note(incident=incident, by=commander, text=f"Note on incident {i}")
        if i % 2:
            publish_sample_update(
                incident,
                commander=commander,
                comms=comms,
                i=i,
                audiences=("executive", "customer", "technical"),
            )


def count(client: Client, url: str) -> int:
    """Queries of one GET with nothing cached (a fresh cache key space, no kept pages)."""
    kit_cache.clear_local_caches()
    fresh = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"q-{uuid.uuid4().hex}"}}
    with override_settings(CACHES=fresh, STATUS_VERSION_MAX_AGE=0), Queries() as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    names = ("commander-eligible", "responder", "executive", "regulator-viewer")
    groups = [Group.objects.get_or_create(name=n)[0] for n in names]
    commander = User.objects.create_superuser("bench-admin", "admin@example.test", "x")
    commander.groups.set(groups)
    comms, _ = User.objects.get_or_create(username="bench-comms")
    comms.groups.set(groups[1:2])
    model = MonitoredModel.objects.create(
        name="Fraud scoring",
        slug="fraud-scoring",
        team="Risk",
        business_function="Fraud",
        risk_tier=1,
    )
    client = Client()
    client.force_login(commander)
    counts: dict[str, list[int]] = {}
    seeded = 0
    first: Incident | None = None
    for size in SIZES:
        seed(commander, comms, model, seeded, size)
        seeded = size
        first = first or Incident.objects.order_by("pk").first()
        assert first is not None
        urls = PAGES + [
            path.replace("{incident_id}", str(first.pk)).replace("{slug}", model.slug)
            for path in list_endpoints()
            if "{drill_id}" not in path  # no drill here: its lists are empty at every size
        ]
        for url in urls:
            counts.setdefault(url, []).append(count(client, url))
    figures = [
        Figure(
            f"`{url}`",
            max(values) - min(values),
            goal="== 0",
            detail=" / ".join(str(v) for v in values) + " queries",
        )
        for url, values in counts.items()
    ]
    report(
        "Query counts",
        f"Queries per request of every list page and list endpoint at {', '.join(map(str, SIZES))} "
        "incidents (the figure is the growth: max − min of the counts in the detail column). "
        "List endpoints are every GET of the OpenAPI schema that answers a list; nested ones are "
        "asked of the first incident and its model. In-process, nothing cached.",
        figures,
        order=60,
    )


if __name__ == "__main__":
    main()
