"""Fill the English translation of given msgids in the catalogue: po_fill.py 'msgid' 'msgstr' …"""

import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "src/tiendo/locale/en/LC_MESSAGES/django.po"


def quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


text = PO.read_text(encoding="utf-8")
pairs = sys.argv[1:]
for msgid, msgstr in zip(pairs[::2], pairs[1::2], strict=True):
    pattern = re.compile(r'(msgid "' + re.escape(quote(msgid)) + r'"\n)msgstr ""\n')
    replacement = f'msgstr "{quote(msgstr)}"\n'
    text, count = pattern.subn(lambda m, r=replacement: m.group(1) + r, text)
    if count != 1:
        sys.exit(f"not found untranslated (or found {count} times): {msgid}")
PO.write_text(text, encoding="utf-8")
