// Show every <time datetime> in the viewer's own time zone; the server renders
// its default zone and the title attribute keeps UTC for hover.
(function () {
  "use strict";
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  function localise(root) {
    var nodes = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        nodes[i].textContent = fmt.format(when);
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  // Fragments swapped in later by htmx get the same treatment.
  document.addEventListener("htmx:afterSwap", function (event) { localise(event.target); });
})();
