#!/usr/bin/env bash
# Extract message ids, merge them into the catalogues and list what still needs a Chinese translation.
#   scripts/update-messages.sh            the core catalogue (messages.po) and every installed module's
#   scripts/update-messages.sh mailbox    only that module's catalogue (mailbox.po)
# Each module keeps its own catalogue, so modules never edit a shared file (docs/i18n.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

jinja_section() {
  printf '[jinja2: %s]\nextensions = jinja2.ext.i18n\ntrim_blocks = true\nlstrip_blocks = true\nnewstyle_gettext = true\n\n' "$1"
}

write_config() {  # $1 = domain (messages for the core, else the module name)
  if [ "$1" = messages ]; then
    printf '[python: engagement/**.py]\nkeywords = N_\n\n'
    jinja_section 'frontend/templates/*.html'
    jinja_section 'frontend/templates/engagement/**.html'
    jinja_section 'frontend/templates/staff/**.html'
  else
    printf '[python: %s/**.py]\nkeywords = N_\n\n' "$1"
    jinja_section "frontend/templates/$1/**.html"
  fi
}

update_domain() {
  local domain=$1 cfg="$TMP/$1.cfg" pot="frontend/translations/$1.pot"
  write_config "$domain" > "$cfg"
  $PY -m babel.messages.frontend extract -F "$cfg" -k _ -k N_ \
      --ignore-dirs=".* ._ node_modules var __pycache__ tests bench" \
      --no-wrap --sort-output --add-location=file \
      --project=zhengmin-hudong --copyright-holder=政民互动 -o "$pot" . >/dev/null 2>&1
  for lang in zh_CN en; do
    po="frontend/translations/$lang/LC_MESSAGES/$domain.po"
    if [ -f "$po" ]; then
      $PY -m babel.messages.frontend update -i "$pot" -o "$po" -l "$lang" --no-wrap --ignore-obsolete --no-fuzzy-matching >/dev/null 2>&1
    else
      $PY -m babel.messages.frontend init -i "$pot" -o "$po" -l "$lang" --no-wrap >/dev/null 2>&1
    fi
  done
}

if [ $# -gt 0 ]; then
  domains=("$@")
else
  domains=(messages $($PY -c "import piccolo_conf; print(' '.join(m for m in piccolo_conf.INSTALLED_MODULES if m != 'engagement'))"))
fi
for domain in "${domains[@]}"; do update_domain "$domain"; done
$PY scripts/check_messages.py
