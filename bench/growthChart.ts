/**
 * Draws cost curves as one standalone SVG of small multiples: a panel per
 * metric, size on a log x axis, the metric on a log y axis, with a dashed
 * line of linear growth (from the smallest size's value) (a curve at or under it grows
 * no worse than linear) and the target where there is one.
 *
 * Rendered in Node by Apache ECharts' server-side SVG renderer (no DOM, no
 * browser, no native code). Recharts 3, used by the console, renders only an
 * empty wrapper through react-dom/server (recharts/recharts#5997): its
 * series register through effects that never run on a server.
 */
import * as echarts from 'echarts';
import { count } from './lib';

export interface Panel {
  title: string;
  unit: string;
  series: { name: string; values: number[] }[];
  /** A horizontal line the first series should stay under. */
  target?: { label: string; value: number };
}

export interface Chart {
  /** The x values (runs at each size), rising. */
  sizes: number[];
  /** Jobs at each size, for the axis labels. */
  jobs: number[];
  panels: Panel[];
  subtitle: string;
}

const COLUMNS = 3;
const PANEL_W = 400;
const PANEL_H = 300;
const TOP = 84;
const COLORS = ['#1f6fb2', '#c2410c', '#15803d'];

/** Decade ticks: 0.1, 1, 10, 100, 1k, 10k. */
const tick = (v: number): string => (v >= 1000 ? `${v / 1000}k` : String(Number(v.toPrecision(2))));
const short = (v: number): string => (v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

export function growthChartSvg(c: Chart): string {
  const rows = Math.ceil(c.panels.length / COLUMNS);
  const width = COLUMNS * PANEL_W;
  const height = TOP + rows * PANEL_H;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const [min, max] = [c.sizes[0]!, c.sizes[c.sizes.length - 1]!];
  const jobsAt = new Map(c.sizes.map((s, i) => [s, c.jobs[i]!]));
  const title: object[] = [
    { text: 'Jobdeck cost curves', left: 16, top: 8, textStyle: { fontSize: 16 } },
    { text: c.subtitle, left: 16, top: 32, textStyle: { fontSize: 12, fontWeight: 'normal', color: '#555' } },
  ];
  const grid: object[] = [];
  const xAxis: object[] = [];
  const yAxis: object[] = [];
  const series: object[] = [];
  c.panels.forEach((p, i) => {
    const [col, row] = [i % COLUMNS, Math.floor(i / COLUMNS)];
    const [left, top] = [col * PANEL_W, TOP + row * PANEL_H];
    title.push({ text: `${p.title} (${p.unit})`, left: left + 16, top: top + 4, textStyle: { fontSize: 13 } });
    // Room on the left for the y labels, below for two-line size labels.
    grid.push({ left: left + 62, top: top + 36, width: PANEL_W - 90, height: PANEL_H - 100 });
    xAxis.push({
      type: 'log',
      gridIndex: i,
      min,
      max,
      axisLabel: { formatter: (v: number) => `${count(v)} runs\n${count(jobsAt.get(v) ?? v / 10)} jobs`, fontSize: 11, lineHeight: 14 },
      splitLine: { show: true, lineStyle: { color: '#eee' } },
    });
    const all = [...p.series.flatMap((s) => s.values), ...(p.target ? [p.target.value] : [])].filter((v) => v > 0);
    yAxis.push({
      type: 'log',
      gridIndex: i,
      // Whole decades around the data (and the linear line), so the slopes read alike in every panel.
      min: 10 ** Math.floor(Math.log10(Math.min(...all))),
      max: 10 ** Math.ceil(Math.log10(Math.max(...all, (p.series[0]?.values[0] ?? 1) * (max / min)))),
      axisLabel: { formatter: tick, fontSize: 11 },
      splitLine: { lineStyle: { color: '#eee' } },
    });
    p.series.forEach((s, k) => {
      series.push({
        name: s.name,
        type: 'line',
        xAxisIndex: i,
        yAxisIndex: i,
        data: c.sizes.map((x, j) => [x, s.values[j]]),
        color: COLORS[k % COLORS.length],
        symbolSize: 7,
        label: { show: true, formatter: (d: { value: number[] }) => short(d.value[1]!), fontSize: 11, position: k === p.series.length - 1 ? 'top' : 'bottom' },
      });
    });
    const first = p.series[0]?.values[0];
    if (first && first > 0) {
      series.push({
        name: 'linear growth',
        type: 'line',
        xAxisIndex: i,
        yAxisIndex: i,
        data: c.sizes.map((x) => [x, (first * x) / min]),
        color: '#888',
        symbol: 'none',
        lineStyle: { type: 'dashed', width: 1 },
      });
    }
    if (p.target) {
      series.push({
        name: 'target',
        type: 'line',
        xAxisIndex: i,
        yAxisIndex: i,
        data: [
          [min, p.target.value],
          [max, p.target.value],
        ],
        color: '#b91c1c',
        symbol: 'none',
        lineStyle: { type: 'dotted', width: 1.5 },
        endLabel: { show: true, formatter: p.target.label, fontSize: 10, color: '#b91c1c', position: 'insideEndTop' },
      });
    }
  });
  chart.setOption({
    animation: false,
    backgroundColor: '#fff',
    textStyle: { fontFamily: 'DejaVu Sans, Arial, sans-serif' },
    title,
    legend: { top: 52, left: 10, itemGap: 28, data: [...new Set(series.map((s) => (s as { name: string }).name))], textStyle: { fontSize: 11 } },
    grid,
    xAxis,
    yAxis,
    series,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;
}
