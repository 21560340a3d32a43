#!/usr/bin/env node
// Installs the Debian packages the test suites need (real pytest, go, gotestsum, ...), so that a fresh
// machine runs every test with the README's one command. Missing tools are never skipped: when they
// cannot be installed (not root, apt failing), this exits non-zero with a message naming them.
import { execFileSync, spawnSync } from 'node:child_process';

/** tool label → [probe command, Debian packages providing it] */
const TOOLS = [
  [
    'pytest + pytest-xdist + pytest-rerunfailures (Debian python3)',
    ['/usr/bin/python3', '-c', 'import pytest, xdist, pytest_rerunfailures'],
    ['python3-pytest', 'python3-pytest-xdist', 'python3-pytest-rerunfailures'],
  ],
  ['go', ['go', 'version'], ['golang-go']],
  ['gotestsum', ['gotestsum', '--version'], ['gotestsum']],
  // The Jenkins shared library is executed by Debian's groovy 2.4 (the Groovy of Jenkins core), on JDK 17.
  ['JDK 17', ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '-version'], ['openjdk-17-jdk-headless']],
  ['groovy', ['groovy', '--version'], ['groovy']],
  // gitlab-ci-local copies each job's build directory with rsync (--shell-isolation).
  ['rsync', ['rsync', '--version'], ['rsync']],
  // Reporter storage tests start a real PostgreSQL 15 server from Debian's binaries.
  ['PostgreSQL 15 server', ['/usr/lib/postgresql/15/bin/pg_ctl', '--version'], ['postgresql-15']],
];

// groovy refuses to start without JAVA_HOME pointing at a JDK.
const probeEnv = { ...process.env, JAVA_HOME: '/usr/lib/jvm/java-17-openjdk-amd64' };
const works = ([cmd, ...args]) => spawnSync(cmd, args, { stdio: 'ignore', env: probeEnv }).status === 0;
const missing = TOOLS.filter(([, probe]) => !works(probe));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.flatMap(([, , pkgs]) => pkgs))];
const names = missing.map(([label]) => label).join(', ');
if (process.getuid?.() !== 0) {
  console.error(
    `ensure-tools: missing ${names}.\nInstall them as root: apt-get install -y ${packages.join(' ')}`,
  );
  process.exit(1);
}
console.log(`ensure-tools: installing ${packages.join(' ')} (for ${names})`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
} catch (e) {
  console.error(`ensure-tools: apt-get failed (${e.message}); tests need: ${names}`);
  process.exit(1);
}
const still = TOOLS.filter(([, probe]) => !works(probe)).map(([label]) => label);
if (still.length > 0) {
  console.error(`ensure-tools: still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
