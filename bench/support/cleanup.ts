/**
 * What a run must undo however it ends (at the end, on an error, or on Ctrl-C): the broker it
 * started, serverless-offline's process group, scratch folders. Undone last-in, first-out.
 */
const pending: (() => Promise<void> | void)[] = [];

/** Registers `undo`; the returned function drops it again, once the caller has undone it itself. */
export function deferCleanup(undo: () => Promise<void> | void): () => void {
  pending.push(undo);
  return () => {
    const index = pending.lastIndexOf(undo);
    if (index >= 0) pending.splice(index, 1);
  };
}

export async function runCleanups(): Promise<void> {
  for (const undo of pending.splice(0).reverse()) {
    try {
      await undo();
    } catch (error) {
      process.stderr.write(`cleanup failed: ${String(error)}\n`);
    }
  }
}
