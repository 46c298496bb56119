/** Wall and CPU time of each call, in milliseconds. */
export interface Timings {
  wallMs: Float64Array;
  cpuMs: Float64Array;
}

export type Task = (iteration: number) => Promise<unknown>;

/**
 * Runs the tasks in turn, `iterations` times each, and times every call. The order flips on each
 * round (A B, B A…), so that neither task always runs right after the other's leftovers; taking
 * turns call by call makes both see the same machine, which on a shared 2-core box matters more
 * than anything else. CPU time is the whole process's (user + system, every thread) during the
 * call: it includes the kafkajs work of decoding the answer and any GC that the call triggered.
 */
export async function alternate(tasks: readonly Task[], iterations: number, onProgress?: (done: number) => void): Promise<Timings[]> {
  const timings = tasks.map(() => ({ wallMs: new Float64Array(iterations), cpuMs: new Float64Array(iterations) }));
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let turn = 0; turn < tasks.length; turn++) {
      const index = iteration % 2 === 0 ? turn : tasks.length - 1 - turn;
      const task = tasks[index] as Task;
      const timing = timings[index] as Timings;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await task(iteration);
      timing.wallMs[iteration] = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      timing.cpuMs[iteration] = (cpu.user + cpu.system) / 1000;
    }
    onProgress?.(iteration + 1);
  }
  return timings;
}

/** Runs each task `iterations` times without timing: JIT, connections and caches get warm. */
export async function warmUp(tasks: readonly Task[], iterations: number, onProgress?: (done: number) => void): Promise<void> {
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (const task of tasks) await task(iteration);
    onProgress?.(iteration + 1);
  }
}

/** Mean CPU and wall time per call of `task`, over `iterations` calls in a row. */
export async function meanCost(task: Task, iterations: number): Promise<{ cpuUs: number; wallUs: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let iteration = 0; iteration < iterations; iteration++) await task(iteration);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuUs: (cpu.user + cpu.system) / iterations, wallUs: (wallMs * 1000) / iterations };
}
