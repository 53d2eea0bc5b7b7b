#!/usr/bin/env bash
# Regenerate the English catalogue from the sources and compile it.
#   scripts/messages.sh [OTHER.po …]
# Every string marked for translation (gettext, gettext_lazy, {% translate %}, {% blocktranslate %})
# lands in src/tiendo/locale/en/LC_MESSAGES/django.po; translations already there are kept, strings
# no longer used are dropped. Other .po files given as arguments are a compendium: a new string
# takes its translation from them (used when two branches both added strings).
# Needs GNU gettext (Debian: gettext). The .mo is committed, so a newcomer needs no gettext tools.
set -euo pipefail
cd "$(dirname "$0")/../src/tiendo"
PO=locale/en/LC_MESSAGES/django.po
export DJANGO_SETTINGS_MODULE=tiendo.settings
../../.venv/bin/django-admin makemessages -l en --no-obsolete --add-location=file \
  --ignore 'migrations/*' --ignore '*/migrations/*' --ignore '*/tests/*' >/dev/null
# makemessages guesses ("fuzzy") a translation for a new string from a similar old one: wrong more
# often than right here (short error texts look alike), so a guess is dropped, never shipped.
msgattrib --clear-fuzzy --empty --no-wrap -o "$PO" "$PO"
if [ "$#" -gt 0 ]; then
  args=()
  for other in "$@"; do args+=(--compendium="$(realpath "$other")"); done
  msgmerge --quiet --no-fuzzy-matching --no-wrap "${args[@]}" -o "$PO.new" "$PO" "$PO"
  mv "$PO.new" "$PO"
fi
msgfmt -c -o locale/en/LC_MESSAGES/django.mo "$PO"
missing=$(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid' || true)
fuzzy=$(msgattrib --only-fuzzy "$PO" | grep -c '^msgid' || true)
echo "$PO: $(grep -c '^msgid' "$PO") strings; untranslated: $((missing > 0 ? missing - 1 : 0)); fuzzy: $((fuzzy > 0 ? fuzzy - 1 : 0))"

