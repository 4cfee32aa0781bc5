"""The procedure catalogue: loading and validation, the content findings it must keep fixed,
trust (sources, dates, what is unverified), links and dossier codes, and the package's rules."""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiosk.catalogue import Catalogue, CatalogueError, load_catalogue, load_procedures
from kiosk.catalogue.guide import fields
from kiosk.catalogue.links import (
    DOSSIER_CODE_MAX_LENGTH,
    lookup_url,
    normalize_dossier_code,
    procedure_url,
)
from kiosk.catalogue.review import report, review, unresolved_suggestions
from kiosk.catalogue.search import search

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "config" / "procedures.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")
RAW = yaml.safe_load(SEED_TEXT)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(SEED)


def codes(found: list[Any]) -> list[str]:
    return [p.code for p in found]


# --- loading -------------------------------------------------------------------------------------


def test_the_catalogue_loads_with_its_elements(cat: Catalogue) -> None:
    assert [p.code for p in cat.procedures] == [p["code"] for p in RAW["procedures"]]
    assert cat.source == str(SEED)
    assert cat.meta.version == 2 and cat.meta.timezone == "Asia/Ho_Chi_Minh"
    assert cat.meta.review_after_days == 180
    assert cat.meta.check_at_counter.vi == "Xin kiểm tra lại tại quầy"
    assert cat.meta.checklist_footer.vi == "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"
    assert [g.key for g in cat.counter_groups] == list(RAW["counter_groups"])
    birth = cat.get("1.001193")
    assert birth is not None and birth.name_vi == "Đăng ký khai sinh"
    assert birth.field == "Hộ tịch" and birth.level == "xa" and birth.online_class == "toan_trinh"
    assert cat.field_name("Hộ tịch").en == "Civil status"
    assert cat.field_name("Hộ tịch / Cư trú / Bảo hiểm xã hội").en == (
        "Civil status / Residence / Social insurance"
    )
    assert "giấy khai sinh" in birth.aliases
    assert birth.result.en == "Birth certificate (original)"
    assert birth.legal_basis[0].en == "Law on Civil Status (2014)"
    assert birth.last_checked == TODAY and birth.sources[0].checked_on == TODAY
    surrogacy = birth.document("mang_thai_ho")
    assert surrogacy is not None and surrogacy.when_kind == "case" and surrogacy.case_en


def test_coverage_at_least_30_ward_procedures_each_sourced_and_dated(cat: Catalogue) -> None:
    assert len(cat.procedures) >= 30
    for p in cat.procedures:
        assert p.level == "xa"
        assert re.fullmatch(r"\d\.\d{6}", p.code)
        assert p.sources and all(s.url.startswith("http") for s in p.sources), p.code
        assert p.last_checked == max(s.checked_on for s in p.sources), p.code
        assert p.online_class in ("toan_trinh", "mot_phan", "truc_tiep"), p.code
        assert p.aliases, p.code
        assert p.result.en and p.legal_basis, p.code
        assert all(b.en for b in p.legal_basis), p.code
    wanted = {
        "2.001035": "certification of contracts and transactions",
        "1.001022": "recognition of parents and children",
        "1.004884": "re-registration of a birth",
        "1.004837": "guardianship",
        "2.000635": "copies of civil-status extracts",
        "1.000689": "birth combined with recognition",
        "2.000806": "foreign-element marriage",
    }
    for code, what in wanted.items():
        assert cat.get(code) is not None, what


def test_every_suggestion_names_a_procedure_of_the_catalogue(cat: Catalogue) -> None:
    assert unresolved_suggestions(cat) == []


def test_every_entry_says_how_it_is_submitted_and_how_each_paper_travels(cat: Catalogue) -> None:
    for p in cat.procedures:
        assert p.online_class is not None
        for d in p.documents:
            assert d.online in ("upload", "eform", "counter")
            if p.online_class == "truc_tiep":
                assert d.online == "counter"
    copy_ = cat.get("2.000815")
    assert copy_ is not None
    assert {d.online for d in copy_.documents} == {"counter"}  # a photo is no certified copy
    for code in ("1.001612", "1.001699", "2.000908"):  # portal e-forms are not scanned
        forms = [d for d in cat.get(code).documents if d.when == "always"]  # type: ignore[union-attr]
        assert forms[0].online == "eform", code


