import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { main } from '../../src/cli/main.js';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import { normaliseRestUrl } from '../../src/core/rest-url.js';
import { KhaosError } from '../../src/core/errors.js';

/**
 * The bad inputs of issue 21, as a new user would give them: each answered with a message that
 * names the problem and the fix, exit 2, and nothing changed (no file written, no database
 * touched, no broker or Flink reached).
 */

// Everything in compose.ts that reaches a broker, Flink or a stack is refused and recorded; `flinkAt` records the address it was given.
const reached = vi.hoisted(() => [] as string[]);
vi.mock('../../src/compose.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compose.js')>();
  const refuse = (name: string) => (...args: unknown[]) => {
    reached.push(`${name}(${String(args[0])})`);
    throw new KhaosError('platform', `test: ${name} reached`);
  };
  const names = ['startLocalStack', 'openLocalStack', 'messageBusAt', 'flinkAt', 'kubernetesPlatform', 'flinkDeploymentTarget'] as const;
  return { ...real, ...Object.fromEntries(names.map((n) => [n, refuse(n)])) };
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-bad-input-'));
const home = path.join(dir, 'home');
const savedHome = process.env.KHAOS_HOME;
process.env.KHAOS_HOME = home;
afterAll(() => {
  process.env.KHAOS_HOME = savedHome;
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  reached.length = 0;
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home);
});
afterEach(() => vi.restoreAllMocks());

async function khaos(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), workloadsDir: dir });
  return { code, out, err };
}

/** Makes fs.accessSync(p, W_OK) fail as on a read-only file or directory (the tests may run as root, for whom chmod changes nothing). */
function readOnly(...paths: string[]) {
  const real = fs.accessSync;
  vi.spyOn(fs, 'accessSync').mockImplementation((p, mode) => {
    if (paths.includes(path.resolve(String(p))) && mode !== undefined && (mode & fs.constants.W_OK) !== 0) throw Object.assign(new Error(`EACCES: permission denied, access '${String(p)}'`), { code: 'EACCES' });
    real(p, mode);
  });
}

/** Every file under `d` with its bytes: "nothing changed" is this, equal before and after. */
const snapshot = (d: string) => Object.fromEntries(fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => [f, fs.statSync(path.join(d, f)).isFile() ? fs.readFileSync(path.join(d, f)).toString('base64') : 'dir']));

const write = (name: string, content: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

/** One day of a daily cycle at 5-minute steps. */
const trace = write('day.csv', ['time,value', ...Array.from({ length: 288 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ')},${(100 + 80 * Math.sin((2 * Math.PI * i) / 288)).toFixed(1)}`)].join('\n'));
const simConfig = (over: object = {}) => write(`sim-${Math.random().toString(36).slice(2)}.yaml`, YAML.stringify({ replay: { trace, peakRateEps: 1000, compression: 20 }, evaluate: { failuresPerSchedule: 1, minSpacing: '10min', workers: 1 }, ...over }));

/** A bad-input answer: exit 2, the message on stderr naming the problem, a hint (→) saying what to do, nothing on stdout. */
function expectRefused(r: { code: number; out: string; err: string }, problem: RegExp, fix: RegExp) {
  expect(r, r.err).toMatchObject({ code: 2, out: '' });
  expect(r.err).toMatch(problem);
  expect(r.err).toMatch(new RegExp(`→ .*${fix.source}`));
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
}

describe('config files that are not a config', () => {
  it.each([
    ['a scalar', 'just some words\n', /holds a single string value, not a mapping of config sections/],
    ['a list', '- 1\n- 2\n', /holds a list, not a mapping of config sections/],
    ['a binary file', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0, 0xff]), /is binary, not a YAML text file/],
  ])('%s: named as such, not as unrecognized keys "0", "1", …', async (_, content, problem) => {
    const file = write('not-a-config', content);
    const r = await khaos('k8s', 'render', '--config', file);
    expectRefused(r, problem, /mapping of sections/);
    expect(r.err).not.toMatch(/Unrecognized keys/);
  });

  it('a directory is named as a directory, not as invalid YAML', async () => {
    expectRefused(await khaos('k8s', 'render', '--config', dir), /config file .* is a directory/, /give the YAML file itself/);
  });

  it('an unreadable file is named as unreadable, not as invalid YAML', async () => {
    const file = write('locked.yaml', 'job: { kind: iot }\n');
    const real = fs.readFileSync;
    vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) => {
      if (p === file) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return real(p, o as BufferEncoding);
    }) as typeof fs.readFileSync);
    expectRefused(await khaos('k8s', 'render', '--config', file), /cannot be read: permission denied/, /chmod u\+r/);
  });
});

