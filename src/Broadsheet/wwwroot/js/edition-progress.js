// Keeps an edition page's progress figures current: polls the console's progress JSON every two seconds and
// writes its fields, already formatted by the server, into the elements marked data-field. When the edition's
// status changes (paused, finished, started by its schedule) the page reloads, since its buttons change too.
(function () {
  'use strict';
  var box = document.querySelector('[data-progress-url]');
  if (!box || !window.fetch) return;
  var url = box.getAttribute('data-progress-url');
  var shown = box.getAttribute('data-status');

  function show(fields) {
    Object.keys(fields).forEach(function (name) {
      box.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
        if (el.tagName === 'PROGRESS') el.value = Number(fields[name]);
        el.textContent = el.tagName === 'PROGRESS' ? fields[name] + '%' : fields[name];
      });
    });
    var reason = box.querySelector('[data-paused-reason]');
    if (reason) reason.hidden = !fields['paused-reason'];
  }

  function poll() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (progress && progress.status !== shown) { window.location.reload(); return; }
        if (progress) show(progress.fields);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 2000);
})();
