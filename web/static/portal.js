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
  // Phones: each table row becomes a card, every cell labelled with its column's header (the
  // stylesheet does it under 720 px; without this script the tables scroll sideways instead).
  window.addEventListener('DOMContentLoaded', function () {
    var tables = document.querySelectorAll('table.list');
    for (var t = 0; t < tables.length; t++) {
      var table = tables[t];
      if (!table.tHead || !table.tHead.rows[0]) continue;
      var heads = table.tHead.rows[0].cells;
      var labels = [];
      for (var h = 0; h < heads.length; h++) {
        labels.push(
          (heads[h].textContent || '').replace(/[*\s]+$/, '').trim() || heads[h].getAttribute('aria-label') || '',
        );
      }
      var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].cells;
        if (cells.length !== labels.length) {
          rows[r].className += ' full';
          continue;
        }
        for (var c = 0; c < cells.length; c++) cells[c].setAttribute('data-label', labels[c]);
      }
      table.className += ' cards';
    }
  });
  // Focus the error summary or the flash message so screen readers announce it.
  window.addEventListener('DOMContentLoaded', function () {
    var target = document.getElementById('erreurs') || document.querySelector('#rapport');
    if (target && typeof target.focus === 'function') target.focus();
  });
})();
