import { Partitioners } from 'kafkajs';
import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { type Delivery, type RecordFinder, RecordsUndecidedError, type WantedRecord } from '../publisher';
import type { InternalBroker, InternalCluster } from './cluster';
import { describeKafkaError } from './errors';
import './compression';

/**
 * Finds records by key and event-id in the partitions their keys map to: how a retry after a 504
 * learns whether the earlier attempt's records are in the log.
 *
 * kafkajs 2.2.4 has no public way to read a partition from an offset without joining a consumer
 * group (a join costs group.initial.rebalance.delay.ms, 3 s by default, on MSK too). So this uses
 * kafkajs's own cluster and broker (lib/kafka/cluster.ts): the producer's, with its connections.
 */

/** What the scan reads at most per partition, between the lower bound and the end. */
export interface ScanLimits {
  records: number;
  bytes: number;
}

/**
 * How far before `since` a read starts: records carry the Lambda's clock as their create time,
 * which may step back, or the broker's on a LogAppendTime topic.
 */
const CLOCK_SKEW_MS = 5_000;

/** Kafka's ListOffsets replica id for a debugging client: it answers with the log end offset, not the high watermark. */
const DEBUGGING_REPLICA_ID = -2;
const CONSUMER_REPLICA_ID = -1;
const READ_UNCOMMITTED = 0;
const LATEST = -1;
/** Per fetch, and how long a fetch waits at the high watermark for the rest to be committed. */
const FETCH_BYTES = 1 << 20;
const FETCH_WAIT_MS = 100;

/**
 * Where the finder gets a connected cluster: the producer's own (lib/kafka/publisher.ts), so that
 * reading the log opens no connection of its own. `discard` drops it, for a request abandoned at
 * its deadline leaves its connection busy.
 */
export interface ClusterSource {
  cluster(deadline: Deadline): Promise<{ cluster: InternalCluster; discard(reason: string): Promise<void> }>;
}

