/* The counter console: one board read from the server (GET .../board) drives everything on
   screen. Every button posts one action, then reads the board again; /live pushes "the queue
   changed" and the board is re-read (debounced). A reload or a network cut loses nothing: the
   server keeps the counter's current ticket. */
"use strict";

(function () {
  const M = window.Motcua;
  const { el, fill, api, format } = M;
  const cfg = M.readData("console-data");
  const T = cfg.text;
  const base = `/api/v1/counters/${encodeURIComponent(cfg.site)}/${cfg.counter}`;
  const $ = (id) => document.getElementById(id);
  const nm = (o, key) => M.name(o, key, cfg.lang);

  let board = null;
  let fetchedAt = 0;
  let busy = false;

  // --- reading ----------------------------------------------------------------------------------

  // One read at a time; a change announced during a read triggers one more read after it,
  // so the screen never settles on a board older than the last announcement.
  let loading = null;
  let again = false;
  async function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          board = await api("GET", `${base}/board`);
          fetchedAt = Date.now();
          render();
        } catch (err) {
          if (err.status === 401) window.location.assign("/login?next=/counter");
          else M.toast(`${T.error}: ${err.message}`, "error");
        }
      } while (again);
      loading = null;
    })();
    return loading;
  }
  const refreshSoon = M.debounce(refresh, 200);

  function waited(t) {
    return t.waited_s + Math.floor((Date.now() - fetchedAt) / 1000);
  }

  // --- rendering --------------------------------------------------------------------------------

  function render() {
    if (!board) return;
    renderHeader();
    renderCurrent();
    renderButtons();
    renderLists();
  }

  function renderHeader() {
    fill(
      $("services"),
      board.services.map((s) => el("span", { class: "chip" }, `${s.prefix} · ${nm(s, "name")}`)),
      board.overridden ? el("span", { class: "chip chip-note" }, T.services_changed) : null,
    );
    const status = $("status");
    status.textContent = T[board.status] || board.status;
    status.dataset.status = board.status;
    $("paused").hidden = board.status !== "paused";
    $("pause-reason").textContent = board.pause_reason || "";
  }

  function badges(t) {
    return [
      t.priority
        ? el("span", { class: "badge badge-priority" }, `★ ${nm(t, "priority_name") || T.priority}`)
        : null,
      t.priority_requested && !t.priority
        ? el("span", { class: "badge badge-priority" }, `☆ ${T.asks_priority}`)
        : null,
      t.status === "transferred" || t.transferred_from
        ? el("span", { class: "badge badge-transfer" }, `⇄ ${T.transferred}`)
        : null,
    ];
  }

  function renderCurrent() {
    const t = board.current;
    $("current-empty").hidden = !!t;
    $("current-ticket").hidden = !t;
    $("current").dataset.status = t ? t.status : "none";
    if (!t) return;
    $("cur-state").textContent = T[t.status] || t.status;
    $("cur-number").textContent = t.number;
    $("cur-service").textContent = nm(t, "service_name");
    const proc = $("cur-procedure");
    proc.hidden = !t.procedure;
    proc.textContent = t.procedure ? `${T.procedure}: ${nm(t, "procedure_name")} (${t.procedure})` : "";
    fill($("cur-badges"), badges(t));
    const parts = [
      `${T.called_at} ${M.clock(t.called_at)}`,
      `${T.issued_at} ${M.clock(t.issued_at)}`,
    ];
    if (t.recalls) parts.push(`${T.recalls} ${t.recalls} ${T.times}`);
    $("cur-times").textContent = parts.join(" · ");
    const note = $("cur-note");
    note.hidden = !t.note;
    if (t.note) {
      fill(
        note,
        el("strong", {}, `${T.note}${t.transferred_by ? ` (${T.from} ${T.counter} ${t.transferred_by})` : ""}: `),
        t.note,
      );
    }
    const hint = $("cur-hint");
    hint.hidden = !(t.status === "called" && t.recalls >= board.no_show_after_recalls);
    hint.textContent = T.no_show_hint;
  }

  const ALLOWED = {
    none: ["next", "call", "pause"],
    called: ["next", "recall", "start", "done", "no-show", "requeue", "hold", "transfer", "call", "pause"],
    serving: ["next", "done", "hold", "transfer", "call", "pause"],
  };

  function renderButtons() {
    const state = board.current ? board.current.status : "none";
    const allowed = new Set(ALLOWED[state] || ALLOWED.none);
    if (board.status === "paused") {
      allowed.delete("next");
      allowed.delete("call");
      allowed.delete("pause");
    }
    document.querySelectorAll("#actions [data-act]").forEach((b) => {
      b.disabled = busy || !allowed.has(b.dataset.act);
    });
    document.querySelector('[data-act="unpause"]').disabled = busy;
    const suggest = board.current && board.current.status === "called" &&
      board.current.recalls >= board.no_show_after_recalls;
    document.querySelector('[data-act="no-show"]').classList.toggle("suggest", !!suggest);
    $("next-label").textContent = board.current ? T.done_and_next : T.call_next;
  }

  function waitText(t) {
    const mins = M.minutes(waited(t));
    return `${T.waited} ${mins} ${T.min}`;
  }

  function ticketRow(t, buttons, extra) {
    return el(
      "li",
      { class: `row${t.over_target ? " over" : ""}${t.priority ? " prio" : ""}`, dataset: { ticket: t.id } },
      el("span", { class: "row-number" }, t.number),
      el("span", { class: "row-main" },
        el("span", { class: "row-badges" }, badges(t)),
        el("span", { class: "row-wait", title: t.over_target ? T.over_target : "" }, waitText(t)),
        extra || null),
      el("span", { class: "row-buttons" }, buttons),
    );
  }

  /** A citizen who asked for priority at the kiosk (policy "confirm"): staff confirm it. */
  function confirmPriorityButton(t) {
    if (!t.priority_requested || t.priority) return null;
    return el("button", {
      type: "button", class: "small ghost", disabled: busy,
      onclick: () => run(() => api("POST", `/api/v1/tickets/${t.id}/priority`,
        { group: t.priority_requested, reason: T.confirm_priority_reason })),
    }, T.confirm_priority);
  }

  function callButton(t) {
    return el("button", {
      type: "button", class: "small primary", disabled: board.status === "paused" || busy,
      onclick: () => confirmCall(t),
    }, T.call);
  }

  function renderLists() {
    const moved = board.transferred;
    $("transferred-count").textContent = moved.length || "";
    $("transferred-card").classList.toggle("has-items", moved.length > 0);
    fill(
      $("transferred"),
      moved.length
        ? moved.map((t) =>
            ticketRow(t, [callButton(t)], el("span", { class: "row-note" },
              el("span", { class: "muted" },
                `${T.from} ${nm(t, "transferred_from_name") || t.transferred_from || "?"}` +
                (t.transferred_by ? ` · ${T.counter} ${t.transferred_by}` : "")),
              t.note ? el("q", { class: "note-text" }, t.note) : null)))
        : el("li", { class: "empty" }, T.empty_transferred),
    );
    const held = board.held;
    $("held-count").textContent = held.length || "";
    fill(
      $("held"),
      held.length
        ? held.map((t) =>
            ticketRow(t, [
              el("button", { type: "button", class: "small primary", disabled: busy,
                onclick: () => run(() => api("POST", `/api/v1/tickets/${t.id}/resume`, { counter: cfg.counter })) }, T.resume),
              el("button", { type: "button", class: "small ghost", disabled: busy,
                onclick: () => run(() => api("POST", `/api/v1/tickets/${t.id}/requeue`)) }, T.requeue),
            ], t.note ? el("q", { class: "note-text" }, t.note) : null))
        : el("li", { class: "empty" }, T.empty_held),
    );
    fill(
      $("queues"),
      board.queues.map((q) =>
        el("section", { class: "card list queue", dataset: { service: q.code } },
          el("h2", {}, el("span", { class: "prefix" }, q.prefix), ` ${nm(q, "name")} `,
            el("span", { class: "count" }, String(q.count))),
          el("ul", { class: "rows" },
            q.tickets.length ? q.tickets.map((t) => ticketRow(t, [confirmPriorityButton(t), callButton(t)])) :
              el("li", { class: "empty" }, T.empty_waiting),
            q.count > q.tickets.length
              ? el("li", { class: "empty" }, format(T.more, { n: q.count - q.tickets.length }))
              : null))),
    );
  }

  // --- acting -----------------------------------------------------------------------------------

  async function run(action, success) {
    if (busy) return;
    busy = true;
    if (board) renderButtons();
    try {
      const result = await action();
      if (success) success(result);
    } catch (err) {
      M.toast(`${T.error}: ${err.message}`, "error");
    } finally {
      busy = false;
      if (board) renderButtons(); // at once: a push may already show the action's result
      await refresh();
    }
  }

  function ticketAction(name, body) {
    const t = board && board.current;
    if (!t) return;
    run(() => api("POST", `/api/v1/tickets/${t.id}/${name}`, body), () => {
      if (name === "done") M.toast(format(T.done_ok, { n: t.number }));
      if (name === "transfer") M.toast(format(T.moved_ok, { n: t.number }));
      if (name === "no-show") offerUndo(t);
    });
  }

  // A no-show tapped by mistake can be taken back for a while (the server allows 10 minutes),
  // as long as the counter has not called anyone else.
  const UNDO_SHOWN_MS = 120000;
  let undoable = null;
  let undoTimer = null;
  function offerUndo(t) {
    undoable = t;
    $("undo-text").textContent = format(T.no_show_ok, { n: t.number });
    $("undo-bar").hidden = false;
    clearTimeout(undoTimer);
    undoTimer = setTimeout(dropUndo, UNDO_SHOWN_MS);
  }
  function dropUndo() {
    undoable = null;
    $("undo-bar").hidden = true;
  }
  function undoNoShow() {
    const t = undoable;
    if (!t) return;
    dropUndo();
    run(() => api("POST", `/api/v1/tickets/${t.id}/undo-no-show`), () =>
      M.toast(format(T.undone_ok, { n: t.number })));
  }

  function callNext() {
    // The ticket on screen: if the counter already has another (an earlier click went
    // through but its answer was lost), the server returns that one and closes nobody.
    const current = board && board.current ? board.current.id : null;
    run(() => api("POST", `${base}/call-next`, { current }), (t) => {
      if (t) M.toast(format(T.called_ok, { n: t.number }));
      else M.toast(T.nobody, "warn");
    });
  }

  function callTicket(id) {
    run(() => api("POST", `${base}/call`, { ticket: id }), (t) =>
      M.toast(format(T.called_ok, { n: t.number })));
  }

  function confirmCall(t) {
    const dlg = $("dlg-confirm");
    const current = board.current;
    $("confirm-text").textContent = format(T.confirm_call, { n: t.number }) +
      (current ? ` ${format(T.closes_current, { c: current.number })}` : "");
    dlg.onclose = () => {
      if (dlg.returnValue === "ok") callTicket(t.id);
    };
    dlg.returnValue = "";
    dlg.showModal();
  }

  function openTransfer() {
    const t = board && board.current;
    if (!t) return;
    const dlg = $("dlg-transfer");
    const form = $("form-transfer");
    form.reset();
    dlg.querySelector(".dlg-number").textContent = t.number;
    form.querySelectorAll('input[name="service"]').forEach((r) => {
      r.disabled = r.value === t.service;
      r.closest(".choice").classList.toggle("off", r.disabled);
    });
    dlg.returnValue = "";
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return;
      const data = new FormData(form);
      const note = String(data.get("note") || "").trim();
      ticketAction("transfer", { service: data.get("service"), note: note || null });
    };
    dlg.showModal();
  }

  function openCall() {
    const dlg = $("dlg-call");
    const form = $("form-call");
    form.reset();
    dlg.returnValue = "";
    dlg.onclose = async () => {
      if (dlg.returnValue !== "ok") return;
      const number = String(new FormData(form).get("number") || "").trim().toUpperCase();
      if (!number) return;
      try {
        const t = await api("GET", `/api/v1/sites/${encodeURIComponent(cfg.site)}/tickets/${encodeURIComponent(number)}`);
        callTicket(t.id);
      } catch (err) {
        M.toast(err.status === 404 ? format(T.not_found, { n: number }) : `${T.error}: ${err.message}`, "error");
      }
    };
    dlg.showModal();
  }

  $("form-pause").elements.other.addEventListener("input", () => {
    $("form-pause").querySelector('input[name="reason"][value=""]').checked = true;
  });

  function openPause() {
    const dlg = $("dlg-pause");
    const form = $("form-pause");
    form.reset();
    dlg.returnValue = "";
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return;
      const data = new FormData(form);
      const reason = (String(data.get("reason") || "") || String(data.get("other") || "")).trim();
      if (!reason) return;
      run(() => api("POST", `${base}/pause`, { reason }));
    };
    dlg.showModal();
  }

  function reprint() {
    const t = board && board.current;
    if (!t) return;
    run(() => api("POST", `/api/v1/tickets/${t.id}/reprint`, {}), () =>
      M.toast(format(T.reprinted, { n: t.number })));
  }
  $("reprint").addEventListener("click", reprint);

  function unpause() {
    run(() => api("POST", `${base}/pause`, { reason: null }));
  }

  const ACTIONS = {
    next: () => {
      dropUndo();
      callNext();
    },
    "undo-no-show": undoNoShow,
    recall: () => ticketAction("recall"),
    start: () => ticketAction("start"),
    done: () => ticketAction("done"),
    "no-show": () => ticketAction("no-show"),
    requeue: () => ticketAction("requeue"),
    hold: () => ticketAction("hold"),
    transfer: openTransfer,
    call: openCall,
    pause: openPause,
    unpause,
  };
  const KEYS = { g: "next", l: "recall", b: "start", x: "done", v: "no-show", h: "requeue",
                 t: "hold", c: "transfer", s: "call", d: "pause", u: "undo-no-show" };

  function trigger(name) {
    if (name === "pause" && board && board.status === "paused") name = "unpause";
    const button = document.querySelector(`[data-act="${name}"]`);
    if (button && button.disabled) return;
    ACTIONS[name]();
  }

  document.querySelectorAll("[data-act]").forEach((b) =>
    b.addEventListener("click", () => trigger(b.dataset.act)),
  );
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    if (document.querySelector("dialog[open]")) return;
    const tag = (e.target && e.target.tagName) || "";
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
    const name = KEYS[e.key.toLowerCase()];
    if (!name || !board) return;
    e.preventDefault();
    trigger(name);
  });
  M.closeButtons(document);

  // --- alarms (printers, displays and server health) --------------------------------------------------------

  async function checkHealth() {
    const alarms = [];
    try {
      const resp = await fetch("/healthz", { headers: { Accept: "application/json" } });
      const h = await resp.json();
      for (const p of h.printers || []) {
        if (cfg.printers.includes(p.name) && !p.ok) {
          const problems = (p.problems || []).map((k) => T.problems[k] || k).join(", ");
          alarms.push(format(T.printer_alarm, { name: p.name, problems, queued: p.queued || 0 }));
        }
      }
      for (const d of h.displays || []) {
        if (cfg.displays.includes(d.id) && !d.ok) {
          alarms.push(d.seen_at
            ? format(T.display_alarm, { name: d.name, since: M.clock(d.seen_at) })
            : format(T.display_never, { name: d.name }));
        }
      }
      for (const key of ["database", "message_queue"]) {
        if (h[key] && h[key].ok === false) alarms.push(format(T.server_alarm, { what: key }));
      }
    } catch (err) {
      alarms.push(format(T.server_alarm, { what: "/healthz" }));
    }
    const box = $("alarms");
    fill(box, alarms.map((a) => el("div", { class: "alarm" }, `⚠ ${a}`)));
    box.hidden = alarms.length === 0;
  }

  // --- live -------------------------------------------------------------------------------------

  function setLink(state) {
    const link = $("link");
    link.dataset.state = state;
    link.textContent = T[state] || state;
  }

  M.live(cfg.site, () => refreshSoon(), setLink);
  refresh();
  checkHealth();
  setInterval(checkHealth, 60000);
  setInterval(() => board && renderLists(), 20000); // waiting minutes tick locally
})();
