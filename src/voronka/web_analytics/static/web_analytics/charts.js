// Draw every <canvas data-chart="id"> from the JSON in <script id="id">, with Chart.js.
(function () {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var config = JSON.parse(source.textContent);
    if (config.kind === "funnel") {
      // Centred floating bars: the tooltip shows the count, not the bar's ends.
      var counts = config.data.datasets[0].counts;
      config.options.plugins.tooltip = {
        callbacks: { label: function (context) { return " " + counts[context.dataIndex]; } },
      };
    }
    config.options = Object.assign({ responsive: true, animation: false }, config.options);
    canvas.chart = new Chart(canvas, config);
  });
})();
