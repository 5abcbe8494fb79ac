import type { CallbacksConfig } from '../config/callbacks.js';
import type { CallbackSender } from '../ports/callback.js';
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
}

export interface CallbackPortsInput {
  config: CallbacksConfig | undefined;
  /** AGENTGATE_CALLBACK_KEY (a Key Vault reference in Azure). */
  key: string;
  /** The local host only: http and loopback receivers. */
  allowLoopback: boolean;
  publicUrl(path: string): string;
  sender?: CallbackSender;
}

/** Checked once when the host starts: a short key stops the start instead of signing weakly. */
export function createCallbackPorts(input: CallbackPortsInput): CallbackPorts {
  if (input.key.length < CALLBACK_KEY_MIN_CHARS) {
    throw new Error(`AGENTGATE_CALLBACK_KEY must be at least ${CALLBACK_KEY_MIN_CHARS} characters`);
  }
  const key = input.key;
  return {
    policy: callbackPolicy(input.config, input.allowLoopback),
    sign: (timestamp, body) => signCallback(key, timestamp, body),
    sender: input.sender ?? new HttpCallbackSender({ allowLoopback: input.allowLoopback }),
    publicUrl: input.publicUrl,
  };
}
