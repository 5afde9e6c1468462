/**
 * `/healthz` is a liveness probe: the exact path, GET or HEAD only, and nothing about the run
 * (its id) without the run's token. A real server on loopback.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { Scheduler } from '../coordinator/scheduler.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { PROTOCOL_VERSION } from '../protocol/constants.js';

const TOKEN = 'healthz-token-0123456789';

test('/healthz: exact path, GET/HEAD only, the run id only with the token', async () => {
  const scheduler = new Scheduler();
  const server = new CoordinatorServer({ token: TOKEN, runId: 'secret-run-id', scheduler });
  const port = await server.listen();
  const base = `http://127.0.0.1:${port}`;
  try {
    const anon = await fetch(`${base}/healthz`);
    assert.is(anon.status, 200);
    const anonText = await anon.text();
    assert.equal(JSON.parse(anonText), { ok: true });
    assert.not.ok(anonText.includes('secret-run-id'));

    const wrong = await (await fetch(`${base}/healthz?token=nope`)).text();
    assert.not.ok(wrong.includes('secret-run-id'));

    const authed = await fetch(`${base}/healthz?token=${TOKEN}`);
    assert.equal(await authed.json(), { ok: true, runId: 'secret-run-id', protocol: PROTOCOL_VERSION });

    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.is(head.status, 200);
    assert.is(await head.text(), '');

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(`${base}/healthz?token=${TOKEN}`, { method });
      assert.is(r.status, 405, method);
      assert.is(r.headers.get('allow'), 'GET, HEAD');
      assert.not.ok((await r.text()).includes('secret-run-id'), method);
    }

    for (const p of ['/healthzX', '/healthz/extra', '/healthz.json']) {
      const r = await fetch(`${base}${p}?token=${TOKEN}`);
      assert.is(r.status, 404, p);
      assert.not.ok((await r.text()).includes('secret-run-id'), p);
    }
  } finally {
    await server.close();
    await scheduler.close();
  }
});

test.run();
