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

/** Destinations that stay inside the network; everything else (a public address, a service tag such as Storage, which covers every tenant's accounts) can carry data out. */
const INTERNAL_TAGS = new Set(['virtualnetwork', 'azureloadbalancer']);
const ANY = new Set(['*', 'internet', '0.0.0.0/0', 'any']);

function isPrivate(prefix: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+(\/(\d+))?$/.exec(prefix);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  const bits = m[4] === undefined ? 32 : Number(m[4]);
  return (
    (a === 10 && bits >= 8) ||
    (a === 172 && b >= 16 && b <= 31 && bits >= 12) ||
    (a === 192 && b === 168 && bits >= 16)
  );
}

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

/** May this destination be outside the network? An expression may be anything. */
function external(d: string): boolean {
  const lower = d.toLowerCase();
  return !(INTERNAL_TAGS.has(lower) || isPrivate(d));
}

function toInternet(rule: NsgRule): boolean {
  return rule.destinations.some(external);
}

/** A Deny that stops all outbound traffic to the internet: any protocol, any port, Internet or *. */
function deniesAll(rule: NsgRule): boolean {
  return (
    rule.access === 'deny' &&
    (rule.protocol === '*' || rule.protocol === 'any') &&
    rule.ports.includes('*') &&
    rule.destinations.some((d) => ANY.has(d.toLowerCase()))
  );
}

/**
 * Outbound to the internet is open when an Allow rule to an outside destination comes before
 * (lower priority number) the first Deny of everything, or when no such Deny exists and the
 * default rule AllowInternetOutBound (65001) lets traffic out. A Deny of some ports only
 * leaves the others open.
 */
function nsgFindings(r: ResourceView): Finding[] {
  const raw = r.raw('properties.securityRules');
  const rules = (Array.isArray(raw) ? raw : [])
    .map(ruleOf)
    .filter((x): x is NsgRule => x !== undefined && x.direction === 'outbound')
    .sort((a, b) => a.priority - b.priority);
  const denyAt = rules.find(deniesAll)?.priority ?? 65001;
  const allow = rules.find((x) => x.access === 'allow' && x.priority < denyAt && toInternet(x));
  const evidence = evidenceOf(r, 'properties.securityRules');
  if (allow) {
    evidence.excerpt = `${allow.name}: Outbound Allow ${allow.protocol} to ${allow.destinations.join(',')} ports ${allow.ports.join(',')} (priority ${allow.priority})`;
    return [
      finding(
        'network.nsg-egress-open',
        r.id,
        `NSG ${r.name} rule ${allow.name} allows outbound traffic to the internet`,
        evidence,
      ),
    ];
  }
  if (denyAt < 65001) return [];
  evidence.excerpt =
    'no outbound rule denies Internet on all ports: the default rule AllowInternetOutBound (65001) applies';
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
