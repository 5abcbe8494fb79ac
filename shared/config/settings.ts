import { z } from 'zod';

/**
 * Every environment setting the gateway reads, in one table. Nothing in the core reads
 * `process.env` (only the composition roots in functions/ and cli/ hand it over); the infra test compares this table with the Function App's app
 * settings in Bicep, so a setting cannot be added on one side and forgotten on the other.
 * Identity-based names follow the Azure Functions convention (`PREFIX__accountEndpoint`,
 * `PREFIX__credential`, `PREFIX__clientId`).
 */
export const SETTINGS = {
  AGENTGATE_CONFIG: 'Path of the connections/classification config file (YAML or JSON).',
  AGENTGATE_POLICY_DIR: 'Folder with schema.cedarschema and *.cedar policies (default: policies/ shipped).',
  AGENTGATE_AUTH_TENANTS: 'Comma-separated Entra tenant ids whose tokens are accepted.',
  AGENTGATE_AUTH_AUDIENCES: 'Comma-separated accepted audiences (api://... and/or the app id).',
  AGENTGATE_DEV_ISSUER: 'Local development only: issuer URL of the dev token issuer to trust.',
  AGENTGATE_MASKING_KEY: 'Key for deterministic masking tokens (a Key Vault reference in Azure).',
  AGENTGATE_TEAMS_WEBHOOK_URL: 'Teams Workflows webhook for approval cards (a Key Vault reference in Azure).',
  AGENTGATE_APPROVAL_BASE_URL:
    'Public base URL of the gateway: approval links, and the MCP resource in its metadata.',
  AGENTGATE_CALLBACK_KEY:
    'HMAC-SHA256 key that signs callback notices, 32+ characters (a Key Vault reference in Azure).',
  AGENTGATE_APPROVAL_CLIENT_ID: 'Client id of the Entra single-page app the approval page signs in with.',
  AGENTGATE_APPROVAL_TENANT_ID:
    'Tenant of the approval page sign-in (default: the first of AGENTGATE_AUTH_TENANTS).',
  AGENTGATE_APPROVAL_SCOPE: 'Scope the approval page asks for (api://<gateway app>/Approvals.Decide).',
  AGENTGATE_MCP_ALLOWED_ORIGINS: 'Comma-separated browser origins allowed to call /mcp (none by default).',
  AGENTGATE_AUDIT_SIGNING_KEY_ID:
    'Versioned URL of the Key Vault EC P-256 key that signs audit checkpoints; set, audit events are hash-linked.',
  AGENTGATE_AUDIT_ARCHIVE_URL:
    'URL of the immutable Blob container that keeps a write-once copy of every signed checkpoint.',
  AGENTGATE_REPLAY_TTL_DAYS:
    'Days a kept replay result (connections with `replay`) stays in the result store (default 30).',
  AGENTGATE_AUDIT_VERIFY_MINUTES:
    'Minutes between runs of the audit verification timer (1 to 1440, default 15).',
  AGENTGATE_AUDIT_LANES:
    'Hash-chain lanes of the audit trail (1 to 1024, default 16); fixed for the life of the data.',
  COSMOS__accountEndpoint: 'Cosmos DB account endpoint (identity-based connection).',
  COSMOS__credential: 'Set to managedidentity in Azure.',
  COSMOS__clientId: 'Client id of the user-assigned identity used for Cosmos DB.',
  COSMOS_DATABASE: 'Cosmos DB database name (default agentgate).',
  SERVICEBUS__fullyQualifiedNamespace: 'Service Bus namespace host (identity-based connection).',
  SERVICEBUS__credential: 'Set to managedidentity in Azure.',
  SERVICEBUS__clientId: 'Client id of the user-assigned identity used for Service Bus.',
  AZURE_CLIENT_ID: 'Client id of the user-assigned managed identity (used by @azure/identity).',
} as const;

export type SettingName = keyof typeof SETTINGS;

const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );

const settingsSchema = z.object({
  AGENTGATE_CONFIG: z.string().min(1).optional(),
  AGENTGATE_POLICY_DIR: z.string().min(1).optional(),
  AGENTGATE_AUTH_TENANTS: list,
  AGENTGATE_AUTH_AUDIENCES: list,
  AGENTGATE_DEV_ISSUER: z.url().optional(),
  AGENTGATE_MASKING_KEY: z.string().min(16).optional(),
  AGENTGATE_TEAMS_WEBHOOK_URL: z.url().optional(),
  AGENTGATE_APPROVAL_BASE_URL: z.url().optional(),
  AGENTGATE_CALLBACK_KEY: z.string().min(32).optional(),
  AGENTGATE_APPROVAL_CLIENT_ID: z.string().min(1).optional(),
  AGENTGATE_APPROVAL_TENANT_ID: z.string().min(1).optional(),
  AGENTGATE_APPROVAL_SCOPE: z.string().min(1).optional(),
  AGENTGATE_MCP_ALLOWED_ORIGINS: z.string().min(1).optional(),
  AGENTGATE_AUDIT_SIGNING_KEY_ID: z.url().optional(),
  AGENTGATE_AUDIT_ARCHIVE_URL: z.url({ protocol: /^https$/ }).optional(),
  AGENTGATE_REPLAY_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  AGENTGATE_AUDIT_VERIFY_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  AGENTGATE_AUDIT_LANES: z.coerce.number().int().min(1).max(1024).default(16),
  COSMOS__accountEndpoint: z.url().optional(),
  COSMOS__credential: z.string().optional(),
  COSMOS__clientId: z.string().optional(),
  COSMOS_DATABASE: z.string().min(1).default('agentgate'),
  SERVICEBUS__fullyQualifiedNamespace: z.string().optional(),
  SERVICEBUS__credential: z.string().optional(),
  SERVICEBUS__clientId: z.string().optional(),
  AZURE_CLIENT_ID: z.string().optional(),
});

export type Settings = z.output<typeof settingsSchema>;

/** Checked once at start-up; a bad value stops the start with the setting's name. */
export function readSettings(env: Record<string, string | undefined> = process.env): Settings {
  const picked: Record<string, string | undefined> = {};
  for (const name of Object.keys(SETTINGS)) {
    const v = env[name];
    // When App Service cannot resolve a Key Vault reference it leaves the reference text in
    // the setting; used as-is it would become, say, the masking key. Refuse to start instead.
    if (v?.trimStart().startsWith('@Microsoft.KeyVault(')) {
      throw new Error(`Invalid gateway settings: ${name}: the Key Vault reference did not resolve`);
    }
    if (v !== undefined && v !== '') picked[name] = v;
  }
  const parsed = settingsSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid gateway settings: ${issues}`);
  }
  return parsed.data;
}
