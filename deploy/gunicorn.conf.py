"""gunicorn settings for kapcare behind nginx (deploy/nginx/kapcare.conf)."""

import multiprocessing
import os

# nginx connects here; nothing else should.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: every view is short and database-bound. 2 × cores + 1 is gunicorn's advice.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
# PDF exports are the slowest requests; nothing legitimate takes a minute.
timeout = 60
graceful_timeout = 30
# Recycle workers now and then so a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# Only nginx on this host sets X-Forwarded-*; gunicorn trusts them from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "/var/log/kapcare/access.log"
errorlog = "/var/log/kapcare/gunicorn.log"
# The access log records paths and status, never bodies or query strings with data in them.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus rid=%({x-request-id}o)s'
# gunicorn's control socket (in the service user's home) is not needed: systemd reloads with
# HUP, and ProtectSystem=strict keeps the home read-only.
control_socket_disable = True
