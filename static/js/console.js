// The commander console's enhancements. Every page works without this file:
// it adds the declare dialog, the audience tabs of the update composer, the
// live cadence countdowns and local times in fragments swapped in by htmx.
// No inline script, no eval: our CSP allows scripts from our origin only.
(function () {
  "use strict";

  // --- Modal dialogs (<dialog> filled by htmx) -------------------------------------
  // The opener's hx-get loads a form fragment into the dialog; once it is in,
  // the dialog opens modally (the browser makes the rest of the page inert and
  // Esc closes it); on close, focus returns to the opener.
  var opener = null;

  function firstField(root) {
    return root.querySelector("[aria-invalid='true'], input:not([type='hidden']), select, textarea, button");
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest && event.target.closest("[data-opens-dialog]");
    if (trigger) { opener = trigger; }
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { dialog.close(); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.target.closest && event.target.closest("dialog");
    if (!dialog) { return; }
    if (!dialog.open) { dialog.showModal(); }
    var field = firstField(dialog.querySelector("form") || dialog);
    if (field) { field.focus(); }
  });

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!dialog || dialog.tagName !== "DIALOG") { return; }
    var body = dialog.querySelector("[id$='-dialog-body']");
    if (body) { body.textContent = ""; }
    if (opener && document.body.contains(opener)) { opener.focus(); }
    opener = null;
  }, true);

  // --- Accessible tabs (WAI-ARIA tabs pattern, manual activation on arrows) -----------
  function setUpTabs(root) {
    var list = root.querySelector("[role='tablist']");
    if (!list || list.dataset.ready) { return; }
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role='tab']"));
    var panels = tabs.map(function (tab) { return document.getElementById(tab.getAttribute("aria-controls")); });
    list.dataset.ready = "1";
    list.hidden = false;
    panels.forEach(function (panel, i) {
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tabs[i].id);
      panel.setAttribute("tabindex", "-1");
    });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var chosen = i === index;
        tab.setAttribute("aria-selected", chosen ? "true" : "false");
        tab.tabIndex = chosen ? 0 : -1;
        panels[i].hidden = !chosen;
      });
      if (focus) { tabs[index].focus(); }
    }

    // Open the first panel with an error, else the first one.
    var start = 0;
    panels.forEach(function (panel, i) {
      if (!start && panel.querySelector("[aria-invalid='true']")) { start = i; }
    });
    select(start, false);

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, true); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") { next = (i + 1) % tabs.length; }
        else if (event.key === "ArrowLeft") { next = (i - 1 + tabs.length) % tabs.length; }
        else if (event.key === "Home") { next = 0; }
        else if (event.key === "End") { next = tabs.length - 1; }
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
  }

  // --- Cadence countdowns -----------------------------------------------------------------
  // The server renders the due time, the state and data-amber (seconds before
  // the deadline at which it turns amber); this ticks the text every second
  // and announces a change of state (not every tick) in #cadence-announce.
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function duration(seconds) {
    var s = Math.floor(Math.abs(seconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }

  var LABELS = { ok: "on track", amber: "due soon", red: "overdue" };

  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-due]");
    var announce = document.getElementById("cadence-announce");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var due = Date.parse(node.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = (due - now) / 1000;
      var amber = parseInt(node.getAttribute("data-amber"), 10) || 300;
      var state = left <= 0 ? "red" : (left <= amber ? "amber" : "ok");
      var text = node.querySelector("[data-countdown-text]");
      if (text) { text.textContent = left <= 0 ? "overdue by " + duration(left) : duration(left) + " left"; }
      if (!node.classList.contains(state)) {
        node.classList.remove("ok", "amber", "red");
        node.classList.add(state);
        var label = node.querySelector("[data-countdown-state]");
        if (label) { label.textContent = LABELS[state]; }
        if (announce && node.dataset.seen) {
          announce.textContent = node.getAttribute("data-audience") + " update: " + LABELS[state] + ".";
        }
      }
      node.dataset.seen = "1";
    }
  }

  // --- Local times in out-of-band swaps (localtime.js handles the main swap) ------------
  var timeFormat = null;
  try {
    timeFormat = new Intl.DateTimeFormat(undefined, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) { timeFormat = null; }

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var root = event.detail && event.detail.target ? event.detail.target : event.target;
    if (!timeFormat || !root || !root.querySelectorAll) { return; }
    var nodes = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) { nodes[i].textContent = timeFormat.format(when); }
    }
    tick();
  });

  function start() {
    var tabRoots = document.querySelectorAll("[data-tabs]");
    for (var i = 0; i < tabRoots.length; i++) { setUpTabs(tabRoots[i]); }
    if (document.querySelector("[data-due]") || document.getElementById("cadence-list")) {
      tick();
      window.setInterval(tick, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
