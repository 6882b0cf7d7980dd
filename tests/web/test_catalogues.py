"""The French, Spanish and Arabic catalogues translate every interface string there is."""

import ast
import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.one_database  # files and gettext's tools, never the database

LANGUAGES = ["fr", "es", "ar"]
SOURCE = Path(settings.BASE_DIR)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, context, plural, msgstr list, fuzzy flag."""
    entries, entry, key = [], None, None

    def close() -> None:
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"fuzzy": False, "msgstr": {}}
        if line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            key, entry["context"] = "context", ast.literal_eval(line[8:])
        elif line.startswith("msgid_plural "):
            key, entry["plural"] = "plural", ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            key, entry["msgid"] = "msgid", ast.literal_eval(line[6:])
        elif line.startswith("msgstr"):
            head, _space, value = line.partition(" ")
            key = int(head[7:-1]) if "[" in head else 0
            entry["msgstr"][key] = ast.literal_eval(value)
        elif line.startswith('"'):
            if isinstance(key, int):
                entry["msgstr"][key] += ast.literal_eval(line)
            else:
                entry[key] += ast.literal_eval(line)
    close()
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_compiled(language):
    po = SOURCE / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = [e for e in parse_po(po) if e["msgid"]]
    assert len(entries) > 200
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if e["fuzzy"]]
    assert untranslated == [] and fuzzy == []
    catalogue = gettext.GNUTranslations((po.with_suffix(".mo")).open("rb"))
    for e in entries:
        if "plural" in e:
            continue
        found = (catalogue.pgettext(e["context"], e["msgid"]) if "context" in e
                 else catalogue.gettext(e["msgid"]))
        assert found == e["msgstr"][0], "compile the catalogue"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (make system-deps)")
def test_catalogues_cover_every_string_in_the_code(tmp_path):
    copy = tmp_path / "vaka"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "--no-obsolete",
         *[f"-l={lang}" for lang in LANGUAGES]],
        cwd=copy, check=True, capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "vaka.settings", "PATH": "/usr/bin:/bin",
             "VAKA_DATA_DIR": str(tmp_path / "var"),
             "PYTHONPATH": str(SOURCE.parent)})
    for language in LANGUAGES:
        entries = parse_po(copy / "locale" / language / "LC_MESSAGES" / "django.po")
        missing = [e["msgid"] for e in entries
                   if e["msgid"] and (e["fuzzy"] or not all(e["msgstr"].values()))]
        assert missing == [], f"{language}: run `make messages` and translate these"
