// Carnet's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
      console.warn("Carnet: service worker not registered", error);
    });
  }

  // htmx requests carry the same CSRF token as the plain forms.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  function showOfflineBanner() {
    var banner = document.getElementById("offline-banner");
    if (banner) {
      banner.hidden = navigator.onLine;
    }
  }
  window.addEventListener("online", showOfflineBanner);
  window.addEventListener("offline", showOfflineBanner);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showOfflineBanner);
  } else {
    showOfflineBanner();
  }

  // On sign-out, drop the cached pages: health data must not stay on a shared phone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker && form instanceof HTMLFormElement && form.hasAttribute("data-clear-offline-cache")) {
      worker.postMessage({ type: "clear-cache" });
    }
  });

  // The paper carnet's "Print" button (without JavaScript, the browser's own print works).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
