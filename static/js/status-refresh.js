// Keep a status page current: every 30 s, re-fetch its content fragment with
// If-None-Match and swap it in only when the server says it changed (200);
// a 304 costs one cheap query on the server and nothing here. No inline
// script anywhere, so a revalidated page keeps working under the CSP.
(function () {
  "use strict";
  var INTERVAL_MS = 30000;

  function start() {
    var box = document.querySelector("[data-refresh-url]");
    if (!box || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-refresh-url");
    var etag = box.getAttribute("data-etag") || "";
    var note = document.getElementById("status-refreshed");
    var timer = null;

    function stamp() {
      if (note) {
        note.textContent = "Read-only. Checked for changes at " +
          new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }) +
          "; refreshes every 30 seconds.";
      }
    }

    function swap(html, newTag) {
      box.innerHTML = html;
      etag = newTag || "";
      if (window.ICCCharts) {
        window.ICCCharts.drawAll(box);
      }
      // static/js/localtime.js localises <time> elements of swapped fragments on this event.
      box.dispatchEvent(new CustomEvent("htmx:afterSwap", { bubbles: true }));
    }

    function tick() {
      if (document.hidden) {
        schedule();
        return;
      }
      var headers = { "X-Requested-With": "fetch" };
      if (etag) {
        headers["If-None-Match"] = etag;
      }
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 304) {
            stamp();
            return null;
          }
          // Only a real fragment is swapped in: a redirect to the login page is not.
          if (!response.ok || response.headers.get("X-Status-Fragment") !== "1") {
            return null;
          }
          var newTag = response.headers.get("ETag");
          return response.text().then(function (html) {
            swap(html, newTag);
            stamp();
          });
        })
        .catch(function () { /* offline: try again next time */ })
        .then(schedule);
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(tick, INTERVAL_MS);
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        tick();
      }
    });
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
