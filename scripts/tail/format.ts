import type { DecodedFrame } from './frames';

/** A record of the topic as `npm run tail` shows it: the bytes decoded, nothing else changed. */
export interface TailRecord {
  partition: number;
  offset: number;
  timestampMs: number;
  key: string | null;
  /** Kafka allows a header name more than once: kafkajs then gives all its values. */
  headers: Record<string, string | string[]>;
  value: string | null;
  /** Registry mode: a value framed with a schema id, decoded (scripts/tail/frames.ts). */
  frame?: DecodedFrame | undefined;
}

/** A message as kafkajs's fetch decodes it (lib/kafka/cluster.ts: InternalBroker). */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  timestamp: string;
  value: Buffer | null;
}

export function toTailRecord(partition: number, message: FetchedMessage, frame?: DecodedFrame): TailRecord {
  const headers: TailRecord['headers'] = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map((one) => one.toString('utf8')) : value.toString('utf8');
  }
  return {
    partition,
    offset: Number(message.offset),
    timestampMs: Number(message.timestamp),
    key: message.key?.toString('utf8') ?? null,
    headers,
    value: frame ? null : (message.value?.toString('utf8') ?? null),
    ...(frame ? { frame } : {}),
  };
}

/** Colour on a terminal, unless NO_COLOR asks otherwise (https://no-color.org: any non-empty value). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** `--json`: one object per line, for jq and for tests. A value that is not JSON is kept as text. */
export function formatJson(record: TailRecord): string {
  const { partition, offset, key, headers, frame } = record;
  const common = { partition, offset, timestamp: isoTime(record.timestampMs), key, headers };
  if (frame) {
    const decoded = frame.problem === undefined;
    return JSON.stringify({
      ...common,
      schema_id: frame.schemaId,
      order: decoded ? frame.order : null,
      ...(decoded ? {} : { problem: frame.problem }),
    });
  }
  const parsed = parseValue(record.value);
  return JSON.stringify({
    ...common,
    order: parsed.ok ? parsed.order : null,
    ...(parsed.ok ? {} : { value: record.value }),
  });
}

/**
 * One line per record: `p1@42 2026-11-26T10:00:00.123Z key=user789 event-id=… {"order_id":…}`, and
 * `schema=7 {"order_id":…}` for a value framed with schema id 7 (registry mode).
 * Times are UTC ISO, as the receipts give them, so a receipt can be matched by eye.
 */
export function formatLine(record: TailRecord, { colour }: { colour: boolean }): string {
  const paint = (code: number, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const label = (name: string) => paint(DIM, `${name}=`);
  const eventId = record.headers['event-id'];
  const parsed = parseValue(record.value);
  const { frame } = record;
  const value = frame
    ? `${label('schema')}${paint(GREEN, String(frame.schemaId))} ${
        frame.problem === undefined ? safe(JSON.stringify(frame.order)) : `${paint(RED, '(not decoded)')} ${safe(frame.problem)}`
      }`
    : record.value === null
      ? paint(DIM, '(no value)')
      : parsed.ok
        ? safe(JSON.stringify(parsed.order))
        : `${paint(RED, '(not JSON)')} ${safe(JSON.stringify(record.value))}`;
  return [
    paint(CYAN, `p${record.partition}@${record.offset}`),
    paint(DIM, isoTime(record.timestampMs)),
    `${label('key')}${record.key === null ? paint(DIM, '(none)') : paint(YELLOW, shown(record.key))}`,
    `${label('event-id')}${eventId === undefined ? paint(DIM, '(none)') : paint(MAGENTA, shown(Array.isArray(eventId) ? eventId.join(',') : eventId))}`,
    value,
  ].join(' ');
}

const DIM = 2;
const RED = 31;
const GREEN = 32;
const YELLOW = 33;
const MAGENTA = 35;
const CYAN = 36;

function parseValue(value: string | null): { ok: true; order: unknown } | { ok: false } {
  if (value === null) return { ok: false };
  try {
    return { ok: true, order: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 ? new Date(ms).toISOString() : String(ms);
}

/** A word as it is, anything with spaces or quotes quoted, so that the fields of a line stay apart. */
function shown(text: string): string {
  return safe(/^[^\s"]+$/.test(text) ? text : JSON.stringify(text));
}

/**
 * Control characters escaped: a record is anyone's bytes, and an escape sequence in a key or a
 * value would otherwise drive the terminal. JSON.stringify escapes C0 only, not DEL, C1 or the
 * bidi overrides that reorder what is shown.
 */
function safe(text: string): string {
  return text.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
