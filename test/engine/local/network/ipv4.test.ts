import { describe, expect, it } from 'vitest';

import {
  addressAt,
  broadcast,
  cidrContains,
  cidrsOverlap,
  formatAddress,
  formatCidr,
  hostRange,
  parseAddress,
  parseCidr,
  prefixMask,
  subnetsOf,
  tryParseAddress,
} from '../../../../src/engine/local/network/ipv4.js';
import { ComposeError } from '../../../../src/project/errors.js';

function errorOf(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error('expected a ComposeError');
}

describe('IPv4 addresses', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.200.3.7', 0x0ac80307],
    ['255.255.255.255', 0xffffffff],
    ['192.168.0.1', 0xc0a80001],
  ])('parses and formats %s', (text, value) => {
    expect(parseAddress(text)).toBe(value);
    expect(formatAddress(value)).toBe(text);
  });

  it.each([
    '',
    '10.0.0',
    '10.0.0.0.1',
    '256.0.0.1',
    '10.01.0.1',
    '10.0.0.-1',
    'a.b.c.d',
    '10.0.0.1/24',
    ' 10.0.0.1',
    '::1',
  ])('refuses %j', (text) => {
    expect(tryParseAddress(text)).toBeUndefined();
    const error = errorOf(() =>
      parseAddress(text, { keyPath: ['services', 'web', 'networks', 'back', 'ipv4_address'] }),
    );
    expect(error.message).toContain(`invalid IPv4 address "${text}"`);
    expect(error.message).toContain('services.web.networks.back.ipv4_address');
    expect(error.hint).toBeDefined();
  });

  it('computes masks', () => {
    expect(formatAddress(prefixMask(0))).toBe('0.0.0.0');
    expect(formatAddress(prefixMask(13))).toBe('255.248.0.0');
    expect(formatAddress(prefixMask(24))).toBe('255.255.255.0');
    expect(formatAddress(prefixMask(32))).toBe('255.255.255.255');
  });
});

describe('CIDR subnets', () => {
  it('parses and formats', () => {
    expect(parseCidr('10.200.3.0/24')).toEqual({ network: 0x0ac80300, prefixLength: 24 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ network: 0, prefixLength: 0 });
    expect(parseCidr('10.200.3.7/32')).toEqual({ network: 0x0ac80307, prefixLength: 32 });
    expect(formatCidr(parseCidr('10.200.0.0/13'))).toBe('10.200.0.0/13');
  });

  it('refuses host bits and names the subnet meant, like Docker', () => {
    const error = errorOf(() =>
      parseCidr('10.200.3.1/24', { keyPath: ['networks', 'back', 'ipam', 'config', 0, 'subnet'] }),
    );
    expect(error.problem).toBe('invalid subnet "10.200.3.1/24": host bits are set');
    expect(error.hint).toBe('it should be 10.200.3.0/24');
    expect(error.message).toContain('networks.back.ipam.config[0].subnet');
  });

  it.each(['10.200.3.0', '10.200.3.0/33', '10.200.3.0/', '10.200.3/24', 'fd00::/64', '10.200.3.0/24/1'])(
    'refuses %j',
    (text) => {
      expect(errorOf(() => parseCidr(text)).problem).toBe(`invalid subnet "${text}"`);
    },
  );

  it.each([
    ['10.200.3.0/24', '10.200.3.0', true],
    ['10.200.3.0/24', '10.200.3.255', true],
    ['10.200.3.0/24', '10.200.4.0', false],
    ['10.200.0.0/13', '10.207.255.255', true],
    ['10.200.0.0/13', '10.208.0.0', false],
    ['0.0.0.0/0', '192.0.2.1', true],
    ['10.1.2.3/32', '10.1.2.3', true],
    ['10.1.2.3/32', '10.1.2.4', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(cidrContains(cidr, address)).toBe(expected);
    expect(cidrContains(parseCidr(cidr), parseAddress(address))).toBe(expected);
  });

  it.each([
    ['10.200.0.0/13', '10.200.3.0/24', true],
    ['10.200.3.0/24', '10.200.0.0/13', true],
    ['10.200.3.0/24', '10.200.4.0/24', false],
    ['10.200.3.0/24', '10.200.3.0/24', true],
    ['10.200.3.128/25', '10.200.3.0/25', false],
    ['10.200.3.5/32', '10.200.3.0/24', true],
    ['0.0.0.0/0', '10.0.0.0/8', true],
    ['10.0.0.0/8', '11.0.0.0/8', false],
  ])('%s overlaps %s: %s', (a, b, expected) => {
    expect(cidrsOverlap(a, b)).toBe(expected);
  });

  it('gives broadcast, host range and n-th host addresses', () => {
    expect(broadcast('10.200.3.0/24')).toBe('10.200.3.255');
    expect(broadcast('10.200.0.0/13')).toBe('10.207.255.255');
    expect(hostRange('10.200.3.0/24')).toEqual({ first: '10.200.3.1', last: '10.200.3.254' });
    expect(hostRange('10.200.3.4/30')).toEqual({ first: '10.200.3.5', last: '10.200.3.6' });
    expect(hostRange('10.200.3.4/31')).toEqual({ first: '10.200.3.4', last: '10.200.3.5' });
    expect(hostRange('10.200.3.4/32')).toEqual({ first: '10.200.3.4', last: '10.200.3.4' });
    expect(addressAt('10.200.3.0/24', 1)).toBe('10.200.3.1');
    expect(addressAt('10.200.3.0/24', 254)).toBe('10.200.3.254');
    expect(addressAt('10.200.0.0/16', 256)).toBe('10.200.1.0');
  });

  it.each([0, 255, -1, 1.5])('refuses host number %d of a /24', (n) => {
    const error = errorOf(() => addressAt('10.200.3.0/24', n));
    expect(error.problem).toContain('has no host address number');
    expect(error.hint).toBe('its host addresses are 10.200.3.1 to 10.200.3.254');
  });

  it('splits a pool into subnets in order', () => {
    const subnets = [...subnetsOf('10.200.0.0/22', 24)].map(formatCidr);
    expect(subnets).toEqual(['10.200.0.0/24', '10.200.1.0/24', '10.200.2.0/24', '10.200.3.0/24']);
    expect([...subnetsOf('10.200.0.0/13', 24)]).toHaveLength(2048);
    expect([...subnetsOf('10.200.0.0/24', 16)]).toEqual([]);
    expect([...subnetsOf('255.255.255.0/24', 25)].map(formatCidr)).toEqual([
      '255.255.255.0/25',
      '255.255.255.128/25',
    ]);
  });
});
