// The page's Server-Sent Events parser (monitor/web/events.js), without a
// browser: the stream is read with fetch(), so the page parses it itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const source = readFileSync(new URL('../../monitor/web/events.js', import.meta.url), 'utf8');
const sandbox = {};
runInNewContext(source + '\nglobalThis.SseParser = SseParser;', sandbox);
const { SseParser } = sandbox;

// The events of `text` fed in `pieces` of the given sizes (the rest at once).
function parse(text, sizes = []) {
  const events = [];
  const parser = new SseParser((type, data) => events.push([type, data]));
  let at = 0;
  for (const size of sizes) {
    parser.feed(text.slice(at, at + size));
    at += size;
  }
  parser.feed(text.slice(at));
  return { events, retry: parser.retry };
}

const kStream = ': dcp-monitor\n\n' +
  'event: snapshot\ndata: {"runs":[]}\n\n' +
  'data: one\r\ndata:two\r\n\r\n' +
  'event: snapshot\rdata: {"at":"x"}\r\r' +
  'retry: 1500\n' +
  'event: ignored, no data\n\n';
const kEvents = [['snapshot', '{"runs":[]}'], ['message', 'one\ntwo'], ['snapshot', '{"at":"x"}']];

test('events, comments, multi-line data and every line end', () => {
  const { events, retry } = parse(kStream);
  assert.deepEqual(events, kEvents);
  assert.equal(retry, 1500);
});

test('the same events whatever the pieces the stream arrives in', () => {
  for (let cut = 1; cut < kStream.length; ++cut) {
    assert.deepEqual(parse(kStream, [cut]).events, kEvents, `cut at ${cut}`);
  }
  assert.deepEqual(parse(kStream, Array(kStream.length).fill(1)).events, kEvents, 'one character at a time');
});

test('an event is dispatched only once its blank line has come', () => {
  assert.deepEqual(parse('event: snapshot\ndata: {}\n').events, []);
  assert.deepEqual(parse('event: snapshot\ndata: {}\n\r').events, [], 'a lone \\r may still be a \\r\\n');
  assert.deepEqual(parse('data: {}\n\r\n').events, [['message', '{}']]);
});
