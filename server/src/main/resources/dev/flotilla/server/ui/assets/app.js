// Flotilla dashboard: the only script besides htmx. Shows <time> values in the reader's own time zone (the
// ISO-8601 UTC value stays in the datetime attribute and the tooltip), also after htmx swaps; and keeps an
// element with data-live="URL" current from that server-sent event stream (event "fleet": the element's
// new HTML; event "ended": the session ended, so the page reloads into the sign-in page).
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
  function live(el) {
    var source = new EventSource(el.dataset.live);
    source.addEventListener("fleet", function (e) {
      var next = new DOMParser().parseFromString(e.data, "text/html").getElementById(el.id);
      if (next) {
        el.replaceChildren.apply(el, Array.prototype.slice.call(next.childNodes));
        localTimes(el);
      }
    });
    source.addEventListener("ended", function () {
      source.close();
      window.location.reload();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    document.querySelectorAll("[data-live]").forEach(live);
  });
  document.addEventListener("htmx:afterSettle", function (e) { localTimes(e.target); });
})();
