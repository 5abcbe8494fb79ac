import { z } from 'zod';
import { readSettings } from '../config/settings.js';
import type { Principal } from '../types.js';
import { TOOLS_DIGEST } from './tools.js';

/**
 * agentgate as an OAuth 2.1 resource server, the way the MCP authorization spec asks: tokens
 * come from Entra (the authorization server), are verified by the same verifier as REST with
 * the audience checked, and are never passed on to a target. This module says where the
 * metadata is, what it names, and which permission the endpoint needs.
 */
export interface McpOptions {
  /** Issuers that grant tokens for agentgate (Entra: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  authorizationServers: string[];
  /** Scopes a client requests (Entra: `api://<app id>/.default`). */
  scopes: string[];
  /** Browser origins allowed to call the endpoint; none by default. */
  allowedOrigins?: string[];
  /** Public base URL (`https://host`), when the request URL is not what clients see. */
  publicUrl?: string;
  /** App roles that let an application use MCP (default `Agent.Query`). */
  requiredRoles?: string[];
  /** Delegated scopes (`scp`) that let a user's client use MCP (default `Query.Read`). */
  requiredScopes?: string[];
}

export const MCP_PATH = '/mcp';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';
const DEFAULT_ROLES = ['Agent.Query'];
const DEFAULT_SCOPES = ['Query.Read'];

export function baseUrl(requestUrl: string, options: McpOptions): string {
  return (options.publicUrl ?? new URL(requestUrl).origin).replace(/\/+$/, '');
}

/** The path-suffixed metadata URL (RFC 9728 §3.1) for the MCP resource. */
export function resourceMetadataUrl(requestUrl: string, options: McpOptions): string {
  return `${baseUrl(requestUrl, options)}${RESOURCE_METADATA_PATH}${MCP_PATH}`;
}

/** RFC 9728 protected resource metadata, plus the tool list digest a client can pin. */
export function resourceMetadata(requestUrl: string, options: McpOptions): Record<string, unknown> {
  return {
    resource: `${baseUrl(requestUrl, options)}${MCP_PATH}`,
    authorization_servers: options.authorizationServers,
    scopes_supported: options.scopes,
    bearer_methods_supported: ['header'],
    resource_name: 'agentgate',
    'io.agentgate/tools-digest': TOOLS_DIGEST,
  };
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** `WWW-Authenticate` for a refused MCP request: always names the metadata (RFC 9728 §5.1). */
export function wwwAuthenticateMcp(
  metadataUrl: string,
  error: 'invalid_token' | 'insufficient_scope' | undefined,
  options: McpOptions,
): string {
  const parts = [`resource_metadata=${quoted(metadataUrl)}`];
  if (error) parts.push(`error=${quoted(error)}`);
  if (error === 'insufficient_scope' && options.scopes.length > 0) {
    parts.push(`scope=${quoted(options.scopes.join(' '))}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The permission to use the MCP endpoint at all: an application holds an agentgate app role,
 * a user's client holds a delegated agentgate scope. What each call may then read is the
 * policy's decision, as over REST.
 */
export function mayUseMcp(principal: Principal, options: McpOptions): boolean {
  const roles = options.requiredRoles ?? DEFAULT_ROLES;
  const scopes = options.requiredScopes ?? DEFAULT_SCOPES;
  return principal.roles.some((r) => roles.includes(r)) || principal.scopes.some((s) => scopes.includes(s));
}

const originList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(
    z.array(
      z.url().refine((u) => new URL(u).origin === u, 'an origin is scheme://host[:port], with no path'),
    ),
  );

/**
 * MCP options from app settings: Entra tenants name the authorization servers, accepted
 * audiences the scopes; `AGENTGATE_MCP_ALLOWED_ORIGINS` (comma-separated origins) the browsers.
 */
export function mcpOptionsFromEnv(
  env: Record<string, string | undefined>,
  fallback: { issuer?: string; audience?: string } = {},
): McpOptions {
  const settings = readSettings(env);
  const tenants = settings.AGENTGATE_AUTH_TENANTS;
  const audiences = settings.AGENTGATE_AUTH_AUDIENCES.filter((a) => a.includes('://'));
  const origins = originList.safeParse(env.AGENTGATE_MCP_ALLOWED_ORIGINS);
  if (!origins.success) throw new Error(`AGENTGATE_MCP_ALLOWED_ORIGINS: ${origins.error.issues[0]?.message}`);
  return {
    authorizationServers:
      tenants.length > 0
        ? tenants.map((t) => `https://login.microsoftonline.com/${encodeURIComponent(t)}/v2.0`)
        : fallback.issuer
          ? [fallback.issuer]
          : [],
    scopes:
      audiences.length > 0
        ? audiences.map((a) => `${a}/.default`)
        : fallback.audience
          ? [`${fallback.audience}/.default`]
          : [],
    allowedOrigins: origins.data,
    // The gateway's public URL names the resource, never the request's Host header: a forged
    // Host put `http://evil.example/mcp` in the metadata, cached for five minutes (red-team
    // round 44).
    ...(settings.AGENTGATE_APPROVAL_BASE_URL ? { publicUrl: settings.AGENTGATE_APPROVAL_BASE_URL } : {}),
  };
}
