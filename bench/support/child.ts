import { fork } from 'node:child_process';

/**
 * Cases that load the handler run in child processes: each starts with a fresh module scope (the
 * handler's runtime reads the environment once, at import), its stdout (the handler's log and
 * metric lines, as Lambda writes them) goes to /dev/null instead of the terminal, and its memory
 * is its own. Parent and child talk over the IPC channel.
 */
export type ChildMessage =
  | { type: 'progress'; done: number; total: number; detail?: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

export interface ChildOptions {
  env: Record<string, string>;
  /** Passed as JSON in argv[2]. */
  input: unknown;
  onProgress?: (done: number, total: number, detail?: string) => void;
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  timeoutMs?: number;
}

/** Runs a `*.child.ts` file (through tsx, as the parent runs) and resolves with what it reports. */
export function runChild<Result>(
  file: string,
  { env, input, onProgress, nodeFlags = [], timeoutMs = 300_000 }: ChildOptions,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [JSON.stringify(input)], {
      // process.execArgv carries tsx's loader flags, so the child runs TypeScript too.
      execArgv: [...process.execArgv, ...nodeFlags],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let result: { value: Result } | undefined;
    let failure: string | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const timer = setTimeout(() => {
      failure = `timed out after ${timeoutMs / 1000} s`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') onProgress?.(message.done, message.total, message.detail);
      else if (message.type === 'result') result = { value: message.result as Result };
      else failure = message.message;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result && code === 0) resolve(result.value);
      else reject(new Error(`${file} failed (${failure ?? `exit ${code ?? signal}`})${stderr ? `:\n${stderr}` : ''}`));
    });
  });
}

/** In a child: its input, as the parent passed it. */
export function childInput<Input>(): Input {
  return JSON.parse(process.argv[2] ?? '{}') as Input;
}

/** In a child: tells the parent how far it got, at most about 50 times per phase. */
export function progressReporter(total: number, detail?: string): (done: number) => void {
  const every = Math.max(1, Math.floor(total / 50));
  return (done) => {
    if (done % every === 0 || done === total) void send({ type: 'progress', done, total, ...(detail ? { detail } : {}) });
  };
}

/** In a child: runs the case, sends its result, and exits (warm Kafka clients would keep it alive). */
export function runAsChild(work: () => Promise<unknown>): void {
  work().then(
    async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (error: unknown) => {
      await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('This file runs as a child of bench/run.ts (npm run bench)');
    process.send(message, undefined, undefined, () => resolve());
  });
}
