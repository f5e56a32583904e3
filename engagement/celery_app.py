"""The Celery application: every registered job becomes a task of the same name.

Workers run ``python -m engagement worker``; the scheduler ``python -m engagement beat``.
Late acknowledgement means at-least-once delivery, which the jobs tolerate.
"""

from __future__ import annotations

import asyncio

from celery import Celery

from engagement.jobs import REGISTRY, Job, RetryLater, backoff_for
from engagement.modules import load_task_modules, manifests
from engagement.settings import get_settings

# Longer than any retry countdown, so Redis does not redeliver a task that is only waiting.
VISIBILITY_TIMEOUT_SECONDS = 6 * 3600


def _make_task(app: Celery, job_: Job) -> None:
    @app.task(name=job_.name, bind=True, max_retries=job_.max_retries, acks_late=True)
    def run(self, *args):
        try:
            asyncio.run(job_.func(*args))
        except RetryLater as reason:
            if self.request.retries >= job_.max_retries:
                if job_.on_give_up is not None:
                    asyncio.run(job_.on_give_up(*args))
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
