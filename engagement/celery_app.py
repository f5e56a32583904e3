"""The Celery application: every registered job becomes a task of the same name.

Workers run ``python -m engagement worker``; the scheduler ``python -m engagement beat``.
Late acknowledgement means at-least-once delivery, which the jobs tolerate.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from typing import Any

from celery import Celery

from engagement.jobs import REGISTRY, Job, RetryLater, backoff_for
from engagement.modules import load_task_modules, manifests
from engagement.settings import get_settings

# Longer than any retry countdown, so Redis does not redeliver a task that is only waiting.
VISIBILITY_TIMEOUT_SECONDS = 6 * 3600
log = logging.getLogger(__name__)
_worker_loop: tuple[int, asyncio.AbstractEventLoop] | None = None  # (pid, loop): a forked child makes its own


def run_job(coroutine: Awaitable[Any]) -> Any:
    """Run a job on this worker process's one event loop, which keeps a database connection pool.

    A new loop per task (``asyncio.run``) meant new database connections for every query of every task:
    50-100 ms of CPU per SMS, in the worker and in PostgreSQL, for what takes a few ms on pooled ones.
    """
    global _worker_loop
    if _worker_loop is None or _worker_loop[0] != os.getpid():
        loop = asyncio.new_event_loop()
        loop.run_until_complete(_start_connection_pool())
        _worker_loop = (os.getpid(), loop)
    return _worker_loop[1].run_until_complete(coroutine)


async def _start_connection_pool() -> None:
    from piccolo.engine import engine_finder

    try:
        await engine_finder().start_connection_pool()
    except Exception:  # the database may be down at start: queries then connect one by one
        log.warning("jobs run without a database connection pool", exc_info=True)


def _make_task(app: Celery, job_: Job) -> None:
    @app.task(name=job_.name, bind=True, max_retries=job_.max_retries, acks_late=True)
    def run(self, *args):
        try:
            run_job(job_.func(*args))
        except RetryLater as reason:
            if self.request.retries >= job_.max_retries:
                if job_.on_give_up is not None:
                    run_job(job_.on_give_up(*args))
                raise
            raise self.retry(exc=reason, countdown=backoff_for(job_, self.request.retries))


def create_celery_app() -> Celery:
    settings = get_settings()
    app = Celery("engagement")
    broker = settings.redis_url or "memory://"
    app.conf.update(
        broker_url=broker,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
        broker_connection_retry_on_startup=True,
        task_always_eager=settings.jobs_eager,
        timezone="Asia/Shanghai",
        beat_schedule={
            scheduled.job_name: {"task": scheduled.job_name, "schedule": scheduled.every_seconds}
            for manifest in manifests()
            for scheduled in manifest.scheduled_jobs
        },
    )
    load_task_modules()
    for job_ in REGISTRY.values():
        _make_task(app, job_)
    return app


celery_app = create_celery_app()
