"""/healthz and /readyz through the Flask test client, with the database or Redis up and down."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.bootstrap import bootstrap
from bot.db.migrate import upgrade
from bot.settings import Settings
from webhooks import create_app


def make_app(**settings: object) -> Flask:
    services = bootstrap(Settings(**settings))  # type: ignore[arg-type]
    return create_app({"TESTING": True, "SERVICES": services})


@pytest.fixture
def client(sqlite_url: str) -> FlaskClient:
    return make_app(database_url=sqlite_url).test_client()


def test_healthz_answers_without_touching_anything() -> None:
    app = make_app(database_url="postgresql://postgres@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_ready_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "redis": "not configured"}}


def test_not_ready_when_the_database_is_down() -> None:
    response = make_app(database_url="postgresql://postgres@127.0.0.1:1/none").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unavailable"


def test_not_ready_when_redis_is_down(sqlite_url: str) -> None:
    response = make_app(database_url=sqlite_url, redis_url="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "redis": "unavailable"}


def test_ready_with_redis(sqlite_url: str, redis_url: str) -> None:
    response = make_app(database_url=sqlite_url, redis_url=redis_url).test_client().get("/readyz")
    assert response.status_code == 200 and response.json["checks"]["redis"] == "ok"


def test_app_factory_wires_from_the_environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("RDVBOT_CLINICS", raising=False)
    app = create_app()
    services = app.extensions["rdvbot"]
    assert services.database.safe_url == sqlite_url
    assert services.clinics.by_number("+15145550100") is not None
    upgrade(services.database)
    assert app.test_client().get("/readyz").status_code == 200
