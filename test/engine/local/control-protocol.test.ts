/**
 * Errors crossing the control socket: what errorToWire writes must be JSON, and errorFromWire must
 * rebuild an error the caller can tell apart (a network still in use is a warning, not a failure).
 */
import { describe, expect, it } from 'vitest';

import { errorFromWire, errorToWire, type WireError } from '../../../src/engine/local/control-protocol.js';
import { RESOURCE_IN_USE, ResourceInUseError } from '../../../src/engine/resource-in-use.js';
import { ComposeError, ComposeErrors } from '../../../src/project/errors.js';

/** Through JSON and back, as over the socket. */
function cross(error: unknown): Error {
  return errorFromWire(JSON.parse(JSON.stringify(errorToWire(error))) as WireError);
}

describe('ResourceInUseError', () => {
  it('says what is in use, by which container, and how to fix it', () => {
    const error = ResourceInUseError.of('network', 'p_front', 'p-web-1');
    expect(error).toBeInstanceOf(ComposeError);
    expect(error.code).toBe(RESOURCE_IN_USE);
    expect(error.problem).toBe('network p_front is in use by container p-web-1');
    expect(error.message).toBe('network p_front is in use by container p-web-1 (remove the container first)');
  });

  it('is written with its code', () => {
    expect(errorToWire(ResourceInUseError.of('volume', 'p_data', 'p-db-1'))).toEqual({
      name: 'ComposeError',
      message: 'volume p_data is in use by container p-db-1 (remove the container first)',
      problem: 'volume p_data is in use by container p-db-1',
      hint: 'remove the container first',
      code: RESOURCE_IN_USE,
    });
  });

  it('comes back as a ResourceInUseError with the same message', () => {
    const original = ResourceInUseError.of('network', 'p_front', 'p-web-1');
    const back = cross(original);
    expect(back).toBeInstanceOf(ResourceInUseError);
    expect(back.message).toBe(original.message);
    expect((back as ResourceInUseError).problem).toBe(original.problem);
    expect((back as ResourceInUseError).hint).toBe(original.hint);
  });

  it('stays one inside a ComposeErrors', () => {
    const back = cross(
      new ComposeErrors([ResourceInUseError.of('network', 'a', 'c1'), new ComposeError('other')]),
    );
    expect(back).toBeInstanceOf(ComposeErrors);
    const [inUse, other] = (back as ComposeErrors).errors;
    expect(inUse).toBeInstanceOf(ResourceInUseError);
    expect(other).not.toBeInstanceOf(ResourceInUseError);
  });
});

describe('errorToWire / errorFromWire', () => {
  const cases: { name: string; error: unknown; check: (back: Error) => void }[] = [
    {
      name: 'a ComposeError keeps its key path, location and hint, and is no ResourceInUseError',
      error: new ComposeError('ipv4_address 10.9.9.9 is not in the subnet', {
        keyPath: ['services', 'web', 'networks', 'front', 'ipv4_address'],
        location: { file: '/p/compose.yaml', line: 7, column: 9 },
        hint: 'choose an address inside it',
      }),
      check: (back) => {
        expect(back).toBeInstanceOf(ComposeError);
        expect(back).not.toBeInstanceOf(ResourceInUseError);
        expect(back.message).toBe(
          '/p/compose.yaml:7:9: services.web.networks.front.ipv4_address: ipv4_address 10.9.9.9 is not in the subnet (choose an address inside it)',
        );
      },
    },
    {
      name: 'a system error keeps its errno code',
      error: Object.assign(new Error('EEXIST: file exists'), { code: 'EEXIST' }),
      check: (back) => {
        expect(back).not.toBeInstanceOf(ComposeError);
        expect((back as NodeJS.ErrnoException).code).toBe('EEXIST');
        expect(back.message).toBe('EEXIST: file exists');
      },
    },
    {
      name: 'a plain error that happens to carry the in-use code does not become a ComposeError',
      error: Object.assign(new Error('odd'), { code: RESOURCE_IN_USE }),
      check: (back) => {
        expect(back).not.toBeInstanceOf(ComposeError);
        expect((back as NodeJS.ErrnoException).code).toBe(RESOURCE_IN_USE);
      },
    },
    {
      name: 'a thrown string becomes an Error with that text',
      error: 'boom',
      check: (back) => {
        expect(back).toBeInstanceOf(Error);
        expect(back.message).toBe('boom');
      },
    },
  ];
  it.each(cases)('$name', ({ error, check }) => check(cross(error)));
});
