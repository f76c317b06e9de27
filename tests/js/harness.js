#!/usr/bin/env node
/*
 * JS oracle harness: drives the real JS SDK (npm backend.ai-client@21.3.1)
 * for the Python test-suite (tests/oracle.py).
 *
 * One long-lived process speaking JSON lines:
 *   stdin : {"id": N, "op": NAME, ...args}
 *   stdout: {"id": N, "ok": true, "result": ...}
 *        or {"id": N, "ok": false, "error": "text", "thrown": <encoded exception>}
 * Nothing else is ever written to stdout (console.* goes to stderr).
 * Requests are handled concurrently; answers come back in completion order
 * and are matched by id.
 *
 * Encoding of JS values in results (decoded by tests/oracle.py):
 *   undefined                      -> {"$undefined": true}
 *   NaN / Infinity / -Infinity / -0 -> {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}
 *   Buffer / Uint8Array / ArrayBuffer / Blob -> {"$bytes": "<base64>"}
 *   Error objects                  -> {"$error": String(err)}
 *   Headers                        -> {lowercase-name: value, ...}
 *   FormData                       -> {"$formdata": [[name, value], ...]}
 *   functions                      -> {"$function": name}
 *   bigint                         -> {"$number": "<digits>"}
 *   arrays / plain objects         -> recursively (object keys in JS order)
 * Arguments coming from Python use the same encodings ({"$undefined": true}
 * becomes undefined, {"$number": ...} a number, {"$bytes": ...} a Buffer).
 *
 * Ops: see OPS below (authString, signKey, signedRequest, publicRequest,
 * stringify, stringifyNumber, querystring, toFixed, parseInt, parseFloat,
 * currentDate, request, call, surface, ping).
 */
'use strict';

const util = require('util');
const readline = require('readline');
const querystring = require('querystring');
const { AsyncLocalStorage } = require('async_hooks');

// ---- stdout discipline ------------------------------------------------------
const stdoutWrite = process.stdout.write.bind(process.stdout);
const toStderr = (...args) => process.stderr.write(util.format(...args) + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;
console.trace = toStderr;
console.dir = (obj) => process.stderr.write(util.inspect(obj) + '\n');
// Anything else that tries to use process.stdout goes to stderr as well.
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
const send = (obj) => stdoutWrite(JSON.stringify(obj) + '\n');

// ---- browser stand-ins ------------------------------------------------------
function makeStorage() {
  // Stored items are own enumerable properties (so Object.entries works as on
  // a browser's localStorage); the methods are non-enumerable.
  const store = {};
  Object.defineProperties(store, {
    getItem: { value(k) { k = String(k); return Object.prototype.hasOwnProperty.call(this, k) ? this[k] : null; } },
    setItem: { value(k, v) { this[String(k)] = String(v); } },
    removeItem: { value(k) { delete this[String(k)]; } },
    clear: { value() { for (const k of Object.keys(this)) delete this[k]; } },
    key: { value(i) { const ks = Object.keys(this); return i < ks.length ? ks[i] : null; } },
    length: { get() { return Object.keys(this).length; } },
  });
  return store;
}
globalThis.localStorage = makeStorage();
globalThis.navigator = { onLine: true };

// ---- frozen clock -----------------------------------------------------------
const RealDate = Date;
function instant(now) {
  const t = typeof now === 'number' ? now : RealDate.parse(now);
  if (typeof t !== 'number' || Number.isNaN(t)) throw new Error(`bad "now": ${JSON.stringify(now)}`);
  return t;
}
function frozenDateClass(t) {
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(t); else super(...args);
    }
    static now() { return t; }
  }
  return FrozenDate;
}
// Only for synchronous work: the global Date is restored before anything else runs.
function withClock(now, fn) {
  if (now === undefined || now === null) return fn();
  globalThis.Date = frozenDateClass(instant(now));
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

// ---- fetch recording (per op, via AsyncLocalStorage) ------------------------
const als = new AsyncLocalStorage();
const realFetch = globalThis.fetch;
globalThis.fetch = function recordingFetch(uri, init) {
  const store = als.getStore();
  if (store) {
    store.requests.push({
      uri: String(uri),
      method: init && init.method,
      headers: init && init.headers,
      body: init ? init.body : undefined,
    });
  }
  return realFetch(uri, init);
};

// ---- the SDK ----------------------------------------------------------------
const ai = require('backend.ai-client/backend.ai-client-node.js');

// ---- value encoding ---------------------------------------------------------
async function encode(v, depth = 0) {
  if (depth > 200) return { $error: 'RangeError: nesting too deep to encode' };
  if (v === undefined) return { $undefined: true };
  if (v === null) return null;
  switch (typeof v) {
    case 'number':
      if (Number.isNaN(v)) return { $number: 'NaN' };
      if (v === Infinity) return { $number: 'Infinity' };
      if (v === -Infinity) return { $number: '-Infinity' };
      if (Object.is(v, -0)) return { $number: '-0' };
      return v;
    case 'bigint':
      return { $number: v.toString() };
    case 'string':
    case 'boolean':
      return v;
    case 'symbol':
      return String(v);
    case 'function':
      return { $function: v.name };
    default:
      break;
  }
  if (v instanceof Error) return { $error: String(v) };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof ArrayBuffer) return { $bytes: Buffer.from(v).toString('base64') };
  if (typeof Blob !== 'undefined' && v instanceof Blob) return { $bytes: Buffer.from(await v.arrayBuffer()).toString('base64') };
  if (typeof Headers !== 'undefined' && v instanceof Headers) {
    const o = {};
    for (const [k, val] of v.entries()) o[k.toLowerCase()] = val;
    return o;
  }
  if (typeof FormData !== 'undefined' && v instanceof FormData) {
    const entries = [];
    for (const [k, val] of v.entries()) entries.push([k, await encode(val, depth + 1)]);
    return { $formdata: entries };
  }
  if (v instanceof RealDate) return v.toISOString();
  if (Array.isArray(v)) {
    const out = [];
    for (const item of v) out.push(await encode(item, depth + 1));
    return out;
  }
  if (v instanceof AbortSignal) return { $abortSignal: { aborted: v.aborted } };
  const out = {};
  for (const k of Object.keys(v)) out[k] = await encode(v[k], depth + 1);
  return out;
}

