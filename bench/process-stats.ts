// CPU time and resident memory of other processes (fleet workers, floor children,
// redis-server) from /proc, for benchmarks whose work happens outside the bench process:
// CPU time per pid, and the peak of their summed RSS sampled while a variant runs.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms (0 once it is gone). */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MiB (0 once it is gone). */
export function rssMiBOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ProcessWatch {
  /** stops sampling: the peak of the summed RSS, and the CPU each pid used since the start */
  stop(): { peakRssMiB: number; cpuMs: number[] };
}

/** Samples the summed RSS of `pids` every 50 ms until stopped. */
export function watchProcesses(pids: readonly number[]): ProcessWatch {
  const cpuStart = pids.map(cpuMsOf);
  const sum = () => pids.reduce((total, pid) => total + rssMiBOf(pid), 0);
  let peak = sum();
  const timer = setInterval(() => (peak = Math.max(peak, sum())), 50);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, sum());
      return { peakRssMiB: peak, cpuMs: pids.map((pid, i) => cpuMsOf(pid) - cpuStart[i]!) };
    },
  };
}
