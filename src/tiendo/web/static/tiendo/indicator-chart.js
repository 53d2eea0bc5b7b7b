// Draws an indicator's history with its target line (Apache ECharts, installed from npm).
(function () {
  var element = document.getElementById("indicator-chart");
  var source = document.getElementById("chart-data");
  if (!element || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "vi";
  var format = function (v) {
    if (v === null || v === undefined) return "—";
    var text = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 }).format(v);
    return data.measure === "%" ? text + "%" : text;
  };
  var series = {
    type: "line", name: lang === "vi" ? "Kết quả" : "Result", data: data.values, connectNulls: true,
    symbolSize: 9,
    // a label per point while they fit (about 48 px each); the tooltip tells the rest
    label: { show: data.values.length * 48 <= element.clientWidth, formatter: function (p) { return format(p.value); } },
  };
  if (data.target !== null) {
    series.markLine = {
      symbol: "none", lineStyle: { type: "dashed", color: "#dc3545" },
      label: { formatter: (lang === "vi" ? "Mục tiêu " : "Target ") + data.targetLabel, position: "insideEndTop" },
      data: [{ yAxis: data.target }],
    };
  }
  var chart = echarts.init(element, null, { renderer: "svg" });
  var top = Math.max.apply(null, data.values.filter(function (v) { return v !== null; }).concat([data.target || 0]));
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 24, top: 32, bottom: 32 },
    tooltip: { trigger: "axis", valueFormatter: format },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", min: 0, max: data.measure === "%" ? Math.max(100, Math.ceil(top)) : null,
             axisLabel: { formatter: format } },
    series: [series],
  });
  element.dataset.ready = "true";
  window.addEventListener("resize", function () { chart.resize(); });
})();
