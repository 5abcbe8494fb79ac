import type { BudgetStore } from './budget/index.js';
import type { ConnectionConfig, GatewayConfig } from './config/connections.js';
import type { Connector } from './connectors/connector.js';
import { createGateway, type Gateway } from './gateway.js';
import type { TokenVerifier } from './identity/index.js';
import { createMasker } from './masking/index.js';
import type { PolicyEngine } from './policy/index.js';
import type { AuditStore } from './store/audit-store.js';

export interface BootstrapOptions {
  config: GatewayConfig;
  /** Loaded first by the host, so a bad policy stops the start before anything else starts. */
  policy: PolicyEngine;
  verifier: TokenVerifier;
  audit: AuditStore;
  budgets?: BudgetStore;
  connectorFor(connection: ConnectionConfig): Connector;
  maskingKey: string | undefined;
  version?: string;
}

/**
 * Everything both hosts (Azure Functions and the local host) do the same way once their
 * adapters exist: build the masker (a bad operator or a missing key stops the start) and
 * assemble the gateway.
 */
export function bootstrapGateway(options: BootstrapOptions): Gateway {
  const masker = createMasker({
    operators: options.config.masking.operators,
    ...(options.maskingKey === undefined ? {} : { tokenKey: options.maskingKey }),
  });
  return createGateway({
    verifier: options.verifier,
    policy: options.policy,
    config: options.config,
    connectorFor: options.connectorFor,
    audit: options.audit,
    ...(options.budgets ? { budgets: options.budgets } : {}),
    masker,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
}
