// Symptom reports kept on the phone until the server has them (issue 6, offline reporting).
// Plain functions over IndexedDB and fetch, without the DOM, so that the page
// (static/js/offline-report.js) and the service worker (Background Sync, static/sw.js) send
// the same way. Each report keeps the UUID the phone made for it: the server stores a UUID
// once and answers a replay like the first send, so sending twice (the page and the worker
// at the same moment, a lost answer) never makes two reports.
(function (scope) {
  "use strict";

  var DB_NAME = "carnet-reports";
  var STORE = "queue";
  var SYNC_TAG = "carnet-reports";
  var TOKEN_URL = "/symptoms/csrf-token";
  var SENT_PATH = /^\/carnet\/\d+\/symptoms\/\d+\/sent$/;
  var TIMEOUT_MS = 20000; // a village's 3G may take a while, but not for ever

  function request(idbRequest) {
    return new Promise(function (resolve, reject) {
      idbRequest.onsuccess = function () { resolve(idbRequest.result); };
      idbRequest.onerror = function () { reject(idbRequest.error); };
    });
  }

  var opened = null;
  function database() {
    if (!opened) {
      var opening = scope.indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore(STORE, { keyPath: "client_id" });
      };
      opened = request(opening).catch(function (error) {
        opened = null;
        throw error;
      });
    }
    return opened;
  }

  function store(mode) {
    return database().then(function (db) {
      return db.transaction(STORE, mode).objectStore(STORE);
    });
  }

  // Keep a report: { client_id, account (who made it), action (the form's URL),
  // fields: [[name, value]…] (no CSRF token), queued_at }. Once the server has answered for
  // good, the record is "settled": its answers are dropped and only { client_id, account,
  // outcome ("sent" or "refused"), url } stays, so that the report page can say "Sent"
  // whoever sent it (the page, or the service worker while no page was open).
  function put(record) {
    return store("readwrite").then(function (s) { return request(s.put(record)); });
  }

  function all() {
    return store("readonly").then(function (s) { return request(s.getAll()); });
  }

  function remove(clientId) {
    return store("readwrite").then(function (s) { return request(s.delete(clientId)); });
  }

  // Forget the reports of everyone but ``account`` (everyone's, without one): on a shared
  // phone, what one person kept must not stay for the next one, nor ever be sent for them.
  function keepOnly(account) {
    return all().then(function (records) {
      return Promise.all(records.filter(function (record) {
        return !account || String(record.account) !== String(account);
      }).map(function (record) { return remove(record.client_id); }));
    });
  }

  function settle(record, outcome, url) {
    return put({ client_id: record.client_id, account: record.account, outcome: outcome,
      url: url || null, settled_at: Date.now() });
  }

  function withTimeout(options) {
    if (scope.AbortSignal && AbortSignal.timeout) {
      options.signal = AbortSignal.timeout(TIMEOUT_MS);
    }
    return options;
  }

  // The CSRF token is asked for just before each send, never taken from the page: the page
  // may be the copy the phone kept days ago, from a session that has ended since. A signed-
  // out phone gets the sign-in page instead of JSON, and the report waits; so does a report
  // made by someone else than the person signed in now (a shared phone).
  function freshToken(record) {
    return fetch(TOKEN_URL, withTimeout({
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    })).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("no token");
      return response.json();
    }).then(function (body) {
      if (record.account && String(body.account) !== String(record.account)) {
        throw new Error("another account");
      }
      return body.csrf_token;
    });
  }

  // Send one report. The answer is { state: "sent", url } (the server has it: the first
  // send or a replay), { state: "refused", status } (the server will never take it: a
  // changed questionnaire, an answer out of bounds, no access any more), or
  // { state: "waiting" } (no network, no session, a server error: try again later).
  function send(record) {
    var token = null;
    return freshToken(record).then(function (fresh) {
      token = fresh;
      var body = new URLSearchParams();
      record.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
      body.set("csrf_token", token);
      return fetch(record.action, withTimeout({
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": token },
      }));
    }).then(function (response) {
      if (response.ok && SENT_PATH.test(new URL(response.url).pathname)) {
        return settle(record, "sent", response.url).then(function () {
          return { state: "sent", url: response.url, token: token };
        });
      }
      if (response.status >= 400 && response.status < 500 &&
          response.status !== 408 && response.status !== 429) {
        return settle(record, "refused").then(function () {
          return { state: "refused", status: response.status, token: token };
        });
      }
      return { state: "waiting" };
    }, function () {
      return { state: "waiting" };
    }).then(function (result) {
      result.client_id = record.client_id;
      return result;
    });
  }

  // Send every report still waiting, one after the other; the results, oldest first.
  function sendAll() {
    return all().then(function (records) {
      records = records.filter(function (record) { return !record.outcome; });
      records.sort(function (a, b) { return a.queued_at - b.queued_at; });
      var results = [];
      return records.reduce(function (previous, record) {
        return previous.then(function () {
          return send(record).then(function (result) {
            delete result.token; // only the page's own send uses it
            results.push(result);
          });
        });
      }, Promise.resolve()).then(function () { return results; });
    });
  }

  scope.CarnetReportQueue = {
    SYNC_TAG: SYNC_TAG, put: put, all: all, remove: remove, keepOnly: keepOnly, send: send,
    sendAll: sendAll,
  };
})(self);
