/**
 * An id of the running code, for caches of derived data (fingerprints, integrity): data built by
 * other code is never reused. `npm run build` writes the sha-256 (first 16 hex digits) of each
 * bundle in place of the placeholder below (scripts/build.mjs). Running from sources (tsx, vitest)
 * there is no stable id: null, and derived data is never reused unless a caller passes its own id.
 */
const BUILD_ID = "__STANDIN_BUILD_ID_PLACEHOLDER__";

export function buildCodeId(): string | null {
  return /^[0-9a-f]{16}$/.test(BUILD_ID) ? BUILD_ID : null;
}
