/* The phone tracking page: re-reads /api/v1/track/<code> whenever /live says the queue of the
   ticket's site changed (and once a minute in case a push is lost), and sends the rating. */
"use strict";

(() => {
  const M = window.Motcua;
  const { $, $$, slot, setState } = M;
  const body = document.body;
  const code = body.dataset.code;
  const card = $(".ticket");
  const rating = $(".rating");
  const form = $("form", rating);
  const negativeBelow = Number(body.dataset.negativeBelow);
  const track = `/api/v1/track/${encodeURIComponent(code)}`;
  let timer = null;
  let status = card.dataset.state;

  async function refresh() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 60000);
    let t;
    try {
      t = await M.api("GET", track);
    } catch (e) {
      $(".offline").hidden = false;
      return;
    }
    $(".offline").hidden = true;
    const min = t.estimated_wait_min; // rounded by the server: the same minutes as on paper
    slot(document, "number", t.number);
    slot(document, "service_name", t.service_name);
    slot(document, "ahead", t.ahead);
    slot(document, "wait", min);
    slot(document, "counter_name", t.counter_name || "");
    setState($(".wait", card), min ? "some" : "none");
    if (t.status === "called" && status !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
    status = t.status;
    setState(card, status);
    if (t.can_rate && rating.dataset.state === "closed") {
      rating.hidden = false;
      setState(rating, "open");
    }
  }
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  };

  form.addEventListener("change", () => {
    const chosen = $("input[name=score]:checked", form);
    const reasons = $(".reasons", form);
    $("button", form).disabled = !chosen;
    if (reasons) reasons.hidden = !chosen || Number(chosen.value) >= negativeBelow;
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const score = Number($("input[name=score]:checked", form).value);
    const reasons = score < negativeBelow ? $$("input[name=reasons]:checked", form).map((i) => i.value) : [];
    const button = $("button", form);
    button.disabled = true;
    try {
      await M.api("POST", `${track}/rating`, { score, reasons });
      setState(rating, "thanks");
      return;
    } catch (err) {
      if (err instanceof M.ApiError && err.status === 409) {
        setState(rating, "already");
        return;
      }
      /* offline or refused: let them try again */
    }
    $(".error", form).hidden = false;
    button.disabled = false;
  });

  const sock = M.socket("/live", { auth: { track: code } });
  if (sock) {
    sock.on("queue", soon);
    sock.on("connect", soon);
  }
  refresh();
})();
