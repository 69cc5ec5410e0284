// Reads a server-sent event stream (an SSE response body) into its events with
// eventsource-parser: each event's name (`message` when the server gave none, as an
// EventSource reports it), its data and the last event id seen so far.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  /** the `event:` name; `message` when the event had none */
  event: string;
  data: string;
  /** the most recent `id:` of the stream up to this event ('' before any), as EventSource's lastEventId */
  lastEventId: string;
}

/** The name EventSource dispatches an event without an `event:` line under. */
export const DEFAULT_EVENT = 'message';

export interface SseReadOptions {
  /** runs when the first bytes arrive (the API writes a comment once it has subscribed the stream) */
  onOpen?: () => void;
  /** cancels the stream: the reading ends, and the server sees the client go */
  signal?: AbortSignal;
}

/** Yields the events of an SSE byte stream as they complete. */
export async function* sseEvents(body: ReadableStream<Uint8Array>, { onOpen, signal }: SseReadOptions = {}): AsyncGenerator<SseEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => parsed.push(message) });
  let lastEventId = '';
  let opened = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (!opened) {
        opened = true;
        onOpen?.();
      }
      parser.feed(value);
      for (const message of parsed.splice(0)) {
        lastEventId = message.id ?? lastEventId;
        yield { event: message.event ?? DEFAULT_EVENT, data: message.data, lastEventId };
      }
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}
