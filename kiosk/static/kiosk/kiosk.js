/* The touch kiosk. One page with several screens and no navigation of its own: a reload while
   the server is down would leave a browser error page. It talks to API v1 as its enrolled
   device (window.Motcua), updates counts when /live pushes a `queue` event, and shows "Tạm
   ngừng phục vụ" while the server cannot be reached. Wording lives in the template, in both
   languages. */
"use strict";

(() => {
  const M = window.Motcua;
  const { $, $$, slot, setState } = M;
  const D = M.readData("kiosk-data");
  const STUCK_PRINT_MS = 12000; // still "queued" after this: tell the citizen, keep watching
  const body = document.body;
  const timers = {};
  let lang = D.lang;
  let priority = null;
  let busy = false;
  let online = true;
  let ticket = null;
  let printStatus = null; // the server's word
  let audio = null;
  let lastServices = []; // the latest figures, for the refusal screen's other services
  const ASK_S = 20; // the procedure step asks this long before it goes home without a number
  M.setServerTime(D.now);

  const later = (name, ms, fn) => {
    clearTimeout(timers[name]);
    timers[name] = fn ? setTimeout(fn, ms) : null;
  };

  // --- screens and language ------------------------------------------------------------------
  function show(name) {
    body.dataset.screen = name;
    $$("body > .screen").forEach((s) => (s.hidden = s.id !== name));
  }
  function setLang(l) {
    lang = l;
    body.dataset.lang = l;
    document.documentElement.lang = l;
  }
  const nameOf = (service) => $(`.service[data-service="${service}"] .name`);

  // --- time ------------------------------------------------------------------------------------
  function fmt(date, l, opts) {
    return new Intl.DateTimeFormat(l === "en" ? "en-GB" : "vi-VN", { ...opts, timeZone: D.tz }).format(date);
  }
  const hm = (date, l) => fmt(date, l, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const day = (date) => fmt(date, "en", { year: "numeric", month: "2-digit", day: "2-digit" });
  function when(iso, l) { // "13:30", or "07:30 Thứ Hai, 12/1" on another day
    const d = new Date(iso);
    const time = hm(d, l);
    return day(d) === day(M.serverNow()) ? time : `${time} ${fmt(d, l, { weekday: "long", day: "numeric", month: "numeric" })}`;
  }
  function tick() {
    const d = M.serverNow();
    slot(document, "time", hm(d, "vi"));
    slot(document, "date", (l) => fmt(d, l, { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" }));
  }

  // --- the server ------------------------------------------------------------------------------
  /** {status, data} of an API call; rejects only when the server cannot be reached. */
  async function call(method, path, payload, headers) {
    try {
      return { status: 200, data: await M.api(method, path, payload, { headers, lang, timeoutMs: 8000 }) };
    } catch (err) {
      if (err instanceof M.ApiError) return { status: err.status, data: err.body };
      throw err;
    }
  }

  async function refresh() {
    later("poll", 30000, refresh); // opening hours and the cut-off change with time, not events
    let r = null;
    try {
      r = await call("GET", `/api/v1/sites/${D.site}/services`);
    } catch (e) {
      r = null;
    }
    if (!r || r.status >= 500 || !Array.isArray(r.data)) return goOffline();
    if (!online) {
      online = true;
      goHome();
    }
    render(r.data);
  }
  const soon = () => later("refresh", 250, refresh);

  function render(list) {
    let cutoff = false;
    lastServices = list;
    for (const s of list) {
      const b = $(`.service[data-service="${s.code}"]`);
      if (!b) continue;
      const min = s.estimated_wait_min; // rounded by the server: the same minutes as on paper
      setState(b, s.open ? "open" : s.closed_reason || "closed");
      b.classList.toggle("off", !s.open);
      b.dataset.afterCutoff = s.after_cutoff ? "1" : "";
      slot(b, "waiting", s.waiting);
      slot(b, "wait", min);
      slot(b, "reopens", (l) => (s.reopens_at ? when(s.reopens_at, l) : ""));
      $$(".wait", b).forEach((w) => (w.hidden = !min));
      $$(".reopens", b).forEach((w) => (w.hidden = !s.reopens_at));
      $(".cutoff-tag", b).hidden = !(s.open && s.after_cutoff);
      cutoff = cutoff || (s.open && s.after_cutoff);
    }
    $("#home .cutoff").hidden = !cutoff;
  }

  function goOffline() {
    later("refresh");
    later("poll", 4000, refresh); // keep knocking until the server answers
    if (!online) return;
    online = false;
    reset();
    $$('.service [data-slot="waiting"], .service [data-slot="wait"]').forEach((e) => (e.textContent = "–"));
    show("offline");
  }

  // A rejected write with no reason is a stale CSRF token (new secret key): reload, but only
  // once the page itself loads, never into a browser error page.
  async function reloadWhenUp() {
    try {
      if ((await fetch(location.href, { cache: "no-store" })).ok) location.reload();
    } catch (e) {
      /* later */
    }
  }

  // --- taking a number -------------------------------------------------------------------------
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b); // crypto.randomUUID needs https; a kiosk on the LAN may not have it
    return [...b].map((x) => (x + 256).toString(16).slice(1)).join("");
  }

  // Which procedure the citizen came for, from the service's list in the catalogue: its code,
  // "" when skipped (or the service has none), null when the citizen left (home, idle reset).
  let choosing = null; // resolves the open choice
  let shownAt = 0; // when it was shown
  let choice = { list: [], page: 0 }; // the service's procedures, shown a page at a time
  const perPage = () => (innerWidth > innerHeight ? 6 : 8); // fits without scrolling
  function showProcedurePage(page) {
    const screen = $("#procedure");
    const box = $(".procedures", screen);
    const tpl = $("#procedure-button");
    const size = perPage();
    const pages = Math.ceil(choice.list.length / size);
    choice.page = Math.max(0, Math.min(pages - 1, page));
    box.replaceChildren();
    for (const p of choice.list.slice(choice.page * size, (choice.page + 1) * size)) {
      const b = tpl.content.firstElementChild.cloneNode(true);
      b.dataset.code = p.code;
      $(".vi", b).textContent = p.vi;
      $(".en", b).textContent = p.en || p.vi;
      box.appendChild(b);
    }
    const rows = Math.ceil(Math.min(size, choice.list.length) / (size === 6 ? 3 : 2));
    box.style.setProperty("--rows", String(rows));
    $(".procedure-pages", screen).hidden = pages < 2;
    slot(screen, "page", choice.page + 1);
    slot(screen, "pages", pages);
    $$(".page-btn", screen).forEach((b) => {
      const target = choice.page + Number(b.dataset.step);
      b.disabled = target < 0 || target >= pages;
    });
  }
  function chooseProcedure(service) {
    const list = D.procedures[service] || [];
    if (!list.length) return Promise.resolve("");
    const screen = $("#procedure");
    choice = { list, page: 0 };
    showProcedurePage(0);
    slot(screen, "service", nameOf(service));
    slot(screen, "service-name", nameOf(service));
    $(".still-choosing", screen).hidden = true;
    show("procedure");
    shownAt = Date.now();
    return new Promise((done) => (choosing = done));
  }
  // Idle on the procedure step: ask, with a countdown, before going home without a number.
  function askStillChoosing() {
    const box = $("#procedure .still-choosing");
    let left = ASK_S;
    box.hidden = false;
    const step = () => {
      slot(box, "left", left);
      if (left-- <= 0) return goHome();
      later("ask", 1000, step);
    };
    step();
  }
  function keepChoosing() {
    later("ask");
    $("#procedure .still-choosing").hidden = true;
    shownAt = Date.now();
  }
  function chosen(code, tapped) {
    // The second half of a double tap lands on this screen: it chooses nothing.
    if (tapped && Date.now() - shownAt < 400) return;
    later("ask");
    $("#procedure .still-choosing").hidden = true;
    const done = choosing;
    choosing = null;
    if (done) done(code);
  }
  function procedureName(code) { // the chosen button's two names, for the ticket screen
    const b = code && $(`#procedure .procedure-choice[data-code="${code}"]`);
    if (!b) return null;
    const names = document.createDocumentFragment();
    $$("[lang]", b).forEach((span) => names.appendChild(span.cloneNode(true)));
    return names;
  }

  async function issue(btn) {
    if (busy || !online) return;
    busy = true; // set before anything awaits: a second tap finds it
    btn.disabled = true;
    // The ticket prints in the language on screen: Vietnamese unless the citizen chose English.
    const payload = { site: D.site, service: btn.dataset.service, lang: lang === "en" ? "en" : "vi" };
    if (priority) payload.priority = priority;
    // A closed service is refused at once; "call a volunteer" needs no procedure.
    const ask = !btn.dataset.volunteer && !btn.classList.contains("off");
    const procedure = ask ? await chooseProcedure(payload.service) : "";
    if (procedure === null) return; // went home meanwhile: reset() has tidied up
    if (procedure) payload.procedure = procedure;
    show("busy");
    const key = newKey();
    let r = null;
    for (let attempt = 0; attempt < 2 && !r; attempt++) {
      try {
        r = await call("POST", "/api/v1/tickets", payload, { "Idempotency-Key": key });
      } catch (e) {
        if (!attempt) await M.sleep(1500); // the same key: a retry never makes a second ticket
      }
    }
    busy = false;
    if (!r) return goOffline();
    const err = (r.data && r.data.error) || {};
    if (r.status === 200) return showTicket(r.data);
    if (r.status === 409) return refuse(payload.service, err.code, err.reopens_at);
    if (r.status === 429) return refuse(payload.service, "rate_limited");
    if (r.status === 401 || r.status === 403) return refuse(payload.service, "not_allowed");
    if (r.status === 400) reloadWhenUp();
    refuse(payload.service, "error");
  }

  function refuse(service, code, reopens) {
    const screen = $("#refusal");
    const known = ["service_closed", "daily_cap_reached", "rate_limited", "not_allowed"];
    setState(screen, known.includes(code) ? code : "error");
    slot(screen, "service", nameOf(service));
    slot(screen, "reopens", (l) => (reopens ? when(reopens, l) : ""));
    if (!reopens) $(".reopen", screen).hidden = true;
    // Other services taking tickets now, as buttons that take a number there.
    const box = $(".other-services", screen);
    box.replaceChildren();
    for (const s of lastServices) {
      const home = $(`.service[data-service="${s.code}"]`);
      if (!s.open || s.code === service || !home) continue;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "big other";
      b.dataset.action = "other-service";
      b.dataset.service = s.code;
      b.appendChild($(".name", home).cloneNode(true));
      box.appendChild(b);
    }
    $(".others", screen).hidden = !box.children.length;
    show("refusal");
    soon();
  }

  function showTicket(t) {
    const screen = $("#ticket");
    const svc = $(`.service[data-service="${t.service}"]`);
    const min = t.estimated_wait_min;
    ticket = t;
    screen.dataset.ticketId = t.id;
    slot(screen, "number", t.number);
    slot(screen, "service", nameOf(t.service));
    const proc = procedureName(t.procedure);
    $(".proc", screen).hidden = !proc;
    if (proc) slot(screen, "procedure", proc);
    slot(screen, "ahead", t.ahead);
    slot(screen, "wait", min);
    setState($(".wait-dd", screen), min ? "some" : "none");
    slot(screen, "counters-vi", svc.dataset.countersVi);
    slot(screen, "counters-en", svc.dataset.countersEn);
    setState(screen, t.priority ? "self" : priority ? "confirm" : "plain");
    if (priority) slot(screen, "group", $(`.group[data-group="${priority}"] .name`));
    $(".cutoff", screen).hidden = !svc.dataset.afterCutoff;
    $(".qr", screen).src = `/t/${encodeURIComponent(t.code)}/qr.svg`;
    $(".replay", screen).hidden = !D.readAloud;
    printStatus = null;
    setPrint(t.print.status);
    show("ticket");
    speak();
    if (t.print.status === "queued") watchPrint(Date.now());
    soon();
  }

  function setPrint(status, shown = status) {
    const box = $("#ticket .print");
    printStatus = status;
    if (box.dataset.state === shown && timers.return) return;
    setState(box, shown);
    // A failed print keeps the number and QR up longer: the citizen must note it down.
    countdown(shown === "failed" || shown === "none" ? 3 * D.returnHomeS : D.returnHomeS);
  }

  // Follow print.status until it settles: /live pushes wake us up, a slow poll covers a lost push.
  function watchPrint(started) {
    later("print", 2000, async () => {
      await checkPrint();
      if (!ticket || printStatus !== "queued") return;
      if (Date.now() - started > STUCK_PRINT_MS && $("#ticket .print").dataset.state === "queued") setPrint("queued", "failed");
      watchPrint(started);
    });
  }
  async function checkPrint() {
    if (!ticket) return;
    const id = ticket.id;
    let r;
    try {
      r = await call("GET", `/api/v1/tickets/${id}`);
    } catch (e) {
      return;
    }
    if (ticket && ticket.id === id && r.status === 200 && r.data.print.status !== printStatus) setPrint(r.data.print.status);
  }

  function countdown(seconds) {
    let left = seconds;
    const step = () => {
      slot($("#ticket"), "countdown", `(${left})`);
      if (left-- <= 0) return goHome();
      later("return", 1000, step);
    };
    step();
  }

  function speak() {
    if (!D.readAloud || !ticket) return;
    if (audio) audio.pause();
    audio = new Audio(`/kiosk/${D.site}/voice/${ticket.number}.wav`);
    audio.play().catch(() => { /* no sound device: the screen still shows it */ });
  }

  // --- going home, idle reset ------------------------------------------------------------------
  function reset() {
    chosen(null);
    later("ask");
    ticket = null;
    busy = false;
    priority = null;
    body.classList.remove("prio");
    ["return", "print"].forEach((n) => later(n));
    if (audio) {
      audio.pause();
      audio = null;
    }
    $$("button[disabled]").forEach((b) => (b.disabled = false));
  }
  function goHome(keepLang) {
    reset();
    if (!keepLang) setLang("vi");
    show(online ? "home" : "offline");
    soon();
  }
  function idle() {
    const s = body.dataset.screen;
    // A number half taken is never dropped silently: the procedure step asks first.
    if (s === "procedure") {
      if ($("#procedure .still-choosing").hidden) askStillChoosing();
    } else if (["priority", "refusal"].includes(s) || (s === "home" && (priority || lang !== "vi"))) goHome();
    poke();
  }
  const poke = () => later("idle", D.idleS * 1000, idle);

  // --- wiring ----------------------------------------------------------------------------------
  document.addEventListener("click", (e) => {
    const b = e.target.closest("[data-action]");
    if (!b || b.disabled) return;
    const action = b.dataset.action;
    if (action === "issue") issue(b);
    else if (action === "lang") setLang(lang === "vi" ? "en" : "vi");
    else if (action === "priority") show("priority");
    else if (action === "group") {
      priority = b.dataset.group;
      body.classList.add("prio");
      slot($("#home"), "group", $(".name", b));
      show("home");
    } else if (action === "cancel-priority") {
      priority = null;
      body.classList.remove("prio");
    } else if (action === "home") goHome(body.dataset.screen !== "ticket");
    else if (action === "replay") speak();
    else if (action === "procedure") chosen(b.dataset.code || "", !b.classList.contains("take-now"));
    else if (action === "procedure-page") showProcedurePage(choice.page + Number(b.dataset.step));
    else if (action === "keep-choosing") keepChoosing();
    else if (action === "other-service") {
      const other = $(`.service[data-service="${b.dataset.service}"]`);
      goHome(true);
      if (other) issue(other);
    }
  });
  document.addEventListener("pointerdown", poke, true);
  document.addEventListener("contextmenu", (e) => e.preventDefault()); // long press

  function connect() {
    const sock = M.socket("/live");
    if (!sock) return;
    sock.on("connect", soon);
    sock.on("disconnect", () => later("refresh", 1000, refresh));
    // An admin added, changed or disabled a service, or changed the procedure catalogue: the
    // grid is drawn again, then filled, and the page's data (each service's procedures, the
    // timings) is read again from the fresh page.
    sock.on("config", () =>
      M.reloadParts().finally(() => {
        const fresh = M.readData("kiosk-data");
        delete fresh.lang; // the citizen's choice on this page stays
        delete fresh.now;
        Object.assign(D, fresh);
        document.body.dataset.count = String($$("#services .service").length);
        soon();
      }),
    );
    sock.on("queue", (ev) => {
      if (ev && ev.site && ev.site !== D.site) return;
      soon();
      if (ticket && ev && ev.ticket_id === ticket.id) checkPrint();
    });
  }

  $$("[data-state]").forEach((node) => setState(node, node.dataset.state));
  setLang(lang);
  tick();
  setInterval(tick, 1000);
  refresh();
  connect();
  poke();
})();
