/* The guide's link to the server: whether it is up, the service worker, and the anonymous
 * usage counts that wait while it is down.
 *
 * The page learns that the link is down when a request fails, and checks it again every few
 * seconds with a HEAD request for the catalogue bundle (cheap, and it also tells whether the
 * catalogue changed). Usage counts ("this procedure was viewed") that cannot be sent are kept
 * in IndexedDB, with the day they happened, and sent when the link returns. They name a
 * procedure and a site, nothing about the citizen, so they may outlive the session; everything
 * else the page keeps is wiped at "Kết thúc". */
(function () {
  "use strict";

  const QUEUE_KEY = "guide-usage-queue";
  const CHECK_ONLINE_MS = 30000;
  const CHECK_OFFLINE_MS = 5000;
  const MAX_QUEUED = 500;
  const store = window.idbKeyval && window.idbKeyval.createStore
    ? window.idbKeyval.createStore("motcua-guide", "queue") : null;
  const listeners = [];
  let online = navigator.onLine !== false;
  let timer = null;
  let bundleUrl = null;
  let csrf = "";

  function setOnline(value) {
    if (value === online) return;
    online = value;
    listeners.forEach((fn) => fn(online));
    if (online) flush();
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, online ? CHECK_ONLINE_MS : CHECK_OFFLINE_MS);
  }

  /* Ask the server whether it is there (the service worker lets this through untouched). */
  async function check() {
    try {
      const resp = await fetch(bundleUrl, { method: "HEAD", cache: "no-store", credentials: "same-origin" });
      setOnline(resp.status < 500);
    } catch (_) {
      setOnline(false);
    }
    schedule();
  }

  async function queued() {
    if (!store) return [];
    try { return (await window.idbKeyval.get(QUEUE_KEY, store)) || []; } catch (_) { return []; }
  }

  async function keep(item) {
    if (!store) return;
    try {
      await window.idbKeyval.update(QUEUE_KEY, (items) => [...(items || []), item].slice(-MAX_QUEUED), store);
    } catch (_) { /* storage refused: the count is lost, nothing else */ }
  }

  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    return resp.status;
  }

  /* Send what waited; keep what still cannot go (a 4xx answer drops it: it never will). */
  let flushing = false;
  async function flush() {
    if (flushing || !store) return;
    flushing = true;
    try {
      const items = await queued();
      const left = [];
      for (const item of items) {
        try {
          const status = await post(item.path, item.body);
          if (status >= 500) left.push(item);
        } catch (_) {
          left.push(item);
          setOnline(false);
        }
      }
      await window.idbKeyval.set(QUEUE_KEY, left, store);
    } finally {
      flushing = false;
    }
  }

  /* Send a usage count now, or keep it for later with the day it happened. */
  async function count(path, body, day) {
    try {
      const status = await post(path, body);
      if (status >= 500) throw new Error(`HTTP ${status}`);
      setOnline(true);
    } catch (_) {
      setOnline(false);
      await keep({ path, body: { ...body, day } });
    }
  }

  /* Once a service worker controls the page, ask it to keep the page and the bundle. */
  function warmWorker(shell) {
    const sw = navigator.serviceWorker;
    sw.addEventListener("message", (event) => {
      if (event.data && event.data.type === "warmed") document.body.dataset.offlineReady = event.data.ok ? "1" : "0";
    });
    const ask = () => {
      if (sw.controller) sw.controller.postMessage({ type: "warm", shell, bundle: bundleUrl });
    };
    if (sw.controller) ask();
    sw.addEventListener("controllerchange", ask);
  }

  function start(options) {
    bundleUrl = options.bundleUrl;
    csrf = options.csrf;
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/guide-sw.js", { scope: "/guide" }).catch(() => {
        /* no service worker: the page still works offline until it is reloaded */
      });
      warmWorker(options.shell);
    }
    window.addEventListener("online", check);
    window.addEventListener("offline", () => setOnline(false));
    flush();
    schedule();
  }

  window.GuideLink = {
    start,
    count,
    check,
    flush,
    queued,
    get online() { return online; },
    set online(value) { setOnline(value); },
    onChange: (fn) => listeners.push(fn),
    /* Whether a reload would still show the page when the server is down. */
    get canReload() { return online || Boolean(navigator.serviceWorker && navigator.serviceWorker.controller); },
  };
})();
