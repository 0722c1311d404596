import net from 'node:net';

/**
 * The throttle's name for a client address. IPv4 as is (also when mapped into IPv6); IPv6 by its /64,
 * because one subscriber usually holds a whole /64 and could otherwise rotate through addresses.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (net.isIPv4(ip)) return ip;
  if (!net.isIPv6(ip)) return ip.slice(0, 64);
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const withoutZone = ip.split('%')[0]!;
  const [head, tail] = withoutZone.includes('::') ? (withoutZone.split('::') as [string, string]) : [withoutZone, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // an embedded IPv4 tail takes two groups; the /64 never reaches it, so its exact value does not matter
  const rightGroups = right.flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const missing = tail === undefined ? 0 : 8 - left.length - rightGroups.length;
  return [...left, ...Array(Math.max(0, missing)).fill('0'), ...rightGroups].map((g) => parseInt(g || '0', 16).toString(16));
}
