// The internal kafkajs modules the publisher reaches into, pinned by kafkajs's exact version in
// package.json: its table of broker error codes, the per-connection request queue, and the
// Metadata request (lib/kafka/metadata-scope.ts).
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

declare module 'kafkajs/src/protocol/encoder.js' {
  export default class Encoder {
    writeArray(array: unknown[], type?: string, length?: number): Encoder;
    writeBoolean(value: boolean): Encoder;
  }
}

declare module 'kafkajs/src/protocol/requests/apiKeys.js' {
  const apiKeys: { Metadata: number } & Record<string, number>;
  export default apiKeys;
}

declare module 'kafkajs/src/protocol/requests/metadata/index.js' {
  const Metadata: {
    versions: string[];
    protocol(options: { version: number }): (args: { topics: string[]; allowAutoTopicCreation?: boolean }) => {
      request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
      response: unknown;
    };
  };
  export default Metadata;
}
