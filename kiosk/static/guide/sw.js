/* The guide's service worker (served as /guide-sw.js, scope /guide).
 *
 * It keeps what a citizen already in the guide needs when the link to the server drops: the
 * page, its scripts and styles, the catalogue bundle and the QR codes of the procedures. Pages
 * and the bundle are fetched from the network first (so staff changes show at once) and taken
 * from the cache only when the server cannot be reached; scripts, styles, fonts and QR codes
 * come from the cache first. Nothing a citizen types or receives (tickets, checklists printed,
 * queue figures, usage counts) is ever cached: API calls always go to the network.
 *
 * __VERSION__ and __SHELL__ are replaced by the server: a hash of the page's scripts and styles,
 * and their list. */
"use strict";

const VERSION = "__VERSION__";
const CACHE = `motcua-guide-${VERSION}`;
// The page's scripts, styles and fonts (the server fills in the list it hashes for __VERSION__)
// and the QR codes every screen may show.
const SHELL = [...__SHELL__, "/guide/qr/lookup.png", "/guide/qr/portal.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("motcua-guide-") && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

/* The bundle names every procedure: keep their QR codes (and the fonts the stylesheet uses). */
async function warm(bundle) {
  const cache = await caches.open(CACHE);
  const urls = bundle.procedures.map((p) => `/guide/qr/${encodeURIComponent(p.code)}.png`);
  for (const p of bundle.procedures) {
    for (const q of p.wizard) {
      for (const branch of [q.yes, q.no]) {
        if (branch.suggestion && !branch.suggestion.in_catalogue) {
          urls.push(`/guide/qr/${encodeURIComponent(branch.suggestion.code)}.png`);
        }
      }
    }
  }
  const missing = [];
  for (const url of new Set(urls)) if (!(await cache.match(url))) missing.push(url);
  await Promise.all(missing.map((url) => cache.add(url).catch(() => null)));
}

async function networkFirst(request, { fallbackIgnoringSearch = false, onFresh = null } = {}) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
      if (onFresh) onFresh(response.clone());
    } else if (response.status === 304) {
      return (await cache.match(request)) || response;
    }
    return response;
  } catch (err) {
    const cached = (await cache.match(request))
      || (fallbackIgnoringSearch && (await cache.match(request, { ignoreSearch: true })));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

/* The page asks, once it is controlled, to keep a copy of itself and of its bundle. */
self.addEventListener("message", (event) => {
  const msg = event.data || {};
  if (msg.type !== "warm") return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    let ok = true;
    try {
      const page = await fetch(msg.shell, { credentials: "same-origin", cache: "no-store" });
      if (page.ok) await cache.put(msg.shell, page); else ok = false;
      const bundle = await fetch(msg.bundle, { credentials: "same-origin", cache: "no-store" });
      if (bundle.ok) {
        await cache.put(msg.bundle, bundle.clone());
        await warm(await bundle.json());
      } else ok = false;
    } catch (_) {
      ok = false;
    }
    if (event.source) event.source.postMessage({ type: "warmed", ok });
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/guide") {
    // Any cached guide page serves a reload: the page reads its language from the address.
    event.respondWith(networkFirst(request, { fallbackIgnoringSearch: true }));
  } else if (url.pathname === "/guide/catalogue.json") {
    event.respondWith(networkFirst(request, {
      fallbackIgnoringSearch: true,
      onFresh: (response) => response.json().then(warm).catch(() => null),
    }));
  } else if (url.pathname.startsWith("/guide/qr/") || url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
  // Everything else (the API, live figures) goes to the network untouched.
});
