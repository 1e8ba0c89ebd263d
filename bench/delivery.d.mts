// Types of bench/delivery.mjs for the TypeScript tests that import it.
import type { Browser } from 'playwright-core';
import type { FaultProxyCounts, FaultProxyPlan } from '../test/helpers/fault-proxy.mjs';

export interface DeliveryScenario {
  name: string;
  seed: number;
  plan: FaultProxyPlan;
  /** Add a new identity secret at 1/3 of the run, remove the old one at 2/3. */
  rotate?: boolean;
  /** The app re-sends a rejected message once (with a new client_message_id). */
  resend: boolean;
}
export interface DeliveryRow {
  scenario: string;
  seed: number;
  sent: number;
  stored: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  settled: number;
  rejected: number;
  rejections: Array<{ text: string; code: string | undefined; resent: boolean }>;
  resent: number;
  attemptsPerMessage: number;
  maxAttempts: number;
  drainSeconds: number | null;
  onErrorCalls: number;
  tokens: number;
  faults: FaultProxyCounts;
  rotation: { addedAt: number | null; removedAt: number | null } | null;
  pageErrors: string[];
}
export interface DeliveryServer {
  signUserToken(
    claims: { user_id: string; [claim: string]: unknown },
    secret: string,
    options?: { expiresIn?: number | string },
  ): Promise<string>;
  generateProjectKeys(): { widgetKey: string; identitySecret: string };
}
export declare const SCENARIOS: readonly DeliveryScenario[];
export declare const TOKEN_SECONDS: number;
export declare function judge(storedTexts: string[], n: number): { stored: number; lost: number; duplicated: number; outOfOrder: number };
export declare function runDeliveryScenario(options: {
  scenario: DeliveryScenario;
  messages: number;
  browser: Browser;
  server: DeliveryServer;
  apiUrl: string;
  project: { widgetKey: string; identitySecrets?: string[] };
  embed(init: string): string;
  timeoutMs?: number;
}): Promise<DeliveryRow>;
export declare function measureDelivery(options?: {
  root?: string;
  messages?: number;
  scenarios?: readonly DeliveryScenario[];
}): Promise<DeliveryRow[]>;
