"""Executives read everything and write nothing: every URL of the site refuses their POST.

The URL patterns are read from the resolver at test time, so a page added
later is covered without touching this test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from comms.models import Delivery, Subscription
from glossary.services import create_term
from tests.builders import declare, publish_renditions

pytestmark = pytest.mark.django_db

# Not writes to the console's data: signing in and out, and the signed one-click
# feedback link (it needs no login and answers anyone holding the link).
EXEMPT = {"login/", "logout/", "admin/login/", "admin/logout/", "comms/feedback/<str:token>/"}
# The executive's own inbox read marks and notification subscriptions: personal
# settings, not incident data, so executives keep them (docs/api.md).
PERSONAL = {
    "inbox/read-all/",
    "inbox/<uuid:delivery_id>/read/",
    "api/v1/inbox/read-all/",
    "api/v1/inbox/<uuid:delivery_id>/read/",
    "api/v1/subscriptions/",
    "api/v1/subscriptions/<int:subscription_id>/",
    "api/v1/subscriptions/<int:subscription_id>/rotate-secret/",
    "api/v1/subscriptions/<int:subscription_id>/test/",
}
LOGIN_PAGES = ("/login/", "/admin/login/")


def routes(patterns=None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def concrete(route: str, values: dict[str, str]) -> str:
    """Turn a route (path converters or a regex) into a URL with real values."""
    if "models/<slug" in route:
        values = {**values, "slug": values["model_slug"]}

    def converter(match: re.Match) -> str:
        kind, name = match.group(1) or "str", match.group(2)
        return values.get(name) or {"int": "1", "uuid": str(uuid.uuid4())}.get(kind, "x")

    url = re.sub(r"<(?:(\w+):)?(\w+)>", converter, route)
    # Regex routes (the admin's): pick the first alternative of a named group.
    url = re.sub(r"\(\?P<\w+>([^)|]*)[^)]*\)", lambda m: m.group(1).strip("^$\\") or "1", url)
    return "/" + url.strip("^$").replace("\\", "")


@pytest.fixture
def site(executive, commander, responder, fraud_model):
    """Real objects behind every URL parameter, so refusals are not 404s by accident."""
    Subscription.objects.create(name="eve: executive", user=executive, audience="executive")
    incident = declare(commander, fraud_model)
    update = publish_renditions(
        incident, commander, responder, executive={"summary": "Declines are back to normal."}
    )
    term = create_term(
        by=commander, name="Rollback", technical_definition="Revert", plain_definition="go back"
    )
    delivery = Delivery.objects.filter(user=executive).first()
    subscription = Subscription.objects.get(user=executive)
    return {
        "pk": str(incident.pk),
        "incident_id": str(incident.pk),
        "number": str(update.number),
        "sequence": "1",
        "slug": term.slug,
        "model_slug": fraud_model.slug,
        "version": "1",
        "deadline_id": str(incident.deadlines.first().pk),
        "delivery_id": str(delivery.pk) if delivery else str(uuid.uuid4()),
        "subscription_id": str(subscription.pk),
        "rendition_id": str(update.renditions.first().pk),
        "playbook_id": "1",
        "object_id": "1",
        "content_type_id": "1",
    }


def snapshot() -> dict[str, list]:
    """Return every row of every table but the sessions', to prove a request wrote nothing."""
    return {
        model._meta.label: sorted(map(repr, model._base_manager.values_list()))
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def test_every_url_refuses_an_executives_post_and_nothing_changes(client, executive, site):
    client.force_login(executive)
    tried, accepted, changed = 0, [], []
    before = snapshot()
    for route in routes():
        if route in EXEMPT or route in PERSONAL:
            continue
        url = concrete(route, site)
        response = client.post(url, data={}, HTTP_ACCEPT="text/html,application/json")
        tried += 1
        # Never a success: a 4xx refusal, or a redirect to log in (the admin, for non-staff).
        refused = 400 <= response.status_code < 500 or (
            response.status_code == 302 and response["Location"].startswith(LOGIN_PAGES)
        )
        if not refused:
            accepted.append(f"{response.status_code} POST {url} ({route})")
        after = snapshot()
        if after != before:
            changed.append(
                f"POST {url} ({route}) changed {[k for k in after if after[k] != before.get(k)]}"
            )
            before = after
    assert tried > 50
    assert accepted == [], "\n".join(accepted)
    assert changed == [], "\n".join(changed)


def test_write_views_answer_executives_with_403_or_405(client, executive, site):
    client.force_login(executive)
    writes = [r for r in routes() if r.startswith(("incidents/", "api/v1/")) and r not in PERSONAL]
    statuses = {route: client.post(concrete(route, site), data={}).status_code for route in writes}
    # The incident write views refuse by role, not by validating the body first.
    for route in (
        "incidents/<int:pk>/notes/",
        "incidents/<int:pk>/decisions/",
        "incidents/<int:pk>/milestones/",
        "incidents/<int:pk>/roles/",
        "incidents/<int:pk>/updates/",
        "incidents/declare/",
        "api/v1/incidents/",
        "api/v1/incidents/<int:incident_id>/updates/",
    ):
        assert statuses[route] in (403, 405), (route, statuses[route])


def test_read_only_pages_refuse_post(client, executive, site):
    client.force_login(executive)
    for route in (
        "",
        "incidents/",
        "incidents/<int:pk>/",
        "incidents/<int:pk>/glossary/",
        "inbox/",
        "glossary/",
    ):
        assert client.post(concrete(route, site)).status_code == 405, route


def test_the_walk_covers_the_status_pages_and_incident_writes():
    all_routes = set(routes())
    assert {"status/", "status/public/", "incidents/<int:pk>/notes/"} <= all_routes
