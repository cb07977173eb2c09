// Server-Sent Events read with fetch() rather than EventSource: EventSource
// cannot send an Authorization header, and a monitor with a read token
// (DCP_MONITOR_READ_TOKEN) wants one on /api/events as on every GET.
'use strict';

// A text/event-stream parser: feed() it decoded text in any pieces; it calls
// onEvent(type, data) for each event, which a blank line ends. "event:" names
// it ("message" if absent), "data:" lines are joined with "\n", "retry:" sets
// `retry` (ms); lines starting with ':' are comments. Lines end with \r\n, \n
// or \r, a \r at the end of a piece waits for the next one.
class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.type = '';
    this.data = [];
    this.retry = null;
  }

  feed(text) {
    this.buffer += text;
    const eol = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = eol.exec(this.buffer); m; m = eol.exec(this.buffer)) {
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, m.index));
      start = eol.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) this.onEvent(this.type || 'message', this.data.join('\n'));
      this.type = '';
      this.data = [];
      return;
    }
    if (line[0] === ':') return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    // "id:" is not used: every snapshot is the whole state, nothing to resume.
  }
}

// Reads `url` as an event stream for as long as the page lives, and again
// after each end: the server closes a stream after a maximum age, so an end is
// normal and is followed by a quick reconnection; errors back off (doubling up
// to 15 s, reset by the next event). `handlers`:
//   headers()             the request's headers (the token, when there is one)
//   onOpen()              a 200 answer: events follow
//   onEvent(type, data)
//   onDown(reason)        the stream ended or failed; a reconnection is due
//   onUnauthorized(error) a 401: returns a promise settled when a token was
//                         given, after which the stream reconnects at once
// Returns { restart() }: drop the current stream and connect again now (the
// token changed).
function streamEvents(url, handlers) {
  const kMinDelayMs = 250;
  const kMaxDelayMs = 15000;
  let delay = kMinDelayMs;
  let controller = null;
  let restarting = false;
  let wake = null;  // ends the wait before a reconnection

  async function connectOnce() {
    controller = new AbortController();
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...handlers.headers() },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (response.status === 401) {
      const answer = await response.json().catch(() => ({}));
      await handlers.onUnauthorized(answer.error || 'HTTP 401');
      return { again: true };
    }
    if (!response.ok || !response.body) {
      const answer = await response.json().catch(() => ({}));
      throw new Error(answer.error || 'HTTP ' + response.status);
    }
    handlers.onOpen();
    const parser = new SseParser((type, data) => {
      delay = parser.retry ?? kMinDelayMs;
      handlers.onEvent(type, data);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { reason: 'stream ended' };
      parser.feed(value);
    }
  }

  async function run() {
    for (;;) {
      let outcome;
      restarting = false;
      try {
        outcome = await connectOnce();
      } catch (e) {
        outcome = { reason: e.name === 'AbortError' ? 'restarted' : e.message };
      }
      if (outcome.again || restarting) continue;
      handlers.onDown(outcome.reason);
      await new Promise(resolve => {
        wake = resolve;
        setTimeout(resolve, delay * (0.75 + Math.random() / 2));
      });
      wake = null;
      delay = Math.min(2 * delay, kMaxDelayMs);
    }
  }

  run();
  return {
    restart() {
      restarting = true;
      controller?.abort();
      wake?.();
    },
  };
}
