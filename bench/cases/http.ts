// Case 3: the handler over real HTTP, through serverless-offline, driven by autocannon: one
// connection (requests one after another) and several at once.
import autocannon from 'autocannon';
import { type OfflineServer, startOffline } from '../../test/support/offline';
import type { BenchPlan } from '../plan';
import { deferCleanup } from '../support/cleanup';
import { benchOrder, KEY_COUNT, TRACE_ID } from '../support/orders';
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

/** serverless-offline on the scratch copy, at the deployed log level; stopped by the bench's cleanup too. */
async function startBenchOffline({ stageDir, bootstrap, topic, port }: HttpInput): Promise<OfflineServer> {
  const server = await startOffline({ port, brokers: bootstrap, topic, cwd: stageDir, logLevel: 'INFO', esbuildWorkFolder: '.esbuild' });
  const forget = deferCleanup(() => server.stop());
  return {
    ...server,
    stop: async () => {
      forget();
      await server.stop();
    },
  };
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
  const offline = await startBenchOffline(input);
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
