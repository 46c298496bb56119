// Case 1: one order at a time through the warm handler, taking turns with a bare kafkajs send of
// the same record on the same broker. Run by bench/run.ts in a child process of its own.
import { handler } from '../../handlers/publish-order';
import { bareMessage, connectBareProducer, handlerCodec } from '../support/bare-kafka';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, type Timings, warmUp } from '../support/measure';
import { benchOrder, lambdaContext, singleOrderEvents } from '../support/orders';
import { expectStatus, type KafkaCaseInput, type TimedSummary, timedSummary } from './shared';

export interface SingleResult {
  /** The handler's KAFKA_COMPRESSION, which the bare send uses too. */
  codec: string;
  handler: TimedSummary;
  bare: TimedSummary;
}

async function main(): Promise<SingleResult> {
  const { plan, bootstrap, topic } = childInput<KafkaCaseInput>();
  const events = singleOrderEvents();
  const messages = events.map((_, index) => bareMessage(benchOrder(index)));
  const producer = await connectBareProducer(bootstrap);
  const codec = handlerCodec();
  const viaHandler = async (iteration: number) => {
    expectStatus(await handler(events[iteration % events.length] as (typeof events)[number], lambdaContext()), 201);
  };
  const bare = async (iteration: number) => {
    await producer.send({
      topic,
      acks: -1,
      compression: codec.type,
      messages: [messages[iteration % messages.length] as (typeof messages)[number]],
    });
  };
  await warmUp([viaHandler, bare], plan.singleWarmup, progressReporter(plan.singleWarmup, 'warm-up'));
  const [handlerTimings, bareTimings] = await alternate(
    [viaHandler, bare],
    plan.singleIterations,
    progressReporter(plan.singleIterations, 'handler and bare send, taking turns'),
  );
  await producer.disconnect();
  return { codec: codec.name, handler: timedSummary(handlerTimings as Timings), bare: timedSummary(bareTimings as Timings) };
}

runAsChild(main);
