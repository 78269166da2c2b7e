import { type ComposeDict, isDict } from '../dict.js';
import type { KeyPath } from '../key-path.js';
import { type CanonicalContext, fail } from './context.js';
import { throughTags } from './tags.js';
import { describe, scalarText } from './values.js';

const HINT = 'write "host=ip" or "host:ip" (IPv6: "host=::1" or "host:[::1]"), or a mapping host: ip';

/** extra_hosts: `"host:ip"` / `"host=ip"` entries or a map -> `{host: [ip, ...]}`; `[::1]` loses its brackets. */
export function canonicalExtraHosts(ctx: CanonicalContext, value: unknown, path: KeyPath): unknown {
  return throughTags(value, (inner) => {
    const hosts: Record<string, string[]> = {};
    if (Array.isArray(inner)) {
      inner.forEach((entry, i) => {
        const text = scalarText(entry);
        // `=` is tried first so that IPv6 addresses can follow it unbracketed.
        const sep = text === undefined ? -1 : text.includes('=') ? text.indexOf('=') : text.indexOf(':');
        if (text === undefined || sep < 0) {
          return fail(ctx, [...path, i], `invalid extra host ${JSON.stringify(entry)}: missing IP`, HINT);
        }
        const host = checkHost(ctx, text.slice(0, sep), [...path, i]);
        hosts[host] = [
          ...(hosts[host] ?? []),
          ...text
            .slice(sep + 1)
            .split(',')
            .map(unbracket),
        ];
      });
      return hosts;
    }
    if (!isDict(inner)) return fail(ctx, path, `must be a list or a mapping, got ${describe(inner)}`, HINT);
    const out: ComposeDict = {};
    for (const [host, ips] of Object.entries(inner)) {
      checkHost(ctx, host, [...path, host]);
      const list = Array.isArray(ips) ? ips : [ips ?? ''];
      out[host] = list.map((ip, i) => {
        const text = scalarText(ip);
        if (text === undefined) return fail(ctx, [...path, host, i], `invalid IP: ${describe(ip)}`, HINT);
        return unbracket(text);
      });
    }
    return out;
  });
}

function checkHost(ctx: CanonicalContext, host: string, path: KeyPath): string {
  if (host === '' || /[:=]/.test(host)) fail(ctx, path, `bad host name ${JSON.stringify(host)}`, HINT);
  return host;
}

function unbracket(ip: string): string {
  return ip.length > 2 && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}
