// npm run storm: a fleet of Lambda execution environments cold-starting against a local
// three-broker cluster that has Kafka's own connection limits, scaled from MSK's IAM quotas (issue
// 16, part 2). See docs/performance.md, "The storm", for what it does and does not model.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionState } from '../scripts/kafka/admin';
import { LocalKafka } from '../scripts/kafka/local-kafka';
import { UsageError } from './plan';
import { ClusterStartError, killStormCluster, startStormCluster, stormInstance } from './storm/cluster';
import { busyBetween, machineCpu, ownCpuSeconds } from './storm/cpu';
import { brokerLimits, parseStormArgs, USAGE } from './storm/flags';
import { Fleet } from './storm/fleet';
import { renderTable, summarize } from './storm/report';
import { deferCleanup, runCleanups } from './support/cleanup';
import { Progress } from './support/progress';

const REPO_ROOT = path.resolve(__dirname, '..');
/** Each function's timeout in serverless.yml (12 s by default, health 6 s): getRemainingTimeInMillis counts down from it. */
const LAMBDA_TIMEOUT_MS = { order: 12_000, batch: 12_000, health: 6_000 } as const;

function commit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
  return head ? `${head}${dirty ? ' (with uncommitted changes)' : ''}` : 'unknown';
}

const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** "p0→1 p1→2 p2→3": each partition's leader. */
const leaders = (partitions: readonly PartitionState[]) => partitions.map(({ partition, leader }) => `p${partition}→${leader}`).join(' ');

