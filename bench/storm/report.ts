import { quantile } from '../support/stats';
import type { BrokerLimits, StormOptions } from './flags';
import type { EnvironmentRecord } from './messages';
import type { SocketTrace } from './sockets';

/** What `npm run storm` found: the fields the issue names first, then what explains them. */
export interface StormReport {
  environments: number;
  /** Environments whose first order got a 2xx. */
  acked: number;
  failed: number;
  /** From an environment's start (its INIT) to the 2xx of its first order, over the acked ones. */
  firstAckMs: Percentiles;
  /** Each environment's peak number of open (TCP-established) connections, averaged over environments. */
  connectionsPerEnvironment: number;
  perBroker: BrokerFigures[];
  limits: BrokerLimits;
  /** Environments whose first order failed but a later one got a 2xx. */
  ackedLater: number;
  /** The first orders' answers other than 2xx, by status and detail. */
  firstFailures: Record<string, number>;
  orders: { sent: number; acked: number; failed: number; failures: Record<string, number> };
  /** Environments whose handler threw instead of answering (never expected). */
  crashed: number;
  connections: {
    /** The most connections any one environment had open at once. */
    maxPerEnvironment: number;
    /** How many environments peaked at each count of open connections. */
    peakHistogram: Record<string, number>;
    /** Connection attempts per environment, averaged. */
    attemptsPerEnvironment: number;
    /** Attempts that never connected, by error code (`abandoned`: the client's connection timeout came first). */
    failedAttempts: Record<string, number>;
    /** Sockets opened outside any environment's invocation (none expected). */
    unattributed: number;
  };
  /** How late the workers began each environment's INIT after the ramp asked for it: a busy machine. */
  startLagMs: Percentiles;
  /** The ramp as it happened: first to last environment start, in seconds. */
  rampSeconds: number;
}

/**
 * One broker's connections, seen from the clients. The kernel completes a TCP handshake before
 * Kafka accepts the connection: Kafka's limits delay the accept (the connection waits in the
 * listen queue, socket.listen.backlog.size 50, and past that SYNs go unanswered). So Kafka's own
 * count is taken from the broker's first answer on a connection (it accepted it and served its
 * first request) until the close; the TCP figures, which include the listen queue, are beside it.
 */
export interface BrokerFigures {
  id: number;
  port: number;
  /** Most connections open at once that the broker had answered on: what Kafka (and MSK's ClientConnectionCount) counts. */
  peakConnections: number;
  /** Most connections the broker began answering in any one second (a sliding window): its accept rate. */
  peakNewConnectionsPerSecond: number;
  attempts: number;
  /** TCP-established. */
  established: number;
  /** Answered by the broker: accepted. */
  accepted: number;
  /** The same peaks counted from the TCP handshake: connections waiting in the listen queue included. */
  tcp: { peakConnections: number; peakNewConnectionsPerSecond: number };
  /** TCP-established to the broker's first answer: Kafka's accept delay plus the first request. */
  firstAnswerMs: Percentiles;
  /** Environments whose first connection attempt went to this broker: kafkajs seeds from the first bootstrap broker. */
  firstConnectionOf: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface StormInput {
  options: StormOptions;
  limits: BrokerLimits;
  brokers: readonly { id: number; port: number }[];
  environments: readonly EnvironmentRecord[];
  sockets: readonly SocketTrace[];
  /** When the workers stopped watching: sockets still open count as open until then. */
  endAt: number;
}

const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  return {
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN),
  };
}

