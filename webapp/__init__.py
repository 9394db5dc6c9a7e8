"""The web layer: window intake, task queues, case pages, the JSON API and the CLI."""

from pathlib import Path
from typing import TYPE_CHECKING

from . import config as cfg

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> "Flask":
    """Build the application.

    Args:
        config: values that override everything else (tests pass DATABASE_URL and friends).
    """
    # Flask is imported here so that Flask-free subpackages (webapp.documents) stay Flask-free.
    from flask import Flask  # noqa: PLC0415

    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(cfg.defaults(instance))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(cfg.from_environment())
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.secret_key(instance)

    from . import auth, cli, db, errors, i18n, inputs, labels, navigation, security, services  # noqa: PLC0415

    db.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    navigation.init_app(app)  # the grouped menu, its counts and the printed heading
    auth.init_app(app)
    security.init_app(app)
    inputs.init_app(app)  # before the blueprints: their <int:…> routes take its bounded converter
    services.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: "Flask") -> None:
    from .api import bp as api_bp  # noqa: PLC0415
    from .areas import (  # noqa: PLC0415
        audit,
        benefits,
        cases,
        health,
        home,
        incidents,
        jobs,
        notices,
        processes,
        public,
        reserve,
        rosters,
        tasks,
        visits,
        window,
    )
    from .areas import dashboard as dashboard_area  # noqa: PLC0415
    from .areas import relatives as relatives_area  # noqa: PLC0415
    from .areas import spot_checks as spot  # noqa: PLC0415
    from .security import csrf  # noqa: PLC0415

    areas = (home, window, tasks, cases, notices, benefits, rosters, reserve, visits, spot, audit, incidents, jobs,
             public, health)
    for bp in (area.bp for area in (*areas, processes)):
        app.register_blueprint(bp)
    app.register_blueprint(dashboard_area.bp)
    app.register_blueprint(relatives_area.bp)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(api_bp)
