// What a benchmark costs its own redis-server, from INFO: commands by name (commandstats),
// bytes in and out (total_net_input_bytes / total_net_output_bytes), the server's CPU and
// its memory. Take a snapshot before and after, and subtract.
import type { Redis } from 'ioredis';

export interface RedisCounters {
  commands: Map<string, number>;
  netInputBytes: number;
  netOutputBytes: number;
  cpuMs: number;
  usedMemoryBytes: number;
}

export interface RedisDelta {
  /** every command, INFO itself excluded */
  commands: number;
  byCommand: Map<string, number>;
  bytes: number;
  cpuMs: number;
  memoryBytes: number;
}

function field(info: string, name: string): number {
  const m = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info);
  return m ? Number(m[1]) : Number.NaN;
}

export async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const info = await redis.info('everything');
  const commands = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands.set(m[1]!, Number(m[2]));
  return {
    commands,
    netInputBytes: field(info, 'total_net_input_bytes'),
    netOutputBytes: field(info, 'total_net_output_bytes'),
    cpuMs: (field(info, 'used_cpu_sys') + field(info, 'used_cpu_user')) * 1000,
    usedMemoryBytes: field(info, 'used_memory'),
  };
}

export function redisDelta(before: RedisCounters, after: RedisCounters): RedisDelta {
  const byCommand = new Map<string, number>();
  for (const [name, calls] of after.commands) {
    const n = calls - (before.commands.get(name) ?? 0);
    if (n > 0 && name !== 'info') byCommand.set(name, n);
  }
  return {
    commands: [...byCommand.values()].reduce((a, b) => a + b, 0),
    byCommand,
    bytes: after.netInputBytes - before.netInputBytes + (after.netOutputBytes - before.netOutputBytes),
    cpuMs: after.cpuMs - before.cpuMs,
    memoryBytes: after.usedMemoryBytes - before.usedMemoryBytes,
  };
}
