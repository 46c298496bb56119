import fs from 'node:fs';

const ESTABLISHED = '01';

/** Inodes of this process's sockets, from /proc/self/fd ("socket:[1234]"). */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

/**
 * How many TCP connections this process has established to any of `ports`, read from
 * /proc/net/tcp{,6} (no ss or lsof needed): evidence that the broker's idle reaper closed the
 * warm producers' sockets, and that they were open before.
 */
export function establishedConnectionsTo(ports: readonly number[]): number {
  const inodes = ownSocketInodes();
  const wanted = new Set(ports.map((port) => port.toString(16).toUpperCase().padStart(4, '0')));
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, , remote, state, , , , , , inode] = fields;
      if (!remote || state !== ESTABLISHED || !inode || !inodes.has(inode)) continue;
      if (wanted.has(remote.split(':')[1] ?? '')) count++;
    }
  }
  return count;
}
