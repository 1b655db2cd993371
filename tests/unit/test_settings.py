"""Settings from the environment: laptop defaults, and empty values count as unset."""

from __future__ import annotations

from pathlib import Path

from bot.settings import DEFAULT_SPOOL_DIR, Settings, demo_clinics_file


def test_nothing_configured_means_sqlite_in_process_and_the_demo_clinic() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///rdvbot.db"
    assert settings.redis_url is None and settings.twilio_auth_token is None
    assert settings.clinics_path == demo_clinics_file() and settings.clinics_path.is_file()


def test_every_contract_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "TWILIO_ACCOUNT_SID": "AC_test",
            "TWILIO_AUTH_TOKEN": "token",
            "PUBLIC_BASE_URL": "https://rdv.example.org",
            "RDVBOT_CLINICS": "/etc/rdvbot/clinics.yaml",
            "RDVBOT_API_TOKEN": "api",
            "RDVBOT_SPOOL_DIR": "/var/spool/rdvbot",
            "TWILIO_API_URL": "http://127.0.0.1:8099",
        }
    )
    assert settings == Settings(
        database_url="postgresql://postgres@127.0.0.1/test",
        redis_url="redis://127.0.0.1:6379/0",
        twilio_account_sid="AC_test",
        twilio_auth_token="token",
        public_base_url="https://rdv.example.org",
        clinics_file=Path("/etc/rdvbot/clinics.yaml"),
        api_token="api",
        spool_dir=Path("/var/spool/rdvbot"),
        twilio_api_url="http://127.0.0.1:8099",
    )


def test_blank_values_are_unset() -> None:
    settings = Settings.from_env({"DATABASE_URL": "  ", "REDIS_URL": "", "TWILIO_AUTH_TOKEN": " "})
    # Messages the database cannot take are spooled unless configured elsewhere: next to the default SQLite file.
    assert settings == Settings(spool_dir=DEFAULT_SPOOL_DIR)
