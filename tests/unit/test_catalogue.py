"""The procedure catalogue: loading, the content findings it must keep fixed, trust (sources,
dates, what is unverified), links and dossier codes, and the package's rules. What the loader
refuses is in test_catalogue_schema.py."""

from __future__ import annotations

import ast
import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import Catalogue, load_catalogue, load_procedures
from kiosk.catalogue.guide import fields
from kiosk.catalogue.links import (
    DOSSIER_CODE_MAX_LENGTH,
    lookup_url,
    normalize_dossier_code,
    procedure_url,
)
from kiosk.catalogue.review import report, review, unresolved_suggestions
from kiosk.catalogue.search import search
from tests.catalogue_cast import RAW, ROOT, SEED, SEED_TEXT, proc, write

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
