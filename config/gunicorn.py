"""Gunicorn settings for the Procfile's `web` process; tuned by environment variables.

PORT (8000), WEB_CONCURRENCY (processes, 3), GUNICORN_THREADS (per process, 4),
FORWARDED_ALLOW_IPS (proxies trusted for X-Forwarded-*, 127.0.0.1).
"""

import os

# A platform (or systemd unit) puts a proxy in front; it must reach this port.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The path without its query string (a consent return carries a code and a signed state),
# and the request id to grep for.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
