/* A display page: the /display socket, resync by event_id, the clock, sound, the watchdog.
 *
 * - On every (re)connect the server sends `state`: the board is replaced, nothing is announced.
 * - `called` events carry event_id, one more than the previous one for this display; a call
 *   that arrives ahead of an earlier one waits briefly for it (several server processes can
 *   deliver out of order), then a remaining gap makes the page ask for `state` again.
 * - `queue` says the site's queue changed: the waiting counts are fetched again (throttled).
 * - After a reconnect, a gap, or the server's `resync` (its message queue came back), the page
 *   asks for `state` with `since` = its last event: the answer's `missed` calls are announced
 *   once, in order (those older than MISSED_FRESH_MS are only shown on the board).
 * - Disconnected, the page shows a discreet badge and socket.io reconnects by itself (within
 *   about 1.6 s once the server answers). If the socket stays down for cfg.watchdog_s although
 *   the server answers HTTP, the page reloads itself; it never reloads into an error page.
 * - A browser that may not play sound before a click (an ordinary browser; display PCs run
 *   Chromium with --autoplay-policy=no-user-gesture-required) shows a "Bật âm thanh / Enable
 *   sound" button; one click and the calls are read aloud.
 *
 * document.body carries data-connected, data-event-id, data-synced (count of snapshots
 * applied) and data-sound ("on" | "blocked" | "off") for tests and for a technician. */
"use strict";

