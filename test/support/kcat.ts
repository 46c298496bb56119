import { execFileSync } from 'node:child_process';

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  /** Name, value, name, value… as kcat -J prints them. */
  headers?: string[];
}

/** kcat (librdkafka), a client independent of the code under test, reads one record where it is said to be. */
export function readWithKcat(bootstrap: string, topic: string, partition: number, offset: number): KcatRecord {
  const output = execFileSync(
    'kcat',
    ['-q', '-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', String(offset), '-c', '1', '-e', '-J'],
    { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return JSON.parse(output) as KcatRecord;
}
