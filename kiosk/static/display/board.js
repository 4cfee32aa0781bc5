/* What the display shows: counter tiles, recent calls, waiting counts, the call callout and the
 * calls queued behind it. Pure DOM work: the socket and the audio queue live in display.js and
 * announcer.js. */
"use strict";

(() => {
  const FLASH_MS = 6000;
  const NEXT_SHOWN = 3; // queued calls listed under the callout

  // called_at is an ISO string in the office's local time: "2026-11-25T09:41:07+07:00".
  const hhmm = (iso) => (typeof iso === "string" && iso.length >= 16 ? iso.slice(11, 16) : "");

  function create(cfg, doc = document) {
    const { el } = window.Motcua;
    const counterNames = {};
    cfg.counters.forEach((c) => (counterNames[c.number] = c.name));
    const flashTimers = {};
    let recent = [];

    const tile = (counter) => doc.querySelector(`.tile[data-counter="${counter}"]`);
    const counterName = (ev) => ev.counter_name || counterNames[ev.counter] || String(ev.counter);

    function setNumber(node, number) {
      node.textContent = number || "–";
      node.setAttribute("data-number", number || "");
    }

    // Restart a CSS animation even if the element is still running it from the last call.
    function flash(node, key) {
      node.classList.remove("flash");
      void node.offsetWidth;
      node.classList.add("flash");
      clearTimeout(flashTimers[key]);
      flashTimers[key] = setTimeout(() => node.classList.remove("flash"), FLASH_MS);
    }

    function markNewest(counter, withFlash) {
      doc.querySelectorAll(".tile").forEach((t) => t.classList.remove("newest"));
      const t = tile(counter);
      if (!t) return;
      t.classList.add("newest");
      if (withFlash) flash(t, counter);
    }

    function renderRecent() {
      const list = doc.getElementById("recent");
      if (!list) return;
      const rows = recent.slice(0, cfg.recent).map((r) =>
        el(
          "li",
          { "data-number": r.number },
          el("span", { class: "r-number" }, r.number),
          el("span", { class: "r-arrow" }, "→"),
          el("span", { class: "r-counter" }, counterNames[r.counter] || String(r.counter)),
          el("span", { class: "r-time" }, hhmm(r.called_at)),
        ),
      );
      if (!rows.length) rows.push(el("li", { class: "empty" }, list.getAttribute("data-empty") || ""));
      list.replaceChildren(...rows);
    }

    function pushRecent(item) {
      recent = [item, ...recent.filter((r) => r.number !== item.number)].slice(0, cfg.recent);
    }

    /* The hall layout. */
    const hall = {
      applyState(state) {
        const serving = {};
        state.now_serving.forEach((n) => (serving[n.counter] = n));
        for (const c of cfg.counters) {
          const t = tile(c.number);
          if (t) setNumber(t.querySelector(".tile-number"), serving[c.number] && serving[c.number].number);
        }
        recent = state.recent.slice(0, cfg.recent);
        renderRecent();
        const newest = recent[0];
        const current = newest && serving[newest.counter] && serving[newest.counter].number === newest.number;
        markNewest(current ? newest.counter : null, false);
      },
      applyCall(ev) {
        const t = tile(ev.counter);
        if (t) setNumber(t.querySelector(".tile-number"), ev.number);
        pushRecent({ number: ev.number, counter: ev.counter, service: ev.service, called_at: ev.called_at });
        renderRecent();
        markNewest(ev.counter, true);
      },
      applyWaiting(services) {
        for (const s of services) {
          const row = doc.querySelector(`#waiting li[data-service="${s.code}"]`);
          if (!row) continue;
          row.querySelector(".count").textContent = String(s.waiting);
          row.classList.toggle("closed", !s.open);
          row.classList.toggle("none", s.waiting === 0);
        }
      },
      showCall(ev) {
        const box = doc.getElementById("callout");
        if (!box) return;
        doc.getElementById("callout-number").textContent = ev.number;
        doc.getElementById("callout-counter").textContent = counterName(ev);
        box.setAttribute("data-number", ev.number);
        box.hidden = false;
        box.classList.remove("pop");
        void box.offsetWidth;
        box.classList.add("pop");
      },
      hideCall() {
        const box = doc.getElementById("callout");
        if (box) {
          box.hidden = true;
          box.removeAttribute("data-number");
        }
      },
      /** The calls waiting for their announcement, listed under the callout at once. */
      showNext(events) {
        const box = doc.getElementById("callout-next");
        if (!box) return;
        const shown = events.slice(0, NEXT_SHOWN);
        box.hidden = !shown.length;
        doc.getElementById("callout-next-list").replaceChildren(
          ...shown.map((ev) =>
            el("li", { "data-number": ev.number }, el("b", {}, ev.number), " → ", counterName(ev)),
          ),
        );
      },
      wants: () => true,
    };

    /* The counter layout: one counter's number, full screen. */
    const one = {
      applyState(state) {
        const mine = state.now_serving.find((n) => n.counter === cfg.counter);
        setNumber(doc.getElementById("cs-number"), mine && mine.number);
        serviceLine(mine && mine.service);
      },
      applyCall(ev) {
        if (ev.counter !== cfg.counter) return;
        setNumber(doc.getElementById("cs-number"), ev.number);
        serviceLine(ev.service);
        flash(doc.querySelector(".counter-screen"), "one");
      },
      applyWaiting() {},
      showCall() {},
      hideCall() {},
      showNext() {},
      wants: (ev) => ev.counter === cfg.counter,
    };

    function serviceLine(code) {
      const s = code && cfg.services[code];
      doc.getElementById("cs-service").textContent = s
        ? s.name + (cfg.english && s.name_en ? ` · ${s.name_en}` : "")
        : "";
    }

    return cfg.layout === "counter" ? one : hall;
  }

  window.MotcuaBoard = { create, hhmm };
})();
