/**
 * The engine's /events stream (one JSON object per line) as berth's EngineEvents: a container's `die`
 * keeps Docker's `exitCode` attribute, health changes are `health_status: healthy`, and the attributes
 * are the actor's (its labels, image and name), as the in-process engine reports them.
 */
import type { EngineEvent } from '../types.js';

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const TYPES: readonly EngineEvent['type'][] = ['container', 'network', 'volume'];

/** One line of the stream; undefined for what berth does not report (images, daemon, plugins). */
export function engineEventOf(line: string): EngineEvent | undefined {
  let message: DockerEventMessage;
  try {
    message = JSON.parse(line) as DockerEventMessage;
  } catch {
    return undefined;
  }
  const type = TYPES.find((t) => t === message.Type);
  const action = message.Action ?? message.status;
  if (type === undefined || action === undefined) return undefined;
  const attributes = { ...(message.Actor?.Attributes ?? {}) };
  const id = message.Actor?.ID ?? message.id ?? '';
  return {
    time: eventTime(line, message.time),
    type,
    action,
    id,
    name: attributes.name ?? id,
    attributes,
  };
}

/** ISO time with the event's nanoseconds: `timeNano` exceeds a double's precision, so it is read as text. */
function eventTime(line: string, seconds: number | undefined): string {
  const nano = /"timeNano":\s*(\d+)/.exec(line)?.[1];
  if (nano !== undefined && nano.length > 9) {
    const whole = Number(nano.slice(0, -9));
    return new Date(whole * 1000).toISOString().replace(/\.\d+Z$/, `.${nano.slice(-9)}Z`);
  }
  return new Date((seconds ?? Date.now() / 1000) * 1000).toISOString();
}

/** Events from the raw stream, line by line, until it ends. */
export async function* engineEvents(source: AsyncIterable<Buffer | string>): AsyncGenerator<EngineEvent> {
  let carry = '';
  for await (const chunk of source) {
    carry += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let at = carry.indexOf('\n');
    while (at >= 0) {
      const line = carry.slice(0, at).trim();
      carry = carry.slice(at + 1);
      const event = line === '' ? undefined : engineEventOf(line);
      if (event) yield event;
      at = carry.indexOf('\n');
    }
  }
  const event = carry.trim() === '' ? undefined : engineEventOf(carry.trim());
  if (event) yield event;
}