/** The most intervals [open, close) that overlap at any moment. */
export function peakOverlap(intervals: readonly (readonly [number, number])[]): number {
  // A close at the same moment as an open counts first: the connection it replaces is gone.
  const events = intervals.flatMap(([open, close]) => [
    [open, 1],
    [close, -1],
  ]);
  events.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let open = 0;
  let peak = 0;
  for (const [, change] of events) {
    open += change as number;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** The most events in any window of `windowMs` (sliding: [t, t + windowMs)). */
export function peakInWindow(times: readonly number[], windowMs = 1_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

/** When each connected socket was open: connected until closed, or until the end. */
const openIntervals = (sockets: readonly SocketTrace[], endAt: number): [number, number][] =>
  sockets.flatMap((socket) => (socket.connectAt === undefined ? [] : [[socket.connectAt, socket.closeAt ?? endAt] as [number, number]]));

const add = (tally: Record<string, number>, key: string, count = 1) => {
  tally[key] = (tally[key] ?? 0) + count;
};

export function summarize({ options, limits, brokers, environments, sockets, endAt }: StormInput): StormReport {
  const isOk = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;
  const acked = environments.filter((env) => isOk(env.first?.status));
  const firstFailures: Record<string, number> = {};
  const orderFailures: Record<string, number> = {};
  for (const env of environments) {
    const failures = Object.entries(env.failures);
    for (const [reason, count] of failures) add(orderFailures, reason, count);
    if (env.crashed) add(firstFailures, `crashed: ${env.crashed.split('\n')[0]}`);
    else if (!env.first) add(firstFailures, 'no answer');
    else if (!isOk(env.first.status)) {
      // The first order's reason is the first failure recorded (a failed first order is recorded before any other).
      add(firstFailures, failures[0]?.[0] ?? String(env.first.status));
    }
  }

  const byEnvironment = new Map<number, SocketTrace[]>();
  for (const socket of sockets) {
    if (socket.env === null) continue;
    const list = byEnvironment.get(socket.env) ?? [];
    list.push(socket);
    byEnvironment.set(socket.env, list);
  }
  const peaks = environments.map((env) => peakOverlap(openIntervals(byEnvironment.get(env.id) ?? [], endAt)));
  const peakHistogram: Record<string, number> = {};
  for (const peak of peaks) add(peakHistogram, String(peak));
  const failedAttempts: Record<string, number> = {};
  for (const socket of sockets) if (socket.connectAt === undefined) add(failedAttempts, socket.error ?? 'pending');

  const firstPorts = [...byEnvironment.values()].map(
    (list) => list.reduce((first, socket) => (socket.attemptAt < first.attemptAt ? socket : first)).port,
  );
  const perBroker = brokers.map(({ id, port }): BrokerFigures => {
    const mine = sockets.filter((socket) => socket.port === port);
    const connected = mine.filter((socket) => socket.connectAt !== undefined);
    const answered = connected.filter((socket) => socket.firstDataAt !== undefined);
    return {
      id,
      port,
      peakConnections: peakOverlap(answered.map((socket) => [socket.firstDataAt as number, socket.closeAt ?? endAt] as [number, number])),
      peakNewConnectionsPerSecond: peakInWindow(answered.map((socket) => socket.firstDataAt as number)),
      attempts: mine.length,
      established: connected.length,
      accepted: answered.length,
      tcp: {
        peakConnections: peakOverlap(openIntervals(connected, endAt)),
        peakNewConnectionsPerSecond: peakInWindow(connected.map((socket) => socket.connectAt as number)),
      },
      firstAnswerMs: percentiles(answered.map((socket) => (socket.firstDataAt as number) - (socket.connectAt as number))),
      firstConnectionOf: firstPorts.filter((first) => first === port).length,
    };
  });

  const starts = environments.map((env) => env.startedAt);
  const sent = environments.reduce((total, env) => total + env.sent, 0);
  const ordersAcked = environments.reduce((total, env) => total + env.acked, 0);
  return {
    environments: options.environments,
    acked: acked.length,
    failed: options.environments - acked.length,
    firstAckMs: percentiles(acked.map((env) => (env.first?.answeredAt as number) - env.startedAt)),
    connectionsPerEnvironment: round(peaks.reduce((total, peak) => total + peak, 0) / Math.max(1, options.environments), 2),
    perBroker,
    limits,
    ackedLater: environments.filter((env) => !isOk(env.first?.status) && env.firstOkAt !== undefined).length,
    firstFailures,
    orders: { sent, acked: ordersAcked, failed: sent - ordersAcked, failures: orderFailures },
    crashed: environments.filter((env) => env.crashed).length,
    connections: {
      maxPerEnvironment: Math.max(0, ...peaks),
      peakHistogram,
      attemptsPerEnvironment: round(sockets.filter((socket) => socket.env !== null).length / Math.max(1, options.environments), 2),
      failedAttempts,
      unattributed: sockets.filter((socket) => socket.env === null).length,
    },
    startLagMs: percentiles(environments.map((env) => env.startedAt - env.scheduledAt)),
    rampSeconds: starts.length ? round((Math.max(...starts) - Math.min(...starts)) / 1000, 2) : 0,
  };
}

/** The report for a terminal. */
export function renderTable(report: StormReport): string {
  const { firstAckMs: ack, limits } = report;
  const entries = (record: Record<string, number>) =>
    Object.entries(record)
      .sort(([, a], [, b]) => b - a)
      .map(([reason, count]) => `    ${String(count).padStart(6)}  ${reason}`);
  const lines = [
    `environments        ${report.environments}`,
    `acked (first 2xx)   ${report.acked}`,
    `failed              ${report.failed}${report.ackedLater ? ` (${report.ackedLater} of them got a 2xx on a later order)` : ''}`,
    `first ack           p50 ${ack.p50} ms · p99 ${ack.p99} ms · max ${ack.max} ms (from INIT to the first 2xx)`,
    `connections / env   ${report.connectionsPerEnvironment} (peak open, averaged; most ${report.connections.maxPerEnvironment}; ${report.connections.attemptsPerEnvironment} attempts each)`,
    `orders              ${report.orders.sent} sent, ${report.orders.acked} acked, ${report.orders.failed} failed`,
    `limits per broker   ${limits.maxConnectionsPerBroker} connections, ${limits.maxConnectionCreationRatePerBroker} new/s averaged over ${limits.rateWindowSamples} samples of 1 s (listener ${limits.listener})`,
    `start lag           p50 ${report.startLagMs.p50} ms · p99 ${report.startLagMs.p99} ms (ramp took ${report.rampSeconds} s)`,
    '',
    '| broker | port | peak connections | peak new/s | attempts | TCP-established | accepted | TCP peak / peak new/s | first answer p50 / p99 / max ms | first connection of |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...report.perBroker.map(
      (broker) =>
        `| ${broker.id} | ${broker.port} | ${broker.peakConnections} | ${broker.peakNewConnectionsPerSecond} | ${broker.attempts} | ${broker.established} | ${broker.accepted} | ${broker.tcp.peakConnections} / ${broker.tcp.peakNewConnectionsPerSecond} | ${broker.firstAnswerMs.p50} / ${broker.firstAnswerMs.p99} / ${broker.firstAnswerMs.max} | ${broker.firstConnectionOf} envs |`,
    ),
  ];
  if (Object.keys(report.firstFailures).length > 0) lines.push('', 'first orders that failed:', ...entries(report.firstFailures));
  if (Object.keys(report.connections.failedAttempts).length > 0) {
    lines.push('', 'connection attempts that never connected:', ...entries(report.connections.failedAttempts));
  }
  return lines.join('\n');
}
