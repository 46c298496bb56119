import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer, type RecordMetadata } from 'kafkajs';
import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { KafkaUnavailableError, type PublisherError, PublishOutcomeUnknownError } from '../errors';
import type { Logger } from '../log';
import type { Delivery, OutgoingMessage, Publisher, PublishResult, RecordFinder, WantedRecord } from '../publisher';
import type { ClientHooks, RetirableKafka } from './client';
import { type InternalCluster, type PartitionMetadata, producerWithCluster } from './cluster';
import { attemptMayHaveWritten, describeKafkaError, sendFailure } from './errors';
import { LazyClient } from './lazy-client';
import './compression';
import { KafkaRecordFinder } from './record-finder';

/**
 * How old the producer's metadata may be when a batch groups by it: kafkajs's producer default
 * (metadataMaxAge, 5 minutes) is also what its own sends go by. Any failed send discards it.
 */
const METADATA_MAX_AGE_MS = 300_000;

/**
 * During a leader move kafkajs 2.2.4 can resolve a send without one of its partitions: the retry
 * goes only to brokers that have not answered yet, and the partition's new leader had already
 * answered for another one (tulios/kafkajs#1798). Those records are sent again at once, on the
 * same producer: its sequence numbers for the partition are where the failed attempt left them,
 * so if that attempt was appended after all, the broker recognises the resend as a duplicate and
 * answers with the first append's offset.
 */
const UNSENT_PARTITION_RESENDS = 2;

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
 * The producer and the cluster kafkajs built for it. Batches group by its metadata, health asks
 * it, and the record finder reads the log through its brokers: one connection per broker for the
 * whole execution environment. On MSK's IAM listener each connection counts against a broker's
 * quota of 3,000 and of 100 new ones per second (docs/deploy.md).
 *
 * Connected, the session has its seed broker; the producer asks for its producer id
 * (InitProducerId, from the broker the metadata names as controller) only before its first send.
 * Reading the log and metadata need none, so a retry after a 504 can look in the log while that
 * broker does not answer.
 */
export class KafkaSession {
  private producerId: Promise<Producer> | undefined;
  /** Set once the producer has its id: the warm path skips the deadline's timer. */
  sending: Producer | undefined;

  constructor(
    readonly producer: Producer,
    readonly cluster: InternalCluster,
  ) {}

  connect(): Promise<void> {
    return this.cluster.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** The producer, with its producer id: asked once, again after a failure. */
  readyToSend(): Promise<Producer> {
    this.producerId ??= this.producer.connect().then(
      () => {
        this.sending = this.producer;
        return this.producer;
      },
      (error: unknown) => {
        this.producerId = undefined;
        throw error;
      },
    );
    return this.producerId;
  }
}

/**
 * The warm producer of one Lambda execution environment, and the only code that sends to Kafka.
 * After any failed send the producer is replaced: a failed or abandoned idempotent send can leave
 * its sequence numbers out of step with the broker, and a fresh producer id is the only safe reset
 * (the Java client bumps its epoch for the same reason).
 */
export class KafkaPublisher implements Publisher, RecordFinder {
  /** The producer with its connections: the only kafkajs client of an execution environment. */
  readonly session: LazyClient<KafkaSession>;
  /** Events during sends after which a record may have been appended: timeouts, lost connections, ambiguous answers. */
  private ambiguousAttempts = 0;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionsOfKeys: { metadata: PartitionMetadata[] | undefined; byKey: Map<string, number> } = {
    metadata: undefined,
    byKey: new Map(),
  };
  /** Reads the log for retries after an unknown outcome, on the producer's connections. */
  readonly records: KafkaRecordFinder;

