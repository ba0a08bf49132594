"""WSGI entry point: `hotwash serve` runs this under granian's WSGI interface."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwash.settings")

application = get_wsgi_application()