// Synchronous variant for ops whose results never hold Blobs.
function encodeSync(v) {
  if (v === undefined) return { $undefined: true };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $number: 'NaN' };
    if (v === Infinity) return { $number: 'Infinity' };
    if (v === -Infinity) return { $number: '-Infinity' };
    if (Object.is(v, -0)) return { $number: '-0' };
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Error) return { $error: String(v) };
  if (Array.isArray(v)) return v.map(encodeSync);
  const out = {};
  for (const k of Object.keys(v)) out[k] = encodeSync(v[k]);
  return out;
}

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    if (keys[0] === '$undefined') return undefined;
    if (keys[0] === '$number') return jsNumber(v.$number);
    if (keys[0] === '$bytes') return Buffer.from(v.$bytes, 'base64');
  }
  const out = {};
  for (const k of keys) out[k] = decode(v[k]); // explicit undefined members are kept
  return out;
}

// Python float spellings -> JS numbers.
function jsNumber(repr) {
  if (typeof repr === 'number') return repr;
  const s = String(repr).trim();
  switch (s.toLowerCase()) {
    case 'nan': case '+nan': case '-nan': return NaN;
    case 'inf': case '+inf': case 'infinity': case '+infinity': return Infinity;
    case '-inf': case '-infinity': return -Infinity;
    default: return Number(s);
  }
}

// ---- client construction ----------------------------------------------------
const CLIENT_STATE_FIELDS = ['_apiVersion', '_apiVersionMajor', 'kernelPrefix', 'is_admin', 'is_superadmin', '_managerVersion'];

function makeClient(config) {
  config = config || {};
  const endpoint = config.endpoint === undefined ? 'http://127.0.0.1:8081' : config.endpoint;
  const cfg = new ai.backend.ClientConfig(
    config.accessKey === undefined ? 'AKIAHARNESS' : decode(config.accessKey),
    config.secretKey === undefined ? 'harness-secret' : decode(config.secretKey),
    decode(endpoint),
    config.connectionMode === undefined ? 'API' : config.connectionMode,
  );
  const client = new ai.backend.Client(cfg, config.agentSignature === undefined ? undefined : decode(config.agentSignature));
  if (config.apiVersion !== undefined) client._config._apiVersion = config.apiVersion;
  if (config.apiVersionMajor !== undefined) client._config._apiVersionMajor = config.apiVersionMajor;
  if (config.requestTimeout !== undefined) client.requestTimeout = config.requestTimeout;
  const state = config.clientState || {};
  for (const k of Object.keys(state)) {
    if (!CLIENT_STATE_FIELDS.includes(k)) throw new Error(`unknown clientState field ${k}`);
    client[k] = decode(state[k]);
  }
  return client;
}

function requestInfo(r) {
  // {method, headers (lowercase names), body, uri} of a RequestInfo built by the SDK.
  const headers = {};
  for (const [k, v] of r.headers.entries()) headers[k.toLowerCase()] = v;
  return { method: r.method, headers, body: r.body, uri: r.uri };
}

async function settle(promiseFactory, store) {
  let answer;
  try {
    const value = await promiseFactory();
    answer = { resolved: true, value: await encode(value) };
  } catch (err) {
    let error;
    if (err && typeof err === 'object' && !(err instanceof Error)) {
      error = await encode(err);
      if (err.title instanceof Error) error.title = { $error: String(err.title) };
    } else {
      error = await encode(err);
    }
    answer = { resolved: false, error };
  }
  answer.requests = await encode(store.requests.map((r) => ({
    method: r.method,
    uri: r.uri,
    headers: r.headers,
    body: r.body,
  })));
  return answer;
}

