import { isIP } from 'node:net';
import type { CallbacksConfig } from '../config/callbacks.js';
import { isLoopbackAddress } from './address.js';

export const CALLBACK_URL_MAX_CHARS = 2048;

/** What a callback URL is checked against: the config's allowlist and the host's mode. */
export interface CallbackPolicy {
  allowedHosts: readonly string[];
  allowedPorts: readonly number[];
  /** The local host: http and any port on loopback, and loopback addresses, are allowed. */
  allowLoopback: boolean;
}

export function callbackPolicy(config: CallbacksConfig | undefined, allowLoopback: boolean): CallbackPolicy {
  return {
    allowedHosts: config?.allowedHosts ?? [],
    allowedPorts: config?.allowedPorts ?? [443],
    allowLoopback,
  };
}

/** Stable reasons a callback URL is refused; they go in the 400's details. */
export type CallbackUrlRefusal =
  | 'malformed'
  | 'scheme'
  | 'userinfo'
  | 'fragment'
  | 'ip_literal'
  | 'host_not_allowed'
  | 'port_not_allowed';

export type CheckedCallbackUrl = { ok: true; url: URL } | { ok: false; reason: CallbackUrlRefusal };

const LOOPBACK_NAMES = new Set(['localhost']);

/** The host as a comparable string: lower case, brackets off IPv6, no trailing dot. */
function bareHost(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * Checks a caller's callback URL before anything is stored: https (http only to loopback on
 * the local host), no credentials, no fragment, no IP literal (but loopback on the local
 * host), a host on the allowlist exactly, a port on the allowed list. WHATWG URL parsing
 * normalises the host first, so `0x7f.1` or `127.1` are seen as the IP literals they are.
 */
export function checkCallbackUrl(raw: string, policy: CallbackPolicy): CheckedCallbackUrl {
  if (raw.length > CALLBACK_URL_MAX_CHARS || !URL.canParse(raw)) return { ok: false, reason: 'malformed' };
  const url = new URL(raw);
  const host = bareHost(url);
  const loopback = isLoopbackAddress(host) || LOOPBACK_NAMES.has(host);
  const devLoopback = policy.allowLoopback && loopback;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && devLoopback)) {
    return { ok: false, reason: 'scheme' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'userinfo' };
  if (url.hash !== '') return { ok: false, reason: 'fragment' };
  if (host === '') return { ok: false, reason: 'malformed' };
  if (isIP(host) !== 0 && !devLoopback) return { ok: false, reason: 'ip_literal' };
  if (!policy.allowedHosts.includes(host)) return { ok: false, reason: 'host_not_allowed' };
  if (loopback && !policy.allowLoopback) return { ok: false, reason: 'host_not_allowed' };
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!devLoopback && !policy.allowedPorts.includes(port)) return { ok: false, reason: 'port_not_allowed' };
  return { ok: true, url };
}
