import assert from 'node:assert/strict';

/** Awaits a rejection and checks its `code`; answers the error for further checks. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  const error = await promise.then(
    () => assert.fail(`expected a rejection with ${code}`),
    (e: unknown) => e as Error & { code: string },
  );
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}
