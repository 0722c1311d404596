import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The installed package's root: compiled code lives in dist/src, so two levels above this file's folder. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const schemaDir = path.join(packageRoot, 'config', 'schema');
export const viewsDir = path.join(packageRoot, 'views');
export const migrationsDir = path.join(packageRoot, 'dist', 'migrations');
