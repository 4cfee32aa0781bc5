/* The touch kiosk. One page with several screens and no navigation of its own: a reload while
   the server is down would leave a browser error page. It talks to API v1 with the device
   cookie, updates counts when /live pushes a `queue` event, and shows "Tạm ngừng phục vụ"
   while the server cannot be reached. Wording lives in the template, in both languages. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kiosk-data").textContent);
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var STUCK_PRINT_MS = 12000; // still "queued" after this: tell the citizen, keep watching
  var body = document.body;
  var lang = D.lang, priority = null, busy = false, online = true;
  var ticket = null, printStatus = null, audio = null; // printStatus: the server's word
  var skew = Date.parse(D.now) - Date.now(); // server clock minus ours
  var timers = {};

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function later(name, ms, fn) { clearTimeout(timers[name]); timers[name] = fn ? setTimeout(fn, ms) : null; }
  function sleep(ms) { return new Promise(function (ok) { setTimeout(ok, ms); }); }

  // --- screens, slots, states ------------------------------------------------------------------
  function show(name) {
    body.dataset.screen = name;
    $$("body > .screen").forEach(function (s) { s.hidden = s.id !== name; });
  }
  // Fill every [data-slot=name] in root: a node is copied in, a function gets the slot's language.
  function slot(root, name, value) {
    $$('[data-slot="' + name + '"]', root).forEach(function (el) {
      if (value instanceof Node) el.replaceChildren(value.cloneNode(true));
      else el.textContent = typeof value === "function" ? value(el.closest("[lang]").lang) : value;
    });
  }
  // Show the [data-when] children of el that list `value` (nested [data-state] keep their own).
  function setState(el, value) {
    el.dataset.state = value;
    $$("[data-when]", el).forEach(function (c) {
      if (c.parentElement.closest("[data-state]") === el) c.hidden = c.dataset.when.split(" ").indexOf(value) < 0;
    });
  }
  function setLang(l) { lang = l; body.dataset.lang = l; document.documentElement.lang = l; }
  function nameOf(service) { return $('.service[data-service="' + service + '"] .name'); }

  // --- time ------------------------------------------------------------------------------------
  function now() { return new Date(Date.now() + skew); }
  function fmt(date, l, opts) {
    opts.timeZone = D.tz;
    return new Intl.DateTimeFormat(l === "en" ? "en-GB" : "vi-VN", opts).format(date);
  }
  function hm(date, l) { return fmt(date, l, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }); }
  function day(date) { return fmt(date, "en", { year: "numeric", month: "2-digit", day: "2-digit" }); }
  function when(iso, l) { // "13:30", or "07:30 Thứ Hai, 12/1" on another day
    var d = new Date(iso);
    return day(d) === day(now()) ? hm(d, l) : hm(d, l) + " " + fmt(d, l, { weekday: "long", day: "numeric", month: "numeric" });
  }
  function tick() {
    var d = now();
    slot(document, "time", hm(d, "vi"));
    slot(document, "date", function (l) { return fmt(d, l, { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" }); });
  }
  function minutes(s) { return s > 0 ? Math.max(1, Math.round(s / 60)) : 0; }

  // --- the server ------------------------------------------------------------------------------
  async function api(method, path, payload, headers) {
    var ctl = new AbortController(), t = setTimeout(function () { ctl.abort(); }, 8000);
    var h = { "Accept": "application/json", "Accept-Language": lang, "X-CSRF-Token": CSRF };
    if (payload) h["Content-Type"] = "application/json";
    try {
      var r = await fetch(path, {
        method: method, headers: Object.assign(h, headers), signal: ctl.signal, cache: "no-store",
        credentials: "same-origin", body: payload ? JSON.stringify(payload) : undefined,
      });
      var date = r.headers.get("Date");
      if (date) skew = Date.parse(date) + 500 - Date.now();
      var data = null;
      try { data = await r.json(); } catch (e) { /* not JSON */ }
      return { status: r.status, data: data };
    } finally { clearTimeout(t); }
  }

  async function refresh() {
    later("poll", 30000, refresh); // opening hours and the cut-off change with time, not events
    var r;
    try { r = await api("GET", "/api/v1/sites/" + D.site + "/services"); } catch (e) { r = null; }
    if (!r || r.status >= 500 || !Array.isArray(r.data)) return goOffline();
    if (!online) { online = true; goHome(); }
    render(r.data);
  }
  function soon() { later("refresh", 250, refresh); }

  function render(list) {
    var cutoff = false;
    list.forEach(function (s) {
      var b = $('.service[data-service="' + s.code + '"]');
      if (!b) return;
      var min = minutes(s.estimated_wait_s);
      setState(b, s.open ? "open" : s.closed_reason || "closed");
      b.classList.toggle("off", !s.open);
      b.dataset.afterCutoff = s.after_cutoff ? "1" : "";
      slot(b, "waiting", s.waiting);
      slot(b, "wait", min);
      slot(b, "reopens", function (l) { return s.reopens_at ? when(s.reopens_at, l) : ""; });
      $$(".wait", b).forEach(function (w) { w.hidden = !min; });
      $$(".reopens", b).forEach(function (w) { w.hidden = !s.reopens_at; });
      $(".cutoff-tag", b).hidden = !(s.open && s.after_cutoff);
      cutoff = cutoff || (s.open && s.after_cutoff);
    });
    $("#home .cutoff").hidden = !cutoff;
  }

  function goOffline() {
    later("refresh"); later("poll", 4000, refresh); // keep knocking until the server answers
    if (!online) return;
    online = false;
    reset();
    $$('.service [data-slot="waiting"], .service [data-slot="wait"]').forEach(function (e) { e.textContent = "–"; });
    show("offline");
  }

  // A rejected write with no reason is a stale CSRF token (new secret key): reload, but only
  // once the page itself loads, never into a browser error page.
  async function reloadWhenUp() {
    try { if ((await fetch(location.href, { cache: "no-store" })).ok) location.reload(); } catch (e) { /* later */ }
  }

  // --- taking a number -------------------------------------------------------------------------
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b); // crypto.randomUUID needs https; a kiosk on the LAN may not have it
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  // Which procedure the citizen came for, from the service's list in the catalogue: its code,
  // "" when skipped (or the service has none), null when the citizen left (home, idle reset).
  var choosing = null, shownAt = 0; // resolves the open choice; when it was shown
  function chooseProcedure(service) {
    var list = D.procedures[service] || [];
    if (!list.length) return Promise.resolve("");
    var el = $("#procedure"), box = $(".procedures", el), tpl = $("#procedure-button");
    box.replaceChildren();
    list.forEach(function (p) {
      var b = tpl.content.firstElementChild.cloneNode(true);
      b.dataset.code = p.code;
      $(".vi", b).textContent = p.vi;
      $(".en", b).textContent = p.en || p.vi;
      box.appendChild(b);
    });
    slot(el, "service", nameOf(service));
    show("procedure");
    shownAt = Date.now();
    return new Promise(function (done) { choosing = done; });
  }
  function chosen(code, tapped) {
    // The second half of a double tap lands on this screen: it chooses nothing.
    if (tapped && Date.now() - shownAt < 400) return;
    var done = choosing;
    choosing = null;
    if (done) done(code);
  }
  function procedureName(code) { // the chosen button's two names, for the ticket screen
    var b = code && $('#procedure .procedure-choice[data-code="' + code + '"]');
    if (!b) return null;
    var names = document.createDocumentFragment();
    $$("[lang]", b).forEach(function (span) { names.appendChild(span.cloneNode(true)); });
    return names;
  }

  async function issue(btn) {
    if (busy || !online) return;
    busy = true; // set before anything awaits: a second tap finds it
    btn.disabled = true;
    var payload = { site: D.site, service: btn.dataset.service };
    if (priority) payload.priority = priority;
    // A closed service is refused at once; "call a volunteer" needs no procedure.
    var ask = !btn.dataset.volunteer && !btn.classList.contains("off");
    var procedure = ask ? await chooseProcedure(payload.service) : "";
    if (procedure === null) return; // went home meanwhile: reset() has tidied up
    if (procedure) payload.procedure = procedure;
    show("busy");
    var key = newKey(), r = null;
    for (var attempt = 0; attempt < 2 && !r; attempt++) {
      try { r = await api("POST", "/api/v1/tickets", payload, { "Idempotency-Key": key }); }
      catch (e) { if (!attempt) await sleep(1500); } // the same key: a retry never makes a second ticket
    }
    busy = false;
    if (!r) return goOffline();
    var err = (r.data && r.data.error) || {};
    if (r.status === 200 || r.status === 201) return showTicket(r.data);
    if (r.status === 409) return refuse(payload.service, err.code, err.reopens_at);
    if (r.status === 429) return refuse(payload.service, "rate_limited");
    if (r.status === 401 || r.status === 403) return refuse(payload.service, "not_allowed");
    if (r.status === 400) reloadWhenUp();
    refuse(payload.service, "error");
  }

  function refuse(service, code, reopens) {
    var el = $("#refusal");
    var known = ["service_closed", "daily_cap_reached", "rate_limited", "not_allowed"];
    setState(el, known.indexOf(code) < 0 ? "error" : code);
    slot(el, "service", nameOf(service));
    slot(el, "reopens", function (l) { return reopens ? when(reopens, l) : ""; });
    if (!reopens) $(".reopen", el).hidden = true;
    show("refusal");
    soon();
  }

  function showTicket(t) {
    var el = $("#ticket"), svc = $('.service[data-service="' + t.service + '"]');
    var min = minutes(t.estimated_wait_s);
    ticket = t;
    el.dataset.ticketId = t.id;
    slot(el, "number", t.number);
    slot(el, "service", nameOf(t.service));
    var proc = procedureName(t.procedure);
    $(".proc", el).hidden = !proc;
    if (proc) slot(el, "procedure", proc);
    slot(el, "ahead", t.ahead);
    slot(el, "wait", min);
    setState($(".wait-dd", el), min ? "some" : "none");
    slot(el, "counters-vi", svc.dataset.countersVi);
    slot(el, "counters-en", svc.dataset.countersEn);
    setState(el, t.priority ? "self" : priority ? "confirm" : "plain");
    if (priority) slot(el, "group", $('.group[data-group="' + priority + '"] .name'));
    $(".cutoff", el).hidden = !svc.dataset.afterCutoff;
    $(".qr", el).src = "/t/" + encodeURIComponent(t.code) + "/qr.svg";
    $(".replay", el).hidden = !D.readAloud;
    printStatus = null;
    setPrint(t.print.status);
    show("ticket");
    speak();
    if (t.print.status === "queued") watchPrint(Date.now());
    soon();
  }

  function setPrint(status, shown) {
    var el = $("#ticket .print");
    printStatus = status;
    shown = shown || status;
    if (el.dataset.state === shown && timers["return"]) return;
    setState(el, shown);
    // A failed print keeps the number and QR up longer: the citizen must note it down.
    countdown(shown === "failed" || shown === "none" ? 3 * D.returnHomeS : D.returnHomeS);
  }

  // Follow print.status until it settles: /live pushes wake us up, a slow poll covers a lost push.
  function watchPrint(started) {
    later("print", 2000, async function () {
      await checkPrint();
      if (!ticket || printStatus !== "queued") return;
      if (Date.now() - started > STUCK_PRINT_MS && $("#ticket .print").dataset.state === "queued") setPrint("queued", "failed");
      watchPrint(started);
    });
  }
  async function checkPrint() {
    if (!ticket) return;
    var id = ticket.id, r;
    try { r = await api("GET", "/api/v1/tickets/" + id); } catch (e) { return; }
    if (ticket && ticket.id === id && r.status === 200 && r.data.print.status !== printStatus) setPrint(r.data.print.status);
  }

  function countdown(seconds) {
    var left = seconds;
    (function step() {
      slot($("#ticket"), "countdown", "(" + left + ")");
      if (left-- <= 0) return goHome();
      later("return", 1000, step);
    })();
  }

  function speak() {
    if (!D.readAloud || !ticket) return;
    if (audio) audio.pause();
    audio = new Audio("/kiosk/" + D.site + "/voice/" + ticket.number + ".wav");
    audio.play().catch(function () { /* no sound device: the screen still shows it */ });
  }

  // --- going home, idle reset ------------------------------------------------------------------
  function reset() {
    chosen(null);
    ticket = null; busy = false; priority = null;
    body.classList.remove("prio");
    ["return", "print"].forEach(function (n) { later(n); });
    if (audio) { audio.pause(); audio = null; }
    $$("button[disabled]").forEach(function (b) { b.disabled = false; });
  }
  function goHome(keepLang) {
    reset();
    if (!keepLang) setLang("vi");
    show(online ? "home" : "offline");
    soon();
  }
  function idle() {
    var s = body.dataset.screen;
    if (s === "priority" || s === "procedure" || s === "refusal" || (s === "home" && (priority || lang !== "vi"))) goHome();
    poke();
  }
  function poke() { later("idle", D.idleS * 1000, idle); }

  // --- wiring ----------------------------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-action]");
    if (!b || b.disabled) return;
    var a = b.dataset.action;
    if (a === "issue") issue(b);
    else if (a === "lang") setLang(lang === "vi" ? "en" : "vi");
    else if (a === "priority") show("priority");
    else if (a === "group") {
      priority = b.dataset.group;
      body.classList.add("prio");
      slot($("#home"), "group", $(".name", b));
      show("home");
    } else if (a === "cancel-priority") { priority = null; body.classList.remove("prio"); }
    else if (a === "home") goHome(body.dataset.screen !== "ticket");
    else if (a === "replay") speak();
    else if (a === "procedure") chosen(b.dataset.code || "", true);
  });
  document.addEventListener("pointerdown", poke, true);
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); }); // long press

  function connect() {
    if (typeof io !== "function") return;
    // WebSocket first: several server processes need no sticky sessions for it.
    var sock = io("/live", { transports: ["websocket", "polling"], tryAllTransports: true });
    sock.on("connect", soon);
    sock.on("disconnect", function () { later("refresh", 1000, refresh); });
    sock.on("queue", function (ev) {
      if (ev && ev.site && ev.site !== D.site) return;
      soon();
      if (ticket && ev && ev.ticket_id === ticket.id) checkPrint();
    });
  }

  $$("[data-state]").forEach(function (el) { setState(el, el.dataset.state); });
  setLang(lang);
  tick();
  setInterval(tick, 1000);
  refresh();
  connect();
  poke();
})();
