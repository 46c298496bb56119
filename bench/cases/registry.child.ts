// Case 10, without Kafka: what registry mode costs against plain JSON (issue 18). The real
// handlers and use case with a publisher that answers at once, in three modes taking turns call by
// call: plain JSON values, JSON Schema framed, Avro framed. The schema id is resolved once, before
// timing, as a warm environment has it (the registry is not asked again); a registry answering at
// once stands in for it. Also the value alone per order, and its size. Run by bench/run.ts.
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { type Order, OrderSchema } from '../../lib/orders/schema';
import { createRuntime } from '../../lib/runtime';
import { schemaFormat } from '../../lib/schema/formats';
import { frame } from '../../lib/schema/framing';
import { RegistryClient } from '../../lib/schema/registry-client';
import { RegistryValues } from '../../lib/schema/registry-values';
import type { BenchPlan } from '../plan';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, warmUp } from '../support/measure';
import { apiGatewayEvent, benchOrder, lambdaContext, orderBatch, singleOrderEvents } from '../support/orders';
import { instantOrders } from './instant';
import { expectStatus, type TimedSummary, timedSummary } from './shared';

export const MODES = ['plain', 'json', 'avro'] as const;
export type Mode = (typeof MODES)[number];

export interface RegistryResult {
  /** POST /orders through the handler, per request. */
  single: Record<Mode, TimedSummary>;
  /** POST /orders/batch of `batchSize` orders, per batch. */
  batch: Record<Mode, TimedSummary>;
  batchSize: number;
  /** The value of one order alone: JSON.stringify, or the framed encoding; mean µs of CPU. */
  valueUs: Record<Mode, number>;
  /** Mean bytes of a value, over the bench's orders. */
  valueBytes: Record<Mode, number>;
}

/** A registry whose latest version under any subject is this code's schema of the format, with id 1. */
function instantRegistry(format: 'json' | 'avro'): RegistryClient {
  const body = JSON.stringify({ id: 1, version: 1, schema: schemaFormat(format).schema });
  return new RegistryClient({
    url: 'http://registry.bench',
    fetch: (async () => new Response(body, { status: 200 })) as unknown as typeof fetch,
  });
}

async function handlers(mode: Mode) {
  // SILENT: the log line costs the same in every mode, and only adds noise to the difference.
  const runtime = createRuntime(parseConfig({ ...process.env, LOG_LEVEL: 'SILENT' }));
  const values =
    mode === 'plain'
      ? undefined
      : new RegistryValues({
          client: instantRegistry(mode),
          format: schemaFormat(mode),
          subject: 'order-events-value',
          autoRegister: false,
          logger: runtime.logger,
        });
  await values?.resolve(new Deadline(Date.now() + 5_000));
  const orders = instantOrders(runtime, values);
  const deps = { ...runtime.publishDeps, orders };
  return { single: makePublishOrderHandler(deps), batch: makePublishOrdersBatchHandler(deps) };
}

async function main(): Promise<RegistryResult> {
  const { plan } = childInput<{ plan: BenchPlan }>();
  const events = singleOrderEvents();
  const batchEvents = Array.from({ length: 4 }, (_, index) =>
    apiGatewayEvent(JSON.stringify({ orders: orderBatch(index * plan.batchSize, plan.batchSize) }), '/orders/batch'),
  );
  const byMode = await Promise.all(MODES.map(handlers));
  const report = progressReporter(
    plan.cpuWarmup + plan.cpuIterations + plan.batchWarmup + plan.batchIterations,
    'plain, JSON Schema, Avro, taking turns',
  );

  const singleTasks = byMode.map(
    ({ single }) =>
      async (iteration: number) =>
        expectStatus(await single(events[iteration % events.length] as (typeof events)[number], lambdaContext()), 201),
  );
  await warmUp(singleTasks, plan.cpuWarmup, (done) => report(done));
  const singles = await alternate(singleTasks, plan.cpuIterations, (done) => report(plan.cpuWarmup + done));

  const batchTasks = byMode.map(
    ({ batch }) =>
      async (iteration: number) =>
        expectStatus(await batch(batchEvents[iteration % batchEvents.length] as (typeof batchEvents)[number], lambdaContext()), 201),
  );
  const before = plan.cpuWarmup + plan.cpuIterations;
  await warmUp(batchTasks, plan.batchWarmup, (done) => report(before + done));
  const batches = await alternate(batchTasks, plan.batchIterations, (done) => report(before + plan.batchWarmup + done));

  // The value alone, per order.
  const orders: Order[] = Array.from({ length: 100 }, (_, index) => OrderSchema.parse(benchOrder(index)));
  const encoders: Record<Mode, (order: Order) => string | Buffer> = {
    plain: (order) => JSON.stringify(order),
    json: (order) => frame(1, schemaFormat('json').encode(order)),
    avro: (order) => frame(1, schemaFormat('avro').encode(order)),
  };
  const valueUs = {} as Record<Mode, number>;
  const valueBytes = {} as Record<Mode, number>;
  const rounds = 2_000;
  for (const mode of MODES) {
    const encode = encoders[mode];
    for (let round = 0; round < rounds / 4; round++) for (const order of orders) encode(order);
    const cpu = process.cpuUsage();
    for (let round = 0; round < rounds; round++) for (const order of orders) encode(order);
    const used = process.cpuUsage(cpu);
    valueUs[mode] = (used.user + used.system) / (rounds * orders.length);
    valueBytes[mode] = orders.reduce((sum, order) => sum + Buffer.byteLength(encode(order)), 0) / orders.length;
  }

  const summaries = <T>(timings: T[], summarize: (timing: T) => TimedSummary) =>
    Object.fromEntries(MODES.map((mode, index) => [mode, summarize(timings[index] as T)])) as Record<Mode, TimedSummary>;
  return {
    single: summaries(singles, timedSummary),
    batch: summaries(batches, timedSummary),
    batchSize: plan.batchSize,
    valueUs,
    valueBytes,
  };
}

runAsChild(main);
