import { vi } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import type { LocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { withAdmin } from '../../scripts/kafka/admin';

/** A topic of the file's own, so that its end offsets move only with its own requests. */
export async function createTopic(bootstrap: string, prefix: string, partitions = 3): Promise<string> {
  const topic = `${prefix}-${Date.now()}`;
  await withAdmin(
    bootstrap,
    (admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] }),
    15_000,
  );
  return topic;
}

/** Points the AWS SDK (and so the idempotency store) at the local DynamoDB API, for the file's tests. */
export function useLocalAwsEnv(dynamo: LocalDynamoDb): void {
  for (const [name, value] of Object.entries(dynamo.env)) if (name.startsWith('AWS_')) vi.stubEnv(name, value);
}

/** A runtime of its own (its own warm producer) with the idempotency store on, and its two publishing handlers. */
export function keyedRuntime(
  env: Record<string, string>,
): Runtime & { order: ReturnType<typeof makePublishOrderHandler>; batch: ReturnType<typeof makePublishOrdersBatchHandler> } {
  const runtime = createRuntime(parseConfig({ LOG_LEVEL: 'SILENT', IDEMPOTENCY_SETTLE_MS: '1000', ...env }));
  return { ...runtime, order: makePublishOrderHandler(runtime.publishDeps), batch: makePublishOrdersBatchHandler(runtime.publishDeps) };
}
