// Carnet's service worker: the app shell offline, and the pages already visited.
// Flask serves this file at /sw.js and replaces the version marker below with a hash of
// the static files, so any change to them installs a new worker and new caches.
"use strict";

const VERSION = "__CARNET_VERSION__";
const SHELL_CACHE = `carnet-shell-${VERSION}`;
const PAGE_CACHE = `carnet-pages-${VERSION}`;
const OFFLINE_URL = "/offline";
// Ids of the pushes already shown, kept across versions (Web Push is at-least-once).
const SEEN_CACHE = "carnet-push-seen";
const SEEN_MAX = 200;

const SHELL = [
  OFFLINE_URL,
  "/static/css/carnet.css",
  "/static/js/app.js",
  "/static/js/report-queue.js",
  "/static/js/offline-report.js",
  "/static/vendor/htmx.min.js",
  "/static/icons/sprite.svg",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest",
];

// Symptom reports kept on the phone without network, sent by Background Sync below.
importScripts("/static/js/report-queue.js");

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
  const current = new Set([SHELL_CACHE, PAGE_CACHE, SEEN_CACHE]);
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

// ---------------------------------------------------------------------------
// Offline symptom reports (static/js/report-queue.js, static/js/offline-report.js).
// ---------------------------------------------------------------------------
self.addEventListener("sync", (event) => {
  if (event.tag !== self.CarnetReportQueue.SYNC_TAG) return;
  event.waitUntil(
    self.CarnetReportQueue.sendAll().then(async (results) => {
      const windows = await self.clients.matchAll({ type: "window" });
      windows.forEach((w) => w.postMessage({ type: "carnet-reports" }));
      // Still waiting: a rejection asks the browser to try this sync again later.
      if (results.some((r) => r.state === "waiting")) throw new Error("reports still waiting");
    }),
  );
});

self.addEventListener("message", (event) => {
  // Sent by offline-report.js: the report form, so that it opens without network.
  if (event.data && event.data.type === "keep-pages" && Array.isArray(event.data.urls)) {
    event.waitUntil(keepPages(event.data.urls));
  }
});

async function keepPages(urls) {
  const pages = await caches.open(PAGE_CACHE);
  for (const href of urls.slice(0, 5)) {
    const url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || (await pages.match(url.href, { ignoreVary: true }))) {
      continue;
    }
    try {
      const response = await fetch(url.href, { credentials: "same-origin" });
      const type = response.headers.get("Content-Type") || "";
      if (isCacheable(response) && type.startsWith("text/html")) await pages.put(url.href, response);
    } catch (error) {
      // No network now: the page is kept on the next visit instead.
    }
  }
}

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
// Web Push. Payloads never carry health data; they only say "something changed" and a
// link. The server delivers at least once, so each notification id is shown once only.
// ---------------------------------------------------------------------------
self.addEventListener("push", (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch (error) {
    message = null;
  }
  if (!message || typeof message.id !== "number") return;
  event.waitUntil(showOnce(message));
});

// True the first time an id is seen, false after: the Cache API keeps the ids. Checks run
// one after the other, so that two copies arriving together are not both "first".
let seenQueue = Promise.resolve();
function firstTime(id) {
  const result = seenQueue.then(() => markSeen(id));
  seenQueue = result.catch(() => false);
  return result;
}

async function markSeen(id) {
  const seen = await caches.open(SEEN_CACHE);
  const key = `/push-seen/${id}`;
  if (await seen.match(key)) return false;
  await seen.put(key, new Response(""));
  const keys = await seen.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - SEEN_MAX)).map((k) => seen.delete(k)));
  return true;
}

async function showOnce(message) {
  if (!(await firstTime(message.id))) return;
  const url = new URL(message.url || "/", self.location.origin);
  await self.registration.showNotification(message.title || "Carnet", {
    body: message.body || "",
    lang: message.lang || "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    tag: message.tag || `n${message.id}`,
    renotify: true,
    data: { id: message.id, url: url.origin === self.location.origin ? url.href : "/" },
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/",
    self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const ours = windows.filter((w) => new URL(w.url).origin === self.location.origin);
      // A Carnet window already on that page is brought forward as it is (nothing typed
      // in it is lost); otherwise one of ours goes there; otherwise a new one opens.
      const there = ours.find((w) => w.url === target);
      if (there) return there.focus();
      const open = ours[0];
      if (open) {
        return open.focus().then((w) => (w || open).navigate(target))
          .catch(() => self.clients.openWindow(target));
      }
      return self.clients.openWindow(target);
    }),
  );
});