export class KafkaRecordFinder implements RecordFinder {
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly source: ClusterSource,
    readonly topic: string,
    private readonly limits: ScanLimits = { records: 100_000, bytes: 64 << 20 },
  ) {}

  async find(wanted: readonly WantedRecord[], since: number, deadline: Deadline): Promise<(Delivery | undefined)[]> {
    let cluster: InternalCluster;
    let discard: (reason: string) => Promise<void>;
    try {
      ({ cluster, discard } = await this.source.cluster(deadline));
    } catch (error) {
      throw new RecordsUndecidedError(`The log could not be reached by the deadline: ${(error as Error).message}`, { cause: error });
    }
    try {
      await beforeDeadline(cluster.addTargetTopic(this.topic), deadline);
      const partitionMetadata = cluster.findTopicPartitionMetadata(this.topic);
      if (partitionMetadata.length === 0) throw new RecordsUndecidedError(`Topic ${this.topic} has no partitions`);
      // The partition the producer chose: Java-compatible murmur2 of the key.
      const partitionOf = wanted.map(({ key }) =>
        this.partitioner({ topic: this.topic, partitionMetadata, message: { key, value: null } }),
      );
      const found: (Delivery | undefined)[] = new Array(wanted.length).fill(undefined);
      await Promise.all(
        [...new Set(partitionOf)].map(async (partition) => {
          const here = wanted.map((record, index) => ({ ...record, index })).filter(({ index }) => partitionOf[index] === partition);
          const deliveries = await this.scan(cluster, partition, here, since, deadline);
          for (const { index, eventId } of here) found[index] = deliveries.get(eventId);
        }),
      );
      return found;
    } catch (error) {
      // A request abandoned at the deadline leaves its connection busy: start afresh next time.
      if (!(error instanceof RecordsUndecidedError) || deadline.hasPassed()) await discard(describeKafkaError(error));
      if (error instanceof RecordsUndecidedError) throw error;
      throw new RecordsUndecidedError(`The log could not be read by the deadline: ${describeKafkaError(error)}`, { cause: error });
    }
  }

  /**
   * Reads one partition from the first offset at or after `since` up to its log end offset, as
   * the leader had it when the scan began, and keeps the wanted records it meets. The fetch reads
   * only committed records, so reaching that end also proves that everything appended before the
   * scan began is committed, or was truncated away and never will be. A leader that changes
   * midway starts the scan again.
   */
  private async scan(cluster: InternalCluster, partition: number, wanted: readonly WantedRecord[], since: number, deadline: Deadline) {
    const byEventId = new Map(wanted.map((record) => [record.eventId, record.key]));
    for (;;) {
      const broker = await this.leaderOf(cluster, partition, deadline);
      const offsetAt = async (timestamp: number) => {
        const answer = await beforeDeadline(
          broker.listOffsets({
            replicaId: DEBUGGING_REPLICA_ID,
            isolationLevel: READ_UNCOMMITTED,
            topics: [{ topic: this.topic, partitions: [{ partition, timestamp }] }],
          }),
          deadline,
        );
        return Number(answer.responses[0]?.partitions[0]?.offset ?? Number.NaN);
      };
      try {
        const end = await offsetAt(LATEST);
        const first = await offsetAt(since - CLOCK_SKEW_MS);
        // No record at or after `since`: nothing to read.
        const from = first >= 0 ? first : end;
        if (!Number.isSafeInteger(end) || !Number.isSafeInteger(from)) throw new Error(`Unreadable offsets ${from} to ${end}`);
        if (end - from > this.limits.records) {
          throw new RecordsUndecidedError(
            `${end - from} records of ${this.topic} [${partition}] since the attempt, more than the ${this.limits.records} a retry may read`,
          );
        }
        return await this.read(broker, partition, from, end, byEventId, deadline);
      } catch (error) {
        if (error instanceof RecordsUndecidedError || deadline.hasPassed()) throw error;
        // The leader moved, or the metadata was stale: ask again.
        await beforeDeadline(cluster.refreshMetadata(), deadline);
      }
    }
  }

  private async read(
    broker: InternalBroker,
    partition: number,
    from: number,
    end: number,
    byEventId: Map<string, string>,
    deadline: Deadline,
  ) {
    const found = new Map<string, Delivery>();
    let offset = from;
    let bytes = 0;
    let committed = Number.NaN;
    while (offset < end) {
      const response = await beforeDeadline(
        broker.fetch({
          replicaId: CONSUMER_REPLICA_ID,
          isolationLevel: READ_UNCOMMITTED,
          maxWaitTime: Math.max(1, Math.min(FETCH_WAIT_MS, deadline.remainingMs())),
          minBytes: 1,
          maxBytes: FETCH_BYTES,
          topics: [{ topic: this.topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: FETCH_BYTES }] }],
        }),
        deadline,
      ).catch((error: unknown) => {
        if (!(error instanceof DeadlineExceededError)) throw error;
        throw new RecordsUndecidedError(
          `The high watermark of ${this.topic} [${partition}] was ${committed} when the deadline passed: records up to ${end} were appended, not all committed`,
          { cause: error },
        );
      });
      const answer = response.responses[0]?.partitions[0];
      if (!answer) throw new Error(`No fetch answer for ${this.topic} [${partition}]`);
      committed = Number(answer.highWatermark);
      for (const message of answer.messages) {
        const at = Number(message.offset);
        if (at < offset || at >= end) continue;
        offset = at + 1;
        bytes += (message.value?.length ?? 0) + (message.key?.length ?? 0);
        const eventId = headerText(message.headers?.['event-id']);
        if (eventId !== undefined && byEventId.get(eventId) === message.key?.toString('utf8')) {
          found.set(eventId, { topic: this.topic, partition, offset: at, timestamp: new Date(Number(message.timestamp)).toISOString() });
        }
      }
      if (bytes > this.limits.bytes)
        throw new RecordsUndecidedError(`More than ${this.limits.bytes} bytes of ${this.topic} [${partition}] since the attempt`);
      // Committed up to the end, and nothing more returned below it: the rest are gaps.
      if (answer.messages.length === 0 && Number(answer.highWatermark) >= end) break;
      if (deadline.hasPassed())
        throw new RecordsUndecidedError(`The high watermark of ${this.topic} [${partition}] did not reach ${end} by the deadline`);
    }
    return found;
  }

  private async leaderOf(cluster: InternalCluster, partition: number, deadline: Deadline): Promise<InternalBroker> {
    const [leader] = Object.entries(cluster.findLeaderForPartitions(this.topic, [partition]))[0] ?? [];
    if (leader === undefined || Number(leader) < 0) {
      await beforeDeadline(cluster.refreshMetadata(), deadline);
      throw new RecordsUndecidedError(`${this.topic} [${partition}] has no leader`);
    }
    return beforeDeadline(cluster.findBroker({ nodeId: leader }), deadline);
  }
}

function headerText(value: Buffer | Buffer[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString('utf8');
}
