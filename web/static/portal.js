/* Progressive enhancement only: every page works without it. */
/* global document, window */
(function () {
  'use strict';
  // Forms with data-confirm ask before acting (deactivation, sending a link).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // "Tout sélectionner" in Réception.
  document.addEventListener('change', function (event) {
    var box = event.target;
    var name = box && box.getAttribute && box.getAttribute('data-select-all');
    if (!name) return;
    var boxes = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = box.checked;
  });
  // Focus the error summary or the flash message so screen readers announce it.
  window.addEventListener('DOMContentLoaded', function () {
    var target = document.getElementById('erreurs') || document.querySelector('#rapport');
    if (target && typeof target.focus === 'function') target.focus();
  });
})();
