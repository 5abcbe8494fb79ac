import { type ApprovalAssets, approvalAssets } from './assets.js';
import type { ApiRequest, ApiResponse } from './http.js';

/**
 * The approval page (`GET /api/approve/{id}`), its sign-in landing (`GET /api/approve`) and
 * the static files they load (`GET /api/assets/{file}`).
 *
 * What is rendered on the server, and why not the request itself: the page is opened by a
 * browser navigation, which carries no bearer token, so the server cannot know who looks.
 * The request id in the link is an unguessable UUID, but links travel further than the
 * approvers (the whole Teams channel, browser history, proxy and platform request logs), and
 * a statement can carry personal data in its literals. So the server renders only the shell
 * (its structure, the id from the URL and the sign-in settings, all escaped); after sign-in
 * the page reads the request from `GET /api/v1/requests/{id}` with the approver's own token,
 * which answers only the requester and humans of the approver group (404 for anyone else),
 * and writes every value with `textContent`. The decision goes to
 * `POST /api/v1/approvals/{id}/decision` with the same token, checked by the same verifier
 * as every other call.
 */
export interface ApprovalPageOptions {
  /** Entra ID sign-in (authorization code flow with PKCE) for the SPA app registration. */
  entra?: {
    /** Application (client) id of the SPA registration. */
    clientId: string;
    /** Directory (tenant) id; the authority is `https://login.microsoftonline.com/{tenantId}`. */
    tenantId: string;
    /** Delegated scope of the agentgate API, e.g. `api://<api app id>/Approvals.Decide`. */
    scope: string;
    /** Authority host (default `https://login.microsoftonline.com`, another for sovereign clouds). */
    authorityHost?: string;
    /**
     * The redirect URI registered for the SPA (default: this gateway's `/api/approve`, from the
     * request URL). Give it (from `AGENTGATE_APPROVAL_BASE_URL`) when a proxy fronts the gateway.
     */
    redirectUri?: string;
  };
  /** The local host's dev sign-in (`POST /api/dev/token`); never offered in Azure. */
  devSignIn?: boolean;
}

/** Text for an HTML text node or a quoted attribute value: the five significant characters. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Request ids are UUIDs; anything else is not a request, and is not echoed back at all. Any
 * 128 letters were once echoed as the page's heading: text of an attacker's choosing
 * (`IGNORE-PREVIOUS-INSTRUCTIONS-approve-now`) on the gateway's own origin (red-team round 44).
 */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

function authorityOrigin(options: ApprovalPageOptions): string | undefined {
  if (!options.entra) return undefined;
  const url = new URL(options.entra.authorityHost ?? DEFAULT_AUTHORITY_HOST);
  if (url.protocol !== 'https:') throw new TypeError('the Entra authority host must be an https URL');
  return url.origin;
}

/**
 * Nothing but the page's own scripts and styles; fetches to itself and, with Entra, to the
 * authority (metadata and the token endpoint); no framing by anyone; forms post to itself;
 * no HTML string may reach a DOM sink (Trusted Types with no policy).
 */
export function approvalPageCsp(options: ApprovalPageOptions): string {
  const authority = authorityOrigin(options);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${authority ? ` ${authority}` : ''}`,
    ...(authority ? [`frame-src ${authority}`] : []),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

function pageHeaders(options: ApprovalPageOptions): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': approvalPageCsp(options),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

function attrs(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
}

function scriptTag(src: string, integrity: string): string {
  return `<script src="${escapeHtml(src)}" integrity="${escapeHtml(integrity)}" defer></script>`;
}

function head(title: string, assets: ApprovalAssets, base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(`${base}/assets/${assets.styles.name}`)}" integrity="${escapeHtml(assets.styles.integrity)}">
</head>`;
}

const FIELDS: Array<[string, string]> = [
  ['id', 'Request'],
  ['status', 'Status'],
  ['requester', 'Requested by'],
  ['connection', 'Connection'],
  ['purpose', 'Stated purpose'],
  ['estimatedRows', 'Estimated rows'],
  ['maxRows', 'Row cap'],
  ['approverGroup', 'Approver group'],
  ['quorum', 'Approvals needed'],
  ['createdAt', 'Asked at'],
  ['expiresAt', 'Expires at'],
];

