// Carnet's service worker: the app shell offline, and the pages already visited.
// Flask serves this file at /sw.js and replaces the version marker below with a hash of
// the static files, so any change to them installs a new worker and new caches.
"use strict";

const VERSION = "__CARNET_VERSION__";
const SHELL_CACHE = `carnet-shell-${VERSION}`;
const PAGE_CACHE = `carnet-pages-${VERSION}`;
const OFFLINE_URL = "/offline";

const SHELL = [
  OFFLINE_URL,
  "/static/css/carnet.css",
  "/static/js/app.js",
  "/static/vendor/htmx.min.js",
  "/static/icons/sprite.svg",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest",
];

// Never intercepted: the worker itself and the load balancer's probe.
const BYPASS = new Set(["/sw.js", "/healthz"]);

self.addEventListener("install", (event) => {
  // "reload" skips the HTTP cache so the shell matches VERSION.
  const requests = SHELL.map((url) => new Request(url, { cache: "reload" }));
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(requests))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  const current = new Set([SHELL_CACHE, PAGE_CACHE]);
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("carnet-") && !current.has(name))
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || BYPASS.has(url.pathname)) return;

  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(cacheFirst(event));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(event));
  }
});

self.addEventListener("message", (event) => {
  // Sent by app.js on sign-out: visited pages hold health data.
  if (event.data && event.data.type === "clear-cache") {
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});

function isCacheable(response) {
  // Redirected responses cannot answer a later navigation, and no-store means no-store.
  return (
    response.ok &&
    response.type === "basic" &&
    !response.redirected &&
    !/no-store/i.test(response.headers.get("Cache-Control") || "")
  );
}

async function cacheFirst(event) {
  const cached = await caches.match(event.request);
  if (cached) return cached;
  const response = await fetch(event.request);
  if (isCacheable(response)) {
    const copy = response.clone();
    event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.put(event.request, copy)));
  }
  return response;
}

async function networkFirst(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    const type = response.headers.get("Content-Type") || "";
    if (isCacheable(response) && type.startsWith("text/html")) {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGE_CACHE).then((cache) => cache.put(request, copy)));
    }
    return response;
  } catch (error) {
    const pages = await caches.open(PAGE_CACHE);
    // ignoreVary: the session cookie is not visible here, so Vary: Cookie must not block.
    const page = await pages.match(request, { ignoreVary: true });
    return page || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

// ---------------------------------------------------------------------------
// Web Push: the `push` and `notificationclick` handlers go here (notifications issue).
// Payloads never carry health data; they only say "something changed" and a link.
// ---------------------------------------------------------------------------
