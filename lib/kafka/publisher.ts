import { type Admin, CompressionTypes, type Kafka, type Message, Partitioners, type Producer, type RecordMetadata } from 'kafkajs';
import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { KafkaUnavailableError, type PublisherError, PublishOutcomeUnknownError } from '../errors';
import type { Logger } from '../log';
import type { Delivery, OutgoingMessage, Publisher, PublishResult, RecordFinder, WantedRecord } from '../publisher';
import type { ClientHooks, RetirableKafka } from './client';
import { attemptMayHaveWritten, describeKafkaError, sendFailure } from './errors';
import { LazyClient } from './lazy-client';
import './compression';
import { KafkaRecordFinder } from './record-finder';

/** How long a batch may group by partition metadata it already has. */
const PARTITION_CACHE_MS = 30_000;

type PartitionMetadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'][number]['partitions'][number];

export interface TopicHealth {
  brokers: number;
  partitions: number;
}

/** Messages bound for one partition: one produce call. `partition` is unset when kafkajs picks it. */
interface PartitionGroup {
  partition: number | undefined;
  indexes: number[];
}

/**
 * The warm producer of one Lambda execution environment, and the only code that sends to Kafka.
 * After any failed send the producer is replaced: a failed or abandoned idempotent send can leave
 * its sequence numbers out of step with the broker, and a fresh producer id is the only safe reset
 * (the Java client bumps its epoch for the same reason).
 */
export class KafkaPublisher implements Publisher, RecordFinder {
  readonly producer: LazyClient<Producer>;
  /** Metadata for batches and the health check: kafkajs producers expose none. */
  readonly admin: LazyClient<Admin>;
  /** Events during sends after which a record may have been appended: timeouts, lost connections, ambiguous answers. */
  private ambiguousAttempts = 0;
  private partitionCache: { partitions: PartitionMetadata[]; fetchedAt: number } | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionsOfKeys: { metadata: PartitionMetadata[] | undefined; byKey: Map<string, number> } = {
    metadata: undefined,
    byKey: new Map(),
  };
  /** Reads the log for retries after an unknown outcome: its own connections, kept warm like the others. */
  readonly records: KafkaRecordFinder;

  constructor(
    kafka: (hooks?: ClientHooks) => Promise<RetirableKafka>,
    readonly topic: string,
    logger: Logger,
    /** Told when the broker refuses the credentials (see ScramSecret.forget). */
    onAuthenticationFailure?: () => void,
    private readonly compression: CompressionTypes = CompressionTypes.None,
  ) {
    this.producer = new LazyClient(
      'producer',
      async () => {
        const { kafka: client, retire } = await kafka({
          onSendAttemptFailed: (message) => {
            if (attemptMayHaveWritten(message)) this.ambiguousAttempts++;
          },
          onConnectionLost: () => {
            this.ambiguousAttempts++;
          },
        });
        return { client: this.buildProducer(client), retire };
      },
      logger,
      onAuthenticationFailure,
    );
    this.records = new KafkaRecordFinder(() => kafka(), topic, logger);
    this.admin = new LazyClient(
      'admin client',
      async () => {
        const { kafka: client, retire } = await kafka();
        // Producer and admin take the client's retry settings (lib/kafka/client.ts).
        return { client: client.admin(), retire };
      },
      logger,
      onAuthenticationFailure,
    );
  }

