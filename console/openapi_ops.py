"""The operations endpoints in the OpenAPI schema: /healthz, /readyz and /metrics.

They are plain Django views (no DRF, no session, no API token), so drf-spectacular
does not find them; this postprocessing hook (SPECTACULAR_SETTINGS) writes them in.
"""

from __future__ import annotations

from typing import Any

TAG = "operations"
_CHECK = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean"},
        "ms": {"type": "number", "description": "Time the check took."},
        "error": {"type": "string", "description": "What failed (only when not ok)."},
        "age_seconds": {"type": "number", "description": "worker, beat: heartbeat age."},
        "max_age_seconds": {"type": "number", "description": "worker, beat: the limit."},
        "pending": {
            "type": "array",
            "items": {"type": "string"},
            "description": "migrations: up to 20 not applied.",
        },
    },
    "required": ["ok"],
}
_TEXT = {"text/plain": {"schema": {"type": "string"}}}


def _readiness(status: str) -> dict[str, Any]:
    return {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": [status]},
                    "checks": {
                        "type": "object",
                        "properties": {
                            name: {"$ref": "#/components/schemas/ReadinessCheck"}
                            for name in ("database", "migrations", "redis", "worker", "beat")
                        },
                        "required": ["database", "migrations", "redis", "worker", "beat"],
                    },
                },
                "required": ["status", "checks"],
            }
        }
    }


PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness: the process answers and the database does",
            "tags": [TAG],
            "security": [{}],
            "responses": {
                "200": {
                    "description": "Alive.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"status": {"type": "string", "enum": ["ok"]}},
                                "required": ["status"],
                            }
                        }
                    },
                }
            },
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness: database, migrations, Redis, a worker heartbeat, a beat tick",
            "description": "Never cached. Each check with its state, time and, for the worker "
            "and beat, the heartbeat's age (docs/operations.md).",
            "tags": [TAG],
            "security": [{}],
            "responses": {
                "200": {"description": "Every check passes.", "content": _readiness("ready")},
                "503": {
                    "description": "A check fails; `error` says why.",
                    "content": _readiness("not ready"),
                },
            },
        }
    },
    "/metrics": {
        "get": {
            "operationId": "prometheus_metrics",
            "summary": "Prometheus exposition (text format 0.0.4): requests and the domain",
            "description": "For a bearer of METRICS_TOKEN, or a client whose address is in "
            "METRICS_ALLOWED_NETWORKS; 403 for anyone else. Metrics and alerts: "
            "docs/operations.md.",
            "tags": [TAG],
            "security": [{"metricsToken": []}, {}],
            "responses": {
                "200": {"description": "The exposition.", "content": _TEXT},
                "403": {"description": "No valid token, not an allowed address.", "content": _TEXT},
            },
        }
    },
}


def add_operations_endpoints(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result.setdefault("paths", {}).update(PATHS)
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["ReadinessCheck"] = _CHECK
    components.setdefault("securitySchemes", {})["metricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "METRICS_TOKEN, as `Authorization: Bearer <token>`.",
    }
    tags = result.setdefault("tags", [])
    if not any(tag.get("name") == TAG for tag in tags):
        tags.append({"name": TAG, "description": "Health, readiness and Prometheus metrics."})
    return result
