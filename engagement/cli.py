"""Command line: ``python -m engagement <command>`` (DESIGN section 4)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable

from engagement.errors import DomainError
from engagement.settings import SettingsError, get_settings


def _run(coroutine) -> None:
    asyncio.run(coroutine)


def cmd_migrate(_args: argparse.Namespace) -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = asyncio.run(run_forwards(app_name="all", migration_id="all", fake=False))
    if not result.success:
        print(f"migration failed: {result.message}", file=sys.stderr)
        return 1
    print("database is up to date")
    return 0


def cmd_create_department(args: argparse.Namespace) -> int:
    from engagement.accounts import create_department

    department = asyncio.run(create_department(args.slug, args.name, args.description or "",
                                               receiving_desk=args.mailbox_desk))
    desk = " — receives and routes letters to the mayor" if args.mailbox_desk else ""
    print(f"created department {department.slug} ({department.name}){desk}")
    return 0


def cmd_calendar_day(args: argparse.Namespace) -> int:
    from datetime import date

    from engagement.workdays import set_calendar_day

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print(f"error: --date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
        return 2
    asyncio.run(set_calendar_day(day, is_workday=args.workday, name=args.name or ""))
    print(f"{day.isoformat()}: {'make-up working day' if args.workday else 'public holiday'} {args.name or ''}".rstrip())
    return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    from engagement.accounts import create_staff

    user = asyncio.run(create_staff(args.username, args.password, args.role, args.department, args.display_name or ""))
    print(f"created {user.role} {user.username}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from engagement.demo import load_demo

    loaded = asyncio.run(load_demo(only_if_empty=args.if_empty))
    print("demo data loaded" if loaded else "database already has data; demo skipped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from engagement.serving import serve

    settings = get_settings()
    port = args.port if args.port is not None else int(os.environ.get("PORT", "8000"))
    serve(
        host=args.host,
        port=port,
        workers=args.workers or settings.web_workers,
        server=args.server,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    if not get_settings().redis_url:
        print("error: the worker needs ENGAGEMENT_REDIS_URL (without it jobs run inside the web process)", file=sys.stderr)
        return 2
    from engagement.celery_app import celery_app

    celery_app.worker_main(
        ["worker", f"--loglevel={args.loglevel}", f"--pool={args.pool}", f"--concurrency={args.concurrency}"]
    )
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    if not get_settings().redis_url:
        print("error: the scheduler needs ENGAGEMENT_REDIS_URL", file=sys.stderr)
        return 2
    from engagement.celery_app import celery_app
    from engagement.settings import VAR_DIR

    VAR_DIR.mkdir(exist_ok=True)
    celery_app.start(["beat", f"--loglevel={args.loglevel}", f"--schedule={args.schedule or VAR_DIR / 'celerybeat-schedule'}"])
    return 0


def build_parser(with_modules: bool = True) -> argparse.ArgumentParser:
    """The core's commands, and (``with_modules``) those the installed modules' manifests add."""
    parser = argparse.ArgumentParser(prog="python -m engagement", description="政民互动: the public engagement platform.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("migrate", cmd_migrate, "Create or upgrade the database schema.")
    department = add("create-department", cmd_create_department, "Create a department.")
    department.add_argument("--slug", required=True, help="short stable name, e.g. fgw")
    department.add_argument("--name", required=True, help="full name, e.g. 市发展和改革委员会")
    department.add_argument("--description", default="")
    department.add_argument("--mailbox-desk", action="store_true",
                            help="this department (the mayor's office) receives and routes letters to the mayor")
    calendar = add("calendar-day", cmd_calendar_day,
                   "Enter a public holiday or a make-up working day (调休) of the working-day calendar.")
    calendar.add_argument("--date", required=True, help="YYYY-MM-DD")
    kind = calendar.add_mutually_exclusive_group(required=True)
    kind.add_argument("--holiday", dest="workday", action="store_false", help="a public holiday (no working day)")
    kind.add_argument("--workday", dest="workday", action="store_true", help="a make-up working day on a weekend")
    calendar.add_argument("--name", default="", help="e.g. 元旦, 春节")
    staff = add("create-staff", cmd_create_staff, "Create a staff account.")
    staff.add_argument("--username", required=True)
    staff.add_argument("--password", required=True)
    staff.add_argument("--role", required=True, choices=["admin", "editor", "host"])
    staff.add_argument("--department", help="department slug (required for editors)")
    staff.add_argument("--display-name", default="")
    serve = add("serve", cmd_serve, "Serve the web application.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument("--workers", type=int, default=None, help="default: ENGAGEMENT_WEB_WORKERS or 1")
    serve.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn",
                       help="ASGI server (uvicorn, chosen by measurement: docs/serving.md)")
    demo = add("demo", cmd_demo, "Load demonstration data (departments, staff, sample content).")
    demo.add_argument("--if-empty", action="store_true", help="only when the database has no department yet")
    worker = add("worker", cmd_worker, "Run a Celery worker for background jobs.")
    worker.add_argument("--loglevel", default="INFO")
    worker.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    worker.add_argument("--concurrency", type=int, default=2)
    beat = add("beat", cmd_beat, "Run the Celery scheduler for periodic jobs.")
    beat.add_argument("--loglevel", default="INFO")
    beat.add_argument("--schedule", default=None, help="schedule state file (default var/celerybeat-schedule)")
    parser.set_defaults(core_commands=frozenset(commands.choices))
    if with_modules:
        from engagement.modules import manifests

        for manifest in manifests():
            for command in manifest.commands:
                module_command = add(command.name, command.handler, command.help)
                if command.arguments is not None:
                    command.arguments(module_command)
    return parser


def _needs_modules(argv: list[str]) -> bool:
    """Loading the modules takes a second or two: the core's own commands do without."""
    core = build_parser(with_modules=False).get_default("core_commands")
    return not argv or argv[0] not in core


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(with_modules=_needs_modules(argv)).parse_args(argv)
    try:
        get_settings()
        return args.handler(args)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
