import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Answer, IdempotentPublishing } from '../idempotency/idempotent-publishing';
import type { Logger } from '../log';
import type { PublishMetrics } from '../metrics';
import { problemResponse } from './responses';

/** What every handler needs: handlers share these types here, and never import each other. */
export interface InvocationDeps {
  logger: Logger;
  metrics: Pick<PublishMetrics, 'rejected' | 'flush'>;
  /** Run after the answer is ready: `sls invoke local` closes the Kafka clients here (see lib/runtime.ts). */
  afterInvocation?: () => Promise<void>;
}

/** What the publishing handlers need. */
export interface PublishDeps extends InvocationDeps {
  orders: IdempotentPublishing;
  deadline: { boundMs: number; marginMs: number };
}

/** A publishing answer as HTTP; a replayed one says so, as Stripe's Idempotent-Replayed does. */
export function answerResponse(answer: Answer): APIGatewayProxyResult {
  return {
    statusCode: answer.statusCode,
    headers: { 'content-type': 'application/json', ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}) },
    body: answer.body,
  };
}

/** The part of Lambda's context the handlers read. */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;

/**
 * Runs one invocation's work: every log line carries its request id, any error becomes a problem
 * document, and what the invocation counted is flushed before Lambda freezes the process.
 */
export async function answer(
  { logger, metrics, afterInvocation }: InvocationDeps,
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
  await afterInvocation?.();
  return response;
}
