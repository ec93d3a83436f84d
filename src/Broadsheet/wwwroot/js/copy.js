// Copy buttons: shown only when the clipboard can be written; each copies the field named by data-copy.
(function () {
  'use strict';
  if (!navigator.clipboard) return;
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = 'Copied';
        window.setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
