// The internal kafkajs modules the publisher reaches into, pinned by kafkajs's exact version in
// package.json: its table of broker error codes, and the per-connection request queue.
declare module 'kafkajs/src/protocol/error' {
  export const errorCodes: ReadonlyArray<{ type: string; code: number; retriable: boolean; message: string }>;
}

declare module 'kafkajs/src/network/requestQueue/index.js' {
  export default class RequestQueue {
    pending: unknown[];
    throttledUntil: number;
    scheduleCheckPendingRequests(): void;
    checkPendingRequests(): void;
  }
}
