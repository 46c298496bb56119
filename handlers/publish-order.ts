import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Deadline } from '../lib/deadline';
import { answer, answerResponse, type LambdaContext, type PublishDeps } from '../lib/http/invocation';
import { MAX_ORDER_BODY_BYTES } from '../lib/http/limits';
import { readRecordContext } from '../lib/http/record-context';
import { readJsonBody } from '../lib/http/request';
import { OrderSchema } from '../lib/orders/schema';
import { defaultRuntime } from '../lib/runtime';
import { parseOrThrow } from '../lib/validation';

/** POST /orders: one order in, its delivery receipt out (201, or the stored one replayed), or a problem document. */
export const makePublishOrderHandler =
  ({ orders, logger, metrics, deadline, afterInvocation }: PublishDeps) =>
  async (event: APIGatewayProxyEvent, context: LambdaContext): Promise<APIGatewayProxyResult> => {
    return answer({ logger, metrics, ...(afterInvocation ? { afterInvocation } : {}) }, context.awsRequestId, async () => {
      const recordContext = readRecordContext(event);
      const order = parseOrThrow(OrderSchema, readJsonBody(event, MAX_ORDER_BODY_BYTES));
      const published = await orders.publishOrder(order, {
        ...recordContext,
        deadline: Deadline.forInvocation(context.getRemainingTimeInMillis(), deadline),
      });
      return answerResponse(published);
    });
  };

export const handler = makePublishOrderHandler(defaultRuntime().publishDeps);
