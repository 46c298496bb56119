// Case 4, the Node side: batches of 500 orders through the warm batch handler, taking turns with
// one bare kafkajs send of the same 500 records. Run by bench/run.ts in a child process.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Message } from 'kafkajs';
import { handler } from '../../handlers/publish-orders-batch';
import { bareMessage, connectBareProducer, handlerCodec } from '../support/bare-kafka';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, type Timings, warmUp } from '../support/measure';
import { apiGatewayEvent, lambdaContext, orderBatch } from '../support/orders';
import { perSecond, sum } from '../support/stats';
import { expectStatus, type KafkaCaseInput, type TimedSummary, timedSummary } from './shared';

export interface BatchSide extends TimedSummary {
  recordsPerSecond: number;
}

export interface BatchResult {
  /** The handler's KAFKA_COMPRESSION, which the bare send uses too. */
  codec: string;
  batchSize: number;
  batches: number;
  handler: BatchSide;
  bare: BatchSide;
}

/** A few distinct batches, cycled: different order ids, the same keys and sizes. */
const DISTINCT_BATCHES = 4;

function batchSide(timings: Timings, batchSize: number): BatchSide {
  return { ...timedSummary(timings), recordsPerSecond: perSecond(batchSize * timings.wallMs.length, sum(timings.wallMs)) };
}

async function main(): Promise<BatchResult> {
  const { plan, bootstrap, topic } = childInput<KafkaCaseInput>();
  const batches = Array.from({ length: DISTINCT_BATCHES }, (_, index) => orderBatch(index * plan.batchSize, plan.batchSize));
  const events = batches.map((orders) => apiGatewayEvent(JSON.stringify({ orders }), '/orders/batch'));
  const messages = batches.map((orders) => orders.map(bareMessage));
  const producer = await connectBareProducer(bootstrap);
  const codec = handlerCodec();
  const viaHandler = async (iteration: number) => {
    expectStatus(await handler(events[iteration % DISTINCT_BATCHES] as APIGatewayProxyEvent, lambdaContext()), 201);
  };
  const bare = async (iteration: number) => {
    await producer.send({ topic, acks: -1, compression: codec.type, messages: messages[iteration % DISTINCT_BATCHES] as Message[] });
  };
  await warmUp([viaHandler, bare], plan.batchWarmup, progressReporter(plan.batchWarmup, 'warm-up'));
  const [handlerTimings, bareTimings] = await alternate(
    [viaHandler, bare],
    plan.batchIterations,
    progressReporter(plan.batchIterations, `batches of ${plan.batchSize}, handler and bare send taking turns`),
  );
  await producer.disconnect();
  return {
    codec: codec.name,
    batchSize: plan.batchSize,
    batches: plan.batchIterations,
    handler: batchSide(handlerTimings as Timings, plan.batchSize),
    bare: batchSide(bareTimings as Timings, plan.batchSize),
  };
}

runAsChild(main);