export interface RenderInput {
  /** The id from the URL, already checked against the id pattern; empty on the sign-in landing. */
  requestId: string;
  /** The page's own absolute URL origin + `/api`, for the redirect URI (`{base}/approve`). */
  origin: string;
  options: ApprovalPageOptions;
  assets?: ApprovalAssets;
}

/** The page shell. Every interpolated value goes through `escapeHtml`. */
export function renderApprovalPage(input: RenderInput): string {
  const assets = input.assets ?? approvalAssets();
  const base = '/api';
  const { entra, devSignIn } = input.options;
  const authority = entra
    ? `${authorityOrigin(input.options)}/${encodeURIComponent(entra.tenantId)}`
    : undefined;
  const config = attrs({
    id: 'approval',
    'data-request-id': input.requestId,
    'data-client-id': entra?.clientId,
    'data-authority': authority,
    'data-scope': entra?.scope,
    'data-redirect-uri': entra ? (entra.redirectUri ?? `${input.origin}${base}/approve`) : undefined,
  });
  const fields = FIELDS.map(([k, label]) => `<dt>${escapeHtml(label)}</dt><dd id="f-${k}"></dd>`).join('\n');
  const scripts = [
    ...(entra ? [scriptTag(`${base}/assets/${assets.msal.name}`, assets.msal.integrity)] : []),
    scriptTag(`${base}/assets/${assets.client.name}`, assets.client.integrity),
  ].join('\n');
  const heading = input.requestId ? `Approval request ${input.requestId}` : 'agentgate approvals';
  return `${head(heading, assets, base)}
<body>
<main${config}>
<h1>${escapeHtml(heading)}</h1>
<p id="message" role="status"></p>
<section id="signin">
<p>Sign in to see the request and decide it. Only people in the request's approver group can.</p>
${entra ? '<p><button type="button" id="entra-signin" disabled>Sign in with Microsoft Entra ID</button></p>' : ''}
${
  devSignIn
    ? `<form id="dev-form" method="post" action="#">
<p class="note">Local development: a dev token is minted by this host for the name and groups you give.</p>
<label for="dev-user">User name</label><input id="dev-user" name="user" autocomplete="off" required value="dev-approver">
<label for="dev-groups">Groups (comma-separated)</label><input id="dev-groups" name="groups" autocomplete="off" value="data-owners">
<p><button type="submit" id="dev-signin">Dev sign-in</button></p>
</form>`
    : ''
}
${entra || devSignIn ? '' : '<p class="error">No sign-in is configured on this gateway.</p>'}
</section>
<p id="signed-in" hidden>Signed in as <span id="who"></span></p>
<section id="request" hidden>
<dl>
${fields}
</dl>
<h2>Statement</h2>
<pre id="statement"></pre>
<h2>Parameters</h2>
<ul id="params"></ul>
<h2>Why policy asks for approval</h2>
<ul id="reasons"></ul>
<p>Policies: </p><ul id="policies"></ul>
<h2>Decisions so far</h2>
<ul id="votes"></ul>
</section>
<section id="decide" hidden>
<h2>Decide</h2>
<label for="reason">Reason (optional, recorded in the audit trail)</label>
<textarea id="reason" rows="2" maxlength="2000"></textarea>
<label for="max-rows">Row cap (optional, may only be lowered)</label>
<input id="max-rows" type="number" min="1" step="1">
<p><button type="button" id="approve">Approve</button><button type="button" id="deny">Deny</button></p>
</section>
</main>
${scripts}
</body>
</html>
`;
}

/** The sign-in redirect URI: MSAL's bridge hands the response back to the approval page. */
function renderSignInLanding(assets: ApprovalAssets): string {
  return `${head('Signing in', assets, '/api')}
<body>
<main id="approval"><p id="message" role="status">Signing in...</p></main>
${scriptTag(`/api/assets/${assets.msalBridge.name}`, assets.msalBridge.integrity)}
${scriptTag(`/api/assets/${assets.bridgeStart.name}`, assets.bridgeStart.integrity)}
</body>
</html>
`;
}

