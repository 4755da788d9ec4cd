#!/usr/bin/env node
// The registry this project installs from does not serve every platform's
// optional native package (e.g. @databricks/sql's win32-x64 kernel). npm then
// records the optional dependency without an entry for it, and `npm ci`
// refuses the lock file ("Missing: … from lock file"). This drops such
// optional edges from package-lock.json. Run it after `npm install`:
//   node scripts/prune-lockfile.mjs        (rewrites the lock file)
//   node scripts/prune-lockfile.mjs --check (exit 1 if something is left to prune)
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pruned = [];
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    // npm resolves a dependency in the nearest node_modules above the package.
    const candidates = [];
    for (let dir = where; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      candidates.push(`${dir ? `${dir}/` : ''}node_modules/${name}`);
      if (dir === '') break;
    }
    if (!candidates.some((c) => c in lock.packages)) {
      delete entry.optionalDependencies[name];
      pruned.push(`${where || '(root)'} -> ${name}`);
    }
  }
  if (entry.optionalDependencies && Object.keys(entry.optionalDependencies).length === 0) delete entry.optionalDependencies;
}
if (process.argv.includes('--check')) {
  if (pruned.length > 0) {
    process.stderr.write(
      `package-lock.json has optional dependencies npm ci cannot find: ${pruned.join(', ')}; run node scripts/prune-lockfile.mjs\n`,
    );
    process.exit(1);
  }
} else {
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(pruned.length ? `pruned: ${pruned.join(', ')}\n` : 'nothing to prune\n');
}
