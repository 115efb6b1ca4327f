#!/usr/bin/env node
// Interop harness: run the third-party TUF client tuf-js against a TUF repository
// served over HTTP, so Java tests can check that Flotilla's repository is readable
// by an independent implementation.
//
// Usage:
//   node client.mjs --metadata-url URL --target-base-url URL --trusted-root FILE \
//                   --metadata-dir DIR --target-dir DIR [--target NAME ...] [--now ISO8601]
//
// Output: exactly one JSON line on stdout.
//   success (exit 0): {"ok":true,"rootVersion":N,"timestampVersion":N,"snapshotVersion":N,
//                      "targetsVersion":N,"downloaded":[{"name":..,"path":..,"length":..,"cached":..}]}
//   failure (exit 1): {"ok":false,"error":"<ErrorClass>: <message>"}
// Set DEBUG=tuf:* for tuf-js's own log on stderr.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

function fail(err) {
  const name = err?.constructor?.name || 'Error';
  let message = err?.message ?? String(err);
  // e.g. Node's "TypeError: fetch failed" carries the real reason (ECONNREFUSED ...) in cause.
  for (let cause = err?.cause, depth = 0; cause && depth < 3; cause = cause.cause, depth++) {
    message += ` (caused by ${cause?.constructor?.name || 'Error'}: ${cause?.message ?? String(cause)})`;
  }
  process.stdout.write(JSON.stringify({ ok: false, error: `${name}: ${message}` }) + '\n');
  process.exitCode = 1;
}

// --now exists only for fixtures whose metadata was captured with a pinned clock
// (e.g. a copy of Sigstore's root-signing repository whose timestamp has since expired).
// tuf-js (5.x) takes its reference time from `new Date()` when the Updater is created
// and offers no option to inject it, so we replace the global Date with one whose clock
// starts at the given instant and then runs forward at real speed. Never use this
// to make a real client accept expired metadata.
function installClock(iso) {
  const RealDate = globalThis.Date;
  const pinned = RealDate.parse(iso);
  if (Number.isNaN(pinned)) {
    throw new RangeError(`--now is not a valid ISO 8601 instant: ${iso}`);
  }
  const offset = pinned - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) {
        super(RealDate.now() + offset);
      } else {
        super(...args);
      }
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}

function readVersion(metadataDir, fileName) {
  const file = path.join(metadataDir, fileName);
  if (!fs.existsSync(file)) {
    return null;
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')).signed.version;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'metadata-url': { type: 'string' },
      'target-base-url': { type: 'string' },
      'trusted-root': { type: 'string' },
      'metadata-dir': { type: 'string' },
      'target-dir': { type: 'string' },
      target: { type: 'string', multiple: true, default: [] },
      now: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  for (const required of ['metadata-url', 'target-base-url', 'trusted-root', 'metadata-dir', 'target-dir']) {
    if (!values[required]) {
      throw new TypeError(`missing required option --${required}`);
    }
  }
  if (values.now !== undefined) {
    installClock(values.now);
  }

  const metadataDir = path.resolve(values['metadata-dir']);
  const targetDir = path.resolve(values['target-dir']);
  fs.mkdirSync(metadataDir, { recursive: true });
  fs.mkdirSync(targetDir, { recursive: true });
  const localRoot = path.join(metadataDir, 'root.json');
  if (!fs.existsSync(localRoot)) {
    fs.copyFileSync(values['trusted-root'], localRoot);
  }

  // Imported after the clock override so nothing can capture the real Date early.
  const { Updater } = await import('tuf-js');
  const updater = new Updater({
    metadataBaseUrl: values['metadata-url'],
    targetBaseUrl: values['target-base-url'],
    metadataDir,
    targetDir,
    // prefixTargetsWithHash defaults to true: when root.consistent_snapshot is true,
    // targets are fetched as DIR/HASH.basename with the first hash listed in the
    // target's "hashes" object; when false, by their plain path.
  });

  await updater.refresh();

  const downloaded = [];
  for (const name of values.target) {
    const info = await updater.getTargetInfo(name);
    if (!info) {
      throw new ReferenceError(`target not found in trusted metadata: ${name}`);
    }
    let file = await updater.findCachedTarget(info);
    const cached = Boolean(file);
    if (!file) {
      file = await updater.downloadTarget(info);
    }
    downloaded.push({ name, path: path.resolve(file), length: fs.statSync(file).size, cached });
  }

  const result = {
    ok: true,
    rootVersion: readVersion(metadataDir, 'root.json'),
    timestampVersion: readVersion(metadataDir, 'timestamp.json'),
    snapshotVersion: readVersion(metadataDir, 'snapshot.json'),
    targetsVersion: readVersion(metadataDir, 'targets.json'),
    downloaded,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = 0;
}

main().catch(fail);
