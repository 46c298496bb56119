// Case 1, without Kafka: the handler's own CPU time per request (parse, validate, build the
// record, log, count, answer), with a publisher that answers at once. Also the cost of each step
// on its own, to point at what to make cheaper. Run by bench/run.ts in a child process.
import { randomUUID } from 'node:crypto';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { MAX_ORDER_BODY_BYTES } from '../../lib/http/limits';
import { readRecordContext } from '../../lib/http/record-context';
import { readJsonBody } from '../../lib/http/request';
import { jsonResponse } from '../../lib/http/responses';
import { toOrderMessage } from '../../lib/orders/event';
import { OrderSchema } from '../../lib/orders/schema';
import { createRuntime } from '../../lib/runtime';
import { parseOrThrow } from '../../lib/validation';
import type { BenchPlan } from '../plan';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { meanCost } from '../support/measure';
import { lambdaContext, singleOrderEvents } from '../support/orders';
import { instantOrders } from './instant';
import { expectStatus } from './shared';

/** Mean cost of one call, in microseconds. */
export interface Cost {
  cpuUs: number;
  wallUs: number;
}

export interface CpuResult {
  /** The whole handler, logging at INFO (the deployed level): its log and metric lines go to /dev/null. */
  handlerInfo: Cost;
  /** The same with LOG_LEVEL=SILENT: what the log line costs. The metric (EMF) line is still written. */
  handlerSilent: Cost;
  /** Each step alone, at INFO. */
  steps: Record<string, Cost>;
}

/** The real handler and use case, with the instant publisher in place of Kafka. */
function instantHandler(logLevel: string) {
  const runtime = createRuntime(parseConfig({ ...process.env, LOG_LEVEL: logLevel }));
  const orders = instantOrders(runtime);
  return { runtime, orders, handler: makePublishOrderHandler({ ...runtime.publishDeps, orders }) };
}

async function main(): Promise<CpuResult> {
  const { plan } = childInput<{ plan: BenchPlan }>();
  const events = singleOrderEvents();
  const eventFor = (iteration: number) => events[iteration % events.length] as (typeof events)[number];
  const costOf = async (task: (iteration: number) => unknown, detail: string): Promise<Cost> => {
    const report = progressReporter(plan.cpuWarmup + plan.cpuIterations, detail);
    await meanCost(async (iteration) => {
      await task(iteration);
      report(iteration + 1);
    }, plan.cpuWarmup);
    return meanCost(async (iteration) => {
      await task(iteration);
      report(plan.cpuWarmup + iteration + 1);
    }, plan.cpuIterations);
  };

  const info = instantHandler('INFO');
  const silent = instantHandler('SILENT');
  const handlerInfo = await costOf(
    async (iteration) => expectStatus(await info.handler(eventFor(iteration), lambdaContext()), 201),
    'handler, INFO',
  );
  const handlerSilent = await costOf(
    async (iteration) => expectStatus(await silent.handler(eventFor(iteration), lambdaContext()), 201),
    'handler, SILENT',
  );

  const order = parseOrThrow(OrderSchema, readJsonBody(eventFor(0), MAX_ORDER_BODY_BYTES));
  const context = readRecordContext(eventFor(0));
  const deadline = new Deadline(Date.now() + 60_000);
  const steps: Record<string, Cost> = {
    'read headers (readRecordContext)': await costOf((iteration) => readRecordContext(eventFor(iteration)), 'step: headers'),
    'parse body (readJsonBody)': await costOf((iteration) => readJsonBody(eventFor(iteration), MAX_ORDER_BODY_BYTES), 'step: body'),
    'validate (OrderSchema)': await costOf(() => parseOrThrow(OrderSchema, JSON.parse(eventFor(0).body ?? '')), 'step: validate'),
    'JSON.parse alone': await costOf(() => JSON.parse(eventFor(0).body ?? ''), 'step: JSON.parse'),
    'build record (toOrderMessage)': await costOf(() => toOrderMessage(order, randomUUID(), Date.now(), context), 'step: record'),
    'publishOrder (use case: id, record, log line, metrics)': await costOf(
      () => info.orders.publishOrder(order, { ...context, deadline }),
      'step: use case',
    ),
    'metrics flush (EMF line)': await costOf(() => {
      info.runtime.metrics.published(1, 1);
      info.runtime.metrics.flush();
    }, 'step: metrics'),
    'log line (logger.info)': await costOf(() => info.runtime.logger.info('Message delivered', { order_id: order.order_id }), 'step: log'),
    'answer (jsonResponse)': await costOf(
      (iteration) => jsonResponse(201, { topic: 't', partition: 0, offset: iteration, key: order.user_id, event_id: randomUUID() }),
      'step: answer',
    ),
  };
  return { handlerInfo, handlerSilent, steps };
}

runAsChild(main);
