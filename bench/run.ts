// npm run bench: the publisher measured beside its references, in one run, on one broker (issue 6).
// See docs/performance.md for what each case does and the latest committed run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchResult } from './cases/batch.child';
import { measureReferences } from './cases/batch-references';
import { measureColdStart, measureMemory, type PackagedService, packageService } from './cases/bundle';
import type { CodecsResult } from './cases/codecs.child';
import type { ConnectResult } from './cases/connect.child';
import type { CpuResult } from './cases/cpu.child';
import { measureHttp } from './cases/http';
import type { IdleResult } from './cases/idle.child';
import type { KeysResult } from './cases/keys.child';
import type { RegistryResult } from './cases/registry.child';
import type { KafkaCaseInput } from './cases/shared';
import type { SingleResult } from './cases/single.child';
import { type CaseId, parseArgs, UsageError } from './plan';
import { renderChart } from './report/chart';
import type { BenchResults } from './report/results';
import { buildRows, renderTable } from './report/table';
import { acquireBroker, type Broker } from './support/broker';
import { runChild } from './support/child';
import { deferCleanup, runCleanups } from './support/cleanup';
import { describeMachine, machineInfo } from './support/machine';
import { Progress } from './support/progress';
import { stageService } from './support/stage';

const REPO_ROOT = path.resolve(__dirname, '..');
const CASES_DIR = path.join(__dirname, 'cases');
const DEFAULT_HTTP_PORT = 3200;

/** Why @confluentinc/kafka-javascript is not in the run, or that it is installed but not wired in. */
function confluentStatus(): string {
  try {
    require.resolve('@confluentinc/kafka-javascript');
    return 'installed, but not measured by this bench yet';
  } catch {
    return 'not measured: not installable here (its install fetches a prebuilt binary, or librdkafka’s dependencies, from GitHub)';
  }
}

function stepCount(cases: readonly CaseId[]): number {
  const needsPackage = cases.includes('cold') || cases.includes('memory');
  return 2 + cases.length + (needsPackage ? 1 : 0);
}

