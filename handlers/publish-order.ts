import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Deadline } from '../lib/deadline';
import { jsonResponse, problemResponse } from '../lib/http/responses';
import { readJsonBody } from '../lib/http/request';
import type { Logger } from '../lib/log';
import { OrderSchema } from '../lib/orders/schema';
import type { OrderPublishing } from '../lib/publish';
import { defaultRuntime } from '../lib/runtime';
import { parseOrThrow } from '../lib/validation';

export const MAX_ORDER_BODY_BYTES = 64 * 1024;

export interface PublishOrderDeps {
  orders: Pick<OrderPublishing, 'publishOrder'>;
  logger: Logger;
  deadline: { boundMs: number; marginMs: number };
}

/** POST /orders: one order in, its delivery receipt out (201), or a problem document. */
export const makePublishOrderHandler =
  ({ orders, logger, deadline }: PublishOrderDeps) =>
  async (event: APIGatewayProxyEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> => {
    try {
      const order = parseOrThrow(OrderSchema, readJsonBody(event, MAX_ORDER_BODY_BYTES));
      const receipt = await orders.publishOrder(order, {
        deadline: Deadline.forInvocation(context.getRemainingTimeInMillis(), deadline),
      });
      return jsonResponse(201, receipt);
    } catch (error) {
      return problemResponse(error, logger);
    }
  };

const runtime = defaultRuntime();

export const handler = makePublishOrderHandler({
  orders: runtime.orders,
  logger: runtime.logger,
  deadline: { boundMs: runtime.config.publishTimeoutMs, marginMs: runtime.config.deadlineMarginMs },
});
