import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Health } from '../lib/contracts/schemas';
import { Deadline } from '../lib/deadline';
import { answer, type InvocationDeps } from '../lib/http/invocation';
import { jsonResponse } from '../lib/http/responses';
import type { KafkaPublisher } from '../lib/kafka/publisher';
import { defaultRuntime } from '../lib/runtime';

export interface HealthDeps extends InvocationDeps {
  publisher: Pick<KafkaPublisher, 'health' | 'topic'>;
  timeoutMs: number;
}

/** GET /health: 200 when the cluster answers a metadata request in time, else 503 with the reason. */
export const makeHealthHandler =
  ({ publisher, logger, metrics, timeoutMs, afterInvocation }: HealthDeps) =>
  async (_event?: unknown, context?: Pick<Context, 'awsRequestId'>): Promise<APIGatewayProxyResult> =>
    answer({ logger, metrics, ...(afterInvocation ? { afterInvocation } : {}) }, context?.awsRequestId, async () => {
      const { brokers, partitions } = await publisher.health(new Deadline(Date.now() + timeoutMs));
      const body: Health = { status: 'ok', brokers, topic: publisher.topic, partitions };
      return jsonResponse(200, body, { 'cache-control': 'no-store' });
    });

const runtime = defaultRuntime();

export const handler = makeHealthHandler({
  publisher: runtime.publisher,
  logger: runtime.logger,
  metrics: runtime.metrics,
  timeoutMs: runtime.config.healthTimeoutMs,
  ...(runtime.afterInvocation ? { afterInvocation: runtime.afterInvocation } : {}),
});
