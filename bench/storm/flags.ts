/** What `npm run storm` runs: its flags, their ranges, and the connection limits the brokers get from them. */
import { UsageError } from '../plan';

export interface StormOptions {
  /** Simulated Lambda execution environments, each with its own runtime and Kafka clients. */
  environments: number;
  /** New environments per second (Lambda adds at most 1,000 every 10 s: about 100/s). */
  ramp: number;
  /** Seconds each environment keeps sending orders after its start. */
  duration: number;
  /** Seconds between two orders of one environment. */
  interval: number;
  /** Worker processes the environments live in. */
  workers: number;
  /** max.connections of each broker's client listener. */
  maxConnections: number;
  /** max.connection.creation.rate of each broker's client listener: new connections per second. */
  connectionRate: number;
  /** quota.window.num: the rate is averaged over this many 1-second samples (at least this many minus one). */
  quotaSamples: number;
  /**
   * The Lambda function the environments are of: each route is a function of its own, with
   * environments of its own (serverless.yml). order: POST /orders; batch: POST /orders/batch
   * (10 orders each); health: GET /health.
   */
  function: StormFunction;
  /** One JSON object on stdout; the table goes to stderr. */
  json: boolean;
  /** --help: print the usage, run nothing. */
  help: boolean;
}

/**
 * Amazon MSK's quotas for IAM clients, per broker (m5 and m7g): 3,000 connections and 100 new
 * connections per second. Lambda's default concurrency is 1,000 environments per Region, so MSK
 * allows 3 connections per broker per environment of such a fleet: the storm keeps that ratio.
 */
export const MSK_IAM_QUOTA = { connectionsPerBroker: 3_000, newConnectionsPerSecondPerBroker: 100, fleet: 1_000 } as const;
export const CONNECTIONS_PER_BROKER_PER_ENVIRONMENT = MSK_IAM_QUOTA.connectionsPerBroker / MSK_IAM_QUOTA.fleet;

export const STORM_FUNCTIONS = ['order', 'batch', 'health'] as const;
export type StormFunction = (typeof STORM_FUNCTIONS)[number];

interface NumericFlag {
  key: Exclude<keyof StormOptions, 'json' | 'help' | 'function'>;
  min: number;
  max: number;
  help: string;
}

/** Every numeric flag: a whole number within its range, or the run is refused before anything starts. */
export const NUMERIC_FLAGS: readonly NumericFlag[] = [
  { key: 'environments', min: 1, max: 3_000, help: 'simulated execution environments (default 300)' },
  { key: 'ramp', min: 1, max: 1_000, help: 'new environments per second, as Lambda scales out (default 100)' },
  { key: 'duration', min: 1, max: 3_600, help: 'seconds each environment sends orders after its start (default 60)' },
  { key: 'interval', min: 1, max: 600, help: 'seconds between two orders of one environment (default 5)' },
  { key: 'workers', min: 1, max: 32, help: 'worker processes the environments live in (default 4)' },
  {
    key: 'maxConnections',
    min: 1,
    max: 1_000_000,
    help: `max.connections per broker on the client listener (default ${CONNECTIONS_PER_BROKER_PER_ENVIRONMENT} × environments, as MSK's 3,000 for 1,000)`,
  },
  {
    key: 'connectionRate',
    min: 1,
    max: 100_000,
    help: 'max.connection.creation.rate per broker on the client listener, new connections per second (default 100, as MSK on m5/m7g)',
  },
  {
    key: 'quotaSamples',
    min: 1,
    max: 100,
    help: "quota.window.num: the broker averages the connection rate over this many 1-s samples (default 11, Kafka's; 2 is strict)",
  },
];

/** quotaSamples 11 is Kafka's own default of quota.window.num. */
export const DEFAULTS = {
  environments: 300,
  ramp: 100,
  duration: 60,
  interval: 5,
  workers: 4,
  connectionRate: 100,
  quotaSamples: 11,
} as const;

/** --max-connections for the key maxConnections. */
export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

