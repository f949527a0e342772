// Carnet's service worker: the app shell offline, and the pages already visited.
// Flask serves this file at /sw.js (app/main.py) and replaces the version marker below with a
// hash of the static files, so any change to them installs a new worker and new caches, and
// the ASSETS marker with their URLs, which name their content (/static/css/carnet.css?v=…):
// the URLs the pages ask for, so that what is kept here answers them.
"use strict";

const VERSION = "__CARNET_VERSION__";
const SHELL_CACHE = `carnet-shell-${VERSION}`;
const PAGE_CACHE = `carnet-pages-${VERSION}`;
const OFFLINE_URL = "/offline";
// Ids of the pushes already shown, kept across versions (Web Push is at-least-once).
const SEEN_CACHE = "carnet-push-seen";
const SEEN_MAX = 200;

// The static files of the shell, by name ("css/carnet.css": its URL).
const ASSETS = /*__CARNET_ASSETS__*/ {};
const SHELL = [OFFLINE_URL, ...Object.values(ASSETS), "/manifest.webmanifest"];

// Symptom reports kept on the phone without network, sent by Background Sync below.
importScripts(ASSETS["js/report-queue.js"]);

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
  // Sent by app.js on sign-out: visited pages and kept reports hold health data.
  if (event.data && event.data.type === "clear-cache") {
    event.waitUntil(forgetSession(null).then(() => self.CarnetReportQueue.keepOnly(null)));
  }
});

// ---------------------------------------------------------------------------
// Whose pages these are. Every signed-in page says whose session it belongs to and until
// when (X-Carnet-Session, X-Carnet-Account, X-Carnet-Session-Ends; the marker is not the
// session's token). Pages are kept only with their session, shown offline only to it and
// before its end, and the cache is emptied as soon as another session, another person or
// no one is signed in — however the session ended: sign-out, timeout, "sign out of every
// device", an expired cookie. A report kept offline by someone else is forgotten too.
// ---------------------------------------------------------------------------
const SESSION_KEY = "/__carnet/session";

function sessionOf(response) {
  const marker = response.headers.get("X-Carnet-Session");
  if (!marker) return null;
  return {
    marker: marker,
    account: response.headers.get("X-Carnet-Account") || "",
    ends: Number(response.headers.get("X-Carnet-Session-Ends")) || 0,
  };
}

async function currentSession() {
  const kept = await (await caches.open(SHELL_CACHE)).match(SESSION_KEY);
  return kept ? kept.json() : null;
}

// The pages of every other session go; ``session`` (or nobody) is the one signed in now.
async function forgetSession(session) {
  await caches.delete(PAGE_CACHE);
  const shell = await caches.open(SHELL_CACHE);
  if (session) {
    await shell.put(SESSION_KEY, new Response(JSON.stringify(session),
      { headers: { "Content-Type": "application/json" } }));
  } else {
    await shell.delete(SESSION_KEY);
  }
}

// Called with each page the server sends: notes whose it is, and forgets what belongs to
// anyone else. Queued on one promise, so that two pages at once decide one after the other.
let sessionQueue = Promise.resolve();
function seenSession(response) {
  const step = sessionQueue.then(async () => {
    const now = sessionOf(response);
    const before = await currentSession();
    if (!now) {
      if (before) await forgetSession(null);
      return null;
    }
    if (!before || before.marker !== now.marker) {
      await forgetSession(now);
      if (!before || before.account !== now.account) {
        await self.CarnetReportQueue.keepOnly(now.account);
      }
    } else if (before.ends !== now.ends) {
      await forgetSession(now); // the same session, lasting longer: keep its new end
    }
    return now;
  });
  sessionQueue = step.catch(() => null);
  return step;
}

// A kept page may be shown: it belongs to the session signed in now, before its end.
async function showable(page) {
  const session = await currentSession();
  const owner = sessionOf(page);
  return Boolean(session && owner && owner.marker === session.marker &&
    Date.now() / 1000 < Math.min(session.ends, owner.ends));
}

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
      const session = await currentSession();
      const owner = sessionOf(response);
      if (isKeptPage(response) && session && owner && owner.marker === session.marker) {
        await pages.put(url.href, response);
      }
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

// A signed-in page, kept for offline reading in this worker's own cache, which is bound to
// its session (above). The server sends pages "no-store" so that the browser's HTTP and
// back-forward caches never keep them; this cache is the one place that does, on purpose.
function isKeptPage(response) {
  const type = response.headers.get("Content-Type") || "";
  return (
    response.ok &&
    response.type === "basic" &&
    !response.redirected &&
    type.startsWith("text/html") &&
    sessionOf(response) !== null &&
    response.headers.get("X-Carnet-Offline") !== "no" // a secret shown once
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
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const pages = await caches.open(PAGE_CACHE);
    // ignoreVary: the session cookie is not visible here, so Vary: Cookie must not block.
    const page = await pages.match(request, { ignoreVary: true });
    if (page && (await showable(page))) return page;
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
  const copy = isKeptPage(response) ? response.clone() : null;
  // Before the page is shown, the cache forgets what belongs to anyone else.
  const session = await seenSession(response).catch(() => null);
  if (copy && session) {
    event.waitUntil(caches.open(PAGE_CACHE).then((cache) => cache.put(request, copy)));
  }
  return response;
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
  // A declarative Web Push message (W3C Push API): Safari 18.4+ shows it by itself; here
  // the worker shows it, once per notification id.
  const shown = message && message.web_push === 8030 ? message.notification : null;
  if (!shown || !shown.data || typeof shown.data.id !== "number") return;
  event.waitUntil(showOnce(shown));
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

async function showOnce(shown) {
  const id = shown.data.id;
  if (!(await firstTime(id))) return;
  const url = new URL(shown.data.url || "/", self.location.origin);
  try {
    await self.registration.showNotification(shown.title || "Carnet", {
      body: shown.body || "",
      lang: shown.lang || "",
      dir: shown.dir || "auto",
      icon: ASSETS["icons/icon-192.png"],
      badge: ASSETS["icons/icon-192.png"],
      tag: shown.tag || `n${id}`,
      renotify: true,
      data: { id: id, url: url.origin === self.location.origin ? url.href : "/" },
    });
  } catch (error) {
    // Not shown: not seen either, so that the push service's next delivery shows it.
    await (await caches.open(SEEN_CACHE)).delete(`/push-seen/${id}`);
    throw error;
  }
}

// The push service replaced this device's subscription (Firefox tells; Chrome never does):
// subscribe again if the browser did not, and tell Carnet, so that the device is not lost.
// There is no session nor CSRF token here; the old subscription's auth secret, which only
// this browser and Carnet know, proves which device it was. Without the old subscription
// nothing proves it: the notifications page subscribes again at the next visit.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewSubscription(event.oldSubscription, event.newSubscription));
});

async function renewSubscription(old, fresh) {
  if (!old) return false;
  const before = old.toJSON();
  if (!fresh) {
    const key = old.options && old.options.applicationServerKey;
    if (!key) return false;
    fresh = await self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: key });
  }
  const response = await fetch("/push/subscriptions/renew", {
    method: "POST", credentials: "omit", cache: "no-store",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ old: { endpoint: before.endpoint, auth: before.keys.auth },
                           subscription: fresh.toJSON() }),
  });
  return response.ok;
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
