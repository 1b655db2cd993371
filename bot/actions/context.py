"""Where actions find the scheduler and clinics: wired in-process by the engine's host, or built from the
environment when rasa-sdk's action server imports the actions on its own."""

from __future__ import annotations

from bot.bootstrap import Services, bootstrap

_services: Services | None = None


def use_services(services: Services) -> None:
    """Make actions use these services (the web app and tests call this once at wiring)."""
    global _services
    _services = services


def services() -> Services:
    """The wired services; in a standalone action server, built from the environment on first use."""
    global _services
    if _services is None:
        _services = bootstrap()
    return _services
