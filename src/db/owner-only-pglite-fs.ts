import { NodeFS } from '@electric-sql/pglite/nodefs';

type SetAttr = (target: unknown, node: unknown, attr: { mode?: number }, ...rest: unknown[]) => void;
type EmscriptenModule = { FS: { filesystems: Record<string, { setattr?: SetAttr } | undefined> } };

/**
 * PGlite's file system on the node fs, minus group and other permissions. Its Postgres chmods every file
 * it creates to 0666 (the umask does not apply to chmod), which would leave password hashes readable by
 * every local user whenever DATA_DIR is not itself closed. Emscripten's NODEFS routes every chmod through
 * NODEFS.setattr, so the mode is masked there, for this database instance only.
 */
export class OwnerOnlyNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const result = await super.init(...args);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [(mod: unknown) => maskChmod(mod as EmscriptenModule), ...preRun];
    return result;
  }
}

function maskChmod(mod: EmscriptenModule): void {
  const nodefs = mod.FS.filesystems.NODEFS;
  const setattr = nodefs?.setattr;
  // should a PGlite upgrade change this shape, test/file-permissions fails; the start-up pass still tightens
  if (!nodefs || typeof setattr !== 'function') return;
  nodefs.setattr = (target, node, attr, ...rest) => setattr(target, node, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~0o077 }, ...rest);
}
