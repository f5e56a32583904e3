"""Piccolo configuration and the list of installed modules.

INSTALLED_MODULES is the one place that names the feature modules: the
application factory mounts each module's manifest from it, and APP_REGISTRY
gives Piccolo each module's tables and migrations. Adding a module is one line.
"""

from piccolo.conf.apps import AppRegistry

from engagement.db import engine_for
from engagement.settings import get_settings

INSTALLED_MODULES: list[str] = [
    "engagement",
    "consultations",
    "live_sessions",
    "mailbox",
    "analytics",
]

DB = engine_for(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        *[f"{module}.piccolo_app" for module in INSTALLED_MODULES],
    ]
)
