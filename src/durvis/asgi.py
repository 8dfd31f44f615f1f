import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "durvis.settings")
application = get_asgi_application()

from durvis.core.checks import refuse_misconfigured_production  # noqa: E402 - after setup

refuse_misconfigured_production()