  constructor(
    kafka: (hooks?: ClientHooks) => Promise<RetirableKafka>,
    readonly topic: string,
    logger: Logger,
    /** Told when the broker refuses the credentials (see ScramSecret.forget). */
    onAuthenticationFailure?: () => void,
    private readonly compression: CompressionTypes = CompressionTypes.None,
  ) {
    this.session = new LazyClient(
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
        return { client: this.buildSession(client), retire };
      },
      logger,
      onAuthenticationFailure,
    );
    this.records = new KafkaRecordFinder(
      {
        cluster: async (deadline) => {
          const session = await this.session.get(deadline);
          return { cluster: session.cluster, discard: (reason) => this.session.discard(session, reason) };
        },
      },
      topic,
    );
  }

  async publish(messages: readonly OutgoingMessage[], { deadline }: { deadline: Deadline }): Promise<PublishResult[]> {
    const failAll = (error: PublisherError): PublishResult[] => messages.map(() => ({ status: 'failed', error }));
    let session: KafkaSession;
    let producer: Producer;
    let groups: PartitionGroup[];
    try {
      session = await this.session.get(deadline);
      producer = session.sending ?? (await this.session.finish(session, () => session.readyToSend(), deadline));
      groups = messages.length === 1 ? [{ partition: undefined, indexes: [0] }] : await this.groupByPartition(session, messages, deadline);
    } catch (error) {
      return failAll(error as PublisherError);
    }

    const ambiguousAttemptsBefore = this.ambiguousAttempts;
    // Built once: a resend carries the same objects, which lib/kafka/produce-once.ts tells apart.
    const outgoing: Message[] = new Array(messages.length);
    for (const group of groups) {
      for (const index of group.indexes) outgoing[index] = toKafkaMessage(messages[index] as OutgoingMessage, group.partition);
    }
    const metadata: RecordMetadata[] = [];
    let unsent = groups;
    try {
      for (let round = 0; unsent.length > 0 && round <= UNSENT_PARTITION_RESENDS; round++) {
        metadata.push(...(await this.send(producer, unsent, outgoing, deadline)));
        unsent = unsent.filter((group) => group.partition !== undefined && !metadata.some((entry) => entry.partition === group.partition));
      }
    } catch (failure) {
      if (failure instanceof DeadlineExceededError) {
        // The send is still in flight: retired with its client, it can reconnect nowhere.
        await this.session.discard(session, describeKafkaError(failure));
        const error = new PublishOutcomeUnknownError(
          'The deadline passed while Kafka had the record in flight: it may or may not have been written',
          { cause: failure },
        );
        return this.receipts(messages, groups, metadata, unsent, () => ({ status: 'failed', error }));
      }
      // A resent partition was in an attempt of the first send that failed, for a reason kafkajs kept to itself.
      const resending = unsent !== groups;
      const error = sendFailure(failure, { ambiguousAttempt: resending || this.ambiguousAttempts !== ambiguousAttemptsBefore });
      // The send has ended (lib/kafka/produce-once.ts lets no produce outlive it), so the log is read
      // on this session's connections before the producer is replaced, not on a new client's.
      const found = groups.length === 1 ? undefined : await this.askTheLog(messages, unsent, error, deadline);
      await this.session.discard(session, describeKafkaError(failure));
      if (!found) return failAll(error);
      return this.receipts(messages, groups, metadata, unsent, (index) => found[index] as PublishResult);
    }
    // Built only if a partition stayed unsent: an error captures a stack, and this is the warm path.
    const unreached =
      unsent.length > 0
        ? new PublishOutcomeUnknownError(
            'Kafka acknowledged the send without this partition, and a resend did not reach it: it may or may not have been written',
          )
        : undefined;
    return this.receipts(messages, groups, metadata, unsent, () => ({ status: 'failed', error: unreached as PublisherError }));
  }

