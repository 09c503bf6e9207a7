"""Writes locale/countries/cy/LC_MESSAGES/django.po and .mo: the country names in Welsh.

django-countries, which names the countries, has no Welsh catalogue. Its English names are the
msgids here, and the Unicode CLDR's Welsh names (through Babel) the translations; Django merges
this catalogue with the site's own (settings.LOCALE_PATHS). Run by `make messages`; the output is
committed, so the site needs neither Babel nor gettext to run.
"""

import os
import sys
from pathlib import Path

import django
import polib
from babel import Locale

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
django.setup()

from django.utils import translation  # noqa: E402
from django_countries.base import CountriesBase  # noqa: E402
from django_countries.data import COUNTRIES  # noqa: E402

welsh = Locale("cy").territories
catalogue = polib.POFile()
catalogue.metadata = {
    "Project-Id-Version": "Co-production Case Catalogue: country names",
    "Language": "cy",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;",
}
names = {}
with translation.override(None):  # the msgids: django-countries' names untranslated
    # Its official names, and the common names it shows instead (United Kingdom, ...).
    for code, name in [*COUNTRIES.items(), *CountriesBase.COMMON_NAMES.items()]:
        names[str(name)] = code
for name, code in sorted(names.items()):
    catalogue.append(polib.POEntry(msgid=name, msgstr=welsh[code], comment=code))
target = HERE / "cy" / "LC_MESSAGES"
target.mkdir(parents=True, exist_ok=True)
catalogue.save(str(target / "django.po"))
catalogue.save_as_mofile(str(target / "django.mo"))
print(f"{len(catalogue)} country names in Welsh written to {target}")
