import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPROVAL_CLIENT_SCRIPT, APPROVAL_STYLES, REDIRECT_BRIDGE_SCRIPT } from './approval-client.js';

/**
 * The static files the approval page loads, served by the gateway itself (no CDN: the page's
 * Content-Security-Policy allows scripts from its own origin only). Every name carries a
 * digest of its content, so a long-lived `immutable` cache is truthful: a new build makes a
 * new name. Only the names in this table are served; nothing is looked up from the URL.
 */
export interface Asset {
  name: string;
  contentType: string;
  body: string;
  /** Subresource Integrity value for the tag that loads it. */
  integrity: string;
}

export interface ApprovalAssets {
  /** The page script and stylesheet (always present). */
  client: Asset;
  styles: Asset;
  /** The landing page's script that hands the sign-in response back (MSAL redirect bridge). */
  bridgeStart: Asset;
  /** MSAL for the browser and its redirect bridge, from the `@azure/msal-browser` package. */
  msal: Asset;
  msalBridge: Asset;
  byName: ReadonlyMap<string, Asset>;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

function asset(stem: string, ext: 'js' | 'css', body: string): Asset {
  const digest = createHash('sha384').update(body, 'utf8').digest();
  return {
    name: `${stem}.${digest.toString('hex').slice(0, 16)}.${ext}`,
    contentType: ext === 'js' ? JS : CSS,
    body,
    integrity: `sha384-${digest.toString('base64')}`,
  };
}

/**
 * The browser builds of MSAL ship in the package's `lib/`; the deployable bundle carries copies
 * in `msal/` beside it (scripts/build.mjs).
 */
const MSAL_FILES = { msal: 'msal-browser.min.js', bridge: 'msal-redirect-bridge.min.js' } as const;

function msalLibDirs(): string[] {
  const dirs = [join(dirname(fileURLToPath(import.meta.url)), 'msal')];
  try {
    const pkg = createRequire(import.meta.url).resolve('@azure/msal-browser/package.json');
    dirs.push(join(dirname(pkg), 'lib'));
  } catch {
    // Not resolvable from a bundle without node_modules; the copy beside it is used then.
  }
  return dirs;
}

function readMsal(file: string, subdir = ''): string {
  for (const dir of msalLibDirs()) {
    for (const candidate of [join(dir, file), join(dir, subdir, file)]) {
      if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    }
  }
  throw new Error(
    `@azure/msal-browser: ${file} not found (is the dependency installed, or copied by the build?)`,
  );
}

let loaded: ApprovalAssets | undefined;

/** Read once, on first use: a host that never serves the page never reads MSAL. */
export function approvalAssets(): ApprovalAssets {
  if (loaded) return loaded;
  const client = asset('approval', 'js', APPROVAL_CLIENT_SCRIPT);
  const styles = asset('approval', 'css', APPROVAL_STYLES);
  const bridgeStart = asset('approval-signed-in', 'js', REDIRECT_BRIDGE_SCRIPT);
  const msal = asset('msal-browser', 'js', readMsal(MSAL_FILES.msal));
  const msalBridge = asset('msal-redirect-bridge', 'js', readMsal(MSAL_FILES.bridge, 'redirect-bridge'));
  const all = [client, styles, bridgeStart, msal, msalBridge];
  loaded = { client, styles, bridgeStart, msal, msalBridge, byName: new Map(all.map((a) => [a.name, a])) };
  return loaded;
}
