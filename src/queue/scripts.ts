/**
 * The service's Lua scripts (lua/*.lua at the package root, each with a
 * header naming its KEYS and ARGV), read once and registered on each
 * connection with ioredis `defineCommand`: a call sends EVALSHA, and the
 * script's text only when Redis does not hold it yet (after a restart).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** lua/ at the package root (the same depth from src/ and dist/). */
export const LUA_DIR = fileURLToPath(new URL('../../lua/', import.meta.url));

/** Every script by name, with its file in lua/. */
export const SCRIPT_FILES = {
  claimRun: 'claim-run.lua',
  finishRun: 'finish-run.lua',
  nextForcedRun: 'next-forced-run.lua',
  pruneRuns: 'prune-runs.lua',
  recordTask: 'record-task.lua',
  recordValidation: 'record-validation.lua',
  bumpGeneration: 'bump-generation.lua',
  releaseLock: 'release-lock.lua',
  extendLock: 'extend-lock.lua',
  takeToken: 'take-token.lua',
  storeAnswers: 'store-answers.lua',
  lookupAnswer: 'lookup-answer.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;
type ScriptCall = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

let sources: ReadonlyMap<ScriptName, string> | undefined;

/** Each script's text. A missing file fails at the first call (start-up), not at 06:00. */
export function scriptSources(): ReadonlyMap<ScriptName, string> {
  sources ??= new Map(
    Object.entries(SCRIPT_FILES).map(([name, file]) => {
      try {
        return [name as ScriptName, readFileSync(LUA_DIR + file, 'utf8')];
      } catch (e) {
        throw new Error(`Lua script ${LUA_DIR}${file} cannot be read: the installation is incomplete`, { cause: e });
      }
    }),
  );
  return sources;
}

const commandName = (name: ScriptName): string => `crm${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
const registered = new WeakSet<Redis>();

/** Register every script on the connection (once per connection). */
function register(redis: Redis): void {
  if (registered.has(redis)) return;
  for (const [name, lua] of scriptSources()) redis.defineCommand(commandName(name), { lua });
  registered.add(redis);
}

function call(redis: Redis, command: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  register(redis);
  const fn = (redis as unknown as Record<string, ScriptCall>)[command];
  if (!fn) throw new Error(`Lua script ${command} is not registered on this connection`);
  return fn.call(redis, keys.length, ...keys, ...args);
}

/** Run a script with its KEYS and ARGV (the number of keys is sent first, as EVALSHA wants). */
export function runScript(redis: Redis, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  return call(redis, commandName(name), keys, args);
}

/** runScript, with the reply's strings as Buffers (an answer sent as stored, without decoding it). */
export function runScriptBuffer(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  return call(redis, `${commandName(name)}Buffer`, keys, args);
}