  async publish(messages: readonly OutgoingMessage[], { deadline }: { deadline: Deadline }): Promise<PublishResult[]> {
    const failAll = (error: PublisherError): PublishResult[] => messages.map(() => ({ status: 'failed', error }));
    let producer: Producer;
    let groups: PartitionGroup[];
    try {
      producer = await this.producer.get(deadline);
      groups = messages.length === 1 ? [{ partition: undefined, indexes: [0] }] : await this.groupByPartition(messages, deadline);
    } catch (error) {
      return failAll(error as PublisherError);
    }

    const ambiguousAttemptsBefore = this.ambiguousAttempts;
    let metadata: RecordMetadata[];
    try {
      // One send for the whole batch: kafkajs makes one produce request per broker, as a bare send
      // does (sends per partition would queue behind one another: an idempotent producer has one
      // request in flight per broker). The partitions are ours, the same murmur2, so that the
      // receipts follow from the one RecordMetadata per partition.
      metadata = await beforeDeadline(
        producer.send({
          topic: this.topic,
          messages: groups.flatMap((group) =>
            group.indexes.map((index) => toKafkaMessage(messages[index] as OutgoingMessage, group.partition)),
          ),
          acks: -1,
          timeout: Math.max(1, deadline.remainingMs()),
          compression: this.compression,
        }),
        deadline,
      );
    } catch (failure) {
      this.partitionCache = undefined;
      await this.producer.discard(producer, describeKafkaError(failure));
      if (failure instanceof DeadlineExceededError) {
        return failAll(
          new PublishOutcomeUnknownError('The deadline passed while Kafka had the record in flight: it may or may not have been written', {
            cause: failure,
          }),
        );
      }
      const error = sendFailure(failure, { ambiguousAttempt: this.ambiguousAttempts !== ambiguousAttemptsBefore });
      return groups.length === 1 ? failAll(error) : this.askTheLog(messages, groups, error, deadline);
    }

    const results: PublishResult[] = new Array(messages.length);
    for (const group of groups) {
      try {
        const entry = metadata.find((candidate) => group.partition === undefined || candidate.partition === group.partition);
        const deliveries = this.deliveries(group, messages, entry ? [entry] : []);
        group.indexes.forEach((index, position) => {
          results[index] = { status: 'written', delivery: deliveries[position] as Delivery };
        });
      } catch (unreadable) {
        // Acknowledged, but where to is unknown: the client must not be told it failed for sure.
        const error = new PublishOutcomeUnknownError(`Kafka acknowledged the send with unreadable metadata: ${String(unreadable)}`);
        for (const index of group.indexes) results[index] = { status: 'failed', error };
      }
    }
    return results;
  }

  /**
   * A send of several partitions failed: kafkajs reports one error for all of them, yet the
   * partitions stand or fall on their own, and some may have taken their records. The log says
   * which (only committed records are read: those were acknowledged to acks=all). A record not
   * there has the send's failure; a partition the log cannot answer for in time, an unknown outcome.
   */
  private async askTheLog(messages: readonly OutgoingMessage[], groups: PartitionGroup[], error: PublisherError, deadline: Deadline) {
    const unknown = new PublishOutcomeUnknownError(`The record may or may not have been written: ${error.message}`, { cause: error });
    const since = Math.min(...messages.map((message) => message.timestampMs));
    const results: PublishResult[] = messages.map(() => ({ status: 'failed', error: unknown }));
    await Promise.all(
      groups.map(async (group) => {
        const wanted = group.indexes
          .map((index) => messages[index] as OutgoingMessage)
          .map(({ key, headers }) => ({ key, eventId: headers['event-id'] ?? '' }));
        try {
          const found = await this.records.find(wanted, since, deadline);
          group.indexes.forEach((index, position) => {
            const delivery = found[position];
            results[index] = delivery ? { status: 'written', delivery } : { status: 'failed', error };
          });
        } catch {
          // Undecided: these keep the unknown outcome.
        }
      }),
    );
    return results;
  }

  /** Brokers and partitions as the cluster reports them now, by the deadline. */
  async health(deadline: Deadline): Promise<TopicHealth> {
    const [cluster, partitions] = await this.adminRequest(deadline, (admin) =>
      Promise.all([admin.describeCluster(), admin.fetchTopicMetadata({ topics: [this.topic] })]),
    );
    this.partitionCache = { partitions: partitions.topics[0]?.partitions ?? [], fetchedAt: Date.now() };
    return { brokers: cluster.brokers.length, partitions: this.partitionCache.partitions.length };
  }

  find(wanted: readonly WantedRecord[], since: number, deadline: Deadline): Promise<(Delivery | undefined)[]> {
    return this.records.find(wanted, since, deadline);
  }

  /** Disconnects the warm clients, as on SIGTERM; the next publish builds new ones. */
  async close(): Promise<void> {
    await Promise.all([this.producer.close(), this.admin.close(), this.records.close()]);
  }

