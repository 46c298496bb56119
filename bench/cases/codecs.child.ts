// Case 8: the codecs of KAFKA_COMPRESSION, on varied orders (bench/support/varied-orders.ts):
// single orders and batches of 500 through the warm handler, one runtime per codec, taking turns;
// then the bytes each record takes in the log. Run by bench/run.ts in a child process of its own.
import fs from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime } from '../../lib/runtime';
import { createTopic, withAdmin } from '../../scripts/kafka/admin';
import { devKafka } from '../../scripts/kafka/local-kafka';
import { nodePaths } from '../../scripts/kafka/topology';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, type Timings, warmUp } from '../support/measure';
import { apiGatewayEvent, lambdaContext } from '../support/orders';
import { perSecond, sum } from '../support/stats';
import { variedOrders } from '../support/varied-orders';
import { expectStatus, type KafkaCaseInput, type TimedSummary, timedSummary } from './shared';

export const CODECS = ['none', 'gzip', 'snappy', 'zstd'] as const;

export interface CodecResult {
  codec: (typeof CODECS)[number];
  single: TimedSummary;
  batch: TimedSummary & { recordsPerSecond: number };
  /** Bytes of log segment per record, when the broker is the local one (its files are readable). */
  bytesPerRecord?: number;
}

export interface CodecsResult {
  batchSize: number;
  codecs: CodecResult[];
  /** Why bytes per record are missing, if they are. */
  bytesSkipped?: string;
}

async function main(): Promise<CodecsResult> {
  const { plan, bootstrap } = childInput<KafkaCaseInput>();
  const run = `${process.pid}-${Date.now()}`;
  const orders = variedOrders(plan.codecBatches * plan.batchSize + plan.codecSingles * 2);
  const singles = orders.slice(0, plan.codecSingles * 2).map((order) => apiGatewayEvent(JSON.stringify(order)));
  const batches = Array.from({ length: plan.codecBatches }, (_, index) =>
    apiGatewayEvent(
      JSON.stringify({
        orders: orders.slice(plan.codecSingles * 2 + index * plan.batchSize, plan.codecSingles * 2 + (index + 1) * plan.batchSize),
      }),
      '/orders/batch',
    ),
  );
  const sides = await Promise.all(
    CODECS.map(async (codec) => {
      const topic = `order-events-bench-${codec}-${run}`;
      await createTopic(bootstrap, { name: topic, partitions: 3 });
      const runtime = createRuntime(
        parseConfig({ ...process.env, KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, KAFKA_COMPRESSION: codec }),
      );
      return {
        codec,
        topic,
        runtime,
        order: makePublishOrderHandler(runtime.publishDeps),
        batch: makePublishOrdersBatchHandler(runtime.publishDeps),
      };
    }),
  );
  const singleTasks = sides.map(
    ({ order }) =>
      async (iteration: number) =>
        expectStatus(await order(singles[iteration % singles.length] as APIGatewayProxyEvent, lambdaContext()), 201),
  );
  const batchTasks = sides.map(
    ({ batch }) =>
      async (iteration: number) =>
        expectStatus(await batch(batches[iteration % batches.length] as APIGatewayProxyEvent, lambdaContext()), 201),
  );
  await warmUp([...singleTasks, ...batchTasks], 3, progressReporter(3, 'warm-up'));
  const singleTimings = await alternate(
    singleTasks,
    plan.codecSingles,
    progressReporter(plan.codecSingles, 'single orders, codecs taking turns'),
  );
  const batchTimings = await alternate(
    batchTasks,
    plan.codecBatches,
    progressReporter(plan.codecBatches, `batches of ${plan.batchSize}, codecs taking turns`),
  );
  for (const { runtime } of sides) await runtime.publisher.close();

  // The broker's own files: only for the local broker (a remote one's disks are not ours to read).
  const topology = devKafka.topology(1);
  const data = nodePaths(topology, topology.nodes[0] as (typeof topology.nodes)[number]).data;
  const local = bootstrap === topology.bootstrap && fs.existsSync(data);
  const records = 3 + (3 + plan.codecSingles) + (3 + plan.codecBatches) * plan.batchSize;
  const bytesOf = (topic: string) =>
    fs
      .readdirSync(data)
      .filter((folder) => folder.startsWith(`${topic}-`))
      .flatMap((folder) =>
        fs
          .readdirSync(path.join(data, folder))
          .filter((file) => file.endsWith('.log'))
          .map((file) => path.join(data, folder, file)),
      )
      .reduce((total, file) => total + fs.statSync(file).size, 0);
  const codecs = sides.map(({ codec, topic }, index): CodecResult => {
    const batch = batchTimings[index] as Timings;
    return {
      codec,
      single: timedSummary(singleTimings[index] as Timings),
      batch: { ...timedSummary(batch), recordsPerSecond: perSecond(plan.batchSize * batch.wallMs.length, sum(batch.wallMs)) },
      ...(local ? { bytesPerRecord: bytesOf(topic) / records } : {}),
    };
  });
  await withAdmin(bootstrap, (admin) => admin.deleteTopics({ topics: sides.map(({ topic }) => topic) }), 30_000).catch(() => undefined);
  return {
    batchSize: plan.batchSize,
    codecs,
    ...(local ? {} : { bytesSkipped: `the broker is not the local one (${topology.bootstrap}): its log files are not readable here` }),
  };
}

runAsChild(main);
