// The API's live channel as read over SSE (`…/events/sse`): each unnamed event carries one
// LiveMessage as JSON. Events under another name, and data that is not a LiveMessage
// (from a newer server, say), are not part of the channel and are skipped.
import { LiveMessage } from '../../contract/index.js';
import { DEFAULT_EVENT, sseEvents, type SseEvent, type SseReadOptions } from './sse.js';

/** The LiveMessage a JSON text stands for, or null when it is none (bad JSON, unknown shape). */
export function parseLiveMessage(text: string): LiveMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = LiveMessage.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** The LiveMessage an SSE event carries, or null when it carries none. */
export function liveMessageOf(event: SseEvent): LiveMessage | null {
  return event.event === DEFAULT_EVENT ? parseLiveMessage(event.data) : null;
}

/** Yields the LiveMessages of an SSE response body as they arrive. */
export async function* liveMessages(body: ReadableStream<Uint8Array>, options: SseReadOptions = {}): AsyncGenerator<LiveMessage> {
  for await (const event of sseEvents(body, options)) {
    const message = liveMessageOf(event);
    if (message) yield message;
  }
}
