// Enhancements only: every page reads and every form posts without this script.
// - search as you type (the server folds spellings and word order; this only asks it);
// - the date control redraws the page when a date is entered;
// - the recording form shows each row's inputs for the command chosen.
(function () {
  'use strict';

  function searchAsYouType() {
    var q = document.getElementById('q');
    var list = document.getElementById('suggest');
    if (!q || !list) return;
    var timer = null;
    var asked = '';
    function ask() {
      var text = q.value.trim();
      if (text === asked) return;
      asked = text;
      if (text === '') { list.innerHTML = ''; return; }
      // A redirect means the session ended: leave the list alone rather than show the
      // sign-in page inside it.
      fetch('/search/suggest?q=' + encodeURIComponent(text), { credentials: 'same-origin', redirect: 'error' })
        .then(function (r) { return r.ok ? r.text() : ''; })
        .then(function (html) { if (q.value.trim() === text) list.innerHTML = html; })
        .catch(function () { /* the search button still works */ });
    }
    q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    // Down arrow from the box goes to the first suggestion; up/down move between them.
    q.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') {
        var first = list.querySelector('a');
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    list.addEventListener('keydown', function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll('a'));
      var i = links.indexOf(document.activeElement);
      if (i < 0) return;
      if (e.key === 'ArrowDown' && i + 1 < links.length) { e.preventDefault(); links[i + 1].focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? links[i - 1] : q).focus(); }
      if (e.key === 'Escape') { q.focus(); }
    });
  }

  function dateControl() {
    document.querySelectorAll('input[data-autosubmit]').forEach(function (input) {
      input.addEventListener('change', function () {
        if (input.value.trim() === '' || input.checkValidity()) input.form.submit();
      });
    });
  }

  function recordForm() {
    document.querySelectorAll('fieldset.row').forEach(function (row) {
      var command = row.querySelector('select[name$=".command"]');
      if (!command) return;
      function show() {
        var chosen = command.value;
        row.querySelectorAll('.field[data-for]').forEach(function (field) {
          var uses = field.getAttribute('data-for');
          if (uses === '') return; // the command select itself
          var used = chosen !== '' && (' ' + uses + ' ').indexOf(' ' + chosen + ' ') >= 0;
          var invalid = field.querySelector('[aria-invalid="true"]');
          field.hidden = !used && !invalid;
        });
      }
      command.addEventListener('change', show);
      show();
    });
  }

  searchAsYouType();
  dateControl();
  recordForm();
})();
