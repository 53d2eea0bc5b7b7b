// Choropleth of an indicator's value per commune (Apache ECharts + the boundaries loaded by code).
(function () {
  var element = document.getElementById("unit-map");
  var source = document.getElementById("unit-chart-data");
  if (!element || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "vi";
  var format = function (v) {
    if (v === null || v === undefined || isNaN(v)) return "—";
    var text = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 }).format(v);
    return data.measure === "%" ? text + "%" : text;
  };
  fetch(data.mapUrl).then(function (r) { return r.json(); }).then(function (geo) {
    echarts.registerMap("units", geo);
    var values = Object.keys(data.values).map(function (code) { return { name: code, value: data.values[code] }; });
    var numbers = values.map(function (v) { return v.value; });
    var top = data.measure === "%" ? 100 : Math.max.apply(null, numbers.concat([data.target || 1]));
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: function (p) { return (data.names[p.name] || p.name) + ": " + format(p.value); } },
      visualMap: {
        min: 0, max: top, calculable: true, left: "left", bottom: 10, text: [format(top), format(0)],
        inRange: { color: data.higher ? ["#d7301f", "#fdcc8a", "#1a9850"] : ["#1a9850", "#fdcc8a", "#d7301f"] },
      },
      series: [{ type: "map", map: "units", roam: true, data: values, nameProperty: "name",
                 itemStyle: { areaColor: "#eee", borderColor: "#999" }, emphasis: { label: { show: false } } }],
    });
    if (data.unitUrl) chart.on("click", function (p) { window.location.href = data.unitUrl.replace("CODE", p.name); });
    element.dataset.ready = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
