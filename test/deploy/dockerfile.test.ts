// The container image, read from the Dockerfile (no Docker engine here): a
// Debian Node 20 base, a non-root user, tini as PID 1, one image whose
// default command runs every role, a health check on /healthz, and a build
// context that carries only what the image copies. test/deploy/roles.test.ts
// runs the image's command and health check from a folder laid out like the
// image.
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/service.js';
import { parseRoles } from '../../src/cli/queue-commands.js';
import {
  dockerfile,
  execForm,
  imageCommand,
  instructions,
  lastInstruction,
  readText,
  runtimeStage,
  containerArgv,
  parseDockerfile,
} from './support.js';

const df = dockerfile();
const runtime = runtimeStage(df);

describe('Dockerfile', () => {
  it('builds in one stage and runs in another, both on Node 20 LTS slim (Debian, glibc)', () => {
    expect(df.stages.length, 'a build stage and a runtime stage').toBeGreaterThanOrEqual(2);
    for (const stage of df.stages) {
      // DuckDB's binding is @duckdb/node-bindings-linux-x64, built for glibc: no Alpine (musl).
      expect(stage.from).toBe('node:20-bookworm-slim');
    }
    const build = df.stages[0]!;
    const buildRuns = instructions(build, 'RUN')
      .map((i) => i.text)
      .join('\n');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm run build\b/);
  });

  it('installs production dependencies only, without running package scripts (prepare would build again)', () => {
    const runs = instructions(runtime, 'RUN').map((i) => i.text);
    expect(runs.some((r) => /npm ci\b/.test(r) && r.includes('--omit=dev') && r.includes('--ignore-scripts'))).toBe(true);
    expect(runs.join('\n')).not.toMatch(/npm (install|i)\b/);
  });

  it('copies the compiled code, the bin, the SQL files, the Lua scripts and package.json into /app', () => {
    expect(lastInstruction(runtime, 'WORKDIR')?.text).toBe('/app');
    const copies = instructions(runtime, 'COPY').map((i) => i.text);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain('bin ./bin');
    // The SQL and the Lua scripts are read at run time from ../../sql and ../../lua relative to dist/*/.
    expect(copies).toContain('sql ./sql');
    expect(copies).toContain('lua ./lua');
    expect(copies.some((c) => c.split(/\s+/).includes('package.json'))).toBe(true);
  });

  it('runs as the non-root node user (uid 1000)', () => {
    const user = lastInstruction(runtime, 'USER')?.text;
    expect(user, 'the runtime stage sets USER').toBeDefined();
    const [name, group] = (user ?? '').split(':');
    expect(['root', '0', '']).not.toContain(name);
    expect(['root', '0']).not.toContain(group);
    expect(['node', '1000']).toContain(name);
    // USER comes after every RUN: nothing later runs as root.
    const userIndex = runtime.instructions.findIndex((i) => i.keyword === 'USER');
    expect(runtime.instructions.slice(userIndex).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('starts under tini, installed from Debian, so that SIGTERM reaches node', () => {
    const runs = instructions(runtime, 'RUN')
      .map((i) => i.text)
      .join('\n');
    expect(runs).toMatch(/apt-get install[^&]*\btini\b/);
    expect(runs).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    expect(imageCommand().entrypoint).toEqual(['tini', '--', 'node', 'bin/crm-materializer.js']);
    expect(lastInstruction(runtime, 'STOPSIGNAL')?.text ?? 'SIGTERM').toBe('SIGTERM');
  });

  it('is one image for every role: the default command starts them all, --roles picks some', () => {
    const { cmd } = imageCommand();
    expect(cmd).toEqual(['start', '--roles', 'scheduler,worker,web']);
    expect(parseRoles(cmd[2])).toEqual([...ROLES]);
    expect(containerArgv({})).toEqual(['bin/crm-materializer.js', 'start', '--roles', 'scheduler,worker,web']);
    expect(containerArgv({ cmd: ['start', '--roles', 'worker'] })).toEqual(['bin/crm-materializer.js', 'start', '--roles', 'worker']);
  });

  it('checks its health on /healthz with node itself (no curl in the slim image)', () => {
    const check = lastInstruction(runtime, 'HEALTHCHECK')?.text ?? '';
    const m = /^((?:--\S+\s+)*)CMD\s+(\[.*\])$/s.exec(check);
    expect(m, `HEALTHCHECK [options] CMD [exec form], got: ${check}`).not.toBeNull();
    const argv = execForm(m![2]!, 'HEALTHCHECK CMD');
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).toContain('/healthz');
    expect(argv.join(' ')).toContain('process.env.HEALTH_PORT||process.env.PORT');
    const options = m![1]!;
    expect(options).toMatch(/--start-period=\d+s/);
    expect(options).toMatch(/--timeout=\d+s/);
    expect(lastInstruction(runtime, 'EXPOSE')?.text).toBe('3000 8081');
  });

  it('the parser reads continuation lines, comments and the shell form', () => {
    const parsed = parseDockerfile('ARG B=x:1\nFROM ${B} AS one\n# c\nRUN a \\\n  # inner\n  && b\nFROM one\nCMD run it\n');
    expect(parsed.stages.map((s) => s.from)).toEqual(['x:1', 'one']);
    expect(parsed.stages[0]!.instructions[0]).toMatchObject({ keyword: 'RUN', text: 'a    && b' });
    expect(() => execForm('run it', 'CMD')).toThrow(/exec \(JSON array\) form/);
  });
});

describe('.dockerignore', () => {
  /** Docker's rule for simple patterns: the last matching line wins; `*` is any name at the top. */
  function ignored(path: string, patterns: string[]): boolean {
    let result = false;
    for (const raw of patterns) {
      const negate = raw.startsWith('!');
      const pattern = (negate ? raw.slice(1) : raw).replace(/^\.?\//, '').replace(/\/$/, '');
      const regex = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replace(/\u0000/g, '.*')}(/.*)?$`,
      );
      if (regex.test(path)) result = !negate;
    }
    return result;
  }
  const patterns = readText('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('keeps everything the Dockerfile copies from the context', () => {
    const sources = df.stages.flatMap((s) =>
      instructions(s, 'COPY')
        .filter((i) => !i.text.includes('--from='))
        .flatMap((i) => i.text.split(/\s+/).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(ignored(source, patterns), `${source} is in the build context`).toBe(false);
      expect(ignored(`${source}/some/file.ts`, patterns), `files under ${source} are in the build context`).toBe(false);
    }
  });

  it('leaves out dependencies, build output, data, git, credentials and tests', () => {
    for (const path of [
      'node_modules',
      'node_modules/x/index.js',
      'dist/cli.js',
      'data/crm.duckdb',
      'x.duckdb',
      '.git/HEAD',
      '.env',
      '.env.example',
      '.bench-cache/build/x.js',
      'coverage/index.html',
      'test/deploy/support.ts',
      'k8s/base/worker.yaml',
    ]) {
      expect(ignored(path, patterns), `${path} stays out of the build context`).toBe(true);
    }
  });
});
