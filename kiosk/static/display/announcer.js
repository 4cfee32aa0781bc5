/* The announcement queue: first in, first out; never two at once, never cut off.
 *
 * Each call is shown (opts.show) for as long as its WAV (chime + voice, assembled by the
 * server) plays, then hidden, then the next one starts. When the display is silent (volume 0,
 * quiet hours, or the browser refuses to autoplay) each call is still shown for SILENT_MS.
 *
 * window.motcuaAudio exposes the queue for tests and for a technician's console:
 *   log: [{type: "queued"|"started"|"ended"|"error"|"blocked"|"stalled", event_id, number,
 *          counter, muted, t: Date.now(), at: performance.now()}]
 *   pending(): calls waiting to be announced; current(): the call being announced or null. */
(function () {
  "use strict";

  var SILENT_MS = 5000;   // how long a call is shown when nothing plays
  var MIN_SHOW_MS = 3000; // a very short clip still leaves the call on screen this long
  var GAP_MS = 500;       // silence between two announcements
  var STALL_MS = 60000;   // a clip that neither ends nor fails is given up after this long

  function create(opts) {
    var queue = [];
    var current = null;
    var log = [];

    function record(type, item, extra) {
      var ev = item.ev;
      var entry = {
        type: type,
        event_id: ev.event_id,
        number: ev.number,
        counter: ev.counter,
        t: Date.now(),
        at: performance.now(),
      };
      for (var k in extra || {}) entry[k] = extra[k];
      log.push(entry);
      if (log.length > 500) log.splice(0, log.length - 500);
    }

    function audioUrl(ev) {
      return ev.announcement && ev.announcement.audio_url;
    }

    function enqueue(ev) {
      var item = { ev: ev, audio: null };
      if (opts.volume() > 0 && audioUrl(ev)) {
        // Fetch now, so that the clip is ready when its turn comes.
        item.audio = new Audio();
        item.audio.preload = "auto";
        item.audio.src = audioUrl(ev);
      }
      queue.push(item);
      record("queued", item);
      pump();
    }

    function pump() {
      if (current || !queue.length) return;
      play(queue.shift());
    }

    function play(item) {
      current = item;
      var shownAt = Date.now();
      var finished = false;
      var guard = null;
      var muted = opts.quiet() || opts.volume() <= 0 || !item.audio;
      opts.show(item.ev);
      document.body.setAttribute("data-announcing", item.ev.number);

      function finish(type) {
        if (finished) return;
        finished = true;
        clearTimeout(guard);
        record(type, item, { muted: muted });
        var hold = Math.max(0, MIN_SHOW_MS - (Date.now() - shownAt));
        setTimeout(function () {
          opts.hide(item.ev);
          document.body.removeAttribute("data-announcing");
          release(item);
          setTimeout(function () {
            current = null;
            pump();
          }, GAP_MS);
        }, hold);
      }

      function silently(type) {
        muted = true;
        if (type) record(type, item);
        clearTimeout(guard);
        guard = setTimeout(function () { finish("ended"); }, SILENT_MS);
      }

      if (muted) {
        record("started", item, { muted: true });
        silently(null);
        return;
      }
      var a = item.audio;
      if (a.error) {
        // The clip could not be fetched while it waited: show the call without sound.
        record("started", item, { muted: true });
        silently("error");
        return;
      }
      a.volume = Math.min(1, Math.max(0, opts.volume()));
      a.addEventListener("ended", function () { finish("ended"); });
      a.addEventListener("error", function () { if (!finished) silently("error"); });
      function guardByDuration() {
        if (isFinite(a.duration) && !finished && !muted) {
          clearTimeout(guard);
          guard = setTimeout(function () { finish("stalled"); }, a.duration * 1000 + 10000);
        }
      }
      guard = setTimeout(function () { finish("stalled"); }, STALL_MS);
      if (a.readyState >= 1) guardByDuration(); // preloaded while it waited
      else a.addEventListener("loadedmetadata", guardByDuration);
      var started = a.play();
      if (started && typeof started.then === "function") {
        started.then(
          function () { record("started", item, { muted: false }); },
          function () {
            // Autoplay refused (the display PC lacks --autoplay-policy=...): show it silently.
            if (finished) return;
            record("started", item, { muted: true });
            silently("blocked");
          }
        );
      } else {
        record("started", item, { muted: false });
      }
    }

    function release(item) {
      if (item.audio) {
        item.audio.removeAttribute("src");
        item.audio.load();
        item.audio = null;
      }
    }

    var api = {
      enqueue: enqueue,
      log: log,
      pending: function () { return queue.length; },
      current: function () { return current ? current.ev : null; },
    };
    window.motcuaAudio = api;
    return api;
  }

  window.MotcuaAnnouncer = { create: create };
})();
