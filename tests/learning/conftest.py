"""Fixtures of the learning-loop tests: the comms ones (real worker, beat, Redis, webhook sink, clock) reused."""

from tests.comms.clock import clock  # noqa: F401
from tests.comms.conftest import (  # noqa: F401
    celery_beat_process,
    celery_redis,
    celery_worker_factory,
    celery_worker_process,
    redis_server_factory,
    wait_until,
    webhook_sink,
)