def test_no_stale_names_or_sources(cat: Catalogue) -> None:
    # The labour ministry merged into the Ministry of Home Affairs in March 2025: no name a
    # citizen reads still calls it "Lao động – Thương binh và Xã hội" (a circular's number may).
    names = [g.name_vi for g in cat.counter_groups] + list(cat.fields_en)
    names += [t for p in cat.procedures for t in (p.name_vi, *p.aliases, *(s.vi for s in p.steps))]
    assert not [n for n in names if re.search("Thương binh|TBXH|Lao động", n)]
    birth = cat.get("1.001193")
    assert birth is not None
    # The old source was an internal portal id and an article about marriage.
    assert not any("187805" in s.url or "ket-hon" in s.url for s in birth.sources)
    # Decree 07/2025: the parents' marriage certificate is looked up, never asked for.
    assert not any("kết hôn của cha mẹ" in d.name_vi for d in birth.documents)
    assert "120/2025" in " ".join(b.ref for b in cat.get("2.000806").legal_basis)  # type: ignore[union-attr]
    for p in cat.procedures:
        for d in p.documents:
            assert "hộ khẩu" not in d.name_vi.lower(), (p.code, d.id)


def test_citizens_are_addressed_as_ong_ba(cat: Catalogue) -> None:
    for p in cat.procedures:
        texts = [q.ask_vi for q in p.wizard]
        texts += [n for q in p.wizard for b in (q.if_yes, q.if_no) for n in b.notes_vi]
        texts += [s.vi for s in p.steps]
        for text in texts:
            assert not re.search(r"\b[Bb]ạn\b", text), (p.code, text)


def test_the_office_example_carries_the_same_catalogue() -> None:
    office = ROOT / "config" / "examples" / "office"
    assert (office / "procedures.yaml").read_bytes() == SEED.read_bytes(), (
        "config/examples/office/procedures.yaml must be a copy of config/procedures.yaml: "
        "cp config/procedures.yaml config/examples/office/"
    )
    loaded = load_procedures(office)
    assert loaded is not None and len(loaded.procedures) == len(RAW["procedures"])


