#!/usr/bin/env node
// The layers of src/, enforced (part of `npm run lint`): a module imports from
// its own layer or a lower one, never a higher one, and no file imports
// itself back through a cycle, and nothing in src/ imports from outside it
// (tools/, test/). README.md ("Layers") says what each owns.
// `import type { Config }` is the one exception: the shape of the
// configuration is the vocabulary of every layer (values never go down).
//
//   node scripts/check-layers.mjs     # exit 1 and one line per violation
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

/** Lowest first. The key is the first path segment under src/ (a folder, or a file without .ts). */
export const LAYERS = [
  ['errors', 'log', 'log-pretty', 'text-table', 'version'],
  ['dates', 'clock'],
  ['warehouse'],
  ['tables'],
  ['config', 'demo'],
  ['tasks', 'queue'],
  ['state'],
  ['workers', 'producer', 'metrics'],
  ['api', 'web'],
  ['service', 'service-roles'],
  ['cli'],
];
const LEVEL = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const unitIn = (src) => (file) => relative(src, file).split('/')[0].replace(/\.ts$/, '');

/** Relative imports of a file: { target, typeOnly }. */
function imports(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)].map((m) => ({
    target: normalize(join(dirname(file), m[2])).replace(/\.js$/, '.ts'),
    typeOnly: Boolean(m[1]),
  }));
}

/** Every violation under `src` (default: this repository's src/), one line each. */
export function check(src = SRC) {
  const unit = unitIn(src);
  const problems = [];
  const graph = new Map();
  for (const file of files(src)) {
    const from = unit(file);
    if (!LEVEL.has(from))
      problems.push(
        `${relative(ROOT, file)}: '${from}' is in no layer: add it to LAYERS in scripts/check-layers.mjs and to README's layer map`,
      );
    const edges = imports(file);
    graph.set(
      file,
      edges.map((e) => e.target),
    );
    for (const { target, typeOnly } of edges) {
      if (relative(src, target).startsWith('..')) {
        problems.push(
          `${relative(ROOT, file)} imports ${relative(ROOT, target)}: src/ may not import from outside src/ (tools/ and test/ are not part of the service); move the code into src/`,
        );
        continue;
      }
      const to = unit(target);
      if (typeOnly && to === 'config') continue;
      if ((LEVEL.get(to) ?? -1) > (LEVEL.get(from) ?? Infinity)) {
        problems.push(
          `${relative(ROOT, file)} imports ${relative(ROOT, target)}: '${from}' (layer ${LEVEL.get(from)}) may not import '${to}' (layer ${LEVEL.get(to)}); move the code to the layer that owns it`,
        );
      }
    }
  }
  // Cycles: depth-first search over every import, types included.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open')
        problems.push(`import cycle: ${[...stack.slice(stack.indexOf(next)), next].map((f) => relative(ROOT, f)).join(' -> ')}`);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = check();
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exitCode = 1;
  else console.log(`layers: ${LAYERS.length} layers, no up-layer import, no cycle, no import from outside src/`);
}
