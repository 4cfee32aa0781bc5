/* The rating tablet. Idle until its counter finishes a ticket (a /live "queue" event for this
   counter, or the check at start): then it asks for a score on the configured scale for
   show_seconds, with optional reasons below the negative threshold, posts the rating with the
   device cookie and the CSRF header, thanks the citizen and goes back to idle. */
"use strict";

(function () {
  const M = window.Motcua;
  const cfg = M.readData("rate-data");
  const tablet = document.getElementById("tablet");
  const bar = document.getElementById("countdown-bar");
  const requestUrl = `/api/v1/counters/${encodeURIComponent(cfg.site)}/${cfg.counter}/rating-request`;

  let ticket = null; // the rating request being shown
  let score = null;
  let deadline = 0;
  let timer = null;
  let sending = false;

  function screen(name) {
    tablet.dataset.screen = name;
  }

  function idle() {
    ticket = null;
    score = null;
    clearInterval(timer);
    document.querySelectorAll(".score").forEach((b) => b.classList.remove("chosen"));
    screen("idle");
  }

  function tick() {
    const left = Math.max(0, deadline - Date.now());
    bar.style.width = `${(100 * left) / (ticket ? ticket.show_seconds * 1000 : 1)}%`;
    if (left <= 0) {
      // Time is up: keep a score already chosen (reasons are optional), else ask no more.
      if (score !== null) send();
      else idle();
    }
  }

  function ask(request) {
    ticket = request;
    score = null;
    document.getElementById("ask-number").textContent = request.number;
    document.getElementById("ask-service").textContent = request.service_name;
    document.querySelectorAll(".reason").forEach((b) => b.setAttribute("aria-pressed", "false"));
    document.querySelectorAll(".score").forEach((b) => b.classList.remove("chosen"));
    deadline = Date.now() + request.show_seconds * 1000;
    clearInterval(timer);
    timer = setInterval(tick, 1000);
    screen("ask");
    tick();
  }

  async function check() {
    try {
      const request = await M.api("GET", requestUrl);
      if (request && (!ticket || ticket.ticket !== request.ticket)) ask(request);
    } catch (err) {
      /* offline or not allowed: stay as we are, the next event retries */
    }
  }

  async function send() {
    if (!ticket || score === null || sending) return;
    sending = true;
    clearInterval(timer);
    const reasons = [...document.querySelectorAll('.reason[aria-pressed="true"]')].map((b) => b.dataset.reason);
    try {
      await M.api("POST", `/api/v1/tickets/${ticket.ticket}/rating`, { score, reasons });
    } catch (err) {
      /* 409: already rated (e.g. from the phone) — thank the citizen all the same */
    } finally {
      sending = false;
    }
    ticket = null;
    screen("thanks");
    setTimeout(() => {
      if (tablet.dataset.screen === "thanks") idle();
    }, cfg.thanks_seconds * 1000);
  }

  document.querySelectorAll(".score").forEach((button) =>
    button.addEventListener("click", () => {
      if (!ticket) return;
      score = Number(button.dataset.score);
      button.classList.add("chosen");
      if (score < cfg.negative_below && document.querySelector(".reason")) screen("reasons");
      else send();
    }),
  );
  document.querySelectorAll(".reason").forEach((button) =>
    button.addEventListener("click", () =>
      button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true"),
    ),
  );
  document.getElementById("send").addEventListener("click", send);

  M.live(
    cfg.site,
    (event) => {
      if (event.kind === "connect") return check();
      if (event.kind === "TicketChanged" && event.counter === cfg.counter && event.status === "done") check();
    },
    () => {},
  );
  check();
})();
