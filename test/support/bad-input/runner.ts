import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { lambdaContext, postEvent } from '../events';
import { BAD_REQUEST_FAMILIES } from './arbitraries';
import { type BadRequest, type Endpoint, expectRejected } from './oracle';

type Handler = (
  event: APIGatewayProxyEvent,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
) => Promise<APIGatewayProxyResult>;

/**
 * Sends about `total` generated bad requests, split over the families by their shares, through
 * the two handlers, and checks every answer (expectRejected). Resolves with how many of each
 * family were sent (fast-check's shrinking of a failure adds to these).
 */
export async function sendBadRequests(handlers: Record<Endpoint, Handler>, total: number): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  for (const [family, requests, share] of BAD_REQUEST_FAMILIES) {
    await fc.assert(
      fc.asyncProperty(requests, async (bad) => {
        const response = await handlers[bad.endpoint](eventFor(bad), lambdaContext());
        sent.set(family, (sent.get(family) ?? 0) + 1);
        expectRejected(bad, response);
      }),
      { numRuns: Math.ceil(total * share) },
    );
  }
  return sent;
}

export function eventFor(bad: BadRequest): APIGatewayProxyEvent {
  return postEvent(bad.body, { headers: bad.headers, isBase64Encoded: bad.isBase64Encoded });
}