export const USAGE = `npm run storm [-- [--json] [--function order|batch|health] [--environments N] [--ramp N] [--duration S] [--interval S] [--workers N]
                     [--max-connections N] [--connection-rate N] [--quota-samples N]]

A fleet of simulated Lambda execution environments cold-starts against a local three-broker
cluster of its own, whose client listener has Kafka's connection limits scaled from MSK's IAM
quotas; then each sends orders through the real handler. See docs/performance.md, "The storm".

${NUMERIC_FLAGS.map(({ key, min, max, help }) => `  ${flagName(key).padEnd(19)}${min} to ${max}: ${help}`).join('\n')}
  --function F       the function the environments are of: order (POST /orders, default), batch (POST /orders/batch, 10 orders), health (GET /health)
  --json             one JSON object on stdout (the table and progress go to stderr)

Environment: KAFKA_STORM_PORT_OFFSET (default 3000), KAFKA_STORM_STATE_DIR (default .kafka-storm).`;

/** The flags, checked; a UsageError (exit code 2) names the flag and its range. */
export function parseStormArgs(argv: readonly string[]): StormOptions {
  const given: Partial<Record<NumericFlag['key'], number>> = {};
  let json = false;
  let help = false;
  let stormFunction: StormFunction = 'order';
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg];
    if (name === '--function') {
      const value = inline ?? argv[++index];
      if (!STORM_FUNCTIONS.includes(value as StormFunction)) {
        throw new UsageError(`--function must be one of ${STORM_FUNCTIONS.join(', ')} (got ${JSON.stringify(value)})`);
      }
      stormFunction = value as StormFunction;
      continue;
    }
    const flag = NUMERIC_FLAGS.find(({ key }) => flagName(key) === name);
    if (!flag) throw new UsageError(`Unknown argument ${arg}\n\n${USAGE}`);
    const value = inline ?? argv[++index];
    given[flag.key] = wholeNumber(flag, value);
  }
  const environments = given.environments ?? DEFAULTS.environments;
  return {
    environments,
    ramp: given.ramp ?? DEFAULTS.ramp,
    duration: given.duration ?? DEFAULTS.duration,
    interval: given.interval ?? DEFAULTS.interval,
    workers: Math.min(given.workers ?? DEFAULTS.workers, environments),
    maxConnections: given.maxConnections ?? CONNECTIONS_PER_BROKER_PER_ENVIRONMENT * environments,
    connectionRate: given.connectionRate ?? DEFAULTS.connectionRate,
    quotaSamples: given.quotaSamples ?? DEFAULTS.quotaSamples,
    function: stormFunction,
    json,
    help,
  };
}

function wholeNumber({ key, min, max }: NumericFlag, value: string | undefined): number {
  const range = `a whole number from ${min} to ${max}`;
  if (value === undefined || value === '') throw new UsageError(`${flagName(key)} needs a value: ${range}`);
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${flagName(key)} must be ${range} (got ${JSON.stringify(value)})`);
  }
  return number;
}

/** What the brokers are configured with: Kafka's own limits, on the clients' listener only. */
export interface BrokerLimits {
  listener: 'CLIENT';
  maxConnectionsPerBroker: number;
  maxConnectionCreationRatePerBroker: number;
  /**
   * Kafka measures the rate over quota.window.num samples of quota.window.size.seconds (1 s), and
   * over at least all but one of them: with the default 11, a burst is averaged over 10 s or more.
   */
  rateWindowSamples: number;
  /** As written into each broker's server.properties. */
  brokerConfig: Record<string, string>;
  scaledFrom: string;
}

export function brokerLimits({
  maxConnections,
  connectionRate,
  quotaSamples,
}: Pick<StormOptions, 'maxConnections' | 'connectionRate' | 'quotaSamples'>): BrokerLimits {
  return {
    listener: 'CLIENT',
    maxConnectionsPerBroker: maxConnections,
    maxConnectionCreationRatePerBroker: connectionRate,
    rateWindowSamples: quotaSamples,
    brokerConfig: {
      'listener.name.client.max.connections': String(maxConnections),
      'listener.name.client.max.connection.creation.rate': String(connectionRate),
      // Broker-wide; it also sizes client quotas' windows, and the storm sets none.
      'quota.window.num': String(quotaSamples),
    },
    scaledFrom: `MSK IAM quotas per broker (m5/m7g): ${MSK_IAM_QUOTA.connectionsPerBroker} connections for a fleet of ${MSK_IAM_QUOTA.fleet} environments, ${MSK_IAM_QUOTA.newConnectionsPerSecondPerBroker} new connections/s`,
  };
}