  private buildProducer(kafka: Kafka): Producer {
    const producer = kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer.on(producer.events.REQUEST_TIMEOUT, () => {
      this.ambiguousAttempts++;
    });
    return producer;
  }

  /**
   * Assigns each message the partition kafkajs would (Java-compatible murmur2 of the key), so that
   * each partition gets one produce call and fails or succeeds on its own.
   */
  private async groupByPartition(messages: readonly OutgoingMessage[], deadline: Deadline): Promise<PartitionGroup[]> {
    const partitionMetadata = await this.partitions(deadline);
    if (partitionMetadata.length === 0) throw new KafkaUnavailableError(`Topic ${this.topic} has no partitions`);
    const groups = new Map<number, PartitionGroup>();
    // A shop's users recur: murmur2 of a key is worked out once per metadata answer.
    const partitionOf = this.partitionsOfKeys.metadata === partitionMetadata ? this.partitionsOfKeys.byKey : new Map<string, number>();
    this.partitionsOfKeys = { metadata: partitionMetadata, byKey: partitionOf };
    if (partitionOf.size > 10_000) partitionOf.clear();
    messages.forEach((message, index) => {
      let partition = partitionOf.get(message.key);
      if (partition === undefined) {
        partition = this.partitioner({ topic: this.topic, partitionMetadata, message: { key: message.key, value: null } });
        partitionOf.set(message.key, partition);
      }
      const group = groups.get(partition) ?? { partition, indexes: [] };
      group.indexes.push(index);
      groups.set(partition, group);
    });
    return [...groups.values()];
  }

  /**
   * The topic's partitions, from a metadata answer at most PARTITION_CACHE_MS old: a batch need
   * not pay an admin round trip, and any failed send drops the cache (leaders may have moved).
   */
  private async partitions(deadline: Deadline): Promise<PartitionMetadata[]> {
    if (this.partitionCache && Date.now() - this.partitionCache.fetchedAt < PARTITION_CACHE_MS) return this.partitionCache.partitions;
    const metadata = await this.adminRequest(deadline, (admin) => admin.fetchTopicMetadata({ topics: [this.topic] }));
    this.partitionCache = { partitions: metadata.topics[0]?.partitions ?? [], fetchedAt: Date.now() };
    return this.partitionCache.partitions;
  }

  /** One request on the warm admin client, by the deadline; a failure replaces the client. */
  private async adminRequest<T>(deadline: Deadline, request: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = await this.admin.get(deadline);
    try {
      return await beforeDeadline(request(admin), deadline);
    } catch (error) {
      await this.admin.discard(admin, describeKafkaError(error));
      throw new KafkaUnavailableError(`Kafka did not answer a metadata request: ${describeKafkaError(error)}`, { cause: error });
    }
  }

  /** A send to one partition returns one RecordMetadata: its records follow the base offset in order. */
  private deliveries(group: PartitionGroup, messages: readonly OutgoingMessage[], metadata: RecordMetadata[]): Delivery[] {
    const [entry] = metadata;
    const baseOffset = Number(entry?.baseOffset);
    if (!entry || metadata.length !== 1 || Number.isNaN(baseOffset)) {
      throw new Error(`Expected one RecordMetadata for the partition, got ${JSON.stringify(metadata)}`);
    }
    const brokerTime = Number(entry.logAppendTime);
    return group.indexes.map((index, position) => {
      const timestampMs = Number.isFinite(brokerTime) && brokerTime >= 0 ? brokerTime : (messages[index] as OutgoingMessage).timestampMs;
      return {
        topic: this.topic,
        partition: entry.partition,
        offset: baseOffset + position,
        timestamp: new Date(timestampMs).toISOString(),
      };
    });
  }
}

function toKafkaMessage(message: OutgoingMessage, partition: number | undefined): Message {
  const kafkaMessage: Message = {
    key: message.key,
    value: message.value,
    headers: message.headers,
    timestamp: String(message.timestampMs),
  };
  if (partition !== undefined) kafkaMessage.partition = partition;
  return kafkaMessage;
}
