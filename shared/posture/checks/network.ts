import { finding } from '../mask.js';
import { evidenceOf, isType, mayBeOtherThan, shown } from '../stores.js';
import type { Finding, ResourceView } from '../types.js';

/**
 * Network paths: NSGs that let traffic out to the internet, data stores any network can reach,
 * and apps with no egress control.
 */

interface NsgRule {
  name: string;
  priority: number;
  direction: string;
  access: string;
  protocol: string;
  destinations: string[];
  ports: string[];
}

const ANY_INTERNET = new Set(['*', 'internet', '0.0.0.0/0', 'any']);

function list(...values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (typeof v === 'string' && v !== '') out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}

/** A rule as az prints it (flattened) or as ARM writes it (under `properties`). */
function ruleOf(raw: unknown): NsgRule | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const p = (typeof r.properties === 'object' && r.properties !== null ? r.properties : r) as Record<
    string,
    unknown
  >;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: str(r.name),
    priority: typeof p.priority === 'number' ? p.priority : Number(p.priority ?? 4096),
    direction: str(p.direction).toLowerCase(),
    access: str(p.access).toLowerCase(),
    protocol: str(p.protocol).toLowerCase() || '*',
    destinations: list(p.destinationAddressPrefix, p.destinationAddressPrefixes),
    ports: list(p.destinationPortRange, p.destinationPortRanges),
  };
}

function coversPort(ports: string[], port: number): boolean {
  return ports.some((r) => {
    if (r === '*') return true;
    // An expression in a template is unknown: it may cover the port.
    if (r.startsWith('[')) return true;
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? a === port : a <= port && port <= b;
  });
}

function toInternet(rule: NsgRule): boolean {
  return rule.destinations.some((d) => ANY_INTERNET.has(d.toLowerCase()) || d.startsWith('['));
}

/** The rule that decides outbound TCP to the internet on `port`: first match by priority. */
function decidingRule(rules: NsgRule[], port: number): NsgRule | undefined {
  return rules
    .filter(
      (r) =>
        r.direction === 'outbound' && (r.protocol === '*' || r.protocol === 'tcp' || r.protocol === 'any'),
    )
    .sort((a, b) => a.priority - b.priority)
    .find(
      (r) =>
        toInternet(r) &&
        coversPort(r.ports, port) &&
        (r.access === 'allow' || !r.destinations.some((d) => d.startsWith('['))),
    );
}

function nsgFindings(r: ResourceView): Finding[] {
  const raw = r.raw('properties.securityRules');
  const rules = (Array.isArray(raw) ? raw : []).map(ruleOf).filter((x): x is NsgRule => x !== undefined);
  for (const port of [443, 80]) {
    const rule = decidingRule(rules, port);
    if (rule?.access === 'deny') continue;
    const evidence = evidenceOf(r, 'properties.securityRules');
    if (rule) {
      evidence.excerpt = `${rule.name}: Outbound Allow ${rule.protocol} to ${rule.destinations.join(',')} ports ${rule.ports.join(',')} (priority ${rule.priority})`;
      return [
        finding(
          'network.nsg-egress-open',
          r.id,
          `NSG ${r.name} rule ${rule.name} allows outbound traffic to the internet`,
          evidence,
        ),
      ];
    }
    evidence.excerpt = `no outbound rule denies Internet on port ${port}: the default rule AllowInternetOutBound (65001) applies`;
    return [
      finding(
        'network.nsg-egress-open',
        r.id,
        `NSG ${r.name} does not deny outbound traffic to the internet (default rule AllowInternetOutBound)`,
        evidence,
        'medium',
      ),
    ];
  }
  return [];
}

function publicStorage(r: ResourceView): Finding | undefined {
  const access = r.read('properties.publicNetworkAccess');
  if (!mayBeOtherThan(access, ['Disabled'])) return undefined;
  const acl = r.read('properties.networkAcls.defaultAction');
  const ruleSet = r.read('properties.networkRuleSet.defaultAction');
  const action = r.fromTemplate || acl.values.some((v) => v !== undefined) ? acl : ruleSet;
  if (!mayBeOtherThan(action, ['Deny'])) return undefined;
  return finding(
    'network.public-data-store',
    r.id,
    `storage account ${r.name}: public network access ${shown(access)}, firewall default action ${shown(action)}`,
    evidenceOf(r, 'properties.publicNetworkAccess', access),
  );
}

