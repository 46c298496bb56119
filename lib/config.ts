import zlib from 'node:zlib';
import * as z from 'zod';
import { ConfigError } from './errors';

const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1, 'at least one broker is needed'));

const milliseconds = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const ConfigSchema = z.object({
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: 1 to 249 of [A-Za-z0-9._-]')
    .default('order-events'),
  KAFKA_CLIENT_ID: z.string().min(1).max(255).default('order-producer'),
  /** The most a publish may take, before the Lambda's own remaining time is considered. */
  PUBLISH_TIMEOUT_MS: milliseconds(10_000, 100, 28_000),
  /** Kept free before the Lambda's own timeout, to answer and log after a deadline passes. */
  DEADLINE_MARGIN_MS: milliseconds(500, 0, 10_000),
  /** GET /health answers 503 when the cluster's metadata takes longer than this. */
  HEALTH_TIMEOUT_MS: milliseconds(2_000, 100, 10_000),
  KAFKA_CONNECTION_TIMEOUT_MS: milliseconds(3_000, 100, 30_000),
  KAFKA_REQUEST_TIMEOUT_MS: milliseconds(5_000, 100, 30_000),
  /** How record batches are compressed (docs/performance.md, "Compression", for the choice of default). */
  KAFKA_COMPRESSION: z.enum(['none', 'gzip', 'snappy', 'zstd'], 'one of none, gzip, snappy, zstd').default('snappy'),
  /** none: PLAINTEXT (local); iam: MSK IAM over SASL/OAUTHBEARER; scram: SASL/SCRAM-SHA-512. */
  KAFKA_AUTH: z.enum(['none', 'iam', 'scram']).default('none'),
  /** Defaults to true whenever KAFKA_AUTH is not none: MSK's IAM and SCRAM listeners are TLS only. */
  KAFKA_TLS: z.enum(['true', 'false']).optional(),
  /** The Secrets Manager secret (ARN or name) holding {"username","password"}; MSK requires the AmazonMSK_ prefix. */
  KAFKA_SCRAM_SECRET_ARN: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?AmazonMSK_[A-Za-z0-9/_+=.@-]+$/,
      'the ARN or name of a Secrets Manager secret whose name starts with AmazonMSK_',
    )
    .optional(),
  /** Set by the Lambda runtime; IAM tokens are signed for it. */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
    .optional(),
  /** The DynamoDB table behind Idempotency-Key; unset, a key only makes the event ids deterministic. */
  IDEMPOTENCY_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name: 3 to 255 of [A-Za-z0-9_.-]')
    .optional(),
  /** How long a key is remembered. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60, 'at least 60').max(31_536_000, 'at most a year').default(86_400),
  /** true: a publishing request without Idempotency-Key is refused with 400. */
  IDEMPOTENCY_KEY_REQUIRED: z.enum(['true', 'false'], "'true' or 'false'").default('false'),
  /**
   * After an attempt's lease ends (its deadline), how long a retry waits before it may take the key
   * over (docs/architecture.md, "Exactly once for a shop that retries").
   */
  IDEMPOTENCY_SETTLE_MS: milliseconds(10_000, 0, 60_000),
  /**
   * Registry mode (lib/schema/): values framed in the Confluent wire format, with the schema id that
   * this registry gives the order schema. Unset: plain JSON values, as before.
   */
  SCHEMA_REGISTRY_URL: z
    .url({ protocol: /^https?$/, message: 'an http(s) URL such as https://psrc-xxxxx.eu-west-1.aws.confluent.cloud' })
    .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'without credentials: put them in the secret of SCHEMA_REGISTRY_SECRET_ARN')
    .refine((url) => !/[?#]/.test(url), 'without a query or fragment')
    .optional(),
  /** json: JSON Schema; avro: Avro binary. */
  SCHEMA_FORMAT: z.enum(['json', 'avro'], 'one of json (JSON Schema), avro').optional(),
  /** How the subject is named: topic (order-events-value), record (shop.orders.Order), topic-record (order-events-shop.orders.Order). */
  SCHEMA_SUBJECT_STRATEGY: z.enum(['topic', 'record', 'topic-record'], 'one of topic, record, topic-record').optional(),
  /** none, or basic: HTTP basic auth (Confluent Cloud's API key and secret) from SCHEMA_REGISTRY_SECRET_ARN. */
  SCHEMA_REGISTRY_AUTH: z.enum(['none', 'basic'], 'one of none, basic').optional(),
  /** The Secrets Manager secret (ARN or name) holding {"username","password"}: the API key and its secret. */
  SCHEMA_REGISTRY_SECRET_ARN: z
    .string()
    .regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]+$/, 'the ARN or name of a Secrets Manager secret')
    .optional(),
  /** true: a cold start registers the schema itself; false (the default): the deploy registers it (npm run schema -- register). */
  SCHEMA_AUTO_REGISTER: z.enum(['true', 'false'], "'true' or 'false'").optional(),
  LOG_LEVEL: z
    .enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'debug', 'info', 'warn', 'error', 'silent'])
    .transform((level) => level.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT')
    .default('INFO'),
});

