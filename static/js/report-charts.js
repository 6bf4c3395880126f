/* Report charts: draws each <canvas data-chart="JSON"> from its JSON (written by the server
   from the table beside it), with Chart.js from static/vendor.
   Each series gets its own fill pattern as well as its own colour, so the chart reads without
   colour; a click on a bar opens the records behind that number. */
(function () {
  "use strict";

  var COLOURS = ["#1f5fa8", "#c2410c", "#4b5563", "#047857", "#7c3aed", "#a16207"];
  var PATTERNS = ["solid", "stripes", "dots", "cross", "backslash", "grid"];

  function fill(index) {
    var colour = COLOURS[index % COLOURS.length];
    var kind = PATTERNS[index % PATTERNS.length];
    if (kind === "solid") return colour;
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    if (kind === "stripes") { ctx.moveTo(0, 8); ctx.lineTo(8, 0); }
    if (kind === "backslash") { ctx.moveTo(0, 0); ctx.lineTo(8, 8); }
    if (kind === "cross") { ctx.moveTo(0, 8); ctx.lineTo(8, 0); ctx.moveTo(0, 0); ctx.lineTo(8, 8); }
    if (kind === "grid") { ctx.moveTo(4, 0); ctx.lineTo(4, 8); ctx.moveTo(0, 4); ctx.lineTo(8, 4); }
    ctx.stroke();
    if (kind === "dots") { ctx.beginPath(); ctx.arc(4, 4, 2, 0, 2 * Math.PI); ctx.fill(); }
    return ctx.createPattern(tile, "repeat");
  }

  function draw(canvas) {
    if (canvas.dataset.chartReady) return;
    var spec = JSON.parse(canvas.dataset.chart);
    var datasets = spec.datasets.map(function (series, index) {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: fill(index),
        borderColor: COLOURS[index % COLOURS.length],
        borderWidth: 1
      };
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: spec.stacked, beginAtZero: true },
          y: { stacked: spec.stacked, beginAtZero: true }
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          var hit = elements[0];
          var link = spec.datasets[hit.datasetIndex].links[hit.index];
          if (link) window.location.assign(link);
        },
        onHover: function (event, elements) {
          var hit = elements[0];
          var link = hit && spec.datasets[hit.datasetIndex].links[hit.index];
          event.native.target.style.cursor = link ? "pointer" : "default";
        }
      }
    });
    canvas.dataset.chartReady = "true";
  }

  function drawAll() {
    if (typeof Chart === "undefined") return;
    // Charts whose canvas an htmx swap removed are let go first.
    Object.values(Chart.instances || {}).forEach(function (chart) {
      if (!document.contains(chart.canvas)) chart.destroy();
    });
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  // htmx:load fires for content htmx swaps in: the new report body brings new canvases.
  document.addEventListener("htmx:load", drawAll);
  window.addEventListener("beforeprint", function () {
    Object.values(Chart.instances || {}).forEach(function (chart) { chart.resize(); });
  });
})();
