/** `--dry-run`: the plan as text, one line per operation, in an order that could run. */
import type { DependsOnCondition } from '../project/types.js';
import type { Operation, Plan } from './operations.js';
import { topologicalOrder } from './plan-order.js';

const CONDITION_WORDS: Record<DependsOnCondition, string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed successfully',
};

/** `create container demo-web-1`; empty when there is nothing to do. */
export function renderPlan(plan: Plan): string {
  return topologicalOrder(plan)
    .map((op) => describe(op) + (op.reason === undefined ? '' : ` (${op.reason})`))
    .join('\n');
}

function describe(op: Operation): string {
  switch (op.kind) {
    case 'createNetwork':
      return `create network ${op.target.name}`;
    case 'createVolume':
      return `create volume ${op.target.name}`;
    case 'createContainer':
      return `create container ${op.target.name}`;
    case 'startContainer':
      return `start container ${op.target.name}`;
    case 'stopContainer':
      return `stop container ${op.target.name}`;
    case 'removeContainer':
      return `remove container ${op.target.name}${op.target.volumes ? ' and its anonymous volumes' : ''}`;
    case 'renameContainer':
      return `rename container ${op.target.name} to ${op.target.newName}`;
    case 'removeNetwork':
      return `remove network ${op.target.name}`;
    case 'removeVolume':
      return `remove volume ${op.target.name}`;
    case 'waitCondition': {
      const t = op.target;
      const optional = t.required ? '' : ' (optional)';
      return `wait for ${t.dependency} to be ${CONDITION_WORDS[t.condition]} before starting ${t.service}${optional}`;
    }
  }
}
