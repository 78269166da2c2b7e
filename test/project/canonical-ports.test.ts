import { describe, expect, it } from 'vitest';
import { canonicalize, parsePortSpec } from '../../src/project/canonical/index.js';
import type { ComposeDict } from '../../src/project/dict.js';
import { DocumentPositions } from '../../src/project/source-map.js';
import { Warnings } from '../../src/project/warnings.js';

function ports(value: unknown): unknown {
  const positions = new DocumentPositions('compose.yaml');
  positions.set(['services', 'web', 'ports', 0], { line: 7, column: 9 });
  const model: ComposeDict = { services: { web: { image: 'nginx', ports: value } } };
  const out = canonicalize(model, { positions, warnings: new Warnings() });
  return ((out.services as ComposeDict).web as ComposeDict).ports;
}

const tcp = (target: number, extra: ComposeDict = {}): ComposeDict => ({
  mode: 'ingress',
  target,
  protocol: 'tcp',
  ...extra,
});

describe('ports short syntax', () => {
  it.each<[string, unknown[], ComposeDict[]]>([
    ['container port', ['3000'], [tcp(3000)]],
    ['integer', [3000], [tcp(3000)]],
    ['container range', ['3000-3002'], [tcp(3000), tcp(3001), tcp(3002)]],
    ['host:container', ['8000:80'], [tcp(80, { published: '8000' })]],
    [
      'paired ranges',
      ['9090-9091:8080-8081'],
      [tcp(8080, { published: '9090' }), tcp(8081, { published: '9091' })],
    ],
    ['host range for one port', ['49100-49110:22'], [tcp(22, { published: '49100-49110' })]],
    ['ip:host:container', ['127.0.0.1:8001:8001'], [tcp(8001, { host_ip: '127.0.0.1', published: '8001' })]],
    ['ip without host port', ['127.0.0.1::5000'], [tcp(5000, { host_ip: '127.0.0.1' })]],
    ['bracketed IPv6', ['[::1]:6001:6001'], [tcp(6001, { host_ip: '::1', published: '6001' })]],
    ['bare IPv6', ['::1:6001:6001'], [tcp(6001, { host_ip: '::1', published: '6001' })]],
    ['udp', ['6060:6060/udp'], [{ mode: 'ingress', target: 6060, published: '6060', protocol: 'udp' }]],
    ['sctp upper case', ['5000/SCTP'], [{ mode: 'ingress', target: 5000, protocol: 'sctp' }]],
    ['range into one port', ['12400-12500:1240'], [tcp(1240, { published: '12400-12500' })]],
    ['several entries', ['80', '443:443'], [tcp(80), tcp(443, { published: '443' })]],
  ])('%s', (_name, input, expected) => {
    expect(ports(input)).toEqual(expected);
  });
});

describe('ports long syntax', () => {
  it('fills mode and protocol and turns published into a string', () => {
    expect(ports([{ target: 80, published: 8080 }])).toEqual([tcp(80, { published: '8080' })]);
  });
  it('keeps what is given', () => {
    const port = {
      target: 53,
      published: '5353',
      protocol: 'udp',
      mode: 'host',
      host_ip: '0.0.0.0',
      name: 'dns',
    };
    expect(ports([port])).toEqual([port]);
  });
});

describe('invalid ports', () => {
  it.each(['80:80:80', 'abc', '70000', '8000-8001:80-82', '80/icmp', '', '1.2.3.4:80:80:80', '90-80'])(
    '%s',
    (spec) => {
      expect(() => ports([spec])).toThrow(`compose.yaml:7:9: services.web.ports[0]: invalid port "${spec}"`);
    },
  );
  it('says why and what the forms are', () => {
    expect(() => ports(['80:80:80'])).toThrow(/"80" is not an IP address; use \[HOST_IP:\]/);
  });
  it('points at the entry', () => {
    expect(() => ports(['80', 'x'])).toThrow('services.web.ports[1]: invalid port "x"');
  });
  it('refuses a long entry without target', () => {
    expect(() => ports([{ published: 80 }])).toThrow('services.web.ports[0]: port has no target');
  });
  it('refuses a value of the wrong type', () => {
    expect(() => ports([true])).toThrow('services.web.ports[0]: invalid port: boolean true');
  });
});

describe('parsePortSpec', () => {
  it('throws a plain Error with the reason', () => {
    expect(() => parsePortSpec('8000-8001:80-82')).toThrow('ranges of different lengths');
  });
});