async function runCases(results: BenchResults, broker: Broker, progress: Progress, workDir: string): Promise<void> {
  const { plan } = results;
  const input: KafkaCaseInput = { plan, bootstrap: broker.bootstrap, topic: broker.topic };
  // The handler's environment, as serverless.yml gives it; INFO is the deployed log level.
  const env = { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: broker.topic, LOG_LEVEL: 'INFO' };
  const child = <T>(file: string) =>
    runChild<T>(path.join(CASES_DIR, file), { env, input, onProgress: (done, total, detail) => progress.update(done, total, detail) });
  let stageDir: string | undefined;
  const stage = () => {
    if (!stageDir) {
      const staged = stageService(REPO_ROOT);
      deferCleanup(staged.remove);
      stageDir = staged.dir;
    }
    return stageDir;
  };
  // Packaged once for cases 5 and 6; a failed package fails both without a second try.
  let packaging: Promise<PackagedService> | undefined;
  const bundle = () => {
    packaging ??= (async () => {
      progress.begin('sls package (in a scratch copy of the service)');
      const packaged = await packageService(stage(), REPO_ROOT, broker.bootstrap, broker.topic);
      progress.finish(`${packaged.functions.length} functions packaged in ${packaged.packageSeconds.toFixed(1)} s`);
      return packaged;
    })();
    return packaging;
  };

  /** `prepare` runs as a step of its own before the case (the package, shared by cases 5 and 6). */
  const cases: Record<CaseId, { title: string; prepare?: () => Promise<unknown>; run: () => Promise<string> }> = {
    warm: {
      title: `1 · warm handler and bare kafkajs send, ${plan.singleIterations} each, taking turns`,
      run: async () => {
        results.single = await child<SingleResult>('single.child.ts');
        return `p50 ${results.single.handler.latency.p50.toFixed(2)} ms (handler) vs ${results.single.bare.latency.p50.toFixed(2)} ms (bare)`;
      },
    },
    cpu: {
      title: `1 · handler CPU with an instant publisher, ${plan.cpuIterations} calls`,
      run: async () => {
        results.cpu = await child<CpuResult>('cpu.child.ts');
        return `${(results.cpu.handlerInfo.cpuUs / 1000).toFixed(3)} ms CPU per request`;
      },
    },
    connect: {
      title: `2 · connect per request, ${plan.connectIterations} invocations beside warm ones`,
      run: async () => {
        results.connect = await child<ConnectResult>('connect.child.ts');
        return `p50 ${results.connect.perRequest.latency.p50.toFixed(1)} ms vs ${results.connect.warm.latency.p50.toFixed(2)} ms warm`;
      },
    },
    batch: {
      title: `4 · batches of ${plan.batchSize}: handler, kafkajs, Java, kcat`,
      run: async () => {
        const batch: NonNullable<BenchResults['batch']> = { references: [], confluent: confluentStatus() };
        results.batch = batch;
        batch.node = await child<BatchResult>('batch.child.ts');
        batch.references = await measureReferences(
          { ...input, ...plan, records: plan.referenceRecords, workDir, repoRoot: REPO_ROOT },
          (label) => progress.update(0, 1, label),
        );
        return `${Math.round(batch.node.handler.recordsPerSecond)} rec/s through the handler`;
      },
    },
    http: {
      title: `3 · HTTP through serverless-offline: ${plan.httpSequential} sequential, ${plan.httpConcurrent} over ${plan.httpConnections} connections`,
      run: async () => {
        const port = Number(process.env.BENCH_HTTP_PORT ?? DEFAULT_HTTP_PORT);
        results.http = await measureHttp({
          plan,
          stageDir: stage(),
          repoRoot: REPO_ROOT,
          bootstrap: broker.bootstrap,
          topic: broker.topic,
          port,
          onProgress: (done, total, detail) => progress.update(done, total, detail),
        });
        return `${Math.round(results.http.sequential.requestsPerSecond)} req/s sequential, ${Math.round(results.http.concurrent.requestsPerSecond)} req/s concurrent`;
      },
    },
    keys: {
      title: `7 · Idempotency-Key on dynalite: ${plan.keyIterations} orders with and without a key, ${plan.reconcileIterations} retries after a 504 of each kind`,
      run: async () => {
        results.keys = await child<KeysResult>('keys.child.ts');
        return `p50 ${results.keys.withKey.latency.p50.toFixed(2)} ms with a key vs ${results.keys.withoutKey.latency.p50.toFixed(2)} ms without`;
      },
    },
    codecs: {
      title: `8 · KAFKA_COMPRESSION on varied orders: ${plan.codecSingles} single orders and ${plan.codecBatches} batches of ${plan.batchSize} per codec`,
      run: async () => {
        results.codecs = await child<CodecsResult>('codecs.child.ts');
        return results.codecs.codecs.map(({ codec, batch }) => `${codec} ${Math.round(batch.recordsPerSecond)} rec/s`).join(', ');
      },
    },
    idle: {
      title: '9 · an idle connected producer: kafkajs as released, then with its idle poll stopped',
      run: async () => {
        results.idle = await child<IdleResult>('idle.child.ts');
        const { released, fixed } = results.idle;
        return `${Math.round(released.checksPerSecond)} → ${Math.round(fixed.checksPerSecond)} queue checks/s, ${released.cpuMsPerSecond.toFixed(1)} → ${fixed.cpuMsPerSecond.toFixed(1)} ms CPU/s`;
      },
    },
    registry: {
      title: `10 · registry mode against plain JSON, no broker: ${plan.cpuIterations} single orders and ${plan.batchIterations} batches of ${plan.batchSize} per mode`,
      run: async () => {
        results.registry = await child<RegistryResult>('registry.child.ts');
        const { single, batch } = results.registry;
        const over = (mode: 'json' | 'avro', what: typeof single) => `${((what[mode].cpuMs - what.plain.cpuMs) * 1000).toFixed(0)} µs`;
        return `CPU over plain JSON: JSON Schema +${over('json', single)}/order, +${over('json', batch)}/batch; Avro +${over('avro', single)}/order, +${over('avro', batch)}/batch`;
      },
    },
    cold: {
      title: `5 · cold start of the bundle, ${plan.coldStarts} fresh processes`,
      prepare: bundle,
      run: async () => {
        results.cold = await measureColdStart(await bundle(), plan, REPO_ROOT, (done, total) => progress.update(done, total));
        return `module load ${results.cold.moduleLoad.mean.toFixed(1)} ms, first ack ${results.cold.firstAck.mean.toFixed(0)} ms (means)`;
      },
    },
    memory: {
      title: `6 · memory over ${plan.memoryPublishes} publishes, bundle and bare kafkajs`,
      prepare: bundle,
      run: async () => {
        results.memory = await measureMemory(await bundle(), plan, REPO_ROOT, (done, total, detail) =>
          progress.update(done, total, detail),
        );
        return `RSS ${results.memory.handler.samples.at(-1)?.rssMb.toFixed(1)} MB at the end (bare kafkajs: ${results.memory.bare.samples.at(-1)?.rssMb.toFixed(1)} MB)`;
      },
    },
  };

  for (const id of plan.cases) {
    const { title, prepare, run } = cases[id];
    try {
      await prepare?.();
      progress.begin(title);
      progress.finish(await run());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.failures.push({ case: id, message });
      progress.finish(`FAILED: ${message.split('\n').slice(0, 8).join('\n    ')}`);
    }
  }
}

