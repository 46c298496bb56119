import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Deadline } from '../lib/deadline';
import { MAX_ORDER_BODY_BYTES } from '../lib/http/limits';
import { readRecordContext } from '../lib/http/record-context';
import { readJsonBody } from '../lib/http/request';
import { jsonResponse, problemResponse } from '../lib/http/responses';
import type { Logger } from '../lib/log';
import { OrderSchema } from '../lib/orders/schema';
import type { OrderPublishing } from '../lib/publish';
import { defaultRuntime } from '../lib/runtime';
import { parseOrThrow } from '../lib/validation';

export interface PublishDeps {
  orders: OrderPublishing;
  logger: Logger;
  deadline: { boundMs: number; marginMs: number };
}

type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

/** POST /orders: one order in, its delivery receipt out (201), or a problem document. */
export const makePublishOrderHandler =
  ({ orders, logger, deadline }: PublishDeps) =>
  async (event: APIGatewayProxyEvent, context: LambdaContext): Promise<APIGatewayProxyResult> => {
    try {
      const recordContext = readRecordContext(event);
      const order = parseOrThrow(OrderSchema, readJsonBody(event, MAX_ORDER_BODY_BYTES));
      const receipt = await orders.publishOrder(order, {
        ...recordContext,
        deadline: Deadline.forInvocation(context.getRemainingTimeInMillis(), deadline),
      });
      return jsonResponse(201, receipt);
    } catch (error) {
      return problemResponse(error, logger);
    }
  };

export const handler = makePublishOrderHandler(defaultRuntime().publishDeps);
