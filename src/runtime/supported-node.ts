/**
 * The oldest Node.js the server runs on. Older ones do not fail politely: on Node 20 a native or WASM
 * dependency ends the process with a segmentation fault while the modules load, before any error
 * handler exists. Newer majors are left to npm's engine warning: nothing known breaks on them.
 */
const MINIMUM = [22, 12] as const;

export function isSupportedNode(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
}

/** Exits with one line naming the Node.js needed and the command that brings it, when this one is too old. */
export function exitUnlessSupportedNode(howToRun: string): void {
  if (isSupportedNode()) return;
  process.stderr.write(
    `auth-connect: needs Node.js 24 (or ${MINIMUM.join('.')}+), this is ${process.version}; run ${howToRun} from the project folder, which uses the Node.js 24 that npm ci installed into node_modules\n`,
  );
  process.exit(1);
}
