// Cases 5 and 6 run what Lambda runs: the bundles that `serverless package` writes, in plain Node
// processes with the environment that the packaged CloudFormation template gives each function.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BenchPlan } from '../plan';
import { apiGatewayEvent, benchOrder, singleOrderEvents } from '../support/orders';
import { runOrThrow } from '../support/spawn';
import { serverlessCli, serviceParams } from '../support/stage';
import { type LatencySummary, summarize } from '../support/stats';
import { extractZip } from '../support/zip';

export interface PackagedFunction {
  name: string;
  zipBytes: number;
  /** The handler's file, extracted from its zip. */
  file: string;
  env: Record<string, string>;
}

export interface PackagedService {
  functions: PackagedFunction[];
  packageSeconds: number;
}

interface TemplateFunction {
  Type: string;
  Properties: { Handler: string; Environment?: { Variables?: Record<string, unknown> }; Code: { S3Key: unknown } };
}

/** `serverless package` into the staged copy, then each function's zip, extracted, with its environment. */
export async function packageService(stageDir: string, repoRoot: string, bootstrap: string, topic: string): Promise<PackagedService> {
  const artifactDir = path.join(stageDir, 'artifact');
  const cli = serverlessCli(repoRoot);
  const started = performance.now();
  await runOrThrow(cli.command, [...cli.args, 'package', '--package', artifactDir, ...serviceParams(bootstrap, topic)], {
    cwd: stageDir,
    timeoutMs: 300_000,
  });
  const packageSeconds = (performance.now() - started) / 1000;
  const template = JSON.parse(readFileSync(path.join(artifactDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, TemplateFunction>;
  };
  const functions = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource): PackagedFunction => {
      const zipName = path.basename(String(resource.Properties.Code.S3Key));
      const zipPath = path.join(artifactDir, zipName);
      const unpacked = path.join(stageDir, 'unpacked', zipName.replace(/\.zip$/, ''));
      extractZip(readFileSync(zipPath), unpacked);
      const handlerModule = resource.Properties.Handler.replace(/\.[^.]+$/, '');
      const variables = resource.Properties.Environment?.Variables ?? {};
      const env = Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      return {
        name: zipName.replace(/\.zip$/, ''),
        zipBytes: statSync(zipPath).size,
        file: path.join(unpacked, `${handlerModule}.js`),
        env,
      };
    });
  if (functions.length === 0) throw new Error(`No Lambda function in the template of ${artifactDir}`);
  return { functions, packageSeconds };
}

export function publishOrderFunction(service: PackagedService): PackagedFunction {
  const fn = service.functions.find((candidate) => candidate.name === 'publishOrder');
  if (!fn) throw new Error(`No publishOrder function among ${service.functions.map((candidate) => candidate.name).join(', ')}`);
  return fn;
}

/**
 * A plain Node process (no TypeScript loader) with only the function's environment, and the
 * region Lambda's runtime sets, as Lambda starts it. NODE_PATH stands in for the AWS SDK that the
 * Lambda runtime provides and that the bundle leaves out (serverless.yml: esbuild exclude @aws-sdk/*).
 */
function spawnProbe(probe: string, args: string[], fn: PackagedFunction, repoRoot: string, nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, probe, ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(repoRoot, 'node_modules'), AWS_REGION: 'eu-west-1', ...fn.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}

type ProbeMessage = { type?: string; error?: string; message?: string; done?: number; total?: number; result?: unknown } & Record<
  string,
  unknown
>;

function probeResult<T>(child: ChildProcess, onMessage: (message: ProbeMessage) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let result: T | undefined;
    let failure: string | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-3_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (message: ProbeMessage) => {
      if (message.error || message.type === 'error') failure = message.error ?? message.message;
      else result = onMessage(message) ?? result;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`Probe failed (exit ${code}): ${failure ?? ''}\n${stderr}`));
    });
  });
}

export interface ColdStartResult {
  zips: { name: string; bytes: number }[];
  packageSeconds: number;
  /** require() of the bundle, in ms, per fresh process. */
  moduleLoad: LatencySummary;
  /** From the process's start to the first publish acknowledged by Kafka, in ms. */
  firstAck: LatencySummary;
  /** From the process's start to the first line of the probe: Node's own start, in ms. */
  nodeStart: LatencySummary;
}

interface ColdProbeReport {
  beforeLoadMs: number;
  loadMs: number;
  firstAckMs: number;
  statusCode: number;
}

export async function measureColdStart(
  service: PackagedService,
  plan: BenchPlan,
  repoRoot: string,
  onProgress: (done: number, total: number) => void,
): Promise<ColdStartResult> {
  const fn = publishOrderFunction(service);
  const probe = path.join(repoRoot, 'bench', 'probes', 'cold-start.cjs');
  const reports: ColdProbeReport[] = [];
  for (let index = 0; index < plan.coldStarts; index++) {
    const event = JSON.stringify(apiGatewayEvent(JSON.stringify(benchOrder(index))));
    const report = await probeResult(
      spawnProbe(probe, [fn.file, event], fn, repoRoot),
      (message) => message as unknown as ColdProbeReport,
      60_000,
    );
    if (report.statusCode !== 201) throw new Error(`The cold handler answered ${report.statusCode}`);
    reports.push(report);
    onProgress(index + 1, plan.coldStarts);
  }
  return {
    zips: service.functions.map((candidate) => ({ name: candidate.name, bytes: candidate.zipBytes })),
    packageSeconds: service.packageSeconds,
    moduleLoad: summarize(reports.map((report) => report.loadMs)),
    firstAck: summarize(reports.map((report) => report.firstAckMs)),
    nodeStart: summarize(reports.map((report) => report.beforeLoadMs)),
  };
}

export interface MemorySample {
  publishes: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface MemoryRun {
  samples: MemorySample[];
  /** Heap still referenced after a forced full GC, at half of the publishes and at the end. */
  liveHeapMb: Record<string, number>;
}

export interface MemoryResult {
  publishes: number;
  /** The bundled handler. */
  handler: MemoryRun;
  /** The reference: bare kafkajs in the same kind of process, with the same records. */
  bare: MemoryRun;
}

function memoryRun(
  target: string,
  fn: PackagedFunction,
  plan: BenchPlan,
  repoRoot: string,
  onProgress: (done: number, total: number) => void,
) {
  const probe = path.join(repoRoot, 'bench', 'probes', 'memory.cjs');
  const events = JSON.stringify(singleOrderEvents());
  const child = spawnProbe(probe, [target, events, String(plan.memoryPublishes)], fn, repoRoot, ['--expose-gc']);
  return probeResult(
    child,
    (message) => {
      if (message.type === 'progress') onProgress(message.done ?? 0, message.total ?? plan.memoryPublishes);
      return message.type === 'result' ? (message.result as MemoryRun) : undefined;
    },
    600_000,
  );
}

export async function measureMemory(
  service: PackagedService,
  plan: BenchPlan,
  repoRoot: string,
  onProgress: (done: number, total: number, detail: string) => void,
): Promise<MemoryResult> {
  const fn = publishOrderFunction(service);
  const handler = await memoryRun(fn.file, fn, plan, repoRoot, (done, total) => onProgress(done, total, 'bundled handler'));
  const bare = await memoryRun('bare', fn, plan, repoRoot, (done, total) => onProgress(done, total, 'bare kafkajs (reference)'));
  return { publishes: plan.memoryPublishes, handler, bare };
}
