"""`manage.py check` (and every start) fails on a malformed regime file, naming it."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from regulatory import regimes


@register()
def check_regime_files(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        regimes.all_regimes()
    except regimes.RegimeError as exc:
        return [
            Error(str(exc), id="regulatory.E001", hint="Fix the file under regulatory/regimes/.")
        ]
    return []
