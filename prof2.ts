import { makePublishOrdersBatchHandler } from './handlers/publish-orders-batch';
import { createRuntime } from './lib/runtime';
import { parseConfig } from './lib/config';
import { makeOrderPublishing } from './lib/publish';
import { makeIdempotentPublishing } from './lib/idempotency/idempotent-publishing';
import type { Publisher, OutgoingMessage, PublishResult } from './lib/publisher';
import { apiGatewayEvent, lambdaContext, orderBatch } from './bench/support/orders';
(async () => {
  const runtime = createRuntime(parseConfig({ LOG_LEVEL: process.env.LL ?? 'INFO', POWERTOOLS_METRICS_DISABLED: 'true' }));
  let off = 0;
  const publisher: Publisher = { topic: 't', async publish(ms: readonly OutgoingMessage[]): Promise<PublishResult[]> { return ms.map((m) => ({ status: 'written', delivery: { topic: 't', partition: 0, offset: off++, timestamp: new Date(m.timestampMs).toISOString() } })); } };
  const orders = makeIdempotentPublishing({ orders: makeOrderPublishing({ publisher, logger: runtime.logger, metrics: runtime.metrics, now: Date.now }), store: undefined, policy: { ttlSeconds: 1, keyRequired: false, settleMs: 0, finishMs: 0 }, logger: runtime.logger, metrics: runtime.metrics, now: Date.now });
  const handler = makePublishOrdersBatchHandler({ ...runtime.publishDeps, orders });
  const event = apiGatewayEvent(JSON.stringify({ orders: orderBatch(0, 500) }), '/orders/batch');
  for (let i = 0; i < 50; i++) await handler(event, lambdaContext());
  const s = performance.now();
  for (let i = 0; i < 300; i++) await handler(event, lambdaContext());
  console.error('handler with instant publisher', ((performance.now() - s) / 300).toFixed(3), 'ms');
})();
