/* Passkeys (WebAuthn): create one from an invitation or "Me → Security", sign in with one,
   and confirm a sensitive change. The server sends options as JSON and checks everything. */
(function () {
  "use strict";

  var status = document.getElementById("passkey-status");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var conditional = null; // the pending autofill request, aborted when a button is used

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials)
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge), allowCredentials: descriptors(o.allowCredentials)
    });
  }

  /* PublicKeyCredential.toJSON(), written out for browsers that lack it. */
  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var r = credential.response, response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      response: response, clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf ? csrf.content : "" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    });
  }

  function say(message) {
    if (!status) return;
    status.textContent = message;
    status.hidden = !message;
  }

  function failed(error) {
    if (error && error.name === "AbortError") return; // we stopped the autofill ourselves
    if (error && error.name === "NotAllowedError") { // closed, or timed out
      say(status ? status.dataset.cancelled || "" : "");
      return;
    }
    say(error && error.message ? error.message : String(error));
  }

  function follow(data) { if (data.redirect) window.location.assign(data.redirect); }

  function create(button) {
    var name = document.getElementById("passkey-name");
    say("");
    return post(button.dataset.options).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      return post(button.dataset.finish, {
        credential: credentialJSON(credential), name: name ? name.value : ""
      });
    }).then(follow);
  }

  function signIn(button, mediation) {
    say("");
    return post(button.dataset.options).then(function (options) {
      var request = { publicKey: requestOptions(options) };
      if (mediation) {
        conditional = new AbortController();
        request.mediation = mediation;
        request.signal = conditional.signal;
      }
      return navigator.credentials.get(request);
    }).then(function (credential) {
      return post(button.dataset.finish, { credential: credentialJSON(credential) });
    }).then(follow);
  }

  function reverify(form, event) {
    var assertion = form.querySelector('input[name="assertion"]');
    if (!assertion || assertion.value) return; // already confirmed: let the form go
    event.preventDefault();
    post(form.dataset.reverify).then(function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (credential) {
      assertion.value = JSON.stringify(credentialJSON(credential));
      form.submit();
    }).catch(failed);
  }

  if (!window.PublicKeyCredential) {
    say(status ? status.dataset.unsupported || "" : "");
    return;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-passkey]");
    if (!button) return;
    if (conditional) { conditional.abort(); conditional = null; }
    button.disabled = true;
    var run = button.dataset.passkey === "create" ? create : signIn;
    run(button).catch(failed).then(function () { button.disabled = false; });
  });

  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-reverify]")) reverify(event.target, event);
  });

  /* Passkey autofill ("conditional mediation") where the browser offers it. */
  var autofill = document.querySelector('input[autocomplete~="webauthn"]');
  var signInButton = document.querySelector('button[data-passkey="sign-in"]');
  if (autofill && signInButton && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (available) signIn(signInButton, "conditional").catch(failed);
    });
  }
})();
