import { makeIdempotentPublishing } from '../../lib/idempotency/idempotent-publishing';
import { makeOrderPublishing, type OrderValueEncoder } from '../../lib/publish';
import type { OutgoingMessage, Publisher, PublishResult } from '../../lib/publisher';
import type { Runtime } from '../../lib/runtime';

/** Answers at once, as if Kafka had acknowledged: what is left is the handler's own work. */
export class InstantPublisher implements Publisher {
  private offset = 0;
  constructor(readonly topic: string) {}

  async publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    return messages.map((message) => ({
      status: 'written',
      delivery: { topic: this.topic, partition: 0, offset: this.offset++, timestamp: new Date(message.timestampMs).toISOString() },
    }));
  }
}

/** The real use case on the instant publisher, without an idempotency store; `values` for registry mode. */
export function instantOrders(runtime: Runtime, values?: OrderValueEncoder) {
  const publisher = new InstantPublisher(runtime.config.kafka.topic);
  return makeIdempotentPublishing({
    orders: makeOrderPublishing({ publisher, values, logger: runtime.logger, metrics: runtime.metrics, now: Date.now }),
    store: undefined,
    policy: { ttlSeconds: 86_400, keyRequired: false, settleMs: 0, finishMs: 0 },
    logger: runtime.logger,
    metrics: runtime.metrics,
    now: Date.now,
  });
}
