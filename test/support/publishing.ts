import { type IdempotencyPolicy, makeIdempotentPublishing } from '../../lib/idempotency/idempotent-publishing';
import type { IdempotencyStore } from '../../lib/idempotency/store';
import type { OrderPublishing } from '../../lib/publish';
import type { RecordFinder } from '../../lib/publisher';
import { RecordingLogger, RecordingMetrics } from './fake-publisher';

export const TEST_POLICY: IdempotencyPolicy = { ttlSeconds: 86_400, keyRequired: false, settleMs: 2_000, finishMs: 300 };

/** The use case as the handlers take it: without a store unless the test gives one. */
export function publishingFor(
  orders: OrderPublishing,
  {
    store,
    finder,
    policy = TEST_POLICY,
    metrics = new RecordingMetrics(),
    logger = new RecordingLogger(),
    now = Date.now,
  }: {
    store?: IdempotencyStore;
    finder?: RecordFinder;
    policy?: IdempotencyPolicy;
    metrics?: RecordingMetrics;
    logger?: RecordingLogger;
    now?: () => number;
  } = {},
) {
  return makeIdempotentPublishing({ orders, store, finder, policy, logger, metrics, now });
}
