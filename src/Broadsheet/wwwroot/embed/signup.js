// Embed the Broadsheet sign-up module on another site:
//   <script src="https://YOUR-BROADSHEET/embed/signup.js" data-newsletter="morning-briefing" async></script>
// It puts an iframe where the script tag stands and keeps it as tall as the module.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src);
  var frame = document.createElement("iframe");
  var newsletter = script.getAttribute("data-newsletter") || "";
  frame.src = base.origin + "/embed/signup" + (newsletter ? "?newsletter=" + encodeURIComponent(newsletter) : "");
  frame.title = script.getAttribute("data-title") || "Newsletter sign-up";
  frame.style.cssText = "width:100%;border:0;height:220px;overflow:hidden";
  frame.setAttribute("loading", "lazy");
  script.parentNode.insertBefore(frame, script);
  window.addEventListener("message", function (event) {
    if (event.origin !== base.origin || event.source !== frame.contentWindow) return;
    var height = event.data && event.data.broadsheetSignupHeight;
    if (typeof height === "number" && height > 0 && height < 5000) frame.style.height = height + "px";
  });
})();
