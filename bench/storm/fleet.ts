import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoordinatorMessage, EnvironmentRecord, WorkerInput, WorkerMessage } from './messages';
import { now, type SocketTrace } from './sockets';

const WORKER_FILE = path.join(__dirname, 'worker.ts');
/** Loading lib/, kafkajs and Powertools in four processes at once, on two busy cores. */
const READY_TIMEOUT_MS = 90_000;

export interface FleetResult {
  environments: EnvironmentRecord[];
  sockets: SocketTrace[];
  endAt: number;
  /** cpuSeconds: during the storm, after loading. */
  workers: { worker: number; rssMb: number; heapUsedMb: number; cpuSeconds: number; environments: number }[];
}

export interface FleetProgress {
  started: number;
  answered: number;
  ok: number;
  sent: number;
  acked: number;
}

interface Worker {
  index: number;
  child: ChildProcess;
  logFile: string;
  result?: Extract<WorkerMessage, { type: 'result' }>;
  /** CPU seconds it had used when it was ready (loading the handler). */
  readyCpuSeconds: number;
  tally: { sent: number; acked: number };
  exited: Promise<void>;
}

/**
 * The worker processes and the ramp. Workers are forked with the coordinator's tsx flags; their
 * output goes to one log file each. A worker that dies before it reports fails the run, with the
 * end of its log.
 */
export class Fleet {
  private stopping = false;
  private failure: ((error: Error) => void) | undefined;
  private readonly workers: Worker[] = [];
  readonly progress: FleetProgress = { started: 0, answered: 0, ok: 0, sent: 0, acked: 0 };
  /** Called once, when every environment's first order has its answer: the end of the cold starts. */
  onColdStartsDone: () => void = () => {};
  private expected = 0;

  /** Forks `count` workers and waits until each has loaded the handler. `kill` ends them, even while they load. */
  async start(count: number, input: Omit<WorkerInput, 'worker'>, logDir: string, env: NodeJS.ProcessEnv): Promise<void> {
    fs.mkdirSync(logDir, { recursive: true });
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const logFile = path.join(logDir, `worker-${index + 1}.log`);
      const out = fs.openSync(logFile, 'w');
      const child = fork(WORKER_FILE, [JSON.stringify({ ...input, worker: index + 1 } satisfies WorkerInput)], {
        // process.execArgv carries tsx's loader flags, so the worker runs TypeScript too.
        execArgv: process.execArgv,
        env,
        stdio: ['ignore', out, out, 'ipc'],
      });
      fs.closeSync(out);
      const worker: Worker = {
        index: index + 1,
        child,
        logFile,
        tally: { sent: 0, acked: 0 },
        readyCpuSeconds: 0,
        exited: new Promise((resolve) => child.once('exit', () => resolve())),
      };
      this.workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('message', (message: WorkerMessage) => {
            if (message.type !== 'ready') return reject(new Error(`worker ${index + 1}: ${JSON.stringify(message)}`));
            worker.readyCpuSeconds = message.cpuSeconds;
            resolve();
          });
          child.once('exit', (code, signal) =>
            reject(new Error(`worker ${index + 1} exited (${code ?? signal}) while loading:\n${tail(logFile)}`)),
          );
        }),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(ready),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the workers did not load within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    for (const worker of this.workers) this.watch(worker);
  }

  /**
   * Starts `environments` on the ramp, one worker after another, and waits for every worker's
   * records. `timeoutMs` bounds the whole storm.
   */
  async run(environments: number, ramp: number, timeoutMs: number): Promise<FleetResult> {
    const failed = new Promise<never>((_, reject) => {
      this.failure = reject;
    });
    this.expected = environments;
    const timer = setTimeout(() => this.failure?.(new Error(`the storm did not end within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    try {
      await Promise.race([this.ramp(environments, ramp), failed]);
      await Promise.race([Promise.all(this.workers.map((worker) => this.resultOf(worker))), failed]);
    } finally {
      clearTimeout(timer);
    }
    const results = this.workers.map((worker) => ({
      ...(worker.result as NonNullable<Worker['result']>),
      cpuSeconds: (worker.result?.cpuSeconds ?? 0) - worker.readyCpuSeconds,
    }));
    return {
      environments: results.flatMap((result) => result.environments),
      sockets: results.flatMap((result) => result.sockets),
      endAt: Math.max(...results.map((result) => result.endAt)),
      workers: results.map((result, index) => ({
        worker: index + 1,
        rssMb: Math.round(result.rssMb),
        heapUsedMb: Math.round(result.heapUsedMb),
        cpuSeconds: Number(result.cpuSeconds.toFixed(1)),
        environments: result.environments.length,
      })),
    };
  }

  /** Ends every worker still running: SIGTERM, then SIGKILL after two seconds. */
  async kill(): Promise<void> {
    this.stopping = true;
    const alive = this.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    for (const worker of alive) worker.child.kill('SIGTERM');
    const all = Promise.all(alive.map((worker) => worker.exited));
    if ((await Promise.race([all.then(() => true), sleep(2_000, false)])) === false) {
      for (const worker of alive) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await all;
    }
  }

  get logFiles(): string[] {
    return this.workers.map((worker) => worker.logFile);
  }

  private async ramp(environments: number, ramp: number): Promise<void> {
    const startAt = now() + 100;
    for (let id = 0; id < environments; id++) {
      const scheduledAt = startAt + (id * 1000) / ramp;
      const wait = scheduledAt - now();
      if (wait >= 1) await sleep(wait);
      const worker = this.workers[id % this.workers.length] as Worker;
      this.send(worker, { type: 'start', id, scheduledAt });
      this.progress.started++;
    }
    for (const worker of this.workers) this.send(worker, { type: 'end' });
  }

  private watch(worker: Worker): void {
    worker.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'first') {
        this.progress.answered++;
        if (message.ok) this.progress.ok++;
        if (this.progress.answered === this.expected) this.onColdStartsDone();
      } else if (message.type === 'tally') {
        this.progress.sent += message.sent - worker.tally.sent;
        this.progress.acked += message.acked - worker.tally.acked;
        worker.tally = { sent: message.sent, acked: message.acked };
      } else if (message.type === 'result') {
        worker.result = message;
      } else if (message.type === 'error') {
        this.failure?.(new Error(`worker ${worker.index}: ${message.message}`));
      }
    });
    worker.child.once('exit', (code, signal) => {
      if (worker.result || this.stopping) return;
      this.failure?.(new Error(`worker ${worker.index} exited (${code ?? signal}) before it reported:\n${tail(worker.logFile)}`));
    });
  }

  private async resultOf(worker: Worker): Promise<void> {
    await worker.exited;
    if (!worker.result) throw new Error(`worker ${worker.index} exited without its records:\n${tail(worker.logFile)}`);
  }

  private send(worker: Worker, message: CoordinatorMessage): void {
    if (worker.child.connected) worker.child.send(message);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
