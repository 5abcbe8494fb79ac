import type { ConnectionConfig, GatewayConfig } from './config/connections.js';
import type { Connector } from './connectors/connector.js';
import { createGateway, type Gateway } from './gateway.js';
import type { TokenVerifier } from './identity/index.js';
import { createMasker } from './masking/index.js';
import { loadPolicyEngine } from './policy/index.js';
import type { AuditStore } from './store/audit-store.js';

export interface BootstrapOptions {
  config: GatewayConfig;
  policyDir: string;
  verifier: TokenVerifier;
  audit: AuditStore;
  connectorFor(connection: ConnectionConfig): Connector;
  maskingKey: string | undefined;
  version?: string;
}

/**
 * Everything both hosts (Azure Functions and the local host) do the same way once their
 * adapters exist: load and validate the policies, build the masker, assemble the gateway.
 * Failing here stops the start, so a bad policy never serves a request.
 */
export async function bootstrapGateway(options: BootstrapOptions): Promise<Gateway> {
  const policy = await loadPolicyEngine(options.policyDir);
  const masker = createMasker({
    operators: options.config.masking.operators,
    ...(options.maskingKey === undefined ? {} : { tokenKey: options.maskingKey }),
  });
  return createGateway({
    verifier: options.verifier,
    policy,
    config: options.config,
    connectorFor: options.connectorFor,
    audit: options.audit,
    masker,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
}
