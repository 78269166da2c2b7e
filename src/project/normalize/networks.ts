import { type ComposeDict, isDict } from '../dict.js';
import { serviceEntries } from './read.js';

/**
 * A service with neither `network_mode` nor `networks` joins the `default` network, which is declared
 * at the top level only when some service uses it (as compose-go does). `provider` services have no
 * container, so they join nothing.
 */
export function attachDefaultNetwork(model: ComposeDict): void {
  let usesDefault = false;
  for (const [, service] of serviceEntries(model)) {
    if ('provider' in service || 'network_mode' in service) continue;
    const networks = service.networks;
    if (!isDict(networks) || Object.keys(networks).length === 0) {
      service.networks = { default: null };
      usesDefault = true;
    } else if ('default' in networks) {
      usesDefault = true;
    }
  }
  if (!usesDefault) return;
  const networks = isDict(model.networks) ? model.networks : {};
  if (!('default' in networks)) networks.default = {};
  model.networks = networks;
}
