/* A display page: the /display socket, resync by event_id, the clock, the watchdog.
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
 *
 * document.body carries data-connected, data-event-id and data-synced (count of snapshots
 * applied) for tests and for a technician. */
(function () {
  "use strict";

  var WAITING_EVERY_MS = 1000; // at most one fetch of the waiting counts a second (+ jitter)
  var STATE_EVERY_MS = 1000;
  var MISSED_FRESH_MS = 5 * 60 * 1000;
  var REORDER_MS = 400;
  var BADGE_AFTER_MS = 1500;

  var cfg = JSON.parse(document.getElementById("display-config").textContent);
  var body = document.body;
  var skew = cfg.server_now_ms - Date.now(); // the display PC's clock may be wrong
  var loadedAt = Date.now();

  function localNow() {
    // A Date whose UTC fields are the office's local time.
    return new Date(Date.now() + skew + cfg.utc_offset_min * 60000);
  }

  function localMinutes() {
    var d = localNow();
    return d.getUTCHours() * 60 + d.getUTCMinutes();
  }

  function quiet() {
    var m = localMinutes();
    return cfg.quiet_hours.some(function (q) { return m >= q[0] && m < q[1]; });
  }

  var board = window.MotcuaBoard.create(cfg);
  var announcer = window.MotcuaAnnouncer.create({
    volume: function () { return cfg.volume; },
    quiet: quiet,
    show: board.showCall,
    hide: board.hideCall,
  });

  /* --- clock ---------------------------------------------------------------------------- */

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var d = localNow();
    var time = document.getElementById("clock-time");
    var date = document.getElementById("clock-date");
    if (time) time.textContent = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    if (date) {
      var weekdays = (date.getAttribute("data-weekdays") || "").split(",");
      date.textContent = (weekdays[d.getUTCDay()] ? weekdays[d.getUTCDay()] + ", " : "") +
        pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
    }
  }
  tick();
  setInterval(tick, 1000);

  /* --- socket --------------------------------------------------------------------------- */

  var lastEventId = null; // null until the first snapshot
  var lastHeard = null;   // the newest call announced (or deliberately not: the first snapshot)
  var resyncAsked = 0;    // snapshots we asked for and have not received yet
  var staleRetried = false;
  var synced = 0;
  var brokenSince = Date.now();

  var socket = window.io("/display", {
    transports: ["websocket", "polling"],
    auth: { display: cfg.display }, // used only by staff; a device is known by its cookie
    tryAllTransports: true, // a proxy that refuses WebSockets still lets long-polling through
    reconnectionDelay: 500,
    reconnectionDelayMax: 1200,
    randomizationFactor: 0.3,
    timeout: 5000,
  });
  window.motcuaSocket = socket;

  var badgeTimer = null;
  function setConnected(ok) {
    body.setAttribute("data-connected", ok ? "1" : "0");
    var badge = document.getElementById("offline");
    if (ok) {
      brokenSince = null;
      clearTimeout(badgeTimer);
      badgeTimer = null;
      badge.hidden = true;
    } else {
      if (brokenSince === null) brokenSince = Date.now();
      // Not for the blink of a page load or of a quick reconnect.
      if (badgeTimer === null) {
        badgeTimer = setTimeout(function () { badge.hidden = false; }, BADGE_AFTER_MS);
      }
    }
  }
  setConnected(false);

  function askState() {
    resyncAsked += 1;
    socket.emit("state", lastHeard === null ? {} : { since: lastHeard });
  }

  socket.on("connect", function () {
    resyncAsked = 0; // the server sends a fresh snapshot on every connect
    setConnected(true);
    if (lastEventId !== null) askState(); // and what was called while we were away
  });

  socket.on("resync", function () { askState(); });

  socket.on("disconnect", function (reason) {
    setConnected(false);
    if (reason === "io server disconnect") socket.connect(); // the only case with no retry
  });

  socket.on("connect_error", function () {
    setConnected(false);
    // Refused by the namespace (e.g. the device was revoked): socket.io does not retry that.
    if (!socket.active) setTimeout(function () { socket.connect(); }, 10000);
  });

  socket.on("state", function (state) {
    if (resyncAsked > 0) {
      resyncAsked -= 1;
      // A snapshot read before events that already arrived: ask once more.
      var stale = lastEventId !== null && state.event_id < lastEventId;
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
  var pending = {};
  var gapTimer = null;

  function hear(ev, announce) {
    lastHeard = ev.event_id;
    if (lastEventId === null || ev.event_id > lastEventId) lastEventId = ev.event_id;
    body.setAttribute("data-event-id", String(lastEventId));
    board.applyCall(ev);
    if (announce && board.wants(ev)) announcer.enqueue(ev);
    if (!ev.recall) throttle("waiting", refreshWaiting, WAITING_EVERY_MS); // one fewer waits
  }

  function flushPending() {
    Object.keys(pending).forEach(function (id) { if (+id <= lastHeard) delete pending[id]; });
    while (pending[lastHeard + 1]) {
      var next = pending[lastHeard + 1];
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
    var now = Date.now() + skew;
    state.missed.forEach(function (ev) {
      if (ev.event_id <= lastHeard) return;
      hear(ev, !(now - Date.parse(ev.called_at) > MISSED_FRESH_MS));
    });
    lastHeard = Math.max(lastHeard, state.event_id);
    flushPending();
  }

  socket.on("called", function (ev) {
    if (lastHeard !== null && ev.event_id <= lastHeard) return; // heard already
    if (lastHeard === null || ev.event_id === lastHeard + 1) {
      hear(ev, true);
      flushPending();
      return;
    }
    pending[ev.event_id] = ev;
    if (gapTimer === null) {
      gapTimer = setTimeout(function () {
        gapTimer = null;
        if (Object.keys(pending).length) askState();
      }, REORDER_MS);
    }
  });

  socket.on("queue", function (ev) {
    throttle("waiting", refreshWaiting, WAITING_EVERY_MS);
    // A finished, transferred or paused ticket leaves its counter: refresh the tiles.
    // (Only when the event says what changed: e.g. {kind: "TicketChanged", counter: 3}.)
    var kind = String((ev && ev.kind) || "").toLowerCase();
    var mine = ev && (ev.counter == null || cfg.counters.some(function (c) { return c.number === ev.counter; }));
    if (kind && kind.indexOf("issued") < 0 && kind.indexOf("called") < 0 && mine) {
      throttle("state", askState, STATE_EVERY_MS);
    }
  });

  /* --- waiting counts (public API) ------------------------------------------------------ */

  // Trailing throttle: a burst of changes costs one request, a steady stream one a second,
  // and the jitter keeps the hall's displays from asking all in the same millisecond.
  var timers = {};
  function throttle(key, fn, ms) {
    if (timers[key]) return;
    timers[key] = setTimeout(function () {
      timers[key] = null;
      fn();
    }, ms * (0.5 + Math.random()));
  }

  function refreshWaiting() {
    if (cfg.layout !== "hall") return;
    fetch("/api/v1/sites/" + encodeURIComponent(cfg.site) + "/services", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(board.applyWaiting)
      .catch(function () { /* shown again on the next change or reconnect */ });
  }

  /* --- watchdog ------------------------------------------------------------------------- */

  function serverAnswers() {
    return fetch("/healthz", { cache: "no-store" }).then(
      function (r) { return r.ok; },
      function () { return false; }
    );
  }

  var probing = false;
  setInterval(function () {
    if (probing) return;
    var broken = brokenSince !== null && Date.now() - brokenSince > cfg.watchdog_s * 1000;
    // Once a day, early in the morning, start afresh: yesterday's numbers go, new code loads.
    var d = localNow();
    var daily = d.getUTCHours() === 3 && Date.now() - loadedAt > 3600 * 1000 && !announcer.current();
    if (broken || daily) {
      probing = true;
      serverAnswers().then(function (ok) {
        probing = false;
        if (ok) window.location.reload();
      });
    }
  }, Math.min(5000, cfg.watchdog_s * 500));
})();
