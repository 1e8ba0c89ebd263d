// Types of bench/fault-proxy.mjs for the TypeScript tests that import it.
export interface FaultProxyPlan {
  /** Share of chat requests answered 503 by the proxy (never forwarded). */
  unavailable?: number;
  /** Share forwarded, stored by the API, then cut off before the answer reaches the client. */
  dropAfterStore?: number;
  /** Share held `delayMs[0]`–`delayMs[1]` ms before being forwarded. */
  delay?: number;
  /** @default [500, 3000] */
  delayMs?: [number, number];
}
export interface FaultProxyCounts {
  chat: number;
  passed: number;
  unavailable: number;
  droppedAfterStore: number;
  delayed: number;
  other: number;
}
export interface FaultProxy {
  url: string;
  counts: FaultProxyCounts;
  /** Chat requests that reached the proxy, per client_message_id. */
  attempts: Map<string, number>;
  close(): Promise<void>;
}
export declare function startFaultProxy(options: { upstream: string; seed: number; plan: FaultProxyPlan }): Promise<FaultProxy>;
