/* The online-submission guide (/guide): screens over the procedures API.
 *
 * Nothing about the citizen is kept: state lives in this script's memory only, nothing goes to
 * sessionStorage or localStorage, the browser history is never pushed, and "Kết thúc" or
 * inactivity wipes the inputs and storage and reloads the page with location.replace. A typed
 * dossier code never leaves the page. */
(() => {
  "use strict";

  const data = JSON.parse(document.getElementById("guide-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.body;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const slot = (name) => $(`[data-slot="${name}"]`);
  const slots = (name) => $$(`[data-slot="${name}"]`);
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

  let lang = data.lang === "en" ? "en" : "vi";
  const S = {
    stack: [],
    screen: "home",
    field: null,
    searchSeq: 0,
    procedure: null,
    answers: {},
    q: 0,
    pages: 1,
    copies: 1,
    checklist: null,
    step: 0,
    stepsFor: null,
    volunteer: null,
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

  /* Both languages; the page shows the one in body[data-lang]. */
  function bi(vi, en) {
    return [el("span", { class: "vi", lang: "vi" }, vi), el("span", { class: "en", lang: "en" }, en || vi)];
  }

  function fill(node, ...kids) {
    if (!node) return;
    node.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false));
  }

  function vnd(n) {
    return n.toLocaleString("vi-VN").replace(/,/g, ".") + "\u00a0đ";
  }

  async function api(method, path, payload) {
    const headers = { Accept: "application/json", "Accept-Language": lang };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const resp = await fetch(path, init);
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
      delete S.answers[S.procedure.wizard[S.q].id];
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

  // --- search and browse ------------------------------------------------------------------

  const q = $("#q");

  function onlineBadge(cls) {
    const known = ONLINE[cls];
    if (!known) return el("span", { class: "badge unknown" }, bi("Chưa rõ hình thức trực tuyến", "Online class not confirmed"));
    return el("span", { class: `badge ${known[2]}` }, bi(known[0], known[1]));
  }

  function procRow(p) {
    return el("li", {}, el("button", { type: "button", class: "proc-row", "data-action": "open", "data-code": p.code },
      el("span", { class: "field" }, p.field),
      el("b", { class: "name" }, bi(p.name, p.name_en)),
      el("span", { class: "badges" }, onlineBadge(p.online_class))));
  }

  async function runSearch() {
    const text = q ? q.value.trim() : "";
    $$('[data-action="clear-search"]').forEach((b) => { b.hidden = !text && !S.field; });
    if (!text && !S.field) {
      slot("found").hidden = true;
      slot("browse").hidden = false;
      return;
    }
    const seq = ++S.searchSeq;
    const params = new URLSearchParams({ limit: "30" });
    if (text) params.set("q", text);
    if (S.field) params.set("field", S.field);
    let found;
    try {
      found = await api("GET", `/api/v1/procedures?${params}`);
    } catch (_) {
      return;
    }
    if (seq !== S.searchSeq) return; // a newer query is on its way
    fill(slot("found-title"), text ? bi(`Kết quả cho «${text}»`, `Results for «${text}»`) : S.field);
    fill(slot("found-list"), found.map(procRow));
    slot("found-empty").hidden = found.length > 0;
    slot("found").hidden = false;
    slot("browse").hidden = true;
  }

  let searchTimer = null;
  function searchSoon() {
    S.field = null;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 180);
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

  function feeText(p) {
    const f = p.fee;
    let head;
    if (f.kind === "fixed" && f.amount_vnd === 0) head = bi("Miễn phí", "Free");
    else if (f.kind === "fixed" && f.amount_vnd != null) head = vnd(f.amount_vnd);
    else if (f.kind === "fixed") head = bi("Xem trên cổng dịch vụ công", "See the portal");
    else head = bi("Tùy trường hợp: trả lời câu hỏi để ước tính", "Depends on your case: answer the questions for an estimate");
    const exempt = f.exemptions.length
      ? el("span", { class: "small block" }, bi("Miễn cho: " + f.exemptions.map((g) => g.name).join(", "),
        "Waived for: " + f.exemptions.map((g) => g.name_en).join(", ")))
      : null;
    return [el("b", {}, head), f.note ? el("span", { class: "small block" }, f.note) : null, exempt];
  }

  function renderProcedure(p) {
    fill(slot("p-field"), p.field);
    fill(slot("p-code"), p.code);
    fill(slot("p-name"), bi(p.name, p.name_en));
    fill(slot("p-badges"), onlineBadge(p.online_class),
      p.unverified_label ? el("span", { class: "badge unverified" }, bi(p.unverified_label, "Reference only, not yet verified")) : null);
    slots("p-qcount").forEach((n) => fill(n, String(p.wizard.length)));
    slot("p-steps-btn").hidden = !p.online;
    slot("p-cutoff").hidden = !p.cutoff_warning;
    fill(slot("p-documents"), p.documents.map((d) => {
      const [kind] = d.when.split(":");
      const tag = kind === "always" ? null
        : kind === "case" ? el("span", { class: "tag" }, bi("Chỉ khi cán bộ yêu cầu", "Only if the staff ask"))
          : el("span", { class: "tag" }, bi("Tùy câu trả lời", "Depends on your answers"));
      return el("li", {}, el("span", { class: "doc-name" }, bi(d.name, d.name_en)), " ", counts(d), " ", tag,
        d.note ? el("span", { class: "small block" }, d.note) : null);
    }));
    const who = p.conditions.map((c) => el("li", {}, bi(c.ask, c.ask_en), " ",
      el("span", { class: `tag ${c.answer ? "yes" : "no"}` }, c.answer ? bi("Có", "Yes") : bi("Không", "No"))));
    if (p.present_id) who.push(el("li", {}, bi("Người nộp xuất trình giấy tờ tùy thân.", "The applicant shows an ID paper.")));
    if (!who.length) who.push(el("li", {}, bi("Người có yêu cầu; hỏi cán bộ nếu chưa chắc.", "Anyone concerned; ask the staff if unsure.")));
    fill(slot("p-who"), who);
    fill(slot("p-how"), p.channels.map((c, i) => [i ? " · " : "", bi(...CHANNELS[c])]));
    fill(slot("p-time"), timeText(p.time_limit));
    fill(slot("p-fee"), feeText(p));
    fill(slot("p-result"), p.result);
    fill(slot("p-legal"), p.legal_basis.join(" · "));
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
          ? el("button", { type: "button", class: "cta small primary", "data-action": "hall-ticket", "data-site": place.site },
            bi(own ? "Lấy số tại đây" : "Lấy số tại trụ sở", own ? "Take a number here" : "Take a number for the office"))
          : el("span", { class: "small block" }, bi("Lấy số khi đến trụ sở.", "Take a number when you get there.")));
    }));
  }

  async function loadWaits() {
    const p = S.procedure;
    if (!p || !p.in_person.length) return;
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
        const minutes = svc.estimated_wait_min; // the server's rounding, as on paper
        let text;
        if (!svc.open) text = bi("Hiện ngoài giờ tiếp nhận", "Closed now");
        else if (!svc.waiting) text = bi("Không có người chờ", "No one waiting");
        else if (!minutes) text = bi(`Đang chờ: ${svc.waiting} người`, `Waiting: ${svc.waiting}`);
        else text = bi(`Đang chờ: ${svc.waiting} người · khoảng ${minutes} phút`, `Waiting: ${svc.waiting} · about ${minutes} min`);
        fill($("[data-wait]", row), text);
      }
    }
  }

  async function openProcedure(code, push = true) {
    let p;
    try {
      p = await api("GET", `/api/v1/procedures/${encodeURIComponent(code)}?site=${encodeURIComponent(data.site)}`);
    } catch (_) {
      return;
    }
    Object.assign(S, { procedure: p, answers: {}, q: 0, pages: 1, copies: 1, checklist: null });
    renderProcedure(p);
    show("procedure", push);
    api("POST", `/api/v1/procedures/${encodeURIComponent(p.code)}/views`, { site: data.site }).catch(() => {});
  }

  // --- the wizard and the checklist -------------------------------------------------------

  function startWizard() {
    S.answers = {};
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

  function checklistBody() {
    const out = { answers: { ...S.answers } };
    const inputs = S.procedure.fee.inputs;
    if (inputs.includes("pages")) out.pages = S.pages;
    if (inputs.includes("copies")) out.copies = S.copies;
    return out;
  }

  async function computeChecklist() {
    const code = encodeURIComponent(S.procedure.code);
    S.checklist = await api("POST", `/api/v1/procedures/${code}/checklist`, checklistBody());
    return S.checklist;
  }

  async function answer(value) {
    const question = S.procedure.wizard[S.q];
    S.answers[question.id] = value;
    let c;
    try {
      c = await computeChecklist();
    } catch (_) {
      return;
    }
    if (c.stopped || S.q + 1 >= S.procedure.wizard.length) {
      renderChecklist(c);
      show("checklist", false); // "back" from the list goes to the procedure
    } else {
      S.q += 1;
      renderQuestion();
    }
  }

  function noteItem(n) {
    const en = n.kind === "case" ? `Only in some cases (the staff will say): ${n.en}` : n.en;
    return el("li", { class: `note ${n.kind}` }, bi(n.vi, en));
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
    fill(slot("c-papers"), c.documents.map((d) => el("li", { class: "paper" },
      el("span", { class: "box", "aria-hidden": "true" }),
      el("span", {}, el("b", {}, bi(d.name, d.name_en)), " ", counts(d),
        d.upload ? el("span", { class: "tag photo" }, bi("Chụp/scan khi nộp trực tuyến", "Photo/scan to file online")) : null,
        d.note ? el("span", { class: "small block" }, d.note) : null))));
    slot("c-id").hidden = !c.present_id;
    const uploads = c.documents.filter((d) => d.upload);
    slot("c-upload").hidden = !uploads.length;
    fill(slot("c-upload-list"), uploads.map((d) => el("li", {}, bi(d.name, d.name_en))));
    renderFee(c);
    const extra = c.suggestions.filter((s) => s.code !== p.code).map((s) => el("li", { class: "note suggestion" },
      s.in_catalogue
        ? el("button", { type: "button", class: "link", "data-action": "open", "data-code": s.code }, bi(`Xem thủ tục: ${s.name}`, `See: ${s.name_en}`))
        : bi(`Thủ tục liên quan: mã ${s.code} trên dichvucong.gov.vn`, `Related procedure: code ${s.code} on dichvucong.gov.vn`)));
    fill(slot("c-notes"), c.notes.map(noteItem), extra);
    slot("c-steps-btn").hidden = !p.online;
    renderPlaces(p, "c");
    setPrint("");
  }

  function renderFee(c) {
    const inputs = c.fee_inputs;
    slot("c-fee-inputs").hidden = !inputs.length;
    for (const name of ["pages", "copies"]) {
      $(`.stepper[data-input="${name}"]`).hidden = !inputs.includes(name);
    }
    fill(slot("c-pages"), String(S.pages));
    fill(slot("c-copies"), String(S.copies));
    let text;
    if (c.fee_vnd == null) text = bi("Chưa ước tính được; xem trên cổng hoặc hỏi cán bộ", "No estimate; see the portal or ask the staff");
    else if (c.fee_vnd === 0) text = bi("Miễn phí", "Free");
    else text = [vnd(c.fee_vnd), " ", el("small", {}, bi("(dự kiến, để tham khảo)", "(estimate, for reference)"))];
    fill(slot("c-fee"), text);
    fill(slot("c-fee-note"), c.fee_note || "");
    const exempt = slot("c-exempt");
    exempt.hidden = !c.fee_exemptions.length;
    fill(exempt, bi("Miễn lệ phí cho: " + c.fee_exemptions.map((g) => g.name).join(", "),
      "No fee for: " + c.fee_exemptions.map((g) => g.name_en).join(", ")));
  }

  let feeTimer = null;
  function step(input, delta) {
    const max = input === "pages" ? 999 : 99;
    S[input] = Math.min(max, Math.max(1, S[input] + delta));
    fill(slot(`c-${input}`), String(S[input]));
    clearTimeout(feeTimer);
    feeTimer = setTimeout(async () => {
      try { renderFee(await computeChecklist()); } catch (_) { /* keep the last estimate */ }
    }, 150);
  }

  // --- printing ---------------------------------------------------------------------------

  function setPrint(state) {
    const node = slot("c-print");
    if (node) node.dataset.state = state;
  }

  async function printChecklist(button) {
    button.disabled = true;
    setPrint("queued");
    const code = encodeURIComponent(S.procedure.code);
    try {
      const job = await api("POST", `/api/v1/procedures/${code}/checklist/print`, { ...checklistBody(), lang });
      let status = job.status;
      for (let i = 0; i < 60 && (status === "queued" || status === "printing"); i += 1) {
        await sleep(1000);
        status = (await api("GET", `/api/v1/procedures/${code}/checklist/print/${job.id}`)).status;
      }
      setPrint(status === "printed" ? "printed" : status === "failed" ? "failed" : "queued");
    } catch (err) {
      setPrint(err.status === 429 ? "busy" : "failed");
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
    fill(slot("step-name"), p ? bi(p.name, p.name_en) : bi("tên thủ tục bạn cần", "the procedure you need"));
    $$("[data-when-procedure]").forEach((n) => { n.hidden = !p; });
    $$("[data-when-partly]").forEach((n) => { n.hidden = !(p && p.online_class === "mot_phan"); });
    const mine = p && S.checklist && !S.checklist.stopped ? S.checklist : null;
    const uploads = mine ? mine.documents.filter((d) => d.upload) : [];
    slot("step-uploads").hidden = !uploads.length;
    fill(slot("step-upload-list"), uploads.map((d) => el("li", {}, bi(d.name, d.name_en))));
    const fee = mine ? mine.fee_vnd : null;
    slot("step-fee").hidden = fee == null;
    if (fee != null) {
      fill(slot("step-fee"), fee === 0 ? bi("Thủ tục của bạn: miễn phí.", "Your procedure: free.")
        : bi(`Lệ phí dự kiến của bạn: ${vnd(fee)}.`, `Your estimated fee: ${vnd(fee)}.`));
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
    fill(slot("t-where"), bi(`${ticket.service_name} – ${ticket.site_name}`, `${ticket.service_name} – ${ticket.site_name_en || ticket.site_name}`));
    slots("t-ahead").forEach((n) => fill(n, String(ticket.ahead)));
    const minutes = ticket.estimated_wait_min; // the server's rounding, as on paper
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
      none: ["Xin ghi nhớ số của bạn.", "Please note your number."],
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
    fill(slot("t-error"), err.message && !err.message.startsWith("HTTP")
      ? err.message : lang === "en" ? "No number was issued. Please try again." : "Chưa lấy được số. Xin thử lại.");
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
     history gains no entry). The language returns to Vietnamese for the next citizen. */
  function wipe(target) {
    for (const input of $$("input")) input.value = "";
    try { sessionStorage.clear(); } catch (_) { /* storage may be disabled */ }
    try { localStorage.clear(); } catch (_) { /* storage may be disabled */ }
    S.procedure = null;
    S.checklist = null;
    S.answers = {};
    S.volunteer = null;
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
    field: (b) => {
      if (q) q.value = "";
      S.field = b.dataset.field;
      runSearch();
    },
    open: (b) => openProcedure(b.dataset.code),
    "open-suggested": (b) => openProcedure(b.dataset.code),
    wizard: startWizard,
    answer: (b) => answer(b.dataset.value === "1"),
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
})();