function publicCosmos(r: ResourceView): Finding | undefined {
  const access = r.read('properties.publicNetworkAccess');
  if (!mayBeOtherThan(access, ['Disabled'])) return undefined;
  const ipRules = r.read('properties.ipRules');
  const vnet = r.read('properties.isVirtualNetworkFilterEnabled');
  const hasIpRules = !ipRules.unknown && ipRules.values.every((v) => Array.isArray(v) && v.length > 0);
  const hasVnet = !vnet.unknown && vnet.values.every((v) => v === true);
  if (hasIpRules || hasVnet) return undefined;
  return finding(
    'network.public-data-store',
    r.id,
    `Cosmos DB account ${r.name}: public network access ${shown(access)} and no IP or VNet rules`,
    evidenceOf(r, 'properties.publicNetworkAccess', access),
  );
}

const FIREWALL_RULE_TYPES = [
  'microsoft.sql/servers/firewallrules',
  'microsoft.dbforpostgresql/flexibleservers/firewallrules',
  'microsoft.dbforpostgresql/servers/firewallrules',
  'microsoft.dbformysql/flexibleservers/firewallrules',
];

/** A server firewall rule that admits the internet (0.0.0.0–255.255.255.255) or every Azure tenant (0.0.0.0–0.0.0.0). */
function openFirewallRule(r: ResourceView): Finding | undefined {
  const start = r.read('properties.startIpAddress');
  const end = r.read('properties.endIpAddress');
  const startsAtZero = start.unknown || start.values.includes('0.0.0.0');
  const open = end.unknown || end.values.some((v) => v === '255.255.255.255' || v === '0.0.0.0');
  if (!startsAtZero || !open) return undefined;
  const what = end.values.includes('0.0.0.0') ? 'every Azure service of every tenant' : 'the whole internet';
  return finding(
    'network.public-data-store',
    r.id,
    `firewall rule ${r.name} admits ${what} (${shown(start)} to ${shown(end)})`,
    evidenceOf(r, 'properties.endIpAddress', end),
  );
}

function computeEgress(r: ResourceView): Finding | undefined {
  const subnet = r.read('properties.virtualNetworkSubnetId');
  const integrated = !subnet.unknown && subnet.values.every((v) => typeof v === 'string' && v !== '');
  if (integrated) return undefined;
  return finding(
    'network.compute-egress-open',
    r.id,
    `app ${r.name} has no VNet integration (virtualNetworkSubnetId ${shown(subnet)}): outbound traffic is unrestricted`,
    evidenceOf(r, 'properties.virtualNetworkSubnetId', subnet),
  );
}

export function checkNetwork(resources: readonly ResourceView[]): Finding[] {
  const out: Finding[] = [];
  for (const r of resources) {
    if (!r.described) continue;
    const type = r.type.toLowerCase();
    let f: Finding | undefined;
    if (type === 'microsoft.network/networksecuritygroups') out.push(...nsgFindings(r));
    else if (type === 'microsoft.network/networksecuritygroups/securityrules') {
      const rule = ruleOf({ name: r.name, properties: r.raw('properties') });
      if (rule && rule.direction === 'outbound' && rule.access === 'allow' && toInternet(rule)) {
        f = finding(
          'network.nsg-egress-open',
          r.id,
          `security rule ${r.name} allows outbound traffic to the internet`,
          evidenceOf(r, 'properties.destinationAddressPrefix'),
        );
      }
    } else if (isType(r, 'microsoft.storage/storageaccounts')) f = publicStorage(r);
    else if (isType(r, 'microsoft.documentdb/databaseaccounts')) f = publicCosmos(r);
    else if (FIREWALL_RULE_TYPES.includes(type)) f = openFirewallRule(r);
    else if (type === 'microsoft.web/sites') f = computeEgress(r);
    if (f) out.push(f);
  }
  return out;
}
