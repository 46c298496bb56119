import type { MemoryRun } from '../cases/bundle';
import type { LatencySummary } from '../support/stats';
import { type BenchResults, TARGETS } from './results';

/** One line of the final table; every cell is already text. */
export interface Row {
  case: string;
  what: string;
  p50: string;
  p99: string;
  p999: string;
  rate: string;
  measure: string;
  beside: string;
  /** "✔ target" when met, "✘ target" when missed, "" when the row has no target. */
  target: string;
}

const HEADERS: Row = {
  case: '#',
  what: 'What',
  p50: 'p50 ms',
  p99: 'p99 ms',
  p999: 'p99.9 ms',
  rate: 'Rate',
  measure: 'Measure',
  beside: 'Beside its reference',
  target: 'Target',
};

const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '' : value < 10 ? value.toFixed(2) : value.toFixed(1);
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const count = (value: number) => Math.round(value).toLocaleString('en');
const verdict = (met: boolean, target: string) => `${met ? '✔' : '✘'} ${target}`;

function latencyCells(latency: LatencySummary): Pick<Row, 'p50' | 'p99' | 'p999'> {
  return { p50: ms(latency.p50), p99: ms(latency.p99), p999: ms(latency.p999) };
}

function row(cells: Partial<Row> & Pick<Row, 'case' | 'what'>): Row {
  return { p50: '', p99: '', p999: '', rate: '', measure: '', beside: '', target: '', ...cells };
}

function singleRows({ single, cpu }: BenchResults): Row[] {
  const rows: Row[] = [];
  if (single) {
    const overheadP50 = single.handler.latency.p50 / single.bare.latency.p50;
    const overheadP99 = single.handler.latency.p99 / single.bare.latency.p99;
    rows.push(
      row({
        case: '1',
        what: `bare kafkajs send (reference, ${single.codec} as the handler)`,
        ...latencyCells(single.bare.latency),
        measure: `${single.bare.cpuMs.toFixed(3)} ms CPU/req`,
      }),
      row({
        case: '1',
        what: 'warm handler, in-process',
        ...latencyCells(single.handler.latency),
        measure: `${single.handler.cpuMs.toFixed(3)} ms CPU/req`,
        beside: `${times(overheadP50)} bare at p50, ${times(overheadP99)} at p99 (+${(single.handler.latency.p50 - single.bare.latency.p50).toFixed(2)} ms)`,
        target: verdict(overheadP50 <= TARGETS.handlerOverheadP50, `p50 ≤ ${TARGETS.handlerOverheadP50}× bare`),
      }),
    );
  }
  if (cpu) {
    const cpuMs = cpu.handlerInfo.cpuUs / 1000;
    rows.push(
      row({
        case: '1',
        what: "handler's own CPU, instant publisher",
        measure: `${cpuMs.toFixed(3)} ms/req (${(cpu.handlerSilent.cpuUs / 1000).toFixed(3)} without the log line)`,
        target: verdict(cpuMs < TARGETS.handlerCpuMs, `< ${TARGETS.handlerCpuMs} ms`),
      }),
    );
  }
  return rows;
}

function connectRows({ connect }: BenchResults): Row[] {
  if (!connect) return [];
  const ratio = connect.perRequest.latency.p50 / connect.warm.latency.p50;
  return [
    row({
      case: '2',
      what: 'connect per request (samples’ shape)',
      ...latencyCells(connect.perRequest.latency),
      measure: `${connect.perRequest.cpuMs.toFixed(2)} ms CPU/req`,
      beside: `${times(ratio)} warm at p50 (warm: ${ms(connect.warm.latency.p50)} ms), ${times(connect.perRequest.latency.p99 / connect.warm.latency.p99)} at p99`,
      target: verdict(ratio >= TARGETS.warmOverConnectP50, `warm ≥ ${TARGETS.warmOverConnectP50}× faster`),
    }),
  ];
}

function httpRows({ http, single }: BenchResults): Row[] {
  if (!http) return [];
  const overInProcess = (p50: number) => (single ? `+${(p50 - single.handler.latency.p50).toFixed(2)} ms over in-process at p50` : '');
  return [http.sequential, http.concurrent].map((load) =>
    row({
      case: '3',
      what: `HTTP via serverless-offline, ${load.connections} connection${load.connections === 1 ? '' : 's'}`,
      ...latencyCells(load.latency),
      rate: `${count(load.requestsPerSecond)} req/s`,
      beside: load.connections === 1 ? overInProcess(load.latency.p50) : '',
    }),
  );
}

