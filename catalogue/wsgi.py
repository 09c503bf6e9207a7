"""WSGI entry point: `gunicorn catalogue.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")

application = get_wsgi_application()

# Each worker reads the facet index before its first request, not during it.
from catalogue import facetindex  # noqa: E402

facetindex.warm()
