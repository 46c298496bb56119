import http from 'node:http';
import https from 'node:https';
import type { Deadline } from '../deadline';

/**
 * The few calls of the Confluent Schema Registry REST API that this service makes, over node:http(s). Any
 * registry that speaks it will do: Confluent's (and Confluent Cloud), Apicurio's
 * /apis/ccompat/v7, Karapace, Redpanda's. Chosen over a client library by measurement
 * (docs/performance.md, "The registry client"): the library clients add 100 KB to 1 MB to the
 * bundle, and neither takes a deadline. Not Node's fetch: its first call loads its HTTP stack,
 * about 50 ms of a cold start, against 6 ms for node:http.
 */

const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A registered schema: what GET /subjects/{s}/versions/latest and GET /schemas/ids/{id} answer. */
export interface RegisteredSchema {
  id: number;
  version?: number;
  subject?: string;
  schema: string;
  /** Absent for Avro, the registry's default. */
  schemaType?: string;
}

export interface SchemaToRegister {
  schema: string;
  schemaType: 'JSON' | 'AVRO';
}

export interface CompatibilityAnswer {
  is_compatible: boolean;
  /** Confluent's registry, with ?verbose=true. */
  messages?: string[];
  /** Apicurio's ccompat API. */
  reason?: string | null;
}

/** An answer other than 2xx. `errorCode` is the registry's own (40401: no such subject). */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    readonly registryMessage: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}${errorCode !== undefined ? ` (error ${errorCode})` : ''}: ${registryMessage}`);
    this.name = 'RegistryHttpError';
  }

  get subjectNotFound(): boolean {
    return this.status === 404 && this.errorCode === 40401;
  }

  get authenticationFailed(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The request did not complete: refused, reset, or not answered by the deadline. */
export class RegistryUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnreachableError';
  }
}

/** The part of an HTTP answer the client reads: fetch's Response has it too. */
export interface HttpAnswer {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** One request and its whole answer; `fetch` fits, and tests pass one. */
export type HttpSend = (url: string, request: HttpRequest) => Promise<HttpAnswer>;

/**
 * A request over node:http or node:https, its answer read whole, aborted with the signal. A new
 * connection each time (no keep-alive): an environment asks the registry once.
 */
export const httpSend: HttpSend = (url, { method, headers, body, signal }) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, { method, headers, signal, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ ok: status >= 200 && status < 300, status, statusText: response.statusMessage ?? '', text: async () => text });
      });
    });
    request.on('error', reject);
    request.end(body);
  });

export interface RegistryClientOptions {
  /** The API's base URL, without a trailing slash. */
  url: string;
  /** The Authorization header, when the registry wants one. */
  authorization?: () => Promise<string>;
  /** Told when the registry refuses the credentials (401/403). */
  onAuthenticationFailure?: () => void;
  /** How requests are sent: node:http(s) unless a test gives another (fetch fits). */
  fetch?: HttpSend;
}

export class RegistryClient {
  readonly url: string;
  private readonly fetch: HttpSend;

  constructor(private readonly options: RegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? httpSend;
  }

  /** The subject's latest version. */
  latest(subject: string, deadline: Deadline): Promise<RegisteredSchema> {
    return this.call(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      undefined,
      deadline,
      `the latest version of ${subject}`,
    );
  }

  /** Registers the schema under the subject (a schema it already has keeps its id and version). */
  register(subject: string, schema: SchemaToRegister, deadline: Deadline): Promise<{ id: number }> {
    return this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body(schema), deadline, `registering under ${subject}`);
  }

  /** Whether the schema may follow the subject's latest version, under the subject's compatibility rule. */
  compatibility(subject: string, schema: SchemaToRegister, deadline: Deadline): Promise<CompatibilityAnswer> {
    return this.call(
      'POST',
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`,
      body(schema),
      deadline,
      `the compatibility check under ${subject}`,
    );
  }

  /** The compatibility rule in force for the subject: its own, else the registry's global one. */
  async compatibilityLevel(subject: string, deadline: Deadline): Promise<{ level: string; own: boolean }> {
    try {
      const own = await this.call<{ compatibilityLevel?: string; compatibility?: string }>(
        'GET',
        `/config/${encodeURIComponent(subject)}`,
        undefined,
        deadline,
        `the compatibility rule of ${subject}`,
      );
      return { level: own.compatibilityLevel ?? own.compatibility ?? 'unknown', own: true };
    } catch (error) {
      if (!(error instanceof RegistryHttpError && error.status === 404)) throw error;
    }
    const global = await this.call<{ compatibilityLevel?: string }>('GET', '/config', undefined, deadline, 'the global compatibility rule');
    return { level: global.compatibilityLevel ?? 'unknown', own: false };
  }

  /** Sets the subject's own compatibility rule. */
  setCompatibilityLevel(subject: string, level: string, deadline: Deadline): Promise<unknown> {
    return this.call(
      'PUT',
      `/config/${encodeURIComponent(subject)}`,
      JSON.stringify({ compatibility: level }),
      deadline,
      `setting the compatibility rule of ${subject}`,
    );
  }

  /** The schema with this id, as a consumer looks it up for a frame. */
  schemaById(id: number, deadline: Deadline): Promise<RegisteredSchema> {
    return this.call<RegisteredSchema>('GET', `/schemas/ids/${id}`, undefined, deadline, `schema id ${id}`).then((found) => ({
      ...found,
      id,
    }));
  }

  private async call<T>(method: string, path: string, requestBody: string | undefined, deadline: Deadline, what: string): Promise<T> {
    const headers: Record<string, string> = { accept: `${MEDIA_TYPE}, application/json` };
    if (requestBody !== undefined) headers['content-type'] = MEDIA_TYPE;
    if (this.options.authorization) headers.authorization = await this.options.authorization();
    const remainingMs = deadline.remainingMs();
    if (remainingMs <= 0) throw new RegistryUnreachableError(`No time was left to ask the schema registry for ${what}`);
    let response: HttpAnswer;
    let text: string;
    try {
      response = await this.fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(requestBody !== undefined ? { body: requestBody } : {}),
        signal: AbortSignal.timeout(remainingMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
      // fetch wraps the socket's error in `cause`; node:http gives it as it is.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? (error as { code?: string }).code;
      const detail = timedOut ? `no answer within ${remainingMs} ms` : (code ?? cause?.message ?? (error as Error).message);
      throw new RegistryUnreachableError(`The schema registry at ${this.url} did not answer (${what}): ${detail}`, { cause: error });
    }
    if (!response.ok) {
      if (response.status === 401 || response.status === 403) this.options.onAuthenticationFailure?.();
      const problem = parse(text) as { error_code?: number; message?: string } | undefined;
      throw new RegistryHttpError(
        response.status,
        problem?.error_code,
        problem?.message ?? (text.slice(0, 300) || response.statusText),
        what,
      );
    }
    const parsed = parse(text);
    if (parsed === undefined) throw new RegistryHttpError(response.status, undefined, `not JSON: ${text.slice(0, 200)}`, what);
    return parsed as T;
  }
}

function body({ schema, schemaType }: SchemaToRegister): string {
  return JSON.stringify(schemaType === 'AVRO' ? { schema } : { schemaType, schema });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
