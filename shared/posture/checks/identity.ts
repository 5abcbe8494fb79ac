import { scopeOf } from '../inventory.js';
import { finding } from '../mask.js';
import { classifyRole } from '../roles.js';
import { isDataStoreType } from '../stores.js';
import type { Finding, PostureOptions, ResourceView, RoleGrant } from '../types.js';

/**
 * Identities that can reach data stores without agentgate: broad management roles over
 * them, data-plane roles on them. Human users are out of scope (the check is about the
 * identities agents run as); agentgate's own identity is named with gatewayPrincipals.
 */

/** The resource type a template scope names (`resourceId('T', ...)` or a `T/name/...` path). */
function typeFromScopeText(text: string): string | undefined {
  const viaId = /resourceId\(\s*'([A-Za-z]+\.[A-Za-z]+\/[^']+)'/i.exec(text);
  if (viaId) return viaId[1].toLowerCase();
  const path = /([A-Za-z]+\.[A-Za-z]+\/[^'",)\]]+)/.exec(text);
  if (!path) return undefined;
  const [namespace, ...rest] = path[1].split('/');
  return [namespace, ...rest.filter((_, i) => i % 2 === 0)].join('/').toLowerCase();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Role assignments declared in templates. */
export function templateGrants(resources: readonly ResourceView[]): RoleGrant[] {
  const out: RoleGrant[] = [];
  for (const r of resources) {
    const type = r.type.toLowerCase();
    const cosmos = type === 'microsoft.documentdb/databaseaccounts/sqlroleassignments';
    if (!cosmos && type !== 'microsoft.authorization/roleassignments') continue;
    const p = r.read('properties.principalId');
    const literal =
      !p.unknown && p.values.length === 1 && typeof p.values[0] === 'string' ? p.values[0] : undefined;
    const roleRaw = str(r.raw('properties.roleDefinitionId'));
    const pt = r.read('properties.principalType');
    let scopeLevel: RoleGrant['scopeLevel'];
    let scopeType: string | undefined;
    const scopeText = cosmos ? (str(r.raw('properties.scope')) ?? r.name) : r.scopeText;
    if (cosmos) {
      scopeLevel = 'resource';
      scopeType = 'microsoft.documentdb/databaseaccounts';
    } else if (scopeText !== undefined) {
      const evaluated = r.read('scope');
      const s =
        !evaluated.unknown && typeof evaluated.values[0] === 'string' ? evaluated.values[0] : scopeText;
      scopeType = s.startsWith('/') ? scopeOf(s).scopeType : typeFromScopeText(s);
      scopeLevel = scopeType ? 'resource' : s.startsWith('/') ? scopeOf(s).scopeLevel : 'unknown';
    } else {
      // No scope: the assignment covers whatever the deployment targets.
      scopeLevel = r.deploymentScope === 'resourceGroup' ? 'resourceGroup' : 'subscription';
    }
    out.push({
      principal: literal,
      principalExpression: literal === undefined ? str(r.raw('properties.principalId')) : undefined,
      principalType: !pt.unknown && typeof pt.values[0] === 'string' ? pt.values[0] : undefined,
      roleId: roleRaw,
      scope: scopeText ?? r.deploymentScope ?? 'resourceGroup',
      scopeLevel,
      scopeType,
      plane: cosmos ? 'cosmos' : 'arm',
      origin: r.origin,
      resourceId: r.id,
    });
  }
  return out;
}

function isGateway(g: RoleGrant, options: PostureOptions): boolean {
  const names = (options.gatewayPrincipals ?? []).map((n) => n.toLowerCase());
  return [g.principal, g.principalName].some((p) => p !== undefined && names.includes(p.toLowerCase()));
}

export function checkGrants(
  grants: readonly RoleGrant[],
  resources: readonly ResourceView[],
  options: PostureOptions,
): Finding[] {
  const inventoryStores = resources.filter((r) => !r.fromTemplate && isDataStoreType(r.type));
  const anyInventory = resources.some((r) => !r.fromTemplate);
  const out: Finding[] = [];
  for (const g of grants) {
    // People are not what this check is about; agents run as service principals and identities.
    if (g.principalType?.toLowerCase() === 'user') continue;
    if (isGateway(g, options)) continue;
    const role = classifyRole(g.roleId, g.roleName, g.plane);
    if (!role) continue;
    let over: boolean;
    // A Cosmos DB SQL role assignment is always on an account's data.
    if (g.plane === 'cosmos') over = true;
    else if (g.scopeLevel === 'resource') over = isDataStoreType(g.scopeType);
    else if (g.scope.startsWith('/')) {
      // An inventory scope covers the stores listed under it; with no resource list, assume it covers some.
      const scope = g.scope.toLowerCase();
      over = !anyInventory || inventoryStores.some((s) => s.id.toLowerCase().startsWith(`${scope}/`));
    } else over = true; // a template's resource group or subscription: the stores are deployed there
    if (!over) continue;
    const id = role.kind === 'data' ? 'identity.data-role' : 'identity.broad-role';
    const unresolved = g.principal === undefined;
    const who =
      g.principalName ?? g.principal ?? `the principal given by ${g.principalExpression ?? 'the deployment'}`;
    const where =
      g.scopeLevel === 'resource'
        ? (g.scopeType ?? g.scope)
        : g.scope.startsWith('/')
          ? `${g.scopeLevel} ${g.scope}`
          : `the ${g.scopeLevel === 'resourceGroup' ? 'resource group' : 'subscription'} it is deployed to`;
    let severity = role.kind === 'reader' ? 'medium' : 'high';
    // Decided at deployment: it may well be the gateway's own identity; worth a look, not an alarm.
    if (unresolved) severity = 'medium';
    const templateLine = g.origin.line;
    out.push(
      finding(
        id,
        g.resourceId,
        `${who}${g.principalType ? ` (${g.principalType})` : ''} holds ${role.name} on ${where}${unresolved ? "; confirm it is agentgate's identity (then pass --gateway-principal) or remove it" : ''}`,
        templateLine !== undefined
          ? {
              file: g.origin.file,
              line: g.origin.lineOf('principalId') ?? templateLine,
              property: 'principalId',
              excerpt: `${role.name} -> ${g.principal ?? g.principalExpression ?? ''}`,
            }
          : {
              file: g.origin.file,
              resourceId: g.resourceId,
              property: 'roleDefinitionId',
              excerpt: `${role.name} at ${g.scope}`,
            },
        severity as 'high' | 'medium',
      ),
    );
  }
  return out;
}

// ---------- SQL and PostgreSQL scripts ----------

const SQL_PATTERNS: Array<{ re: RegExp; role: number; member: number }> = [
  {
    re: /ALTER\s+(?:SERVER\s+)?ROLE\s+\[?(db_datareader|db_datawriter|db_owner|sysadmin)\]?\s+ADD\s+MEMBER\s+(\[[^\]]+\]|"[^"]+"|[\w@.-]+)/gi,
    role: 1,
    member: 2,
  },
  {
    re: /sp_addrolemember\s+@?\w*\s*=?\s*N?'(db_datareader|db_datawriter|db_owner)'\s*,\s*@?\w*\s*=?\s*N?'([^']+)'/gi,
    role: 1,
    member: 2,
  },
  {
    re: /GRANT\s+(pg_read_all_data|pg_write_all_data|azure_pg_admin)\s+TO\s+("[^"]+"|[\w@.-]+)/gi,
    role: 1,
    member: 2,
  },
  { re: /ALTER\s+(?:ROLE|USER)\s+("[^"]+"|[\w@.-]+)\s+(?:WITH\s+)?(SUPERUSER)/gi, role: 2, member: 1 },
  // Direct grants read as much as a role: `GRANT SELECT ON SCHEMA::dbo TO [x]`, `GRANT ALL ON ALL TABLES IN SCHEMA s TO x`.
  {
    re: /GRANT\s+((?:SELECT|CONTROL|ALL(?:\s+PRIVILEGES)?)(?:\s*,\s*\w+)*\s+ON\s+[^;]*?)\s+TO\s+(\[[^\]]+\]|"[^"]+"|[\w@.-]+)/gi,
    role: 1,
    member: 2,
  },
];

