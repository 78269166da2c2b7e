/**
 * `user:` -> uid/gid on the host. A replica runs as a host process, so names are looked up in the
 * host's /etc/passwd and /etc/group; switching user is only possible when berth runs as root.
 */
import { readFile } from 'node:fs/promises';

import { ComposeError } from '../../project/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** From /etc/passwd, when the user is listed there. */
  name?: string;
  home?: string;
}

export interface UserFiles {
  passwd?: string;
  group?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * Docker's forms: `uid`, `name`, `uid:gid`, `name:group`, `uid:group`, `name:gid`. Without a group, the
 * user's primary group from /etc/passwd (0 for a uid not listed there, as Docker does).
 */
export async function resolveUser(
  spec: string,
  serviceName: string,
  files: UserFiles = {},
): Promise<ResolvedUser> {
  const passwdFile = files.passwd ?? '/etc/passwd';
  const groupFile = files.group ?? '/etc/group';
  const [userPart = '', groupPart] = spec.split(':', 2) as [string, string | undefined];
  const fail = (problem: string, hint: string): never => {
    throw new ComposeError(`service "${serviceName}": ${problem}`, {
      keyPath: ['services', serviceName, 'user'],
      hint,
    });
  };
  if (userPart === '') fail(`invalid user "${spec}"`, 'write user: "<uid or name>[:<gid or group>]"');

  const users = await readTable(passwdFile, parsePasswd);
  let resolved: ResolvedUser;
  if (/^\d+$/.test(userPart)) {
    const uid = Number(userPart);
    const entry = users.find((u) => u.uid === uid);
    resolved = entry ? fromEntry(entry) : { uid, gid: 0 };
  } else {
    const entry = users.find((u) => u.name === userPart);
    if (entry === undefined) {
      return fail(
        `user "${userPart}" does not exist on this machine (${passwdFile})`,
        'berth runs services as host users: use a numeric uid or a user of this machine',
      );
    }
    resolved = fromEntry(entry);
  }

  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) {
      resolved.gid = Number(groupPart);
    } else {
      const groups = await readTable(groupFile, parseGroup);
      const group = groups.find((g) => g.name === groupPart);
      if (group === undefined) {
        return fail(
          `group "${groupPart}" does not exist on this machine (${groupFile})`,
          'use a numeric gid or a group of this machine',
        );
      }
      resolved.gid = group.gid;
    }
  }
  return resolved;
}

function fromEntry(entry: PasswdEntry): ResolvedUser {
  return { uid: entry.uid, gid: entry.gid, name: entry.name, home: entry.home };
}

async function readTable<T>(file: string, parse: (fields: string[]) => T | undefined): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // No such file (a minimal system): only numeric ids can be used.
    return [];
  }
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const row = parse(line.split(':'));
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

function parsePasswd(fields: string[]): PasswdEntry | undefined {
  const [name, , uid, gid, , home] = fields;
  if (name === undefined || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

function parseGroup(fields: string[]): { name: string; gid: number } | undefined {
  const [name, , gid] = fields;
  if (name === undefined || !/^\d+$/.test(gid ?? '')) return undefined;
  return { name, gid: Number(gid) };
}