function batchRows({ batch }: BenchResults): Row[] {
  if (!batch) return [];
  const java = batch.references.find((reference) => reference.id === 'java-perf');
  const javaRate = java?.recordsPerSecond ?? Number.NaN;
  const fraction = (rate: number) => (Number.isNaN(javaRate) ? '' : `${(rate / javaRate).toFixed(2)} of Java`);
  const rows: Row[] = [];
  if (batch.node) {
    const { handler, bare, batchSize } = batch.node;
    const handlerFraction = handler.recordsPerSecond / javaRate;
    const ofBare = handler.recordsPerSecond / bare.recordsPerSecond;
    rows.push(
      row({
        case: '4',
        what: `batch handler, ${batchSize} orders/request`,
        ...latencyCells(handler.latency),
        rate: `${count(handler.recordsPerSecond)} rec/s`,
        beside: [`${ofBare.toFixed(2)} of bare kafkajs`, fraction(handler.recordsPerSecond)].filter(Boolean).join(', '),
        target: [
          verdict(ofBare >= TARGETS.batchFractionOfBare, `≥ ${TARGETS.batchFractionOfBare} of bare`),
          Number.isNaN(javaRate) ? '' : verdict(handlerFraction >= TARGETS.batchFractionOfJava, `≥ ${TARGETS.batchFractionOfJava} of Java`),
        ]
          .filter(Boolean)
          .join('; '),
      }),
      row({
        case: '4',
        what: `bare kafkajs send of the same ${batchSize}, ${batch.node.codec}`,
        ...latencyCells(bare.latency),
        rate: `${count(bare.recordsPerSecond)} rec/s`,
        beside: fraction(bare.recordsPerSecond),
      }),
    );
  }
  for (const reference of batch.references) {
    rows.push(
      row({
        case: '4',
        what: reference.label,
        rate: reference.skipped ? '' : `${count(reference.recordsPerSecond)} rec/s`,
        measure: reference.skipped ? `not measured: ${reference.skipped}` : reference.id === 'java-perf' ? 'the reference' : '',
        beside: reference.skipped ? '' : fraction(reference.recordsPerSecond),
      }),
    );
  }
  rows.push(row({ case: '4', what: '@confluentinc/kafka-javascript (KafkaJS API)', measure: batch.confluent }));
  return rows;
}

function coldRows({ cold }: BenchResults): Row[] {
  if (!cold) return [];
  const publishOrder = cold.zips.find((zip) => zip.name === 'publishOrder');
  // The target is the publishing functions': the docs page carries swagger-ui, in a function of its own.
  const largest = Math.max(...cold.zips.filter((zip) => zip.name !== 'docs').map((zip) => zip.bytes));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  return [
    row({
      case: '5',
      what: 'bundle, zipped (sls package)',
      measure: cold.zips.map((zip) => `${zip.name} ${kb(zip.bytes)}`).join(', '),
      target: verdict(largest / 1024 < TARGETS.bundleKb, `< ${TARGETS.bundleKb} KB (but docs)`),
      beside: publishOrder ? '' : 'no publishOrder zip',
    }),
    row({
      case: '5',
      what: `module load, ${cold.moduleLoad.count} fresh node processes`,
      ...latencyCells(cold.moduleLoad),
      measure: `mean ${ms(cold.moduleLoad.mean)} ms`,
      target: verdict(cold.moduleLoad.mean < TARGETS.moduleLoadMs, `mean < ${TARGETS.moduleLoadMs} ms`),
    }),
    row({
      case: '5',
      what: 'process start → first acknowledged publish',
      ...latencyCells(cold.firstAck),
      measure: `mean ${ms(cold.firstAck.mean)} ms (Node's own start: ${ms(cold.nodeStart.mean)} ms)`,
      target: verdict(cold.firstAck.mean < TARGETS.firstAckMs, `mean < ${TARGETS.firstAckMs} ms`),
    }),
  ];
}