function unquote(name: string): string {
  return name.replace(/^[["]|[\]"]$/g, '');
}

/** Entra principals the script creates (`FROM EXTERNAL PROVIDER`, `pgaadauth_create_principal`). */
function entraPrincipals(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /CREATE\s+USER\s+(\[[^\]]+\]|"[^"]+"|[\w@.-]+)\s+FROM\s+EXTERNAL\s+PROVIDER/gi,
  ))
    out.add(unquote(m[1]).toLowerCase());
  for (const m of text.matchAll(/pgaadauth_create_principal\w*\s*\(\s*'([^']+)'/gi))
    out.add(m[1].toLowerCase());
  return out;
}

/** Files that run grants: SQL and shell scripts, CI and template files; prose and source code only mention them. */
const SCRIPT_FILE = /\.(sql|psql|pgsql|tsql|sh|bash|zsh|ps1|psm1|cmd|bat|ya?ml|bicep|tf|json)$/i;

export function scanSqlGrants(file: string, text: string, options: PostureOptions): Finding[] {
  if (!SCRIPT_FILE.test(file)) return [];
  if (
    !/db_datareader|db_datawriter|db_owner|sysadmin|pg_read_all_data|pg_write_all_data|azure_pg_admin|superuser|\bgrant\b/i.test(
      text,
    )
  )
    return [];
  const entra = entraPrincipals(text);
  const gateway = new Set((options.gatewayPrincipals ?? []).map((p) => p.toLowerCase()));
  const out: Finding[] = [];
  for (const p of SQL_PATTERNS) {
    for (const m of text.matchAll(p.re)) {
      const member = unquote(m[p.member]);
      if (gateway.has(member.toLowerCase())) continue;
      const line = text.slice(0, m.index).split('\n').length;
      const lineText = text.split('\n')[line - 1] ?? m[0];
      const kind = entra.has(member.toLowerCase()) ? 'Entra principal' : 'principal';
      out.push(
        finding(
          'identity.sql-role',
          `${file}: ${member}`,
          `${kind} ${member} gets ${m[p.role].replace(/\s+/g, ' ')}`,
          { file, line, excerpt: lineText },
        ),
      );
    }
  }
  return out;
}
