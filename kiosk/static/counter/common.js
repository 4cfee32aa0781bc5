/* Shared helpers of the staff pages (console, overview, rating tablet): JSON calls with the
   CSRF header, DOM building that never parses data as HTML, times, and the /live push. */
"use strict";

window.Motcua = (function () {
  const csrf = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || "HTTP " + status);
      this.status = status;
      this.code = err.code;
    }
  }

  /** fetch JSON; writes carry the session's CSRF token. Resolves to null on 204. */
  async function api(method, path, body) {
    const opts = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    if (resp.status === 204) return null;
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

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

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  /** "09:05" from an ISO time with its offset (shown in the office's time, as sent). */
  function clock(iso) {
    return iso ? iso.slice(11, 16) : "";
  }

  function minutes(seconds) {
    return Math.max(0, Math.floor(seconds / 60));
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
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

  /** Join the site's /live room; call onChange(event) for each queue change and on every
      (re)connect, and report the link state to onLink("connected" | "offline"). */
  function live(site, onChange, onLink) {
    if (typeof io !== "function") {
      onLink("offline");
      return null;
    }
    const socket = io("/live", {
      auth: { site },
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    socket.on("connect", () => {
      onLink("connected");
      onChange({ kind: "connect" });
    });
    socket.on("disconnect", () => onLink("offline"));
    socket.on("connect_error", () => onLink("offline"));
    socket.on("queue", (event) => onChange(event || {}));
    return socket;
  }

  /** The English variant of o[key] (o[key + "_en"]) on English pages, else o[key]. */
  function name(o, key, lang) {
    return (lang === "en" && o[`${key}_en`]) || o[key];
  }

  function readData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function closeButtons(root) {
    root.querySelectorAll("dialog [data-close]").forEach((b) =>
      b.addEventListener("click", () => b.closest("dialog").close("cancel")),
    );
  }

  return {
    api, ApiError, el, fill, debounce, clock, minutes, format, toast, live, readData, closeButtons, name,
  };
})();
