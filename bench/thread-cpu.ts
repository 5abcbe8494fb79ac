import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every common build. */
const TICK_MS = 10;

export interface ThreadCpu {
  /** The JavaScript thread: the gateway's own work. */
  mainMs: number;
  /** V8's and libuv's helper threads: JIT compilers, garbage collector, thread pool. */
  helpersMs: number;
}

/**
 * This process's CPU so far, split by thread (Linux /proc; undefined elsewhere). Until the
 * hot functions are JIT-compiled, the compilers' threads and the slower main thread make a
 * request cost about twice what it costs once warm, so the split tells the two apart.
 */
export function threadCpu(): ThreadCpu | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const cpu: ThreadCpu = { mainMs: 0, helpersMs: 0 };
  for (const tid of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended in between
    }
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (tid === String(process.pid)) cpu.mainMs += ms;
    else cpu.helpersMs += ms;
  }
  return cpu;
}
