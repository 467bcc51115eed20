import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KhaosError } from '../../core/errors.js';

export type Progress = (line: string) => void;

/** Throws a KhaosError('environment') saying what to install when java or mvn is missing. */
export function requireJavaAndMaven(): void {
  const missing = ['java', 'mvn'].filter((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).error !== undefined);
  if (missing.length > 0) {
    throw new KhaosError(
      'environment',
      `${missing.join(' and ')} not found on PATH`,
      'install a Java 17 JDK and Maven 3.8+ (Debian: apt-get install -y openjdk-17-jdk-headless maven), then run again',
    );
  }
}

/** Runs Maven, passing download progress lines to `progress`; throws with the log tail on failure. */
function runMaven(args: string[], cwd: string, progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', ['-B', '-ntp', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (/Downloading|Building|BUILD|Tests run:|ERROR/.test(line)) progress(line.replace(/^\[INFO\] /, ''));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => reject(new KhaosError('environment', 'could not run mvn', 'install Maven 3.8+', { cause: e })));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new KhaosError('environment', `mvn ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${tail.join('\n')}`, 'check the network access to Maven Central and the output above')),
    );
  });
}

const hashOf = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);

/**
 * The classpath of a platform pom (platform/flink, platform/kafka), resolved once and cached in
 * `cacheDir` keyed by the pom's hash: later starts read the cache and need no network.
 */
export async function resolveClasspath(pomDir: string, cacheDir: string, progress: Progress): Promise<string> {
  const pom = path.join(pomDir, 'pom.xml');
  const cacheFile = path.join(cacheDir, `${path.basename(pomDir)}-${hashOf(pom)}.classpath`);
  if (fs.existsSync(cacheFile)) {
    const cp = fs.readFileSync(cacheFile, 'utf8').trim();
    if (cp.split(':').every((jar) => fs.existsSync(jar))) return cp;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  progress(`resolving ${path.basename(pomDir)} jars from Maven (first run only)…`);
  const tmp = `${cacheFile}.tmp`;
  await runMaven(['dependency:build-classpath', `-Dmdep.outputFile=${tmp}`], pomDir, progress);
  fs.renameSync(tmp, cacheFile);
  return fs.readFileSync(cacheFile, 'utf8').trim();
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds jobs/target/khaos-jobs.jar if it is missing or older than the job sources. */
export async function ensureJobsJar(jobsDir: string, progress: Progress): Promise<string> {
  const jar = path.join(jobsDir, 'target', 'khaos-jobs.jar');
  const sourcesMtime = Math.max(newestMtime(path.join(jobsDir, 'src', 'main')), fs.statSync(path.join(jobsDir, 'pom.xml')).mtimeMs);
  if (fs.existsSync(jar) && fs.statSync(jar).mtimeMs >= sourcesMtime) return jar;
  progress('building the sample jobs jar (jobs/, first run only)…');
  await runMaven(['package', '-DskipTests'], jobsDir, progress);
  if (!fs.existsSync(jar)) throw new KhaosError('bug', `mvn package succeeded but ${jar} is missing`, 'check <finalName> in jobs/pom.xml');
  return jar;
}
