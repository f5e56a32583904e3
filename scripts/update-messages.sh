#!/usr/bin/env bash
# Extract message ids, merge them into the catalogues and list what still needs a Chinese translation.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _ -k N_ \
    --ignore-dirs=".* ._ node_modules var __pycache__ tests bench" \
    --no-wrap --sort-output --add-location=file \
    --project=zhengmin-hudong --copyright-holder=政民互动 \
    -o frontend/translations/messages.pot . >/dev/null 2>&1
.venv/bin/pybabel update -i frontend/translations/messages.pot -d frontend/translations -D messages \
    --no-wrap --ignore-obsolete --no-fuzzy-matching >/dev/null 2>&1
.venv/bin/python scripts/check_messages.py
