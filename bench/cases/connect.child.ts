// Case 2: the same handler built the way many samples build it: its runtime (configuration,
// kafkajs client, producer) made, connected and disconnected inside every invocation. Each such
// invocation takes turns with one of the warm handler, so the ratio compares the same minutes.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makePublishOrderHandler, handler as warmHandler } from '../../handlers/publish-order';
import { createRuntime } from '../../lib/runtime';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, type Timings, warmUp } from '../support/measure';
import { lambdaContext, singleOrderEvents } from '../support/orders';
import { expectStatus, type KafkaCaseInput, type TimedSummary, timedSummary } from './shared';

export interface ConnectResult {
  perRequest: TimedSummary;
  warm: TimedSummary;
}

/** What the sample handlers do: nothing survives the invocation. */
async function connectPerRequest(event: APIGatewayProxyEvent) {
  const runtime = createRuntime();
  try {
    return await makePublishOrderHandler(runtime.publishDeps)(event, lambdaContext());
  } finally {
    await runtime.publisher.close();
  }
}

async function main(): Promise<ConnectResult> {
  const { plan } = childInput<KafkaCaseInput>();
  const events = singleOrderEvents();
  const eventFor = (iteration: number) => events[iteration % events.length] as APIGatewayProxyEvent;
  const perRequest = async (iteration: number) => expectStatus(await connectPerRequest(eventFor(iteration)), 201);
  const warm = async (iteration: number) => expectStatus(await warmHandler(eventFor(iteration), lambdaContext()), 201);
  await warmUp([perRequest, warm], plan.connectWarmup, progressReporter(plan.connectWarmup, 'warm-up'));
  const [perRequestTimings, warmTimings] = await alternate(
    [perRequest, warm],
    plan.connectIterations,
    progressReporter(plan.connectIterations, 'connect per request and warm, taking turns'),
  );
  return { perRequest: timedSummary(perRequestTimings as Timings), warm: timedSummary(warmTimings as Timings) };
}

runAsChild(main);
