"""The ALIS marketplace web application."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .config import CONFIGS, Config


class Portal(Flask):
    """Flask with one unit of work per request (app.unit_of_work): a view that returns
    commits once; one that raises rolls everything back and the error handlers answer."""

    def dispatch_request(self):
        from .database import retry_as_writer
        from .unit_of_work import abandon, finish, restart

        try:
            response = super().dispatch_request()
            finish()
        except BaseException as error:
            if retry_as_writer(error):  # SQLite: a reading request that wrote after all
                restart()
                return self.dispatch_request()
            abandon(error)
            raise
        return response


ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests)."""
    app = Portal(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    env_name = (config or {}).get("ENV_NAME") or os.environ.get("APP_ENV", "production")
    if env_name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}")
    app.config.from_object(CONFIGS[env_name])
    app.config.update(Config.from_environment())
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "alis.db"
        )
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development and testing")

    from . import database, i18n, input_guard, labels, lifecycle, policy
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    policy.init_app(app)
    from . import data_version

    data_version.listen()
    from app.gps import verification

    verification.init_app(app)
    lifecycle.install_guard()
    input_guard.init_app(app)

    from .alerts import bp as alerts_bp
    from .auth import bp as auth_bp
    from .auth.loaders import init_login
    from .coordination import bp as coordination_bp
    from .exports import bp as exports_bp
    from .gps import bp as gp_bp
    from .handoff import bp as handoff_bp
    from .learning import bp as learning_bp
    from .main import bp as main_bp
    from .municipalities import bp as municipality_bp
    from .periods import bp as periods_bp
    from .privacy import bp as privacy_bp
    from .public import bp as public_bp
    from .statistics import bp as statistics_bp

    init_login(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(gp_bp)
    app.register_blueprint(periods_bp)
    app.register_blueprint(coordination_bp, url_prefix="/coordination")
    app.register_blueprint(public_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(handoff_bp)
    app.register_blueprint(municipality_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(privacy_bp)

    from . import api, request_log
    from .cli import register_cli
    from .errors import register_error_handlers
    from .health import bp as health_bp
    from .security import register_security_headers

    request_log.init_app(app)
    app.register_blueprint(health_bp)
    api.init_app(app)
    register_cli(app)
    if app.config["SCHEDULER_ENABLED"]:
        from .jobs import start_in_process

        start_in_process(app)
    register_error_handlers(app)
    register_security_headers(app)
    return app
