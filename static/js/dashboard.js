/* The 12-month trend chart on the dashboard (Apache ECharts from npm, vendored in static/vendor). */
(function () {
  "use strict";
  var node = document.getElementById("trend-chart");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.getAttribute("data-trend"));
  var labels = JSON.parse(node.getAttribute("data-labels"));
  var chart = window.echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 36, bottom: 30, containLabel: true },
    xAxis: { type: "category", data: data.map(function (d) { return d.label.slice(2); }) },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: labels.found, type: "bar", data: data.map(function (d) { return d.found; }), itemStyle: { color: "#9aa5b1" } },
      { name: labels.misses, type: "bar", data: data.map(function (d) { return d.misses; }), itemStyle: { color: "#b4141e" } },
      { name: labels.rate, type: "line", yAxisIndex: 1, connectNulls: true,
        data: data.map(function (d) { return d.on_time_rate; }), itemStyle: { color: "#1d4ed8" } }
    ]
  });
  // every bar and point opens the ledger with the findings behind it
  chart.on("click", function (p) {
    var d = data[p.dataIndex];
    var url = [d.found_url, d.missed_url, d.due_url][p.seriesIndex];
    if (url) { window.location.href = url; }
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
