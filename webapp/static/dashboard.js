// 统计看板: draws the charts with Chart.js (vendored, webapp/static/vendor/chart.js) from the JSON block the
// page carries (the CSP allows scripts from 'self' only). The tables beside the charts hold the same numbers.
(function () {
  "use strict";
  var block = document.getElementById("dashboard-data");
  if (!block || !window.Chart) { return; }
  var data = JSON.parse(block.textContent);
  var text = data.text;
  var BLUE = "#1f5fa8", GREEN = "#2e8b57", RED = "#c0392b", ORANGE = "#d68910", GREY = "#7f8c8d";

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "\"Noto Sans CJK SC\", \"WenQuanYi Micro Hei\", \"Microsoft YaHei\", sans-serif";

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  function bars(label, values, colour) {
    return { label: label, data: values, backgroundColor: colour };
  }

  var whole = { beginAtZero: true, ticks: { precision: 0 } };

  draw("chart-stages", {
    type: "bar",
    data: { labels: data.stages.labels, datasets: [bars(text.open, data.stages.counts, BLUE)] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: whole } }
  });

  draw("chart-townships", {
    type: "bar",
    data: {
      labels: data.townships.labels,
      datasets: [bars(text.received, data.townships.received, BLUE), bars(text.decided, data.townships.decided, GREEN),
                 bars(text.overdue, data.townships.overdue, RED), bars(text.late, data.townships.late, ORANGE)]
    },
    options: { scales: { y: whole } }
  });

  draw("chart-days", {
    type: "bar",
    data: { labels: data.townships.labels, datasets: [bars(text.average_days, data.townships.average_days, GREY)] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
  });

  draw("chart-monthly", {
    type: "bar",
    data: {
      labels: data.monthly.labels,
      datasets: [bars(text.approved, data.monthly.approved, GREEN), bars(text.refused, data.monthly.refused, RED)]
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  });

  draw("chart-register", {
    type: "bar",
    data: {
      labels: data.register.labels,
      datasets: [
        { type: "line", label: text.households, data: data.register.households, borderColor: BLUE,
          backgroundColor: BLUE, yAxisID: "households" },
        { type: "bar", label: text.amount, data: data.register.amount, backgroundColor: "rgba(46, 139, 87, 0.45)",
          yAxisID: "amount" }
      ]
    },
    options: {
      scales: {
        households: { position: "left", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: text.households } },
        amount: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: text.amount } }
      }
    }
  });

  draw("chart-visits", {
    type: "bar",
    data: { labels: data.townships.labels, datasets: [bars(text.visit_rate, data.townships.visit_rate, BLUE)] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } }
  });
}());
