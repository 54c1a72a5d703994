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
# Every access-line value scrubbed (the path holds the Connect webhook's token).
logger_class = "ops.access_log.ScrubbedLogger"

if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines (start-up, worker restarts, access) as JSON too, scrubbed alike.
    from ops.logs import logging_config

    logconfig_dict = logging_config(log_format="json", level=os.environ.get("LOG_LEVEL", "INFO"))
    for _name in ("gunicorn.error", "gunicorn.access"):
        logconfig_dict["loggers"][_name] = {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        }
