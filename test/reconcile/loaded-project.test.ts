/** Plans for a project read by the real loader from a real file, so the plan relies on its actual shape. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadProject } from '../../src/project/load.js';
import { planDown, planUp } from '../../src/reconcile/plan.js';
import { renderPlan } from '../../src/reconcile/render-plan.js';
import { nothing, upToDate } from './fixtures.js';

const COMPOSE = `
name: shop
services:
  web:
    image: node
    links: [api]
    depends_on:
      api: { condition: service_healthy }
  api:
    image: node
    healthcheck: { test: [CMD, node, -e, "0"] }
    volumes: [data:/data, /cache]
    depends_on:
      migrate: { condition: service_completed_successfully }
  migrate:
    image: node
  debug:
    image: node
    profiles: [debug]
volumes:
  data:
`;

describe('plans for a loaded project', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-reconcile-'));
    await writeFile(join(dir, 'compose.yaml'), COMPOSE);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('plans up, a no-op second up, and down', async () => {
    const { project } = await loadProject({ cwd: dir });
    expect(renderPlan(planUp(project, nothing(project))).split('\n')).toEqual([
      'create network shop_default',
      'create volume shop_data',
      'create container shop-migrate-1',
      'start container shop-migrate-1',
      'create container shop-api-1',
      'wait for migrate to be completed successfully before starting api',
      'start container shop-api-1',
      'create container shop-web-1',
      'wait for api to be healthy before starting web',
      'start container shop-web-1',
    ]);
    const plan = planUp(project, nothing(project));
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(planUp(project, upToDate(project)).operations).toEqual([]);
    expect(renderPlan(planDown(project, upToDate(project), { volumes: true })).split('\n')).toEqual([
      'stop container shop-web-1',
      'remove container shop-web-1 and its anonymous volumes',
      'stop container shop-api-1',
      'remove container shop-api-1 and its anonymous volumes',
      'stop container shop-migrate-1',
      'remove container shop-migrate-1 and its anonymous volumes',
      'remove network shop_default',
      'remove volume shop_data',
    ]);
  });
});
