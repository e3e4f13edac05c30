/**
 * What npm ships works for a consumer: the source is built to a temporary dist (as `prepack` does),
 * packed with `npm pack`, and unpacked into consumer projects that have only what a user installs —
 * `xstate` (and, for the simulator, the optional peers) — with no repository node_modules above them.
 * Catches an entry or export that points nowhere, a runtime import of a dev dependency, a file left
 * out of `files`, a `bin` that does not start, and declarations a strict consumer cannot compile.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from '../../src/index.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const modules = (name: string) => join(ROOT, 'node_modules', name);

let work: string;
let packed: string[];

/** A project with `smtp-machine` unpacked from the tarball and `deps` linked from this checkout. */
async function consumer(name: string, tarball: string, deps: readonly string[]): Promise<string> {
  const dir = join(work, name);
  const installed = join(dir, 'node_modules', 'smtp-machine');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '--strip-components=1', '-C', installed]);
  for (const dep of deps) {
    await mkdir(join(dir, 'node_modules', dep, '..'), { recursive: true });
    await symlink(modules(dep), join(dir, 'node_modules', dep), 'dir');
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, type: 'module' }));
  return dir;
}

const node = (cwd: string, script: string) =>
  run(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 60_000 });

let bare: string;
let full: string;

/** A consumer must not find packages above it (some machines link a node_modules into /tmp). */
function isolatedBase(): string {
  const clean = (dir: string): boolean =>
    !existsSync(join(dir, 'node_modules')) && (dirname(dir) === dir || clean(dirname(dir)));
  const base = [tmpdir(), '/var/tmp', '/dev/shm'].find((dir) => existsSync(dir) && clean(dir));
  if (base === undefined) throw new Error('no temporary directory without a node_modules above it');
  return base;
}

beforeAll(async () => {
  work = await mkdtemp(join(isolatedBase(), 'smtp-machine-pack-'));
  const pkg = join(work, 'pkg');
  await mkdir(pkg);
  for (const entry of [
    'package.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    'bin',
    'spec',
    'examples',
    'bench/README.md',
  ])
    await cp(join(ROOT, entry), join(pkg, entry), { recursive: true });
  await run(modules('.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
    cwd: ROOT,
  });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: pkg,
  });
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = report.files.map((file) => file.path);
  const tarball = join(work, report.filename);
  bare = await consumer('bare', tarball, ['xstate', '@types/node']);
  full = await consumer('full', tarball, ['xstate', '@types/node', 'smtp-server', 'selfsigned']);
}, 180_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the build, the launcher and the docs, and no sources or tests', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        'bin/smtp-machine.js',
        'dist/index.js',
      ]),
    );
    expect(packed).toContain('dist/index.d.ts');
    expect(packed).toContain('dist/ses/simulator/simulator.js');
    expect(packed.filter((path) => /^(src|test|scripts|\.ci)\//.test(path))).toEqual([]);
    // TypeScript sources only as the examples the README points to (examples/session-over-socket.ts).
    expect(
      packed.filter(
        (path) => path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.startsWith('examples/'),
      ),
    ).toEqual([]);
  });

  it('every file the README links to is in the package (npm shows the README without the repository)', async () => {
    const readme = await readFile('README.md', 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#:]+)\)/g)].map((match) => match[1] as string);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !packed.includes(link))).toEqual([]);
  });

  it('its entry loads with xstate alone and exports what the source exports', async () => {
    const { stdout } = await node(
      bare,
      "const m = await import('smtp-machine'); console.log(JSON.stringify(Object.keys(m).sort()));",
    );
    expect(JSON.parse(stdout)).toEqual(Object.keys(source).sort());
  });

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  // README: older 20.x releases use import(); the skip is reported, not a silent pass.
  it.skipIf(major === 20 && minor < 19)(
    'a CommonJS consumer can require it (Node 20.19+ loads ES modules with require)',
    async () => {
      const { stdout } = await run(
        process.execPath,
        ['-e', "const m = require('smtp-machine'); console.log(typeof m.createClient, typeof m.createPool)"],
        { cwd: bare },
      );
      expect(stdout.trim()).toBe('function function');
    },
  );

  it('the simulator subpath without its optional peers says which package is missing', async () => {
    const resolves = await node(bare, "console.log(import.meta.resolve('smtp-server'))").then(
      () => true,
      () => false,
    );
    expect(resolves, 'smtp-server must not be reachable from the bare consumer').toBe(false);
    const script = `
      const { startSesSimulator } = await import('smtp-machine/ses-simulator');
      try { await startSesSimulator(); console.log('started'); }
      catch (error) { console.log(error.code, error.message); }`;
    const { stdout } = await node(bare, script);
    expect(stdout).toMatch(/^SMTP_DEPENDENCY_MISSING .*"smtp-server"/);
  });

  it('a packed client delivers through the packed simulator over loopback', async () => {
    const script = `
      import { createClient, SES_PROFILE } from 'smtp-machine';
      import { startSesSimulator } from 'smtp-machine/ses-simulator';
      const sim = await startSesSimulator({ verifiedIdentities: ['example.com'] });
      const { user, pass } = sim.users[0];
      const client = createClient({ host: sim.host, port: sim.starttlsPort, security: 'starttls',
        tls: { ca: sim.caPem }, auth: { user, pass }, profile: SES_PROFILE });
      try {
        const result = await client.send({ from: 'app@example.com', to: ['success@simulator.amazonses.com'],
          message: 'From: app@example.com\\r\\nSubject: Hi\\r\\n\\r\\nHello.\\r\\n' });
        console.log(JSON.stringify({ accepted: result.accepted, stored: sim.messages.length }));
      } finally { await client.close(); await sim.close(); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: full,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ accepted: ['success@simulator.amazonses.com'], stored: 1 });
  });

  it('its bin starts and prints its usage', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(bare, 'node_modules/smtp-machine/bin/smtp-machine.js'), '--help'],
      {
        cwd: bare,
      },
    );
    expect(stdout).toMatch(/smtp-machine/);
    expect(stdout).toMatch(/\bsend\b/);
  });

  it('a strict TypeScript consumer compiles against its declarations (no skipLibCheck)', async () => {
    await writeFile(
      join(bare, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['app.ts'],
      }),
    );
    await writeFile(
      join(bare, 'app.ts'),
      [
        "import { createClient, createPool, ErrorCodes, isSmtpError, type PoolSendResult } from 'smtp-machine';",
        "const pool = createPool({ host: 'email-smtp.eu-west-1.amazonaws.com', auth: { user: 'u', pass: 'p' } });",
        'export async function send(): Promise<PoolSendResult | string> {',
        "  try { return await pool.send({ from: 'a@example.com', to: ['b@example.com'], message: 'x' }); }",
        '  catch (error) { return isSmtpError(error) && error.code === ErrorCodes.TIMEOUT ? error.outcome : "other"; }',
        '}',
        "export const client = createClient({ host: 'localhost', port: 2587 });",
      ].join('\n'),
    );
    const compiled = await run(modules('.bin/tsc'), ['-p', join(bare, 'tsconfig.json')], { cwd: bare }).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(compiled).toBe('ok');
  });

  it('its package.json points every entry at a packed file', async () => {
    const manifest = JSON.parse(
      await readFile(join(bare, 'node_modules/smtp-machine/package.json'), 'utf8'),
    ) as {
      main: string;
      types: string;
      bin: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((target) =>
        typeof target === 'string' ? [target] : Object.values(target),
      ),
    ].map((path) => path.replace(/^\.\//, ''));
    for (const target of targets) expect(packed, target).toContain(target);
  });
});
