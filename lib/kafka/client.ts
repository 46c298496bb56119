import net from 'node:net';
import tls from 'node:tls';
import { type ISocketFactory, Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { type KafkaSecurity, type KafkaSecurityDeps, kafkaSecurity } from './auth';
import { fetchOnTheOneConnection } from './cluster';
import { scopeMetadataToNamedTopics } from './metadata-scope';
import { appendEachRecordOnce } from './produce-once';
import { stopIdlePolling } from './request-queue';

/**
 * kafkajs logs through our structured logger, at WARN and above: its ERROR lines for each
 * failed attempt are retried and reported once by the publisher, so they are warnings here.
 */
function kafkaLogCreator(logger: Logger, hooks: ClientHooks): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _ownTime, ...extra } = log;
      if (message.startsWith(FAILED_ATTEMPT)) hooks.onSendAttemptFailed?.(message.slice(FAILED_ATTEMPT.length));
      const line = `kafkajs: ${message}`;
      if (level <= KafkaLogLevel.WARN && !EXPECTED_WARNINGS.some((expected) => message.startsWith(expected))) {
        logger.warn(line, extra);
      } else {
        logger.debug(line, extra);
      }
    };
}

/**
 * Warnings about choices made on purpose. Bounded retries on the idempotent producer are safe
 * here because the publisher discards the producer after any failed send (lib/kafka/publisher.ts).
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

/** How kafkajs logs each failed attempt of a send before it retries (src/producer/sendMessages.js). */
const FAILED_ATTEMPT = 'Failed to send messages: ';

export interface ClientHooks {
  /** Each failed attempt inside a send, with kafkajs's message for it. */
  onSendAttemptFailed?(message: string): void;
  /**
   * A connection closed, without us closing it, while a request on it waited for its answer. That
   * request may have been appended, and kafkajs retries it without logging the attempt as failed.
   */
  onConnectionLost?(): void;
}

export function kafkaClientConfig(
  config: Config['kafka'],
  logger: Logger,
  security: KafkaSecurity = {},
  debug = false,
  hooks: ClientHooks = {},
): KafkaConfig {
  return {
    ...security,
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    enforceRequestTimeout: true,
    // Retries are few and short: the publisher's deadline is the real bound, and a retry that
    // starts after it is wasted work in a Lambda about to be frozen.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: debug ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(logger, hooks),
  };
}

/** A kafkajs client, and the means to stop it for good once it is discarded. */
export interface RetirableKafka {
  kafka: Kafka;
  /** Destroys the client's sockets and refuses it new ones. */
  retire(): void;
}

/**
 * The sockets of one kafkajs client (as kafkajs' own socket factory makes them). kafkajs cannot
 * cancel a send: a send still retrying when its producer is disconnected reconnects the client
 * (src/producer/sendMessages.js: `if (!cluster.isConnected()) await cluster.connect()`) and
 * finishes later, after the handler answered 504 (in Lambda, at a later thaw), on sockets
 * nobody closes. Retired, the client has no socket and gets none: such a send fails at once.
 */
export class ClientSockets {
  private readonly open = new Set<net.Socket>();
  private retired = false;

  constructor(private readonly onConnectionLost: () => void = () => {}) {}

  readonly factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (this.retired) {
      const refused = new net.Socket();
      process.nextTick(() => refused.destroy(Object.assign(new Error('This Kafka client was discarded'), { code: 'ECLIENTRETIRED' })));
      return refused;
    }
    const socket = ssl
      ? tls.connect(Object.assign({ host, port }, net.isIP(host) ? {} : { servername: host }, ssl), onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    this.open.add(socket);
    let connected = false;
    // Bytes written by the time the broker last answered: more written since means a request
    // was still waiting for its answer.
    let answeredUpTo = 0;
    socket.once(ssl ? 'secureConnect' : 'connect', () => {
      connected = true;
    });
    socket.on('data', () => {
      answeredUpTo = socket.bytesWritten;
    });
    socket.once('close', () => {
      // Refused connections never were up, an idle one the broker reaped held no request, and
      // our own retire() is no loss.
      if (connected && !this.retired && socket.bytesWritten > answeredUpTo) this.onConnectionLost();
      this.open.delete(socket);
    });
    return socket;
  };

  retire(): void {
    this.retired = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

/**
 * Builds a kafkajs client for each new producer. It is async because SCRAM credentials come from
 * Secrets Manager; they are fetched once and cached by `security`.
 *
 * Each execution environment takes the bootstrap brokers in an order of its own: kafkajs connects
 * to the first of the list first (src/cluster/connectionPoolBuilder.js), so a fleet cold-starting
 * together would otherwise all open their first connection to one broker. Which partition a key
 * goes to depends only on the topic's partitions, never on this order.
 */
export function kafkaFactory(
  config: Config['kafka'],
  logger: Logger,
  security: KafkaSecurityDeps,
  debug = false,
): (hooks?: ClientHooks) => Promise<RetirableKafka> {
  stopIdlePolling();
  const environment = { ...config, brokers: shuffled(config.brokers) };
  return async (hooks = {}) => {
    const sockets = new ClientSockets(hooks.onConnectionLost);
    const kafka = new Kafka({
      ...kafkaClientConfig(environment, logger, await kafkaSecurity(config, security), debug, hooks),
      socketFactory: sockets.factory,
    });
    return {
      kafka: appendEachRecordOnce(fetchOnTheOneConnection(scopeMetadataToNamedTopics(kafka))),
      retire: () => sockets.retire(),
    };
  };
}

/** Fisher-Yates. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
