// Inside the embedded iframe: tell the host page how tall the module is, whenever that changes.
(function () {
  "use strict";
  if (window.parent === window) return;
  function report() {
    window.parent.postMessage({ broadsheetSignupHeight: document.documentElement.scrollHeight }, "*");
  }
  new ResizeObserver(report).observe(document.body);
  report();
})();
