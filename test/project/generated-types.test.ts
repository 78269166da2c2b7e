import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ComposeFile, PortMapping, Service } from '../../src/project/generated/compose-file.js';

interface Generated {
  url: URL;
  text: string;
}

/** scripts/gen-types.mjs, loaded by URL (it is plain JavaScript without type declarations). */
async function regenerate(): Promise<Generated[]> {
  const script: unknown = await import(new URL('../../scripts/gen-types.mjs', import.meta.url).href);
  const generateAll = (script as { generateAll?: unknown }).generateAll;
  if (typeof generateAll !== 'function') throw new Error('scripts/gen-types.mjs must export generateAll()');
  return (await generateAll()) as Generated[];
}

describe('generated files', () => {
  it('are what the script generates today (deterministic, and not stale: else run `npm run gen`)', async () => {
    const generated = await regenerate();
    expect(generated.map((g) => g.url.pathname.split('/').pop())).toEqual([
      'compose-file.ts',
      'compose-validator.ts',
    ]);
    for (const { url, text } of generated) {
      const committed = await readFile(url, 'utf8');
      expect(committed === text, `${url.pathname} is stale: run npm run gen`).toBe(true);
    }
  });

  it('type short and long syntax alike', () => {
    const port: PortMapping = { target: 80, published: '8080', mode: 'host' };
    const web: Service = {
      image: 'nginx',
      ports: [80, '8080:80', port],
      environment: { A: '1', B: null },
      depends_on: { db: { condition: 'service_healthy' } },
      build: { context: '.', args: ['A=1'] },
      'x-custom': true,
    };
    const file: ComposeFile = {
      name: 'shop',
      services: { web, db: { image: 'postgres', depends_on: ['cache'] } },
    };
    expect(Object.keys(file.services ?? {})).toEqual(['web', 'db']);
  });
});
