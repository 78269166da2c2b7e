import { ComposeError } from './errors.js';

/**
 * Far above any real compose file. Parsing takes about twenty times a file's size in memory, so a
 * file of hundreds of MB would exhaust it instead of being refused.
 */
export const MAX_COMPOSE_BYTES = 32 * 2 ** 20;

/**
 * The text of a compose file read as bytes: UTF-8 only (what docker compose accepts), a leading BOM
 * dropped. Invalid UTF-8 is refused with the first line that has it.
 */
export function decodeComposeBytes(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_COMPOSE_BYTES) {
    throw new ComposeError(
      `the file is too large (${(bytes.length / 2 ** 20).toFixed(1)} MiB; berth reads compose files up to ${MAX_COMPOSE_BYTES / 2 ** 20} MiB)`,
      {
        location: { file },
        hint: 'is this the right file? split it, or move large values to env_file or configs',
      },
    );
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ComposeError('the file is UTF-16 encoded', {
      location: { file },
      hint: 'save it as UTF-8',
    });
  }
  try {
    // fatal: refuse bad bytes instead of replacing them; the BOM is stripped by default.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ComposeError('the file is not valid UTF-8 text', {
      location: { file, line: firstInvalidLine(bytes) },
      hint: 'save it with UTF-8 encoding; is it a binary file?',
    });
  }
}

/** Line by line, since a newline byte never occurs inside a multi-byte UTF-8 sequence. */
function firstInvalidLine(bytes: Uint8Array): number | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return undefined;
}
