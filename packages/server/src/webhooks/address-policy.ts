import { BlockList, isIP } from 'node:net';
import { InvalidRequest } from '../errors.js';

/**
 * Addresses a webhook may not reach unless KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (SSRF):
 * private, loopback, link-local, CGNAT, multicast, unspecified, reserved and documentation
 * ranges, and their IPv4-mapped / NAT64 / 6to4 IPv6 forms (checked on the embedded IPv4 address).
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return null;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tail allowed), or null. */
function expandIpv6(address: string): number[] | null {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const bytes = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** Whether a literal IP address is one a webhook may not reach without the opt-in. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== null) return BLOCKED.check(inner, 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export interface UrlPolicy {
  /** KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS */
  allowPrivateNetworks: boolean;
}

/**
 * Checks a webhook URL's form (absolute, https unless private networks are allowed, no
 * credentials, no fragment) and, for a literal IP host, its address. Host names are checked on
 * every address they resolve to, at creation and again at each delivery (sender.ts).
 * @throws {InvalidRequest} naming what is wrong.
 */
export function checkWebhookUrl(text: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidRequest('url must be an absolute https:// URL');
  }
  if (text.length > 2048) throw new InvalidRequest('url must be at most 2048 characters');
  if (url.protocol !== 'https:' && !(policy.allowPrivateNetworks && url.protocol === 'http:')) {
    throw new InvalidRequest('url must use https (http is accepted only with KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)');
  }
  if (url.username || url.password) throw new InvalidRequest('url must not carry credentials');
  if (url.hash) throw new InvalidRequest('url must not have a fragment');
  const host = hostOf(url);
  if (isIP(host) && !policy.allowPrivateNetworks && isPrivateAddress(host)) {
    throw new InvalidRequest(`url points at a private or reserved address (${host}); set KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it`);
  }
  return url;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
