// Draws the renewal dashboard's charts from the JSON the page embeds (#dashboard-data).
// Without Chart.js (npm missing at install) the page keeps its tables and says so.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var canvases = document.querySelectorAll("canvas[id^='chart-']");
    if (typeof window.Chart === "undefined") {
      canvases.forEach(function (canvas) {
        var note = document.createElement("p");
        note.className = "chart-missing";
        note.textContent = "Chart unavailable (Chart.js is not installed); the table has the numbers.";
        canvas.replaceWith(note);
      });
      return;
    }
    var style = getComputedStyle(document.documentElement);
    var text = style.getPropertyValue("--w-color-text-context").trim() || "#333";
    Chart.defaults.color = text;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;
    var percent = { beginAtZero: true, suggestedMax: 100, title: { display: true, text: "%" } };

    // A category axis names every bar: skipping every other label (Chart.js's default when
    // they crowd) leaves bars beside the wrong names.
    var everyLabel = { ticks: { autoSkip: false } };
    var ROW_PX = 28, AXES_PX = 72, MIN_PX = 288;

    // A horizontal bar chart grows with its rows (the 18rem box holds about eight), so each
    // row keeps room for its label. Chart.js sizes the canvas to this box.
    function fitRows(canvas, rows) {
      var height = Math.max(MIN_PX, rows * ROW_PX + AXES_PX);
      canvas.parentNode.style.height = height + "px";
      canvas.parentNode.dataset.rows = String(rows);
    }

    function intervalTooltip(low, high) {
      return {
        callbacks: {
          afterLabel: function (item) {
            var lo = low[item.dataIndex], hi = high[item.dataIndex];
            return lo === null || hi === null ? "" : "95 % interval " + lo + " – " + hi;
          },
        },
      };
    }

    // A chart with nothing to draw says so instead (the table below says it too).
    function canvasWithData(id, labels) {
      var canvas = document.getElementById(id);
      if (!canvas) return null;
      if (!labels.length) {
        var note = document.createElement("p");
        note.className = "chart-missing";
        note.dataset.empty = id;
        note.textContent = "Nothing to chart in this period.";
        canvas.replaceWith(note);
        return null;
      }
      return canvas;
    }

    function rateChart(id, kind, series) {
      var canvas = canvasWithData(id, series.labels);
      if (!canvas) return;
      var interval = kind === "line"
        ? [
            // A shaded band between the interval's bounds.
            { label: "95 % low", data: series.low, borderWidth: 0, pointRadius: 0, fill: false, spanGaps: true },
            { label: "95 % interval", data: series.high, borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(0,125,126,0.15)", spanGaps: true },
          ]
        : [
            { label: "95 % interval", data: series.low.map(function (lo, i) {
                return lo === null ? null : [lo, series.high[i]];
              }), backgroundColor: "rgba(46,31,94,0.35)", grouped: false, barPercentage: 0.15 },
          ];
      new Chart(canvas, {
        type: kind,
        data: {
          labels: series.labels,
          datasets: [
            { label: "Renewal rate %", data: series.rate, borderColor: "#007d7e", backgroundColor: "rgba(0,125,126,0.6)", spanGaps: true },
          ].concat(interval),
        },
        options: {
          // Every plan and visit band named; months may skip (the line reads in order).
          scales: kind === "bar" ? { x: everyLabel, y: percent } : { y: percent },
          plugins: {
            tooltip: intervalTooltip(series.low, series.high),
            legend: { labels: { filter: function (item) { return item.text !== "95 % low"; } } },
          },
        },
      });
    }

    rateChart("chart-renewal_by_month", "line", data.renewal_by_month);
    rateChart("chart-renewal_by_plan", "bar", data.renewal_by_plan);
    rateChart("chart-renewal_by_visits", "bar", data.renewal_by_visits);

    var funnel = canvasWithData("chart-funnel", data.funnel.values[0] ? data.funnel.labels : []);
    if (funnel) {
      fitRows(funnel, data.funnel.labels.length);
      new Chart(funnel, {
        type: "bar",
        data: { labels: data.funnel.labels, datasets: [{ label: "People", data: data.funnel.values, backgroundColor: "rgba(46,31,94,0.7)" }] },
        options: { indexAxis: "y", scales: { x: { beginAtZero: true }, y: everyLabel } },
      });
    }

    var u = data.uplift;
    var uplift = canvasWithData("chart-uplift", u.labels);
    if (uplift) {
      fitRows(uplift, u.labels.length);
      new Chart(uplift, {
        type: "bar",
        data: {
          labels: u.labels,
          datasets: [
            { label: "95 % interval (points)", data: u.low.map(function (lo, i) {
                return lo === null ? null : [lo, u.high[i]];
              }), backgroundColor: "rgba(0,125,126,0.25)", borderColor: "#007d7e", borderWidth: 1 },
            { label: "Uplift (points)", type: "line", data: u.difference, showLine: false, pointRadius: 6, pointStyle: "rectRot", borderColor: "#2e1f5e", backgroundColor: "#2e1f5e" },
          ],
        },
        options: { indexAxis: "y", scales: { x: { title: { display: true, text: "percentage points" } }, y: everyLabel } },
      });
    }
    document.documentElement.dataset.chartsDrawn = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
