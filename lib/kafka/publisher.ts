import { type Kafka, type Message, Partitioners, type Producer, type RecordMetadata } from 'kafkajs';
import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { KafkaUnavailableError, PublishOutcomeUnknownError } from '../errors';
import type { Logger } from '../log';
import type { Delivery, OutgoingMessage, Publisher } from '../publish';
import { connectFailure, describeKafkaError, sendFailure } from './errors';

/** How long a discarded producer may take to close its sockets before we stop waiting. */
const DISCARD_WAIT_MS = 250;

/**
 * The warm producer of one Lambda execution environment. It is created lazily, shared by every
 * invocation, and replaced after any failure: a failed or abandoned idempotent send can leave
 * the producer's sequence numbers out of step with the broker, and a fresh producer id is the
 * only safe reset (the Java client bumps its epoch for the same reason).
 */
export class KafkaPublisher implements Publisher {
  private connection: { producer: Producer; ready: Promise<Producer> } | undefined;
  /** kafkajs does not say which partition each message went to; the partitioner tells us. */
  private readonly partitionOf = new WeakMap<Message, number>();
  private requestTimeouts = 0;
  /** Producers built so far in this process: a warm environment keeps this at 1. */
  producersCreated = 0;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly logger: Logger,
  ) {}

  async publish(messages: readonly OutgoingMessage[], { deadline }: { deadline: Deadline }): Promise<Delivery[]> {
    if (deadline.hasPassed()) {
      throw new KafkaUnavailableError('No time was left to reach Kafka before the deadline');
    }
    const producer = await this.connectedProducer(deadline);
    const kafkaMessages: Message[] = messages.map((message) => ({
      key: message.key,
      value: message.value,
      headers: message.headers,
      timestamp: String(message.timestampMs),
    }));
    const requestTimeoutsBefore = this.requestTimeouts;
    try {
      const metadata = await beforeDeadline(
        producer.send({
          topic: this.topic,
          messages: kafkaMessages,
          acks: -1,
          timeout: Math.max(1, deadline.remainingMs()),
        }),
        deadline,
      );
      return this.deliveries(kafkaMessages, metadata);
    } catch (error) {
      await this.discard(producer, describeKafkaError(error));
      if (error instanceof DeadlineExceededError) {
        throw new PublishOutcomeUnknownError(
          'The deadline passed while Kafka had the record in flight: it may or may not have been written',
          { cause: error },
        );
      }
      throw sendFailure(error, { requestTimedOut: this.requestTimeouts !== requestTimeoutsBefore });
    }
  }

  /** Disconnects the warm producer, as on SIGTERM; the next publish builds a new one. */
  async close(): Promise<void> {
    const current = this.connection;
    this.connection = undefined;
    await current?.producer.disconnect();
  }

  private async connectedProducer(deadline: Deadline): Promise<Producer> {
    const connection = this.connection ?? this.connect();
    try {
      return await beforeDeadline(connection.ready, deadline);
    } catch (error) {
      await this.discard(connection.producer, describeKafkaError(error));
      if (error instanceof DeadlineExceededError) {
        throw new KafkaUnavailableError('Kafka did not accept a connection before the deadline', { cause: error });
      }
      throw connectFailure(error);
    }
  }

  private connect(): { producer: Producer; ready: Promise<Producer> } {
    const producer = this.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      createPartitioner: () => {
        const javaCompatible = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = javaCompatible(args);
          this.partitionOf.set(args.message, partition);
          return partition;
        };
      },
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.REQUEST_TIMEOUT, () => {
      this.requestTimeouts++;
    });
    this.producersCreated++;
    // The connect promise is shared by concurrent first invocations, and forgotten if it
    // rejects so that a failed cold start is retried by the next invocation.
    const connection = { producer, ready: producer.connect().then(() => producer) };
    this.connection = connection;
    return connection;
  }

  private async discard(producer: Producer, reason: string): Promise<void> {
    if (this.connection?.producer !== producer) return;
    this.connection = undefined;
    this.logger.warn('Discarding the Kafka producer; the next request builds a new one', { reason });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      producer.disconnect().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DISCARD_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** One RecordMetadata per partition: its records follow its base offset in the order sent. */
  private deliveries(messages: Message[], metadata: RecordMetadata[]): Delivery[] {
    const nextOffset = new Map<number, number>();
    const appendTime = new Map<number, string | undefined>();
    for (const entry of metadata) {
      nextOffset.set(entry.partition, Number(entry.baseOffset));
      appendTime.set(entry.partition, entry.logAppendTime);
    }
    return messages.map((message) => {
      const partition = this.partitionOf.get(message);
      const offset = partition === undefined ? undefined : nextOffset.get(partition);
      if (partition === undefined || offset === undefined || Number.isNaN(offset)) {
        throw new Error(`Kafka acknowledged the send without metadata for partition ${partition}`);
      }
      nextOffset.set(partition, offset + 1);
      const brokerTime = Number(appendTime.get(partition));
      const timestampMs = Number.isFinite(brokerTime) && brokerTime >= 0 ? brokerTime : Number(message.timestamp);
      return { topic: this.topic, partition, offset, timestamp: new Date(timestampMs).toISOString() };
    });
  }
}
