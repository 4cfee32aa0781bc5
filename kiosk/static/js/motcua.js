/* The one front-end helper of every page (window.Motcua): JSON calls to API v1, the Socket.IO
   connection, DOM building that never parses data as HTML, slots and states in templates,
   times and small utilities. Load it before the page's own script:

     <script src="/static/vendor/socket.io.min.js" defer></script>   (pages with a socket)
     <script src="/static/js/motcua.js" defer></script>
     <script src="/static/<page>/<page>.js" defer></script>

   A page acting as an enrolled device (kiosk, display, rating tablet) carries
   <meta name="motcua-device" content="ID">: api() then sends X-Motcua-Device and socket()
   the motcua_device query parameter, so the server answers as that device even when a staff
   member is signed in in the same browser. Writes carry the page's CSRF token
   (<meta name="csrf-token">). */
"use strict";

window.Motcua = (() => {
  const meta = (name) => {
    const node = document.querySelector(`meta[name="${name}"]`);
    return node ? node.content : "";
  };
  const device = meta("motcua-device");
  let skewMs = 0; // the server's clock minus ours, from the Date of its answers

  /** A refused call: status, the contract's error code and message, and the whole body. */
  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `HTTP ${status}`);
      this.status = status;
      this.code = err.code || null;
      this.error = err;
      this.body = body;
    }
  }

  /** fetch JSON from API v1. Resolves to the body (null on 204), rejects with ApiError for
      an HTTP error and with the fetch error (TypeError, AbortError) when the server cannot
      be reached. options: {headers, timeoutMs (default 10 s), lang}. */
  async function api(method, path, body, options = {}) {
    const headers = {
      Accept: "application/json",
      "Accept-Language": options.lang || document.documentElement.lang || "vi",
      "X-CSRF-Token": meta("csrf-token"),
      ...(device ? { "X-Motcua-Device": device } : {}),
      ...(options.headers || {}),
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeoutMs || 10000);
    try {
      const resp = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: abort.signal,
      });
      const date = resp.headers.get("Date");
      if (date) skewMs = Date.parse(date) + 500 - Date.now();
      if (resp.status === 204) return null;
      let data = null;
      try {
        data = await resp.json();
      } catch (e) {
        data = null;
      }
      if (!resp.ok) throw new ApiError(resp.status, data);
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The server's time as a Date (its clock, whatever the PC's clock says). */
  function serverNow() {
    return new Date(Date.now() + skewMs);
  }

  function setServerTime(iso) {
    const at = Date.parse(iso);
    if (!Number.isNaN(at)) skewMs = at - Date.now();
  }

  /** Connect to a Socket.IO namespace as this page's device (or as the signed-in user).
      WebSocket first, long-polling as a fallback behind proxies that refuse it. */
  function socket(namespace, options = {}) {
    if (typeof window.io !== "function") return null;
    return window.io(namespace, {
      // WebSocket first: several server processes need no sticky sessions for it.
      transports: ["websocket", "polling"],
      tryAllTransports: true, // a proxy that refuses WebSockets still lets long-polling through
      query: { motcua_device: device || "none" },
      ...options,
    });
  }

  /** Join the site's /live room; onChange(event) for each queue change and on every
      (re)connect ({kind: "connect"}); onLink("connected" | "offline"). */
  function live(site, onChange, onLink = () => {}) {
    const sock = socket("/live", { auth: site ? { site } : {} });
    if (!sock) {
      onLink("offline");
      return null;
    }
    sock.on("connect", () => {
      onLink("connected");
      onChange({ kind: "connect" });
    });
    sock.on("disconnect", () => onLink("offline"));
    sock.on("connect_error", () => onLink("offline"));
    sock.on("queue", (event) => onChange(event || {}));
    // An admin changed the configuration: swap in the page's fresh lists, then refresh.
    sock.on("config", () => reloadParts().finally(() => onChange({ kind: "config" })));
    return sock;
  }

  /** The configuration changed (services, counters, names): fetch this page again and swap
      in each element marked data-config-part, matched by id. Resolves to whether it did. */
  async function reloadParts() {
    const parts = $$("[data-config-part]");
    if (!parts.length) return false;
    let html;
    try {
      const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!res.ok) return false;
      html = await res.text();
    } catch (err) {
      return false;
    }
    const doc = new DOMParser().parseFromString(html, "text/html");
    for (const part of parts) {
      const fresh = part.id && doc.getElementById(part.id);
      if (fresh) part.replaceWith(document.importNode(fresh, true));
    }
    return true;
  }

  /* --- DOM ---------------------------------------------------------------------------- */

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  /** el("li", {class: "row", dataset: {id: 3}}, "text", child) — text is always text. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(node, ...children) {
    node.replaceChildren();
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
  }

  /** Fill every [data-slot=name] under root: a node is copied in, a function is called with
      the slot's language (its closest [lang]), anything else becomes text. */
  function slot(root, name, value) {
    for (const target of $$(`[data-slot="${name}"]`, root)) {
      if (value instanceof Node) target.replaceChildren(value.cloneNode(true));
      else if (typeof value === "function") {
        const holder = target.closest("[lang]");
        target.textContent = value(holder ? holder.lang : "vi");
      } else target.textContent = value === null || value === undefined ? "" : String(value);
    }
  }

  /** Set el's data-state and show only its [data-when] children that list the state (nested
      [data-state] elements keep their own). */
  function setState(node, value) {
    node.dataset.state = value;
    for (const child of $$("[data-when]", node)) {
      if (child.parentElement.closest("[data-state]") === node) {
        child.hidden = !child.dataset.when.split(" ").includes(value);
      }
    }
  }

  function readData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  let toastTimer = null;
  function toast(message, kind) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 6000 : 3000);
  }

  function closeButtons(root) {
    root.querySelectorAll("dialog [data-close]").forEach((b) =>
      b.addEventListener("click", () => b.closest("dialog").close("cancel")),
    );
  }

  /* --- time and small things --------------------------------------------------------------- */

  /** "09:05" from an ISO time with its offset (the office's time, as the server sent it). */
  function clock(iso) {
    return typeof iso === "string" && iso.length >= 16 ? iso.slice(11, 16) : "";
  }

  /** Whole minutes of a wait, as the tickets print them: 0 for none, else at least 1. */
  function minutes(seconds) {
    return Math.max(0, Math.floor(seconds / 60));
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  }

  /** The English variant of o[key] (o[key + "_en"]) on English pages, else o[key]. */
  function name(o, key, lang) {
    return (lang === "en" && o[`${key}_en`]) || o[key];
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  /** Trailing throttle per key: a burst costs one call, a steady stream one per ms (with a
      jitter, so that many screens do not ask in the same millisecond). */
  const throttled = {};
  function throttle(key, fn, ms) {
    if (throttled[key]) return;
    throttled[key] = setTimeout(() => {
      throttled[key] = null;
      fn();
    }, ms * (0.5 + Math.random()));
  }

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  return {
    ApiError, api, serverNow, setServerTime, socket, live, reloadParts, device,
    $, $$, el, fill, slot, setState, readData, toast, closeButtons,
    clock, minutes, format, name, debounce, throttle, sleep,
  };
})();
