/**
 * Services in start order: every service after the services it depends on, ties broken by name so
 * the order is stable. A cycle cannot reach here (the loader refuses it), but a defensive check
 * keeps this total: services left in a cycle are appended by name.
 */
export function startOrder(dependencies: ReadonlyMap<string, readonly string[]>): string[] {
  const remaining = new Map<string, Set<string>>();
  for (const [name, deps] of dependencies) {
    remaining.set(name, new Set(deps.filter((d) => dependencies.has(d) && d !== name)));
  }
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([name]) => name);
    if (ready.length === 0) {
      order.push(...[...remaining.keys()].sort());
      break;
    }
    ready.sort();
    for (const name of ready) {
      order.push(name);
      remaining.delete(name);
    }
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
  }
  return order;
}
