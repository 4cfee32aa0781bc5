"""The procedure catalogue: loading and validation, search, fields, deep links, dossier codes."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.catalogue import (
    DOSSIER_CODE_MAX_LENGTH,
    Catalogue,
    CatalogueError,
    fields,
    load_catalogue,
    lookup_url,
    normalize_dossier_code,
    procedure_url,
    search,
    unresolved_suggestions,
    unverified_label,
)
from kiosk.domain.textsearch import edit_distance, fold

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "config" / "procedures.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")
RAW = yaml.safe_load(SEED_TEXT)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(SEED)


def codes(found: list[Any]) -> list[str]:
    return [p.code for p in found]


# --- loading the seed ----------------------------------------------------------------------------


def test_seed_is_the_shared_domain_file_verbatim() -> None:
    shared = Path("/work/shared/domain/procedures.yaml")
    if not shared.exists():
        pytest.skip("shared domain folder not mounted")
    assert SEED.read_bytes() == shared.read_bytes()


def test_seed_loads_every_procedure_with_its_elements(cat: Catalogue) -> None:
    assert [p.code for p in cat.procedures] == [p["code"] for p in RAW["procedures"]]
    assert cat.source == str(SEED)
    assert cat.meta.version == 1
    assert cat.meta.timezone == "Asia/Ho_Chi_Minh"
    assert cat.meta.dvcqg_nganh_doc_url_template is None
    assert [g.key for g in cat.counter_groups] == list(RAW["counter_groups"])
    assert cat.counter_group("HOTICH") is not None
    assert cat.counter_group("HOTICH").example_prefix == "B"  # type: ignore[union-attr]
    assert [g.id for g in cat.fee_exemption_groups] == list(RAW["fee_exemption_groups"])

    birth = cat.get("1.001193")
    assert birth is not None
    assert birth.name_vi == "Đăng ký khai sinh"
    assert birth.field == "Hộ tịch" and birth.level == "xa" and birth.online_class is None
    assert birth.channels == ("truc_tiep", "buu_chinh", "truc_tuyen")
    assert len(birth.steps) == 4 and birth.steps[0].en.startswith("Prepare")
    assert [d.id for d in birth.documents] == [
        "to_khai",
        "giay_chung_sinh",
        "xac_nhan_viec_sinh",
        "mang_thai_ho",
    ]
    surrogacy = birth.document("mang_thai_ho")
    assert surrogacy is not None and surrogacy.when_kind == "case"
    assert surrogacy.case_vi == "Chỉ khi sinh con nhờ mang thai hộ – cán bộ hướng dẫn"
    assert birth.document("giay_chung_sinh").when_question == "has_birth_cert"  # type: ignore[union-attr]
    assert birth.present_id is True
    assert birth.time_limit.value == 0 and birth.time_limit.cutoff_15h is True
    assert birth.fee.rule is not None and birth.fee.rule.kind == "by_answer"
    assert [g.id for g in birth.fee.exemptions] == [
        "ho_ngheo",
        "nguoi_khuyet_tat",
        "gia_dinh_nguoi_co_cong",
    ]
    assert birth.result_vi == "Giấy khai sinh (bản chính)"
    assert birth.counter_group == "HOTICH"
    assert [q.id for q in birth.wizard] == [
        "under_60_days",
        "has_birth_cert",
        "parents_married",
        "vneid2",
    ]
    assert birth.wizard[2].if_no.suggest_procedure == "1.000689"
    assert birth.confidence == "2nd"
    assert birth.notes_en is not None and "bundle" in birth.notes_en


def test_every_seed_entry_is_unverified_and_labelled(cat: Catalogue) -> None:
    for procedure in cat.procedures:
        assert procedure.verified_on is None and procedure.verified is False
        assert unverified_label(cat, procedure) == "Thông tin tham khảo, chưa được xác minh"


def test_verified_on_marks_an_entry_verified(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["procedures"][0]["verified_on"] = "2026-11-20"
    cat = load_catalogue(write(tmp_path, raw))
    first = cat.procedures[0]
    assert first.verified and first.verified_on == date(2026, 11, 20)
    assert unverified_label(cat, first) is None
    # An unquoted YAML date is read as a date and accepted too.
    text = SEED_TEXT.replace("verified_on: null", "verified_on: 2026-11-21", 1)
    path = tmp_path / "unquoted.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_catalogue(path).procedures[0].verified_on == date(2026, 11, 21)


def test_get_finds_codes_and_alt_codes(cat: Catalogue) -> None:
    assert cat.get("2.000986") is cat.get("3.000722") is cat.get(" 3.000722 ")
    assert cat.get("1.000656") is cat.get("2.002913")
    assert cat.get("9.999999") is None


def test_unresolved_suggestions_lists_codes_outside_the_catalogue(cat: Catalogue) -> None:
    assert unresolved_suggestions(cat) == [
        ("1.001193", "parents_married", "1.000689"),
        ("1.000894", "both_vn_residents", "2.000806"),
    ]


# --- loader errors -------------------------------------------------------------------------------


def write(tmp_path: Path, raw: dict[str, Any], name: str = "procedures.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(raw, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def proc(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in raw["procedures"] if p["code"] == code)


def _set(code: str, key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        proc(raw, code)[key] = value

    return change


def _doc_when(raw: dict[str, Any]) -> None:
    proc(raw, "1.004873")["documents"][1]["when"] = "yes:foo"


def _add_unknown_doc(raw: dict[str, Any]) -> None:
    proc(raw, "1.001612")["wizard"][1]["if_yes"]["add_documents"] = ["giay_phep"]


def _doc_not_in_branch(raw: dict[str, Any]) -> None:
    proc(raw, "1.001612")["wizard"][1]["if_yes"]["add_documents"] = []


def _doc_in_wrong_branch(raw: dict[str, Any]) -> None:
    wizard = proc(raw, "1.001612")["wizard"]
    wizard[1]["if_yes"]["add_documents"] = []
    wizard[1]["if_no"]["add_documents"] = ["uy_quyen"]


def _duplicate_code(raw: dict[str, Any]) -> None:
    proc(raw, "2.000635")["code"] = "1.004873"


def _alt_code_clash(raw: dict[str, Any]) -> None:
    proc(raw, "2.000635")["alt_codes"] = ["3.000722"]


def _bad_suggestion(raw: dict[str, Any]) -> None:
    proc(raw, "1.001193")["wizard"][2]["if_no"]["suggest_procedure"] = "khai sinh"


def _self_suggestion(raw: dict[str, Any]) -> None:
    proc(raw, "1.001193")["wizard"][2]["if_no"]["suggest_procedure"] = "1.001193"


def _unknown_exemption(raw: dict[str, Any]) -> None:
    proc(raw, "1.004873")["fee"]["exemptions"] = ["ho_ngheo", "sinh_vien"]


def _fee_question(raw: dict[str, Any]) -> None:
    proc(raw, "1.000656")["fee"]["rule"]["question"] = "late"


def _fee_window(raw: dict[str, Any]) -> None:
    case = proc(raw, "2.000635")["fee"]["rule"]["cases"][0]
    case["valid_from"], case["valid_to"] = "2027-02-28", "2026-08-15"


def _fee_date_format(raw: dict[str, Any]) -> None:
    proc(raw, "2.000635")["fee"]["rule"]["cases"][0]["valid_from"] = "15/8/2026"


def _fee_both(raw: dict[str, Any]) -> None:
    proc(raw, "1.000656")["fee"]["amount_vnd"] = 5000


def _fee_neither(raw: dict[str, Any]) -> None:
    del proc(raw, "2.000884")["fee"]["amount_vnd"]


def _fee_negative(raw: dict[str, Any]) -> None:
    proc(raw, "2.000884")["fee"]["amount_vnd"] = -10000


def _fee_kind(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["rule"]["kind"] = "per_page"


def _tier_gap(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["rule"]["tiers"][1]["from_page"] = 4


def _tier_closed(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["rule"]["tiers"][1]["to_page"] = 100


def _tier_example(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["rule"]["examples"][2]["total_vnd"] = 15000


def _tier_unit(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["unit"] = "per_case"


def _tier_amount_type(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["fee"]["rule"]["tiers"][0]["vnd_per_page"] = "2.000"


def _one_question(raw: dict[str, Any]) -> None:
    proc(raw, "2.000884")["wizard"] = proc(raw, "2.000884")["wizard"][:1]


def _duplicate_question(raw: dict[str, Any]) -> None:
    wizard = proc(raw, "2.000884")["wizard"]
    wizard[2]["id"] = wizard[0]["id"]


def _duplicate_document(raw: dict[str, Any]) -> None:
    documents = proc(raw, "1.000656")["documents"]
    documents.append(dict(documents[0]))


def _stop_adds(raw: dict[str, Any]) -> None:
    branch = proc(raw, "2.000815")["wizard"][0]["if_no"]
    branch["add_documents"] = ["ban_chup"]


def _both_stop(raw: dict[str, Any]) -> None:
    proc(raw, "2.000815")["wizard"][0]["if_yes"]["stop"] = True


def _notes_unpaired(raw: dict[str, Any]) -> None:
    proc(raw, "1.001699")["wizard"][3]["if_no"]["notes_en"] = []


def _answer_not_bool(raw: dict[str, Any]) -> None:
    proc(raw, "1.000656")["fee"]["rule"]["cases"][0]["answer"] = "yes"


def _url_other_code(raw: dict[str, Any]) -> None:
    proc(raw, "2.000908")["dvcqg_url"] = proc(raw, "2.000884")["dvcqg_url"]


def _meta_template(raw: dict[str, Any]) -> None:
    raw["catalogue"]["dvcqg_url_template"] = "https://dichvucong.gov.vn/p/home/x.html"


def _meta_timezone(raw: dict[str, Any]) -> None:
    raw["catalogue"]["timezone"] = "Asia/Hanoi_City"


def _counter_group_field(raw: dict[str, Any]) -> None:
    del raw["counter_groups"]["HOTRO"]["name_en"]


def _vertical_without_template(raw: dict[str, Any]) -> None:
    proc(raw, "2.000986")["vertical_sector"] = True


# How messages name procedure i of the seed.
E = {i: f"procedures[{i}] (code {p['code']})" for i, p in enumerate(RAW["procedures"])}

BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "when names no question",
        _doc_when,
        f"{E[3]}: documents[1].when: 'yes:foo' names no wizard question",
    ),
    (
        "add_documents names no document",
        _add_unknown_doc,
        f"{E[10]}: wizard[1].if_yes.add_documents[0]: 'giay_phep' names no document",
    ),
    (
        "yes: document missing from its branch",
        _doc_not_in_branch,
        f"{E[10]}: documents[2].when: 'yes:by_proxy' but wizard question "
        "'by_proxy' does not list 'uy_quyen' in its if_yes.add_documents",
    ),
    (
        "document added by the wrong branch",
        _doc_in_wrong_branch,
        f"{E[10]}: wizard[1].if_no.add_documents[0]: document 'uy_quyen' "
        "has when 'yes:by_proxy', not 'no:by_proxy'",
    ),
    (
        "counter group",
        _set("1.001699", "counter_group", "XAHOI"),
        f"{E[11]}: counter_group: 'XAHOI' is not a key of counter_groups",
    ),
    (
        "duplicate code",
        _duplicate_code,
        f"procedures[5] (code 1.004873): code: 1.004873 is already used by {E[3]}",
    ),
    (
        "alt code clash",
        _alt_code_clash,
        f"{E[5]}: alt_codes: 3.000722 is already used by procedures[1] (code 2.000986)",
    ),
    (
        "suggestion is not a code",
        _bad_suggestion,
        f"{E[0]}: wizard[2].if_no.suggest_procedure: 'khai sinh' is not a bare "
        'national code like "1.001193"',
    ),
    (
        "suggestion is the procedure itself",
        _self_suggestion,
        f"{E[0]}: wizard[2].if_no.suggest_procedure: 1.001193 is this procedure itself",
    ),
    (
        "unknown exemption",
        _unknown_exemption,
        f"{E[3]}: fee.exemptions[1]: 'sinh_vien' is not a key of fee_exemption_groups",
    ),
    (
        "fee question",
        _fee_question,
        f"{E[4]}: fee.rule.question: 'late' names no wizard question",
    ),
    (
        "fee window reversed",
        _fee_window,
        f"{E[5]}: fee.rule.cases[0].valid_to: 2026-08-15 is before valid_from 2027-02-28",
    ),
    (
        "fee date format",
        _fee_date_format,
        f"{E[5]}: fee.rule.cases[0].valid_from: '15/8/2026' is not a date YYYY-MM-DD",
    ),
    (
        "fee has amount and rule",
        _fee_both,
        f"{E[4]}: fee: has both amount_vnd and rule; keep one",
    ),
    (
        "fee has neither",
        _fee_neither,
        f"{E[8]}: fee: needs amount_vnd (null = unknown) or rule",
    ),
    (
        "negative fee",
        _fee_negative,
        f"{E[8]}: fee.amount_vnd: Input should be greater than or equal to 0",
    ),
    ("unknown rule kind", _fee_kind, f"{E[7]}: fee.rule: "),
    (
        "tier gap",
        _tier_gap,
        f"{E[7]}: fee.rule.tiers[1].from_page: 4, expected 3 (no gaps or overlaps)",
    ),
    (
        "last tier closed",
        _tier_closed,
        f"{E[7]}: fee.rule.tiers[1].to_page: the last tier must be open (null)",
    ),
    (
        "tier example wrong",
        _tier_example,
        f"{E[7]}: fee.rule.examples[2].total_vnd: 15000, but the tiers give "
        "14000 for 5 pages x 2 copies",
    ),
    (
        "tiered per case",
        _tier_unit,
        f"{E[7]}: fee.unit: tiered_per_page is computed per copy",
    ),
    (
        "amount as text",
        _tier_amount_type,
        f"{E[7]}: fee.rule.tiers[0].vnd_per_page: Input should be a valid integer",
    ),
    (
        "one question",
        _one_question,
        f"{E[8]}: wizard: List should have at least 2 items",
    ),
    (
        "duplicate question id",
        _duplicate_question,
        f"{E[8]}: wizard[2].id: 'not_signed_yet' is used twice",
    ),
    (
        "duplicate document id",
        _duplicate_document,
        f"{E[4]}: documents[3].id: 'to_khai' is used twice",
    ),
    (
        "stop branch adds documents",
        _stop_adds,
        f"{E[7]}: wizard[0].if_no.add_documents[0]: document 'ban_chup' has when",
    ),
    (
        "both answers stop",
        _both_stop,
        f"{E[7]}: wizard[0]: both answers stop, so the procedure never applies",
    ),
    (
        "notes unpaired",
        _notes_unpaired,
        f"{E[11]}: wizard[3].if_no.notes_en: 0 notes for 1 in notes_vi",
    ),
    (
        "answer must be a boolean",
        _answer_not_bool,
        f"{E[4]}: fee.rule.cases[0].answer: Input should be a valid boolean",
    ),
    (
        "missing field",
        lambda raw: proc(raw, "1.004873").pop("name_en"),
        f"{E[3]}: name_en: is missing",
    ),
    (
        "unknown key",
        _set("1.004873", "verfied_on", "2026-01-01"),
        f"{E[3]}: verfied_on: is not a known key (typo?)",
    ),
    (
        "unknown online class",
        _set("1.004873", "online_class", "muc_do_4"),
        f"{E[3]}: online_class: Input should be 'toan_trinh', 'mot_phan' or 'truc_tiep'",
    ),
    (
        "online class without the online channel",
        _set("1.004873", "channels", ["truc_tiep"]),
        f"{E[3]}: channels: online_class toan_trinh needs truc_tuyen in channels",
    ),
    (
        "in person only, yet online",
        _set("2.000884", "channels", ["truc_tiep", "truc_tuyen"]),
        f"{E[8]}: channels: online_class truc_tiep (in person only) cannot list truc_tuyen",
    ),
    (
        "verified_on not a date",
        _set("1.004873", "verified_on", "2026-02-30"),
        f"{E[3]}: verified_on: '2026-02-30' is not a real date",
    ),
    (
        "deep link to another procedure",
        _url_other_code,
        f"{E[9]}: dvcqg_url: links ma_thu_tuc=2.000884, not this procedure's code",
    ),
    (
        "plain http",
        _set("2.000908", "dvcqg_url", "http://dichvucong.gov.vn/x?ma_thu_tuc=2.000908"),
        f"{E[9]}: dvcqg_url: 'http://dichvucong.gov.vn/x?ma_thu_tuc=2.000908' "
        "must start with https://",
    ),
    (
        "vertical sector needs the nganh-doc template",
        _vertical_without_template,
        f"{E[1]}: vertical_sector: needs catalogue.dvcqg_nganh_doc_url_template",
    ),
    (
        "meta template without {code}",
        _meta_template,
        "catalogue: dvcqg_url_template: 'https://dichvucong.gov.vn/p/home/x.html' "
        "must contain {code}",
    ),
    (
        "meta time zone",
        _meta_timezone,
        "catalogue: timezone: 'Asia/Hanoi_City' is not a known time zone",
    ),
    (
        "counter group entry",
        _counter_group_field,
        "counter_groups.HOTRO: name_en: is missing",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_catalogue_names_file_entry_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    raw = copy.deepcopy(RAW)
    change(raw)
    path = write(tmp_path, raw)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    first_line = str(info.value).splitlines()[0]
    assert first_line.startswith(f"{path}: {expected}")


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    _doc_when(raw)
    proc(raw, "1.001699")["counter_group"] = "XAHOI"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, raw))
    lines = str(info.value).splitlines()
    assert any("documents[1].when" in line for line in lines)
    assert any("(code 1.001699): counter_group" in line for line in lines)
    assert all(line.startswith(str(tmp_path)) for line in lines)


def test_the_example_message_from_the_brief(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["procedures"][3]["code"] = "1.001193"
    raw["procedures"][0]["code"] = "1.009999"
    raw["procedures"][0]["dvcqg_url"] = None
    raw["procedures"][3]["dvcqg_url"] = None
    raw["procedures"][3]["documents"][2]["when"] = "yes:foo"
    raw["procedures"][3]["wizard"][2]["if_yes"]["add_documents"] = []
    path = write(tmp_path, raw)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert str(info.value) == (
        f"{path}: procedures[3] (code 1.001193): documents[2].when: "
        "'yes:foo' names no wizard question"
    )


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
    assert message.splitlines()[0].endswith(
        "procedures[3]: code: must be a quoted string (YAML read 1.004873 as a number)"
    )


def test_a_repeated_key_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = SEED_TEXT.replace('    level: "xa"\n', '    level: "xa"\n    level: "xa"\n', 1)
    message = _text_error(tmp_path, text)
    line = text.splitlines().index('    level: "xa"') + 2
    expected = f"invalid YAML: duplicate key 'level' (line {line}, column 5)"
    assert message == f"{tmp_path / 'procedures.yaml'}: {expected}"


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    message = _text_error(tmp_path, "catalogue:\n  version: 1\n procedures: [\n")
    assert "invalid YAML" in message and "line" in message


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    assert "(top level): expected a mapping" in _text_error(tmp_path, "- 1\n- 2\n")


def test_a_missing_section(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    del raw["fee_exemption_groups"]
    with pytest.raises(CatalogueError, match=r"procedures.yaml: fee_exemption_groups: is missing"):
        load_catalogue(write(tmp_path, raw))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nowhere.yaml: cannot read the file"):
        load_catalogue(tmp_path / "nowhere.yaml")


def test_many_problems_are_capped(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    for p in raw["procedures"]:
        p["level"] = "tinh"
        p["confidence"] = "high"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, raw))
    lines = str(info.value).splitlines()
    assert len(lines) == 21 and lines[-1].endswith("… and 4 more problems")


# --- search --------------------------------------------------------------------------------------

TOAN_TRINH = {"2.000986", "1.004873", "2.000635", "1.001612"}
MOT_PHAN = {"1.000894", "2.000815", "1.001699"}
HO_TICH = {"1.001193", "2.000986", "1.000894", "1.004873", "1.000656", "2.000635", "1.004859"}

# (query, field, expected): a list is the exact start of the result; a set is the exact set of
# the first len(set) results; an empty list means no result at all.
SEARCHES: list[tuple[str, str | None, list[str] | set[str]]] = [
    ("khai sinh", None, ["1.001193", "2.000986"]),
    ("khai sính", None, ["1.001193"]),
    ("KHAISINH", None, ["1.001193"]),
    ("  Khai    sinh ", None, ["1.001193"]),
    ("Đăng ký khai sinh", None, ["1.001193"]),
    ("dang ky ket hon", None, ["1.000894"]),
    ("ĐĂNG KÝ KẾT HÔN", None, ["1.000894"]),
    ("dangkykethon", None, ["1.000894"]),
    ("chứng thực bản sao", None, ["2.000815"]),
    ("chung thuc", None, {"2.000815", "2.000884"}),
    ("ban sao", None, {"2.000908", "2.000635", "2.000815"}),
    ("khai sihn", None, ["1.001193"]),
    ("ket hom", None, ["1.000894"]),
    ("chung thuk", None, {"2.000815", "2.000884"}),
    ("khaisihn", None, ["1.001193"]),
    ("dangky ket hom", None, ["1.000894"]),
    ("mariage", None, ["1.000894"]),
    ("1.001193", None, ["1.001193"]),
    ("001193", None, ["1.001193"]),
    ("3.000722", None, ["2.000986"]),
    ("2.002913", None, ["1.000656"]),
    ("birth registration", None, ["1.001193"]),
    ("Marriage", None, ["1.000894"]),
    ("signature certification", None, ["2.000884"]),
    ("death", None, ["1.000656"]),
    ("hộ kinh doanh", None, ["1.001612"]),
    ("khuyết tật", None, ["1.001699"]),
    ("trích lục", None, ["2.000635"]),
    ("giấy xác nhận tình trạng hôn nhân", None, ["1.004873"]),
    ("hộ tịch", None, HO_TICH),
    ("mức độ 4", None, TOAN_TRINH),
    ("muc do 3", None, MOT_PHAN),
    ("toàn trình", None, TOAN_TRINH),
    ("ban sao", "Hộ tịch", ["2.000635"]),
    ("khai sinh", "cu tru", ["2.000986"]),
    ("khai sinh", "Hộ tịch / Cư trú / Bảo hiểm xã hội", ["2.000986"]),
    ("chung thuc", "CHỨNG THỰC", {"2.000815", "2.000884"}),
    ("khai sinh", "Đất đai", []),
    ("xyzzy qwerty", None, []),
    ("mức độ 2", None, []),
    ("zz", None, []),
]


@pytest.mark.parametrize(
    ("q", "field", "expected"), SEARCHES, ids=[s[0] + f"|{s[1]}" for s in SEARCHES]
)
def test_search_table(
    cat: Catalogue, q: str, field: str | None, expected: list[str] | set[str]
) -> None:
    found = codes(search(cat, q, field=field))
    if isinstance(expected, set):
        assert set(found[: len(expected)]) == expected, found
        if expected in (TOAN_TRINH, MOT_PHAN, HO_TICH):
            assert len(found) == len(expected), found
    elif expected:
        assert found[: len(expected)] == expected, found
    else:
        assert found == []


def test_online_class_aliases_match_exactly_their_class(cat: Catalogue) -> None:
    def of_class(online_class: str) -> set[str]:
        return {p.code for p in cat.procedures if p.online_class == online_class}

    assert set(codes(search(cat, "mức độ 4"))) == of_class("toan_trinh") == TOAN_TRINH
    assert set(codes(search(cat, "mức độ 3"))) == of_class("mot_phan") == MOT_PHAN
    assert set(codes(search(cat, "trực tiếp"))) >= of_class("truc_tiep") == {"2.000884"}


def test_empty_query_lists_everything_in_catalogue_order(cat: Catalogue) -> None:
    everything = [p.code for p in cat.procedures]
    assert codes(search(cat, "")) == everything
    assert codes(search(cat, "   ", limit=1)) == everything
    assert codes(search(cat, "", field="chứng thực")) == ["2.000815", "2.000884", "2.000908"]
    assert codes(search(cat, "", field="Hộ tịch")) == [c for c in everything if c in HO_TICH]
    assert search(cat, "", field="nope") == []


def test_limit(cat: Catalogue) -> None:
    assert len(search(cat, "hộ tịch")) == 7
    assert codes(search(cat, "hộ tịch", limit=2)) == codes(search(cat, "hộ tịch"))[:2]
    assert search(cat, "hộ tịch", limit=0) == []


@pytest.mark.parametrize("index", range(12))
def test_every_procedure_is_found_first_by_its_name_code_and_english_name(
    cat: Catalogue, index: int
) -> None:
    procedure = cat.procedures[index]
    for q in (
        procedure.name_vi,
        procedure.name_vi.upper(),
        fold(procedure.name_vi),
        fold(procedure.name_vi).replace(" ", ""),
        procedure.name_en,
        procedure.code,
        procedure.code.split(".")[1],
        *procedure.alt_codes,
    ):
        assert search(cat, q)[0] is procedure, q


def test_results_are_unique_procedures_of_the_catalogue(cat: Catalogue) -> None:
    for q in ("a", "dang", "ho", "chung", "1.00", "001", "khai", "muc"):
        found = search(cat, q)
        assert len({id(p) for p in found}) == len(found)
        assert all(p in cat.procedures for p in found)


@settings(database=None, max_examples=200, deadline=None)
@given(q=st.text(max_size=40))
def test_search_never_fails_on_any_text(cat: Catalogue, q: str) -> None:
    found = search(cat, q)
    assert len(found) <= len(cat.procedures)
    assert len({p.code for p in found}) == len(found)


# --- text helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG  KÝ\tKẾT\nHÔN", "dang ky ket hon"),
        ("đ Đ ư ơ ă â ê ô", "d d u o a a e o"),
        ("Chứng thực – bản sao", "chung thuc ban sao"),
        ("1.001193", "1 001193"),
        ("  ", ""),
        ("Mức độ 4!", "muc do 4"),
        ("Cu\u0301 pha\u0301p", "cu phap"),  # already decomposed input
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@settings(database=None, max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_fold_is_idempotent_and_plain(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")
    assert "  " not in folded and folded == folded.strip()


@pytest.mark.parametrize(
    ("a", "b", "limit", "distance"),
    [
        ("sinh", "sinh", 1, 0),
        ("sihn", "sinh", 1, 1),  # swapped neighbours count once
        ("hom", "hon", 1, 1),
        ("thuk", "thuc", 1, 1),
        ("khai", "kha", 1, 1),
        ("khai", "khaii", 1, 1),
        ("ket", "hon", 1, None),
        ("registration", "registartion", 2, 1),
        ("abcdef", "ab", 2, None),
        ("", "ab", 2, 2),
    ],
)
def test_edit_distance(a: str, b: str, limit: int, distance: int | None) -> None:
    assert edit_distance(a, b, limit) == distance
    assert edit_distance(b, a, limit) == distance


# --- fields --------------------------------------------------------------------------------------


def test_fields_in_order_of_first_appearance_with_counts(cat: Catalogue) -> None:
    assert fields(cat) == [
        ("Hộ tịch", 7),
        ("Cư trú", 1),
        ("Bảo hiểm xã hội", 1),
        ("Chứng thực", 3),
        ("Hộ kinh doanh", 1),
        ("Bảo trợ xã hội", 1),
    ]


def test_every_listed_field_filters_to_its_count(cat: Catalogue) -> None:
    for name, count in fields(cat):
        assert len(search(cat, "", field=name)) == count


# --- deep links ----------------------------------------------------------------------------------


def test_procedure_url_prefers_the_entry_url(cat: Catalogue) -> None:
    for procedure in cat.procedures:
        assert procedure_url(cat, procedure) == procedure.dvcqg_url


def test_procedure_url_templates(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    nganh_doc = (
        "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-nganh-doc.html?ma_thu_tuc={code}"
    )
    raw["catalogue"]["dvcqg_nganh_doc_url_template"] = nganh_doc
    for p in raw["procedures"]:
        p["dvcqg_url"] = None
    proc(raw, "2.000986")["vertical_sector"] = True
    cat = load_catalogue(write(tmp_path, raw))
    assert procedure_url(cat, cat.get("1.004873")) == (  # type: ignore[arg-type]
        "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.004873"
    )
    assert procedure_url(cat, cat.get("2.000986")) == (  # type: ignore[arg-type]
        "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-nganh-doc.html?ma_thu_tuc=2.000986"
    )


def test_lookup_url(cat: Catalogue) -> None:
    assert lookup_url(cat) == "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html"


# --- dossier codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("000.00.53.H48-220921-0099", "000.00.53.H48-220921-0099"),
        ("  000.00.53.h48-220921-0099\n", "000.00.53.H48-220921-0099"),
        ("h26.22-251125-0001", "H26.22-251125-0001"),
        ("abc def", "ABC DEF"),  # opaque: no format is imposed
        ("mã hồ sơ", "MÃ HỒ SƠ"),
        ("x" * DOSSIER_CODE_MAX_LENGTH, "X" * DOSSIER_CODE_MAX_LENGTH),
        ("  " + "y" * 40 + "  ", "Y" * 40),
    ],
)
def test_normalize_dossier_code(typed: str, normalized: str) -> None:
    assert normalize_dossier_code(typed) == normalized


@pytest.mark.parametrize("typed", ["", "   ", "\t\n", "x" * 41])
def test_normalize_dossier_code_rejects_empty_and_too_long(typed: str) -> None:
    with pytest.raises(ValueError):
        normalize_dossier_code(typed)


# --- house rules ---------------------------------------------------------------------------------


def test_the_domain_imports_no_flask() -> None:
    for path in (ROOT / "kiosk" / "domain").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0].lower().startswith("flask") for n in names), path
