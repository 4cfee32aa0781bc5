/* The guide's building blocks for the page (window.GuideDom): element helpers, both-language
 * text, and the pieces of a procedure or checklist that several screens show (badges, paper
 * lines, notes, "not sure" outcomes, fee lines, sources).
 *
 * Every citizen text is built in both languages at once; the page shows the one in
 * body[data-lang]. An English text the catalogue does not have shows the Vietnamese, marked
 * "(Vietnamese only)". Nothing here keeps state. */
(() => {
  "use strict";

  const Engine = window.GuideEngine;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const slot = (name) => $(`[data-slot="${name}"]`);
  const slots = (name) => $$(`[data-slot="${name}"]`);

  const ONLINE = {
    toan_trinh: ["Trực tuyến toàn trình", "Fully online", "online"],
    mot_phan: ["Trực tuyến một phần", "Partly online", "partly"],
    truc_tiep: ["Chỉ làm tại quầy", "In person only", "counter"],
  };
  const CHANNELS = {
    truc_tiep: ["Tại quầy", "At the counter"],
    buu_chinh: ["Qua bưu chính", "By post"],
    truc_tuyen: ["Trực tuyến", "Online"],
  };
  const CHECK = ["Xin kiểm tra lại tại quầy", "Please check at the counter"];

  function el(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid));
    }
    return node;
  }

  function bi(vi, en) {
    const english = en
      ? el("span", { class: "en", lang: "en" }, en)
      : el("span", { class: "en", lang: "vi" }, vi, " ", el("small", { class: "vi-only" }, "(Vietnamese only)"));
    return [el("span", { class: "vi", lang: "vi" }, vi), english];
  }
  const biText = (t) => bi(t.vi, t.en);

  function fill(node, ...kids) {
    if (!node) return;
    node.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false));
  }

  // --- a procedure's pieces ---------------------------------------------------------------

  function onlineBadge(cls) {
    const known = ONLINE[cls];
    return el("span", { class: `badge ${known[2]}` }, bi(known[0], known[1]));
  }

  const onlineHead = (cls) => bi(...ONLINE[cls].slice(0, 2));
  const channel = (c) => bi(...CHANNELS[c]);

  function procRow(p) {
    return el("li", {}, el("button", { type: "button", class: "proc-row", "data-action": "open", "data-code": p.code },
      el("span", { class: "field" }, bi(p.field, p.field_en)),
      el("b", { class: "name" }, bi(p.name, p.name_en)),
      el("span", { class: "badges" }, onlineBadge(p.online_class))));
  }

  function counts(d) {
    const parts = [];
    if (d.original) parts.push(bi(`${d.original} bản chính`, `${d.original} original`));
    if (d.copy) parts.push(bi(`${d.copy} bản sao`, `${d.copy} ${d.copy > 1 ? "copies" : "copy"}`));
    return parts.length ? el("span", { class: "count" }, parts.map((p, i) => (i ? [", ", p] : p))) : null;
  }

  function timeText(t) {
    const head = t.value === 0 ? bi("Trong ngày", "Same day") : bi(`${t.value} ngày làm việc`, `${t.value} working days`);
    return [el("b", {}, head), t.note ? el("span", { class: "small block" }, bi(t.note, t.note_en)) : null];
  }

  /** The fee rule in dated lines ("from 1/7/2025: ..."), the same text the server prints. */
  function feeList(p, day) {
    return Engine.feeLines(p.fee, day).map((line) => el("li", {}, biText(line)));
  }

  /** Show "please check at the counter" next to the facts the catalogue has not verified. */
  function markChecks(root, p) {
    for (const mark of $$("[data-check]", root)) {
      const unsure = p.check_at_counter.includes(mark.dataset.check);
      mark.hidden = !unsure;
      if (unsure) fill(mark, bi(...CHECK));
    }
  }

  function documentTag(d) {
    const kind = d.when.split(":")[0];
    if (kind === "always") return null;
    return kind === "case"
      ? el("span", { class: "tag" }, bi("Chỉ khi cán bộ yêu cầu", "Only if the staff ask"))
      : el("span", { class: "tag" }, bi("Tùy câu trả lời", "Depends on your answers"));
  }

  /** How a paper goes in when the procedure is done online: scan, e-form, or the original. */
  function onlineTag(p, d) {
    if (!p.online) return null;
    if (d.online === "upload") return el("span", { class: "tag photo" }, bi("Nộp trực tuyến: chụp/scan", "Online: photo or scan"));
    if (d.online === "eform") return el("span", { class: "tag eform" }, bi("Nộp trực tuyến: điền trên cổng", "Online: filled in on the portal"));
    return el("span", { class: "tag counter" }, d.original
      ? bi("Mang bản chính đến quầy", "Bring the original")
      : bi("Mang đến quầy", "Bring it to the counter"));
  }

  function documentItem(p, d) {
    return el("li", {},
      el("span", { class: "doc-name" }, bi(d.name, d.name_en)), " ", counts(d), " ", documentTag(d), " ", onlineTag(p, d),
      d.note ? el("span", { class: "small block" }, bi(d.note, d.note_en)) : null,
      d.case ? el("span", { class: "small block" }, bi(d.case, d.case_en)) : null);
  }

  function whoList(p) {
    const who = p.conditions.map((c) => el("li", {}, bi(c.ask, c.ask_en), " ",
      el("span", { class: `tag ${c.answer ? "yes" : "no"}` }, c.answer ? bi("Có", "Yes") : bi("Không", "No"))));
    if (p.present_id) who.push(el("li", {}, bi("Người nộp xuất trình giấy tờ tùy thân.", "The applicant shows an ID paper.")));
    if (!who.length) who.push(el("li", {}, bi("Người có yêu cầu; hỏi cán bộ nếu chưa chắc.", "Anyone concerned; ask the staff if unsure.")));
    return who;
  }

  /** The citation stays in Vietnamese (it is the law's name); English adds what it is. */
  function legalItem(b) {
    return el("li", {}, el("span", { class: "en", lang: "en" }, `${b.en} – `), el("span", { lang: "vi", class: "citation" }, b.ref));
  }

  /** Where to go in person, with a ticket button when this kiosk can issue one for it. */
  function placeItem(place, { site, kiosk }) {
    const own = place.site === site;
    const canTicket = kiosk && (own || place.remote_ticket);
    return el("li", { class: "place", "data-site": place.site, "data-service": place.service },
      el("b", {}, bi(place.service_name, place.service_name_en)),
      el("span", { class: "block" }, bi(place.site_name, place.site_name_en)),
      el("span", { class: "wait block", "data-wait": "" }, bi("Đang tải số người chờ…", "Loading the queue…")),
      canTicket
        ? el("button", { type: "button", class: "cta small primary online-only", "data-action": "hall-ticket", "data-site": place.site },
          bi(own ? "Lấy số tại đây" : "Lấy số tại trụ sở", own ? "Take a number here" : "Take a number for the office"))
        : el("span", { class: "small block" }, bi("Lấy số khi đến trụ sở.", "Take a number when you get there.")));
  }

  /** Is it past the day's cut-off ("HH:MM") where the office is? Papers then count from tomorrow. */
  function pastCutoff(tz, cutoff) {
    const hm = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date());
    return hm >= cutoff;
  }

  function sourcesLine(p) {
    const day = p.last_checked.split("-").reverse().join("/");
    const hosts = [...new Set(p.sources.map((s) => new URL(s.url).hostname.replace(/^www\./, "")))];
    return bi(`Nguồn: ${hosts.join(", ")} – đối chiếu ngày ${day}.`, `Sources: ${hosts.join(", ")} – checked on ${day}.`);
  }

  // --- a checklist's pieces ---------------------------------------------------------------

  function noteItem(n) {
    return el("li", { class: `note ${n.kind}` }, n.kind === "case"
      ? bi(n.vi, `Only in some cases (the staff will say): ${n.en}`) : bi(n.vi, n.en));
  }

  function paperItem(p, d) {
    return el("li", { class: "paper" },
      el("span", { class: "box", "aria-hidden": "true" }),
      el("span", {}, el("b", {}, bi(d.name, d.name_en)), " ", counts(d), " ", onlineTag(p, d),
        d.note ? el("span", { class: "small block" }, bi(d.note, d.note_en)) : null));
  }

  /** A question answered "not sure": what each answer would mean. */
  function alternativeItem(alt) {
    const outcome = (o) => {
      const head = o.answer ? bi("Nếu có", "If yes") : bi("Nếu không", "If no");
      let what;
      if (o.stop) what = bi("thủ tục này không áp dụng", "this procedure does not apply");
      else if (o.documents.length) what = o.documents.map((d, i) => [i ? "; " : "", bi(d.name, d.name_en)]);
      else what = bi("không cần thêm giấy tờ", "no extra papers");
      return el("li", {}, el("b", {}, head, ": "), what,
        o.fee_text ? el("span", { class: "block small" }, bi("Lệ phí: ", "Fee: "), biText(o.fee_text)) : null,
        o.notes.map((n) => el("span", { class: "block small" }, bi(n.vi, n.en))),
        o.suggestion ? el("span", { class: "block small" }, bi(`Thủ tục nên xem: ${o.suggestion.name || o.suggestion.code}`,
          `See instead: ${o.suggestion.name_en || o.suggestion.code}`)) : null);
    };
    return el("li", { class: "alternative" }, el("p", {}, bi(alt.ask, alt.ask_en)), el("ul", {}, alt.outcomes.map(outcome)));
  }

  function suggestionItem(s) {
    return el("li", { class: "note suggestion" }, s.in_catalogue
      ? el("button", { type: "button", class: "link", "data-action": "open", "data-code": s.code }, bi(`Xem thủ tục: ${s.name}`, `See: ${s.name_en}`))
      : bi(`Thủ tục liên quan: mã ${s.code} trên dichvucong.gov.vn`, `Related procedure: code ${s.code} on dichvucong.gov.vn`));
  }

  window.GuideDom = {
    $, $$, slot, slots, el, bi, biText, fill,
    onlineBadge, onlineHead, channel, procRow, counts, timeText, feeList, markChecks,
    documentItem, whoList, legalItem, placeItem, pastCutoff, sourcesLine, noteItem, paperItem, alternativeItem, suggestionItem,
  };
})();
