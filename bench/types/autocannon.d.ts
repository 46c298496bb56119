// The part of autocannon 9's API that bench/cases/http.ts uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }

    interface Options {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Called before each request: what it returns is sent. */
      requests?: { setupRequest?: (request: Request) => Request }[];
      connections?: number;
      /** Stop after this many requests. */
      amount?: number;
      pipelining?: number;
      /** Seconds. */
      timeout?: number;
    }

    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
    }

    /** Emits 'response' (client, statusCode, resBytes, responseTimeMs) for every answer; awaitable. */
    interface Instance extends EventEmitter, PromiseLike<Result> {}
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
