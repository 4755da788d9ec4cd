/** `npm run docs:config`: rewrite the configuration table in README.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, configTable } from './docs.js';

const path = new URL('../../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const start = readme.indexOf(CONFIG_TABLE_START);
const end = readme.indexOf(CONFIG_TABLE_END);
if (start < 0 || end < start) throw new Error(`README.md has no ${CONFIG_TABLE_START} ... ${CONFIG_TABLE_END} section`);
writeFileSync(path, readme.slice(0, start) + configTable() + readme.slice(end + CONFIG_TABLE_END.length));
process.stdout.write('README.md configuration table updated\n');