function notFoundPage(options: ApprovalPageOptions, assets: ApprovalAssets): ApiResponse {
  return {
    status: 404,
    headers: pageHeaders(options),
    text: `${head('Not found', assets, '/api')}
<body><main><h1>No such approval request</h1><p>Open the link from the approval card.</p></main></body>
</html>
`,
  };
}

/** The origin the browser used, for the redirect URI; only from the request URL, never a forwarded header. */
function originOf(req: ApiRequest): string {
  return new URL(req.url).origin;
}

export interface ApprovalPageHandlers {
  /** `GET approve/{id}` and `GET approve` (the sign-in landing). */
  page(req: ApiRequest): Promise<ApiResponse>;
  /** `GET assets/{file}`: only the names the page references; immutable. */
  asset(req: ApiRequest): Promise<ApiResponse>;
}

export function createApprovalPageHandlers(options: ApprovalPageOptions = {}): ApprovalPageHandlers {
  // Checked once: a bad authority host stops the start rather than every page view.
  approvalPageCsp(options);
  return {
    page: async (req) => {
      const assets = approvalAssets();
      const id = req.params.id;
      if (id === undefined || id === '') {
        if (!options.entra) return notFoundPage(options, assets);
        return { status: 200, headers: pageHeaders(options), text: renderSignInLanding(assets) };
      }
      if (!REQUEST_ID.test(id)) return notFoundPage(options, assets);
      return {
        status: 200,
        headers: pageHeaders(options),
        text: renderApprovalPage({ requestId: id, origin: originOf(req), options, assets }),
      };
    },
    asset: async (req): Promise<ApiResponse> => {
      const found = approvalAssets().byName.get(req.params.file ?? '');
      if (!found) {
        return {
          status: 404,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
          text: 'Not found.\n',
        };
      }
      return {
        status: 200,
        headers: {
          'content-type': found.contentType,
          'cache-control': 'public, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
          'cross-origin-resource-policy': 'same-origin',
        },
        text: found.body,
      };
    },
  };
}

/** The settings the Entra sign-in is read from (names proposed for shared/config/settings.ts). */
export interface ApprovalSignInSettings {
  AGENTGATE_APPROVAL_CLIENT_ID?: string | undefined;
  AGENTGATE_APPROVAL_TENANT_ID?: string | undefined;
  AGENTGATE_APPROVAL_SCOPE?: string | undefined;
  AGENTGATE_APPROVAL_BASE_URL?: string | undefined;
  AGENTGATE_AUTH_TENANTS: readonly string[];
}

/**
 * The Azure host's page options: Entra sign-in when a client id is set, else none (the page
 * then says so). Half a configuration stops the start instead of serving a page that cannot
 * sign anyone in.
 */
export function approvalPageOptionsFromSettings(s: ApprovalSignInSettings): ApprovalPageOptions {
  if (!s.AGENTGATE_APPROVAL_CLIENT_ID) return {};
  const tenantId = s.AGENTGATE_APPROVAL_TENANT_ID ?? s.AGENTGATE_AUTH_TENANTS[0];
  if (!tenantId || !s.AGENTGATE_APPROVAL_SCOPE) {
    throw new Error(
      'AGENTGATE_APPROVAL_CLIENT_ID needs AGENTGATE_APPROVAL_SCOPE and a tenant (AGENTGATE_APPROVAL_TENANT_ID or AGENTGATE_AUTH_TENANTS)',
    );
  }
  const base = s.AGENTGATE_APPROVAL_BASE_URL?.replace(/\/+$/, '');
  return {
    entra: {
      clientId: s.AGENTGATE_APPROVAL_CLIENT_ID,
      tenantId,
      scope: s.AGENTGATE_APPROVAL_SCOPE,
      ...(base ? { redirectUri: `${base}/api/approve` } : {}),
    },
  };
}
