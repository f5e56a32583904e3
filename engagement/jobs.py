"""Background jobs: one registry, run eagerly in-process or by Celery workers.

A job is an async function that takes ids, not objects, and is idempotent:
Celery delivers at least once. It raises RetryLater when a later attempt may
succeed; both runners then back off and retry up to the job's limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engagement.settings import get_settings

log = logging.getLogger("engagement.jobs")

EAGER_BACKOFF_SECONDS = 0.2
EAGER_MAX_BACKOFF_SECONDS = 2.0


class RetryLater(Exception):
    """A transient failure: run the job again after a back-off."""


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Awaitable[Any]]
    max_retries: int
    backoff_seconds: float
    # Called with the job's arguments once the last retry failed too.
    on_give_up: Callable[..., Awaitable[Any]] | None = None


REGISTRY: dict[str, Job] = {}


def job(
    name: str,
    max_retries: int = 5,
    backoff_seconds: float = 5.0,
    on_give_up: Callable[..., Awaitable[Any]] | None = None,
):
    def register(func: Callable[..., Awaitable[Any]]):
        REGISTRY[name] = Job(
            name=name, func=func, max_retries=max_retries, backoff_seconds=backoff_seconds, on_give_up=on_give_up
        )
        return func

    return register


def backoff_for(job_: Job, retries_done: int) -> float:
    return job_.backoff_seconds * (2**retries_done)


async def enqueue(name: str, *args: Any) -> None:
    """Run or queue a job. Call it after the transaction that created its data committed."""
    if name not in REGISTRY:
        from engagement.modules import load_task_modules

        load_task_modules()  # a process that never built the app (demo, scripts) registers them now
    if name not in REGISTRY:
        raise KeyError(f"unknown job {name!r}")
    if get_settings().jobs_eager:
        await run_eagerly(REGISTRY[name], args)
        return
    from engagement.celery_app import celery_app

    await asyncio.to_thread(celery_app.send_task, name, args=list(args))


async def run_eagerly(job_: Job, args: tuple[Any, ...]) -> None:
    for attempt in range(job_.max_retries + 1):
        try:
            await job_.func(*args)
            return
        except RetryLater as reason:
            if attempt == job_.max_retries:
                break
            delay = min(EAGER_BACKOFF_SECONDS * (2**attempt), EAGER_MAX_BACKOFF_SECONDS)
            log.warning("job %s%r failed (%s); retry %d in %.1fs", job_.name, args, reason, attempt + 1, delay)
            await asyncio.sleep(delay)
    log.error("job %s%r gave up after %d retries", job_.name, args, job_.max_retries)
    if job_.on_give_up is not None:
        await job_.on_give_up(*args)
