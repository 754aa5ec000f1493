import os

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def load_urlconf(**_: object) -> None:
    """Import the URLconf once in the worker's parent, before the pool forks.

    Notices carry links (`reverse`), and the first `reverse` imports every view
    module: about a second that a fresh worker child would otherwise spend
    inside its first cadence tick, delaying a burst of reminders (make bench,
    Cadence).
    """
    import django
    from django.urls import get_resolver

    django.setup()
    get_resolver().url_patterns  # noqa: B018  (the import is the point)


@worker_ready.connect
def start_heartbeat(**_: object) -> None:
    """The worker's heartbeat for /readyz (console/heartbeats.py), from the parent process."""
    from console import heartbeats

    heartbeats.start_worker_heartbeat()


@beat_init.connect
def mark_beat(**_: object) -> None:
    from console import heartbeats

    heartbeats.mark_beat_process()


@before_task_publish.connect
def beat_ticked(**_: object) -> None:
    """In beat, every task sent is a tick: /readyz reads when beat last ticked."""
    from console import heartbeats

    heartbeats.beat_sent_task()
