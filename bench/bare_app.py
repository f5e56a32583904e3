"""The framework baseline: a bare Litestar app with one plain-text endpoint.

Served by ``engagement.serving.serve(app="bench.bare_app:app")`` exactly like the
real application, so ``bench/http_bench.py`` can print the application's figures
as ratios against this one.
"""

from litestar import Litestar, MediaType, get


@get("/bare", media_type=MediaType.TEXT)
async def bare() -> str:
    return "ok"


app = Litestar(route_handlers=[bare])
