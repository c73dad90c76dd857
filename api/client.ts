// Who is calling, as far as the network can tell: the socket's peer, or, when that peer is a trusted proxy (a load
// balancer), the address it reports in X-Forwarded-For. Anyone can write that header, so it is read only from a
// trusted proxy, and only the addresses appended by trusted proxies count: walking it right to left, the first address
// that is not a trusted proxy is the client.
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { isAddressOrSubnet } from '../config/index.ts';

/** An IPv4 address in IPv6 clothing (`::ffff:10.0.0.5`, as dual-stack sockets report them) as plain IPv4. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m?.[1] ?? address;
}

/** The eight 16-bit groups of an IPv6 address, `::` and a trailing dotted IPv4 expanded. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/**
 * The key a client's failures are counted under: its IPv4 address, or its IPv6 /64 (one host commonly holds a whole
 * /64, and counting each of its 2^64 addresses apart would count nothing).
 */
export function clientKey(given: string): string {
  const address = unmapped(given);
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address).slice(0, 4);
  return `${groups.map((g) => g.toString(16)).join(':')}::/64`;
}

export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) {
      if (!isAddressOrSubnet(entry)) throw new Error(`not an IP address or subnet: ${entry}`);
      const [given = '', bits] = entry.split('/');
      const address = bits === undefined ? unmapped(given) : given;
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(address, family);
      else this.trusted.addSubnet(address, Number(bits), family);
    }
    this.any = trustedProxies.length > 0;
  }

  isTrusted(address: string): boolean {
    const a = unmapped(address);
    const family = isIP(a);
    if (!this.any || family === 0) return false;
    return this.trusted.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The client's address for this request ('unknown' when the request did not come through a socket). */
  of(c: Context): string {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      peer = undefined;
    }
    if (!peer) return 'unknown';
    let client = unmapped(peer);
    if (!this.isTrusted(client)) return client;
    const hops = (c.req.header('X-Forwarded-For') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapped(hops[i] as string);
      // Garbage can only have been written by a trusted proxy: stop at the last address known good.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.isTrusted(hop)) break;
    }
    return client;
  }
}
