// Reads a live channel (POST /api/sdk/channel) over a real HTTP connection, as the SDK does:
// a fetch stream of server-sent events. Frames arrive in `events`; `next(type)` waits for one.
export interface ChannelEvent {
  event: string;
  data: any;
}

export interface ChannelReader {
  status: number;
  headers: Headers;
  events: ChannelEvent[];
  /** The JSON error body of a refused open. */
  error?: any;
  /** Resolves with the next event of `type` not yet taken (rejects after `ms`). */
  next(type: string, ms?: number): Promise<ChannelEvent>;
  /** Resolves once the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openChannel(url: string, body: unknown, init: { localAddress?: string } = {}): Promise<ChannelReader> {
  void init;
  const controller = new AbortController();
  const response = await fetch(`${url}/api/sdk/channel`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const events: ChannelEvent[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  const reader: ChannelReader = {
    status: response.status,
    headers: response.headers,
    events,
    ended: Promise.resolve(),
    close: () => controller.abort(),
    async next(type, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const index = events.findIndex((e, i) => i >= taken && e.event === type);
        if (index >= 0) {
          taken = index + 1;
          return events[index]!;
        }
        if (Date.now() > deadline) throw new Error(`no '${type}' event within ${ms} ms; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
  if (response.status !== 200) {
    reader.error = await response.json();
    return reader;
  }
  reader.ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event) events.push({ event, data: data ? JSON.parse(data) : null });
          else events.push({ event: 'comment', data: frame });
          waiters.splice(0).forEach((wake) => wake());
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return reader;
}
