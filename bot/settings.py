"""Process settings read from the environment (SPEC §3), with defaults that run on one laptop."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///rdvbot.db"
#: Where messages wait when the database cannot take them (relative to the working directory, like the SQLite file).
DEFAULT_SPOOL_DIR = Path("rdvbot-spool")


def demo_clinics_file() -> Path:
    """Path of the demo clinics YAML shipped inside the package."""
    return Path(str(resources.files("bot.clinics").joinpath("demo.yaml")))


class SettingsError(ValueError):
    """An environment variable holds what it cannot mean; the message names it."""


@dataclass(frozen=True)
class Settings:
    """What an operator configures through environment variables."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    #: Where Twilio's REST API is (tests and staging point it at a local server); Twilio's own when unset.
    twilio_api_url: str | None = None
    public_base_url: str | None = None
    clinics_file: Path | None = None
    api_token: str | None = None
    #: What names phone numbers in Redis keys (a keyed hash); TWILIO_AUTH_TOKEN when unset.
    secret_key: str | None = None
    #: Proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0: none, the default).
    proxy_hops: int = 0
    #: The action server's shared secret: every call presents it, and channels sign patients' numbers with it.
    actions_token: str | None = None
    #: None: messages the database cannot take are answered with the guidance but not kept (tests opt in).
    spool_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ` (the process environment by default); empty values count as unset."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        clinics = get("RDVBOT_CLINICS")
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=get("REDIS_URL"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_api_url=get("TWILIO_API_URL"),
            public_base_url=get("PUBLIC_BASE_URL"),
            clinics_file=Path(clinics) if clinics else None,
            api_token=get("RDVBOT_API_TOKEN"),
            actions_token=get("RDVBOT_ACTIONS_TOKEN"),
            secret_key=get("RDVBOT_SECRET_KEY"),
            proxy_hops=_hops(get("RDVBOT_PROXY_HOPS")),
            spool_dir=Path(get("RDVBOT_SPOOL_DIR") or DEFAULT_SPOOL_DIR),
        )

    @property
    def clinics_path(self) -> Path:
        """The clinics file in force: `RDVBOT_CLINICS`, or the shipped demo file."""
        return self.clinics_file or demo_clinics_file()


def _hops(text: str | None) -> int:
    """RDVBOT_PROXY_HOPS as a count of proxies; anything but a small whole number is refused at start."""
    if text is None:
        return 0
    if not text.isdigit() or int(text) > 10:
        raise SettingsError(f"RDVBOT_PROXY_HOPS must be a number of proxies from 0 to 10, not {text!r}")
    return int(text)
