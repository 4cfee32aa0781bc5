/* The announcement queue: first in, first out; never two at once, never cut off.
 *
 * Each call is shown (opts.show) for as long as its WAV (chime + voice, assembled by the
 * server) plays, then hidden, then the next one starts. When the display is silent (volume 0,
 * quiet hours, or the browser refuses to autoplay) each call is still shown for SILENT_MS.
 *
 * When calls queue up (several counters call at once), a call that had to wait is read once
 * and without the English line (the short clip, `?short=1`), silent calls are shown for less
 * time, and opts.showNext lists the calls still waiting, so that the last of a burst reaches
 * the screen in seconds rather than after every full announcement before it.
 *
 * opts.blocked() is called when the browser refuses to play (autoplay policy); unlock(),
 * called from a click, lets the next calls play again.
 *
 * window.motcuaAudio exposes the queue for tests and for a technician's console:
 *   log: [{type: "queued"|"started"|"ended"|"error"|"blocked"|"stalled", event_id, number,
 *          counter, muted, short, t: Date.now(), at: performance.now()}]
 *   pending(): calls waiting to be announced; current(): the call being announced or null. */
"use strict";

(() => {
  const SILENT_MS = 5000; // how long a call is shown when nothing plays
  const SILENT_QUEUED_MS = 2500; // ... when other calls wait behind it
  const MIN_SHOW_MS = 3000; // a very short clip still leaves the call on screen this long
  const GAP_MS = 500; // silence between two announcements
  const STALL_MS = 60000; // a clip that neither ends nor fails is given up after this long

  function create(opts) {
    const queue = [];
    const log = [];
    let current = null;

    function record(type, item, extra) {
      const ev = item.ev;
      log.push({
        type,
        event_id: ev.event_id,
        number: ev.number,
        counter: ev.counter,
        short: item.short,
        t: Date.now(),
        at: performance.now(),
        ...extra,
      });
      if (log.length > 500) log.splice(0, log.length - 500);
    }

    function audioUrl(item) {
      const url = item.ev.announcement && item.ev.announcement.audio_url;
      if (!url) return null;
      return item.short ? url + (url.includes("?") ? "&" : "?") + "short=1" : url;
    }

    function enqueue(ev) {
      // A call that will wait behind another is read in its short form.
      const item = { ev, audio: null, short: Boolean(current || queue.length) };
      const url = audioUrl(item);
      if (opts.volume() > 0 && url) {
        // Fetch now, so that the clip is ready when its turn comes.
        item.audio = new Audio();
        item.audio.preload = "auto";
        item.audio.src = url;
      }
      queue.push(item);
      record("queued", item);
      shareNext();
      pump();
    }

    function shareNext() {
      if (opts.showNext) opts.showNext(queue.map((item) => item.ev));
    }

    function pump() {
      if (current || !queue.length) return;
      play(queue.shift());
      shareNext();
    }

    function play(item) {
      current = item;
      const shownAt = Date.now();
      let finished = false;
      let guard = null;
      let muted = opts.quiet() || opts.volume() <= 0 || !item.audio;
      opts.show(item.ev);
      document.body.setAttribute("data-announcing", item.ev.number);

      function finish(type) {
        if (finished) return;
        finished = true;
        clearTimeout(guard);
        record(type, item, { muted });
        const hold = Math.max(0, MIN_SHOW_MS - (Date.now() - shownAt));
        setTimeout(() => {
          opts.hide(item.ev);
          document.body.removeAttribute("data-announcing");
          release(item);
          setTimeout(() => {
            current = null;
            pump();
          }, GAP_MS);
        }, hold);
      }

      function silently(type) {
        muted = true;
        if (type) record(type, item);
        clearTimeout(guard);
        guard = setTimeout(() => finish("ended"), queue.length ? SILENT_QUEUED_MS : SILENT_MS);
      }

      if (muted) {
        record("started", item, { muted: true });
        silently(null);
        return;
      }
      const a = item.audio;
      if (a.error) {
        // The clip could not be fetched while it waited: show the call without sound.
        record("started", item, { muted: true });
        silently("error");
        return;
      }
      a.volume = Math.min(1, Math.max(0, opts.volume()));
      a.addEventListener("ended", () => finish("ended"));
      a.addEventListener("error", () => {
        if (!finished) silently("error");
      });
      const guardByDuration = () => {
        if (Number.isFinite(a.duration) && !finished && !muted) {
          clearTimeout(guard);
          guard = setTimeout(() => finish("stalled"), a.duration * 1000 + 10000);
        }
      };
      guard = setTimeout(() => finish("stalled"), STALL_MS);
      if (a.readyState >= 1) guardByDuration(); // preloaded while it waited
      else a.addEventListener("loadedmetadata", guardByDuration);
      a.play().then(
        () => record("started", item, { muted: false }),
        () => {
          // Autoplay refused (an ordinary browser, or a display PC without
          // --autoplay-policy=no-user-gesture-required): show it silently, offer the button.
          if (finished) return;
          record("started", item, { muted: true });
          silently("blocked");
          if (opts.blocked) opts.blocked();
        },
      );
    }

    function release(item) {
      if (item.audio) {
        item.audio.removeAttribute("src");
        item.audio.load();
        item.audio = null;
      }
    }

    const api = {
      enqueue,
      log,
      pending: () => queue.length,
      current: () => (current ? current.ev : null),
    };
    window.motcuaAudio = api;
    return api;
  }

  window.MotcuaAnnouncer = { create };
})();