(() => {
  const M = window.Motcua;
  const WAITING_EVERY_MS = 1000; // at most one fetch of the waiting counts a second (+ jitter)
  const STATE_EVERY_MS = 1000;
  const MISSED_FRESH_MS = 5 * 60 * 1000;
  const REORDER_MS = 400;
  const BADGE_AFTER_MS = 1500;

  const cfg = M.readData("display-config");
  const body = document.body;
  const skew = cfg.server_now_ms - Date.now(); // the display PC's clock may be wrong
  const loadedAt = Date.now();

  // A Date whose UTC fields are the office's local time.
  const localNow = () => new Date(Date.now() + skew + cfg.utc_offset_min * 60000);

  function quiet() {
    const d = localNow();
    const m = d.getUTCHours() * 60 + d.getUTCMinutes();
    return cfg.quiet_hours.some((q) => m >= q[0] && m < q[1]);
  }

  /* --- sound ---------------------------------------------------------------------------- */

  const soundButton = document.getElementById("sound");
  function setSound(state) {
    body.setAttribute("data-sound", state);
    if (soundButton) soundButton.hidden = state !== "blocked";
  }
  // An AudioContext made before any click starts "suspended" where the autoplay policy would
  // refuse to play: then say so at once rather than at the first (silent) call. After a click
  // on the button, the page may play: the next calls are read aloud.
  const Context = window.AudioContext || window.webkitAudioContext;
  function probeSound(resume) {
    if (cfg.volume <= 0) return setSound("off");
    if (!Context) return setSound("on");
    const probe = new Context();
    const settle = () => {
      setSound(probe.state === "running" ? "on" : "blocked");
      probe.close();
    };
    if (resume) probe.resume().then(settle, settle);
    else settle();
  }
  if (soundButton) soundButton.addEventListener("click", () => probeSound(true));
  probeSound();

  const board = window.MotcuaBoard.create(cfg);
  const announcer = window.MotcuaAnnouncer.create({
    volume: () => cfg.volume,
    quiet,
    show: board.showCall,
    hide: board.hideCall,
    showNext: board.showNext,
    blocked: () => setSound("blocked"),
  });

  /* --- clock ---------------------------------------------------------------------------- */

  const pad = (n) => String(n).padStart(2, "0");
  function tick() {
    const d = localNow();
    const time = document.getElementById("clock-time");
    const date = document.getElementById("clock-date");
    if (time) time.textContent = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    if (date) {
      const weekday = (date.getAttribute("data-weekdays") || "").split(",")[d.getUTCDay()];
      date.textContent =
        (weekday ? `${weekday}, ` : "") + `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
    }
  }
  tick();
  setInterval(tick, 1000);

  /* --- socket --------------------------------------------------------------------------- */

  let lastEventId = null; // null until the first snapshot
  let lastHeard = null; // the newest call announced (or deliberately not: the first snapshot)
  let resyncAsked = 0; // snapshots we asked for and have not received yet
  let staleRetried = false;
  let synced = 0;
  let brokenSince = Date.now();

  const socket = M.socket("/display", {
    auth: { display: cfg.display }, // used only by staff; a device is known by its cookie
    tryAllTransports: true, // a proxy that refuses WebSockets still lets long-polling through
    reconnectionDelay: 500,
    reconnectionDelayMax: 1200,
    randomizationFactor: 0.3,
    timeout: 5000,
  });
  window.motcuaSocket = socket;

  let badgeTimer = null;
  function setConnected(ok) {
    body.setAttribute("data-connected", ok ? "1" : "0");
    const badge = document.getElementById("offline");
    if (ok) {
      brokenSince = null;
      clearTimeout(badgeTimer);
      badgeTimer = null;
      badge.hidden = true;
    } else {
      if (brokenSince === null) brokenSince = Date.now();
      // Not for the blink of a page load or of a quick reconnect.
      if (badgeTimer === null) badgeTimer = setTimeout(() => (badge.hidden = false), BADGE_AFTER_MS);
    }
  }
  setConnected(false);

  function askState() {
    resyncAsked += 1;
    socket.emit("state", lastHeard === null ? {} : { since: lastHeard });
  }

  // socket.io delivers the snapshot sent on connect before the `connect` event itself, so
  // only a reconnect (not the first connect) asks again, for what was called meanwhile.
  let everConnected = false;
  socket.on("connect", () => {
    resyncAsked = 0; // the server sends a fresh snapshot on every connect
    setConnected(true);
    if (everConnected && lastEventId !== null) askState(); // what was called while away
    everConnected = true;
  });

  socket.on("resync", () => askState());

  socket.on("disconnect", (reason) => {
    setConnected(false);
    if (reason === "io server disconnect") socket.connect(); // the only case with no retry
  });

  socket.on("connect_error", () => {
    setConnected(false);
    // Refused by the namespace (e.g. the device was revoked): socket.io does not retry that.
    if (!socket.active) setTimeout(() => socket.connect(), 10000);
  });

  socket.on("state", (state) => {
    if (resyncAsked > 0) {
      resyncAsked -= 1;
      // A snapshot read before events that already arrived: ask once more.
      const stale = lastEventId !== null && state.event_id < lastEventId;
      if (stale && resyncAsked === 0 && !staleRetried) {
        staleRetried = true;
        askState();
        return;
      }
    }
    staleRetried = false;
    lastEventId = state.event_id;
    board.applyState(state);
    if (lastHeard === null) lastHeard = state.event_id; // the first snapshot: nothing missed
    else if (state.missed) catchUp(state);
    synced += 1;
    body.setAttribute("data-event-id", String(lastEventId));
    body.setAttribute("data-synced", String(synced));
    refreshWaiting();
  });

  /* Calls are heard in event_id order. With several server processes one call can overtake
     another on its way here: a call that arrives ahead of an earlier one waits REORDER_MS for
     it, then the page asks for the snapshot of what it missed. */
  const pending = {};
  let gapTimer = null;

  function hear(ev, announce) {
    lastHeard = ev.event_id;
    if (lastEventId === null || ev.event_id > lastEventId) lastEventId = ev.event_id;
    body.setAttribute("data-event-id", String(lastEventId));
    board.applyCall(ev);
    if (announce && board.wants(ev)) announcer.enqueue(ev);
    if (!ev.recall) M.throttle("waiting", refreshWaiting, WAITING_EVERY_MS); // one fewer waits
  }

  function flushPending() {
    for (const id of Object.keys(pending)) if (Number(id) <= lastHeard) delete pending[id];
    while (pending[lastHeard + 1]) {
      const next = pending[lastHeard + 1];
      delete pending[next.event_id];
      hear(next, true);
    }
    if (!Object.keys(pending).length && gapTimer) {
      clearTimeout(gapTimer);
      gapTimer = null;
    }
  }

  // The calls of a `since` snapshot never heard here, oldest first; older ones are only shown.
  function catchUp(state) {
    const now = Date.now() + skew;
    for (const ev of state.missed) {
      if (ev.event_id <= lastHeard) continue;
      hear(ev, !(now - Date.parse(ev.called_at) > MISSED_FRESH_MS));
    }
    lastHeard = Math.max(lastHeard, state.event_id);
    flushPending();
  }

  socket.on("called", (ev) => {
    if (lastHeard !== null && ev.event_id <= lastHeard) return; // heard already
    if (lastHeard === null || ev.event_id === lastHeard + 1) {
      hear(ev, true);
      flushPending();
      return;
    }
    pending[ev.event_id] = ev;
    if (gapTimer === null) {
      gapTimer = setTimeout(() => {
        gapTimer = null;
        if (Object.keys(pending).length) askState();
      }, REORDER_MS);
    }
  });

  // An admin changed the configuration (counters shown, names, notice, layout): the page is
  // drawn again; on load it asks for the state, as after any reconnect.
  socket.on("config", () => M.throttle("config", () => location.reload(), 2000));

  socket.on("queue", (ev) => {
    M.throttle("waiting", refreshWaiting, WAITING_EVERY_MS);
    // A finished, transferred or paused ticket leaves its counter: refresh the tiles.
    // (Only when the event says what changed: e.g. {kind: "TicketChanged", counter: 3}.)
    const kind = String((ev && ev.kind) || "").toLowerCase();
    const mine = ev && (ev.counter == null || cfg.counters.some((c) => c.number === ev.counter));
    if (kind && !kind.includes("issued") && !kind.includes("called") && mine) {
      M.throttle("state", askState, STATE_EVERY_MS);
    }
  });

  /* --- waiting counts (public API) ------------------------------------------------------ */

  function refreshWaiting() {
    if (cfg.layout !== "hall") return;
    M.api("GET", `/api/v1/sites/${encodeURIComponent(cfg.site)}/services`)
      .then(board.applyWaiting)
      .catch(() => { /* shown again on the next change or reconnect */ });
  }

  /* --- watchdog ------------------------------------------------------------------------- */

  const serverAnswers = () =>
    fetch("/healthz", { cache: "no-store" }).then(
      (r) => r.ok,
      () => false,
    );

  let probing = false;
  setInterval(() => {
    if (probing) return;
    const broken = brokenSince !== null && Date.now() - brokenSince > cfg.watchdog_s * 1000;
    // Once a day, early in the morning, start afresh: yesterday's numbers go, new code loads.
    const daily = localNow().getUTCHours() === 3 && Date.now() - loadedAt > 3600 * 1000 && !announcer.current();
    if (broken || daily) {
      probing = true;
      serverAnswers().then((ok) => {
        probing = false;
        if (ok) window.location.reload();
      });
    }
  }, Math.min(5000, cfg.watchdog_s * 500));
})();
