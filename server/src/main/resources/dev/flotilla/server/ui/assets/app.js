// Flotilla dashboard: the only script besides htmx and uPlot. Shows <time> values in the reader's own time zone
// (the ISO-8601 UTC value stays in the datetime attribute and the tooltip), also after htmx swaps; keeps an
// element with data-live="URL" current from that server-sent event stream (event named by data-live-event,
// "fleet" by default: the element's new HTML, the focus staying on the element of that id, and a change of what
// data-live-announce names told to screen readers; event "ended": the session ended, so the page reloads into
// the sign-in page); draws the rollout chart (uPlot) from the live block's #series data; and moves the focus to
// what an htmx swap brought (a confirmation step, a form's first invalid field or its preview).
(function () {
  "use strict";
  var chart = null;
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
    var id = el.id;
    var source = new EventSource(el.dataset.live);
    source.addEventListener(el.dataset.liveEvent || "fleet", function (e) {
      var now = document.getElementById(id); // an htmx swap may have replaced the element
      var next = new DOMParser().parseFromString(e.data, "text/html").getElementById(id);
      if (now && next) {
        // the reader's place: the element in the block that had the focus gets it back in the new content
        var focused = document.activeElement && now.contains(document.activeElement) ? document.activeElement.id : "";
        var said = announced(now);
        now.replaceChildren.apply(now, Array.prototype.slice.call(next.childNodes));
        announce(now, said);
        var again = focused ? document.getElementById(focused) : null;
        if (again) {
          again.focus({ preventScroll: true });
        }
        localTimes(now);
        if (window.htmx) {
          window.htmx.process(now);
        }
        drawChart();
      }
    });
    source.addEventListener("ended", function () {
      source.close();
      window.location.reload();
    });
  }
  // A live block's data-live-announce names (a selector) the one thing in it a screen reader is told of when
  // it changes (a rollout's state, a device's newest update), through the page's polite #live-announce region.
  function announced(block) {
    var el = block.dataset.liveAnnounce ? block.querySelector(block.dataset.liveAnnounce) : null;
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }
  function announce(block, before) {
    var now = announced(block);
    var region = document.getElementById("live-announce");
    if (now && now !== before && region) {
      region.textContent = (block.dataset.liveAnnounceLabel || "") + now;
    }
  }
  function drawChart() {
    var holder = document.getElementById("chart");
    var data = document.getElementById("series");
    if (!holder || !data || typeof window.uPlot === "undefined") {
      return;
    }
    var series = JSON.parse(data.dataset.series);
    if (chart) {
      chart.setData(series);
      return;
    }
    var ink = window.getComputedStyle(document.body).color;
    var colors = ["#9a6700", "#0b57d0", "#1a7f37", "#cf222e", "#8c959f"];
    var names = ["Pending", "In progress", "Committed", "Failed", "Stopped"];
    var axis = { stroke: ink, grid: { stroke: "rgba(128,128,128,0.25)" }, ticks: { stroke: "rgba(128,128,128,0.4)" } };
    chart = new window.uPlot({
      width: Math.max(280, holder.clientWidth), height: 260,
      // one sample (or none yet) spans no time: show ten minutes around it rather than years
      scales: { x: { time: true, range: function (u, min, max) {
        return min === max ? [min - 300, max + 300] : [min, max];
      } } },
      series: [{}].concat(names.map(function (n, i) { return { label: n, stroke: colors[i], width: 2 }; })),
      axes: [axis, Object.assign({ label: "devices" }, axis)]
    }, series, holder);
    window.addEventListener("resize", function () {
      chart.setSize({ width: Math.max(280, holder.clientWidth), height: 260 });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    document.querySelectorAll("[data-live]").forEach(live);
    drawChart();
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    localTimes(e.target);
    var target = e.target; // after an outerHTML swap: the element that came in
    var confirm = document.getElementById("confirm");
    if (confirm && target.id === "confirm" && confirm.querySelector("h2")) {
      confirm.focus();
    }
    var form = document.getElementById("rollout-form");
    if (form && target.id === "rollout-form") {
      var invalid = form.querySelector("[aria-invalid=true]");
      (invalid || (form.querySelector("#preview h2:not(.visually-hidden)") ? document.getElementById("preview") : form)).focus();
    }
  });
})();