describe('control.db: refused before anything writes to it', () => {
  const db = () => path.join(home, 'control.db');
  const sideFiles = () => fs.readdirSync(home).filter((f) => f !== 'control.db');

  it.each([['status'], ['decisions'], ['--attach']])('a damaged one, with `control %s`: exit 2, the file left as it was', async (sub) => {
    fs.writeFileSync(db(), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080, 0x5a)]));
    const before = snapshot(home);
    const args = sub === '--attach' ? ['control', '--attach', 'http://127.0.0.1:1'] : ['control', sub];
    expectRefused(await khaos(...args), /control database .*control\.db (is damaged|cannot be read)/, /mv .*control\.db .*\.bad/);
    expect(snapshot(home)).toEqual(before);
    expect(reached).toEqual([]);
  });

  it('a file that is not SQLite at all: exit 2, left as it was', async () => {
    fs.writeFileSync(db(), 'hello, I am a text file\n'.repeat(100));
    const before = snapshot(home);
    expectRefused(await khaos('control', 'status'), /is not a SQLite database/, /mv /);
    expect(snapshot(home)).toEqual(before);
  });

  it('a foreign SQLite file: refused, not switched to WAL, no table added', async () => {
    const foreign = new Database(db());
    foreign.exec('CREATE TABLE runs (x INTEGER); INSERT INTO runs VALUES (1);');
    foreign.close();
    const before = snapshot(home);
    expectRefused(await khaos('control', '--attach', 'http://127.0.0.1:1'), /another program's SQLite database \(tables runs\)/, /mv /);
    expect(snapshot(home)).toEqual(before);
    expect(sideFiles()).toEqual([]); // no -wal or -shm: the file was never opened to write
    const after = new Database(db(), { readonly: true });
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    after.close();
    expect(reached).toEqual([]);
  });

  it('a read-only one with `control --attach`: exit 2 before any connection, and status still reads it', async () => {
    new SqliteControlStore(db()).close();
    readOnly(db());
    const r = await khaos('control', '--attach', 'http://127.0.0.1:1');
    expectRefused(r, /control database .* is read-only/, /chmod u\+w/);
    expect(reached).toEqual([]);
    expect(await khaos('control', 'status')).toMatchObject({ code: 0, out: expect.stringContaining('no control runs yet') });
  });

  it('`control status` with no database yet says so and creates none', async () => {
    expect(await khaos('control', 'status')).toMatchObject({ code: 0, out: expect.stringContaining('no control runs yet') });
    expect(fs.readdirSync(home)).toEqual([]);
  });
});

describe('control --output-topic (a job whose latency is read from its output)', () => {
  it.each([
    [['--output-topic', 'scores'], /--output-topic goes with --attach URL or --stack NAME, --bootstrap with --output-topic/, /knows its output topic/],
    [['--attach', 'http://127.0.0.1:1', '--bootstrap', '127.0.0.1:9092'], /--bootstrap with --output-topic/, /see `khaos control --help`/],
    [['--attach', 'http://127.0.0.1:1', '--config', 'examples/own-job/khaos.yaml'], /job.latency is output-timestamp: .*does not know the topic the job writes them to/, /give --output-topic TOPIC.*or set job.latency to metric:<its p99 gauge> or none/],
  ])('%j is refused before any connection, and nothing is written', async (args, problem, fix) => {
    expectRefused(await khaos('control', ...args), problem, fix);
    expect(reached).toEqual([]);
    expect(fs.readdirSync(home)).toEqual([]);
  });
});

