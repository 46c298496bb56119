import type { StormFunction } from './flags';
import type { SocketTrace } from './sockets';

/** What the coordinator (bench/storm.ts) and its workers (bench/storm/worker.ts) say over IPC. */

/** Passed as JSON in the worker's argv[2]. */
export interface WorkerInput {
  worker: number;
  /** The client listeners: what each environment's KAFKA_BROKERS holds. */
  clientBootstrap: string;
  topic: string;
  /** How long each environment keeps sending after its start. */
  durationMs: number;
  /** Between two orders of one environment. */
  intervalMs: number;
  /** The function's timeout (serverless.yml): what getRemainingTimeInMillis counts down from. */
  lambdaTimeoutMs: number;
  logLevel: 'WARN' | 'SILENT';
  /** The function the environments are of. */
  function: StormFunction;
}

/** One execution environment's life, as its worker saw it. Times are epoch milliseconds. */
export interface EnvironmentRecord {
  id: number;
  worker: number;
  /** When the ramp asked for it. */
  scheduledAt: number;
  /** When its INIT began (later than scheduledAt when the worker was busy). */
  startedAt: number;
  /** Its first invocation's answer. */
  first?: { status: number; answeredAt: number };
  /** Its first 2xx, in any invocation. */
  firstOkAt?: number;
  sent: number;
  acked: number;
  /** Answers other than 2xx, by status and problem detail (digits as #). */
  failures: Record<string, number>;
  /** The handler threw instead of answering (it should never). */
  crashed?: string;
}

export type CoordinatorMessage = { type: 'start'; id: number; scheduledAt: number } | { type: 'end' };

export type WorkerMessage =
  | { type: 'ready'; cpuSeconds: number }
  | { type: 'first'; id: number; ok: boolean }
  | { type: 'tally'; sent: number; acked: number }
  | {
      type: 'result';
      environments: EnvironmentRecord[];
      sockets: SocketTrace[];
      endAt: number;
      rssMb: number;
      heapUsedMb: number;
      /** The worker's CPU time (user + system), in seconds, since it started (`ready` says how much loading took). */
      cpuSeconds: number;
    }
  | { type: 'error'; message: string };