function writeReport(results: BenchResults, outDir: string): { table: string; caption: string } {
  const caption = describeMachine(results.machine);
  const table = renderTable(buildRows(results));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    path.join(outDir, 'latest.md'),
    `Run of ${results.startedAt} (${results.durationSeconds.toFixed(0)} s${results.smoke ? ', smoke' : ''}), broker ${results.broker.version} at ${results.broker.bootstrap}, on ${caption}\n\n${table}\n`,
  );
  const short = `${results.machine.cpus} × ${results.machine.cpuModel} · Node ${results.machine.node} · Kafka ${results.broker.version} · load avg ${results.machine.loadAverage.start.toFixed(1)}`;
  writeFileSync(path.join(outDir, 'chart.svg'), renderChart(results, short));
  return { table, caption };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const { plan } = options;
  const outDir = path.resolve(options.outDir ?? path.join(REPO_ROOT, 'bench', 'results'));
  const progress = new Progress(stepCount(plan.cases));
  const startedAt = new Date();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'order-publisher-bench-work-'));
  deferCleanup(() => rmSync(workDir, { recursive: true, force: true }));

  progress.begin('broker');
  const broker = await acquireBroker((line) => progress.note(line));
  deferCleanup(() => broker.release());
  progress.finish(`${broker.bootstrap}, topic ${broker.topic}`);

  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    durationSeconds: 0,
    smoke: options.smoke,
    machine: machineInfo(),
    broker: { bootstrap: broker.bootstrap, topic: broker.topic, version: broker.version },
    plan,
    failures: [],
  };
  await runCases(results, broker, progress, workDir);

  progress.begin('report');
  results.machine.loadAverage.end = os.loadavg()[0];
  results.durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const { table, caption } = writeReport(results, outDir);
  progress.finish(`${path.relative(process.cwd(), outDir) || '.'}/latest.json, latest.md, chart.svg`);
  await runCleanups();
  process.stdout.write(`\n${caption}\nTotal ${results.durationSeconds.toFixed(0)} s.\n\n${table}\n`);
  return results.failures.length === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up…\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(
      `${error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await runCleanups();
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
