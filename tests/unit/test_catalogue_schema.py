"""What the catalogue loader refuses, and how it says so: every broken value names the file,
the entry (index and code) and the field; YAML mistakes name their line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import CatalogueError, load_catalogue, load_procedures
from tests.catalogue_cast import RAW, SEED_TEXT, at, change, proc, write


def _duplicate_document(raw: dict[str, Any]) -> None:
    documents = proc(raw, "1.000656")["documents"]
    documents.append(dict(documents[0]))


def _doc_in_wrong_branch(raw: dict[str, Any]) -> None:
    wizard = proc(raw, "1.001612")["wizard"]
    wizard[1]["if_yes"]["add_documents"] = []
    wizard[1]["if_no"]["add_documents"] = ["uy_quyen"]


def _fee_window(raw: dict[str, Any]) -> None:
    case = proc(raw, "2.000635")["fee"]["rule"]["cases"][0]
    case["valid_from"], case["valid_to"] = "2027-02-28", "2026-08-15"


def _duplicate_question(raw: dict[str, Any]) -> None:
    wizard = proc(raw, "2.000884")["wizard"]
    wizard[2]["id"] = wizard[0]["id"]


def _no_nganh_doc_template(raw: dict[str, Any]) -> None:
    del raw["catalogue"]["dvcqg_nganh_doc_url_template"]


def _meta(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def apply(raw: dict[str, Any]) -> None:
        raw["catalogue"][key] = value

    return apply


def _counter_group_field(raw: dict[str, Any]) -> None:
    del raw["counter_groups"]["HOTRO"]["name_en"]


WIZ_NOTE = ("wizard", 0, "if_no", "notes_vi", 0)
URL = "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=2.000884"
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "when names no question",
        change("1.004873", "documents", 1, "when", value="yes:foo"),
        f"{at('1.004873')}: documents[1].when: 'yes:foo' names no wizard question",
    ),
    (
        "add_documents names no document",
        change("1.001612", "wizard", 1, "if_yes", "add_documents", value=["giay_phep"]),
        f"{at('1.001612')}: wizard[1].if_yes.add_documents[0]: 'giay_phep' names no document",
    ),
    (
        "yes: document missing from its branch",
        change("1.001612", "wizard", 1, "if_yes", "add_documents", value=[]),
        f"{at('1.001612')}: documents[2].when: 'yes:by_proxy' but wizard question "
        "'by_proxy' does not list 'uy_quyen' in its if_yes.add_documents",
    ),
    (
        "document added by the wrong branch",
        _doc_in_wrong_branch,
        f"{at('1.001612')}: wizard[1].if_no.add_documents[0]: document 'uy_quyen' "
        "has when 'yes:by_proxy', not 'no:by_proxy'",
    ),
    (
        "counter group",
        change("1.001699", "counter_group", value="XAHOI"),
        f"{at('1.001699')}: counter_group: 'XAHOI' is not a key of counter_groups",
    ),
    (
        "field without an English name",
        change("1.004873", "field", value="Dân sự"),
        f"{at('1.004873')}: field: 'Dân sự' is not a key of fields",
    ),
    (
        "duplicate code",
        change("2.000635", "code", value="1.004873"),
        f"procedures[15] (code 1.004873): code: 1.004873 is already used by {at('1.004873')}",
    ),
    (
        "alt code clash",
        change("2.000635", "alt_codes", value=["3.000722"]),
        f"{at('2.000635')}: alt_codes: 3.000722 is already used by {at('2.000986')}",
    ),
    (
        "suggestion is not a code",
        change("1.001193", "wizard", 2, "if_no", "suggest_procedure", value="khai sinh"),
        f"{at('1.001193')}: wizard[2].if_no.suggest_procedure: 'khai sinh' is not a bare "
        'national code like "1.001193"',
    ),
    (
        "suggestion is the procedure itself",
        change("1.001193", "wizard", 2, "if_no", "suggest_procedure", value="1.001193"),
        f"{at('1.001193')}: wizard[2].if_no.suggest_procedure: 1.001193 is this procedure itself",
    ),
    (
        "unknown exemption",
        change("1.004873", "fee", "exemptions", value=["ho_ngheo", "sinh_vien"]),
        f"{at('1.004873')}: fee.exemptions[1]: 'sinh_vien' is not a key of fee_exemption_groups",
    ),
    (
        "fee question",
        change("1.000656", "fee", "rule", "question", value="late"),
        f"{at('1.000656')}: fee.rule.question: 'late' names no wizard question",
    ),
    (
        "fee window reversed",
        _fee_window,
        f"{at('2.000635')}: fee.rule.cases[0].valid_to: 2026-08-15 is before valid_from 2027-02-28",
    ),
    (
        "fee date format",
        change("2.000635", "fee", "rule", "cases", 0, "valid_from", value="15/8/2026"),
        f"{at('2.000635')}: fee.rule.cases[0].valid_from: '15/8/2026' is not a date YYYY-MM-DD",
    ),
    (
        "fee has amount and rule",
        change("1.000656", "fee", "amount_vnd", value=5000),
        f"{at('1.000656')}: fee: has both amount_vnd and rule; keep one",
    ),
    (
        "fee has neither",
        change("2.000884", "fee", "amount_vnd", delete=True),
        f"{at('2.000884')}: fee: needs amount_vnd (null = unknown) or rule",
    ),
    (
        "negative fee",
        change("2.000884", "fee", "amount_vnd", value=-10000),
        f"{at('2.000884')}: fee.amount_vnd: Input should be greater than or equal to 0",
    ),
    (
        "nothing charged, yet an amount",
        change("2.000986", "fee", "amount_vnd", value=5000),
        f"{at('2.000986')}: fee.kind: none (nothing is charged) needs amount_vnd 0 and no rule",
    ),
    (
        "charge kind",
        change("2.000884", "fee", "kind", value="le-phi"),
        f"{at('2.000884')}: fee.kind: Input should be 'le_phi', 'phi' or 'none'",
    ),
    (
        "unknown rule kind",
        change("2.000815", "fee", "rule", "kind", value="per_page"),
        f"{at('2.000815')}: fee.rule: ",
    ),
    (
        "tier gap",
        change("2.000815", "fee", "rule", "tiers", 1, "from_page", value=4),
        f"{at('2.000815')}: fee.rule.tiers[1].from_page: 4, expected 3 (no gaps or overlaps)",
    ),
    (
        "last tier closed",
        change("2.000815", "fee", "rule", "tiers", 1, "to_page", value=100),
        f"{at('2.000815')}: fee.rule.tiers[1].to_page: the last tier must be open (null)",
    ),
    (
        "tier example wrong",
        change("2.000815", "fee", "rule", "examples", 2, "total_vnd", value=15000),
        f"{at('2.000815')}: fee.rule.examples[2].total_vnd: 15000, but the tiers give "
        "14000 for 5 pages x 2 copies",
    ),
    (
        "tiered per case",
        change("2.000815", "fee", "unit", value="per_case"),
        f"{at('2.000815')}: fee.unit: tiered_per_page is computed per copy",
    ),
    (
        "amount as text",
        change("2.000815", "fee", "rule", "tiers", 0, "vnd_per_page", value="2.000"),
        f"{at('2.000815')}: fee.rule.tiers[0].vnd_per_page: Input should be a valid integer",
    ),
    (
        "an amount written in a note",
        change("1.001193", *WIZ_NOTE, value="Quá hạn: lệ phí 5.000 đ."),
        f"{at('1.001193')}: wizard[0].if_no.notes_vi[0]: names the amount '5.000 đ'; amounts "
        "belong in the fee rule",
    ),
    (
        "an amount in the fee note",
        change("2.001035", "fee", "note", "en", value="Mortgage contracts: 0 VND."),
        f"{at('2.001035')}: fee.note.en: names the amount '0 VND'",
    ),
    (
        "one question",
        change("2.000884", "wizard", value=RAW["procedures"][16]["wizard"][:1]),
        f"{at('2.000884')}: wizard: List should have at least 2 items",
    ),
    (
        "duplicate question id",
        _duplicate_question,
        f"{at('2.000884')}: wizard[2].id: 'not_signed_yet' is used twice",
    ),
    (
        "duplicate document id",
        _duplicate_document,
        f"{at('1.000656')}: documents[4].id: 'to_khai' is used twice",
    ),
    (
        "stop branch adds documents",
        change("2.000815", "wizard", 0, "if_no", "add_documents", value=["ban_chup"]),
        f"{at('2.000815')}: wizard[0].if_no.add_documents[0]: document 'ban_chup' has when",
    ),
    (
        "both answers stop",
        change("2.000815", "wizard", 0, "if_yes", "stop", value=True),
        f"{at('2.000815')}: wizard[0]: both answers stop, so the procedure never applies",
    ),
    (
        "notes unpaired",
        change("1.001699", "wizard", 3, "if_no", "notes_en", value=[]),
        f"{at('1.001699')}: wizard[3].if_no.notes_en: 0 notes for 1 in notes_vi",
    ),
    (
        "answer must be a boolean",
        change("1.000656", "fee", "rule", "cases", 0, "answer", value="yes"),
        f"{at('1.000656')}: fee.rule.cases[0].answer: Input should be a valid boolean",
    ),
    (
        "a paper's online handling",
        change("2.000884", "documents", 0, "online", value="upload"),
        f"{at('2.000884')}: documents[0].online: upload but the procedure is in person only",
    ),
    (
        "a paper for the counter in a fully online procedure",
        change("1.004873", "documents", 0, "online", value="counter"),
        f"{at('1.004873')}: documents[0].online: counter but the procedure is fully online",
    ),
    (
        "a paper's online handling is required",
        change("1.004873", "documents", 0, "online", delete=True),
        f"{at('1.004873')}: documents[0].online: is missing",
    ),
    (
        "a case without its English",
        change("1.001193", "documents", 4, "case_en", delete=True),
        f"{at('1.001193')}: documents[4].case_en: a case: document needs its text in English too",
    ),
    (
        "a note without its English",
        change("1.001193", "documents", 1, "note_en", delete=True),
        f"{at('1.001193')}: documents[1].note_en: note and note_en go together",
    ),
    (
        "missing field",
        change("1.004873", "name_en", delete=True),
        f"{at('1.004873')}: name_en: is missing",
    ),
    (
        "unknown key",
        change("1.004873", "verfied_on", value="2026-01-01"),
        f"{at('1.004873')}: verfied_on: is not a known key (typo?)",
    ),
    (
        "unknown online class",
        change("1.004873", "online_class", value="muc_do_4"),
        f"{at('1.004873')}: online_class: Input should be 'toan_trinh', 'mot_phan' or 'truc_tiep'",
    ),
    (
        "every entry says how it is submitted",
        change("1.004873", "online_class", value=None),
        f"{at('1.004873')}: online_class: Input should be 'toan_trinh', 'mot_phan' or 'truc_tiep'",
    ),
    (
        "online class without the online channel",
        change("1.004873", "channels", value=["truc_tiep"]),
        f"{at('1.004873')}: channels: online_class toan_trinh needs truc_tuyen in channels",
    ),
    (
        "in person only, yet online",
        change("2.000884", "channels", value=["truc_tiep", "truc_tuyen"]),
        f"{at('2.000884')}: channels: online_class truc_tiep (in person only) cannot list "
        "truc_tuyen",
    ),
    (
        "verified_on not a date",
        change("1.004873", "verified_on", value="2026-02-30"),
        f"{at('1.004873')}: verified_on: '2026-02-30' is not a real date",
    ),
    (
        "no source",
        change("1.004873", "sources", value=[]),
        f"{at('1.004873')}: sources: List should have at least 1 item",
    ),
    (
        "a source read after the last check",
        change("1.004873", "sources", 0, "checked_on", value="2026-12-04"),
        f"{at('1.004873')}: sources[0].checked_on: 2026-12-04 is after last_checked 2026-12-03",
    ),
    (
        "unverified fact of an unknown kind",
        change("1.004873", "unverified", 0, "fact", value="price"),
        f"{at('1.004873')}: unverified[0].fact: Input should be",
    ),
    (
        "deep link to another procedure",
        change("2.000908", "dvcqg_url", value=URL),
        f"{at('2.000908')}: dvcqg_url: links ma_thu_tuc=2.000884, not this procedure's code",
    ),
    (
        "plain http",
        change("2.000908", "dvcqg_url", value="http://dichvucong.gov.vn/x?ma_thu_tuc=2.000908"),
        f"{at('2.000908')}: dvcqg_url: 'http://dichvucong.gov.vn/x?ma_thu_tuc=2.000908' "
        "must start with https://",
    ),
    (
        "vertical sector needs the nganh-doc template",
        _no_nganh_doc_template,
        f"{at('1.004222')}: vertical_sector: needs catalogue.dvcqg_nganh_doc_url_template",
    ),
    (
        "meta template without {code}",
        _meta("dvcqg_url_template", "https://dichvucong.gov.vn/p/home/x.html"),
        "catalogue: dvcqg_url_template: 'https://dichvucong.gov.vn/p/home/x.html' "
        "must contain {code}",
    ),
    (
        "meta time zone",
        _meta("timezone", "Asia/Hanoi_City"),
        "catalogue: timezone: 'Asia/Hanoi_City' is not a known time zone",
    ),
    (
        "featured code not in the catalogue",
        _meta("featured", ["1.001193", "9.999999"]),
        "catalogue.featured[1]: 9.999999 is not a procedure of this catalogue",
    ),
    (
        "counter group entry",
        _counter_group_field,
        "counter_groups.HOTRO: name_en: is missing",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_catalogue_names_file_entry_and_field(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    path = write(tmp_path, raw)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    first_line = str(info.value).splitlines()[0]
    assert first_line.startswith(f"{path}: {expected}")


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    change("1.004873", "documents", 1, "when", value="yes:foo")(raw)
    proc(raw, "1.001699")["counter_group"] = "XAHOI"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, raw))
    lines = str(info.value).splitlines()
    assert any("documents[1].when" in line for line in lines)
    assert any("(code 1.001699): counter_group" in line for line in lines)
    assert all(line.startswith(str(tmp_path)) for line in lines)


def _text_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "procedures.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def test_an_unquoted_code_is_a_number_and_rejected(tmp_path: Path) -> None:
    message = _text_error(tmp_path, SEED_TEXT.replace('code: "1.004873"', "code: 1.004873"))
    index = at("1.004873").split(" ")[0]
    assert message.splitlines()[0].endswith(
        f"{index}: code: must be a quoted string (YAML read 1.004873 as a number)"
    )


def test_a_repeated_key_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = SEED_TEXT.replace('    level: "xa"\n', '    level: "xa"\n    level: "xa"\n', 1)
    message = _text_error(tmp_path, text)
    line = text.splitlines().index('    level: "xa"') + 2
    expected = f"invalid YAML: duplicate key 'level' (line {line}, column 5)"
    assert message == f"{tmp_path / 'procedures.yaml'}: {expected}"


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    message = _text_error(tmp_path, "catalogue:\n  version: 2\n procedures: [\n")
    assert "invalid YAML" in message and "line" in message


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    assert "(top level): expected a mapping" in _text_error(tmp_path, "- 1\n- 2\n")


def test_a_missing_section(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    del raw["fields"]
    with pytest.raises(CatalogueError, match=r"procedures.yaml: fields: is missing"):
        load_catalogue(write(tmp_path, raw))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nowhere.yaml: cannot read the file"):
        load_catalogue(tmp_path / "nowhere.yaml")


def test_no_catalogue_file_means_none(tmp_path: Path) -> None:
    assert load_procedures(tmp_path) is None


def test_many_problems_are_capped(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    for p in raw["procedures"]:
        p["level"] = "tinh"
        p["confidence"] = "high"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, raw))
    lines = str(info.value).splitlines()
    more = 2 * len(raw["procedures"]) - 20
    assert len(lines) == 21 and lines[-1].endswith(f"… and {more} more problems")
