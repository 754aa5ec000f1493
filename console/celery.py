import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_ready,
)
from django.conf import settings

from kit import logs

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


# --- Logs (kit/logs.py) -------------------------------------------------------------


@setup_logging.connect
def use_console_logging(**_: object) -> None:
    """Log as the web processes do (settings.LOGGING) instead of Celery's own format.

    A receiver of this signal also stops Celery from replacing the root logger's
    handlers; the level is LOG_LEVEL, not the `-l` option.
    """
    logs.configure(settings.LOGGING)


@before_task_publish.connect
def carry_request_id(headers: dict[str, object] | None = None, **_: object) -> None:
    """Send the id of the web request that enqueued a task along with it."""
    if headers is not None:
        headers.update(logs.publish_headers())


@task_prerun.connect
def bind_task_context(task_id: str = "", task: object = None, **_: object) -> None:
    name = getattr(task, "name", "") or ""
    request_id = getattr(getattr(task, "request", None), logs.REQUEST_ID_HEADER, None)
    logs.bind_task(task_id, name, request_id)


@task_postrun.connect
def unbind_task_context(task_id: str = "", **_: object) -> None:
    logs.unbind_task(task_id)
