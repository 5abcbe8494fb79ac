import { BlockList, isIP } from 'node:net';

/**
 * Addresses a callback may never reach, whatever DNS says: everything that is not public
 * unicast. Checked on the address the socket connects to (DNS rebinding), so a host on the
 * allowlist that resolves to an internal address is refused.
 */
// One list per family: a BlockList also matches IPv4 addresses against IPv6 rules (mapped forms).
const SPECIAL_V4 = new BlockList();
const SPECIAL_V6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL_V4.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-mapped, IPv4-compatible, NAT64, discard, Teredo/ORCHID/documentation, 6to4, ULA,
  // link-local, site-local, multicast: none is a public callback receiver.
  ['::ffff:0:0', 96],
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL_V6.addSubnet(net, bits, 'ipv6');
}

const LOOPBACK_V4 = new BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');

/** 127.0.0.0/8 and ::1 only (not their IPv4-mapped forms, which are refused outright). */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOOPBACK_V4.check(address, 'ipv4');
  return family === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/i.test(address);
}

/**
 * Why a callback must not connect to `address`, or null when it may: public unicast only,
 * plus loopback on the local host (`allowLoopback`). Anything unparseable is refused.
 */
export function addressRefusal(address: string, allowLoopback: boolean): string | null {
  const family = isIP(address);
  if (family === 0) return 'not_an_address';
  if (allowLoopback && isLoopbackAddress(address)) return null;
  const special = family === 4 ? SPECIAL_V4.check(address, 'ipv4') : SPECIAL_V6.check(address, 'ipv6');
  return special ? 'private_address' : null;
}
