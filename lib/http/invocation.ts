import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '../log';
import type { PublishMetrics } from '../metrics';
import type { OrderPublishing } from '../publish';
import { problemResponse } from './responses';

/** What every handler needs: handlers share these types here, and never import each other. */
export interface InvocationDeps {
  logger: Logger;
  metrics: Pick<PublishMetrics, 'rejected' | 'flush'>;
}

/** What the publishing handlers need. */
export interface PublishDeps extends InvocationDeps {
  orders: OrderPublishing;
  deadline: { boundMs: number; marginMs: number };
}

/** The part of Lambda's context the handlers read. */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;

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
