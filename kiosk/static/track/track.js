/* The phone tracking page: re-reads /api/v1/track/<code> whenever /live says the queue of the
   ticket's site changed (and once a minute in case a push is lost), and sends the rating. */
(function () {
  "use strict";
  var body = document.body, code = body.dataset.code;
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var card = document.querySelector(".ticket"), rating = document.querySelector(".rating");
  var form = rating.querySelector("form"), timer = null, status = card.dataset.state;

  function $$(sel, root) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }
  function slot(name, value) { $$('[data-slot="' + name + '"]', document).forEach(function (el) { el.textContent = value; }); }
  function setState(el, value) {
    el.dataset.state = value;
    $$("[data-when]", el).forEach(function (c) {
      if (c.parentElement.closest("[data-state]") === el) c.hidden = c.dataset.when.split(" ").indexOf(value) < 0;
    });
  }

  async function refresh() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 60000);
    var t;
    try {
      var r = await fetch("/api/v1/track/" + encodeURIComponent(code), { cache: "no-store", headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error(r.status);
      t = await r.json();
    } catch (e) { document.querySelector(".offline").hidden = false; return; }
    document.querySelector(".offline").hidden = true;
    var min = t.estimated_wait_s > 0 ? Math.max(1, Math.round(t.estimated_wait_s / 60)) : 0;
    slot("number", t.number);
    slot("service_name", t.service_name);
    slot("ahead", t.ahead);
    slot("wait", min);
    slot("counter_name", t.counter_name || "");
    setState(card.querySelector(".wait"), min ? "some" : "none");
    if (t.status === "called" && status !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
    status = t.status;
    setState(card, status);
    if (t.can_rate && rating.dataset.state === "closed") { rating.hidden = false; setState(rating, "open"); }
  }
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 300); }

  form.addEventListener("change", function () {
    var chosen = form.querySelector("input[name=score]:checked");
    var reasons = form.querySelector(".reasons");
    form.querySelector("button").disabled = !chosen;
    if (reasons) reasons.hidden = !chosen || Number(chosen.value) >= Number(body.dataset.negativeBelow);
  });
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    var score = Number(form.querySelector("input[name=score]:checked").value);
    var low = score < Number(body.dataset.negativeBelow);
    var reasons = low ? $$("input[name=reasons]:checked", form).map(function (i) { return i.value; }) : [];
    var button = form.querySelector("button"), error = form.querySelector(".error");
    button.disabled = true;
    try {
      var r = await fetch("/api/v1/track/" + encodeURIComponent(code) + "/rating", {
        method: "POST", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": CSRF },
        body: JSON.stringify({ score: score, reasons: reasons }),
      });
      if (r.status === 201) return setState(rating, "thanks");
      if (r.status === 409) return setState(rating, "already");
    } catch (err) { /* offline: let them try again */ }
    error.hidden = false;
    button.disabled = false;
  });

  if (typeof io === "function") {
    var sock = io("/live", {
      auth: { track: code },
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    sock.on("queue", soon);
    sock.on("connect", soon);
  }
  refresh();
})();