/** RSS at the middle and the end of a run, and whether it stayed flat between them. */
export function memoryVerdict(publishes: number, run: MemoryRun) {
  const half = Math.floor(publishes / 2);
  const atHalf = run.samples.reduce((best, sample) =>
    Math.abs(sample.publishes - half) < Math.abs(best.publishes - half) ? sample : best,
  );
  const atEnd = run.samples[run.samples.length - 1] ?? atHalf;
  const growthMb = atEnd.rssMb - atHalf.rssMb;
  const liveValues = Object.values(run.liveHeapMb);
  const liveGrowthMb = (liveValues[1] ?? Number.NaN) - (liveValues[0] ?? Number.NaN);
  const peakMb = Math.max(...run.samples.map((sample) => sample.rssMb));
  return { atHalf, atEnd, growthMb, liveGrowthMb, peakMb, met: peakMb < TARGETS.rssMb && growthMb <= TARGETS.flatRssGrowthMb };
}

function memoryRows({ memory }: BenchResults): Row[] {
  if (!memory) return [];
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB`;
  const line = (what: string, run: MemoryRun, withTarget: boolean) => {
    const { atHalf, atEnd, growthMb, liveGrowthMb, peakMb, met } = memoryVerdict(memory.publishes, run);
    return row({
      case: '6',
      what,
      measure: `${atEnd.rssMb.toFixed(1)} MB (peak ${peakMb.toFixed(1)}); at ${count(atHalf.publishes)}: ${atHalf.rssMb.toFixed(1)} MB`,
      beside: `${signed(growthMb)} RSS, ${signed(liveGrowthMb)} live heap in the second half`,
      target: withTarget ? verdict(met, `< ${TARGETS.rssMb} MB, flat (±${TARGETS.flatRssGrowthMb} MB)`) : '',
    });
  };
  return [
    line(`RSS after ${count(memory.publishes)} publishes, bundled handler`, memory.handler, true),
    line(`RSS after ${count(memory.publishes)} sends, bare kafkajs (reference)`, memory.bare, false),
  ];
}

function keyRows({ keys }: BenchResults): Row[] {
  if (!keys) return [];
  const cost = (summary: { latency: { p50: number; p99: number } }) =>
    `+${(summary.latency.p50 - keys.withoutKey.latency.p50).toFixed(2)} ms at p50, +${(summary.latency.p99 - keys.withoutKey.latency.p99).toFixed(2)} ms at p99 over no key`;
  return [
    row({ case: '7', what: 'warm handler, no Idempotency-Key (reference)', ...latencyCells(keys.withoutKey.latency) }),
    row({
      case: '7',
      what: 'warm handler, a new key each (store on dynalite)',
      ...latencyCells(keys.withKey.latency),
      // dynalite runs in the same process: its CPU would count as the handler's.
      measure: 'two store requests: a conditional put, then an update',
      beside: cost(keys.withKey),
    }),
    row({
      case: '7',
      what: 'retry after a 504, record found in the log',
      ...latencyCells(keys.retryFound.latency),
      beside: cost(keys.retryFound),
    }),
    row({
      case: '7',
      what: 'retry after a 504, not found: read, then publish',
      ...latencyCells(keys.retryNotFound.latency),
      beside: cost(keys.retryNotFound),
    }),
  ];
}

function codecRows({ codecs }: BenchResults): Row[] {
  if (!codecs) return [];
  const none = codecs.codecs.find(({ codec }) => codec === 'none');
  return codecs.codecs.flatMap(({ codec, single, batch, bytesPerRecord }) => {
    const speed = none ? ` (${(batch.recordsPerSecond / none.batch.recordsPerSecond).toFixed(2)} of none)` : '';
    const size =
      bytesPerRecord === undefined
        ? `bytes not measured: ${codecs.bytesSkipped ?? 'unknown'}`
        : `${bytesPerRecord.toFixed(0)} bytes/record${none?.bytesPerRecord ? ` (${(bytesPerRecord / none.bytesPerRecord).toFixed(2)} of none)` : ''}`;
    return [
      row({ case: '8', what: `${codec}: single order, varied orders`, ...latencyCells(single.latency) }),
      row({
        case: '8',
        what: `${codec}: batch of ${codecs.batchSize}, varied orders`,
        ...latencyCells(batch.latency),
        rate: `${count(batch.recordsPerSecond)} rec/s`,
        measure: size,
        beside: `${count(batch.recordsPerSecond)} rec/s${speed}`,
      }),
    ];
  });
}

function idleRows({ idle }: BenchResults): Row[] {
  if (!idle) return [];
  const side = (what: string, { checksPerSecond, cpuMsPerSecond }: { checksPerSecond: number; cpuMsPerSecond: number }) =>
    row({
      case: '9',
      what,
      measure: `${count(checksPerSecond)} queue checks/s, ${cpuMsPerSecond.toFixed(1)} ms CPU/s (${(cpuMsPerSecond / 10).toFixed(1)}% of a core)`,
    });
  return [
    side(`idle producer ${idle.seconds} s after a send, kafkajs 2.2.4 as released`, idle.released),
    side('the same, idle poll stopped (lib/kafka/request-queue.ts)', idle.fixed),
  ];
}

function registryRows({ registry }: BenchResults): Row[] {
  if (!registry) return [];
  const names = { plain: 'plain JSON', json: 'JSON Schema, framed', avro: 'Avro, framed' } as const;
  const over = (value: number, plain: number, unit: string, digits = 0) =>
    `+${(value - plain).toFixed(digits)} ${unit} (${times(value / plain)}) over plain JSON`;
  return (['plain', 'json', 'avro'] as const).flatMap((mode) => {
    const single = registry.single[mode];
    const batch = registry.batch[mode];
    const plain = mode === 'plain';
    return [
      row({
        case: '10',
        what: `registry mode: single order, ${names[mode]} (handler CPU, instant publisher)`,
        ...latencyCells(single.latency),
        measure: `${(single.cpuMs * 1000).toFixed(0)} µs CPU/req`,
        beside: plain ? '' : over(single.cpuMs * 1000, registry.single.plain.cpuMs * 1000, 'µs'),
      }),
      row({
        case: '10',
        what: `registry mode: batch of ${registry.batchSize}, ${names[mode]}`,
        ...latencyCells(batch.latency),
        measure: `${batch.cpuMs.toFixed(2)} ms CPU/batch`,
        beside: plain ? '' : over(batch.cpuMs, registry.batch.plain.cpuMs, 'ms', 2),
      }),
      row({
        case: '10',
        what: `registry mode: one value alone, ${names[mode]}`,
        measure: `${registry.valueUs[mode].toFixed(2)} µs CPU, ${registry.valueBytes[mode].toFixed(0)} bytes`,
        beside: plain
          ? ''
          : `${times(registry.valueUs[mode] / registry.valueUs.plain)} the time, ${times(registry.valueBytes[mode] / registry.valueBytes.plain)} the bytes`,
      }),
    ];
  });
}

export function buildRows(results: BenchResults): Row[] {
  return [
    ...singleRows(results),
    ...connectRows(results),
    ...httpRows(results),
    ...batchRows(results),
    ...coldRows(results),
    ...memoryRows(results),
    ...keyRows(results),
    ...codecRows(results),
    ...idleRows(results),
    ...registryRows(results),
    ...results.failures.map((failure) =>
      row({ case: '!', what: `case "${failure.case}" failed`, measure: failure.message.split('\n')[0] ?? '' }),
    ),
  ];
}

/** A Markdown table, padded so that it also reads as a table in a terminal. */
export function renderTable(rows: readonly Row[]): string {
  const keys = Object.keys(HEADERS) as (keyof Row)[];
  const numeric = new Set<keyof Row>(['p50', 'p99', 'p999', 'rate']);
  const widths = keys.map((key) => Math.max(...[HEADERS, ...rows].map((line) => [...line[key]].length)));
  const cell = (key: keyof Row, text: string, width: number) => (numeric.has(key) ? text.padStart(width) : text.padEnd(width));
  const line = (values: Row) => `| ${keys.map((key, index) => cell(key, values[key], widths[index] as number)).join(' | ')} |`;
  const rule = `|${keys.map((key, index) => `${numeric.has(key) ? '-'.repeat((widths[index] as number) + 1) : `-${'-'.repeat(widths[index] as number)}`}${numeric.has(key) ? ':' : '-'}`).join('|')}|`;
  return [line(HEADERS), rule, ...rows.map(line)].join('\n');
}
