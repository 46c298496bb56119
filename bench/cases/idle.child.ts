// Case 9: what a connected, idle kafkajs producer costs as kafkajs 2.2.4 is released, then with
// the publisher's fix (lib/kafka/request-queue.ts), one after the other on the same connections.
// Run by bench/run.ts in a child process of its own: the fix patches kafkajs for the process.
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { stopIdlePolling } from '../../lib/kafka/request-queue';
import { bareMessage } from '../support/bare-kafka';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { benchOrder } from '../support/orders';
import type { KafkaCaseInput } from './shared';

export interface IdleSide {
  /** Checks of the request queues per second, over every open connection. */
  checksPerSecond: number;
  /** CPU time of the whole process per second of idling, in ms. */
  cpuMsPerSecond: number;
}

export interface IdleResult {
  seconds: number;
  released: IdleSide;
  fixed: IdleSide;
}

const SECONDS = 3;

async function main(): Promise<IdleResult> {
  const { bootstrap, topic } = childInput<KafkaCaseInput>();
  const report = progressReporter(2, 'an idle producer, as released, then fixed');
  let checks = 0;
  const check = RequestQueue.prototype.checkPendingRequests;
  RequestQueue.prototype.checkPendingRequests = function counted(this: RequestQueue) {
    checks++;
    check.call(this);
  };
  // Not connectBareProducer: it applies the fix, and the first half measures kafkajs without it.
  const kafka = new Kafka({ clientId: 'bench-idle', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const idle = async (): Promise<IdleSide> => {
    await producer.send({ topic, acks: -1, messages: [bareMessage(benchOrder(0))] });
    checks = 0;
    const cpuBefore = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const cpu = process.cpuUsage(cpuBefore);
    return { checksPerSecond: checks / SECONDS, cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / SECONDS };
  };
  const released = await idle();
  report(1);
  stopIdlePolling();
  const fixed = await idle();
  report(2);
  await producer.disconnect();
  return { seconds: SECONDS, released, fixed };
}

runAsChild(main);
