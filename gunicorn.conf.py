"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (see docs/deploy.md)."""

import os

bind = os.environ.get("DIBAO_BIND", "127.0.0.1:8000")  # behind the reverse proxy
workers = int(os.environ.get("DIBAO_WEB_WORKERS", "4"))
threads = int(os.environ.get("DIBAO_WEB_THREADS", "2"))
timeout = 60  # a document render takes well under a second; anything longer is stuck
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (bounded memory)
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("DIBAO_PROXY_IPS", "127.0.0.1")
