import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { CallbackAttempt, CallbackSender } from '../ports/callback.js';
import { addressRefusal } from './address.js';

export interface HttpCallbackSenderOptions {
  /** The local host: loopback addresses may be reached. Never in Azure. */
  allowLoopback: boolean;
  /** The whole attempt, connect to response headers (5 s). */
  timeoutMs?: number;
  /** Injectable for tests of DNS rebinding; `dns.lookup` otherwise. */
  lookup?: typeof dnsLookup;
}

const REFUSED = 'ERR_AGENTGATE_ADDRESS_REFUSED';

/**
 * A DNS lookup that lets the socket connect only to addresses `addressRefusal` accepts. The
 * socket connects to exactly the address checked here, so a name that resolves once to a
 * public and then to an internal address (DNS rebinding) cannot slip between check and use.
 * One refused answer refuses the whole name.
 */
export function guardedLookup(allowLoopback: boolean, lookup: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const list = Array.isArray(addresses) ? addresses : [];
      const bad = list.length === 0 || list.some((a) => addressRefusal(a.address, allowLoopback) !== null);
      if (bad) {
        const refused = Object.assign(new Error('callback address refused'), { code: REFUSED });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

function classify(status: number): CallbackAttempt {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 300 && status < 400) return { kind: 'fail', reason: `redirect_not_followed:${status}` };
  if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', reason: `http_${status}` };
  return { kind: 'fail', reason: `http_${status}` };
}

function errorReason(e: unknown): CallbackAttempt {
  const code = (e as { code?: unknown }).code;
  if (code === REFUSED) return { kind: 'fail', reason: 'address_refused' };
  if ((e as { name?: unknown }).name === 'AbortError' || code === 'ABORT_ERR') {
    return { kind: 'retry', reason: 'timeout' };
  }
  return {
    kind: 'retry',
    reason: typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'network',
  };
}

/**
 * The callback sender over node:http(s): one POST, no redirect followed (node never follows
 * one), no keep-alive pool shared with anything else, the response body discarded unread, a
 * bounded time, and every address checked by `guardedLookup` (an IP-literal URL, which only
 * loopback on the local host can be, is checked directly).
 */
export class HttpCallbackSender implements CallbackSender {
  readonly #allowLoopback: boolean;
  readonly #timeoutMs: number;
  readonly #lookup: LookupFunction;

  constructor(options: HttpCallbackSenderOptions) {
    this.#allowLoopback = options.allowLoopback;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#lookup = guardedLookup(options.allowLoopback, options.lookup);
  }

  post(url: URL, body: string, headers: Readonly<Record<string, string>>): Promise<CallbackAttempt> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0 && addressRefusal(host, this.#allowLoopback) !== null) {
      return Promise.resolve({ kind: 'fail', reason: 'address_refused' });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#allowLoopback)) {
      return Promise.resolve({ kind: 'fail', reason: 'scheme' });
    }
    const options: RequestOptions = {
      method: 'POST',
      host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body, 'utf8')),
        'user-agent': 'agentgate-callback',
        connection: 'close',
      },
      agent: false,
      lookup: this.#lookup,
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<CallbackAttempt>((resolve) => {
      const req = send(options, (res) => {
        // The body is ignored: nothing the receiver says is read, kept or followed.
        res.destroy();
        resolve(classify(res.statusCode ?? 0));
      });
      req.on('error', (e) => resolve(errorReason(e)));
      req.end(body);
    });
  }
}
