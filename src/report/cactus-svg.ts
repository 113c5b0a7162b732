/**
 * VNN-COMP-style cactus plot as a self-contained inline SVG string: x = number of instances solved,
 * y = time (log scale) to solve the k-th fastest instance, one polyline per tool.
 */
import { escapeHtml } from './html-escape.js';

export interface CactusSeries {
  readonly label: string;
  /** Solved instances' times in seconds, sorted ascending. */
  readonly times: readonly number[];
  /** Our runs are drawn solid and thicker, peer tools dashed. */
  readonly kind: 'ours' | 'peer';
}

export interface CactusOptions {
  /** Caption of the plot (the SVG <title>). */
  readonly title: string;
  /** Right end of the x axis: the number of instances of the benchmark. */
  readonly instances: number;
  /** Times below this are drawn at it (log scale); default 0.01 s. */
  readonly minSeconds?: number;
}

const OURS = ['#1f5fbf', '#d62728', '#2ca02c', '#9467bd', '#e6820e', '#17becf'];
const PEERS = ['#555555', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f', '#6b8e23', '#b8860b', '#4682b4'];

const W = 1000;
const H = 450;
const PLOT = { left: 70, top: 24, width: 640, height: 360 };
const LEGEND_X = PLOT.left + PLOT.width + 24;

/** Legend labels longer than this are cut with an ellipsis (the per-instance table has them in full). */
const LEGEND_CHARS = 30;
function shorten(label: string): string {
  return label.length <= LEGEND_CHARS ? label : `${label.slice(0, LEGEND_CHARS - 1)}\u2026`;
}

function r1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Ticks of a linear axis from 0 to max: steps of 1, 2 or 5 times a power of ten, at most ~10 of them. */
export function linearTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += Math.max(1, Math.round(step))) ticks.push(t);
  return ticks;
}

function formatSeconds(t: number): string {
  if (t >= 1) return String(Math.round(t));
  return String(Number(t.toPrecision(1)));
}

/** Log-axis labels: every decade; 2 and 5 in between when the range spans at most two decades. */
export function logTicks(lo: number, hi: number): { value: number; major: boolean }[] {
  const out: { value: number; major: boolean }[] = [];
  const decades = Math.round(Math.log10(hi / lo));
  for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) {
    const d = 10 ** e;
    out.push({ value: d, major: true });
    if (decades <= 2 && d * 10 <= hi * (1 + 1e-9)) {
      out.push({ value: 2 * d, major: false });
      out.push({ value: 5 * d, major: false });
    }
  }
  return out;
}

export function cactusSvg(series: readonly CactusSeries[], opts: CactusOptions): string {
  const minSeconds = opts.minSeconds ?? 0.01;
  const all = series.flatMap((s) => s.times).map((t) => Math.max(t, minSeconds));
  const longest = Math.max(0, ...series.map((s) => s.times.length));
  const xMax = Math.max(1, opts.instances, longest);
  const lo = all.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...all)) + 1e-9) : 0.1;
  let hi = all.length > 0 ? 10 ** Math.ceil(Math.log10(Math.max(...all)) - 1e-9) : 100;
  if (hi <= lo) hi = lo * 10;
  const x = (k: number) => PLOT.left + (k / xMax) * PLOT.width;
  const y = (t: number) =>
    PLOT.top + PLOT.height - ((Math.log10(Math.max(t, minSeconds)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT.height;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="cactus" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">`,
    `<title>${escapeHtml(opts.title)}</title>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.width}" height="${PLOT.height}" fill="#fff" stroke="#888"/>`,
  );
  // Grid and ticks.
  const bottom = PLOT.top + PLOT.height;
  for (const t of logTicks(lo, hi)) {
    const yy = r1(y(t.value));
    parts.push(`<line x1="${PLOT.left}" y1="${yy}" x2="${PLOT.left + PLOT.width}" y2="${yy}" stroke="${t.major ? '#d0d0d0' : '#ececec'}"/>`);
    parts.push(`<line x1="${PLOT.left - 5}" y1="${yy}" x2="${PLOT.left}" y2="${yy}" stroke="#444"/>`);
    parts.push(`<text x="${PLOT.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#222">${formatSeconds(t.value)}</text>`);
  }
  for (const k of linearTicks(xMax)) {
    const xx = r1(x(k));
    parts.push(`<line x1="${xx}" y1="${PLOT.top}" x2="${xx}" y2="${bottom}" stroke="#ececec"/>`);
    parts.push(`<line x1="${xx}" y1="${bottom}" x2="${xx}" y2="${bottom + 5}" stroke="#444"/>`);
    parts.push(`<text x="${xx}" y="${bottom + 18}" text-anchor="middle" fill="#222">${k}</text>`);
  }
  parts.push(
    `<text x="${PLOT.left + PLOT.width / 2}" y="${H - 22}" text-anchor="middle" fill="#111" font-size="13">number of instances solved (of ${opts.instances})</text>`,
    `<text transform="translate(18 ${PLOT.top + PLOT.height / 2}) rotate(-90)" text-anchor="middle" fill="#111" font-size="13">time per instance (s, log scale)</text>`,
  );
  // Curves.
  let ours = 0;
  let peers = 0;
  const legend: string[] = [];
  series.forEach((s, i) => {
    const color = s.kind === 'ours' ? OURS[ours++ % OURS.length] : PEERS[peers++ % PEERS.length];
    const dash = s.kind === 'peer' ? ' stroke-dasharray="6 3"' : '';
    const width = s.kind === 'ours' ? 2.4 : 1.6;
    const pts = s.times.map((t, k) => `${r1(x(k + 1))},${r1(y(t))}`);
    if (pts.length > 0) {
      parts.push(
        `<polyline class="series" data-series="${escapeHtml(s.label)}" data-kind="${s.kind}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${dash} points="${pts.join(' ')}"/>`,
      );
      if (pts.length <= 40) {
        for (const p of pts) {
          const [px, py] = p.split(',');
          parts.push(`<circle cx="${px}" cy="${py}" r="2.6" fill="${color}"/>`);
        }
      }
    }
    const ly = PLOT.top + 10 + i * 22;
    legend.push(
      `<line x1="${LEGEND_X}" y1="${ly}" x2="${LEGEND_X + 28}" y2="${ly}" stroke="${color}" stroke-width="${width}"${dash}/>`,
      `<text x="${LEGEND_X + 36}" y="${ly}" dominant-baseline="middle" fill="#111">${escapeHtml(shorten(s.label))} (${s.times.length})</text>`,
    );
  });
  if (longest === 0) {
    parts.push(`<text x="${PLOT.left + PLOT.width / 2}" y="${PLOT.top + PLOT.height / 2}" text-anchor="middle" fill="#888" font-size="15">no instance solved</text>`);
  }
  parts.push(`<text x="${LEGEND_X}" y="${PLOT.top - 6}" fill="#444" font-size="11">tool (instances solved)</text>`);
  parts.push(...legend, '</svg>');
  return parts.join('\n');
}
