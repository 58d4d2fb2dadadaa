// Writes a loss curve as a small standalone SVG (a line chart with labelled axes) that any
// browser or image viewer opens. Plain SVG: no chart library is needed for one polyline.

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  /** Also mark each point with a dot (a one-point series is otherwise invisible). */
  markers?: boolean;
}

const W = 640;
const H = 360;
const PAD = { left: 60, right: 20, top: 30, bottom: 45 };

function ticks(lo: number, hi: number, n: number): number[] {
  const step = (hi - lo) / n;
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

function label(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3);
}

export function lossCurveSvg(title: string, xLabel: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const x0 = Math.min(...all.map((p) => p.x), 0);
  const x1 = Math.max(...all.map((p) => p.x), 1);
  const y0 = 0;
  const y1 = Math.max(...all.map((p) => p.y), 1e-6) * 1.05;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>`,
  ];
  for (const t of ticks(y0, y1, 5)) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${sy(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of ticks(x0, x1, 5)) {
    parts.push(`<text x="${sx(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${xLabel}</text>`);
  parts.push(`<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">loss</text>`);
  series.forEach((s, i) => {
    const xy = s.points.filter((p) => Number.isFinite(p.y)).map((p) => [sx(p.x).toFixed(1), sy(p.y).toFixed(1)]);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${xy.map(([x, y]) => `${x},${y}`).join(' ')}"/>`);
    if (s.markers) for (const [x, y] of xy) parts.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.color}"/>`);
    parts.push(`<text x="${W - PAD.right - 4}" y="${PAD.top + 14 + 16 * i}" text-anchor="end" fill="${s.color}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
