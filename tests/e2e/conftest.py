"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright, axe-core.

One browser per test module (launching Chromium is the slow part); a fresh context and page per
test, so that cookies and history never leak from one test to the next. Never `playwright
install`: the browser is the machine's own /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("DURVIS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API keeps an asyncio loop running in this thread; the ORM calls that
    # fixtures (the catalogue, the database flush) make meanwhile are still synchronous, so
    # Django's async-safety check is switched off while the browser lives, and only then.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    # Every page of every journey runs under the site's Content-Security-Policy (issue 11).
    assert not refused, "\n".join(refused)


@pytest.fixture
def sign_in_client(live_server: Any) -> Any:
    """Put a client's e-account session into a browser page, as the national sign-in would
    leave it (the sign-in itself has its own journey); `role` starts in another role."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from durvis.identity.sessions import PERSON_KEY, mark_signed_in

    def sign_in(page: Any, person: Any, role: str | None = None) -> None:
        session = SessionStore()
        session[PERSON_KEY] = person.pk
        mark_signed_in(session)
        if role:
            session["durvis.client.role"] = role
        session.save()
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                   "value": session.session_key, "url": live_server.url}])

    return sign_in


@pytest.fixture
def builder_login(live_server: Any, institutions: Any, catalogue: Any) -> Any:
    """A form builder of VSAA (the holder of service 1011), "forms.vsaa", with a TOTP device;
    returns `sign_in(page, prefix="", target=...)` that types both sign-in steps and returns
    the staff member."""
    from django_otp.util import random_hex

    from durvis.identity import services as identity

    member = identity.record_staff(username="forms.vsaa", password="pw-forms.vsaa-long-enough",
                                   institution=institutions["VSAA"], roles=["form_builder"],
                                   given_name="Līga", family_name="Kalniņa")
    device = identity.record_totp_device(member, random_hex(identity.TOTP_KEY_BYTES))

    def sign_in(page: Any, prefix: str = "", target: str = "/administration/forms/") -> Any:
        page.goto(f"{live_server.url}{prefix}/staff/login/?next={prefix}{target}")
        page.locator("#id_username").fill("forms.vsaa")
        page.locator("#id_password").fill("pw-forms.vsaa-long-enough")
        page.locator("main form button[type=submit]").click()
        page.locator("#id_otp_token").fill(identity.current_totp_code(device))
        page.locator("main form button[type=submit]").click()
        return member

    return sign_in
