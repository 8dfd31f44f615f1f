from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "durvis.calendars"
    label = "calendars"

    def ready(self) -> None:
        # Plug the appointments' rules, events and the calendar systems bookings are forwarded
        # to (CalDAV, e-mail, webhook) into the platform's registries.
        from durvis.calendars import events, forwarding, point_links, rules  # noqa: F401
