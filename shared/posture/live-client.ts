import { z } from 'zod';

/**
 * The three kinds of call a live posture scan makes to Azure Resource Manager: one request,
 * a Resource Graph query read page by page, and an ARM listing that follows `nextLink`. Each
 * takes a session (endpoint, token, bounds) so the scan itself holds no HTTP detail.
 */

export type LiveFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface ArmSession {
  subscriptionId: string;
  /** Without a trailing slash. */
  endpoint: string;
  token: string;
  fetch: LiveFetch;
  timeoutMs: number;
  /** Most pages read per listing. */
  maxPages: number;
}

const graphPage = z.looseObject({ data: z.array(z.unknown()), $skipToken: z.string().optional() });
const armList = z.looseObject({ value: z.array(z.unknown()), nextLink: z.string().optional() });

/** One call: POST with a JSON body when given, else GET. A non-2xx answer throws. */
async function armCall(session: ArmSession, url: string, body?: unknown): Promise<unknown> {
  const res = await session.fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(session.timeoutMs),
  });
  // The path only: the message ends up in the report, the endpoint adds nothing there.
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url.replace(session.endpoint, '')}`);
  return res.json();
}

/** Every row a Resource Graph query returns; more than `maxPages` pages throws rather than truncates. */
export async function resourceGraphRows(session: ArmSession, query: string): Promise<unknown[]> {
  const url = `${session.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`;
  const rows: unknown[] = [];
  let skipToken: string | undefined;
  for (let page = 0; page < session.maxPages; page++) {
    const body = {
      subscriptions: [session.subscriptionId],
      query,
      options: { $top: 1000, ...(skipToken ? { $skipToken: skipToken } : {}) },
    };
    const p = graphPage.parse(await armCall(session, url, body));
    rows.push(...p.data);
    skipToken = p.$skipToken;
    if (!skipToken) return rows;
  }
  throw new Error(`more than ${session.maxPages} pages of Resource Graph results`);
}

/** The `value` rows of an ARM listing at `path`, following `nextLink` up to `maxPages` pages. */
export async function armListRows(session: ArmSession, path: string, apiVersion: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  let url: string | undefined = `${session.endpoint}${path}?api-version=${apiVersion}`;
  for (let page = 0; url && page < session.maxPages; page++) {
    const p = armList.parse(await armCall(session, url));
    rows.push(...p.value);
    // Follow nextLink only on the same endpoint: a response must not send the token elsewhere.
    url = p.nextLink?.startsWith(`${session.endpoint}/`) ? p.nextLink : undefined;
  }
  return rows;
}