async function main(): Promise<number> {
  // Every flag is checked before anything starts.
  const options = parseStormArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const limits = brokerLimits(options);
  const startedAt = new Date();
  const loadAverageStart = os.loadavg()[0] ?? Number.NaN;
  const progress = new Progress(4);
  const instance = stormInstance();
  const kafka = new LocalKafka(instance, (line) => progress.note(line));

  progress.begin(
    `cluster: 3 brokers in ${path.relative(REPO_ROOT, instance.stateDir) || instance.stateDir}, client listener limited to ${options.maxConnections} connections and ${options.connectionRate} new/s per broker`,
  );
  // Registered before the start, which may still launch JVMs after a first stop (it formats the
  // storage first): then it is stopped again once the start has given up.
  let starting: Promise<unknown> | undefined;
  deferCleanup(async () => {
    await kafka.quiet().stop({ brokers: 3 });
    if (starting) {
      await Promise.race([starting.catch(() => undefined), sleep(60_000)]);
      await kafka.quiet().stop({ brokers: 3 });
    }
  });
  forceStop = () => killStormCluster(kafka);
  const clusterStarted = Date.now();
  starting = startStormCluster(kafka, limits, (line) => progress.note(line));
  const cluster = await (starting as ReturnType<typeof startStormCluster>);
  starting = undefined;
  const partitionsBefore = await cluster.partitions();
  progress.finish(
    `Kafka ${cluster.version}, clients on ${cluster.clientBootstrap}, topic ${cluster.topic} (3 partitions, rf 3, min.insync 2; leaders ${leaders(partitionsBefore)})`,
  );
  const clusterStartSeconds = (Date.now() - clusterStarted) / 1000;

  progress.begin(`${options.workers} worker processes`);
  const logDir = path.join(instance.stateDir, 'storm-logs');
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: cluster.clientBootstrap, LOG_LEVEL: 'WARN' };
  // Not a deployed Lambda, nor `sls invoke local`, and no idempotency table.
  for (const name of ['IDEMPOTENCY_TABLE', 'AWS_LAMBDA_FUNCTION_NAME', 'IS_LOCAL', 'KAFKA_TOPIC']) delete env[name];
  const fleet = new Fleet();
  deferCleanup(() => fleet.kill());
  await fleet.start(
    options.workers,
    {
      clientBootstrap: cluster.clientBootstrap,
      topic: cluster.topic,
      durationMs: options.duration * 1000,
      intervalMs: options.interval * 1000,
      lambdaTimeoutMs: LAMBDA_TIMEOUT_MS[options.function],
      logLevel: 'WARN',
      function: options.function,
    },
    logDir,
    env,
  );
  progress.finish(`loaded; their logs in ${path.relative(REPO_ROOT, logDir)}/`);

  const rampSeconds = options.environments / options.ramp;
  progress.begin(
    `storm: ${options.environments} environments of the ${options.function} function at ${options.ramp}/s (${rampSeconds.toFixed(1)} s), each invoked every ${options.interval} s for ${options.duration} s`,
  );
  const stormStarted = Date.now();
  const clusterCpuBefore = cluster.cpuSeconds();
  const coordinatorCpuBefore = ownCpuSeconds();
  const machineBefore = machineCpu();
  let coldStarts: { seconds: number; machineBusyFraction: number } | undefined;
  fleet.onColdStartsDone = () => {
    coldStarts = { seconds: (Date.now() - stormStarted) / 1000, machineBusyFraction: busyBetween(machineBefore, machineCpu()).fraction };
  };
  const ticker = setInterval(() => {
    const { started, answered, ok, sent, acked } = fleet.progress;
    progress.note(
      `${Math.round((Date.now() - stormStarted) / 1000)} s: ${started}/${options.environments} started, ${answered} first answers (${ok} 2xx), ${sent} orders sent, ${acked} acked`,
    );
  }, 5_000);
  let result: Awaited<ReturnType<Fleet['run']>>;
  try {
    result = await fleet.run(options.environments, options.ramp, (rampSeconds + options.duration + 120) * 1000);
  } finally {
    clearInterval(ticker);
  }
  const stormSeconds = (Date.now() - stormStarted) / 1000;
  const brokerRssMb = cluster.brokerRssMb();
  const clusterCpuSeconds = cluster.cpuSeconds() - clusterCpuBefore;
  const coordinatorCpuSeconds = ownCpuSeconds() - coordinatorCpuBefore;
  const machine = busyBetween(machineBefore, machineCpu());
  const workersCpuSeconds = result.workers.reduce((total, worker) => total + worker.cpuSeconds, 0);
  const partitionsAfter = await cluster.partitions().catch(() => []);
  const report = summarize({
    options,
    limits,
    brokers: cluster.brokers,
    environments: result.environments,
    sockets: result.sockets,
    endAt: result.endAt,
  });
  progress.finish(
    `${report.acked}/${report.environments} first orders acked, ${report.connectionsPerEnvironment} connections per environment`,
  );

  progress.begin('stopping the cluster');
  await runCleanups();
  progress.finish('stopped');

  const output = {
    ...report,
    wallSeconds: Number(((Date.now() - startedAt.getTime()) / 1000).toFixed(1)),
    stormSeconds: Number(stormSeconds.toFixed(1)),
    clusterStartSeconds: Number(clusterStartSeconds.toFixed(1)),
    startedAt: startedAt.toISOString(),
    commit: commit(),
    flags: options,
    kafka: {
      version: cluster.version,
      clientBootstrap: cluster.clientBootstrap,
      topic: cluster.topic,
      partitions: { before: partitionsBefore, after: partitionsAfter },
    },
    memory: { workers: result.workers.map(({ cpuSeconds: _, ...memory }) => memory), brokerRssMb },
    // How busy the machine was during the storm, and who kept it busy: a shared machine shows here.
    cpu: {
      availableSeconds: Number((stormSeconds * os.availableParallelism()).toFixed(1)),
      machineBusySeconds: machine.seconds,
      machineBusyFraction: machine.fraction,
      workersSeconds: Number(workersCpuSeconds.toFixed(1)),
      clusterSeconds: Number(clusterCpuSeconds.toFixed(1)),
      coordinatorSeconds: Number(coordinatorCpuSeconds.toFixed(1)),
      otherProcessesSeconds: Number((machine.seconds - workersCpuSeconds - clusterCpuSeconds - coordinatorCpuSeconds).toFixed(1)),
      /** From the ramp's start to the last first answer. */
      coldStarts: coldStarts && { seconds: Number(coldStarts.seconds.toFixed(1)), machineBusyFraction: coldStarts.machineBusyFraction },
    },
    machine: {
      cpus: os.availableParallelism(),
      node: process.version,
      loadAverage: { start: Number(loadAverageStart.toFixed(2)), end: Number((os.loadavg()[0] ?? Number.NaN).toFixed(2)) },
    },
  };
  const table = `\n${renderTable(report)}\n\nwall ${output.wallSeconds} s (cluster start ${output.clusterStartSeconds} s, storm ${output.stormSeconds} s); commit ${output.commit}; load average ${output.machine.loadAverage.start} → ${output.machine.loadAverage.end}\ncpu during the storm: ${percent(output.cpu.machineBusyFraction)} of ${output.machine.cpus} cores busy (workers ${output.cpu.workersSeconds} s, Kafka ${output.cpu.clusterSeconds} s, other processes ${output.cpu.otherProcessesSeconds} s)${coldStarts ? `; ${percent(coldStarts.machineBusyFraction)} during the cold starts (the first ${coldStarts.seconds.toFixed(1)} s)` : ''}\n`;
  if (options.json) {
    process.stderr.write(table);
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } else {
    process.stdout.write(table);
  }
  return 0;
}

let interrupted = false;
let interruptedAt = 0;
/** A second Ctrl-C: SIGKILL to the brokers, at once. */
let forceStop: () => void = () => {};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      // A Ctrl-C reaches this process twice: from the terminal, and relayed by tsx's own process.
      if (Date.now() - interruptedAt < 2_000) return;
      process.stderr.write(`\n${signal} again: killing the brokers and the workers now\n`);
      forceStop();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    interrupted = true;
    interruptedAt = Date.now();
    process.stderr.write(`\n${signal}: stopping the workers and the cluster…\n`);
    void runCleanups().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    if (interrupted) return;
    process.stderr.write(
      `\n${error instanceof UsageError || error instanceof ClusterStartError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await runCleanups();
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
