// Carnet's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
      console.warn("Carnet: service worker not registered", error);
    });
  }

  // Focus never hidden (WCAG 2.4.11): a text box the browser scrolls only as far as its
  // caret (a textarea near the bottom) may stay half under the fixed bottom navigation. Bring
  // all of it into view; "nearest" honours the CSS scroll-padding kept for the navigation.
  document.addEventListener("focusin", function (event) {
    var nav = document.querySelector(".bottom-nav");
    if (!nav || getComputedStyle(nav).position !== "fixed") return;
    if (event.target.getBoundingClientRect().bottom > nav.getBoundingClientRect().top) {
      event.target.scrollIntoView({ block: "nearest" });
    }
  });

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

  // A professional's session ends after a while without activity: two minutes before, the
  // page says so and offers to stay (WCAG 2.2.1); when it has ended, the page reloads onto
  // the sign-in page. Each answer from the server (a page, an htmx swap) counts as activity.
  var idleWarning = document.getElementById("idle-warning");
  if (idleWarning) {
    var WARN_BEFORE = 120;
    var idleTimers = [];
    var scheduleIdle = function (seconds) {
      idleTimers.forEach(window.clearTimeout);
      idleWarning.hidden = true;
      idleTimers = [
        window.setTimeout(function () {
          idleWarning.hidden = false;
          idleWarning.querySelector("[data-keep-session]").focus();
        }, Math.max(0, seconds - WARN_BEFORE) * 1000),
        window.setTimeout(function () { window.location.reload(); }, (seconds + 1) * 1000)
      ];
    };
    var idleSeconds = Number(idleWarning.getAttribute("data-idle"));
    idleWarning.querySelector("[data-keep-session]").addEventListener("click", function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      fetch("/session/keep", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": meta ? meta.content : "" }
      }).then(function (answer) {
        if (answer.ok) scheduleIdle(idleSeconds); else window.location.reload();
      }, function () { /* offline: the warning stays */ });
    });
    document.addEventListener("htmx:afterRequest", function () { scheduleIdle(idleSeconds); });
    scheduleIdle(Number(idleWarning.getAttribute("data-ends-in")));
  }

  // The paper carnet's "Print" button (without JavaScript, the browser's own print works).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
