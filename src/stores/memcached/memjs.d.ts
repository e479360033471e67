// The part of memjs 1.3.2 that client.ts uses (callback-less calls return promises). Declared here rather than
// pulling in @types/memjs, whose getServer() is typed as returning a string while memjs uses an index.
declare module 'memjs' {
  interface MemjsOptions {
    /** seconds per request */
    timeout?: number;
    /** seconds to connect */
    conntimeout?: number;
    /** attempts per server (memjs counts the first one) */
    retries?: number;
    retry_delay?: number;
    failover?: boolean;
    failoverTime?: number;
    expires?: number;
    logger?: { log(...args: unknown[]): void };
    keepAlive?: boolean;
  }
  class Server {
    /** a unix socket: host undefined, port = the socket path (net.connect treats a non-numeric port as a path) */
    constructor(host: string | undefined, port: number | string, username?: string, password?: string, options?: MemjsOptions);
    host: string | undefined;
    port: number | string;
    username?: string;
    password?: string;
    wakeupAt?: number;
    close(): void;
  }
  class Client {
    constructor(servers: Server[], options?: MemjsOptions);
    servers: Server[];
    /** index into servers */
    getServer(key: string): number;
    get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
    set(key: string, value: string | Buffer, options: { expires?: number }): Promise<boolean>;
    delete(key: string): Promise<boolean>;
    close(): void;
  }
  const memjs: { Client: typeof Client; Server: typeof Server };
  export default memjs;
}
