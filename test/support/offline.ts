import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { testKafka } from '../../scripts/kafka/local-kafka';

const ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 180_000;

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const group = -child.pid;
  return new Promise((resolve) => {
    const force = setTimeout(() => process.kill(group, 'SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    process.kill(group, 'SIGTERM');
  });
}

export interface OfflineServer {
  /** e.g. http://127.0.0.1:3100/dev */
  baseUrl: string;
  /** The last lines serverless-offline printed. */
  output(): string;
  stop(): Promise<void>;
}

export interface OfflineOptions {
  /** The HTTP port; the Lambda port is this + 2. */
  port?: number;
  brokers?: string;
  topic?: string;
  /** Its bundles' folder, so that no other build (sls package, another server) replaces them under it. */
  esbuildWorkFolder?: string;
  logLevel?: string;
  /** The service's folder: the repository, or a copy of it (the bench serves a scratch copy). */
  cwd?: string;
  /** More environment for the functions: serverless-offline passes AWS_* variables on (the idempotency store's endpoint). */
  env?: Record<string, string>;
}

/**
 * Serves the functions over real HTTP with serverless-offline, as `npm run dev` does, in its own
 * process group. Started by the tests that use it, not in a global setup: global setups all run
 * before the first test, while other projects still build. Each concurrent request gets a Lambda
 * worker of its own that stays warm, as in Lambda.
 */
export async function startOffline({
  port = Number(process.env.OFFLINE_HTTP_PORT ?? 3100),
  brokers = process.env.KAFKA_BROKERS ?? testKafka.bootstrap(1),
  topic = 'order-events',
  esbuildWorkFolder = `.esbuild-offline-${port}`,
  logLevel = 'WARN',
  cwd = ROOT,
  env = {},
}: OfflineOptions = {}): Promise<OfflineServer> {
  const origin = `http://127.0.0.1:${port}`;
  if (await answers(origin)) throw new Error(`Port ${port} is taken; pick another port`);
  const child = spawn(
    path.join(ROOT, 'node_modules', '.bin', 'serverless'),
    [
      'offline',
      'start',
      '--httpPort',
      String(port),
      '--lambdaPort',
      String(port + 2),
      '--host',
      '127.0.0.1',
      '--param',
      `kafkaBrokers=${brokers}`,
      '--param',
      `kafkaTopic=${topic}`,
      '--param',
      `logLevel=${logLevel}`,
    ],
    {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, POWERTOOLS_METRICS_DISABLED: 'true', ESBUILD_WORK_FOLDER: esbuildWorkFolder },
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const until = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(origin))) {
    if (child.exitCode !== null || Date.now() > until) {
      await stop(child);
      throw new Error(`serverless-offline did not start on port ${port}:\n${output.slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { baseUrl: `${origin}/dev`, output: () => output, stop: () => stop(child) };
}
