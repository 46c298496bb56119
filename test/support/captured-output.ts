import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Everything the process writes to stdout and stderr during each test of the calling file, kept
 * instead of printed: the logger, kafkajs and the AWS SDK all write there.
 */
export function captureOutput(): { readonly written: string[] } {
  const captured = { written: [] as string[] };
  beforeEach(() => {
    captured.written = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        captured.written.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return captured;
}
