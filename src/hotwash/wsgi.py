"""WSGI entry point: `hotwash serve` runs this under granian's WSGI interface."""

import os

from django.core.wsgi import get_wsgi_application

from hotwash.core.request_body import read_unsized_bodies
from hotwash.statuspage.fast import StoredPages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwash.settings")

# Streamed request bodies (no Content-Length) are read before Django sees them.
# The public status page and its feeds are served from their stored bytes
# ahead of Django's middleware (hotwash/statuspage/fast.py).
application = StoredPages(read_unsized_bodies(get_wsgi_application()))
