/* "Me → Notifications": turn Web Push on or off for this device. The page works without
   this file (the list of devices and their remove buttons are plain forms). */
(function () {
  "use strict";

  var section = document.getElementById("push-device");
  if (!section) return;
  var status = document.getElementById("push-status");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var onButton = section.querySelector('[data-push="on"]');
  var offButton = section.querySelector('[data-push="off"]');
  var withoutJs = section.querySelector("[data-push-without-js]");
  if (withoutJs) withoutJs.hidden = true;

  function say(message) {
    status.textContent = message || "";
    status.hidden = !message;
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function sameKey(buffer, key) {
    if (!buffer) return true; // the browser does not tell: assume it is ours
    var a = new Uint8Array(buffer), b = toBytes(key);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf ? csrf.content : "" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || response.statusText);
          error.fromServer = Boolean(data.error);
          throw error;
        }
        return data;
      });
    });
  }

  function hashOf(text) {
    if (!window.crypto || !crypto.subtle) return Promise.resolve("");
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (digest) {
      return Array.from(new Uint8Array(digest), function (b) {
        return b.toString(16).padStart(2, "0");
      }).join("");
    });
  }

  function failed(error) {
    if (error && error.fromServer) return say(error.message);
    if (error && error.name === "NotAllowedError") return say(section.dataset.denied);
    say(section.dataset.failed);
  }

  // iOS and iPadOS (which says it is a Mac with a touch screen) deliver Web Push only to a
  // web app opened from the Home Screen: in Safari, say how to get there first.
  var apple = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var installed = navigator.standalone === true ||
    window.matchMedia("(display-mode: standalone)").matches;
  if (apple && !installed) {
    document.getElementById("push-ios").hidden = false;
    return;
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(section.dataset.unsupported);
    return;
  }

  var ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  });

  /* Show "on" or "off", and mark this device in the list, from what the browser holds. */
  function show() {
    return ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      var ours = subscription && sameKey(subscription.options.applicationServerKey,
                                         section.dataset.publicKey);
      return (ours ? hashOf(subscription.endpoint) : Promise.resolve("")).then(function (hash) {
        var row = hash && document.querySelector('[data-endpoint-hash="' + hash + '"]');
        if (row) row.querySelector("[data-this-device-badge]").hidden = false;
        // A subscription the server does not know (removed from the list) is "off" here.
        onButton.hidden = Boolean(row);
        offButton.hidden = !row;
      });
    }).catch(function () {
      onButton.hidden = false;
    });
  }

  onButton.addEventListener("click", function () {
    say("");
    onButton.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        var error = new Error("permission " + permission);
        error.name = "NotAllowedError";
        throw error;
      }
      return ready;
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (old) {
        // A subscription made with a former key cannot receive our pushes any more.
        if (old && !sameKey(old.options.applicationServerKey, section.dataset.publicKey)) {
          return old.unsubscribe().then(function () { return null; });
        }
        return old;
      }).then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: toBytes(section.dataset.publicKey)
        });
      });
    }).then(function (subscription) {
      return post(section.dataset.subscribe, subscription.toJSON());
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(failed).then(function () {
      onButton.disabled = false;
    });
  });

  offButton.addEventListener("click", function () {
    say("");
    offButton.disabled = true;
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return { redirect: window.location.href };
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(section.dataset.unsubscribe, { endpoint: endpoint });
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(failed).then(function () {
      offButton.disabled = false;
    });
  });

  show();
})();
