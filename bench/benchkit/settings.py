"""Settings for servers the benchmarks start: the console's own, plus the baselines' URLs.

Used as DJANGO_SETTINGS_MODULE=benchkit.settings with bench/ on PYTHONPATH
(benchkit.servers.bench_env). Nothing else changes: same middleware, same
sessions, same cache, so a page and its baseline pay the same fixed costs.
"""

from console.settings import *  # noqa: F403  the console's settings, unchanged

ROOT_URLCONF = "benchkit.urls"
