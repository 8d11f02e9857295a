/**
 * The browser for the Web UI test: the Chromium build that the npm package @sparticuz/chromium ships inside itself
 * (a devDependency: `npm install` fetches it from the npm registry like any other package, and nothing is downloaded
 * at install or at run time). It is unpacked once into .cache/chromium/<version>/ together with the NSS libraries
 * the package carries, so it needs nothing from the system but glibc. CHROMIUM_PATH names another Chromium or
 * Chrome instead (the only way on a machine other than Linux x64).
 */
import { spawnSync } from 'node:child_process';
import { brotliDecompressSync } from 'node:zlib';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './files';

export interface ChromiumBinary {
  executablePath: string;
  /** The environment to launch it with (the bundled libraries on LD_LIBRARY_PATH). */
  env: NodeJS.ProcessEnv;
}

/**
 * Flags for Chromium on a headless machine without network or GPU: no sandbox (containers, root), no GPU, and none
 * of the background services that would keep trying the network.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
];

const PACKAGE = '@sparticuz/chromium';

export function chromiumBinary(): ChromiumBinary {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} does not exist.`);
    return { executablePath: explicit, env: process.env };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The Web UI test needs Chromium: ${PACKAGE} ships it for Linux x64 only, not ${process.platform} ${process.arch}; ` +
        'set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  let packageDir: string;
  try {
    packageDir = packageRoot(require.resolve(PACKAGE));
  } catch {
    throw new Error(`The Web UI test needs Chromium from the devDependency ${PACKAGE}: run \`npm install\` first.`);
  }
  const { version } = readPackageJson(packageDir);
  const dir = path.join(ROOT, '.cache', 'chromium', version);
  const executablePath = path.join(dir, 'chromium');
  const libraries = path.join(dir, 'lib');
  if (!existsSync(libraries)) unpackTar(path.join(packageDir, 'bin', 'al2023.tar.br'), dir);
  if (!existsSync(executablePath)) unpackFile(path.join(packageDir, 'bin', 'chromium.br'), executablePath);
  const inherited = process.env.LD_LIBRARY_PATH;
  return {
    executablePath,
    env: { ...process.env, LD_LIBRARY_PATH: inherited ? `${libraries}:${inherited}` : libraries },
  };
}

function readPackageJson(dir: string): { name?: string; version: string } {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
}

/** The folder of the package that holds `file` (its entry point sits a folder or two down, by version). */
function packageRoot(file: string): string {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && readPackageJson(dir).name === PACKAGE) return dir;
  }
  throw new Error(`no package.json of ${PACKAGE} above ${file}`);
}

/** Decompresses a Brotli file to `target`, written under another name first so a half-written binary never runs. */
function unpackFile(source: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, brotliDecompressSync(readFileSync(source)));
  chmodSync(partial, 0o755);
  renameSync(partial, target);
}

/** Decompresses a Brotli tar and extracts it into `dir` (its entries are one `lib/` folder). */
function unpackTar(source: string, dir: string): void {
  const staging = path.join(dir, `.${process.pid}.partial`);
  mkdirSync(staging, { recursive: true });
  const tar = spawnSync('tar', ['-x', '-C', staging], { input: brotliDecompressSync(readFileSync(source)) });
  if (tar.status !== 0) throw new Error(`could not unpack ${source}: ${tar.stderr.toString().trim()}`);
  renameSync(path.join(staging, 'lib'), path.join(dir, 'lib'));
  rmSync(staging, { recursive: true, force: true });
}
