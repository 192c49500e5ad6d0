// Live countdowns: every <time data-countdown datetime="ISO"> gets its "due in … / overdue by …"
// text refreshed each half minute. Without JavaScript the page already shows the due instant
// (UK time) and the countdown as it was when the page was made. Time runs from the server's
// "now" when the page was made (data-server-now), so a test clock or a wrong laptop clock does
// not skew the countdowns.
(function () {
  'use strict';
  var server = Date.parse(document.body.getAttribute('data-server-now') || '');
  var offset = isNaN(server) ? 0 : server - Date.now();
  function span(secs) {
    var d = Math.floor(secs / 86400), h = Math.floor(secs % 86400 / 3600), m = Math.floor(secs % 3600 / 60);
    if (d === 0 && h === 0) return m + ' min';
    if (d === 0) return h + ' h ' + m + ' min';
    return d + ' d ' + h + ' h';
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll('[data-countdown]').forEach(function (el) {
      var due = Date.parse(el.getAttribute('data-countdown'));
      if (isNaN(due)) return;
      var secs = Math.round((due - now) / 1000);
      var out = el.querySelector('.hw-countdown');
      if (!out) return;
      out.textContent = secs >= 0 ? 'due in ' + span(secs) : 'overdue by ' + span(-secs);
      out.classList.toggle('hw-countdown--overdue', secs < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
