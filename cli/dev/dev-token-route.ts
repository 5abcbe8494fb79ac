import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DevIssuer } from '../../shared/identity/index.js';

/**
 * `POST /api/dev/token`: the approval page's dev sign-in on the local host. It mints a
 * short-lived human dev token for the name and groups typed in, so it is a credential
 * vending machine and is fenced accordingly: served only by the local host (it is not in
 * the route table Azure registers), only to loopback callers, only for a Host header that
 * names loopback (a DNS-rebound page gets a foreign Host), only same-origin (a cross-site
 * page's Origin differs), only JSON (a cross-site form cannot send it without a preflight
 * the host never answers), and only for people, never agents.
 */
export const DEV_TOKEN_PATH = '/api/dev/token';
export const DEV_TOKEN_TTL_SECONDS = 15 * 60;
const MAX_BODY_BYTES = 4096;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const bodySchema = z.strictObject({
  user: z.string().regex(NAME, 'use letters, digits, ".", "_" or "-"'),
  groups: z.array(z.string().regex(NAME, 'use letters, digits, ".", "_" or "-"')).max(16).default([]),
});

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** `localhost:PORT`, `127.0.0.1:PORT` or `[::1]:PORT` for the port the host listens on. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  return [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  answer(res, status, { error: { code, message } });
}

function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function handleDevToken(
  req: IncomingMessage,
  res: ServerResponse,
  issuer: DevIssuer,
  port: number,
): Promise<void> {
  if (req.method !== 'POST') return refuse(res, 405, 'method_not_allowed', 'Use POST.');
  const host = req.headers.host;
  if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(host, port)) {
    return refuse(res, 403, 'forbidden', 'The dev sign-in answers loopback callers of this host only.');
  }
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (
    (origin !== undefined && origin !== `http://${host}`) ||
    (site !== undefined && site !== 'same-origin')
  ) {
    return refuse(res, 403, 'forbidden', 'The dev sign-in answers the approval page of this host only.');
  }
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    return refuse(res, 415, 'unsupported_media_type', 'Send application/json.');
  }
  const text = await readSmallBody(req);
  if (text === undefined) return refuse(res, 413, 'payload_too_large', 'The request body is too large.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse(res, 400, 'bad_request', 'The body is not JSON.');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(
      res,
      400,
      'bad_request',
      `Invalid dev sign-in: ${issue?.path.join('.') || '(body)'}: ${issue?.message}`,
    );
  }
  const { user, groups } = parsed.data;
  const token = await issuer.mint({
    user,
    ...(groups.length > 0 ? { groups } : {}),
    ttlSeconds: DEV_TOKEN_TTL_SECONDS,
  });
  answer(res, 200, { token, tokenType: 'Bearer', expiresIn: DEV_TOKEN_TTL_SECONDS });
}
