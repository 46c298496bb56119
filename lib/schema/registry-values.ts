import { beforeDeadline, type Deadline, DeadlineExceededError } from '../deadline';
import { SchemaUnavailableError } from '../errors';
import type { Logger } from '../log';
import type { Order } from '../orders/schema';
import type { OrderValueEncoder } from '../publish';
import type { SchemaFormat } from './formats';
import { frame } from './framing';
import { type RegistryClient, RegistryHttpError, RegistryUnreachableError } from './registry-client';

export interface RegistryValuesDeps {
  client: RegistryClient;
  format: SchemaFormat;
  subject: string;
  /** Register the schema at the cold start instead of requiring it to be the subject's latest. */
  autoRegister: boolean;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Named in reasons, never its content. */
  secretId?: string | undefined;
}

/** The schema id this execution environment frames with, and the version it came from. */
export interface ResolvedSchema {
  id: number;
  version: number | undefined;
}

/**
 * Registry mode's values: each order encoded in the configured format behind the Confluent frame.
 * The schema id is resolved once per execution environment, on the first publish, within that
 * request's deadline, and kept: a warm environment never asks the registry again, so it goes on
 * publishing while the registry is down. A cold one that cannot resolve it fails the request with
 * SchemaUnavailableError (503) before anything is sent, and the next request tries again.
 */
export class RegistryValues implements OrderValueEncoder {
  private resolved: ResolvedSchema | undefined;
  private resolving: Promise<ResolvedSchema> | undefined;

  constructor(private readonly deps: RegistryValuesDeps) {}

  /** The resolved schema, once a publish has resolved it. */
  get schema(): ResolvedSchema | undefined {
    return this.resolved;
  }

  async encode(orders: readonly Order[], deadline: Deadline): Promise<Buffer[]> {
    const { id } = this.resolved ?? (await this.resolve(deadline));
    const { format } = this.deps;
    return orders.map((order) => frame(id, format.encode(order)));
  }

  /** The schema id, from the registry: shared by concurrent requests, each waiting no longer than its own deadline. */
  async resolve(deadline: Deadline): Promise<ResolvedSchema> {
    if (this.resolved) return this.resolved;
    if (deadline.hasPassed())
      throw new SchemaUnavailableError('No time was left to resolve the schema id before the deadline; nothing was written');
    this.resolving ??= this.ask(deadline).then(
      (resolved) => {
        this.resolved = resolved;
        return resolved;
      },
      (error: unknown) => {
        this.resolving = undefined;
        throw error;
      },
    );
    const resolving = this.resolving;
    try {
      return await beforeDeadline(resolving, deadline);
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        throw new SchemaUnavailableError(
          `The schema registry at ${this.deps.client.url} did not give the schema id of ${this.deps.subject} before the deadline; nothing was written`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async ask(deadline: Deadline): Promise<ResolvedSchema> {
    const { client, format, subject, autoRegister, logger } = this.deps;
    try {
      if (autoRegister) {
        const { id } = await client.register(subject, format, deadline);
        logger.info(`Schema registry: the ${format.name} order schema is id ${id} under ${subject} (registered at cold start)`, {
          subject,
          schema_id: id,
        });
        return { id, version: undefined };
      }
      const latest = await client.latest(subject, deadline);
      if (!format.isOurs(latest.schema)) {
        throw new SchemaUnavailableError(
          `The latest schema under ${subject} (version ${latest.version}, id ${latest.id}) is not the ${format.name} order schema of this code, ` +
            'so its id would describe other records: run `npm run schema -- check` and `npm run schema -- register` with this code, or deploy the code of that schema; nothing was written',
        );
      }
      logger.info(`Schema registry: framing with schema id ${latest.id}, version ${latest.version} of ${subject}`, {
        subject,
        schema_id: latest.id,
        schema_version: latest.version,
      });
      return { id: latest.id, version: latest.version };
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private unavailable(error: unknown): Error {
    const { client, subject } = this.deps;
    if (error instanceof SchemaUnavailableError) return error;
    if (error instanceof RegistryHttpError && error.subjectNotFound) {
      return new SchemaUnavailableError(
        `The subject ${subject} has no schema in the registry at ${client.url}: register it with \`npm run schema -- register\` (the deploy does); nothing was written`,
        { cause: error },
      );
    }
    if (error instanceof RegistryHttpError && error.authenticationFailed) {
      const source = this.deps.secretId ? `the credentials of secret ${this.deps.secretId}` : 'requests without credentials';
      return new SchemaUnavailableError(
        `The schema registry at ${client.url} refused ${source} (HTTP ${error.status}): check SCHEMA_REGISTRY_AUTH and the secret; nothing was written`,
        { cause: error },
      );
    }
    if (error instanceof RegistryHttpError || error instanceof RegistryUnreachableError) {
      return new SchemaUnavailableError(`Could not resolve the schema id of ${subject}: ${error.message}; nothing was written`, {
        cause: error,
      });
    }
    // Secrets Manager, or anything else before the request.
    return new SchemaUnavailableError(
      `Could not resolve the schema id of ${subject}: ${(error as Error).message ?? String(error)}; nothing was written`,
      { cause: error },
    );
  }
}
