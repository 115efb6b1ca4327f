// Flotilla dashboard: the only script besides htmx. Shows <time> values in the reader's own time zone
// (the ISO-8601 UTC value stays in the datetime attribute and the tooltip), also after htmx swaps.
(function () {
  "use strict";
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d.getTime()) && !t.dataset.local) {
        t.title = t.getAttribute("datetime");
        t.textContent = d.toLocaleString() + (t.textContent.indexOf("(received)") >= 0 ? " (received)" : "");
        t.dataset.local = "1";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:afterSettle", function (e) { localTimes(e.target); });
})();