describe('control --flinkdeployment', () => {
  it.each([
    [['--flinkdeployment', 'orders'], /--flinkdeployment must be NAMESPACE\/NAME .*got "orders"/, /kubectl get flinkdeployments -A/],
    [['--flinkdeployment', 'Flink/Orders'], /--flinkdeployment must be NAMESPACE\/NAME/, /kubectl get flinkdeployments -A/],
    [['--flinkdeployment', 'flink/orders', '--stack', 's'], /--attach, --stack and --flinkdeployment exclude each other/, /--flinkdeployment NS\/NAME for a FlinkDeployment/],
    [['--attach', 'http://127.0.0.1:1', '--set-fallback'], /--set-fallback goes with --flinkdeployment NS\/NAME/, /control\.fallbackInterval/],
  ])('%j is refused before any connection, and nothing is written', async (args, problem, fix) => {
    expectRefused(await khaos('control', ...args), problem, fix);
    expect(reached).toEqual([]);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('NAMESPACE/NAME reaches the cluster through the kubeconfig, with the namespace and name apart', async () => {
    await khaos('control', '--flinkdeployment', 'flink/orders');
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatch(/^flinkDeploymentTarget\(/);
  });
});

describe('control --attach and --policy', () => {
  it('an address without http:// reaches Flink as http://…', async () => {
    const r = await khaos('control', '--attach', '127.0.0.1:8081/', '--request-timeout', '1s');
    expect(reached).toEqual(['flinkAt(http://127.0.0.1:8081)']);
    expect(r.err).not.toMatch(/no Flink REST API answers/);
  });

  it.each([
    ['ftp://127.0.0.1:21', /"ftp:\/\/127\.0\.0\.1:21": ftp is not HTTP/],
    ['http://', /"http:\/\/" is not an address/],
  ])('--attach %s is refused before any connection', async (url, problem) => {
    expectRefused(await khaos('control', '--attach', url), problem, /http:\/\/127\.0\.0\.1:8081/);
    expect(reached).toEqual([]);
  });

  it('a bad --policy is refused before any connection, and nothing is written', async () => {
    expectRefused(await khaos('control', '--attach', 'http://127.0.0.1:1', '--policy', 'nonsense'), /unknown policy "nonsense"/, /khaos\+/);
    expect(reached).toEqual([]);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('--policy static:0s names the zero interval, not "unknown policy static:0"', async () => {
    const r = await khaos('control', '--attach', 'http://127.0.0.1:1', '--policy', 'static:0s');
    expectRefused(r, /policy "static:0s": the static interval "0s" is 0 ms; a duration here must be more than 0/, /static:30s/);
    expect(r.err).not.toMatch(/static:0"/);
    expect(reached).toEqual([]);
  });
});

describe('output paths are checked before the work', () => {
  it('analyze --plot into a missing directory: exit 2, nothing written', async () => {
    const plot = path.join(dir, 'missing', 'plot.svg');
    expectRefused(await khaos('analyze', trace, '--plot', plot), /--plot .*plot\.svg: the directory .*missing does not exist/, /mkdir -p/);
    expect(fs.existsSync(path.dirname(plot))).toBe(false);
  });

  it('analyze with its default plot in a read-only directory: exit 2 before the analysis (the --json result is not lost after it)', async () => {
    readOnly(process.cwd());
    const r = await khaos('analyze', trace, '--json');
    const leftover = path.join(process.cwd(), 'khaos-analyze-day.svg');
    const written = fs.existsSync(leftover);
    fs.rmSync(leftover, { force: true }); // as root the old code wrote it despite the "read-only" directory
    expect(written).toBe(false);
    expectRefused(r, /--plot .*khaos-analyze-day\.svg \(the default\): the directory .* is read-only/, /give --plot a path in a writable directory/);
  });

  it.each([
    ['a file', () => write('taken', 'x'), /--out .*taken is a file, not a directory/],
    ['a path under a file', () => path.join(write('taken2', 'x'), 'out'), /--out .*taken2\/out: .*taken2 is a file, so no directory can be made there/],
  ])('evaluate --sim --out at %s: exit 2 before simulating', async (_, outDir, problem) => {
    const r = await khaos('evaluate', '--sim', '--config', simConfig(), '--policies', 'static:30s', '--schedules', '1', '--out', outDir());
    expectRefused(r, problem, /give --out a directory/);
    expect(r.err).not.toMatch(/simulated in/);
  });

  it('evaluate --sim --out in a read-only directory: exit 2 before simulating', async () => {
    const parent = path.join(dir, 'ro');
    fs.mkdirSync(parent, { recursive: true });
    readOnly(parent);
    const r = await khaos('evaluate', '--sim', '--config', simConfig(), '--policies', 'static:30s', '--schedules', '1', '--out', path.join(parent, 'out'));
    expectRefused(r, /--out .*: the directory .*ro is read-only/, /chmod u\+w/);
    expect(fs.readdirSync(parent)).toEqual([]);
  });
  it('evaluate --sim --out naming a file: exit 2 before simulating, the file left as it was', async () => {
    const file = write('an-existing-file', 'keep me\n');
    const r = await khaos('evaluate', '--sim', '--config', simConfig(), '--policies', 'static:30s', '--schedules', '1', '--out', file);
    expectRefused(r, /--out .* is a file, not a directory/, /give --out a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me\n');
  });
});

describe('bounds with the limit in the message', () => {
  it('evaluate --sim --schedules 1e9: exit 2 at once, naming the limit', async () => {
    const r = await khaos('evaluate', '--sim', '--config', simConfig(), '--policies', 'static:30s', '--schedules', '1e9');
    expectRefused(r, /--schedules needs a whole number ≥ 1 and ≤ 1000, got "1e9"/, /--schedules 20/);
  });

  it('evaluate --sim with replay.compression 0.000001: exit 2 naming the simulator limit and the least compression, no RangeError', async () => {
    const r = await khaos('evaluate', '--sim', '--config', simConfig({ replay: { trace, peakRateEps: 1000, compression: 0.000001 } }), '--policies', 'static:30s', '--schedules', '1', '--out', path.join(dir, 'never'));
    expectRefused(r, /replay\.compression 0\.000001 makes trace .* 86100000000 simulated seconds; the simulator runs at most 10000000 \(about 116 days\)/, /replay\.compression to at least 0\.01/);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });
});

describe('k8s render applies the profile plan check on intervals', () => {
  it.each([
    [[0.5], /interval 0\.5 ms is not a whole number of milliseconds/],
    [[1e300], /interval 1e\+300 ms is outside 500 ms–10 min/],
    [['5s', 5000], /intervals repeat: 5000 ms listed more than once/],
  ])('profile.intervals %j: exit 2, no object printed', async (intervals, problem) => {
    const r = await khaos('k8s', 'render', '--config', write('k8s.yaml', YAML.stringify({ profile: { intervals } })));
    expectRefused(r, problem, /distinct durations from 500ms to 10min/);
  });
});

describe('normaliseRestUrl', () => {
  it('adds http:// to host:port and drops trailing slashes; keeps https and a path', () => {
    expect(normaliseRestUrl('127.0.0.1:8081', '--attach')).toBe('http://127.0.0.1:8081');
    expect(normaliseRestUrl(' localhost:8081/ ', '--attach')).toBe('http://localhost:8081');
    expect(normaliseRestUrl('https://flink.example.com/proxy/', '--attach')).toBe('https://flink.example.com/proxy');
  });
});
