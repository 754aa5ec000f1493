"""A JSON serializer for the Redis cache: what comes back from Redis is data, never code.

Django's RedisSerializer pickles every value that is not an int, so anyone who
can write to that Redis (a worker tricked into speaking Redis, a neighbour on
a shared instance) could run code in every web process on the next read.
JSON cannot carry code; a value that is not JSON (a planted pickle) reads as
a miss, and the caller rebuilds it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)


class JSONSerializer:
    """dumps/loads for `CACHES[...]["OPTIONS"]["serializer"]`."""

    def dumps(self, obj: Any) -> bytes | int:
        # Plain ints stay raw so Redis INCR/DECR work on them (as in Django's own serializer).
        if type(obj) is int:
            return obj
        return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()

    def loads(self, data: bytes) -> Any:
        try:
            return int(data)
        except ValueError:
            pass
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            # Not something we wrote: treat it as a miss rather than guess what it is.
            logger.warning("cache: ignoring a value that is not JSON (%d bytes)", len(data))
            return None
