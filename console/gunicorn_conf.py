"""gunicorn settings for the console: its own lines in the console's log format.

    gunicorn -c python:console.gunicorn_conf console.wsgi:application ...

Without this, gunicorn's master writes its start-up and worker lines in its own
plain format. With it they go through settings.LOGGING (kit/logs.py) like every
other line, and gunicorn's access log is off: the console's `request` event
(console/request_logs.py) replaces it. The level of gunicorn's own lines stays
`--log-level`. A bad LOG_FORMAT or LOG_LEVEL stops gunicorn before it starts.
"""

import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

logconfig_dict = settings.LOGGING
