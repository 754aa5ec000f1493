"""The API token's security scheme for drf-spectacular (api/urls.py imports this module).

The shared OpenAPI helpers (error shape, request-field rules, `document`) are in
kit/openapi.py; this module holds only what is api's own.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token issued by `manage.py issue_token USERNAME`; send "Token <key>".',
        }
