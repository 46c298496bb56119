import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Logger } from '../log';
import type { PublishMetrics } from '../metrics';
import { problemResponse } from './responses';

export interface InvocationDeps {
  logger: Logger;
  metrics: Pick<PublishMetrics, 'rejected' | 'flush'>;
}

/**
 * Runs one invocation's work: every log line carries its request id, any error becomes a problem
 * document, and what the invocation counted is flushed before Lambda freezes the process.
 */
export async function answer(
  { logger, metrics }: InvocationDeps,
  requestId: string | undefined,
  work: () => Promise<APIGatewayProxyResult>,
): Promise<APIGatewayProxyResult> {
  logger.appendKeys({ request_id: requestId });
  let response: APIGatewayProxyResult;
  try {
    response = await work();
  } catch (error) {
    response = problemResponse(error, logger);
    metrics.rejected(response.statusCode);
  }
  metrics.flush();
  return response;
}
