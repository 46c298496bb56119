// A worker process of `npm run storm` (bench/storm.ts). It hosts some of the simulated execution
// environments: each one builds its own runtime (configuration, Powertools logger and metrics,
// kafkajs clients and sockets) as a cold Lambda environment does in INIT, answers its first order
// through the real handler, then one order every --interval seconds for --duration seconds. Its
// stdout and stderr (the handler's log lines, at WARN, and its metric lines) go to a log file.
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { makeHealthHandler } from '../../handlers/health';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime } from '../../lib/runtime';
import { childInput } from '../support/child';
import { apiGatewayEvent, benchOrder, lambdaContext, orderBatch } from '../support/orders';
import { ownCpuSeconds } from './cpu';
import type { CoordinatorMessage, EnvironmentRecord, WorkerInput, WorkerMessage } from './messages';
import { environment, now, traceSockets } from './sockets';

const input = childInput<WorkerInput>();
const sockets = traceSockets();
const records: EnvironmentRecord[] = [];
const running = new Set<Promise<void>>();
let ended = false;
let sent = 0;
let acked = 0;

/** Each runtime's environment variables, as serverless.yml gives them; no idempotency table. */
const runtimeEnv = {
  KAFKA_BROKERS: input.clientBootstrap,
  KAFKA_TOPIC: input.topic,
  KAFKA_CLIENT_ID: 'order-producer-storm',
  PUBLISH_TIMEOUT_MS: '10000',
  DEADLINE_MARGIN_MS: '500',
  HEALTH_TIMEOUT_MS: '2000',
  LOG_LEVEL: input.logLevel,
};

/** "503: Kafka did not accept a connection (producer) before the deadline". */
function failureReason(response: APIGatewayProxyResult): string {
  let detail = '';
  try {
    const problem = JSON.parse(response.body) as { title?: string; detail?: string };
    detail = problem.detail ?? problem.title ?? '';
  } catch {
    detail = response.body.slice(0, 80);
  }
  return `${response.statusCode}: ${detail.replace(/\d+/g, '#').slice(0, 200)}`;
}

const BATCH_SIZE = 10;

/** The handler of the function the environments are of, as its module builds it from the runtime. */
function functionHandler(runtime: ReturnType<typeof createRuntime>) {
  if (input.function === 'batch') return makePublishOrdersBatchHandler(runtime.publishDeps);
  if (input.function === 'health') {
    const health = makeHealthHandler({
      publisher: runtime.publisher,
      logger: runtime.logger,
      metrics: runtime.metrics,
      timeoutMs: runtime.config.healthTimeoutMs,
    });
    return (_event: unknown, context: ReturnType<typeof lambdaContext>) => health(undefined, context);
  }
  return makePublishOrderHandler(runtime.publishDeps);
}

async function runEnvironment(id: number, scheduledAt: number): Promise<void> {
  const record: EnvironmentRecord = { id, worker: input.worker, scheduledAt, startedAt: now(), sent: 0, acked: 0, failures: {} };
  records.push(record);
  await environment.run(id, async () => {
    try {
      const runtime = createRuntime(parseConfig(runtimeEnv));
      const handler = functionHandler(runtime);
      const endsAt = record.startedAt + input.durationMs;
      for (let invocation = 0; ; invocation++) {
        // Keys (user ids) are benchOrder's index modulo 100: (id + invocation) % 100, so that the
        // environments' first orders spread over the partitions, as different shoppers' would.
        const first = id * 10_001 + invocation;
        const event =
          input.function === 'batch'
            ? apiGatewayEvent(JSON.stringify({ orders: orderBatch(first, BATCH_SIZE) }), '/orders/batch')
            : apiGatewayEvent(JSON.stringify(benchOrder(first)));
        const response = await handler(event, lambdaContext(`storm-${id}-${invocation}`, input.lambdaTimeoutMs));
        const answeredAt = now();
        const ok = response.statusCode >= 200 && response.statusCode < 300;
        record.sent++;
        sent++;
        if (ok) {
          record.acked++;
          acked++;
          record.firstOkAt ??= answeredAt;
        } else {
          const reason = failureReason(response);
          record.failures[reason] = (record.failures[reason] ?? 0) + 1;
        }
        if (invocation === 0) {
          record.first = { status: response.statusCode, answeredAt };
          send({ type: 'first', id, ok });
        }
        const next = record.startedAt + (invocation + 1) * input.intervalMs;
        if (next >= endsAt) break;
        await sleep(Math.max(0, next - now()));
      }
      // Warm and idle to the end, its connections open, as Lambda keeps an environment.
      await sleep(Math.max(0, endsAt - now()));
    } catch (error) {
      record.crashed = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (!record.first) send({ type: 'first', id, ok: false });
    }
  });
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** Once told that no environment is coming and every one has finished: the records, then exit. */
async function finishIfDone(): Promise<void> {
  if (!ended || running.size > 0) return;
  ended = false;
  const memory = process.memoryUsage();
  await send({
    type: 'result',
    environments: records,
    sockets,
    endAt: now(),
    rssMb: memory.rss / 2 ** 20,
    heapUsedMb: memory.heapUsed / 2 ** 20,
    cpuSeconds: ownCpuSeconds(),
  });
  // The warm clients' sockets would keep the process alive; they close with it.
  process.exit(0);
}

if (!process.send) {
  process.stderr.write('bench/storm/worker.ts runs as a worker of bench/storm.ts (npm run storm)\n');
  process.exit(2);
}
// The coordinator gone (killed, say): nothing is left to report to.
if (!process.connected) process.exit(1);
process.on('disconnect', () => process.exit(1));
// A Ctrl-C reaches the whole process group: the coordinator decides, and stops the workers with SIGTERM.
process.on('SIGINT', () => {});
process.on('message', (message: CoordinatorMessage) => {
  if (message.type === 'start') {
    const run: Promise<void> = runEnvironment(message.id, message.scheduledAt).finally(() => {
      running.delete(run);
      void finishIfDone();
    });
    running.add(run);
  } else if (message.type === 'end') {
    ended = true;
    void finishIfDone();
  }
});
setInterval(() => void send({ type: 'tally', sent, acked }), 2_000).unref();
void send({ type: 'ready', cpuSeconds: ownCpuSeconds() });
