"""Module manifests: what each installed package contributes to the application.

The core never imports a feature module by name; it reads INSTALLED_MODULES
from piccolo_conf and loads ``<module>.manifest.MANIFEST`` for each.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # an English message id, translated when rendered
    description: str = ""


@dataclass(frozen=True)
class ScheduledJob:
    job_name: str
    every_seconds: float


@dataclass(frozen=True)
class Command:
    """A subcommand a module adds to ``python -m engagement`` (e.g. ``verify-draw``)."""

    name: str
    help: str
    handler: Callable[[Any], int]  # the parsed argparse.Namespace -> exit status
    arguments: Callable[[Any], None] | None = None  # adds the command's options to its argparse parser


@dataclass(frozen=True)
class Manifest:
    name: str
    route_handlers: Sequence[Any] = ()
    nav: Sequence[NavItem] = ()
    scheduled_jobs: Sequence[ScheduledJob] = ()
    votable_kinds: Sequence[str] = ()
    permissions: Sequence[Any] = ()  # engagement.permissions.Permission, denied unless declared somewhere
    template_globals: dict[str, Any] = field(default_factory=dict)  # e.g. {"LetterStatus": Status}
    public_pages: Sequence[str] = ()  # public GET paths to check in the browser (with sample ids filled in by demo)
    demo: Callable[[], Awaitable[None]] | None = None
    # For pages with ids in their path: creates sample content through the module's services and
    # returns {route path: concrete path}, so the browser and accessibility tests can open them.
    sample_paths: Callable[[Any], Awaitable[dict[str, str]]] | None = None
    tasks_module: str | None = None
    commands: Sequence[Command] = ()  # subcommands of ``python -m engagement``
    extra: dict[str, Any] = field(default_factory=dict)


def installed_module_names() -> list[str]:
    import piccolo_conf

    return list(piccolo_conf.INSTALLED_MODULES)


@lru_cache(maxsize=1)
def manifests() -> tuple[Manifest, ...]:
    return tuple(importlib.import_module(f"{name}.manifest").MANIFEST for name in installed_module_names())


def votable_kinds() -> frozenset[str]:
    return frozenset(kind for manifest in manifests() for kind in manifest.votable_kinds)


def load_task_modules() -> None:
    """Import each module's tasks so their jobs are registered (worker and web)."""
    for manifest in manifests():
        if manifest.tasks_module:
            importlib.import_module(manifest.tasks_module)
