/**
 * The coordinator's dashboard handler (coordinator/dashboardHttp.ts) on a bare http.Server, no
 * browser: the page only with the run's token (401 and an explanation otherwise), assets from a
 * fixed list with their content types, nothing else from the file system, a clear 503 when the
 * page is not built, and the sweep's trial labels behind the token.
 */
import { test } from './helpers.js';
import { boundPort } from './net.js';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dashboardHandler } from '../coordinator/dashboardHttp.js';

const TOKEN = 'http-test-token';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-dashboard-http-'));
const staticDir = path.join(tmp, 'static');
const runDir = path.join(tmp, 'run');
mkdirSync(staticDir);
mkdirSync(runDir);
writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><script src="/app.js"></script>');
writeFileSync(path.join(staticDir, 'app.js'), 'console.log(1)');
writeFileSync(path.join(staticDir, 'style.css'), 'body{}');
writeFileSync(path.join(staticDir, 'uPlot.min.css'), '.uplot{}');
writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
writeFileSync(
  path.join(runDir, 'spec.json'),
  JSON.stringify({ name: 's', env: { id: 'CliffWalking-v1' }, agent: { algo: 'sarsa' }, budget: { episodes: 10 }, sweep: { parameters: { 'agent.config.alpha': [0.1, 0.5] }, seeds: 2 } }),
);

async function serve(handler: http.RequestListener): Promise<{ base: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${boundPort(server)}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** A raw GET (fetch would normalise `..` away). */
function rawGet(base: string, pathname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(`${base}${pathname}`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

let srv: Awaited<ReturnType<typeof serve>>;
test.before(async () => {
  srv = await serve(dashboardHandler({ token: TOKEN, runDir, staticDir }));
});
test.after(async () => {
  await srv.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the page needs the token: missing or wrong → 401 with a page that says why', async () => {
  const none = await fetch(`${srv.base}/`);
  assert.is(none.status, 401);
  assert.match(none.headers.get('content-type') ?? '', 'text/html');
  const body = await none.text();
  assert.match(body, 'Not authorised');
  assert.match(body, 'has none');
  const wrong = await fetch(`${srv.base}/?token=${TOKEN}x`);
  assert.is(wrong.status, 401);
  assert.match(await wrong.text(), 'not this run’s token');
  const ok = await fetch(`${srv.base}/?token=${TOKEN}`);
  assert.is(ok.status, 200);
  assert.match(await ok.text(), '/app.js');
  assert.match(ok.headers.get('content-security-policy') ?? '', "script-src 'self'");
  assert.is((await fetch(`${srv.base}/index.html?token=${TOKEN}`)).status, 200);
  assert.is((await fetch(`${srv.base}/?token=${TOKEN}`, { method: 'HEAD' })).status, 200);
});

test('assets come from a fixed list with their content types; nothing else is served', async () => {
  const types: Record<string, string> = { '/app.js': 'text/javascript', '/style.css': 'text/css', '/uPlot.min.css': 'text/css' };
  for (const [p, type] of Object.entries(types)) {
    const r = await fetch(`${srv.base}${p}`);
    assert.is(r.status, 200, p);
    assert.match(r.headers.get('content-type') ?? '', type, p);
    assert.is(r.headers.get('x-content-type-options'), 'nosniff');
  }
  for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/static/app.js', '/index.htm', '/app.js/../../secret.txt', '//etc/passwd']) {
    assert.is(await rawGet(srv.base, bad), 404, bad);
  }
  assert.is((await fetch(`${srv.base}/app.js`, { method: 'POST' })).status, 405);
  assert.is((await fetch(`${srv.base}/favicon.ico`)).status, 204);
});

test('an unbuilt page answers 503 naming the build command', async () => {
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  const s = await serve(dashboardHandler({ token: TOKEN, staticDir: empty }));
  try {
    const r = await fetch(`${s.base}/?token=${TOKEN}`);
    assert.is(r.status, 503);
    assert.match(await r.text(), 'npm run build');
    assert.is((await fetch(`${s.base}/app.js`)).status, 503);
  } finally {
    await s.close();
  }
});

test("the sweep's trials (labels of the sweep table) need the token", async () => {
  assert.is((await fetch(`${srv.base}/api/trials`)).status, 401);
  const r = await fetch(`${srv.base}/api/trials?token=${TOKEN}`);
  assert.is(r.status, 200);
  assert.equal(await r.json(), [
    { index: 0, overrides: { 'agent.config.alpha': 0.1, seed: 0 } },
    { index: 1, overrides: { 'agent.config.alpha': 0.1, seed: 1 } },
    { index: 2, overrides: { 'agent.config.alpha': 0.5, seed: 0 } },
    { index: 3, overrides: { 'agent.config.alpha': 0.5, seed: 1 } },
  ]);
});

test.run();
