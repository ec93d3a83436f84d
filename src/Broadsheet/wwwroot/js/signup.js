// The sign-up module in place, without a reload. The page works without this file: every state is also
// rendered by the server after a plain form post. The address rule comes from the server (data-*-pattern),
// so the browser and the server accept exactly the same addresses.
(function () {
  "use strict";

  function normalize(section, value) {
    var input = (value || "").trim();
    var max = parseInt(section.dataset.maxLength, 10);
    if (input.length === 0 || input.length > max * 4) return null;
    var at = input.lastIndexOf("@");
    if (at <= 0 || at === input.length - 1) return null;
    var local = input.slice(0, at), domain = input.slice(at + 1);
    if (local.length > 64 || !new RegExp(section.dataset.localPattern).test(local)) return null;
    // The URL parser applies IDNA (punycode, lower case) as the server's IdnMapping does; refuse anything it
    // would read as more than a host name first.
    if (/[\s\/\\?#@:%\[\]<>"^|`{}]/.test(domain) || domain.charAt(domain.length - 1) === ".") return null;
    var ascii;
    try { ascii = new URL("http://" + domain + "/").hostname; } catch (e) { return null; }
    if (!new RegExp(section.dataset.domainPattern).test(ascii)) return null;
    var result = local + "@" + ascii;
    return result.length > max ? null : result;
  }

  function init(section) {
    var form = section.querySelector(".signup-form");
    var input = section.querySelector(".signup-input");
    var button = section.querySelector(".signup-submit");
    var error = section.querySelector("[data-error]");
    var wait = section.querySelector("[data-wait]");
    var live = section.querySelector("[data-live]");
    var more = section.querySelector("[data-more]");
    var busy = false;

    // Shows one panel, says its words in the live region (the form's own panel says nothing) and moves focus to it.
    function show(state) {
      var panelName = state === "invalid" ? "form" : state;
      section.dataset.state = state;
      section.querySelectorAll("[data-panel]").forEach(function (panel) {
        panel.hidden = panel.dataset.panel !== panelName;
      });
      live.textContent = state === "invalid" ? error.dataset.announce
        : panelName === "form" ? "" : section.querySelector('[data-panel="' + panelName + '"]').dataset.announce;
      var target = panelName === "form" ? input : section.querySelector('[data-panel="' + panelName + '"] .signup-title');
      if (target) target.focus();
    }

    function setInvalid(isInvalid) {
      error.hidden = !isInvalid;
      input.setAttribute("aria-invalid", isInvalid ? "true" : "false");
    }

    function setBusy(isBusy) {
      busy = isBusy;
      button.disabled = isBusy;
      wait.hidden = !isBusy;
      if (isBusy) live.textContent = wait.textContent;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      if (normalize(section, input.value) === null) {
        setInvalid(true);
        show("invalid");
        return;
      }
      setInvalid(false);
      setBusy(true);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return body;
        });
      }).then(function (body) {
        setBusy(false);
        if (body.state === "success") {
          if (body.moreUrl && more) more.href = body.moreUrl;
          show("success");
        } else if (body.state === "existing") {
          show("existing");
        } else if (body.state === "invalid") {
          setInvalid(true);
          show("invalid");
        } else {
          show("failure");
        }
      }).catch(function () {
        setBusy(false);
        show("failure");
      });
    });

    input.addEventListener("input", function () {
      if (!error.hidden && normalize(section, input.value) !== null) setInvalid(false);
    });

    section.querySelectorAll("[data-action]").forEach(function (actionButton) {
      actionButton.form.addEventListener("submit", function (event) {
        event.preventDefault();
        // Try again keeps the address typed; Close puts the module back to its form as it was.
        if (actionButton.dataset.action === "close") input.value = "";
        setInvalid(false);
        show("form");
      });
    });
  }

  window.BroadsheetSignup = { normalize: normalize };
  document.querySelectorAll("[data-signup]").forEach(init);
})();
