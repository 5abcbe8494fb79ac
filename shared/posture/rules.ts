import type { Severity } from './types.js';

/**
 * Every finding the posture check can report. A rule's severity is its usual one; a finding may
 * be lower when the input leaves the risky value open (a parameter decided at deployment).
 *
 * high or critical: an agent holding this can read data without asking agentgate (a credential,
 * a grant, keys switched on). medium: a missing guard that lets it move data out or go unseen
 * (open egress, a public endpoint, no request log).
 */
export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  why: string;
  fix: string;
}

const SECRET_WHY =
  'A credential in a repository, a CI file or an .env file is readable by any agent or job that can read the files, and it opens the data store directly: no agentgate policy, approval, masking or audit record stands in between.';

const list: Rule[] = [
  {
    id: 'secret.storage-key',
    title: 'Storage account key or connection string',
    severity: 'critical',
    why: `${SECRET_WHY} A storage account key grants full read and write on every container, queue, table and share of the account.`,
    fix: 'Rotate the key now, remove it from the file and its history, turn shared key access off (allowSharedKeyAccess: false) and let the gateway reach storage with its managed identity.',
  },
  {
    id: 'secret.cosmos-key',
    title: 'Cosmos DB account key or connection string',
    severity: 'critical',
    why: `${SECRET_WHY} A Cosmos DB primary key reads and writes every database and container of the account.`,
    fix: 'Regenerate the key, remove it from the file and its history, set disableLocalAuth: true on the account and use Entra data-plane roles for the gateway only.',
  },
  {
    id: 'secret.servicebus-sas',
    title: 'Service Bus or Event Hubs shared access key',
    severity: 'high',
    why: `${SECRET_WHY} A namespace SAS key sends, reads and often manages every queue and topic, including messages that carry data.`,
    fix: 'Regenerate the key, remove it from the file and its history, set disableLocalAuth: true on the namespace and grant Service Bus data roles to identities instead.',
  },
  {
    id: 'secret.sas-token',
    title: 'Shared access signature (SAS) token',
    severity: 'high',
    why: `${SECRET_WHY} A SAS URL works for anyone holding it until it expires, with no identity behind it to revoke.`,
    fix: 'Revoke the SAS (rotate the signing key or delete the stored access policy), remove it from the file, and hand out user-delegation SAS or identity access through the gateway instead.',
  },
  {
    id: 'secret.db-password',
    title: 'Database password in a connection string',
    severity: 'high',
    why: `${SECRET_WHY} A database login with a password connects from anywhere the server accepts, outside agentgate's statement analysis and row limits.`,
    fix: 'Change the password, remove it from the file and its history, and move the database to Entra authentication with the gateway identity as the only reader.',
  },
  {
    id: 'secret.private-key',
    title: 'Private key',
    severity: 'high',
    why: `${SECRET_WHY} A private key can sign in as a service principal (certificate credential) or decrypt traffic.`,
    fix: 'Revoke the certificate or key pair, remove the file from the repository and its history, and keep keys in Key Vault.',
  },
  {
    id: 'secret.token',
    title: 'Cloud or SaaS token, API key or password',
    severity: 'high',
    why: `${SECRET_WHY} Tokens and API keys act as their owner until revoked.`,
    fix: 'Revoke or rotate the token, remove it from the file and its history, and load secrets at run time from Key Vault or the CI secret store.',
  },
  {
    id: 'identity.broad-role',
    title: 'Owner, Contributor or Reader over data stores',
    severity: 'high',
    why: 'Owner and Contributor over a subscription, a resource group or a data store can list account keys, open firewalls and grant themselves data roles; Reader sees every data store, its endpoints and settings. An agent holding one does not need the gateway.',
    fix: 'Remove the assignment from agent identities; give agents only the right to call agentgate (its API app role), and keep management roles for people through Privileged Identity Management.',
  },
  {
    id: 'identity.data-role',
    title: 'Data-plane role on a data store',
    severity: 'high',
    why: 'A data-plane role (Storage Blob Data Reader/Contributor, Cosmos DB data roles, Service Bus data roles, Key Vault Secrets User) lets its holder read data directly with its own token, without agentgate policy, approvals, masking or audit.',
    fix: "Remove the role from every identity but agentgate's own managed identity; agents reach the data through agentgate. If this is the gateway's identity, pass it with --gateway-principal.",
  },
  {
    id: 'identity.sql-role',
    title: 'Database role granting data access to a principal',
    severity: 'high',
    why: 'A member of db_datareader, db_datawriter or db_owner (or PostgreSQL pg_read_all_data, pg_write_all_data or superuser) reads tables directly; when the member is an Entra group, every agent identity added to the group gets the same path around the gateway.',
    fix: "Drop the membership; grant read access to agentgate's identity only, on the schemas and tables its connection exposes.",
  },
  {
    id: 'network.nsg-egress-open',
    title: 'NSG allows outbound traffic to the internet',
    severity: 'high',
    why: 'Compute in this network can send whatever it has read to any internet address; an agent running there can move data out past every control the gateway applies to what it returns.',
    fix: 'Add an outbound Deny rule for destination Internet (and *) below your allow rules, and allow only the addresses the workload needs (the gateway, Entra, package mirrors) or route egress through Azure Firewall.',
  },
  {
    id: 'network.public-data-store',
    title: 'Data store reachable from any network',
    severity: 'medium',
    why: 'A data store with public network access and no firewall accepts connections from any address, so a leaked key or an over-granted identity works from an agent anywhere, not only from the gateway.',
    fix: 'Turn public network access off and use private endpoints, or set the firewall default action to Deny and allow only the gateway (its VNet or outbound addresses). Remove 0.0.0.0 rules (they admit every Azure tenant).',
  },
  {
    id: 'network.compute-egress-open',
    title: 'Function App or agent compute without egress restriction',
    severity: 'medium',
    why: 'Without VNet integration the app reaches any internet address; code running there (an agent, a compromised dependency) can send data out with nothing to stop it.',
    fix: 'Integrate the app with a VNet (virtualNetworkSubnetId), route all outbound traffic through it and restrict egress with an NSG or Azure Firewall.',
  },
  {
    id: 'logging.no-request-logs',
    title: 'Data store without request-level logs',
    severity: 'medium',
    why: 'Without request logs (SQL auditing, Storage read logs, Cosmos DB data-plane requests, PostgreSQL audit logs) a read that went around the gateway leaves no trace, and nobody can tell what an agent took.',
    fix: 'Add a diagnostic setting that sends the request categories (StorageRead on each service, DataPlaneRequests, SQLSecurityAuditEvents or auditing, PostgreSQLLogs with pgaudit) to Log Analytics, or the audit/allLogs category group.',
  },
  {
    id: 'local-auth.cosmos',
    title: 'Cosmos DB local (key) authentication on',
    severity: 'high',
    why: 'While keys work, anyone who gets one (from a repository, a portal export, an old app setting) reads every container without an identity, an RBAC check or the gateway.',
    fix: 'Set disableLocalAuth: true (and disableKeyBasedMetadataWriteAccess: true) and use Entra data-plane roles.',
  },
  {
    id: 'local-auth.storage',
    title: 'Storage shared key access on',
    severity: 'high',
    why: 'Shared key access lets the account keys and every SAS signed with them read all data, bypassing Entra, RBAC and the gateway.',
    fix: 'Set allowSharedKeyAccess: false (and defaultToOAuthAuthentication: true); use identity-based access.',
  },
  {
    id: 'local-auth.servicebus',
    title: 'Service Bus local (SAS) authentication on',
    severity: 'high',
    why: 'Shared access keys read and send every message of the namespace without an identity, including messages that carry data or approvals.',
    fix: 'Set disableLocalAuth: true and grant Service Bus data roles to identities.',
  },
  {
    id: 'local-auth.appinsights',
    title: 'Application Insights local authentication on',
    severity: 'medium',
    why: "With local authentication on, anyone holding the connection string can write telemetry: forged or flooded records can hide an agent's traffic in the logs investigators rely on.",
    fix: 'Set DisableLocalAuth: true and publish telemetry with Entra (Monitoring Metrics Publisher).',
  },
];

export const RULES: ReadonlyMap<string, Rule> = new Map(list.map((r) => [r.id, r]));

export function rule(id: string): Rule {
  const r = RULES.get(id);
  if (!r) throw new TypeError(`unknown posture rule ${id}`);
  return r;
}
