import path from 'node:path';
import { ensureJobsJar, requireJavaAndMaven, resolveClasspath } from '../../src/adapters/local/maven.js';
import { khaosHome, repoRoot } from '../../src/compose.js';

/** Resolves the platform jars and builds the job jar once, before any test starts a JVM. */
export default async function setup(): Promise<void> {
  requireJavaAndMaven();
  const log = (l: string) => process.stderr.write(`  [setup] ${l}\n`);
  const cache = path.join(khaosHome(), 'cache');
  await resolveClasspath(path.join(repoRoot, 'platform', 'flink'), cache, log);
  await resolveClasspath(path.join(repoRoot, 'platform', 'kafka'), cache, log);
  await ensureJobsJar(path.join(repoRoot, 'jobs'), log);
}
