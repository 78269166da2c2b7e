// placeholder
export async function replicaParts() { return []; }
export async function cleanupReplicas() {}
