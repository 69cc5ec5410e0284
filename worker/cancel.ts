// Cancel requests from the API: it publishes a job id on the `redisKeys().cancel`
// channel, every worker hears it, and the one running that job aborts the processor's
// AbortSignal (`worker.cancelJob`). The runner then interrupts the running statement,
// rolls its migration back and records it as cancelled. A dedicated subscriber
// connection: a Redis connection in subscribe mode can do nothing else, and ioredis
// re-subscribes by itself after a reconnect.
import { subscriberOf, type RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';

/** What the subscriber needs from a BullMQ Worker. */
export interface Cancellable {
  cancelJob(jobId: string, reason?: string): boolean;
}

export interface CancelSubscription {
  close(): Promise<void>;
}

/** The message is the job id; a JSON object `{ jobId, requestedBy? }` is accepted too. */
export function parseCancelMessage(message: string): { jobId: string; requestedBy: string | null } | null {
  const text = message.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { jobId?: unknown; requestedBy?: unknown };
      if (typeof parsed.jobId === 'string' || typeof parsed.jobId === 'number') {
        return { jobId: String(parsed.jobId), requestedBy: typeof parsed.requestedBy === 'string' ? parsed.requestedBy : null };
      }
    } catch {
      // not JSON after all: fall through
    }
    return null;
  }
  return text ? { jobId: text, requestedBy: null } : null;
}

export async function subscribeCancel(options: {
  /** a connection to duplicate; the subscription gets its own */
  redis: RedisConnection;
  channel: string;
  worker: Cancellable;
  logger?: Logger;
}): Promise<CancelSubscription> {
  const { redis, channel, worker, logger } = options;
  const subscriber = subscriberOf(redis, 'duckmig-worker-cancel');
  subscriber.on('error', (err: Error) => logger?.warn({ err }, 'cancel subscriber: redis error'));
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const request = parseCancelMessage(message);
    if (!request) {
      logger?.warn({ message: message.slice(0, 200) }, 'ignored a malformed cancel request');
      return;
    }
    const reason = `cancelled on request${request.requestedBy ? ` of ${request.requestedBy}` : ''}`;
    const found = worker.cancelJob(request.jobId, reason);
    // every worker hears every request: only the one running the job acts on it
    logger?.[found ? 'info' : 'debug']({ event: 'job:cancel', jobId: request.jobId, found }, found ? 'cancelling job' : 'cancel request for a job not running here');
  });
  await subscriber.subscribe(channel);
  return {
    async close() {
      try {
        await subscriber.quit();
      } catch {
        subscriber.disconnect();
      }
    },
  };
}
