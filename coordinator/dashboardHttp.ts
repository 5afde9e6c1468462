/**
 * Serves the dashboard page (dashboard/static/, built by scripts/build-dashboard.mjs) on the
 * coordinator's port: `runExperiment` passes `dashboardHandler(...)` as the server's httpHandler.
 *
 * - `/` (or `/index.html`) needs the run's token in `?token=`; without it, or with a wrong one, the
 *   answer is HTTP 401 and a page that says so (the page's socket is refused the same way).
 * - `/app.js`, `/style.css`, `/uPlot.min.css`: the page's code and styles (no secrets, no token),
 *   from a fixed list — no path from the request ever reaches the file system.
 * - `/api/trials?token=`: the sweep's trials and the values each one sets (the sweep table's labels).
 * Everything is read from the build on this machine: no CDN, works offline.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runPath } from '../protocol/runFiles.js';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokensEqual } from '../protocol/auth.js';
import { PATHS } from '../protocol/constants.js';
import { expandSweep, loadSpecFile } from '../drivers/spec.js';

/** dashboard/static of this package (dist/coordinator/ → ../../dashboard/static). */
export const DASHBOARD_STATIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard', 'static');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/uPlot.min.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
};

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};
const PAGE_CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface DashboardHttpOptions {
  token: string;
  /** The run's directory (for /api/trials). */
  runDir?: string;
  /** Where the built page lies (default DASHBOARD_STATIC). */
  staticDir?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function messagePage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · nnlab</title></head>
<body style="font:15px/1.5 system-ui,sans-serif;background:#f6f7f9;margin:0">
<div id="refused" style="max-width:640px;margin:80px auto;background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:24px 28px">
<h1 style="color:#c62828;font-size:22px;margin:0 0 10px">${escapeHtml(title)}</h1>${body}</div></body></html>\n`;
}

/** The coordinator's handler for every HTTP request that is not the socket or /healthz. */
export function dashboardHandler(opts: DashboardHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const dir = opts.staticDir ?? DASHBOARD_STATIC;
  const cache = new Map<string, Buffer>();
  const read = (file: string): Buffer | undefined => {
    let b = cache.get(file);
    if (b === undefined) {
      try {
        b = readFileSync(path.join(dir, file));
      } catch {
        return undefined;
      }
      if (file !== 'index.html') cache.set(file, b); // index.html is small; app.js is cached once built
    }
    return b;
  };
  let trials: string | undefined;

  return (req, res) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return send(400, 'text/plain; charset=utf-8', 'bad request\n');
    }
    const given = url.searchParams.get('token');
    const authorised = given !== null && tokensEqual(given, opts.token);
    const asset = ASSETS[url.pathname];
    if (asset !== undefined) {
      const body = read(asset.file);
      if (body === undefined) return send(503, 'text/plain; charset=utf-8', `dashboard not built (no ${asset.file}): run npm run build\n`);
      return send(200, asset.type, body);
    }
    switch (url.pathname) {
      case '/':
      case '/index.html': {
        if (!authorised) {
          const why = given === null ? 'This page needs the run’s token and the URL has none.' : 'The token in this URL is not this run’s token.';
          return send(
            401,
            'text/html; charset=utf-8',
            messagePage('Not authorised', `<p>${why}</p><p>Open the exact URL that <code>nnlab run</code> printed, <code>dashboard: http://HOST:PORT/?token=…</code>. Each run has its own token (or the one given with <code>--token</code> / <code>NNLAB_TOKEN</code>).</p>`),
            { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" },
          );
        }
        const page = read('index.html');
        if (page === undefined || read('app.js') === undefined) {
          return send(503, 'text/html; charset=utf-8', messagePage('Dashboard not built', '<p>dashboard/static/app.js is missing: run <code>npm run build</code> (it bundles the page with esbuild).</p>'));
        }
        return send(200, 'text/html; charset=utf-8', page, { 'content-security-policy': PAGE_CSP });
      }
      case PATHS.trials: {
        if (!authorised) return send(401, 'application/json', JSON.stringify({ error: 'not authorised' }) + '\n');
        if (trials === undefined && opts.runDir !== undefined) {
          try {
            const spec = loadSpecFile(runPath(opts.runDir, 'spec'));
            trials = JSON.stringify(expandSweep(spec).map((t) => ({ index: t.index, overrides: t.overrides })));
          } catch {
            return send(404, 'application/json', JSON.stringify({ error: 'no sweep spec in this run' }) + '\n');
          }
        }
        return trials === undefined ? send(404, 'application/json', '[]\n') : send(200, 'application/json', trials);
      }
      case '/favicon.ico':
        res.writeHead(204, HEADERS);
        res.end();
        return;
      default:
        return send(404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };
}
