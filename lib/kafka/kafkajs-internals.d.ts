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

// kafkajs's send and what it needs, as its producer builds them: driven by
// test/unit/lib/kafka/produce-once.test.ts against fake brokers.
declare module 'kafkajs/src/producer/sendMessages.js' {
  const createSendMessages: (options: {
    logger: unknown;
    cluster: unknown;
    partitioner: unknown;
    eosManager: unknown;
    retrier: unknown;
  }) => (request: {
    acks: number;
    timeout: number;
    compression?: number;
    topicMessages: { topic: string; messages: object[] }[];
  }) => Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string }[]>;
  export default createSendMessages;
}

declare module 'kafkajs/src/producer/eosManager/index.js' {
  const createEosManager: (options: { logger: unknown; cluster: unknown; idempotent: boolean; transactional?: boolean }) => {
    initProducerId(): Promise<void>;
    getSequence(topic: string, partition: number): number;
  };
  export default createEosManager;
}

declare module 'kafkajs/src/retry/index.js' {
  const createRetry: (options: { retries: number; initialRetryTime: number; maxRetryTime?: number }) => unknown;
  export default createRetry;
}
