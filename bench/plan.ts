/** What `npm run bench` runs, and how much of it. */

export const CASE_IDS = ['warm', 'cpu', 'connect', 'http', 'batch', 'cold', 'memory', 'keys', 'codecs', 'idle', 'registry'] as const;
export type CaseId = (typeof CASE_IDS)[number];

export interface BenchPlan {
  cases: CaseId[];
  /** Case 1: single orders through the warm handler and bare kafkajs, alternating. */
  singleWarmup: number;
  singleIterations: number;
  /** Case 1: the handler's own CPU time, with a publisher that answers at once. */
  cpuWarmup: number;
  cpuIterations: number;
  /** Case 2: invocations that connect, publish and disconnect. */
  connectWarmup: number;
  connectIterations: number;
  /** Case 3: requests through serverless-offline. */
  httpWarmup: number;
  httpSequential: number;
  httpConcurrent: number;
  httpConnections: number;
  /** Case 4: batches of `batchSize`, through the handler and bare kafkajs, alternating. */
  batchSize: number;
  batchWarmup: number;
  batchIterations: number;
  /** Case 4: records the Java producer and kcat send in one process each. */
  referenceRecords: number;
  /** Case 4: also ProducerPerformance with one batch's worth of records (one more JVM start). */
  oneBatchJvm: boolean;
  /** Case 5: fresh Node processes that load the bundle and publish once. */
  coldStarts: number;
  /** Case 6: publishes through one warm handler process. */
  memoryPublishes: number;
  /** Case 7: single orders with a new Idempotency-Key each, taking turns with orders without one. */
  keyIterations: number;
  /** Case 7: retries after a 504, of each kind (found in the log, not found). */
  reconcileIterations: number;
  /** Case 8: single orders and batches of `batchSize` per codec, on varied orders. */
  codecSingles: number;
  codecBatches: number;
}

/** Sized so that the full run takes about 5 minutes on 2 cores, broker start included. */
export const FULL_PLAN: BenchPlan = {
  cases: [...CASE_IDS],
  singleWarmup: 500,
  singleIterations: 10_000,
  cpuWarmup: 5_000,
  cpuIterations: 20_000,
  connectWarmup: 5,
  connectIterations: 500,
  httpWarmup: 300,
  httpSequential: 3_000,
  httpConcurrent: 6_000,
  httpConnections: 10,
  batchSize: 500,
  batchWarmup: 5,
  batchIterations: 200,
  referenceRecords: 200_000,
  oneBatchJvm: true,
  coldStarts: 20,
  memoryPublishes: 10_000,
  keyIterations: 2_000,
  reconcileIterations: 300,
  codecSingles: 1_000,
  codecBatches: 40,
};

/** Every code path once or a few times: keeps the bench from rotting (test/…/bench-smoke.test.ts). */
export const SMOKE_PLAN: BenchPlan = {
  ...FULL_PLAN,
  singleWarmup: 5,
  singleIterations: 20,
  cpuWarmup: 50,
  cpuIterations: 200,
  connectWarmup: 1,
  connectIterations: 3,
  httpWarmup: 5,
  httpSequential: 20,
  httpConcurrent: 40,
  batchWarmup: 1,
  batchIterations: 2,
  referenceRecords: 1_000,
  oneBatchJvm: false,
  coldStarts: 2,
  memoryPublishes: 200,
  keyIterations: 10,
  reconcileIterations: 3,
  codecSingles: 5,
  codecBatches: 2,
};

export interface CliOptions {
  plan: BenchPlan;
  /** Tiny counts: the run checks that the code still works; its numbers mean nothing. */
  smoke: boolean;
  /** Where latest.json, latest.md and chart.svg go. */
  outDir: string | undefined;
}

export const USAGE = `npm run bench [-- [--smoke] [--cases ${CASE_IDS.join(',')}] [--out DIR]]

  --smoke        tiny counts: checks that every case still runs (numbers mean nothing)
  --cases LIST   run only these cases (default: all)
  --out DIR      write latest.json, latest.md and chart.svg there (default: bench/results)

Environment: KAFKA_BROKERS (default: the developer's local broker of npm run kafka:start, started when none
answers and stopped at the end), BENCH_HTTP_PORT (serverless-offline, default 3200; the lambda
port is this + 2), BENCH_TOPIC (default order-events-bench).`;

export function parseArgs(argv: readonly string[]): CliOptions {
  let smoke = false;
  let cases: CaseId[] | undefined;
  let outDir: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--smoke') smoke = true;
    else if (arg === '--cases') cases = parseCases(argv[++index]);
    else if (arg === '--out') outDir = requireValue(arg, argv[++index]);
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`Unknown argument ${arg}\n\n${USAGE}`);
  }
  const plan = smoke ? SMOKE_PLAN : FULL_PLAN;
  return { plan: { ...plan, cases: cases ?? plan.cases }, smoke, outDir };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function requireValue(flag: string, value: string | undefined): string {
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value\n\n${USAGE}`);
  return value;
}

function parseCases(value: string | undefined): CaseId[] {
  const names = requireValue('--cases', value)
    .split(',')
    .map((name) => name.trim());
  const unknown = names.filter((name) => !(CASE_IDS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`Unknown case(s) ${unknown.join(', ')}; known: ${CASE_IDS.join(', ')}`);
  return names as CaseId[];
}
