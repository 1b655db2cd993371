"""The clinics file: the demo loads, numbers become E.164, and each mistake is named precisely."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clinics.config import ClinicsFileError, load_clinics
from bot.settings import demo_clinics_file

Mutation = Callable[[dict[str, Any]], None]


def write_clinics(tmp_path: Path, mutate: Mutation) -> Path:
    """The demo file with one clinic changed by `mutate`."""
    raw = yaml.safe_load(demo_clinics_file().read_text(encoding="utf-8"))
    mutate(raw["clinics"][0])
    path = tmp_path / "clinics.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_demo_file_loads_with_the_contract_values() -> None:
    clinic = load_clinics(demo_clinics_file()).by_id("demo-plateau")
    assert clinic is not None
    assert clinic.name.fr == "Clinique Démo Plateau"
    assert (clinic.sms_number, clinic.voice_number, clinic.phone) == ("+15145550100", "+15145550100", "+15145550199")
    assert clinic.timezone == "America/Toronto"
    assert len(clinic.practitioners) == 3
    assert clinic.hours["sat"] == [] and clinic.hours["tue"][0].end == time(20)
    assert date(2026, 12, 24) in clinic.closures
    assert clinic.backends[0].kind == "sql"


def test_numbers_in_any_format_become_e164(tmp_path: Path) -> None:
    def local_formats(clinic: dict[str, Any]) -> None:
        clinic["sms_number"] = "(514) 555-0100"
        clinic["phone"] = "1 514 555 0199"
        del clinic["voice_number"]

    clinic = load_clinics(write_clinics(tmp_path, local_formats)).clinics[0]
    assert clinic.sms_number == "+15145550100"
    assert clinic.voice_number == "+15145550100", "voice defaults to the SMS number"
    assert clinic.phone == "+15145550199"


def test_time_zone_defaults_to_montreal(tmp_path: Path) -> None:
    clinic = load_clinics(write_clinics(tmp_path, lambda c: c.pop("timezone"))).clinics[0]
    assert clinic.timezone == "America/Toronto"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: c.update(sms_number="514-555-01"),
            'clinic "demo-plateau", field sms_number: "514-555-01" is not a valid phone number',
        ),
        (lambda c: c.update(phone="call us"), 'clinic "demo-plateau", field phone: "call us" is not a phone number'),
        (
            lambda c: c["hours"].update(mon="17:00-08:00"),
            'clinic "demo-plateau", field hours.mon: "17:00-08:00" ends before it starts',
        ),
        (
            lambda c: c["hours"].update(tue="8 to 5"),
            'clinic "demo-plateau", field hours.tue: "8 to 5" is not a time range',
        ),
        (lambda c: c["hours"].update(fri="25:00-26:00"), 'field hours.fri: "25:00-26:00" has an impossible time'),
        (
            lambda c: c.update(backends=[{"kind": "sql"}, {"kind": "oracle"}]),
            'clinic "demo-plateau", field backends.1.kind: unknown back-end "oracle"',
        ),
        (lambda c: c.update(backends=[{"kind": "fhir"}]), 'field backends.0: a "fhir" back-end needs a base_url'),
        (
            lambda c: c.update(backends=[{"kind": "smart", "base_url": "http://127.0.0.1/x"}]),
            "field backends: the first back-end is the system of record",
        ),
        (lambda c: c.update(timezone="Mars/Olympus"), 'field timezone: unknown time zone "Mars/Olympus"'),
        (lambda c: c.update(languages=["en"]), "field languages: French must be offered"),
        (lambda c: c.update(colour="blue"), "field colour: unknown field"),
        (
            lambda c: c["practitioners"][1].update(availability={"mon": ["08:00-12:00", "11:00-13:00"]}),
            "field practitioners[gagnon].availability: mon: 08:00-12:00 overlaps 11:00-13:00",
        ),
        (lambda c: c.update(closures=["2026-02-30"]), "field closures.0:"),
    ],
)
def test_each_mistake_is_named_with_file_clinic_and_field(tmp_path: Path, mutate: Mutation, expected: str) -> None:
    path = write_clinics(tmp_path, mutate)
    with pytest.raises(ClinicsFileError) as caught:
        load_clinics(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ClinicsFileError, match="file not found"):
        load_clinics(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("clinics:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ClinicsFileError, match=r"not valid YAML at line \d"):
        load_clinics(broken)


def test_two_clinics_cannot_share_a_number(tmp_path: Path) -> None:
    raw = yaml.safe_load(demo_clinics_file().read_text(encoding="utf-8"))
    twin = dict(raw["clinics"][0], id="demo-twin")
    raw["clinics"].append(twin)
    path = tmp_path / "clinics.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ClinicsFileError, match="share the number"):
        load_clinics(path)


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = write_clinics(tmp_path, lambda c: c.update(sms_number="not a number"))
    result = subprocess.run(
        [sys.executable, "-m", "rdvbot", "db", "upgrade"],
        env={"PATH": "/usr/bin:/bin", "RDVBOT_CLINICS": str(path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and "demo-plateau" in lines[0] and "sms_number" in lines[0]
    assert "Traceback" not in result.stderr
