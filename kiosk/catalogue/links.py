"""Links to the national portal, and the dossier code a citizen types. Pure.

A procedure's own `dvcqg_url` wins. Otherwise the code goes into
`catalogue.dvcqg_url_template`, or, for a procedure marked `vertical_sector: true` (police and
other vertical-sector procedures such as cư trú), into
`catalogue.dvcqg_nganh_doc_url_template`, which the loader then requires.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from kiosk.catalogue.model import Catalogue, Procedure

DOSSIER_CODE_MAX_LENGTH = 40


def procedure_url(catalogue: Catalogue, procedure: Procedure) -> str:
    """The procedure's page on the national portal (see the module docstring for the rules)."""
    if procedure.dvcqg_url:
        return procedure.dvcqg_url
    template = catalogue.meta.dvcqg_url_template
    if procedure.vertical_sector and catalogue.meta.dvcqg_nganh_doc_url_template:
        template = catalogue.meta.dvcqg_nganh_doc_url_template
    return template.replace("{code}", procedure.code)


def code_url(catalogue: Catalogue, code: str) -> str:
    """The portal page of `code`, also for a suggested procedure outside the catalogue."""
    procedure = catalogue.get(code)
    if procedure is not None:
        return procedure_url(catalogue, procedure)
    return catalogue.meta.dvcqg_url_template.replace("{code}", code)


def lookup_url(catalogue: Catalogue) -> str:
    """The portal page where a citizen looks up a dossier by its code."""
    return catalogue.meta.dvcqg_lookup_url


def portal_home_url(catalogue: Catalogue) -> str:
    """The portal's home page, derived from the lookup page's origin."""
    parts = urlsplit(lookup_url(catalogue))
    return f"{parts.scheme}://{parts.netloc}/"


def normalize_dossier_code(s: str) -> str:
    """Trim and upper-case a typed dossier code (mã hồ sơ), which is otherwise opaque.

    The format is being re-specified, so nothing else is checked. Raises ValueError when it is
    empty or longer than DOSSIER_CODE_MAX_LENGTH characters.
    """
    code = s.strip().upper()
    if not code:
        raise ValueError("the dossier code is empty")
    if len(code) > DOSSIER_CODE_MAX_LENGTH:
        raise ValueError(f"the dossier code is longer than {DOSSIER_CODE_MAX_LENGTH} characters")
    return code
