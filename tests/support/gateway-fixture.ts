import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest } from '../../functions/sdk.js';
import { composeGateway, type Gateway } from '../../shared/compose.js';
import { parseConfig } from '../../shared/config/connections.js';
import { createTokenVerifier, type DevIssuer, loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { loadPolicyEngine } from '../../shared/policy/index.js';
import type { RestApi } from '../../shared/rest/rest-api.js';
import type { GatewayLogEvent } from '../../shared/use-cases/index.js';
import { FakeConnector } from './fake-connector.js';
import { MemoryAuditStore } from './memory-audit-store.js';

export const POLICY_DIR = join(import.meta.dirname, '..', '..', 'policies');

export interface Fixture {
  /** The REST adapter, called as the Functions handlers call it. */
  gateway: RestApi;
  composed: Gateway;
  /** Server-side failures the gateway reported (instead of printing them). */
  logged: GatewayLogEvent[];
  audit: MemoryAuditStore;
  connector: FakeConnector;
  issuer: DevIssuer;
  agentToken: string;
}

/** The real core (identity, analysis, Cedar, masking) with an in-memory store and a fake target. */
export async function gatewayFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-gw-'));
  const issuer = await loadOrCreateDevIssuer({ dir, issuer: 'http://localhost/agentgate-dev' });
  const audit = new MemoryAuditStore();
  const connector = new FakeConnector();
  const config = parseConfig({
    connections: [
      {
        id: 'demo',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        maxRows: 500,
        classification: {
          'public.customers.card_number': 'pci.pan',
          'public.customers.email': 'pii.email',
          // Reviewed as harmless: filters on it need no approval (unclassified text would).
          'public.customers.city': 'public',
        },
        exposure: {
          'public.customers': {},
          'public.orders': {},
          'public.payments': {},
          'public.support_tickets': {},
        },
      },
    ],
  });
  const logged: GatewayLogEvent[] = [];
  const composed = composeGateway({
    log: (event) => logged.push(event),
    verifier: createTokenVerifier({
      dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
    }),
    policy: await loadPolicyEngine(POLICY_DIR),
    config,
    connectorFor: () => connector,
    audit,
    maskingKey: 'unit-test-masking-key-0123456789',
  });
  return {
    gateway: composed.api,
    composed,
    logged,
    audit,
    connector,
    issuer,
    agentToken: await issuer.mint({ agent: 'unit-agent' }),
  };
}

export function queryRequest(token: string, body: unknown, connection = 'demo'): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/v1/connections/${connection}/query`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    params: { connection },
    body: { string: JSON.stringify(body) },
  });
}
