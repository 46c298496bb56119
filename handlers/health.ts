import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Health } from '../lib/contracts/schemas';
import { Deadline } from '../lib/deadline';
import { jsonResponse, problemResponse } from '../lib/http/responses';
import type { KafkaPublisher } from '../lib/kafka/publisher';
import type { Logger } from '../lib/log';
import { defaultRuntime } from '../lib/runtime';

export interface HealthDeps {
  publisher: Pick<KafkaPublisher, 'health' | 'topic'>;
  logger: Logger;
  timeoutMs: number;
}

/** GET /health: 200 when the cluster answers a metadata request in time, else 503 with the reason. */
export const makeHealthHandler =
  ({ publisher, logger, timeoutMs }: HealthDeps) =>
  async (): Promise<APIGatewayProxyResult> => {
    try {
      const { brokers, partitions } = await publisher.health(new Deadline(Date.now() + timeoutMs));
      const body: Health = { status: 'ok', brokers, topic: publisher.topic, partitions };
      return jsonResponse(200, body, { 'cache-control': 'no-store' });
    } catch (error) {
      return problemResponse(error, logger);
    }
  };

const runtime = defaultRuntime();

export const handler = makeHealthHandler({
  publisher: runtime.publisher,
  logger: runtime.logger,
  timeoutMs: runtime.config.healthTimeoutMs,
});
