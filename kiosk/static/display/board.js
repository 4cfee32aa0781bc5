/* What the display shows: counter tiles, recent calls, waiting counts, the call callout.
 * Pure DOM work: the socket and the audio queue live in display.js and announcer.js. */
(function () {
  "use strict";

  var FLASH_MS = 6000;

  function hhmm(iso) {
    // called_at is an ISO string in the office's local time: "2026-11-25T09:41:07+07:00".
    return typeof iso === "string" && iso.length >= 16 ? iso.slice(11, 16) : "";
  }

  function create(cfg, doc) {
    doc = doc || document;
    var counterNames = {};
    cfg.counters.forEach(function (c) { counterNames[c.number] = c.name; });
    var recent = [];
    var flashTimers = {};

    function tile(counter) {
      return doc.querySelector('.tile[data-counter="' + counter + '"]');
    }

    function setNumber(el, number) {
      el.textContent = number || "–";
      el.setAttribute("data-number", number || "");
    }

    function markNewest(counter, flash) {
      var tiles = doc.querySelectorAll(".tile");
      for (var i = 0; i < tiles.length; i++) tiles[i].classList.remove("newest");
      var t = tile(counter);
      if (!t) return;
      t.classList.add("newest");
      if (flash) {
        // Restart the animation even if the tile is still flashing from the previous call.
        t.classList.remove("flash");
        void t.offsetWidth;
        t.classList.add("flash");
        clearTimeout(flashTimers[counter]);
        flashTimers[counter] = setTimeout(function () { t.classList.remove("flash"); }, FLASH_MS);
      }
    }

    function renderRecent() {
      var list = doc.getElementById("recent");
      if (!list) return;
      var rows = recent.slice(0, cfg.recent).map(function (r) {
        var li = doc.createElement("li");
        li.setAttribute("data-number", r.number);
        var num = doc.createElement("span");
        num.className = "r-number";
        num.textContent = r.number;
        var arrow = doc.createElement("span");
        arrow.className = "r-arrow";
        arrow.textContent = "→";
        var counter = doc.createElement("span");
        counter.className = "r-counter";
        counter.textContent = counterNames[r.counter] || String(r.counter);
        var time = doc.createElement("span");
        time.className = "r-time";
        time.textContent = hhmm(r.called_at);
        li.append(num, arrow, counter, time);
        return li;
      });
      if (!rows.length) {
        var none = doc.createElement("li");
        none.className = "empty";
        none.textContent = list.getAttribute("data-empty") || "";
        rows.push(none);
      }
      list.replaceChildren.apply(list, rows);
    }

    function pushRecent(item) {
      recent = recent.filter(function (r) { return r.number !== item.number; });
      recent.unshift(item);
      recent = recent.slice(0, cfg.recent);
    }

    /* The hall layout. */
    var hall = {
      applyState: function (state) {
        var serving = {};
        state.now_serving.forEach(function (n) { serving[n.counter] = n; });
        cfg.counters.forEach(function (c) {
          var t = tile(c.number);
          if (t) setNumber(t.querySelector(".tile-number"), serving[c.number] && serving[c.number].number);
        });
        recent = state.recent.slice(0, cfg.recent);
        renderRecent();
        var newest = recent[0];
        if (newest && serving[newest.counter] && serving[newest.counter].number === newest.number) {
          markNewest(newest.counter, false);
        } else {
          markNewest(null, false);
        }
      },
      applyCall: function (ev) {
        var t = tile(ev.counter);
        if (t) setNumber(t.querySelector(".tile-number"), ev.number);
        pushRecent({ number: ev.number, counter: ev.counter, service: ev.service, called_at: ev.called_at });
        renderRecent();
        markNewest(ev.counter, true);
      },
      applyWaiting: function (services) {
        services.forEach(function (s) {
          var row = doc.querySelector('#waiting li[data-service="' + s.code + '"]');
          if (!row) return;
          row.querySelector(".count").textContent = String(s.waiting);
          row.classList.toggle("closed", !s.open);
          row.classList.toggle("none", s.waiting === 0);
        });
      },
      showCall: function (ev) {
        var box = doc.getElementById("callout");
        if (!box) return;
        doc.getElementById("callout-number").textContent = ev.number;
        doc.getElementById("callout-counter").textContent = ev.counter_name || counterNames[ev.counter] || "";
        box.setAttribute("data-number", ev.number);
        box.hidden = false;
        box.classList.remove("pop");
        void box.offsetWidth;
        box.classList.add("pop");
      },
      hideCall: function () {
        var box = doc.getElementById("callout");
        if (box) {
          box.hidden = true;
          box.removeAttribute("data-number");
        }
      },
      wants: function () { return true; },
    };

    /* The counter layout: one counter's number, full screen. */
    var one = {
      applyState: function (state) {
        var mine = state.now_serving.filter(function (n) { return n.counter === cfg.counter; })[0];
        setNumber(doc.getElementById("cs-number"), mine && mine.number);
        serviceLine(mine && mine.service);
      },
      applyCall: function (ev) {
        if (ev.counter !== cfg.counter) return;
        var el = doc.getElementById("cs-number");
        setNumber(el, ev.number);
        serviceLine(ev.service);
        var screen = doc.querySelector(".counter-screen");
        screen.classList.remove("flash");
        void screen.offsetWidth;
        screen.classList.add("flash");
        clearTimeout(flashTimers.one);
        flashTimers.one = setTimeout(function () { screen.classList.remove("flash"); }, FLASH_MS);
      },
      applyWaiting: function () {},
      showCall: function () {},
      hideCall: function () {},
      wants: function (ev) { return ev.counter === cfg.counter; },
    };

    function serviceLine(code) {
      var el = doc.getElementById("cs-service");
      var s = code && cfg.services[code];
      el.textContent = s ? s.name + (cfg.english && s.name_en ? " · " + s.name_en : "") : "";
    }

    return cfg.layout === "counter" ? one : hall;
  }

  window.MotcuaBoard = { create: create, hhmm: hhmm };
})();
