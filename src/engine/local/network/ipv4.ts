/**
 * IPv4 addresses and CIDR subnets as plain numbers: parsing (strict, like Docker: no leading zeros,
 * no host bits in a subnet), formatting, containment, overlap and the host addresses of a subnet.
 * Addresses are unsigned 32-bit integers so that arithmetic on them is exact.
 */
import { ComposeError } from '../../../project/errors.js';
import type { KeyPath } from '../../../project/key-path.js';
import type { Cidr } from './types.js';

export interface ParsedCidr {
  /** The network address (host bits all zero). */
  network: number;
  prefixLength: number;
}

/** Where a value came from, for error messages. */
export interface Where {
  keyPath?: KeyPath;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** The address as a number, or undefined when `text` is not a dotted-quad IPv4 address. */
export function tryParseAddress(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function isIPv4Address(text: string): boolean {
  return tryParseAddress(text) !== undefined;
}

/** The address as a number; a ComposeError when it is not a valid IPv4 address. */
export function parseAddress(text: string, where: Where = {}): number {
  const value = tryParseAddress(text);
  if (value === undefined) {
    throw new ComposeError(`invalid IPv4 address "${text}"`, {
      keyPath: where.keyPath,
      hint: 'write it as four decimal numbers from 0 to 255 without leading zeros, e.g. 10.200.3.7',
    });
  }
  return value;
}

export function formatAddress(value: number): string {
  const v = value >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** The netmask of a prefix length as a number (`24` -> 255.255.255.0). */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * `10.200.3.0/24` -> `{network, prefixLength}`. Host bits set (`10.200.3.1/24`) are refused, as
 * Docker refuses them ("invalid subnet"), with the subnet that was probably meant.
 */
export function parseCidr(text: Cidr, where: Where = {}): ParsedCidr {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  const address = match ? tryParseAddress(match[1]!) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 32)) {
    throw new ComposeError(`invalid subnet "${text}"`, {
      keyPath: where.keyPath,
      hint: 'write an IPv4 subnet in CIDR form, e.g. 10.200.3.0/24',
    });
  }
  const network = (address & prefixMask(prefixLength)) >>> 0;
  if (network !== address) {
    const meant = formatCidr({ network, prefixLength });
    throw new ComposeError(`invalid subnet "${text}": host bits are set`, {
      keyPath: where.keyPath,
      hint: `it should be ${meant}`,
    });
  }
  return { network, prefixLength };
}

export function formatCidr(cidr: ParsedCidr): Cidr {
  return `${formatAddress(cidr.network)}/${cidr.prefixLength}`;
}

function toParsed(cidr: Cidr | ParsedCidr): ParsedCidr {
  return typeof cidr === 'string' ? parseCidr(cidr) : cidr;
}

function toNumber(address: string | number): number {
  return typeof address === 'number' ? address >>> 0 : parseAddress(address);
}

/** How many addresses the subnet spans, network and broadcast included. */
export function cidrSize(cidr: Cidr | ParsedCidr): number {
  return 2 ** (32 - toParsed(cidr).prefixLength);
}

export function cidrContains(cidr: Cidr | ParsedCidr, address: string | number): boolean {
  const { network, prefixLength } = toParsed(cidr);
  return (toNumber(address) & prefixMask(prefixLength)) >>> 0 === network;
}

/** Whether two subnets share an address (for CIDRs: one contains the other). */
export function cidrsOverlap(a: Cidr | ParsedCidr, b: Cidr | ParsedCidr): boolean {
  const x = toParsed(a);
  const y = toParsed(b);
  const shorter = Math.min(x.prefixLength, y.prefixLength);
  const mask = prefixMask(shorter);
  return (x.network & mask) >>> 0 === (y.network & mask) >>> 0;
}

/** The subnet's broadcast address (its last address). */
export function broadcast(cidr: Cidr | ParsedCidr): string {
  const parsed = toParsed(cidr);
  return formatAddress(parsed.network + cidrSize(parsed) - 1);
}

/**
 * The first and last addresses a host may use: all but the network and broadcast addresses; a /31
 * has two hosts (RFC 3021) and a /32 one.
 */
export function hostRange(cidr: Cidr | ParsedCidr): { first: string; last: string } {
  const parsed = toParsed(cidr);
  const size = cidrSize(parsed);
  if (parsed.prefixLength >= 31) {
    return { first: formatAddress(parsed.network), last: formatAddress(parsed.network + size - 1) };
  }
  return { first: formatAddress(parsed.network + 1), last: formatAddress(parsed.network + size - 2) };
}

/** The address at offset `n` from the network address: `addressAt('10.200.3.0/24', 1)` is the gateway `.1`. */
export function addressAt(cidr: Cidr | ParsedCidr, n: number): string {
  const parsed = toParsed(cidr);
  const range = hostRange(parsed);
  const value = parsed.network + n;
  if (!Number.isInteger(n) || value < parseAddress(range.first) || value > parseAddress(range.last)) {
    throw new ComposeError(`subnet ${formatCidr(parsed)} has no host address number ${n}`, {
      hint: `its host addresses are ${range.first} to ${range.last}`,
    });
  }
  return formatAddress(value);
}

/** The subnets of `prefixLength` that make up `pool`, in address order. */
export function* subnetsOf(pool: Cidr | ParsedCidr, prefixLength: number): Generator<ParsedCidr> {
  const parsed = toParsed(pool);
  if (prefixLength < parsed.prefixLength || prefixLength > 32) return;
  const step = 2 ** (32 - prefixLength);
  const end = parsed.network + cidrSize(parsed);
  for (let network = parsed.network; network < end; network += step) yield { network, prefixLength };
}
