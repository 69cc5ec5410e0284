// Follows one job until it finishes: live progress over the API's SSE channel
// (`…/events/sse?jobId=`), with the job view fetched once the stream is open (so nothing
// that happened before is missed) and again when it ends (for the result). When the
// stream cannot be opened or breaks, it polls `…/jobs/:id` instead. Progress is handed
// on in seq order, each event once.
import { ADMIN_PREFIX, type JobProgress, type JobView, type LiveMessage } from '../../contract/index.js';
import { EXIT } from '../exit-codes.js';
import { RemoteError, type ApiClient } from './client.js';
import { liveMessages } from './live-events.js';

export interface FollowOptions {
  client: ApiClient;
  /** the job to follow; or, instead, `enqueue`, which creates it once the stream listens */
  jobId?: string;
  /** creates the job after the live stream is open, so not even its first event is missed */
  enqueue?: () => Promise<string>;
  onProgress?: (progress: JobProgress) => void;
  /** the job changed state (waiting → active …) */
  onState?: (state: JobView['state']) => void;
  pollMs?: number;
  /** give up after this long (null: never) */
  timeoutMs?: number | null;
  /** how long the API may stay unreachable while polling before giving up */
  unreachableMs?: number;
}

const FINISHED = new Set<JobView['state']>(['completed', 'failed']);

export const isFinished = (job: JobView) => FINISHED.has(job.state);

export async function followJob(options: FollowOptions): Promise<JobView> {
  const { client, enqueue, onProgress, onState, pollMs = 1_000, timeoutMs = null, unreachableMs = 60_000 } = options;
  if (!options.jobId && !enqueue) throw new Error('followJob needs a jobId or enqueue');
  const deadline = timeoutMs === null ? Infinity : Date.now() + timeoutMs;
  let jobId = options.jobId ?? null;
  let lastSeq = -1;
  let lastState: JobView['state'] | null = null;

  const progress = (p: JobProgress | null) => {
    if (!p || p.seq <= lastSeq) return;
    lastSeq = p.seq;
    onProgress?.(p);
  };
  const seen = (job: JobView): JobView => {
    if (job.state !== lastState) {
      lastState = job.state;
      onState?.(job.state);
    }
    progress(job.progress);
    if (job.state === 'unknown') throw new RemoteError(`job ${job.id} is no longer known to the queue (removed?)`, EXIT.failed);
    return job;
  };
  const timedOut = () =>
    new RemoteError(`gave up waiting after ${Math.round((timeoutMs ?? 0) / 1000)} s: job ${jobId} is still ${lastState ?? 'unknown'}`, EXIT.failed);

  // 1. live: open the stream (all jobs when the job does not exist yet), then create the
  //    job or read its current state, then take events as they come
  const controller = new AbortController();
  const stopTimer = deadline === Infinity ? undefined : setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
  try {
    let response: Response | null = null;
    try {
      response = await client.open(`${ADMIN_PREFIX}/events/sse${jobId ? `?jobId=${encodeURIComponent(jobId)}` : ''}`, {
        headers: { accept: 'text/event-stream' },
        signal: controller.signal,
        timeoutMs: null,
      });
      if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) response = null;
    } catch (err) {
      if (err instanceof RemoteError && (err.status === 401 || err.status === 403)) throw err;
      response = null; // no live channel: create the job anyway and poll
    }
    if (!response) {
      jobId ??= await enqueue!();
    } else {
      let ready!: () => void;
      const opened = new Promise<void>((resolve) => (ready = resolve));
      const messages = liveMessages(response.body!, { onOpen: () => ready() });
      const first = messages.next(); // starts reading; resolves with the first event
      // the API writes a comment once the stream is subscribed; don't wait forever for a proxy
      await Promise.race([opened, first, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (jobId) {
        // subscribed after the job was created: catch up with its state (a finished job ends here)
        const current = seen(await client.job(jobId));
        if (isFinished(current)) return current;
      } else {
        // subscribed before it exists: every event of the job, its end included, comes on the stream
        jobId = await enqueue!();
      }
      const handle = async (message: LiveMessage): Promise<JobView | null> => {
        if (!('jobId' in message) || message.jobId !== jobId) return null;
        if (message.type === 'progress') progress(message.progress);
        if ((message.type === 'active' || message.type === 'waiting') && lastState !== message.type) onState?.((lastState = message.type));
        if (message.type === 'completed' || message.type === 'failed') {
          const final = seen(await client.job(jobId));
          if (isFinished(final)) return final;
        }
        return null;
      };
      const head = await first;
      if (!head.done) {
        const final = await handle(head.value);
        if (final) return final;
        for await (const message of messages) {
          const done = await handle(message);
          if (done) return done;
        }
      }
    }
  } catch (err) {
    if (controller.signal.aborted && Date.now() >= deadline) throw timedOut();
    // no job to poll, or an answer that polling would only repeat (401, 403, 404, 409 …)
    if (!jobId || (err instanceof RemoteError && err.exitCode !== EXIT.unavailable) || (err instanceof RemoteError && (err.status === 401 || err.status === 403))) throw err;
    // the stream broke, or the API is briefly unavailable (restart, Redis reconnecting): poll instead
  } finally {
    clearTimeout(stopTimer);
    controller.abort();
  }

  // 2. polling
  let unreachableSince: number | null = null;
  for (;;) {
    if (Date.now() >= deadline) throw timedOut();
    try {
      const job = seen(await client.job(jobId!));
      unreachableSince = null;
      if (isFinished(job)) return job;
    } catch (err) {
      if (!(err instanceof RemoteError) || err.exitCode !== EXIT.unavailable || err.status === 401 || err.status === 403) throw err;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > unreachableMs) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
