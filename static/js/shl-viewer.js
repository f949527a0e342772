/* The reader of a hand-over link (SMART Health Links). The link is after the "#" of this
   page's address, which the browser never sends: this script asks the link's manifest for
   the encrypted copy (with the recipient's name and the passcode), decrypts it here with
   the link's key (JWE: "dir", A256GCM, by the browser's Web Crypto), and writes what the
   FHIR Bundle holds. Every word comes from the page (data-words, translated by Carnet);
   every value is written as text, never as markup. */
(function () {
  "use strict";

  var root = document.getElementById("shl-viewer");
  if (!root) return;
  var words = JSON.parse(root.getAttribute("data-words"));
  var locale = root.getAttribute("data-locale");
  var timeZone = root.getAttribute("data-time-zone");
  var status = document.getElementById("shl-status");
  var form = document.getElementById("shl-form");
  var error = document.getElementById("shl-error");
  var REPORTS_SHOWN = 20;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, name) { return values[name]; });
  }

  function say(message) { status.textContent = message || ""; }

  function fault(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function bytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function readLink() {
    var hash = decodeURIComponent(location.hash.slice(1));
    var at = hash.indexOf("shlink:/");
    if (at < 0) return null;
    try {
      var link = JSON.parse(new TextDecoder().decode(bytes(hash.slice(at + 8))));
      if (typeof link.url !== "string" || typeof link.key !== "string") return null;
      if (bytes(link.key).length !== 32) return null;
      return link;
    } catch (_e) {
      return null;
    }
  }

  var dateTime = new Intl.DateTimeFormat(locale, {dateStyle: "long", timeStyle: "short",
                                                  timeZone: timeZone});
  var dateOnly = new Intl.DateTimeFormat(locale, {dateStyle: "long", timeZone: "UTC"});

  function when(instant) { return instant ? dateTime.format(new Date(instant)) : ""; }
  function day(value) { return value ? dateOnly.format(new Date(value + "T00:00:00Z")) : ""; }

  async function decrypt(jwe, key) {
    var parts = jwe.split(".");
    if (parts.length !== 5) throw new Error("not a compact JWE");
    var header = JSON.parse(new TextDecoder().decode(bytes(parts[0])));
    if (header.alg !== "dir" || header.enc !== "A256GCM") throw new Error("unknown JWE");
    var cryptoKey = await crypto.subtle.importKey("raw", bytes(key), "AES-GCM", false,
                                                  ["decrypt"]);
    var sealed = new Uint8Array([].concat(Array.from(bytes(parts[3])),
                                          Array.from(bytes(parts[4]))));
    var plain = await crypto.subtle.decrypt(
      {name: "AES-GCM", iv: bytes(parts[2]), additionalData: new TextEncoder().encode(parts[0]),
       tagLength: 128}, cryptoKey, sealed);
    if (header.zip === "DEF") {
      var stream = new Blob([plain]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      plain = await new Response(stream).arrayBuffer();
    }
    return JSON.parse(new TextDecoder().decode(plain));
  }

  // Writing the Bundle -----------------------------------------------------------------

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    return node;
  }

  function item(list, lines, attributes) {
    var li = element("li", "", {"class": "card stack"});
    lines.forEach(function (line, index) {
      if (!line) return;
      var p = element("p", line, index === 0 ? attributes || {dir: "auto"} : {dir: "auto"});
      if (index > 0) p.className = "muted";
      li.appendChild(p);
    });
    list.appendChild(li);
  }

  function section(name, lines) {
    var part = document.getElementById("shl-" + name);
    var list = part.querySelector("ul");
    lines.forEach(function (line) { item(list, line.lines, line.attributes); });
    part.hidden = lines.length === 0;
  }

  function person(name) {
    if (!name) return "";
    return [(name.prefix || []).join(" "), (name.given || []).join(" "), name.family]
      .filter(Boolean).join(" ");
  }

  function show(bundle) {
    var byType = {};
    var byUrl = {};
    (bundle.entry || []).forEach(function (entry) {
      var resource = entry.resource;
      (byType[resource.resourceType] = byType[resource.resourceType] || []).push(resource);
      byUrl[entry.fullUrl] = resource;
    });
    var patient = (byType.Patient || [{}])[0];
    document.getElementById("shl-patient-title").textContent = person((patient.name || [])[0]);
    document.getElementById("shl-patient-born").textContent =
      patient.birthDate ? fill(words.born, {date: day(patient.birthDate)}) : "";
    document.getElementById("shl-made").textContent = fill(words.made,
                                                           {date: when(bundle.timestamp)});

    var team = [];
    (byType.CareTeam || []).forEach(function (careTeam) {
      (careTeam.participant || []).forEach(function (participant) {
        var roles = (participant.role || []).map(function (role) {
          return words.professions[role.text] || words.roles[role.text] || "";
        }).filter(Boolean);
        team.push({lines: [(participant.member || {}).display, roles.join(" · ")]});
      });
    });
    section("team", team);

    var plan = [];
    (byType.Condition || []).forEach(function (c) { plan.push({lines: [(c.code || {}).text]}); });
    (byType.Goal || []).forEach(function (g) { plan.push({lines: [(g.description || {}).text]}); });
    (byType.CarePlan || []).forEach(function (carePlan) {
      (carePlan.activity || []).forEach(function (activity) {
        var detail = activity.detail || {};
        var due = (detail.scheduledPeriod || {}).end;
        plan.push({lines: [detail.description,
                           [words.status[detail.status],
                            due ? fill(words.due, {date: day(due)}) : "",
                            ((detail.performer || [])[0] || {}).display]
                             .filter(Boolean).join(" · ")]});
      });
    });
    section("plan", plan);

    section("appointments", (byType.Appointment || []).slice().sort(function (a, b) {
      return a.start < b.start ? 1 : -1;
    }).map(function (appointment) {
      var who = (appointment.participant || []).map(function (p) {
        return (p.actor || {}).display;
      }).filter(Boolean);
      return {lines: [when(appointment.start) + " — " + (appointment.description || ""),
                      [appointment.status === "cancelled" ? words.cancelled : ""]
                        .concat(who).filter(Boolean).join(" · ")]};
    }));

    var questions = {};
    (byType.Questionnaire || []).forEach(function (questionnaire) {
      var key = questionnaire.url + "|" + questionnaire.version;
      questions[key] = {};
      (questionnaire.item || []).forEach(function (q) { questions[key][q.linkId] = q; });
    });
    var units = {};
    (byType.Observation || []).forEach(function (observation) {
      var from = ((observation.derivedFrom || [])[0] || {}).reference;
      units[from + "|" + (observation.code || {}).text] = (observation.valueQuantity || {}).unit;
    });
    var responses = (byType.QuestionnaireResponse || []).slice().sort(function (a, b) {
      return a.authored < b.authored ? 1 : -1;
    });
    var urlOf = {};
    Object.keys(byUrl).forEach(function (url) { urlOf[byUrl[url].id] = url; });
    var reports = responses.slice(0, REPORTS_SHOWN).map(function (response) {
      var asked = questions[response.questionnaire] || {};
      var answers = (response.item || []).map(function (answered) {
        var question = asked[answered.linkId] || {};
        var text = question.text || answered.text || answered.linkId;
        var answer = (answered.answer || [])[0] || {};
        var value;
        if ("valueBoolean" in answer) value = answer.valueBoolean ? words.yes : words.no;
        else if ("valueCoding" in answer) {
          value = answer.valueCoding.code;
          (question.answerOption || []).forEach(function (option) {
            if (option.valueCoding.code === value) value = option.valueCoding.display;
          });
        } else {
          value = String(answer.valueInteger !== undefined ? answer.valueInteger
                         : answer.valueDecimal !== undefined ? answer.valueDecimal
                         : answer.valueString);
          var unit = units[urlOf[response.id] + "|" + text];
          if (unit) value += " " + unit;
        }
        return fill(words.answer, {question: text, answer: value});
      });
      return {lines: [when(response.authored)].concat(answers)};
    });
    if (responses.length > REPORTS_SHOWN) {
      reports.push({lines: [fill(words.older, {count: responses.length - REPORTS_SHOWN})]});
    }
    section("symptoms", reports);

    section("notes", (byType.Communication || []).slice().sort(function (a, b) {
      return a.sent < b.sent ? 1 : -1;
    }).map(function (note) {
      return {lines: [((note.payload || [])[0] || {}).contentString,
                      when(note.sent) + ((note.sender || {}).display
                                         ? " — " + note.sender.display : "")],
              attributes: note.language ? {lang: note.language, dir: "auto"} : null};
    }));

    form.hidden = true;
    document.getElementById("shl-carnet").hidden = false;
  }

  // Asking for the copy --------------------------------------------------------------

  var link = readLink();
  if (!link) {
    say(words.bad_link);
    return;
  }
  if (link.label) {
    var label = document.getElementById("shl-label");
    label.textContent = link.label;
    label.setAttribute("dir", "auto");
    label.hidden = false;
  }
  if (link.exp && link.exp * 1000 < Date.now()) {
    say(words.expired);
    return;
  }
  if (link.exp) say(fill(words.until, {date: when(new Date(link.exp * 1000).toISOString())}));
  var passcode = document.getElementById("shl-passcode");
  var needsPasscode = (link.flag || "").indexOf("P") >= 0;
  document.getElementById("shl-passcode-row").hidden = !needsPasscode;
  form.hidden = false;

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var recipient = document.getElementById("shl-recipient");
    var name = recipient.value.trim();
    if (!name) {
      fault(words.recipient);
      recipient.setAttribute("aria-invalid", "true");
      recipient.focus();
      return;
    }
    recipient.removeAttribute("aria-invalid");
    fault("");
    say(words.busy);
    var body = {recipient: name};
    if (needsPasscode) body.passcode = passcode.value;
    var answer;
    try {
      answer = await fetch(link.url, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body), credentials: "omit",
                                      cache: "no-store"});
    } catch (_e) {
      say("");
      fault(words.network);
      return;
    }
    say("");
    if (answer.status === 401) {
      var left = (await answer.json()).remainingAttempts;
      if (left > 0) {
        fault(fill(words.wrong, {count: left}));
        passcode.setAttribute("aria-invalid", "true");
        passcode.focus();
      } else {
        form.hidden = true;
        say(words.ended);
      }
      return;
    }
    if (!answer.ok) {
      form.hidden = true;
      say(answer.status === 404 ? words.ended : words.network);
      return;
    }
    try {
      var manifest = await answer.json();
      var file = (manifest.files || []).filter(function (f) {
        return f.contentType === "application/fhir+json" && f.embedded;
      })[0];
      show(await decrypt(file.embedded, link.key));
      document.getElementById("shl-patient-title").focus();
    } catch (_e) {
      fault(words.broken);
    }
  });
})();