function resolveTarget(client, target) {
  const parts = String(target).split('.');
  let owner = client;
  for (const p of parts.slice(0, -1)) {
    owner = owner[p];
    if (owner === undefined || owner === null) throw new Error(`no such target: ${target}`);
  }
  const fn = owner[parts[parts.length - 1]];
  if (typeof fn !== 'function') throw new Error(`not a function: ${target}`);
  return [owner, fn];
}

function surface(config) {
  const client = makeClient(config);
  const protoNames = (obj) => Object.getOwnPropertyNames(Object.getPrototypeOf(obj)).filter((n) => n !== 'constructor');
  const result = { client: protoNames(client), namespaces: {} };
  for (const k of Object.keys(client)) {
    const v = client[k];
    if (!v || typeof v !== 'object') continue;
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null || Array.isArray(v)) continue;
    if (v instanceof ai.backend.ClientConfig || v instanceof AbortController || v instanceof AbortSignal) continue;
    result.namespaces[k] = protoNames(v);
  }
  return result;
}

// ---- ops --------------------------------------------------------------------
const OPS = {
  ping: () => 'pong',

  authString: (a) => {
    const client = makeClient(a.config);
    const args = [a.method, a.queryString, a.dateValue, a.bodyValue];
    if (a.contentType !== undefined) args.push(a.contentType);
    return client.getAuthenticationString(...args);
  },

  signKey: (a) => {
    const client = makeClient(a.config);
    const secret = a.secretKey === undefined ? client._config.secretKey : a.secretKey;
    const key = client.getSignKey(secret, new RealDate(instant(a.now)));
    return Buffer.from(key, 'binary').toString('hex');
  },

  currentDate: (a) => makeClient(a.config).getCurrentDate(new RealDate(instant(a.now))),

  signedRequest: (a) => {
    const client = makeClient(a.config);
    const body = a.body === undefined ? null : decode(a.body);
    return encodeSync(requestInfo(withClock(a.now, () => client.newSignedRequest(a.method, a.queryString, body))));
  },

  publicRequest: (a) => {
    const client = makeClient(a.config);
    const body = a.body === undefined ? null : decode(a.body);
    const r = withClock(a.now, () => client.newPublicRequest(a.method, a.queryString, body, a.urlPrefix === undefined ? '' : a.urlPrefix));
    const info = requestInfo(r);
    info.mode = r.mode;
    info.cache = r.cache;
    return encodeSync(info);
  },

  // {text}: JSON.stringify(JSON.parse(text)); {value}: the decoded value (may hold
  // undefined / NaN / Infinity / -0 via the $-encodings). Either way the object is
  // built by JSON.parse, in the key order of the text, as JS code would build it.
  stringify: (a) => encodeSync(JSON.stringify(a.text !== undefined ? JSON.parse(a.text) : decode(a.value))),

  stringifyNumber: (a) => {
    const n = jsNumber(a.repr);
    return { string: String(n), json: JSON.stringify(n), value: encodeSync(n) };
  },

  querystring: (a) => querystring.stringify(a.text !== undefined ? JSON.parse(a.text) : decode(a.value)),

  toFixed: (a) => jsNumber(a.repr).toFixed(a.digits === undefined ? 0 : a.digits),

  parseInt: (a) => encodeSync(a.radix === undefined ? parseInt(decode(a.value)) : parseInt(decode(a.value), a.radix)),

  parseFloat: (a) => encodeSync(parseFloat(decode(a.value))),

  surface: (a) => surface(a.config),

  request: (a) => {
    const store = { requests: [] };
    return als.run(store, () => settle(() => {
      const client = makeClient(a.config);
      const body = a.body === undefined ? null : decode(a.body);
      const rqst = a.signed === false
        ? client.newPublicRequest(a.method, a.path, body, '')
        : client.newSignedRequest(a.method, a.path, body);
      return client._wrapWithPromise(rqst, a.rawFile === undefined ? false : a.rawFile, null,
        a.timeout === undefined ? 0 : a.timeout, a.retry === undefined ? 0 : a.retry);
    }, store));
  },

  call: (a) => {
    const store = { requests: [] };
    return als.run(store, () => settle(async () => {
      const client = makeClient(a.config);
      const [owner, fn] = resolveTarget(client, a.target);
      const args = (a.args || []).map(decode);
      return fn.apply(owner, args);
    }, store));
  },
};

async function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    send({ id: null, ok: false, error: `bad request line: ${String(err)}` });
    return;
  }
  const id = msg.id === undefined ? null : msg.id;
  const op = OPS[msg.op];
  if (!op) {
    send({ id, ok: false, error: `unknown op ${JSON.stringify(msg.op)}` });
    return;
  }
  try {
    const result = await op(msg);
    send({ id, ok: true, result });
  } catch (err) {
    let thrown;
    try { thrown = await encode(err); } catch (e) { thrown = { $error: String(e) }; }
    send({ id, ok: false, error: String(err), thrown });
    if (process.env.HARNESS_DEBUG) toStderr(err && err.stack ? err.stack : err);
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  handle(line);
});
// When stdin closes the process ends by itself once in-flight ops are done.
process.on('unhandledRejection', (err) => toStderr('unhandledRejection:', err));
