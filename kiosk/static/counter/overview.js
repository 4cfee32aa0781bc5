/* The supervisor's hall view: one overview read (GET /api/v1/sites/<site>/overview), re-read
   when /live says the queue changed. Two ways to steer: a counter's services for today and a
   priority granted to a waiting ticket (with a reason, audited). */
"use strict";

(function () {
  const M = window.Motcua;
  const { el, fill, api, format } = M;
  const cfg = M.readData("overview-data");
  const T = cfg.text;
  const $ = (id) => document.getElementById(id);
  const nm = (o, key) => M.name(o, key, cfg.lang);
  let data = null;
  let fetchedAt = 0;

  // One read at a time; a change announced during a read triggers one more read after it.
  let loading = false;
  let again = false;
  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    do {
      again = false;
      try {
        data = await api("GET", `/api/v1/sites/${encodeURIComponent(cfg.site)}/overview`);
        fetchedAt = Date.now();
        render();
      } catch (err) {
        if (err.status === 401) window.location.assign("/login?next=/counter/overview");
        else M.toast(`${T.error}: ${err.message}`, "error");
      }
    } while (again);
    loading = false;
  }
  const refreshSoon = M.debounce(refresh, 300);

  const age = (s) => s + Math.floor((Date.now() - fetchedAt) / 1000);
  const mins = (s) => M.minutes(age(s));
  const serviceName = (code) => {
    const s = data.services.find((x) => x.code === code);
    return s ? `${s.prefix} · ${nm(s, "name")}` : code;
  };

  function render() {
    if (!data) return;
    const over = data.waiting.filter((t) => t.over_target).length;
    $("kpi-waiting").textContent = data.waiting.length;
    $("kpi-longest").textContent = data.waiting.length ? mins(data.longest_wait_s) : 0;
    $("kpi-over").textContent = over;
    $("kpi-over-box").classList.toggle("alert", over > 0);
    $("kpi-done").textContent = data.done;
    $("kpi-noshow").textContent = data.no_shows;
    renderCounters();
    renderServices();
    renderWaiting();
  }

  function renderCounters() {
    fill(
      $("counters"),
      data.counters.map((c) => {
        const t = c.ticket;
        const status = el("span", { class: `pill status-${c.status}` }, T[c.status] || c.status);
        let body;
        if (t) {
          body = [
            el("div", { class: "ccard-ticket" }, t.number,
              t.priority ? el("span", { class: "badge badge-priority" }, `★ ${nm(t, "priority_name") || ""}`) : null),
            el("div", { class: "ccard-meta" }, `${nm(t, "service_name")} · ${T.since} ${M.clock(c.since)}`),
          ];
        } else if (c.status === "paused") {
          body = [el("div", { class: "ccard-meta" }, `${c.pause_reason || ""} · ${T.since} ${M.clock(c.since)}`)];
        } else if (c.since) {
          body = [el("div", { class: "ccard-meta" }, `${T.since} ${M.clock(c.since)}`)];
        } else {
          body = [];
        }
        return el(
          "article",
          { class: "ccard", dataset: { status: c.status, counter: c.number } },
          el("div", { class: "ccard-head" }, el("span", { class: "ccard-name" }, c.name), status),
          body,
          c.officer ? el("div", { class: "ccard-meta" }, `${T.officer}: ${c.officer}`) : null,
          el("div", { class: "chips" },
            c.services.map((code) => el("span", { class: "chip" }, serviceName(code))),
            c.overridden ? el("span", { class: "chip chip-note" }, T.changed) : null),
          el("div", { class: "ccard-foot" },
            el("button", { type: "button", class: "small ghost", onclick: () => openServices(c) }, T.change_services)),
        );
      }),
    );
  }

  function renderServices() {
    fill(
      $("services"),
      data.services.map((s) =>
        el("tr", { class: s.over_target ? "over" : "", dataset: { service: s.code } },
          el("td", {}, el("strong", {}, s.prefix), ` · ${nm(s, "name")}`),
          el("td", { class: "num" }, String(s.waiting)),
          el("td", { class: "num wait" }, s.waiting ? `${mins(s.longest_wait_s)} ${T.min}` : "–"),
          el("td", { class: "num" }, `${s.target_wait_min} ${T.min}`),
          el("td", { class: "num" }, String(s.no_shows)),
          el("td", { class: "num" }, String(s.done)),
          el("td", {}, s.counters.join(", ")))),
    );
  }

  function renderWaiting() {
    fill(
      $("waiting"),
      data.waiting.length
        ? data.waiting.slice(0, 80).map((t) =>
            el("tr", { class: t.over_target ? "over" : "", dataset: { ticket: t.id } },
              el("td", {}, el("strong", {}, t.number)),
              el("td", {}, nm(t, "service_name")),
              el("td", { class: "num wait" }, `${mins(t.waited_s)} ${T.min}`),
              el("td", {}, t.priority ? el("span", { class: "badge badge-priority" }, `★ ${nm(t, "priority_name") || t.priority}`) : ""),
              el("td", {}, el("button", { type: "button", class: "small ghost", onclick: () => openPriority(t) }, T.grant))))
        : el("tr", {}, el("td", { colspan: 5, class: "empty" }, T.nobody)),
    );
  }

  // --- services of a counter for today --------------------------------------------------------------

  function openServices(c) {
    const dlg = $("dlg-services");
    dlg.querySelector(".dlg-counter").textContent = c.name;
    const order = [...c.services, ...cfg.services.filter((code) => !c.services.includes(code))];
    const list = $("services-order");
    const item = (code) => {
      const box = el("input", { type: "checkbox", value: code, checked: c.services.includes(code) });
      const li = el("li", { class: box.checked ? "" : "off" },
        el("label", {}, box, serviceName(code)),
        el("button", { type: "button", class: "small ghost", title: T.up, "aria-label": T.up,
          onclick: () => li.previousElementSibling && list.insertBefore(li, li.previousElementSibling) }, "↑"),
        el("button", { type: "button", class: "small ghost", title: T.down, "aria-label": T.down,
          onclick: () => li.nextElementSibling && list.insertBefore(li.nextElementSibling, li) }, "↓"));
      box.addEventListener("change", () => li.classList.toggle("off", !box.checked));
      return li;
    };
    fill(list, order.map(item));
    const save = (services) =>
      api("POST", `/api/v1/counters/${encodeURIComponent(cfg.site)}/${c.number}/services`, { services })
        .then(() => { M.toast(T.saved); refresh(); })
        .catch((err) => M.toast(`${T.error}: ${err.message}`, "error"));
    $("services-reset").onclick = () => { dlg.close("reset"); save(null); };
    dlg.returnValue = "";
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return;
      const chosen = [...list.querySelectorAll("input:checked")].map((b) => b.value);
      save(chosen);
    };
    dlg.showModal();
  }

  // --- priority -----------------------------------------------------------------------------------

  function openPriority(t) {
    const dlg = $("dlg-priority");
    const form = $("form-priority");
    form.reset();
    dlg.querySelector(".dlg-number").textContent = t.number;
    dlg.returnValue = "";
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return;
      const f = new FormData(form);
      api("POST", `/api/v1/tickets/${t.id}/priority`, { group: f.get("group"), reason: String(f.get("reason") || "") })
        .then(() => { M.toast(T.saved); refresh(); })
        .catch((err) => M.toast(`${T.error}: ${err.message}`, "error"));
    };
    dlg.showModal();
  }

  function setLink(state) {
    const link = $("link");
    link.dataset.state = state;
    link.textContent = T[state] || state;
  }

  M.closeButtons(document);
  M.live(cfg.site, () => refreshSoon(), setLink);
  refresh();
  setInterval(render, 20000);
})();
