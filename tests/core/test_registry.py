"""The one registry mechanism (issue 8): unique keys, check hooks, demo entries refused in
production; settings name an implementation by key or by dotted path."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from durvis.core.registry import Implementation, Registry, configured, registries


@dataclass(frozen=True)
class Kind:
    key: str
    demo: bool = False


def test_a_key_is_registered_once():
    family = Registry[Kind]("test kinds")
    family.register(Kind("a"))
    with pytest.raises(ImproperlyConfigured):
        family.register(Kind("a"))
    assert family.keys() == ["a"]


def test_a_demo_entry_is_refused_outside_demo_mode(settings):
    family = Registry[Kind]("test demo kinds")
    family.register(Kind("real"))
    family.register(Kind("toy", demo=True))
    settings.DEMO_MODE = True
    assert family.get("toy").key == "toy"
    assert [k.key for k in family.available()] == ["real", "toy"]
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        family.get("toy")
    assert [k.key for k in family.available()] == ["real"]


def test_a_setting_names_a_key_or_a_dotted_path():
    family = Registry[Implementation[object]]("test implementations")
    family.register(Implementation("local", dict))
    assert configured(family, "local") is dict
    assert configured(family, "collections.OrderedDict").__name__ == "OrderedDict"
    with pytest.raises(ImproperlyConfigured, match="neither one of local"):
        configured(family, "nowhere.Nothing")


def test_the_platform_declares_its_families():
    names = {registry.name for registry in registries()}
    assert {"access rules", "domain events", "event subscribers", "API scopes",
            "webhook event types", "notification kinds", "sign-in methods",
            "population register adapters", "enterprise register adapters",
            "malware scanners", "staff sign-in aids"} <= names


def test_a_check_hook_problem_fails_the_system_check(settings):
    settings.DURVIS_CLAMD_ADDRESS = "no-port-here"
    with pytest.raises(SystemCheckError, match="DURVIS_CLAMD_ADDRESS"):
        call_command("check")


def test_the_demo_sign_in_aid_is_offered_in_demo_mode_only(settings):
    from durvis.identity.services import SIGN_IN_AIDS

    settings.DEMO_MODE = False
    assert SIGN_IN_AIDS.available() == []
    settings.DEMO_MODE = True
    assert [aid.key for aid in SIGN_IN_AIDS.available()] == ["demo.totp"]
