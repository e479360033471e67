// The parent's view of a child, taken while the child holds its entries: RSS as `ps` shows it (pidusage reads
// /proc/<pid>/stat) and the open file descriptors (sockets among them), which a cached object can keep too.
import { readdirSync, readlinkSync } from 'node:fs';
import pidusage from 'pidusage';

/** RSS of another process; undefined when it is gone. */
export async function rssOf(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    return (await pidusage(pid)).memory;
  } catch {
    return undefined;
  }
}

export function openFds(pid: number | undefined): { fds: number; sockets: number } | undefined {
  if (!pid) return undefined;
  try {
    const names = readdirSync(`/proc/${pid}/fd`);
    let sockets = 0;
    for (const n of names) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${n}`).startsWith('socket:')) sockets++;
      } catch {
        /* closed meanwhile */
      }
    }
    return { fds: names.length, sockets };
  } catch {
    return undefined;
  }
}

export const stopPidusage = () => pidusage.clear();
