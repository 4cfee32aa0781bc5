"""The procedure catalogue and the online-submission guide built on it. Pure: no Flask, no
database.

Where is what:

* `model` – the catalogue as frozen values; `schema`, `checks` and `loader` read and validate
  ``procedures.yaml`` into them;
* `text` and `search` – folding, stop words and the ranked search in citizens' own words;
* `fees` – fee amounts and the fee text, generated from the same rules;
* `checklist` – the yes / no / not-sure wizard;
* `guide`, `links`, `present`, `printout`, `bundle` – what the guide shows, links to, prints
  and keeps for offline use;
* `review` – what staff should check (``motcua catalogue check``).
"""

from kiosk.catalogue.guide import load_procedures
from kiosk.catalogue.loader import load_catalogue
from kiosk.catalogue.model import Catalogue, CatalogueError, Procedure

__all__ = ["Catalogue", "CatalogueError", "Procedure", "load_catalogue", "load_procedures"]
