import type { CallbacksConfig } from '../config/callbacks.js';
import type { CallbackSender } from '../ports/callback.js';
import { backoffDelay } from '../queue/message.js';
import { HttpCallbackSender } from './http-sender.js';
import { CALLBACK_KEY_MIN_CHARS, signCallback } from './signature.js';
import { type CallbackPolicy, callbackPolicy } from './url-policy.js';

/** What the workflow needs to accept callback URLs and deliver signed notices. */
export interface CallbackPorts {
  policy: CallbackPolicy;
  /** `sha256=<hex>` for a timestamp and body; the key stays inside this closure, never logged. */
  sign(timestamp: number, body: string): string;
  sender: CallbackSender;
  /** Absolute URL of a gateway path as agents reach it (for the notice's status and result URLs). */
  publicUrl(path: string): string;
  /**
   * Waits before a failed attempt is handed back for redelivery: base * 2^(n-1), capped below
   * the Service Bus lock (a Functions trigger redelivers at once, so the backoff lives here).
   */
  pause(deliveryCount: number): Promise<void>;
}

export interface CallbackPortsInput {
  config: CallbacksConfig | undefined;
  /** AGENTGATE_CALLBACK_KEY (a Key Vault reference in Azure). */
  key: string;
  /** The local host only: http and loopback receivers. */
  allowLoopback: boolean;
  publicUrl(path: string): string;
  sender?: CallbackSender;
  /** Backoff base and cap (1 s, 15 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Checked once when the host starts: a short key stops the start instead of signing weakly. */
export function createCallbackPorts(input: CallbackPortsInput): CallbackPorts {
  if (input.key.length < CALLBACK_KEY_MIN_CHARS) {
    throw new Error(`AGENTGATE_CALLBACK_KEY must be at least ${CALLBACK_KEY_MIN_CHARS} characters`);
  }
  const key = input.key;
  const base = input.retryBaseMs ?? 1_000;
  const max = input.retryMaxMs ?? 15_000;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    policy: callbackPolicy(input.config, input.allowLoopback),
    sign: (timestamp, body) => signCallback(key, timestamp, body),
    sender: input.sender ?? new HttpCallbackSender({ allowLoopback: input.allowLoopback }),
    publicUrl: input.publicUrl,
    pause: (deliveryCount) => sleep(backoffDelay(deliveryCount, base, max)),
  };
}
