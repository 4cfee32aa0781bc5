/* The online-submission guide (/guide): screens over the catalogue bundle.
 *
 * The page loads the catalogue bundle once and then searches (finder.js), shows procedures,
 * runs the wizard and computes fees (engine.js) in the browser, so a citizen already in the
 * guide can go on when the link to the server drops (offline.js says when, and keeps usage
 * counts until it returns). Only live things need the server (services.js): queue figures,
 * tickets, printing. dom.js builds the pieces in both languages.
 *
 * Nothing about the citizen is kept: state lives in this script's memory only, nothing goes to
 * sessionStorage or localStorage, the browser history is never pushed, and "Kết thúc" or
 * inactivity wipes the inputs and storage and reloads the page with location.replace (resets it
 * in place when no service worker could serve it offline). A dossier code never leaves the page. */
(() => {
  "use strict";

  const data = JSON.parse(document.getElementById("guide-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.body;
  const D = window.GuideDom;
  const { $, $$, slot, slots, el, bi, biText, fill } = D;
  const Engine = window.GuideEngine;
  const Link = window.GuideLink;
  const WARN_S = 20; // the idle warning shows this long before the session ends
  // A page served from the cache keeps the language of the address it was asked for.
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = asked === "en" || asked === "vi" ? asked : data.lang === "en" ? "en" : "vi";
  let bundle = null;
  let pendingOpen = null; // [code, push] of a card tapped before the bundle loaded
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
  const live = window.GuideServices.create({ csrf, lang: () => lang, Link, S });

  const today = () => Engine.localDay(data.tz);
  const byCode = (code) => bundle.procedures.find((p) => p.code === code || p.alt_codes.includes(code));

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
      live.loadWaits();
      S.waitTimer = setInterval(live.loadWaits, 30000);
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
    if (S.procedure && (S.screen === "procedure" || S.screen === "checklist")) live.loadWaits();
  }

  // --- search and browse ------------------------------------------------------------------

  const q = $("#q");

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
    fill(slot("found-list"), answered ? found.results.map(D.procRow) : []);
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

  function renderProcedure(p) {
    const root = $("#procedure");
    fill(slot("p-field"), bi(p.field, p.field_en));
    fill(slot("p-code"), p.code);
    fill(slot("p-name"), bi(p.name, p.name_en));
    fill(slot("p-badges"), D.onlineBadge(p.online_class));
    slots("p-qcount").forEach((n) => fill(n, String(p.wizard.length)));
    slot("p-steps-btn").hidden = !p.online;
    slot("p-cutoff").hidden = !(p.time_limit.cutoff_15h && D.pastCutoff(data.tz, data.cutoff));
    slot("p-handled").hidden = !p.handled_at;
    if (p.handled_at) fill(slot("p-handled-text"), biText(p.handled_at));
    fill(slot("p-documents"), p.documents.map((d) => D.documentItem(p, d)));
    fill(slot("p-who"), D.whoList(p));
    fill(slot("p-how"), el("b", { class: "block" }, D.onlineHead(p.online_class)),
      p.channels.map((c, i) => [i ? " · " : "", D.channel(c)]));
    fill(slot("p-time"), D.timeText(p.time_limit));
    fill(slot("p-fee-label"), bi(p.fee.label, p.fee.label_en), " ", el("span", { class: "check", "data-check": "fee", hidden: true }));
    fill(slot("p-fee"), el("ul", { class: "fee-lines" }, D.feeList(p, today())));
    fill(slot("p-result"), bi(p.result, p.result_en));
    fill(slot("p-legal"), p.legal_basis.map(D.legalItem));
    fill(slot("p-sources"), D.sourcesLine(p));
    D.markChecks(root, p);
    slot("p-qr").src = `/guide/qr/${encodeURIComponent(p.code)}.png`;
    const link = slot("p-link");
    if (link) link.href = p.portal_url; // only off the kiosk: a phone opens the portal itself
    renderPlaces(p, "p");
  }

  function renderPlaces(p, prefix) {
    slot(`${prefix}-visit`).hidden = !p.in_person.length;
    fill(slot(`${prefix}-places`), p.in_person.map((place) => D.placeItem(place, data)));
  }

  function openProcedure(code, push = true) {
    if (!bundle) {
      // Tapped before the catalogue arrived (a slow first load): opened once it has.
      pendingOpen = [code, push];
      return;
    }
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

  function renderChecklist(c) {
    const p = S.procedure;
    const section = $("#checklist");
    section.dataset.state = c.stopped ? "stopped" : "ok";
    fill(slot("c-name"), bi(p.name, p.name_en));
    if (c.stopped) {
      fill(slot("c-stop-notes"), c.notes.map(D.noteItem));
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
    fill(slot("c-papers"), c.documents.map((d) => D.paperItem(p, d)));
    slot("c-id").hidden = !c.present_id;
    slot("c-unsure").hidden = !c.alternatives.length;
    fill(slot("c-unsure-list"), c.alternatives.map(D.alternativeItem));
    const uploads = c.documents.filter((d) => d.upload);
    slot("c-upload").hidden = !uploads.length;
    fill(slot("c-upload-list"), uploads.map((d) => el("li", {}, bi(d.name, d.name_en))));
    const originals = p.online ? c.documents.filter((d) => d.online === "counter") : [];
    slot("c-counter").hidden = !originals.length;
    fill(slot("c-counter-list"), originals.map((d) => el("li", {}, bi(d.name, d.name_en))));
    renderFee(c);
    const extra = c.suggestions.filter((s) => s.code !== p.code).map(D.suggestionItem);
    fill(slot("c-notes"), c.notes.map(D.noteItem), extra);
    slot("c-steps-btn").hidden = !p.online;
    renderPlaces(p, "c");
    live.setPrint("");
    D.markChecks(section, p);
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
    fill(slot("c-fee-lines"), D.feeList(p, today()));
  }

  function step(input, delta) {
    const max = input === "pages" ? 999 : 99;
    S[input] = Math.min(max, Math.max(1, S[input] + delta));
    fill(slot(`c-${input}`), String(S[input]));
    renderFee(computeChecklist());
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
      live.closeOverlays();
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
    print: (b) => live.printChecklist(b),
    steps: openSteps,
    "step-prev": () => moveStep(-1),
    "step-next": () => moveStep(1),
    lookup: openLookup,
    volunteer: () => (S.volunteer ? live.showTicket("volunteer", S.volunteer) : live.openOverlay("ask-volunteer")),
    "volunteer-confirm": live.callVolunteer,
    "hall-ticket": (b) => live.hallTicket(b),
    close: live.closeOverlays,
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
      if (pendingOpen) {
        const [code, push] = pendingOpen;
        pendingOpen = null;
        openProcedure(code, push);
      }
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
