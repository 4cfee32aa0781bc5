/* The online-submission guide (/guide): screens over the catalogue bundle.
 *
 * The page loads the catalogue bundle once and then searches (finder.js), shows procedures,
 * runs the wizard and computes fees (engine.js) in the browser, so a citizen already in the
 * guide can go on when the link to the server drops (offline.js says when, and keeps usage
 * counts until it returns). Only live things need the server: queue figures, tickets, printing.
 *
 * Nothing about the citizen is kept: state lives in this script's memory only, nothing goes to
 * sessionStorage or localStorage, the browser history is never pushed, and "Kết thúc" or
 * inactivity wipes the inputs and storage and reloads the page with location.replace (in place,
 * without reloading, when the server is down and no service worker could serve the page). A
 * typed dossier code never leaves the page. */
(() => {
  "use strict";

  const data = JSON.parse(document.getElementById("guide-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.body;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const slot = (name) => $(`[data-slot="${name}"]`);
  const slots = (name) => $$(`[data-slot="${name}"]`);
  const Engine = window.GuideEngine;
  const Link = window.GuideLink;
  const WARN_S = 20; // the idle warning shows this long before the session ends
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

  // A page served from the cache keeps the language of the address it was asked for.
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = asked === "en" || asked === "vi" ? asked : data.lang === "en" ? "en" : "vi";
  let bundle = null;
  let finder = null;
  const S = {
    stack: [],
    screen: "home",
    field: null,
    procedure: null,
    answers: {},
    unsure: [],
    q: 0,
    pages: 1,
    copies: 1,
    checklist: null,
    step: 0,
    stepsFor: null,
    volunteer: null,
    suggestion: null,
    touched: false,
    lastActive: Date.now(),
    waitTimer: null,
  };

  // --- small helpers ----------------------------------------------------------------------

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

  /* Both languages; the page shows the one in body[data-lang]. An English text the catalogue
     does not have shows the Vietnamese, marked as such. */
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

  const today = () => Engine.localDay(data.tz);
  const byCode = (code) => bundle.procedures.find((p) => p.code === code || p.alt_codes.includes(code));

  async function api(method, path, payload) {
    const headers = { Accept: "application/json", "Accept-Language": lang };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (err) {
      Link.online = false;
      err.offline = true;
      throw err;
    }
    Link.online = resp.status < 500;
    let json = null;
    if (resp.status !== 204) {
      try { json = await resp.json(); } catch (_) { json = null; }
    }
    if (!resp.ok) {
      const err = new Error((json && json.error && json.error.message) || `HTTP ${resp.status}`);
      err.status = resp.status;
      err.code = json && json.error && json.error.code;
      throw err;
    }
    return json;
  }

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  // --- screens ----------------------------------------------------------------------------

  function show(name, push = true) {
    if (push && S.screen !== name) S.stack.push(S.screen);
    S.screen = name;
    for (const section of $$(".screen")) section.hidden = section.id !== name;
    body.dataset.screen = name;
    window.scrollTo(0, 0);
    if (window.GuideKeyboard) window.GuideKeyboard.hide();
    clearInterval(S.waitTimer);
    if (name === "procedure" || name === "checklist") {
      loadWaits();
      S.waitTimer = setInterval(loadWaits, 30000);
    }
  }

  function back() {
    if (S.screen === "wizard" && S.q > 0) {
      S.q -= 1;
      const id = S.procedure.wizard[S.q].id;
      delete S.answers[id];
      S.unsure = S.unsure.filter((x) => x !== id);
      renderQuestion();
      return;
    }
    show(S.stack.pop() || "home", false);
  }

  function goHome() {
    S.stack = [];
    show("home", false);
  }

  function setLang(next) {
    lang = next;
    body.dataset.lang = next;
    document.documentElement.lang = next;
    for (const input of $$("input[data-ph-vi]")) input.placeholder = input.dataset[next === "en" ? "phEn" : "phVi"];
  }

  function setLink(online) {
    body.dataset.link = online ? "online" : "offline";
    slot("offline").hidden = online;
    if (S.procedure && (S.screen === "procedure" || S.screen === "checklist")) loadWaits();
  }

  // --- search and browse ------------------------------------------------------------------

  const q = $("#q");

  function onlineBadge(cls) {
    const known = ONLINE[cls];
    return el("span", { class: `badge ${known[2]}` }, bi(known[0], known[1]));
  }

  function procRow(p) {
    return el("li", {}, el("button", { type: "button", class: "proc-row", "data-action": "open", "data-code": p.code },
      el("span", { class: "field" }, bi(p.field, p.field_en)),
      el("b", { class: "name" }, bi(p.name, p.name_en)),
      el("span", { class: "badges" }, onlineBadge(p.online_class))));
  }

  function runSearch() {
    if (!finder) return;
    const text = q ? q.value.trim() : "";
    $$('[data-action="clear-search"]').forEach((b) => { b.hidden = !text && !S.field; });
    if (!text && !S.field) {
      slot("found").hidden = true;
      slot("browse").hidden = false;
      return;
    }
    const found = finder.search(text, S.field, 30);
    const answered = !found.suggestionOnly && found.results.length > 0;
    const fieldName = S.field && bundle.fields.find((f) => f.name === S.field);
    fill(slot("found-title"), text ? bi(`Kết quả cho «${text}»`, `Results for «${text}»`)
      : bi(S.field, fieldName ? fieldName.name_en : null));
    const corrected = slot("corrected");
    corrected.hidden = !(answered && found.didYouMean);
    if (answered && found.didYouMean) {
      fill(corrected, bi(`Đã tìm theo «${found.didYouMean}»`, `Showing results for «${found.didYouMean}»`));
    }
    fill(slot("found-list"), answered ? found.results.map(procRow) : []);
    slot("found-empty").hidden = answered;
    S.suggestion = found.suggestionOnly ? found.didYouMean : null;
    slot("suggest").hidden = !S.suggestion;
    if (S.suggestion) fill(slot("suggest-btn"), `«${S.suggestion}»`);
    slot("found").hidden = false;
    slot("browse").hidden = true;
  }

  let searchTimer = null;
  function searchSoon() {
    S.field = null;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  }

  function clearSearch() {
    if (q) q.value = "";
    S.field = null;
    runSearch();
  }

  // --- one procedure ----------------------------------------------------------------------

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

  function feeHead(fee) {
    return bi(fee.label, fee.label_en);
  }

  function feeText(p) {
    return el("ul", { class: "fee-lines" }, Engine.feeLines(p.fee, today()).map((line) => el("li", {}, biText(line))));
  }

  function markChecks(root, p) {
    for (const mark of $$("[data-check]", root)) {
      const unsure = p.check_at_counter.includes(mark.dataset.check);
      mark.hidden = !unsure;
      if (unsure) fill(mark, bi(...CHECK));
    }
  }

  function cutoffNow() {
    const hm = new Intl.DateTimeFormat("en-GB", { timeZone: data.tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date());
    return hm >= data.cutoff;
  }

  function documentTag(d) {
    const kind = d.when.split(":")[0];
    if (kind === "always") return null;
    return kind === "case"
      ? el("span", { class: "tag" }, bi("Chỉ khi cán bộ yêu cầu", "Only if the staff ask"))
      : el("span", { class: "tag" }, bi("Tùy câu trả lời", "Depends on your answers"));
  }

  function onlineTag(p, d) {
    if (!p.online) return null;
    if (d.online === "upload") return el("span", { class: "tag photo" }, bi("Nộp trực tuyến: chụp/scan", "Online: photo or scan"));
    if (d.online === "eform") return el("span", { class: "tag eform" }, bi("Nộp trực tuyến: điền trên cổng", "Online: filled in on the portal"));
    return el("span", { class: "tag counter" }, bi("Mang bản chính đến quầy", "Bring the original"));
  }

  function sourcesLine(p) {
    const day = p.last_checked.split("-").reverse().join("/");
    const hosts = [...new Set(p.sources.map((s) => new URL(s.url).hostname.replace(/^www\./, "")))];
    return bi(`Nguồn: ${hosts.join(", ")} – đối chiếu ngày ${day}.`, `Sources: ${hosts.join(", ")} – checked on ${day}.`);
  }

  function renderProcedure(p) {
    const root = $("#procedure");
    fill(slot("p-field"), bi(p.field, p.field_en));
    fill(slot("p-code"), p.code);
    fill(slot("p-name"), bi(p.name, p.name_en));
    fill(slot("p-badges"), onlineBadge(p.online_class));
    slots("p-qcount").forEach((n) => fill(n, String(p.wizard.length)));
    slot("p-steps-btn").hidden = !p.online;
    slot("p-cutoff").hidden = !(p.time_limit.cutoff_15h && cutoffNow());
    slot("p-handled").hidden = !p.handled_at;
    if (p.handled_at) fill(slot("p-handled-text"), biText(p.handled_at));
    fill(slot("p-documents"), p.documents.map((d) => el("li", {},
      el("span", { class: "doc-name" }, bi(d.name, d.name_en)), " ", counts(d), " ", documentTag(d), " ", onlineTag(p, d),
      d.note ? el("span", { class: "small block" }, bi(d.note, d.note_en)) : null,
      d.case ? el("span", { class: "small block" }, bi(d.case, d.case_en)) : null)));
    const who = p.conditions.map((c) => el("li", {}, bi(c.ask, c.ask_en), " ",
      el("span", { class: `tag ${c.answer ? "yes" : "no"}` }, c.answer ? bi("Có", "Yes") : bi("Không", "No"))));
    if (p.present_id) who.push(el("li", {}, bi("Người nộp xuất trình giấy tờ tùy thân.", "The applicant shows an ID paper.")));
    if (!who.length) who.push(el("li", {}, bi("Người có yêu cầu; hỏi cán bộ nếu chưa chắc.", "Anyone concerned; ask the staff if unsure.")));
    fill(slot("p-who"), who);
    fill(slot("p-how"), el("b", { class: "block" }, bi(...ONLINE[p.online_class].slice(0, 2))),
      p.channels.map((c, i) => [i ? " · " : "", bi(...CHANNELS[c])]));
    fill(slot("p-time"), timeText(p.time_limit));
    fill(slot("p-fee-label"), feeHead(p.fee), " ", el("span", { class: "check", "data-check": "fee", hidden: true }));
    fill(slot("p-fee"), feeText(p));
    fill(slot("p-result"), bi(p.result, p.result_en));
    // The citation stays in Vietnamese (it is the law's name); English adds what it is.
    fill(slot("p-legal"), p.legal_basis.map((b) => el("li", {},
      el("span", { class: "en", lang: "en" }, `${b.en} – `), el("span", { lang: "vi", class: "citation" }, b.ref))));
    fill(slot("p-sources"), sourcesLine(p));
    markChecks(root, p);
    slot("p-qr").src = `/guide/qr/${encodeURIComponent(p.code)}.png`;
    const link = slot("p-link");
    if (link) link.href = p.portal_url; // only off the kiosk: a phone opens the portal itself
    renderPlaces(p, "p");
  }

  function renderPlaces(p, prefix) {
    slot(`${prefix}-visit`).hidden = !p.in_person.length;
    fill(slot(`${prefix}-places`), p.in_person.map((place) => {
      const own = place.site === data.site;
      const canTicket = data.kiosk && (own || place.remote_ticket);
      return el("li", { class: "place", "data-site": place.site, "data-service": place.service },
        el("b", {}, bi(place.service_name, place.service_name_en)),
        el("span", { class: "block" }, bi(place.site_name, place.site_name_en)),
        el("span", { class: "wait block", "data-wait": "" }, bi("Đang tải số người chờ…", "Loading the queue…")),
        canTicket
          ? el("button", { type: "button", class: "cta small primary online-only", "data-action": "hall-ticket", "data-site": place.site },
            bi(own ? "Lấy số tại đây" : "Lấy số tại trụ sở", own ? "Take a number here" : "Take a number for the office"))
          : el("span", { class: "small block" }, bi("Lấy số khi đến trụ sở.", "Take a number when you get there.")));
    }));
  }

  async function loadWaits() {
    const p = S.procedure;
    if (!p || !p.in_person.length) return;
    if (!Link.online) {
      for (const node of $$(".place [data-wait]")) fill(node, bi("Ngoại tuyến: chưa có số người chờ", "Offline: no queue figures"));
      return;
    }
    const sites = [...new Set(p.in_person.map((x) => x.site))];
    for (const site of sites) {
      let services;
      try {
        services = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/services`);
      } catch (_) {
        continue;
      }
      for (const row of $$(`.place[data-site="${site}"]`)) {
        const svc = services.find((s) => s.code === row.dataset.service);
        if (!svc) continue;
        const minutes = Math.max(1, Math.ceil(svc.estimated_wait_s / 60));
        let text;
        if (!svc.open) text = bi("Hiện ngoài giờ tiếp nhận", "Closed now");
        else if (!svc.waiting) text = bi("Không có người chờ", "No one waiting");
        else text = bi(`Đang chờ: ${svc.waiting} người · khoảng ${minutes} phút`, `Waiting: ${svc.waiting} · about ${minutes} min`);
        fill($("[data-wait]", row), text);
      }
    }
  }

  function openProcedure(code, push = true) {
    const p = byCode(code);
    if (!p) return;
    Object.assign(S, { procedure: p, answers: {}, unsure: [], q: 0, pages: 1, copies: 1, checklist: null });
    renderProcedure(p);
    show("procedure", push);
    Link.count(`/api/v1/procedures/${encodeURIComponent(p.code)}/views`, { site: data.site }, today());
  }

  // --- the wizard and the checklist -------------------------------------------------------

  function startWizard() {
    S.answers = {};
    S.unsure = [];
    S.q = 0;
    renderQuestion();
    show("wizard", S.screen !== "checklist");
  }

  function renderQuestion() {
    const qs = S.procedure.wizard;
    const question = qs[S.q];
    fill(slot("w-name"), bi(S.procedure.name, S.procedure.name_en));
    slots("w-i").forEach((n) => fill(n, String(S.q + 1)));
    slots("w-n").forEach((n) => fill(n, String(qs.length)));
    slot("w-bar").style.width = `${Math.round((100 * S.q) / qs.length)}%`;
    fill(slot("w-question"), bi(question.ask, question.ask_en));
  }

  function computeChecklist() {
    const inputs = S.procedure.fee.inputs;
    S.checklist = Engine.checklist(S.procedure, S.answers, {
      unsure: S.unsure,
      day: today(),
      pages: inputs.includes("pages") ? S.pages : null,
      copies: inputs.includes("copies") ? S.copies : null,
    });
    return S.checklist;
  }

  function answer(value) {
    const question = S.procedure.wizard[S.q];
    if (value === "?") S.unsure.push(question.id);
    else S.answers[question.id] = value === "1";
    const c = computeChecklist();
    if (c.stopped || S.q + 1 >= S.procedure.wizard.length) {
      renderChecklist(c);
      show("checklist", false); // "back" from the list goes to the procedure
    } else {
      S.q += 1;
      renderQuestion();
    }
  }

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

  function alternativeItem(p, alt) {
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

  function renderChecklist(c) {
    const p = S.procedure;
    const section = $("#checklist");
    section.dataset.state = c.stopped ? "stopped" : "ok";
    fill(slot("c-name"), bi(p.name, p.name_en));
    if (c.stopped) {
      fill(slot("c-stop-notes"), c.notes.map(noteItem));
      const s = c.stopped.suggestion;
      slot("c-suggest").hidden = !s;
      if (s) {
        const btn = slot("c-suggest-btn");
        btn.hidden = !s.in_catalogue;
        btn.dataset.code = s.code;
        fill(btn, s.in_catalogue ? bi(s.name, s.name_en) : "");
        slot("c-suggest-qr").hidden = s.in_catalogue;
        if (!s.in_catalogue) slot("c-suggest-img").src = `/guide/qr/${encodeURIComponent(s.code)}.png`;
      }
      return;
    }
    fill(slot("c-papers"), c.documents.map((d) => paperItem(p, d)));
    slot("c-id").hidden = !c.present_id;
    slot("c-unsure").hidden = !c.alternatives.length;
    fill(slot("c-unsure-list"), c.alternatives.map((alt) => alternativeItem(p, alt)));
    const uploads = c.documents.filter((d) => d.upload);
    slot("c-upload").hidden = !uploads.length;
    fill(slot("c-upload-list"), uploads.map((d) => el("li", {}, bi(d.name, d.name_en))));
    const originals = p.online ? c.documents.filter((d) => d.online === "counter") : [];
    slot("c-counter").hidden = !originals.length;
    fill(slot("c-counter-list"), originals.map((d) => el("li", {}, bi(d.name, d.name_en))));
    renderFee(c);
    const extra = c.suggestions.filter((s) => s.code !== p.code).map((s) => el("li", { class: "note suggestion" },
      s.in_catalogue
        ? el("button", { type: "button", class: "link", "data-action": "open", "data-code": s.code }, bi(`Xem thủ tục: ${s.name}`, `See: ${s.name_en}`))
        : bi(`Thủ tục liên quan: mã ${s.code} trên dichvucong.gov.vn`, `Related procedure: code ${s.code} on dichvucong.gov.vn`)));
    fill(slot("c-notes"), c.notes.map(noteItem), extra);
    slot("c-steps-btn").hidden = !p.online;
    renderPlaces(p, "c");
    setPrint("");
    markChecks(section, p);
  }

  function renderFee(c) {
    const p = S.procedure;
    const inputs = c.fee_inputs;
    slot("c-fee-inputs").hidden = !inputs.length;
    for (const name of ["pages", "copies"]) {
      $(`.stepper[data-input="${name}"]`).hidden = !inputs.includes(name);
    }
    fill(slot("c-pages"), String(S.pages));
    fill(slot("c-copies"), String(S.copies));
    fill(slot("c-fee-label"), bi(`${p.fee.label} dự kiến`, `Estimated ${(p.fee.label_en || "fee").toLowerCase()}`));
    const text = [biText(c.fee_text)];
    if (c.fee_vnd) text.push(" ", el("small", {}, bi("(dự kiến, để tham khảo)", "(estimate, for reference)")));
    fill(slot("c-fee"), text);
    fill(slot("c-fee-lines"), Engine.feeLines(p.fee, today()).map((line) => el("li", {}, biText(line))));
  }

  function step(input, delta) {
    const max = input === "pages" ? 999 : 99;
    S[input] = Math.min(max, Math.max(1, S[input] + delta));
    fill(slot(`c-${input}`), String(S[input]));
    renderFee(computeChecklist());
  }

  // --- printing ---------------------------------------------------------------------------

  function setPrint(state) {
    const node = slot("c-print");
    if (node) node.dataset.state = state;
  }

  async function printChecklist(button) {
    if (!Link.online) { setPrint("offline"); return; }
    button.disabled = true;
    setPrint("queued");
    const code = encodeURIComponent(S.procedure.code);
    const inputs = S.procedure.fee.inputs;
    const payload = { answers: { ...S.answers }, unsure: [...S.unsure], lang };
    if (inputs.includes("pages")) payload.pages = S.pages;
    if (inputs.includes("copies")) payload.copies = S.copies;
    try {
      const job = await api("POST", `/api/v1/procedures/${code}/checklist/print`, payload);
      let status = job.status;
      for (let i = 0; i < 60 && (status === "queued" || status === "printing"); i += 1) {
        await sleep(1000);
        status = (await api("GET", `/api/v1/procedures/${code}/checklist/print/${job.id}`)).status;
      }
      setPrint(status === "printed" ? "printed" : status === "failed" ? "failed" : "queued");
    } catch (err) {
      setPrint(err.offline ? "offline" : err.status === 429 ? "busy" : "failed");
    } finally {
      setTimeout(() => { button.disabled = false; }, 3000);
    }
  }

  // --- the portal steps -------------------------------------------------------------------

  const cards = $$(".step-card");

  function openSteps() {
    // From the first screen the steps are general, whatever was looked at before.
    const p = S.screen === "home" ? null : S.procedure;
    fill(slot("s-name"), p ? bi(`Nộp trực tuyến: ${p.name}`, `Apply online: ${p.name_en}`)
      : bi("Nộp hồ sơ trực tuyến trên dichvucong.gov.vn", "Apply online on dichvucong.gov.vn"));
    fill(slot("step-name"), p ? bi(p.name, p.name_en) : bi("tên thủ tục Ông/Bà cần", "the procedure you need"));
    $$("[data-when-procedure]").forEach((n) => { n.hidden = !p; });
    $$("[data-when-partly]").forEach((n) => { n.hidden = !(p && p.online_class === "mot_phan"); });
    const mine = p && S.checklist && !S.checklist.stopped ? S.checklist : null;
    const uploads = mine ? mine.documents.filter((d) => d.upload) : [];
    slot("step-uploads").hidden = !uploads.length;
    fill(slot("step-upload-list"), uploads.map((d) => el("li", {}, bi(d.name, d.name_en))));
    const fee = mine ? mine.fee_vnd : null;
    slot("step-fee").hidden = fee == null;
    if (fee != null) {
      fill(slot("step-fee"), fee === 0 ? bi("Thủ tục của Ông/Bà: miễn phí.", "Your procedure: free.")
        : bi(`Số tiền dự kiến của Ông/Bà: ${Engine.formatVnd(fee, "vi")}.`, `Your estimated fee: ${Engine.formatVnd(fee, "en")}.`));
    }
    fill(slot("s-dots"), cards.map((_, i) => el("li", { "data-i": String(i) })));
    S.stepsFor = p;
    S.step = 0;
    renderStep();
    show("steps");
  }

  function renderStep() {
    cards.forEach((card, i) => { card.hidden = i !== S.step; });
    $$("li", slot("s-dots")).forEach((dot, i) => dot.classList.toggle("on", i === S.step));
    const kind = cards[S.step].dataset.qr;
    const p = S.stepsFor;
    let src;
    let text;
    if (kind === "lookup") [src, text] = ["/guide/qr/lookup.png", "lookup"];
    else if (p) [src, text] = [`/guide/qr/${encodeURIComponent(p.code)}.png`, "procedure"];
    else [src, text] = ["/guide/qr/portal.png", "portal"];
    slot("s-qr").src = src;
    slot("s-qr-text").dataset.kind = text;
    $('[data-action="step-prev"]').disabled = S.step === 0;
    const next = $('[data-action="step-next"]');
    next.dataset.last = S.step === cards.length - 1 ? "1" : "";
  }

  function moveStep(delta) {
    if (delta > 0 && S.step === cards.length - 1) {
      back();
      return;
    }
    S.step = Math.min(cards.length - 1, Math.max(0, S.step + delta));
    renderStep();
  }

  // --- dossier lookup ---------------------------------------------------------------------

  function lookupSubmit() {
    const input = $("#dossier-code");
    const code = input.value.trim().toUpperCase();
    const error = slot("l-error");
    slot("l-result").hidden = true;
    if (!code) error.dataset.state = "empty";
    else if ([...code].length > data.codeMax) error.dataset.state = "long";
    else {
      error.dataset.state = "";
      fill(slot("l-code"), code);
      slot("l-result").hidden = false;
      if (window.GuideKeyboard) window.GuideKeyboard.hide();
    }
  }

  function openLookup() {
    $("#dossier-code").value = "";
    slot("l-result").hidden = true;
    fill(slot("l-code"), "");
    slot("l-error").dataset.state = "";
    show("lookup");
  }

  // --- tickets: a volunteer, or the office --------------------------------------------------

  function openOverlay(id) {
    if (window.GuideKeyboard) window.GuideKeyboard.hide();
    for (const o of $$(".overlay")) if (o.id !== "idle") o.hidden = o.id !== id;
  }

  function closeOverlays() {
    for (const o of $$(".overlay")) if (o.id !== "idle") o.hidden = true;
  }

  function showTicket(kind, ticket) {
    const box = $("#ticket");
    box.dataset.kind = kind;
    box.dataset.state = "done";
    fill(slot("t-number"), ticket.number);
    fill(slot("t-where"), bi(`${ticket.service_name} – ${ticket.site_name}`, ticket.site_name_en
      ? `${ticket.service_name_en || ticket.service_name} – ${ticket.site_name_en}` : null));
    slots("t-ahead").forEach((n) => fill(n, String(ticket.ahead)));
    const minutes = Math.ceil(ticket.estimated_wait_s / 60);
    slot("t-wait-box").hidden = !minutes;
    slots("t-wait").forEach((n) => fill(n, String(minutes)));
    printNote(ticket.print.status);
    openOverlay("ticket");
    if (ticket.print.status === "queued") followPrint(ticket.id);
  }

  function printNote(status) {
    const words = {
      queued: ["Đang in phiếu…", "Printing the ticket…"],
      printed: ["Đã in phiếu. Xin nhận ở khe máy in.", "Printed. Please take the ticket."],
      failed: ["Máy in chưa in được phiếu: xin ghi nhớ số.", "The ticket could not be printed: please note the number."],
      none: ["Xin ghi nhớ số của Ông/Bà.", "Please note your number."],
    }[status] || ["", ""];
    fill(slot("t-print"), bi(...words));
  }

  async function followPrint(id) {
    for (let i = 0; i < 20; i += 1) {
      await sleep(1000);
      try {
        const t = await api("GET", `/api/v1/tickets/${id}`);
        printNote(t.print.status);
        if (t.print.status !== "queued") return;
      } catch (_) {
        return;
      }
    }
  }

  function ticketError(err) {
    const box = $("#ticket");
    box.dataset.state = "error";
    let words;
    if (err.offline) words = bi("Đang ngoại tuyến: chưa lấy được số. Xin thử lại sau ít phút.", "Offline: no number can be issued now. Please try again in a few minutes.");
    else if (err.message && !err.message.startsWith("HTTP")) words = err.message;
    else words = bi("Chưa lấy được số. Xin thử lại.", "No number was issued. Please try again.");
    fill(slot("t-error"), words);
    openOverlay("ticket");
  }

  async function callVolunteer() {
    const box = $("#ticket");
    box.dataset.kind = "volunteer";
    box.dataset.state = "busy";
    openOverlay("ticket");
    try {
      S.volunteer = await api("POST", "/api/v1/guide/volunteer", { procedure: S.procedure ? S.procedure.code : null });
      showTicket("volunteer", S.volunteer);
    } catch (err) {
      ticketError(err);
    }
  }

  async function hallTicket(button) {
    button.disabled = true;
    const box = $("#ticket");
    box.dataset.kind = "hall";
    box.dataset.state = "busy";
    openOverlay("ticket");
    try {
      const code = encodeURIComponent(S.procedure.code);
      const ticket = await api("POST", `/api/v1/procedures/${code}/hall-ticket`, { site: button.dataset.site });
      showTicket("hall", ticket);
      loadWaits();
    } catch (err) {
      ticketError(err);
    } finally {
      button.disabled = false;
    }
  }

  // --- the end of a session ---------------------------------------------------------------

  /* Leave no trace: inputs, storage, and this page's state (by reloading it in place, so the
     history gains no entry). The language returns to Vietnamese for the next citizen. When the
     server is down and no service worker can serve the page, reset in place instead of
     reloading into a browser error page. */
  function wipe(target) {
    for (const input of $$("input")) input.value = "";
    try { sessionStorage.clear(); } catch (_) { /* storage may be disabled */ }
    try { localStorage.clear(); } catch (_) { /* storage may be disabled */ }
    Object.assign(S, { procedure: null, checklist: null, answers: {}, unsure: [], volunteer: null, field: null, touched: false });
    if (!Link.canReload) {
      closeOverlays();
      $("#idle").hidden = true;
      setLang("vi");
      clearSearch();
      goHome();
      return;
    }
    location.replace(target || `/guide?site=${encodeURIComponent(data.site)}&lang=vi`);
  }

  function checkIdle() {
    const idle = $("#idle");
    if (!S.touched) return;
    const left = data.idleS - (Date.now() - S.lastActive) / 1000;
    if (left <= 0) {
      wipe();
    } else if (left <= WARN_S) {
      slots("idle-left").forEach((n) => fill(n, String(Math.ceil(left))));
      if (idle.hidden && window.GuideKeyboard) window.GuideKeyboard.hide();
      idle.hidden = false;
    } else {
      idle.hidden = true;
    }
  }

  function activity() {
    S.touched = true;
    S.lastActive = Date.now();
  }

  // --- wiring -----------------------------------------------------------------------------

  const actions = {
    back,
    home: goHome,
    lang: () => setLang(lang === "en" ? "vi" : "en"),
    end: () => wipe(),
    "kiosk-home": () => wipe(data.kioskHome),
    "clear-search": clearSearch,
    "use-suggestion": () => {
      if (q && S.suggestion) q.value = S.suggestion;
      runSearch();
    },
    field: (b) => {
      if (q) q.value = "";
      S.field = b.dataset.field;
      runSearch();
    },
    open: (b) => openProcedure(b.dataset.code),
    "open-suggested": (b) => openProcedure(b.dataset.code),
    wizard: startWizard,
    answer: (b) => answer(b.dataset.value),
    inc: (b) => step(b.dataset.input, 1),
    dec: (b) => step(b.dataset.input, -1),
    print: (b) => printChecklist(b),
    steps: openSteps,
    "step-prev": () => moveStep(-1),
    "step-next": () => moveStep(1),
    lookup: openLookup,
    volunteer: () => (S.volunteer ? showTicket("volunteer", S.volunteer) : openOverlay("ask-volunteer")),
    "volunteer-confirm": callVolunteer,
    "hall-ticket": (b) => hallTicket(b),
    close: closeOverlays,
    "still-here": () => { $("#idle").hidden = true; },
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button || button.disabled) return;
    const run = actions[button.dataset.action];
    if (run) {
      event.preventDefault();
      run(button);
    }
  });

  for (const form of $$("form[data-form]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.dataset.form === "lookup") lookupSubmit();
      else runSearch();
    });
  }
  if (q) q.addEventListener("input", searchSoon);
  const code = $("#dossier-code");
  if (code) code.addEventListener("input", () => { slot("l-result").hidden = true; });

  for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  setInterval(checkIdle, 1000);
  setLang(lang);

  async function loadBundle() {
    if (!data.bundle || !$("#q")) return; // no catalogue configured
    try {
      const resp = await fetch(data.bundle, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      bundle = await resp.json();
      finder = window.GuideFinder.create(bundle);
      body.dataset.ready = "1";
      runSearch();
    } catch (_) {
      body.dataset.ready = "failed";
      Link.online = false;
      setTimeout(loadBundle, 5000);
    }
  }

  Link.onChange(setLink);
  Link.start({ bundleUrl: data.bundle, shell: data.shell, csrf });
  setLink(Link.online);
  loadBundle();
})();
