// Case 3: the handler over real HTTP, through serverless-offline, driven by autocannon: one
// connection (requests one after another) and several at once.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import autocannon from 'autocannon';
import type { BenchPlan } from '../plan';
import { deferCleanup } from '../support/cleanup';
import { benchOrder, KEY_COUNT, TRACE_ID } from '../support/orders';
import { serverlessCli, serviceParams } from '../support/stage';
import { type LatencySummary, perSecond, summarize } from '../support/stats';

export interface HttpLoad {
  connections: number;
  requests: number;
  requestsPerSecond: number;
  latency: LatencySummary;
}

export interface HttpResult {
  sequential: HttpLoad;
  concurrent: HttpLoad;
}

export interface HttpInput {
  plan: BenchPlan;
  stageDir: string;
  repoRoot: string;
  bootstrap: string;
  topic: string;
  port: number;
  onProgress: (done: number, total: number, detail: string) => void;
}

const START_TIMEOUT_MS = 180_000;

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** serverless-offline in its own process group, so that stopping it also stops its workers. */
async function startOffline({
  stageDir,
  repoRoot,
  bootstrap,
  topic,
  port,
}: HttpInput): Promise<{ stop: () => Promise<void>; output: () => string }> {
  for (const taken of [port, port + 2]) {
    if (await portInUse(taken))
      throw new Error(`Port ${taken} is in use; set BENCH_HTTP_PORT to a free port (serverless-offline also takes that + 2)`);
  }
  const cli = serverlessCli(repoRoot);
  const args = ['offline', 'start', '--httpPort', String(port), '--lambdaPort', String(port + 2), '--host', '127.0.0.1'];
  const child = spawn(cli.command, [...cli.args, ...args, ...serviceParams(bootstrap, topic)], {
    cwd: stageDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // The handler's log lines come through here: keep only the end, for an error message.
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const forget = deferCleanup(() => stopGroup(child));
  return {
    stop: async () => {
      forget();
      await stopGroup(child);
    },
    output: () => output,
  };
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
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

async function waitUntilServing(baseUrl: string, output: () => string): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      // The first answer also connects the health check's admin client.
      await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      if (Date.now() > until)
        throw new Error(`serverless-offline did not answer within ${START_TIMEOUT_MS / 1000} s:\n${output().slice(-3_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * `requests` POSTs over `connections` keep-alive connections. Latency is taken from each answer
 * (autocannon's own histogram rounds to whole milliseconds); a non-2xx answer fails the case.
 */
async function load(url: string, connections: number, requests: number, onDone: (done: number) => void): Promise<HttpLoad> {
  const latencies: number[] = [];
  // The span from the first request's start to the last answer: autocannon itself only stops at
  // its next one-second tick, which would count idle time against the server.
  let firstStart = Number.POSITIVE_INFINITY;
  let lastAnswer = 0;
  // The orders of case 1, one key after another, so that they spread over the partitions alike.
  const bodies = Array.from({ length: KEY_COUNT }, (_, index) => JSON.stringify(benchOrder(index)));
  let sent = 0;
  const instance = autocannon({
    url,
    method: 'POST',
    // API Gateway adds X-Amzn-Trace-Id and serverless-offline does not: sent here, so that the
    // records carry the same headers as in case 1.
    headers: { 'content-type': 'application/json', 'x-amzn-trace-id': TRACE_ID },
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[sent++ % bodies.length] }) }],
    connections,
    amount: requests,
    timeout: 30,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    const now = performance.now();
    firstStart = Math.min(firstStart, now - responseTimeMs);
    lastAnswer = now;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
    onDone(latencies.length);
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors out of ${requests} requests to ${url}`);
  }
  return {
    connections,
    requests: latencies.length,
    requestsPerSecond: perSecond(latencies.length, lastAnswer - firstStart),
    latency: summarize(latencies),
  };
}

export async function measureHttp(input: HttpInput): Promise<HttpResult> {
  const { plan, port, onProgress } = input;
  const baseUrl = `http://127.0.0.1:${port}/dev`;
  const offline = await startOffline(input);
  try {
    onProgress(0, 1, 'starting serverless-offline (it builds the handlers first)');
    await waitUntilServing(baseUrl, offline.output);
    const url = `${baseUrl}/orders`;
    await load(url, 1, plan.httpWarmup, (done) => onProgress(done, plan.httpWarmup, 'warm-up'));
    const sequential = await load(url, 1, plan.httpSequential, (done) => onProgress(done, plan.httpSequential, '1 connection'));
    const concurrent = await load(url, plan.httpConnections, plan.httpConcurrent, (done) =>
      onProgress(done, plan.httpConcurrent, `${plan.httpConnections} connections`),
    );
    return { sequential, concurrent };
  } finally {
    await offline.stop();
  }
}
