"""Load the demo: personas, watched models, metrics, playbooks, incidents, glossary, public status.

Idempotent: everything is looked up by a natural key (username, slug, title,
playbook scope, term slug) and skipped when it exists, so a second run
changes nothing. Incidents are written only through incidents.services, so
their decision logs are valid hash chains. The data lives in console/demo/
(one module per incident scenario); this command puts it in order.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from comms.models import Subscription
from console.demo.base import Demo
from console.demo.catalogue import MODELS, PLAYBOOKS, USERS
from console.demo.metric_traces import METRIC_WEEK, TRACES, instants
from console.demo.public_status import seed_public_status
from console.demo.scenarios import SCENARIOS
from glossary.models import Term
from glossary.services import create_term
from glossary.starter import STARTER_TERMS
from incidents.health_metrics import PointIn, ingest_metric_points
from incidents.models import ImpactRule, Incident, MonitoredModel, Playbook
from learning import demo_metrics
from learning.demo_drill import seed_drill
from learning.demo_review import seed_review
from learning.models import Review


class Command(BaseCommand):
    help = "Load demo users, models, metrics, playbooks, incidents and the starter glossary (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        password = os.environ.get("DEMO_PASSWORD", "demo")
        self.users = self.seed_users(password)
        self.models = self.seed_models()
        self.seed_metrics()
        self.seed_playbooks()
        self.seed_glossary()
        self.seed_subscriptions()
        self.seed_incidents()
        self.seed_learning()
        for line in seed_public_status(self.users["commander"]):
            self.say(line)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    # --- people, models, metrics, playbooks -------------------------------------

    def seed_users(self, password: str) -> dict[str, User]:
        users: dict[str, User] = {}
        groups = {g.name: g for g in Group.objects.all()}
        # Hash once: PBKDF2 costs ~0.5 s per call and every demo login shares the password.
        hashed = make_password(password)
        for username, (first, last, group_names, flags) in USERS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    password=hashed,
                    email=f"{username}@demo.invalid",
                    first_name=first,
                    last_name=last,
                    **flags,
                )
                user.groups.set([groups[name] for name in group_names])
                self.say(f"User {username} created")
            users[username] = user
        return users

    def seed_models(self) -> dict[str, MonitoredModel]:
        models: dict[str, MonitoredModel] = {}
        for spec in MODELS:
            fields = {k: v for k, v in spec.items() if k not in ("slug", "rules")}
            model, created = MonitoredModel.objects.get_or_create(
                slug=spec["slug"], defaults=fields
            )
            for rule in spec["rules"]:
                ImpactRule.objects.get_or_create(
                    model=model,
                    metric=rule["metric"],
                    defaults={
                        **{k: v for k, v in rule.items() if k != "metric"},
                        "revenue_per_step": Decimal(rule["revenue_per_step"]),
                    },
                )
            if created:
                self.say(f"Model {model.slug} created")
            models[model.slug] = model
        return models

    def seed_metrics(self) -> None:
        """Write a week of points every 10 minutes for models that have none yet."""
        now = timezone.now().replace(second=0, microsecond=0)
        now -= timedelta(minutes=now.minute % 10)
        for slug, traces in TRACES.items():
            model = self.models[slug]
            if model.metric_points.filter(is_drill=False).exists():
                continue
            rng = random.Random(slug)  # noqa: S311  deterministic demo shape per model, not a secret
            points = [
                PointIn(trace.metric, at, trace.value(at, now, rng))
                for trace in traces
                for at in instants(now - METRIC_WEEK, now)
            ]
            count = ingest_metric_points(model=model, points=points)
            self.say(f"{count} metric points for {slug}")

    def seed_playbooks(self) -> None:
        for spec in PLAYBOOKS:
            if Playbook.objects.filter(
                is_active=True, severity=spec["severity"], risk_tier__isnull=True
            ).exists():
                continue
            playbook = Playbook(**spec)
            playbook.full_clean()
            playbook.save()
            self.say(f"Playbook {playbook.name} created")

    # --- incidents ------------------------------------------------------------------

    def seed_incidents(self) -> None:
        """Build each scenario (console/demo/<scenario>.py) whose incident does not exist yet."""
        demo = Demo(users=self.users, models=self.models, say=self.say)
        for title, build in SCENARIOS:
            if Incident.objects.filter(title=title).exists():
                continue
            with transaction.atomic():
                build(demo, title)
            self.say(f"Incident {title!r} created")

    # --- the learning loop ------------------------------------------------------------

    def seed_learning(self) -> None:
        """Past incidents for the metrics page, a published review with action items, a debriefed drill."""
        u = self.users
        created = demo_metrics.seed_history(u, say=self.say)
        if created:
            self.say(f"{created} past incidents for the metrics page")
        resolved = Incident.objects.get(title="Recommendations p95 latency spike at checkout")
        if not Review.objects.filter(incident=resolved).exists():
            seed_review(
                incident=resolved,
                commander=u["commander"],
                owners=[u["sam"], u["dana"], u["commander"]],
            )
            self.say(f"Published review of {resolved.reference}")
        seed_drill(commander=u["commander"], owner=u["sam"], say=self.say)

    # --- glossary -----------------------------------------------------------------

    def seed_subscriptions(self) -> None:
        """In-app and e-mail subscriptions for the demo personas, one per audience they read."""
        wanted = [
            ("commander", "technical"),
            ("responder", "technical"),
            ("executive", "executive"),
        ]
        for username, audience in wanted:
            Subscription.objects.get_or_create(
                user=self.users[username],
                audience=audience,
                defaults={
                    "name": f"{username}: {audience} updates",
                    "include_drills": username != "executive",
                },
            )

    def seed_glossary(self) -> None:
        existing = set(Term.objects.values_list("name", flat=True))
        created: list[str] = []
        for spec in STARTER_TERMS:
            if spec["name"] in existing:
                continue
            create_term(
                by=None,
                name=spec["name"],
                technical_definition=spec["technical_definition"],
                plain_definition=spec["plain_definition"],
                variants=list(spec.get("variants", [])),
                examples=spec.get("examples", ""),
                is_technical=spec.get("is_technical", True),
            )
            created.append(spec["name"])
        if created:
            # Link related terms once all exist; the relation is not versioned.
            terms = {t.name: t for t in Term.objects.all()}
            for spec in STARTER_TERMS:
                if spec["name"] in created:
                    terms[spec["name"]].related.add(
                        *(terms[n] for n in spec.get("related", []) if n in terms)
                    )
            self.say(f"{len(created)} glossary terms created")
