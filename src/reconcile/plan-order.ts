import type { Operation, Plan } from './operations.js';

/**
 * The operations in an order that respects every edge, ties kept in plan order. A plan with an edge to
 * an unknown operation or with a cycle is a bug in the planner, so it throws a plain Error.
 */
export function topologicalOrder(plan: Plan): Operation[] {
  const byId = new Map(plan.operations.map((op) => [op.id, op]));
  if (byId.size !== plan.operations.length) throw new Error('plan has duplicate operation ids');
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const op of plan.operations) {
    for (const dep of op.dependsOn) {
      if (!byId.has(dep)) throw new Error(`plan operation ${op.id} depends on unknown operation ${dep}`);
      dependents.set(dep, [...(dependents.get(dep) ?? []), op.id]);
    }
    waitingOn.set(op.id, new Set(op.dependsOn).size);
  }
  const position = new Map(plan.operations.map((op, i) => [op.id, i]));
  const ready = plan.operations.filter((op) => waitingOn.get(op.id) === 0);
  const order: Operation[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
    const op = ready.shift()!;
    order.push(op);
    for (const next of new Set(dependents.get(op.id) ?? [])) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0) ready.push(byId.get(next)!);
    }
  }
  if (order.length !== plan.operations.length) {
    const stuck = plan.operations.filter((op) => !order.includes(op)).map((op) => op.id);
    throw new Error(`plan has a dependency cycle among: ${stuck.join(', ')}`);
  }
  return order;
}
