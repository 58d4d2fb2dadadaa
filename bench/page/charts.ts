// The benchmark page's bar charts (Chart.js): time per case for every library (log scale),
// webgrad's speed-up over each peer (log scale, a line at 1), each library's fraction of its
// roof, and the kernels of one training step. Animations are off: the charts redraw as rows
// arrive, and a screenshot must show the final bars.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LogarithmicScale,
  Title,
  Tooltip,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import type { Row } from '../harness';
import type { StepProfile } from '../kernel-times';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Legend, Title, Tooltip);

const COLORS: Record<string, string> = { webgrad: '#1f77b4', 'tfjs-webgpu': '#ff7f0e', 'jax-js-webgpu': '#2ca02c' };
const color = (name: string) => COLORS[name] ?? '#7f7f7f';

/** A dashed horizontal line at y = 1 (ratio charts: above it webgrad is faster). */
const unitLine: Plugin<'bar'> = {
  id: 'unitLine',
  afterDatasetsDraw(chart) {
    const y = chart.scales.y;
    if (!y || chart.data.datasets.length === 0) return;
    const py = y.getPixelForValue(1);
    if (py < chart.chartArea.top || py > chart.chartArea.bottom) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = '#444';
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(chart.chartArea.left, py);
    ctx.lineTo(chart.chartArea.right, py);
    ctx.stroke();
    ctx.restore();
  },
};

function barChart(canvas: HTMLCanvasElement, title: string, yTitle: string, log: boolean, plugins: Plugin<'bar'>[] = []): Chart<'bar'> {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [] },
    plugins,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        x: { ticks: { autoSkip: false, maxRotation: 50, minRotation: 0 } },
        y: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: yTitle } },
      },
    },
  });
}

const caseKey = (r: Row) => `${r.name} ${r.size}`;

export class BenchCharts {
  private readonly time: Chart<'bar'>;
  private readonly ratio: Chart<'bar'>;
  private readonly roof: Chart<'bar'>;
  private readonly kernels: Chart<'bar'>;

  constructor(canvases: { time: HTMLCanvasElement; ratio: HTMLCanvasElement; roof: HTMLCanvasElement; kernels: HTMLCanvasElement }) {
    this.time = barChart(canvases.time, 'Time per execution (median, ms; lower is better)', 'ms (log scale)', true);
    this.ratio = barChart(canvases.ratio, 'webgrad speed-up: peer ms / webgrad ms (> 1: webgrad faster)', 'ratio (log scale)', true, [unitLine]);
    this.roof = barChart(canvases.roof, 'Fraction of the roofline bound reached (%)', '% of roof', false);
    this.kernels = barChart(canvases.kernels, 'GPU time per kernel in one training step (ms)', 'ms per step', false);
    this.kernels.options.indexAxis = 'y';
    this.kernels.options.scales = { x: { title: { display: true, text: 'ms per step' } }, y: { ticks: { autoSkip: false } } };
  }

  /** Redraws the three case charts from the rows so far (one row per case and peer). */
  update(rows: Row[]): void {
    const labels = [...new Set(rows.map(caseKey))];
    const peers = [...new Set(rows.map((r) => r.peerName).filter((p) => p !== 'none' && rows.some((r) => r.peerName === p && r.peer !== null)))];
    const byCase = (label: string, peer?: string) => rows.find((r) => caseKey(r) === label && (peer === undefined || r.peerName === peer));
    const series = (name: string, value: (label: string) => number | null | undefined): ChartDataset<'bar', (number | null)[]> => ({
      label: name,
      data: labels.map((l) => value(l) ?? null),
      backgroundColor: color(name),
    });
    const shortLabels = labels.map((l) => l.replace(/ \(\d+\)$/, ''));

    this.time.data.labels = shortLabels;
    this.time.data.datasets = [series('webgrad', (l) => byCase(l)?.ours), ...peers.map((p) => series(p, (l) => byCase(l, p)?.peer))];
    this.time.update();

    this.ratio.data.labels = shortLabels;
    this.ratio.data.datasets = peers.map((p) => ({ ...series(p, (l) => byCase(l, p)?.ratio), label: `vs ${p}` }));
    this.ratio.update();

    const pct = (x: number | null | undefined) => (x === null || x === undefined ? null : 100 * x);
    this.roof.data.labels = shortLabels;
    this.roof.data.datasets = rows.some((r) => r.oursRoof !== undefined)
      ? [series('webgrad', (l) => pct(byCase(l)?.oursRoof)), ...peers.map((p) => series(p, (l) => pct(byCase(l, p)?.peerRoof)))]
      : [];
    this.roof.update();
  }

  showKernels(profile: StepProfile): void {
    // The entry point and a number on the axis; the full name (override constants) is in the
    // table under the chart, and in the tooltip.
    this.kernels.data.labels = profile.kernels.map((k, i) => `${i + 1}. ${k.kernel.split(' ')[0]} ×${k.calls}`);
    this.kernels.options.plugins!.tooltip = { callbacks: { title: (items) => profile.kernels[items[0]!.dataIndex]!.kernel } };
    this.kernels.data.datasets = [{ label: `webgrad (${profile.timing})`, data: profile.kernels.map((k) => k.ms), backgroundColor: color('webgrad') }];
    this.kernels.update();
  }
}
