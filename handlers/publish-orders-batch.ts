import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { OrderBatchSchema } from '../lib/contracts/schemas';
import { Deadline } from '../lib/deadline';
import { answer, answerResponse, type LambdaContext, type PublishDeps } from '../lib/http/invocation';
import { MAX_BATCH_BODY_BYTES } from '../lib/http/limits';
import { readRecordContext } from '../lib/http/record-context';
import { readJsonBody } from '../lib/http/request';
import { defaultRuntime } from '../lib/runtime';
import { parseOrThrow } from '../lib/validation';

/**
 * POST /orders/batch: all orders valid or none sent (422). 201 when every order was written,
 * 207 with per-order status when only some were, a problem document when none were.
 */
export const makePublishOrdersBatchHandler =
  ({ orders, logger, metrics, deadline, afterInvocation }: PublishDeps) =>
  async (event: APIGatewayProxyEvent, context: LambdaContext): Promise<APIGatewayProxyResult> => {
    return answer({ logger, metrics, ...(afterInvocation ? { afterInvocation } : {}) }, context.awsRequestId, async () => {
      const recordContext = readRecordContext(event);
      const batch = parseOrThrow(OrderBatchSchema, readJsonBody(event, MAX_BATCH_BODY_BYTES));
      const published = await orders.publishOrders(batch.orders, {
        ...recordContext,
        deadline: Deadline.forInvocation(context.getRemainingTimeInMillis(), deadline),
      });
      return answerResponse(published);
    });
  };

export const handler = makePublishOrdersBatchHandler(defaultRuntime().publishDeps);
