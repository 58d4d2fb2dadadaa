// The training page's curves (Chart.js): train loss (every few steps) and test loss (per
// epoch), test accuracy per epoch, and each layer's gradient norm over time (log scale). Points
// arrive from the training loop; the charts redraw at most once per animation frame, without
// animation, so a long run stays cheap to draw.

import {
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
  type ChartDataset,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip);

type Series = ChartDataset<'line', { x: number; y: number }[]>;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

function lineChart(canvas: HTMLCanvasElement, title: string, yTitle: string, log = false, yRange?: { min: number; max: number }): Chart<'line', { x: number; y: number }[]> {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' } },
        y: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: yTitle }, ...(yRange ?? {}) },
      },
    },
  });
}

const series = (label: string, color: string, markers: boolean): Series => ({
  label,
  data: [],
  borderColor: color,
  backgroundColor: color,
  borderWidth: markers ? 2 : 1.5,
  pointRadius: markers ? 3 : 0,
});

export class TrainingCharts {
  private readonly loss: Chart<'line', { x: number; y: number }[]>;
  private readonly accuracy: Chart<'line', { x: number; y: number }[]>;
  private readonly norms: Chart<'line', { x: number; y: number }[]>;
  private frame: number | null = null;

  constructor(canvases: { loss: HTMLCanvasElement; accuracy: HTMLCanvasElement; norms: HTMLCanvasElement }) {
    this.loss = lineChart(canvases.loss, 'Loss (softmax cross-entropy)', 'loss');
    this.accuracy = lineChart(canvases.accuracy, 'Test accuracy per epoch', '%', false, { min: 0, max: 100 });
    this.norms = lineChart(canvases.norms, 'Gradient norm per layer ‖∂L/∂W‖ (weights and bias)', 'norm (log scale)', true);
    this.clear();
  }

  clear(): void {
    this.loss.data.datasets = [series('train (every few steps)', PALETTE[0]!, false), series('test (per epoch)', PALETTE[1]!, true)];
    this.accuracy.data.datasets = [series('test accuracy', PALETTE[2]!, true)];
    this.norms.data.datasets = [];
    this.redraw();
  }

  addTrainLoss(x: number, loss: number): void {
    if (Number.isFinite(loss)) this.loss.data.datasets[0]!.data.push({ x, y: loss });
    this.redraw();
  }

  addEpoch(epoch: number, testLoss: number, testAccuracy: number): void {
    this.loss.data.datasets[1]!.data.push({ x: epoch, y: testLoss });
    this.accuracy.data.datasets[0]!.data.push({ x: epoch, y: 100 * testAccuracy });
    this.redraw();
  }

  /** One point per layer; `layers` names them (the first call creates the series). */
  addNorms(x: number, norms: number[], layers: string[]): void {
    const sets = this.norms.data.datasets;
    if (sets.length !== norms.length) {
      this.norms.data.datasets = norms.map((_, i) => series(layers[i] ?? `layer ${i + 1}`, PALETTE[i % PALETTE.length]!, false));
    }
    norms.forEach((n, i) => {
      if (n > 0 && Number.isFinite(n)) this.norms.data.datasets[i]!.data.push({ x, y: n });
    });
    this.redraw();
  }

  /** Points in each chart (for the smoke test: the curves have real numbers). */
  counts(): { trainLoss: number; testLoss: number; accuracy: number; norms: number[] } {
    return {
      trainLoss: this.loss.data.datasets[0]!.data.length,
      testLoss: this.loss.data.datasets[1]!.data.length,
      accuracy: this.accuracy.data.datasets[0]!.data.length,
      norms: this.norms.data.datasets.map((d) => d.data.length),
    };
  }

  private redraw(): void {
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      for (const c of [this.loss, this.accuracy, this.norms]) c.update('none');
    });
  }
}
