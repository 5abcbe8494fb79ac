import type { ApprovalNotice } from '../ports/notifier.js';
import { escapeMarkdown } from './markdown.js';

/** Teams refuses a card message larger than about 28 KB; the whole envelope counts. */
export const MAX_CARD_BYTES = 28 * 1024;

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.5';
  body: Array<Record<string, unknown>>;
  actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
  msteams?: { width: 'Full' };
}

/** The envelope Teams Workflows ("When a Teams webhook request is received") accepts. */
export interface TeamsCardMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; content: AdaptiveCard }>;
}

// Caps per field so that only the statement ever needs cutting; the approval page shows all.
const CAP = {
  id: 200,
  name: 200,
  purpose: 1_000,
  reason: 400,
  reasons: 10,
  tables: 40,
  table: 200,
  params: 10,
  param: 100,
};

function cut(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max).join('')}…`;
}

function text(value: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}

function fact(title: string, value: string): { title: string; value: string } {
  return { title: escapeMarkdown(title), value: escapeMarkdown(value) };
}

/** Only https links (http for a loopback host, the local host), never javascript: and the like. */
function checkApproveUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError('approveUrl is not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (
    !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) ||
    url.username ||
    url.password
  ) {
    throw new TypeError('approveUrl must be an https URL');
  }
  return url.href;
}

/** RFC 3339 without fractions, as the card's DATE()/TIME() functions want it. */
function rfc3339(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new TypeError('expiresAt is not a date');
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function requesterLine(r: ApprovalNotice['requester']): string {
  const who = r.name ? `${cut(r.name, CAP.name)} (${cut(r.id, CAP.id)})` : cut(r.id, CAP.id);
  const parts = [r.kind === 'agent' ? `Agent ${who}` : `Human ${who}`];
  if (r.appId) parts.push(`app id ${cut(r.appId, CAP.id)}`);
  if (r.onBehalfOf) {
    const obo = r.onBehalfOf.name
      ? `${cut(r.onBehalfOf.name, CAP.name)} (${cut(r.onBehalfOf.id, CAP.id)})`
      : cut(r.onBehalfOf.id, CAP.id);
    parts.push(`on behalf of ${obo}`);
  }
  return parts.join(', ');
}

/**
 * `$1 = "emea"`, one per line: what runs is the statement with these values. The card holds
 * ten, each cut to 100 characters; when any is cut or left out it says so, since a part past
 * the cut may be what decides what runs, and the approval page shows them all whole.
 */
function paramsLines(params: string[]): string {
  const lines = params.slice(0, CAP.params).map((p, i) => `$${i + 1} = ${cut(p, CAP.param)}`);
  if (params.length > CAP.params) lines.push(`and ${params.length - CAP.params} more`);
  const partial = params.length > CAP.params || params.some((p) => Array.from(p).length > CAP.param);
  if (partial)
    lines.push('Parameters cut for the card: open the approval page to see every one whole before deciding.');
  return lines.join('\n');
}

function tablesLine(tables: string[]): string {
  if (tables.length === 0) return 'none named';
  const shown = tables.slice(0, CAP.tables).map((t) => cut(t, CAP.table));
  const more = tables.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function build(
  notice: ApprovalNotice,
  statementBlock: string,
  note: string | null,
  url: string,
  expires: string,
) {
  const reasons = notice.reasons.slice(0, CAP.reasons).map((r) => `- ${escapeMarkdown(cut(r, CAP.reason))}`);
  if (notice.reasons.length > CAP.reasons) reasons.push(`- and ${notice.reasons.length - CAP.reasons} more`);
  const body: Array<Record<string, unknown>> = [
    text('Approval requested', { size: 'Medium', weight: 'Bolder' }),
    text(escapeMarkdown(requesterLine(notice.requester))),
    {
      type: 'FactSet',
      facts: [
        fact('Connection', cut(notice.connection, CAP.name)),
        fact('Environment', cut(notice.environment, CAP.name)),
        fact('Estimated rows', notice.estimatedRows === null ? 'unknown' : String(notice.estimatedRows)),
        fact('Tables', tablesLine(notice.tables)),
        fact('Purpose', notice.purpose === null ? 'none given' : cut(notice.purpose, CAP.purpose)),
        fact('Approvers', `${cut(notice.approverGroup ?? 'none named', CAP.name)}, ${notice.quorum} needed`),
        fact(
          'Policies',
          notice.policyIds.length === 0 ? 'none named' : cut(notice.policyIds.join(', '), CAP.purpose),
        ),
        fact('Request', cut(notice.requestId, CAP.id)),
      ],
    },
    text('Why policy stopped it', { weight: 'Bolder' }),
    text(reasons.length > 0 ? reasons.join('\n') : 'no reason given'),
    text('Statement', { weight: 'Bolder' }),
    text(statementBlock, { fontType: 'Monospace' }),
  ];
  if (notice.params.length > 0) {
    body.push(text('Parameters', { weight: 'Bolder' }));
    body.push(text(escapeMarkdown(paramsLines(notice.params)), { fontType: 'Monospace' }));
  }
  if (note) body.push(text(note, { isSubtle: true, size: 'Small' }));
  // The expiry is a checked RFC 3339 value, so the card's date functions may be used on it.
  body.push(
    text(`Expires {{DATE(${expires}, SHORT)}} {{TIME(${expires})}} (${expires})`, { isSubtle: true }),
  );
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    actions: [{ type: 'Action.OpenUrl', title: 'Review and decide', url }],
    msteams: { width: 'Full' },
  };
  const message: TeamsCardMessage = {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
  return message;
}

function size(message: TeamsCardMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

/**
 * The Adaptive Card (1.5) approvers see for a pending request, in the webhook envelope, at
 * most `MAX_CARD_BYTES`. Every value is escaped (see markdown.ts); a statement too long for
 * the card is cut on a character boundary with a note saying so. Webhook cards can only
 * carry `Action.OpenUrl`: the one button opens the approval page.
 */
export function buildApprovalCard(
  notice: ApprovalNotice,
  maxBytes: number = MAX_CARD_BYTES,
): TeamsCardMessage {
  const url = checkApproveUrl(notice.approveUrl);
  const expires = rfc3339(notice.expiresAt);
  const chars = Array.from(notice.statement);
  const whole = build(notice, escapeMarkdown(notice.statement), null, url, expires);
  if (size(whole) <= maxBytes) return whole;
  // Largest prefix that fits, found by bisection over characters (escaping changes lengths).
  const noteFor = (shown: number) =>
    escapeMarkdown(
      `Statement cut for the card: ${shown} of ${chars.length} characters shown. The approval page shows all of it.`,
    );
  const attempt = (n: number) =>
    build(notice, `${escapeMarkdown(chars.slice(0, n).join(''))} …`, noteFor(n), url, expires);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (size(attempt(mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  const best = attempt(lo);
  if (size(best) > maxBytes) throw new RangeError('the card does not fit even without the statement');
  return best;
}
