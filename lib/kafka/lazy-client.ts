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

/**
 * One kafkajs client (producer or admin) per execution environment, connected on first use. The
 * connect promise is shared by concurrent callers and forgotten when it fails or the client is
 * discarded, so the next invocation builds a fresh one instead of inheriting a dead one.
 */
export class LazyClient<Client extends Connectable> {
  /** `client` is set once built (building may wait for credentials), `connected` once connected. */
  private current: { client: Client | undefined; connected: boolean; ready: Promise<Client> } | undefined;
  /** Clients built so far: a warm environment keeps this at 1. */
  created = 0;

  constructor(
    private readonly what: string,
    private readonly build: () => Promise<Client>,
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
      if ((error as Error).name === 'KafkaJSSASLAuthenticationError') this.onAuthenticationFailure();
      if (current.client) await this.discard(current.client, describeKafkaError(error));
      else if (this.current === current) this.current = undefined;
      throw this.unavailable(error);
    }
  }

  /** Drops this client if it is still the current one; waits briefly for its sockets to close. */
  async discard(client: Client, reason: string): Promise<void> {
    if (this.current?.client !== client) return;
    this.current = undefined;
    this.logger.warn(`Discarding the Kafka ${this.what}; the next request builds a new one`, { reason });
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

  private connect() {
    this.created++;
    const current: { client: Client | undefined; connected: boolean; ready: Promise<Client> } = {
      client: undefined,
      connected: false,
      ready: this.build().then(async (client) => {
        // Abandoned at its deadline while building (waiting for credentials): connect nothing.
        if (this.current !== current) throw new KafkaUnavailableError(`The Kafka ${this.what} was abandoned before it connected`);
        current.client = client;
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
