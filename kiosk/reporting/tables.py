"""Every table of the ``/reports`` page, in Vietnamese or English, as plain rows of values:
the page, the CSV and the XLSX files all print these same rows. Durations stay in seconds
and the service level a fraction here; the page formats them, the files keep them raw."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain import report_extras as extras
from kiosk.domain.clock import Clock
from kiosk.domain.figures import Figures
from kiosk.domain.reports import GROUPINGS, Report, ReportQuery, build_report, check_query

# Kinds of cell: how the page shows a value (files keep the raw value).
COUNT, SECONDS, FRACTION, SCORE, TEXT = "count", "seconds", "fraction", "score", "text"


@dataclass
class Table:
    name: str  # its id in URLs: export?table=<name>
    title: str
    columns: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None  # the totals line, if the table has one

    def lines(self) -> list[list[Any]]:
        """Rows, then the totals line (what a file holds below its header)."""
        return self.rows + ([self.total] if self.total is not None else [])


@dataclass(frozen=True)
class ReportTables:
    site: Site
    start: date
    end: date
    reports: dict[str, Report]  # by grouping
    tables: list[Table]

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def figure_columns(lang: str) -> tuple[list[str], list[str]]:
    t = lambda vi, en: _t(lang, vi, en)  # noqa: E731
    names = [
        t("Số phiếu", "Issued"),
        t("Đã xong", "Served"),
        t("Vắng mặt", "No-shows"),
        t("Đã hủy", "Cancelled"),
        t("Đã chuyển", "Transferred"),
        t("Chờ TB (giây)", "Wait avg (s)"),
        t("Chờ trung vị (giây)", "Wait median (s)"),
        t("Chờ P90 (giây)", "Wait p90 (s)"),
        t("Phục vụ TB (giây)", "Service avg (s)"),
        t("Phục vụ trung vị (giây)", "Service median (s)"),
        t("Phục vụ P90 (giây)", "Service p90 (s)"),
        t("Tỷ lệ gọi đúng hạn", "Service level"),
        t("Lượt đánh giá", "Ratings"),
        t("Điểm TB", "Mean score"),
    ]
    kinds = [COUNT] * 5 + [SECONDS] * 6 + [FRACTION, COUNT, SCORE]
    return names, kinds


def figure_cells(f: Figures) -> list[Any]:
    w, v = f.wait_s, f.service_s
    return [
        f.issued,
        f.served,
        f.no_show,
        f.cancelled,
        f.transferred,
        w.avg,
        w.median,
        w.p90,
        v.avg,
        v.median,
        v.p90,
        f.service_level,
        f.ratings_count,
        f.ratings_avg,
    ]


def key_label(cfg: Config, site: Site, by: str, key: Any, lang: str) -> str:
    """What a row key reads as on the page and in files."""
    if by == "service":
        svc = site.service(key)
        return (svc.name_en or svc.name) if svc and lang == "en" else (svc.name if svc else key)
    if by == "counter":
        if key is None:
            return _t(lang, "Chưa được gọi", "Never called")
        counter = site.counter(key)
        return counter.name if counter else str(key)
    if by == "officer":
        return key if key is not None else _t(lang, "Chưa được gọi", "Never called")
    if by == "priority":
        if key is None:
            return _t(lang, "Không ưu tiên", "No priority")
        grp = cfg.settings.priority.group(key)
        return (grp.name_en or grp.name) if grp and lang == "en" else (grp.name if grp else key)
    if by == "hour":
        return f"{key:02d}:00–{key:02d}:59"
    return str(key)


GROUP_TITLES = {
    "service": ("Theo dịch vụ (lúc lấy số)", "Per service (as issued)", "Dịch vụ", "Service"),
    "counter": ("Theo quầy (lần gọi cuối)", "Per counter (latest call)", "Quầy", "Counter"),
    "officer": ("Theo cán bộ (lần gọi cuối)", "Per officer (latest call)", "Cán bộ", "Officer"),
    "priority": ("Theo nhóm ưu tiên", "Per priority group", "Nhóm", "Group"),
    "hour": ("Theo giờ lấy số", "Per hour of issue", "Giờ", "Hour"),
    "day": ("Theo ngày làm việc", "Per business day", "Ngày", "Day"),
}


def grouped_table(cfg: Config, report: Report, lang: str) -> Table:
    title_vi, title_en, first_vi, first_en = GROUP_TITLES[report.by]
    names, kinds = figure_columns(lang)
    table = Table(
        report.by,
        _t(lang, title_vi, title_en),
        [_t(lang, first_vi, first_en), *names],
        [TEXT, *kinds],
    )
    for row in report.rows:
        label = key_label(cfg, report.site, report.by, row.key, lang)
        table.rows.append([label, *figure_cells(row.figures)])
    table.total = [_t(lang, "Tổng", "Total"), *figure_cells(report.totals)]
    return table


def build_tables(
    s: Session,
    cfg: Config,
    clock: Clock,
    q: ReportQuery,
    allowed_site: str | None,
    lang: str,
    guide_sites: list[str],
) -> ReportTables:
    """Every table for ``q`` (its ``by`` is ignored: every grouping is made). Raises what
    :func:`kiosk.domain.reports.check_query` raises."""
    site = check_query(cfg, allowed_site, q)
    reports = {
        by: build_report(s, cfg, clock, ReportQuery(q.site, q.start, q.end, by, q.filters), None)
        for by in GROUPINGS
    }
    tables = [grouped_table(cfg, reports[by], lang) for by in GROUPINGS]
    t = lambda vi, en: _t(lang, vi, en)  # noqa: E731

    use = Table(
        "counter_use",
        t("Hiệu suất quầy", "Counter utilisation"),
        [
            t("Quầy", "Counter"),
            t("Đã xong", "Served"),
            t("Thời gian phục vụ (giây)", "Busy (s)"),
            t("Thời gian làm việc (giây)", "Staffed (s)"),
            t("Tạm dừng (giây)", "Paused (s)"),
            t("Hiệu suất", "Utilisation"),
        ],
        [TEXT, COUNT, SECONDS, SECONDS, SECONDS, FRACTION],
    )
    for c in extras.counter_use(s, clock, site, q):
        name = site.counter(c.counter)
        label = name.name if name else str(c.counter)
        use.rows.append([label, c.served, c.busy_s, c.staffed_s, c.paused_s, c.utilisation])
    pauses, _ = extras.pauses(s, clock, q)
    pause = Table(
        "pauses",
        t("Thời gian tạm dừng theo lý do", "Pause time by reason"),
        [t("Lý do", "Reason"), t("Số lần", "Pauses"), t("Tổng thời gian (giây)", "Total (s)")],
        [TEXT, COUNT, SECONDS],
        [[p.reason or "–", p.pauses, p.seconds] for p in pauses],
    )
    reasons = Table(
        "reasons",
        t("Lý do khi đánh giá", "Reasons given with ratings"),
        [t("Lý do", "Reason"), t("Số lượt", "Count")],
        [TEXT, COUNT],
        [
            [r.label_en if lang == "en" else r.label, r.count]
            for r in extras.rating_reasons(s, cfg, clock, site, q)
        ],
    )
    attitude = Table(
        "attitude",
        t(
            "Phản ánh về thái độ phục vụ, theo cán bộ",
            "Complaints about staff attitude, per officer",
        ),
        [t("Cán bộ", "Officer"), t("Số lượt", "Count")],
        [TEXT, COUNT],
        [[name, n] for name, n in extras.attitude_by_officer(s, clock, site, q).items()],
    )
    guide = Table(
        "guide",
        t("Sử dụng hướng dẫn nộp hồ sơ trực tuyến", "Online-submission guide use"),
        [
            t("Điểm", "Site"),
            t("Xem thủ tục", "Procedures viewed"),
            t("In danh mục giấy tờ", "Checklists printed"),
            t("Gọi hỗ trợ", "Help asked"),
            t("Lấy số tại trụ sở", "Hall tickets"),
        ],
        [TEXT, COUNT, COUNT, COUNT, COUNT],
    )
    for g in extras.guide_use(s, guide_sites, q.start, q.end):
        other = cfg.site(g.site)
        name = (
            (other.name_en or other.name)
            if other and lang == "en"
            else (other.name if other else g.site)
        )
        guide.rows.append([name, g.viewed, g.printed, g.help, g.hall_ticket])
    tables += [use, pause, reasons, attitude, guide]
    return ReportTables(site, q.start, q.end, reports, tables)
