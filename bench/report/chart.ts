import type { LatencySummary } from '../support/stats';
import type { BenchResults } from './results';

/**
 * The chart of a run, as a hand-written SVG (no dependency): latency percentiles per case, and
 * batch throughput per client. Both axes are logarithmic: the cases span three decades.
 */

interface LatencyBar {
  label: string;
  latency: Pick<LatencySummary, 'p50' | 'p99' | 'p999'>;
}

interface RateBar {
  label: string;
  rate: number;
  note: string;
  highlight: boolean;
}

const WIDTH = 960;
const LABEL_WIDTH = 300;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_RIGHT = WIDTH - 150;
const PERCENTILES = [
  { key: 'p50', label: 'p50', color: '#2b6cb0' },
  { key: 'p99', label: 'p99', color: '#dd6b20' },
  { key: 'p999', label: 'p99.9', color: '#9b2c2c' },
] as const;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, content: string, attributes = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`;
const fmt = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en') : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** A log10 axis over whole decades that hold every value. */
function logScale(values: number[]) {
  const positive = values.filter((value) => value > 0 && Number.isFinite(value));
  const low = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  const span = Math.log10(high) - Math.log10(low) || 1;
  const x = (value: number) => PLOT_LEFT + ((Math.log10(Math.max(value, low)) - Math.log10(low)) / span) * (PLOT_RIGHT - PLOT_LEFT);
  const decades: number[] = [];
  for (let decade = low; decade <= high * 1.0001; decade *= 10) decades.push(decade);
  return { x, decades };
}

function axis(top: number, bottom: number, scale: ReturnType<typeof logScale>, unit: string): string[] {
  return scale.decades.flatMap((decade) => [
    `<line x1="${scale.x(decade).toFixed(1)}" y1="${top}" x2="${scale.x(decade).toFixed(1)}" y2="${bottom}" stroke="#cbd5e0" stroke-width="1"/>`,
    text(scale.x(decade), bottom + 14, `${decade.toLocaleString('en')}${unit}`, 'text-anchor="middle" class="tick"'),
  ]);
}

function latencyPanel(bars: LatencyBar[], top: number): { svg: string[]; height: number } {
  const rowHeight = 40;
  const plotTop = top + 40;
  const plotBottom = plotTop + bars.length * rowHeight;
  const scale = logScale(bars.flatMap((bar) => [bar.latency.p50, bar.latency.p999, bar.latency.p99]));
  const svg = [
    text(20, top + 16, 'Latency per request, ms (log scale): one order at a time unless said', 'class="title"'),
    ...PERCENTILES.map((percentile, index) =>
      [
        `<rect x="${PLOT_LEFT + index * 80}" y="${top + 24}" width="12" height="10" fill="${percentile.color}"/>`,
        text(PLOT_LEFT + index * 80 + 16, top + 33, percentile.label, 'class="tick"'),
      ].join(''),
    ),
    ...axis(plotTop, plotBottom, scale, ''),
  ];
  bars.forEach((bar, index) => {
    const y = plotTop + index * rowHeight + 4;
    svg.push(text(LABEL_WIDTH, y + 18, bar.label, 'text-anchor="end" class="label"'));
    PERCENTILES.forEach((percentile, line) => {
      const value = bar.latency[percentile.key];
      const width = Math.max(1, scale.x(value) - PLOT_LEFT);
      svg.push(`<rect x="${PLOT_LEFT}" y="${y + line * 10}" width="${width.toFixed(1)}" height="8" fill="${percentile.color}"/>`);
      svg.push(text(PLOT_LEFT + width + 4, y + line * 10 + 8, fmt(value), 'class="value"'));
    });
  });
  return { svg, height: plotBottom - top + 30 };
}

function ratePanel(bars: RateBar[], top: number): { svg: string[]; height: number } {
  const rowHeight = 26;
  const plotTop = top + 28;
  const plotBottom = plotTop + bars.length * rowHeight;
  const scale = logScale(bars.map((bar) => bar.rate));
  const svg = [
    text(20, top + 16, 'Batch throughput, records/s (log scale); fraction of Java ProducerPerformance', 'class="title"'),
    ...axis(plotTop, plotBottom, scale, ''),
  ];
  bars.forEach((bar, index) => {
    const y = plotTop + index * rowHeight + 4;
    const width = Math.max(1, scale.x(bar.rate) - PLOT_LEFT);
    svg.push(text(LABEL_WIDTH, y + 13, bar.label, 'text-anchor="end" class="label"'));
    svg.push(`<rect x="${PLOT_LEFT}" y="${y}" width="${width.toFixed(1)}" height="16" fill="${bar.highlight ? '#2b6cb0' : '#a0aec0'}"/>`);
    svg.push(text(PLOT_LEFT + width + 4, y + 13, `${fmt(bar.rate)}${bar.note ? ` · ${bar.note}` : ''}`, 'class="value"'));
  });
  return { svg, height: plotBottom - top + 30 };
}

function latencyBars({ single, connect, http, cold }: BenchResults): LatencyBar[] {
  const bars: LatencyBar[] = [];
  if (single) bars.push({ label: '1 · bare kafkajs send', latency: single.bare.latency });
  if (single) bars.push({ label: '1 · warm handler, in-process', latency: single.handler.latency });
  if (http) bars.push({ label: '3 · HTTP (serverless-offline), 1 conn.', latency: http.sequential.latency });
  if (http) bars.push({ label: `3 · HTTP, ${http.concurrent.connections} connections`, latency: http.concurrent.latency });
  if (connect) bars.push({ label: '2 · connect per request', latency: connect.perRequest.latency });
  if (cold) bars.push({ label: '5 · process start → first ack', latency: cold.firstAck });
  return bars;
}

function rateBars({ batch }: BenchResults): RateBar[] {
  if (!batch) return [];
  const javaRate = batch.references.find((reference) => reference.id === 'java-perf')?.recordsPerSecond ?? Number.NaN;
  const note = (rate: number) => (Number.isNaN(javaRate) ? '' : `${(rate / javaRate).toFixed(2)}`);
  const bars: RateBar[] = [];
  if (batch.node) {
    bars.push({
      label: `4 · batch handler (${batch.node.batchSize}/request)`,
      rate: batch.node.handler.recordsPerSecond,
      note: note(batch.node.handler.recordsPerSecond),
      highlight: true,
    });
    bars.push({
      label: `4 · bare kafkajs send of ${batch.node.batchSize}`,
      rate: batch.node.bare.recordsPerSecond,
      note: note(batch.node.bare.recordsPerSecond),
      highlight: false,
    });
  }
  const short: Record<string, string> = {
    'java-perf': '4 · Java ProducerPerformance (reference)',
    'java-perf-one-batch': '4 · Java ProducerPerformance, one batch, cold',
    'java-batches': '4 · Java KafkaProducer, warm batches',
    kcat: '4 · kcat (librdkafka)',
  };
  for (const reference of batch.references) {
    if (!reference.skipped) {
      bars.push({
        label: short[reference.id] ?? reference.label,
        rate: reference.recordsPerSecond,
        note: note(reference.recordsPerSecond),
        highlight: false,
      });
    }
  }
  return bars;
}

export function renderChart(results: BenchResults, caption: string): string {
  const parts: string[] = [];
  let y = 50;
  const latency = latencyBars(results);
  if (latency.length > 0) {
    const panel = latencyPanel(latency, y);
    parts.push(...panel.svg);
    y += panel.height + 10;
  }
  const rates = rateBars(results);
  if (rates.length > 0) {
    const panel = ratePanel(rates, y);
    parts.push(...panel.svg);
    y += panel.height;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold;fill:#1a202c}.label{font-size:12px;fill:#1a202c}.value{font-size:10px;fill:#2d3748}.tick{font-size:10px;fill:#4a5568}.caption{font-size:11px;fill:#4a5568}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(
      20,
      22,
      `npm run bench · ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC${results.smoke ? ' · SMOKE RUN: the numbers mean nothing' : ''}`,
      'class="title"',
    ),
    text(20, 38, caption, 'class="caption"'),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
