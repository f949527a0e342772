// Reporting without network (issue 6). Without this file the report form is a plain POST →
// redirect → GET. With it, a report is first kept on the phone (static/js/report-queue.js)
// and then sent; when there is no network it waits, says "Waiting for network", and is sent
// when the network returns: by Background Sync where the browser has it, otherwise on the
// `online` event, and in any case on the next page load. The words shown are in the page,
// rendered by the server in the reader's language (hidden until needed).
(function () {
  "use strict";

  var queue = window.CarnetReportQueue;
  if (!queue || !window.indexedDB || !window.fetch || !window.URLSearchParams) return;

  var form = document.querySelector("form[data-offline-report]");
  var status = document.querySelector("[data-report-status]");
  var flushing = null;

  // A UUID made on the phone, so that the copy of this page the phone kept still makes a
  // new report each time (the one the server wrote in the page is used once at most).
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  function show(state, url) {
    if (!status) return;
    status.querySelectorAll("[data-state]").forEach(function (element) {
      element.hidden = element.getAttribute("data-state") !== state;
    });
    var link = status.querySelector("[data-sent-link]");
    if (link) {
      if (url) link.href = url;
      link.hidden = !url;
    }
  }

  // What the report page says: "waiting" while a report is still kept, else "refused" or
  // "sent" for the reports settled since it last said so (then forgotten: said once).
  // Other pages leave the settled ones for the report page.
  function report() {
    return queue.all().then(function (kept) {
      var pending = kept.filter(function (r) { return !r.outcome; });
      var settled = kept.filter(function (r) { return r.outcome; });
      if (!status) return;
      if (pending.length) {
        show("waiting");
      } else if (settled.some(function (r) { return r.outcome === "refused"; })) {
        show("refused");
      } else if (settled.length) {
        settled.sort(function (a, b) { return a.settled_at - b.settled_at; });
        show("sent", settled[settled.length - 1].url);
      }
      return Promise.all(settled.map(function (r) { return queue.remove(r.client_id); }));
    });
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(queue.SYNC_TAG);
    }).catch(function () { /* no Background Sync: the online event and page loads do it */ });
  }

  function flush() {
    if (!flushing) {
      flushing = queue.sendAll().then(report).catch(function () {}).then(function () {
        flushing = null;
      });
    }
    return flushing;
  }

  function onSubmit(event) {
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    // When it was made here: it may reach the care team hours later.
    if (form.elements.made_at) form.elements.made_at.value = new Date().toISOString();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") fields.push([name, String(value)]);
    });
    var record = {
      client_id: form.elements.client_id.value, account: form.getAttribute("data-account"),
      action: form.action, fields: fields,
      queued_at: Date.now(),
    };
    if (button) button.disabled = true;
    queue.put(record).then(function () {
      return queue.send(record);
    }, function () {
      return { state: "unkept" };
    }).then(function (result) {
      if (result.state === "sent") {
        // The "Sent" page says it: nothing more to say on the next report page.
        queue.remove(record.client_id).then(function () { window.location.assign(result.url); });
        return;
      }
      if (result.state === "refused" || result.state === "unkept") {
        // The server's own page says what is wrong, next to each answer (or IndexedDB is
        // not there, in a private window): the plain form, as without JavaScript.
        if (result.token) form.elements.csrf_token.value = result.token;
        var submit = function () { form.submit(); };
        queue.remove(record.client_id).then(submit, submit);
        return;
      }
      form.reset();
      form.elements.client_id.value = uuid();
      if (button) button.disabled = false;
      show("waiting");
      askForSync();
      if (status) status.scrollIntoView({ block: "center" });
    });
  }

  if (form) {
    form.elements.client_id.value = uuid();
    form.addEventListener("submit", onSubmit);
  }
  // The service worker sent them (Background Sync): say so here too.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "carnet-reports") report();
    });
    // Keep the report page on the phone, so that it opens without network.
    var pages = Array.prototype.map.call(document.querySelectorAll("a[data-offline-page]"),
      function (link) { return link.href; });
    if (pages.length) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "keep-pages", urls: pages });
      });
    }
  }
  window.addEventListener("online", flush);
  // The next page load says what became of the kept reports, and sends those still waiting.
  report().catch(function () {}).then(flush);
})();
