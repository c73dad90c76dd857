// Transfer request IDs and the answers a call remembers for them (contracts/requests.ts), without Temporal.
import test from 'ava';
import {
  AUTO_REQUEST_WINDOW_MS,
  parseTransferRequestId,
  recall,
  remember,
  transferRequestId,
  type RequestAnswer,
  type RequestMemory,
} from '../../contracts/requests.ts';

const key = 'a'.repeat(32);
const body = 'b'.repeat(32);
const other = 'c'.repeat(32);
const accepted: RequestAnswer = {
  accepted: { transferId: 'transfer:x:y', transferor: 'x', transferee: 'y', target: '2600', type: 'attended' },
};

test('request IDs: made and read back; anything else is not a request ID', (t) => {
  t.deepEqual(parseTransferRequestId(transferRequestId({ kind: 'key', key, body })), { kind: 'key', key, body });
  const auto = transferRequestId({ kind: 'auto', body, at: 5 * AUTO_REQUEST_WINDOW_MS + 1 });
  t.is(auto, `transfer-request:auto:${body}:5`);
  t.deepEqual(parseTransferRequestId(auto), { kind: 'auto', key: body, body });
  for (const id of [
    undefined,
    '',
    'a-uuid-from-an-older-client',
    `transfer-request:key:${key}`,
    `x:key:${key}:${body}`,
    `transfer-request:key:${key}:not-hex`,
    `transfer-request:auto:${body}:x`,
    `transfer-request:key:${key}:${body}:1`,
  ]) {
    t.is(parseTransferRequestId(id), undefined, String(id));
  }
});

test('a keyed request: the same again gets the first answer, any time; another request under the key conflicts', (t) => {
  const req = { kind: 'key' as const, key, body };
  let memory: RequestMemory = {};
  t.deepEqual(recall(memory, req, 0), { kind: 'new' });
  memory = remember(memory, req, accepted, 1000);
  t.deepEqual(recall(memory, req, 1000 + 3_600_000), { kind: 'answered', answer: accepted });
  t.deepEqual(recall(memory, { ...req, body: other }, 2000), { kind: 'conflict' });
});

test('a request without a key is the same request only within the window', (t) => {
  const req = { kind: 'auto' as const, key: body, body };
  const memory = remember({}, req, accepted, 1000);
  t.deepEqual(recall(memory, req, 1000 + AUTO_REQUEST_WINDOW_MS - 1), { kind: 'answered', answer: accepted });
  t.deepEqual(recall(memory, req, 1000 + AUTO_REQUEST_WINDOW_MS), { kind: 'new' });
});

test('the memory is bounded, the oldest answers go first, and a repeated key moves to the newest', (t) => {
  let memory: RequestMemory = {};
  const keys = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(32, '0'));
  for (const [i, k] of keys.entries()) memory = remember(memory, { kind: 'key', key: k, body }, accepted, i);
  t.is(Object.keys(memory).length, 50);
  t.false(keys[0]! in memory);
  t.true(keys[59]! in memory);
  memory = remember(memory, { kind: 'key', key: keys[10]!, body }, accepted, 100);
  t.is(Object.keys(memory).at(-1), keys[10]);
});