  /**
   * One kafkajs send of these groups, by the deadline. One send for the whole batch: kafkajs makes
   * one produce request per broker, as a bare send does (sends per partition would queue behind
   * one another: an idempotent producer has one request in flight per broker). The partitions are
   * ours, the same murmur2, so that the receipts follow from the one RecordMetadata per partition.
   */
  private send(producer: Producer, groups: PartitionGroup[], outgoing: Message[], deadline: Deadline): Promise<RecordMetadata[]> {
    return beforeDeadline(
      producer.send({
        topic: this.topic,
        messages: groups.flatMap((group) => group.indexes.map((index) => outgoing[index] as Message)),
        acks: -1,
        timeout: Math.max(1, deadline.remainingMs()),
        compression: this.compression,
      }),
      deadline,
    );
  }

  /**
   * Each message's result: from the RecordMetadata of its partition, or for the `unsent` groups
   * (those no send acknowledged) `unsentResult` of its index.
   */
  private receipts(
    messages: readonly OutgoingMessage[],
    groups: PartitionGroup[],
    metadata: RecordMetadata[],
    unsent: PartitionGroup[],
    unsentResult: (index: number) => PublishResult,
  ): PublishResult[] {
    const results: PublishResult[] = new Array(messages.length);
    for (const group of groups) {
      if (unsent.includes(group)) {
        for (const index of group.indexes) results[index] = unsentResult(index);
        continue;
      }
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

  /** Brokers and partitions as the cluster reports them now (a fresh metadata answer), by the deadline. */
  async health(deadline: Deadline): Promise<TopicHealth> {
    const session = await this.session.get(deadline);
    return this.metadataRequest(session, deadline, async (cluster) => {
      await cluster.addTargetTopic(this.topic);
      await cluster.refreshMetadata();
      return { brokers: cluster.getNodeIds().length, partitions: cluster.findTopicPartitionMetadata(this.topic).length };
    });
  }

  find(wanted: readonly WantedRecord[], since: number, deadline: Deadline): Promise<(Delivery | undefined)[]> {
    return this.records.find(wanted, since, deadline);
  }

  /** Disconnects the warm client, as on SIGTERM; the next publish builds a new one. */
  async close(): Promise<void> {
    await this.session.close();
  }

  private buildSession(kafka: Kafka): KafkaSession {
    const { producer, cluster } = producerWithCluster(kafka, {
      idempotent: true,
      allowAutoTopicCreation: false,
      metadataMaxAge: METADATA_MAX_AGE_MS,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer.on(producer.events.REQUEST_TIMEOUT, () => {
      this.ambiguousAttempts++;
    });
    return new KafkaSession(producer, cluster);
  }

  /**
   * Assigns each message the partition kafkajs would (Java-compatible murmur2 of the key), so that
   * each partition gets one produce call and fails or succeeds on its own.
   */
  private async groupByPartition(
    session: KafkaSession,
    messages: readonly OutgoingMessage[],
    deadline: Deadline,
  ): Promise<PartitionGroup[]> {
    const partitionMetadata = await this.partitions(session, deadline);
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
   * The topic's partitions as the producer knows them: the metadata its own send goes by, so a
   * batch pays no round trip while it is younger than METADATA_MAX_AGE_MS.
   */
  private partitions(session: KafkaSession, deadline: Deadline): Promise<PartitionMetadata[]> {
    return this.metadataRequest(session, deadline, async (cluster) => {
      await cluster.addTargetTopic(this.topic);
      await cluster.refreshMetadataIfNecessary();
      return cluster.findTopicPartitionMetadata(this.topic);
    });
  }

  /**
   * A metadata request on the producer's cluster, by the deadline. One abandoned at the deadline
   * leaves its connection busy, and a failed one may mean stale brokers: either replaces the
   * session (nothing was sent on it for this request yet).
   */
  private async metadataRequest<T>(
    session: KafkaSession,
    deadline: Deadline,
    request: (cluster: InternalCluster) => Promise<T>,
  ): Promise<T> {
    try {
      return await beforeDeadline(request(session.cluster), deadline);
    } catch (error) {
      await this.session.discard(session, describeKafkaError(error));
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