/** What the running Node offers that a setting may need. */
export interface RuntimeFeatures {
  /** zstd in node:zlib: Node 22.15 and later. */
  zstd: boolean;
}

/** Whether this Node's zlib has zstd (Node 22.15 and later). */
export function zlibHasZstd(library: object = zlib): boolean {
  const { zstdCompress, zstdDecompress } = library as { zstdCompress?: unknown; zstdDecompress?: unknown };
  return typeof zstdCompress === 'function' && typeof zstdDecompress === 'function';
}

const configRules = (features: RuntimeFeatures) =>
  ConfigSchema.superRefine((env, context) => {
    if (env.KAFKA_COMPRESSION === 'zstd' && !features.zstd) {
      context.addIssue({
        code: 'custom',
        path: ['KAFKA_COMPRESSION'],
        message: `zstd needs zstd in node:zlib (Node 22.15 or later; Lambda's nodejs24.x has it), and this is Node ${process.versions.node}: use none, gzip or snappy`,
      });
    }
    if (env.KAFKA_AUTH === 'scram' && env.KAFKA_SCRAM_SECRET_ARN === undefined) {
      context.addIssue({ code: 'custom', path: ['KAFKA_SCRAM_SECRET_ARN'], message: 'is required when KAFKA_AUTH=scram' });
    }
    if (env.KAFKA_AUTH === 'iam' && env.AWS_REGION === undefined) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'is required when KAFKA_AUTH=iam' });
    }
    if (env.IDEMPOTENCY_TABLE !== undefined && env.AWS_REGION === undefined) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'is required when IDEMPOTENCY_TABLE is set' });
    }
    if (env.SCHEMA_REGISTRY_URL === undefined) {
      for (const variable of REGISTRY_VARIABLES) {
        if (env[variable] !== undefined) {
          context.addIssue({ code: 'custom', path: [variable], message: 'is set, but SCHEMA_REGISTRY_URL is not: set both, or neither' });
        }
      }
    }
    if (env.SCHEMA_REGISTRY_AUTH === 'basic' && env.SCHEMA_REGISTRY_SECRET_ARN === undefined) {
      context.addIssue({ code: 'custom', path: ['SCHEMA_REGISTRY_SECRET_ARN'], message: 'is required when SCHEMA_REGISTRY_AUTH=basic' });
    }
    if (env.SCHEMA_REGISTRY_SECRET_ARN !== undefined && env.SCHEMA_REGISTRY_AUTH !== 'basic') {
      context.addIssue({ code: 'custom', path: ['SCHEMA_REGISTRY_AUTH'], message: 'must be basic when SCHEMA_REGISTRY_SECRET_ARN is set' });
    }
  });

/** The registry variables that mean nothing without SCHEMA_REGISTRY_URL. */
const REGISTRY_VARIABLES = [
  'SCHEMA_FORMAT',
  'SCHEMA_SUBJECT_STRATEGY',
  'SCHEMA_REGISTRY_AUTH',
  'SCHEMA_REGISTRY_SECRET_ARN',
  'SCHEMA_AUTO_REGISTER',
] as const;

/** Registry mode: where the schema lives, how values are encoded, and how the subject is named. */
export interface SchemaRegistryConfig {
  /** Without a trailing slash; it may carry a path (Apicurio: /apis/ccompat/v7). */
  readonly url: string;
  readonly format: 'json' | 'avro';
  readonly subjectStrategy: 'topic' | 'record' | 'topic-record';
  readonly auth: { readonly mechanism: 'none' } | { readonly mechanism: 'basic'; readonly secretId: string };
  readonly autoRegister: boolean;
}

