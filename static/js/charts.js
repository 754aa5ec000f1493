// Draw every chart on the page with the self-hosted plotly.js.
// Each <figure data-chart="ID"> holds a <script type="application/json" id="ID">
// with the figure built in Python, and a table with the same data. Once the
// plot is drawn the table is visually hidden but stays for screen readers.
(function () {
  "use strict";

  function draw(figure) {
    if (figure.classList.contains("is-drawn") || typeof window.Plotly === "undefined") {
      return;
    }
    var data = document.getElementById(figure.getAttribute("data-chart"));
    var plot = figure.querySelector(".chart-plot");
    var table = figure.querySelector(".chart-table");
    if (!data || !plot) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(data.textContent);
    } catch (e) {
      return; // the table stays visible
    }
    figure.classList.add("is-drawn");
    window.Plotly.newPlot(plot, spec.data || [], spec.layout || {}, {
      responsive: true,
      displayModeBar: false,
      displaylogo: false
    }).then(function () {
      if (table) {
        // Hidden from sight, the table no longer scrolls: no tab stop on something unseen.
        table.classList.add("visually-hidden");
        table.removeAttribute("tabindex");
      }
    }, function () {
      figure.classList.remove("is-drawn"); // drawing failed: keep the table
    });
  }

  function drawAll(root) {
    var figures = (root || document).querySelectorAll("figure[data-chart]");
    for (var i = 0; i < figures.length; i++) {
      draw(figures[i]);
    }
  }

  window.ICCCharts = { drawAll: drawAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
})();
