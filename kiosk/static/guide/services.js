/* What the guide asks the server for (window.GuideServices): queue figures next to a
 * procedure's places, printing a checklist, a volunteer's number and an office ticket.
 *
 * These are the only live parts of the guide; when the link is down they say so plainly
 * instead of failing silently. GuideServices.create(ctx) takes the CSRF token,
 * a function giving the current language, the link watcher and the page state (for the open
 * procedure, its answers and the volunteer's ticket). */
(() => {
  "use strict";

  const { $, $$, slot, slots, bi, fill } = window.GuideDom;
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  function create({ csrf, lang, Link, S }) {
    // The pages' one API helper; here it also tells the link watcher whether the server
    // answered (a refusal is an answer, a network error or a 5xx is not).
    async function api(method, path, payload) {
      try {
        const json = await window.Motcua.api(method, path, payload, {
          lang: lang(), headers: { "X-CSRF-Token": csrf },
        });
        Link.online = true;
        return json;
      } catch (err) {
        const answered = err instanceof window.Motcua.ApiError;
        Link.online = answered && err.status < 500;
        if (!answered) err.offline = true;
        throw err;
      }
    }

    // --- queue figures --------------------------------------------------------------------

    async function loadWaits() {
      const p = S.procedure;
      if (!p || !p.in_person.length) return;
      if (!Link.online) {
        for (const node of $$(".place [data-wait]")) fill(node, bi("Ngoại tuyến: chưa có số người chờ", "Offline: no queue figures"));
        return;
      }
      const sites = [...new Set(p.in_person.map((x) => x.site))];
      for (const site of sites) {
        let services;
        try {
          services = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/services`);
        } catch (_) {
          continue;
        }
        for (const row of $$(`.place[data-site="${site}"]`)) {
          const svc = services.find((s) => s.code === row.dataset.service);
          if (!svc) continue;
          const minutes = svc.estimated_wait_min; // the server's rounding, as on paper
          let text;
          if (!svc.open) text = bi("Hiện ngoài giờ tiếp nhận", "Closed now");
          else if (!svc.waiting) text = bi("Không có người chờ", "No one waiting");
          else if (!minutes) text = bi(`Đang chờ: ${svc.waiting} người`, `Waiting: ${svc.waiting}`);
          else text = bi(`Đang chờ: ${svc.waiting} người · khoảng ${minutes} phút`, `Waiting: ${svc.waiting} · about ${minutes} min`);
          fill($("[data-wait]", row), text);
        }
      }
    }

    // --- printing a checklist -------------------------------------------------------------

    function setPrint(state) {
      const node = slot("c-print");
      if (node) node.dataset.state = state;
    }

    async function printChecklist(button) {
      if (!Link.online) { setPrint("offline"); return; }
      button.disabled = true;
      setPrint("queued");
      const code = encodeURIComponent(S.procedure.code);
      const inputs = S.procedure.fee.inputs;
      const payload = { answers: { ...S.answers }, unsure: [...S.unsure], lang: lang() };
      if (inputs.includes("pages")) payload.pages = S.pages;
      if (inputs.includes("copies")) payload.copies = S.copies;
      try {
        const job = await api("POST", `/api/v1/procedures/${code}/checklist/print`, payload);
        let status = job.status;
        for (let i = 0; i < 60 && (status === "queued" || status === "printing"); i += 1) {
          await sleep(1000);
          status = (await api("GET", `/api/v1/procedures/${code}/checklist/print/${job.id}`)).status;
        }
        setPrint(status === "printed" ? "printed" : status === "failed" ? "failed" : "queued");
      } catch (err) {
        setPrint(err.offline ? "offline" : err.status === 429 ? "busy" : "failed");
      } finally {
        setTimeout(() => { button.disabled = false; }, 3000);
      }
    }

    // --- tickets: a volunteer, or the office ----------------------------------------------

    function openOverlay(id) {
      if (window.GuideKeyboard) window.GuideKeyboard.hide();
      for (const o of $$(".overlay")) if (o.id !== "idle") o.hidden = o.id !== id;
    }

    function closeOverlays() {
      for (const o of $$(".overlay")) if (o.id !== "idle") o.hidden = true;
    }

    function printNote(status) {
      const words = {
        queued: ["Đang in phiếu…", "Printing the ticket…"],
        printed: ["Đã in phiếu. Xin nhận ở khe máy in.", "Printed. Please take the ticket."],
        failed: ["Máy in chưa in được phiếu: xin ghi nhớ số.", "The ticket could not be printed: please note the number."],
        none: ["Xin ghi nhớ số của Ông/Bà.", "Please note your number."],
      }[status] || ["", ""];
      fill(slot("t-print"), bi(...words));
    }

    async function followPrint(id) {
      for (let i = 0; i < 20; i += 1) {
        await sleep(1000);
        try {
          const t = await api("GET", `/api/v1/tickets/${id}`);
          printNote(t.print.status);
          if (t.print.status !== "queued") return;
        } catch (_) {
          return;
        }
      }
    }

    function showTicket(kind, ticket) {
      const box = $("#ticket");
      box.dataset.kind = kind;
      box.dataset.state = "done";
      fill(slot("t-number"), ticket.number);
      const english = ticket.site_name_en && ticket.service_name_en;
      fill(slot("t-where"), bi(`${ticket.service_name} – ${ticket.site_name}`,
        english ? `${ticket.service_name_en} – ${ticket.site_name_en}` : null));
      slots("t-ahead").forEach((n) => fill(n, String(ticket.ahead)));
      const minutes = ticket.estimated_wait_min; // the server's rounding, as on paper
      slot("t-wait-box").hidden = !minutes;
      slots("t-wait").forEach((n) => fill(n, String(minutes)));
      printNote(ticket.print.status);
      openOverlay("ticket");
      if (ticket.print.status === "queued") followPrint(ticket.id);
    }

    function ticketError(err) {
      const box = $("#ticket");
      box.dataset.state = "error";
      let words;
      if (err.offline) words = bi("Đang ngoại tuyến: chưa lấy được số. Xin thử lại sau ít phút.", "Offline: no number can be issued now. Please try again in a few minutes.");
      else if (err.message && !err.message.startsWith("HTTP")) words = err.message;
      else words = bi("Chưa lấy được số. Xin thử lại.", "No number was issued. Please try again.");
      fill(slot("t-error"), words);
      openOverlay("ticket");
    }

    function busy(kind) {
      const box = $("#ticket");
      box.dataset.kind = kind;
      box.dataset.state = "busy";
      openOverlay("ticket");
    }

    async function callVolunteer() {
      busy("volunteer");
      try {
        S.volunteer = await api("POST", "/api/v1/guide/volunteer", { procedure: S.procedure ? S.procedure.code : null });
        showTicket("volunteer", S.volunteer);
      } catch (err) {
        ticketError(err);
      }
    }

    async function hallTicket(button) {
      button.disabled = true;
      busy("hall");
      try {
        const code = encodeURIComponent(S.procedure.code);
        const ticket = await api("POST", `/api/v1/procedures/${code}/hall-ticket`, { site: button.dataset.site });
        showTicket("hall", ticket);
        loadWaits();
      } catch (err) {
        ticketError(err);
      } finally {
        button.disabled = false;
      }
    }

    return { api, loadWaits, setPrint, printChecklist, openOverlay, closeOverlays, showTicket, callVolunteer, hallTicket };
  }

  window.GuideServices = { create };
})();
