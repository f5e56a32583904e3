"""The ASGI application object for servers: ``engagement.asgi:app``."""

from engagement.app import create_app

app = create_app()