export type KafkaAuthConfig =
  | { readonly mechanism: 'none' }
  | { readonly mechanism: 'iam'; readonly region: string }
  | { readonly mechanism: 'scram'; readonly secretId: string };

export interface Config {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly topic: string;
    readonly clientId: string;
    readonly connectionTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly compression: 'none' | 'gzip' | 'snappy' | 'zstd';
    readonly tls: boolean;
    readonly auth: KafkaAuthConfig;
  };
  readonly publishTimeoutMs: number;
  readonly deadlineMarginMs: number;
  readonly healthTimeoutMs: number;
  /** Lambda sets it; the SDK clients (DynamoDB, IAM tokens) need it. */
  readonly awsRegion: string | undefined;
  readonly idempotency: {
    /** Unset: keys are accepted and only make event ids deterministic. */
    readonly table: string | undefined;
    readonly ttlSeconds: number;
    readonly keyRequired: boolean;
    readonly settleMs: number;
  };
  /** Unset: values are plain JSON. */
  readonly schemaRegistry: SchemaRegistryConfig | undefined;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/** Parses the environment once; a bad variable fails the cold start with its name and form. */
export function parseConfig(
  env: Record<string, string | undefined> = process.env,
  features: RuntimeFeatures = { zstd: zlibHasZstd() },
): Config {
  // An empty variable means "not set": `KAFKA_TOPIC=` in a .env file should not blank the topic.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = configRules(features).safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      return `${variable}=${JSON.stringify(redacted(env[variable] ?? ''))}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const parsed = result.data;
  return deepFreeze({
    kafka: {
      brokers: parsed.KAFKA_BROKERS,
      topic: parsed.KAFKA_TOPIC,
      clientId: parsed.KAFKA_CLIENT_ID,
      connectionTimeoutMs: parsed.KAFKA_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: parsed.KAFKA_REQUEST_TIMEOUT_MS,
      compression: parsed.KAFKA_COMPRESSION,
      tls: parsed.KAFKA_TLS === undefined ? parsed.KAFKA_AUTH !== 'none' : parsed.KAFKA_TLS === 'true',
      auth: authConfig(parsed),
    },
    publishTimeoutMs: parsed.PUBLISH_TIMEOUT_MS,
    deadlineMarginMs: parsed.DEADLINE_MARGIN_MS,
    healthTimeoutMs: parsed.HEALTH_TIMEOUT_MS,
    awsRegion: parsed.AWS_REGION,
    idempotency: {
      table: parsed.IDEMPOTENCY_TABLE,
      ttlSeconds: parsed.IDEMPOTENCY_TTL_SECONDS,
      keyRequired: parsed.IDEMPOTENCY_KEY_REQUIRED === 'true',
      settleMs: parsed.IDEMPOTENCY_SETTLE_MS,
    },
    schemaRegistry: registryConfig(parsed),
    logLevel: parsed.LOG_LEVEL,
  });
}

/** A value as an error may show it: the credentials of a URL (https://key:secret@host) left out. */
function redacted(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function registryConfig(parsed: z.infer<typeof ConfigSchema>): SchemaRegistryConfig | undefined {
  if (parsed.SCHEMA_REGISTRY_URL === undefined) return undefined;
  return {
    url: parsed.SCHEMA_REGISTRY_URL.replace(/\/+$/, ''),
    format: parsed.SCHEMA_FORMAT ?? 'json',
    subjectStrategy: parsed.SCHEMA_SUBJECT_STRATEGY ?? 'topic',
    auth:
      parsed.SCHEMA_REGISTRY_AUTH === 'basic'
        ? { mechanism: 'basic', secretId: parsed.SCHEMA_REGISTRY_SECRET_ARN as string }
        : { mechanism: 'none' },
    autoRegister: parsed.SCHEMA_AUTO_REGISTER === 'true',
  };
}

function authConfig(parsed: z.infer<typeof ConfigSchema>): KafkaAuthConfig {
  switch (parsed.KAFKA_AUTH) {
    case 'iam':
      return { mechanism: 'iam', region: parsed.AWS_REGION as string };
    case 'scram':
      return { mechanism: 'scram', secretId: parsed.KAFKA_SCRAM_SECRET_ARN as string };
    default:
      return { mechanism: 'none' };
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