def test_verified_on_marks_an_entry_verified(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["procedures"][0]["verified_on"] = "2026-11-20"
    first = load_catalogue(write(tmp_path, raw)).procedures[0]
    assert first.verified and first.verified_on == date(2026, 11, 20)
    text = SEED_TEXT.replace("verified_on: null", "verified_on: 2026-11-21", 1)
    path = tmp_path / "unquoted.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_catalogue(path).procedures[0].verified_on == date(2026, 11, 21)


def test_get_finds_codes_and_alt_codes(cat: Catalogue) -> None:
    assert cat.get("2.000986") is cat.get("3.000722") is cat.get(" 3.000722 ")
    assert cat.get("9.999999") is None


# --- what staff must check -----------------------------------------------------------------------


def test_review_lists_unverified_entries_and_facts(cat: Catalogue) -> None:
    findings = review(cat, TODAY)
    assert {f.code for f in findings if f.kind == "not_verified"} == {
        p.code for p in cat.procedures
    }
    facts = [f for f in findings if f.kind == "fact" and f.code == "2.000635"]
    assert any(f.detail.startswith("fee:") for f in facts)
    assert not [f for f in findings if f.kind == "sources_old"]
    later = review(cat, date(2027, 7, 1))  # more than 180 days after the last check
    assert {f.code for f in later if f.kind == "sources_old"} == {p.code for p in cat.procedures}
    windows = [f for f in review(cat, date(2027, 2, 1)) if f.kind == "fee_window"]
    assert any(f.code == "2.000635" and "ends 28/02/2027" in f.detail for f in windows)


def test_review_of_a_verified_entry_due_again(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    raw["procedures"][0]["verified_on"] = "2026-01-05"
    cat = load_catalogue(write(tmp_path, raw))
    mine = [f for f in review(cat, TODAY) if f.code == raw["procedures"][0]["code"]]
    assert any(f.kind == "verification_old" for f in mine)
    assert not any(f.kind == "not_verified" for f in mine)


def test_report_summarises(cat: Catalogue) -> None:
    lines = report(cat, TODAY)
    assert lines[-1].startswith(f"{len(cat.procedures)} of {len(cat.procedures)} entries need")
    assert any(line.startswith("2.000635  Cấp bản sao") for line in lines)


# --- loader errors -------------------------------------------------------------------------------


def write(tmp_path: Path, raw: dict[str, Any], name: str = "procedures.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(raw, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def proc(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in raw["procedures"] if p["code"] == code)


def at(code: str) -> str:
    """How messages name the procedure with this code."""
    index = next(i for i, p in enumerate(RAW["procedures"]) if p["code"] == code)
    return f"procedures[{index}] (code {code})"


def change(
    code: str, *path: str | int, value: object = None, delete: bool = False
) -> Callable[[dict[str, Any]], None]:
    """A change to one value of a procedure, reached by keys and list indexes."""

    def apply(raw: dict[str, Any]) -> None:
        node: Any = proc(raw, code)
        for key in path[:-1]:
            node = node[key]
        if delete:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return apply


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


# --- fields --------------------------------------------------------------------------------------


def test_fields_in_order_of_first_appearance_with_counts(cat: Catalogue) -> None:
    listed = fields(cat)
    assert listed[0] == ("Hộ tịch", 16)
    assert [name for name, _ in listed] == list(
        dict.fromkeys(part for p in cat.procedures for part in p.fields)
    )
    for name, count in listed:
        assert len(search(cat, "", field=name)) == count
        assert cat.field_name(name).en


# --- deep links ----------------------------------------------------------------------------------


def test_procedure_url_templates(cat: Catalogue, tmp_path: Path) -> None:
    assert procedure_url(cat, cat.get("1.004873")) == (  # type: ignore[arg-type]
        "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.004873"
    )
    # Police procedures live on the portal's vertical-sector page.
    assert procedure_url(cat, cat.get("1.004222")) == (  # type: ignore[arg-type]
        "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-nganh-doc.html?ma_thu_tuc=1.004222"
    )
    raw = copy.deepcopy(RAW)
    own = "https://dichvucong.gov.vn/p/home/other.html?ma_thu_tuc=1.004873"
    proc(raw, "1.004873")["dvcqg_url"] = own
    assert procedure_url(load_catalogue(write(tmp_path, raw)), cat.get("1.004873")) != own  # type: ignore[arg-type]
    mine = load_catalogue(write(tmp_path, raw))
    assert procedure_url(mine, mine.get("1.004873")) == own  # type: ignore[arg-type]


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


def imports(path: Path) -> list[str]:
    """The modules `path` imports at run time (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_domain_imports_no_flask() -> None:
    for path in (ROOT / "kiosk" / "domain").glob("*.py"):
        assert not any(n.split(".")[0] == "flask" for n in imports(path)), path


def test_the_catalogue_package_has_no_flask_no_database_and_no_circles() -> None:
    package = ROOT / "kiosk" / "catalogue"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        names = imports(path)
        for name in names:
            top = name.split(".")[0]
            assert top not in ("flask", "sqlalchemy", "flask_socketio"), (path.name, name)
            assert not name.startswith(("kiosk.models", "kiosk.db", "kiosk.context")), path.name
        graph[path.stem] = {
            n.split(".")[2] for n in names if n.startswith("kiosk.catalogue.") and n.count(".") == 2
        }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    for module in graph:
        assert not reaches(module, module, set()), f"import circle through {module}"
