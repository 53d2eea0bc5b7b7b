// A device's series over the last 24 hours (Apache ECharts, from npm): one line per metric.
(function () {
  "use strict";
  var element = document.getElementById("device-chart");
  var source = document.getElementById("device-chart-data");
  if (!element || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 24, top: 40, bottom: 32 },
    legend: { top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time", min: data.since, max: data.until },
    yAxis: { type: "value", scale: true },
    series: data.series.map(function (s) {
      return { type: "line", name: s.name + (s.unit_code ? " (" + s.unit_code + ")" : ""), data: s.points, showSymbol: s.points.length < 60 };
    }),
  });
  element.dataset.ready = "true";
  window.addEventListener("resize", function () { chart.resize(); });
})();
