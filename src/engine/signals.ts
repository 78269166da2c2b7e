/** Signals by name or number, as `kill -s`, `stop_signal` and the engines take them. */
import { constants as osConstants } from 'node:os';

import { ComposeError } from '../project/errors.js';

/** Accepts `SIGTERM`, `TERM`, `sigterm` or `15`; the name Node's process.kill understands. */
export function normalizeSignal(signal: string | number): NodeJS.Signals {
  const signals = osConstants.signals as Record<string, number>;
  const text = String(signal).trim();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    const name = Object.keys(signals).find((key) => signals[key] === number);
    if (name) return name as NodeJS.Signals;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (signals[name] !== undefined) return name as NodeJS.Signals;
  }
  throw new ComposeError(`invalid signal "${text}"`, {
    hint: 'use a signal name such as SIGTERM, SIGINT or SIGKILL, or its number',
  });
}

export function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}
