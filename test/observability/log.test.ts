// The shared logger: one JSON object per line, secrets never written, numbers masked on request, the Temporal SDK's
// lines with the call or transfer they are about.
import test from 'ava';
import { createLogger, maskNumber, messageLogger, temporalLogger } from '../../observability/log.ts';

function capture(redactNumbers = false) {
  const lines: string[] = [];
  const logger = createLogger(
    { LOG_LEVEL: 'debug', LOG_REDACT_NUMBERS: redactNumbers },
    { destination: { write: (l: string) => void lines.push(l) }, format: 'json' },
  );
  return { logger, lines, objects: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('secrets are blanked at any depth, in URLs, query strings and esl:// addresses', (t) => {
  const { logger, lines } = capture();
  logger.info(
    {
      url: '/v2/accounts/a/channels?auth_token=tok123&page_size=2',
      headers: { authorization: 'Bearer tok456', 'x-auth-token': 'tok789' },
      nested: { deeper: { api_key: 'key000', password: 'pw111', apiKey: 'key222' } },
      node: 'fs1=esl://:ClueCon@10.0.0.5:8021',
      HANDOFF_JWT_SECRET: 'jwt333',
    },
    'connecting to esl://:ClueCon@10.0.0.5:8021 with ?token=tok444',
  );
  const text = lines.join('');
  for (const secret of ['tok123', 'tok456', 'tok789', 'key000', 'pw111', 'key222', 'ClueCon', 'jwt333', 'tok444']) {
    t.false(text.includes(secret), `${secret} reached the log: ${text}`);
  }
  t.true(text.includes('page_size=2'), 'the rest of the query is kept');
  t.true(text.includes('10.0.0.5:8021'), 'the address is kept');
});

test('LOG_REDACT_NUMBERS masks caller numbers, and only when asked', (t) => {
  const plain = capture(false);
  plain.logger.info({ callerIdNumber: '15551234567', target: '2600' }, 'call');
  t.is(plain.objects()[0]!['callerIdNumber'], '15551234567');
  const masked = capture(true);
  masked.logger.info(
    { callerIdNumber: '15551234567', leg: { calleeIdNumber: '1002' }, target: '2600', collected: '22600' },
    'transfer to 2600',
  );
  const line = masked.lines.join('');
  for (const n of ['15551234567', '1002', '22600']) t.false(line.includes(n), `${n} in ${line}`);
  t.is(masked.objects()[0]!['callerIdNumber'], '*********67');
  t.is(masked.objects()[0]!['msg'], 'transfer to **00');
  t.is(maskNumber('loopback/2600/default'), 'loopback/**00/default');
});

test("the Temporal SDK's lines carry the call or transfer of their workflow, and its level", (t) => {
  const { logger, objects } = capture();
  const sdk = temporalLogger(logger);
  sdk.info('feature code', { workflowId: 'call:abc', sdkComponent: 'workflow', collected: '22600' });
  sdk.warn('transfer step', { workflowId: 'transfer:abc:def' });
  sdk.debug('poll', { sdkComponent: 'worker' });
  const [call, transfer, poll] = objects();
  t.is(call!['callId'], 'abc');
  t.is(call!['level'], 30);
  t.is(transfer!['transferId'], 'transfer:abc:def');
  t.is(transfer!['level'], 40);
  t.is(poll!['level'], 20);
  messageLogger(logger).error('esl fs1/events: disconnected', { node: 'fs1' });
  t.is(objects()[3]!['node'], 'fs1');
  t.is(objects()[3]!['level'], 50);
});
