#!/usr/bin/env node
// `npm start`'s prestart: build only when a source is newer than the last build
// (dist/cli.js), so a start after `npm install` (which built already) takes seconds.
//   node scripts/build-if-stale.mjs                      # build if stale, else say it is current
//   node scripts/build-if-stale.mjs --check [--root DIR] # exit 1 if stale (saying why), build nothing
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the build reads (the SQL in sql/ is read at run time, not built). */
const INPUTS = ['src', 'tsconfig.build.json', 'tsconfig.json', 'package.json'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), 0);
}

/** Why a build is needed, or undefined when dist/ is current. */
export function staleReason(root = ROOT) {
  const stamp = join(root, 'dist', 'cli.js');
  if (!existsSync(stamp)) return 'dist/ has not been built';
  const built = statSync(stamp).mtimeMs;
  const changed = INPUTS.map((p) => join(root, p)).filter((p) => existsSync(p) && newest(p) > built);
  return changed.length === 0 ? undefined : `changed since the last build: ${changed.map((p) => p.slice(root.length)).join(', ')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const root = at > 0 && process.argv[at + 1] ? join(process.argv[at + 1], '/') : ROOT;
  const reason = staleReason(root);
  if (process.argv.includes('--check')) {
    process.stdout.write(`${reason ?? 'dist/ is up to date'}\n`);
    process.exit(reason ? 1 : 0);
  }
  if (!reason) {
    process.stdout.write(`dist/ is up to date (built ${statSync(join(root, 'dist', 'cli.js')).mtime.toISOString()}): not rebuilding\n`);
  } else {
    process.stdout.write(`${reason}: building\n`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
}
