import { type ChildProcess, spawn } from 'node:child_process';
import { SINGLE_BOOTSTRAP } from '../../scripts/kafka.mjs';

const port = Number(process.env.OFFLINE_HTTP_PORT ?? 3100);
const START_TIMEOUT_MS = 120_000;

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

/**
 * Serves the functions over real HTTP with serverless-offline, as `npm run dev` does. Started by
 * the tests that use it, not in a global setup: global setups all run before the first test, and
 * `sls package` in another project would rebuild the .esbuild folder under a running server.
 */
export async function startOffline(): Promise<{ url: string; stop: () => Promise<void> }> {
  const baseUrl = `http://127.0.0.1:${port}`;
  if (await answers(baseUrl)) throw new Error(`Port ${port} is taken; set OFFLINE_HTTP_PORT to a free port`);
  const child = spawn(
    'npx',
    [
      'serverless',
      'offline',
      'start',
      '--httpPort',
      String(port),
      '--lambdaPort',
      String(port + 2),
      '--host',
      '127.0.0.1',
      '--param',
      `kafkaBrokers=${process.env.KAFKA_BROKERS ?? SINGLE_BOOTSTRAP}`,
      '--param',
      'logLevel=WARN',
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true' },
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const until = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(baseUrl))) {
    if (child.exitCode !== null || Date.now() > until) {
      await stop(child);
      throw new Error(`serverless-offline did not start on port ${port}:\n${output.slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url: `${baseUrl}/dev`, stop: () => stop(child) };
}
