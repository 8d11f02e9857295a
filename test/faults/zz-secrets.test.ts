/**
 * Secrets, after the whole suite (this file sorts last): every Temporal history the scenarios fetched (all runs of
 * every workflow, payloads decoded) and every log line (in-process workers at every level, worker processes' and
 * the CLI's stdout and stderr) was scanned as it came in for every test token and key of every sandbox, in plain
 * and base64 form, and for signed JWTs (the Calendar client's bearer tokens). None may be there.
 */
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { evidence, findSecrets, historyText } from './support';

describe('faults: no secret reaches a Temporal history or a log (after the whole suite)', () => {
  it('the scan finds a secret where there is one (a history payload, a log line)', function () {
    const secret = evidence.secrets[0];
    if (!secret) this.skip(); // run on its own: no scenario ran
    const payload = temporal.api.common.v1.Payload.create({
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify({ note: `token ${secret.value}` })),
    });
    const history: temporal.api.history.v1.IHistory = {
      events: [{ workflowExecutionStartedEventAttributes: { input: { payloads: [payload] } } }],
    };
    assert.equal(findSecrets('control history', historyText(history)).length > 0, true);
    assert.equal(findSecrets('control log', `INFO request {"headers":{"authorization":"${secret.value}"}}`).length, 1);
    assert.equal(
      findSecrets('control log', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImNhbGVuZGFyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ')
        .length,
      1,
    );
  });

  it('none of the test tokens is in any history or log of the suite', function () {
    if (evidence.histories === 0) this.skip();
    console.log(
      `      scanned ${evidence.histories} histories (${evidence.historyEvents} events), ${evidence.logLines} log lines ` +
        `(${(evidence.logBytes / 1e6).toFixed(1)} MB, ${evidence.processes} worker and CLI processes) ` +
        `for ${evidence.secrets.length / 2} secrets`,
    );
    assert.deepEqual(
      evidence.leaks.map((leak) => `${leak.what} in ${leak.source}: ${leak.excerpt}`),
      [],
      'secrets found',
    );
  });
});
