// The parts of Apache ECharts the dashboard draws (bars and a line on two axes, SVG), bundled by
// vendor_frontend in scripts/common.sh into static/vendor/echarts/echarts.ledger.min.js.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);
window.echarts = echarts;
