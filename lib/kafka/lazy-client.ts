import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { KafkaUnavailableError, type PublisherError } from '../errors';
import type { Logger } from '../log';
import { connectFailure, describeKafkaError } from './errors';

/** How long a discarded client may take to close its sockets before we stop waiting. */
const DISCARD_WAIT_MS = 250;

interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

interface Connection<Client> {
  /** Set once built: building may wait for credentials. */
  client: Client | undefined;
  connected: boolean;
  /** Stops the client for good: its sockets destroyed, no new ones. */
  retire: () => void;
  ready: Promise<Client>;
}

/**
 * The kafkajs client of an execution environment (the producer's session), connected on first use. The
 * connect promise is shared by concurrent callers and forgotten when it fails or the client is
 * discarded, so the next invocation builds a fresh one instead of inheriting a dead one.
 */
export class LazyClient<Client extends Connectable> {
  private current: Connection<Client> | undefined;
  /** Clients built so far: a warm environment keeps this at 1. */
  created = 0;

  constructor(
    private readonly what: string,
    /** A new client, and how to stop it for good. */
    private readonly build: () => Promise<{ client: Client; retire: () => void }>,
    private readonly logger: Logger,
    /** Told when the broker refused our credentials, so that a rotated secret is fetched again. */
    private readonly onAuthenticationFailure: () => void = () => {},
  ) {}

  /** The connected client, or a KafkaUnavailableError by the deadline: nothing was sent yet. */
  async get(deadline: Deadline): Promise<Client> {
    if (deadline.hasPassed()) throw new KafkaUnavailableError('No time was left to reach Kafka before the deadline');
    const current = this.current ?? this.connect();
    // The warm path: no timer to race against a promise that has long resolved.
    if (current.connected && current.client) return current.client;
    try {
      return await beforeDeadline(current.ready, deadline);
    } catch (error) {
      if (!current.client && this.current === current) this.current = undefined;
      throw await this.failedToConnect(current.client, error);
    }
  }

  /**
   * A further step of getting `client` ready (a producer's InitProducerId), by the deadline: a
   * failure is a failure to connect, and replaces the client, as one of `get` is.
   */
  async finish<T>(client: Client, step: () => Promise<T>, deadline: Deadline): Promise<T> {
    try {
      return await beforeDeadline(step(), deadline);
    } catch (error) {
      throw await this.failedToConnect(client, error);
    }
  }

  /** A failure to connect: a refused secret is fetched again next time, and the client (if built) is replaced. */
  private async failedToConnect(client: Client | undefined, error: unknown): Promise<PublisherError> {
    if ((error as Error).name === 'KafkaJSSASLAuthenticationError') this.onAuthenticationFailure();
    if (client) await this.discard(client, describeKafkaError(error));
    return this.unavailable(error);
  }

  /**
   * Drops this client if it is still the current one, for good. kafkajs cannot cancel a send, and
   * a disconnected producer whose send is still retrying reconnects by itself
   * (src/producer/sendMessages.js) and would append the record after we answered 504. Retired
   * first, it has no socket and gets none, so such a send fails at once.
   */
  async discard(client: Client, reason: string): Promise<void> {
    const current = this.current;
    if (current?.client !== client) return;
    this.current = undefined;
    this.logger.warn(`Discarding the Kafka ${this.what}; the next request builds a new one`, { reason });
    current.retire();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.disconnect().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DISCARD_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.client?.disconnect();
  }

  private connect(): Connection<Client> {
    this.created++;
    const current: Connection<Client> = {
      client: undefined,
      connected: false,
      retire: () => {},
      ready: this.build().then(async ({ client, retire }) => {
        // Abandoned at its deadline while building (waiting for credentials): connect nothing.
        if (this.current !== current) throw new KafkaUnavailableError(`The Kafka ${this.what} was abandoned before it connected`);
        current.client = client;
        current.retire = retire;
        await client.connect();
        current.connected = true;
        return client;
      }),
    };
    this.current = current;
    return current;
  }

  private unavailable(error: unknown): PublisherError {
    if (error instanceof DeadlineExceededError) {
      return new KafkaUnavailableError(`Kafka did not accept a connection (${this.what}) before the deadline`, { cause: error });
    }
    return connectFailure(error);
  }
}
