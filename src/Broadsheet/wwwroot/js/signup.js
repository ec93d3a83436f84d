// The sign-up module in place, without a reload. The page works without this file: every state is also
// rendered by the server after a plain form post. The address rule comes from the server (data-*-pattern),
// so the browser and the server accept exactly the same addresses.
(function () {
  "use strict";

  // Follows EmailAddressRule.TryNormalize step by step (see the reasons there); the browser parity test runs the
  // same table through both.
  function normalize(section, value) {
    // The server's trim set: trim() alone would keep U+0085; controls, separators, unassigned and
    // default-ignorable code points (the same list as the server's) are refused anywhere.
    var space = "[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]+";
    var input = (value || "").replace(new RegExp("^" + space + "|" + space + "$", "g"), "");
    var max = parseInt(section.dataset.maxLength, 10);
    var invisible = /[\p{C}\p{Z}\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E0FFF}]/u;
    if (input.length === 0 || input.length > max * 4 || invisible.test(input)) return null;
    var at = input.lastIndexOf("@");
    if (at <= 0 || at === input.length - 1) return null;
    var local = input.slice(0, at), domain = input.slice(at + 1);
    if (local.length > 64 || !new RegExp(section.dataset.localPattern).test(local)) return null;
    // The URL parser applies IDNA (punycode, lower case) as the server's IdnMapping does; refuse anything it
    // would read as more than a host name first.
    if (/\p{S}/u.test(domain) || /[\/\\?#@:%\[\]<>"]/.test(domain) || domain.charAt(domain.length - 1) === ".") return null;
    var ascii;
    // Lower-cased one code point at a time (no final-sigma rule), İ left to IDNA, as the server does.
    var lower = Array.from(domain).map(function (ch) { return ch === "\u0130" ? ch : ch.toLowerCase(); }).join("");
    try { ascii = new URL("http://" + lower + "/").hostname; } catch (e) { return null; }
    var unicode = toUnicode(ascii);
    if (unicode === null || !new RegExp(section.dataset.domainPattern).test(ascii) || hasMisplacedHyphen(ascii) ||
      hasMisplacedHyphen(unicode) || /\p{S}/u.test(unicode) || !passesBidiRule(unicode)) return null;
    var result = local + "@" + ascii;
    return result.length > max ? null : result;

    function hasMisplacedHyphen(host) {
      return host.split(".").some(function (label) {
        return label.charAt(0) === "-" || label.charAt(label.length - 1) === "-" || (label.slice(2, 4) === "--" && label.slice(0, 4) !== "xn--");
      });
    }

    // The parser leaves ASCII host names undecoded, where the server validates "xn--" labels: decode them and
    // ask the parser to encode them back to the same label.
    function toUnicode(host) {
      var punycode = false;
      var labels = host.split(".").map(function (label) {
        if (label.slice(0, 4) !== "xn--") return label;
        punycode = true;
        return decodePunycode(label.slice(4));
      });
      if (labels.indexOf(null) >= 0) return null;
      var decoded = labels.join(".");
      if (!punycode) return decoded;
      try { return new URL("http://" + decoded + "/").hostname === host ? decoded : null; } catch (e) { return null; }
    }

    // RFC 3492 section 6.2.
    function decodePunycode(text) {
      var n = 128, i = 0, bias = 72, output = [], basic = text.lastIndexOf("-");
      for (var j = 0; j < basic; j++) output.push(text.charCodeAt(j));
      for (var k = basic > 0 ? basic + 1 : 0; k < text.length;) {
        var oldi = i, w = 1;
        for (var step = 36; ; step += 36) {
          if (k >= text.length) return null;
          var c = text.charCodeAt(k++);
          var digit = c >= 48 && c <= 57 ? c - 22 : c >= 97 && c <= 122 ? c - 97 : -1;
          if (digit < 0) return null;
          i += digit * w;
          var t = step <= bias ? 1 : step >= bias + 26 ? 26 : step - bias;
          if (digit < t) break;
          w *= 36 - t;
          if (i > 0x10FFFF * 64) return null;
        }
        var size = output.length + 1, delta = oldi === 0 ? Math.floor((i - oldi) / 700) : (i - oldi) >> 1;
        delta += Math.floor(delta / size);
        for (bias = 0; delta > 455; bias += 36) delta = Math.floor(delta / 35);
        bias += Math.floor(36 * delta / (delta + 38));
        n += Math.floor(i / size);
        i %= size;
        if (n > 0x10FFFF) return null;
        output.splice(i++, 0, n);
      }
      try { return String.fromCodePoint.apply(null, output); } catch (e) { return null; }
    }

    function passesBidiRule(host) {
      function rtl(cp) {
        return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF) ||
          (cp >= 0x10800 && cp <= 0x10FFF) || (cp >= 0x1E800 && cp <= 0x1EFFF);
      }
      function codePoints(s) { return Array.from(s).map(function (ch) { return ch.codePointAt(0); }); }
      if (!codePoints(host).some(rtl)) return true;
      return host.split(".").every(function (label) {
        var cps = codePoints(label);
        if (!cps.some(rtl)) return /^[a-z][a-z0-9-]*$/.test(label);
        var letterOrDigit = false, european = false, arabic = false;
        for (var i = 0; i < cps.length; i++) {
          var cp = cps[i], ch = String.fromCodePoint(cp);
          var letter = rtl(cp) && /\p{L}/u.test(ch), mark = rtl(cp) && /\p{M}/u.test(ch);
          var en = (cp >= 48 && cp <= 57) || (cp >= 0x06F0 && cp <= 0x06F9), an = cp >= 0x0660 && cp <= 0x0669;
          european = european || en;
          arabic = arabic || an;
          if (i === 0 && !letter) return false;
          if (!letter && !mark && !en && !an && cp !== 45) return false;
          if (!mark) letterOrDigit = letter || en || an;
        }
        return letterOrDigit && !(european && arabic);
      });
    }
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
