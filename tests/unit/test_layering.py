"""What importing each inner layer loads, in a fresh interpreter: the arrows point inward, also through the
libraries the layers use (which import-linter, in CI, does not look inside)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ADAPTER_LIBRARIES = ("sqlalchemy", "psycopg", "redis", "rq", "twilio", "requests", "fhir", "flask", "gunicorn")


def loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter has loaded after `import module`."""
    script = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(result.stdout))


def top_levels(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_the_core_imports_nothing_of_ours() -> None:
    ours = {name for name in loaded_by("bot.core.booking") if name.split(".")[0] in ("bot", "webhooks", "rdvbot")}
    assert ours <= {"bot", "bot.core", "bot.core.booking", "bot.core.vocabulary"}, ours


def test_the_nlu_loads_neither_the_database_nor_sqlalchemy() -> None:
    loaded = loaded_by("bot.nlu")
    assert not {name for name in loaded if name.startswith("bot.db")}
    assert "sqlalchemy" not in top_levels(loaded)


@pytest.mark.parametrize("module", ["bot.engine", "bot.engine.engine"])
def test_the_engine_loads_no_adapter(module: str) -> None:
    loaded = loaded_by(module)
    assert not top_levels(loaded) & set(ADAPTER_LIBRARIES), sorted(top_levels(loaded) & set(ADAPTER_LIBRARIES))
    assert not {name for name in loaded if name.startswith(("bot.actions", "bot.booking", "bot.db", "bot.state"))}
