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

  // htmx 2 swaps no 4xx answer. A form sent back with its errors (400, 422), or with what
  // the item says now because someone changed it meanwhile (409), is a fragment to show like
  // any other answer; a whole error page (an expired form, say) is not put inside a form.
  var FORM_ANSWERS = [400, 409, 422];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (FORM_ANSWERS.indexOf(detail.xhr.status) !== -1 &&
        !/^\s*<!doctype/i.test(detail.serverResponse || "")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
  // Focus then goes where the answer puts [autofocus] (htmx moves it there): the first field
  // in error, or the changed item.

  // What a change made in place did is said by the page's polite live region, in the words
  // of the server (translated), sent in the HX-Trigger-After-Settle header.
  document.addEventListener("carnet:announce", function (event) {
    var region = document.getElementById("announcer");
    var message = event.detail && event.detail.value;
    if (!region || !message) return;
    region.textContent = "";
    // The words a moment later, so that the same message twice is said twice.
    window.setTimeout(function () { region.textContent = message; }, 50);
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
