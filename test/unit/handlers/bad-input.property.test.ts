import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../../handlers/publish-orders-batch';
import { makeOrderPublishing } from '../../../lib/publish';
import { BAD_REQUEST_FAMILIES, validOrder } from '../../support/bad-input/arbitraries';
import { type BadRequest, expectRejected } from '../../support/bad-input/oracle';
import { eventFor } from '../../support/bad-input/runner';
import { lambdaContext, postEvent } from '../../support/events';
import { FakePublisher, RecordingLogger, RecordingMetrics } from '../../support/fake-publisher';
import { publishingFor } from '../../support/publishing';

/**
 * Bad input, generated: whatever the body, the headers or the encoding, both publishing handlers
 * answer with the right 4xx problem document naming the field at fault, and never call the
 * publisher. The fault suite runs the same generators at volume through the real handlers
 * against the broker (test/faults/bad-input.test.ts).
 */
function handlers() {
  const publisher = new FakePublisher();
  const deps = {
    orders: publishingFor(
      makeOrderPublishing({ publisher, logger: new RecordingLogger(), metrics: new RecordingMetrics(), now: Date.now }),
    ),
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
    deadline: { boundMs: 10_000, marginMs: 500 },
  };
  return { publisher, order: makePublishOrderHandler(deps), batch: makePublishOrdersBatchHandler(deps) };
}

const RUNS = 300;

describe('POST /orders and /orders/batch with generated bad input (fake publisher)', () => {
  it.each(BAD_REQUEST_FAMILIES.map(([name, requests]) => [name, requests] as [string, fc.Arbitrary<BadRequest>]))(
    '%s: the right 4xx naming the field, and no publish call',
    async (_, requests) => {
      await fc.assert(
        fc.asyncProperty(requests, async (bad) => {
          // Prepare
          const { publisher, order, batch } = handlers();
          // Act
          const response = await (bad.endpoint === 'order' ? order : batch)(eventFor(bad), lambdaContext());
          // Assess
          expectRejected(bad, response);
          expect(publisher.sent).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('the generator of valid orders makes orders the handler publishes (so that "near-valid" is one fault away from valid)', async () => {
    await fc.assert(
      fc.asyncProperty(validOrder, async (valid) => {
        const { publisher, order } = handlers();
        const response = await order(postEvent(valid), lambdaContext());
        expect(response.statusCode, response.body).toBe(201);
        expect(publisher.sent).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
  });
});
