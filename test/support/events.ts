import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import postOrdersEvent from '../fixtures/api-gateway-post-orders.json';
import order from '../fixtures/order.json';

export const exampleOrder = (): typeof order => structuredClone(order);

/** The API Gateway fixture with a new body (a string as sent, or a value to serialise) and headers. */
export function postEvent(
  body: unknown = exampleOrder(),
  overrides: { headers?: Record<string, string>; isBase64Encoded?: boolean } = {},
): APIGatewayProxyEvent {
  const event = structuredClone(postOrdersEvent) as unknown as APIGatewayProxyEvent;
  event.body = typeof body === 'string' ? body : JSON.stringify(body);
  if (overrides.headers) event.headers = overrides.headers;
  if (overrides.isBase64Encoded !== undefined) event.isBase64Encoded = overrides.isBase64Encoded;
  return event;
}

/** The part of a Lambda context the handlers read. */
export function lambdaContext(remainingMs = 15_000): Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'> {
  const end = Date.now() + remainingMs;
  return { awsRequestId: 'test-request', getRemainingTimeInMillis: () => end - Date.now() };
}
