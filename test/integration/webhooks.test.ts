// Notifications through the whole service: real API and worker processes, real Redis and
// a real HTTP receiver. A run's events reach a JSON endpoint signed and in order (queued →
// started → succeeded); an endpoint that fails the first attempt gets the same delivery
// again; a Slack endpoint gets `{ text }`; a failed run says why by its code only; admins
// read the delivery log, which never shows an endpoint's URL.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX, WebhookBody, WebhookDeliveriesResponse, type EnqueuedResponse } from '../../contract/index.js';
import { call } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'test-webhook-secret-0123456789';
const SLACK_PATH = '/slack/T000/B000/not-to-be-shown';

let receiver: WebhookReceiver;
let sys: RunningSystem;
beforeAll(async () => {
  // /flaky answers 500 to the first attempt of every delivery, 200 to the next
  receiver = await startWebhookReceiver((req, earlier) =>
    req.path === '/flaky' && !earlier.some((e) => e.path === '/flaky' && e.headers['x-duckmig-delivery'] === req.headers['x-duckmig-delivery']) ? 500 : 200,
  );
  sys = await startSystem({
    env: {
      DUCKMIG_WEBHOOKS: [`json:${receiver.url}/ok`, `json:${receiver.url}/flaky`, `slack:${receiver.url}${SLACK_PATH}`].join(','),
      DUCKMIG_WEBHOOK_SECRET: SECRET,
    },
  });
});
afterAll(async () => {
  await sys?.stop();
  await receiver?.close();
});

const eventOf = (r: ReceivedRequest) => String(r.headers['x-duckmig-event']);
const forJob = (path: string, jobId: string) => (r: ReceivedRequest) => r.path === path && r.path !== SLACK_PATH && WebhookBody.parse(JSON.parse(r.body)).data.jobId === jobId;

function verify(r: ReceivedRequest): WebhookBody {
  const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
  expect(r.headers['x-duckmig-signature']).toBe(expected);
  const body = WebhookBody.parse(JSON.parse(r.body));
  expect(r.headers['x-duckmig-event']).toBe(body.event);
  expect(r.headers['x-duckmig-delivery']).toBe(body.deliveryId);
  expect(r.headers['x-duckmig-timestamp']).toBe(String(body.timestamp));
  expect(Math.abs(Date.now() - body.timestamp)).toBeLessThan(60_000);
  return body;
}

async function runNow(reason: string): Promise<string> {
  const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason } });
  expect(res.status).toBe(202);
  return res.body.jobId;
}

describe('webhook notifications', () => {
  let jobId: string;

  it('a run reaches a JSON endpoint as queued, started, succeeded, each signed with the shared secret', async () => {
    jobId = await runNow('release 1.4');
    await receiver.requests.next((r) => forJob('/ok', jobId)(r) && eventOf(r) === 'run.succeeded');
    const arrived = receiver.requests.received.filter(forJob('/ok', jobId));
    expect(arrived.map(eventOf)).toEqual(['run.queued', 'run.started', 'run.succeeded']);
    const bodies = arrived.map(verify);
    expect(new Set(bodies.map((b) => b.deliveryId)).size).toBe(3);
    expect(bodies.every((b) => b.data.requestedBy === 'operator' && b.data.reason === 'release 1.4')).toBe(true);
    expect(bodies[2]!.data).toMatchObject({ fromVersion: 0, toVersion: 4, applied: 4 });
    for (const r of arrived) {
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain(sys.tokens.operator);
    }
  });

  it('a signature made with another secret, or over another body, does not verify', () => {
    const r = receiver.requests.received.find(forJob('/ok', jobId))!;
    const other = `sha256=${createHmac('sha256', 'another-secret-0123456789').update(r.body).digest('hex')}`;
    expect(r.headers['x-duckmig-signature']).not.toBe(other);
    const tampered = `sha256=${createHmac('sha256', SECRET).update(r.body.replace('operator', 'intruder')).digest('hex')}`;
    expect(r.headers['x-duckmig-signature']).not.toBe(tampered);
  });

  it('an endpoint that fails the first attempt gets the same delivery again, and the log shows both attempts', async () => {
    const succeeded = (r: ReceivedRequest) => forJob('/flaky', jobId)(r) && eventOf(r) === 'run.succeeded';
    await receiver.requests.next((r) => succeeded(r) && receiver.requests.received.filter(succeeded).length === 2);
    const attempts = receiver.requests.received.filter(succeeded);
    const deliveryId = String(attempts[0]!.headers['x-duckmig-delivery']);
    expect(attempts[1]!.headers['x-duckmig-delivery']).toBe(deliveryId);
    expect(attempts.map(verify).map((b) => b.event)).toEqual(['run.succeeded', 'run.succeeded']);
    // the worker logs each attempt once the delivery log has it
    await sys.worker.waitForOutput(`"deliveryId":"${deliveryId}","attempt":2`);

    const res = await call<WebhookDeliveriesResponse>(sys.url, `${API_PREFIX}/admin/webhooks/deliveries`, { token: sys.tokens.admin });
    expect(res.status).toBe(200);
    const log = WebhookDeliveriesResponse.parse(res.body).deliveries.filter((d) => d.deliveryId === deliveryId);
    expect(log.map((d) => [d.attempt, d.statusCode, d.ok])).toEqual([
      [2, 200, true],
      [1, 500, false],
    ]);
    expect(log[0]!.endpoint.host).toBe(new URL(receiver.url).host);
    expect(JSON.stringify(res.body)).not.toContain(SLACK_PATH);
    expect(JSON.stringify(res.body)).not.toContain('/flaky');
  });

  it('the delivery log is for admins only', async () => {
    const res = await call(sys.url, `${API_PREFIX}/admin/webhooks/deliveries`, { token: sys.tokens.operator });
    expect(res.status).toBe(403);
  });

  it('a Slack endpoint gets an incoming-webhook body: only `text`, naming the run and what happened', async () => {
    const slack = await receiver.requests.next((r) => r.path === SLACK_PATH && eventOf(r) === 'run.succeeded' && r.body.includes(jobId));
    const body = JSON.parse(slack.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain(jobId);
    expect(body.text).toContain('succeeded');
  });

  it('a failed run is announced with its error code, without the SQL that failed', async () => {
    const sql = "CREATE TABLE webhook_probe (id INTEGER);\nINSERT INTO webhook_probe VALUES ('not a number but a secret-looking value');\n";
    writeFileSync(join(sys.migrationsDir, '005_bad_insert.sql'), sql);
    await sys.worker.waitForOutput('"pending":1');
    const failedJob = await runNow('bad file');
    const failed = await receiver.requests.next((r) => forJob('/ok', failedJob)(r) && eventOf(r) === 'run.failed');
    const body = verify(failed);
    expect(body.data.errorCode).toBe('migration-failed');
    expect(body.data.message).toContain('005_bad_insert.sql');
    expect(failed.body).not.toContain('INSERT INTO webhook_probe');
    expect(failed.body).not.toContain('secret-looking');
  });
});
