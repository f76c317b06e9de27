#!/usr/bin/env node
/*
 * The live surface of the JS SDK, for `python -m generator.sync`.
 *
 *   node generator/js_surface.js PATH/TO/backend.ai-client-node.js
 *
 * Loads the SDK with in-memory `localStorage` and `navigator` stand-ins,
 * creates `new ai.backend.Client(new ai.backend.ClientConfig('a', 'b', 'http://127.0.0.1:1'))`
 * and writes one JSON document to stdout:
 *
 *   {"client": {"class": "Client", "members": {NAME: MEMBER}},
 *    "namespaces": {ATTR: {"class": "VFolder", "attributes": {NAME: VALUE}, "members": {NAME: MEMBER}}}}
 *
 * MEMBER is {"kind": "method", "source": fn.toString()} or
 * {"kind": "getter" | "setter" | "getter+setter"}; members keep prototype order.
 * "attributes" are the namespace object's own properties but `client`, as the
 * constructor left them: a JSON value, or {"$js": util.inspect(value)} when the
 * value has no exact JSON form.
 * The parameters are parsed from "source" on the Python side (generator/sync.py).
 *
 * A namespace is an own property of the client whose value is an instance of
 * a class defined in the SDK file itself (its constructor's source text occurs
 * in the file), other than ClientConfig: this leaves out plain objects, arrays,
 * AbortController/AbortSignal and every other built-in.
 *
 * Anything the SDK prints goes to stderr; on failure the script prints one line
 * to stderr and exits with 1.
 */
'use strict';

const fs = require('fs');
const util = require('util');

const stdoutWrite = process.stdout.write.bind(process.stdout);
const toStderr = (...args) => process.stderr.write(util.format(...args) + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;

function makeStorage() {
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

function members(proto) {
  const out = {};
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d.get || d.set) {
      out[name] = { kind: d.get && d.set ? 'getter+setter' : d.get ? 'getter' : 'setter' };
    } else if (typeof d.value === 'function') {
      out[name] = { kind: 'method', source: Function.prototype.toString.call(d.value) };
    } else {
      out[name] = { kind: 'value', value: util.inspect(d.value) };
    }
  }
  return out;
}

// A JSON value whose JSON text reads back as the same JS value.
function jsonable(v) {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return Object.keys(v).length === v.length && v.every(jsonable);
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.values(v).every(jsonable);
}

function main() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node js_surface.js PATH/TO/backend.ai-client-node.js');
  const text = fs.readFileSync(file, 'utf8');
  const ai = require(require('path').resolve(file));
  const client = new ai.backend.Client(new ai.backend.ClientConfig('a', 'b', 'http://127.0.0.1:1'));
  const result = {
    client: { class: client.constructor.name, members: members(Object.getPrototypeOf(client)) },
    namespaces: {},
  };
  for (const attr of Object.getOwnPropertyNames(client)) {
    const v = client[attr];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) continue;
    if (v instanceof ai.backend.ClientConfig) continue;
    const ctor = proto.constructor;
    if (typeof ctor !== 'function') continue;
    const src = Function.prototype.toString.call(ctor);
    if (!src.startsWith('class') || !text.includes(src)) continue; // built-ins and other modules' classes
    const attributes = {};
    for (const name of Object.getOwnPropertyNames(v)) {
      if (name !== 'client') attributes[name] = jsonable(v[name]) ? v[name] : { $js: util.inspect(v[name]) };
    }
    result.namespaces[attr] = { class: ctor.name, attributes, members: members(proto) };
  }
  return result;
}

let out;
try {
  out = JSON.stringify(main());
} catch (err) {
  process.stderr.write(`js_surface: ${err && err.stack ? err.stack.split('\n')[0] : String(err)}\n`);
  process.exit(1);
}
stdoutWrite(out + '\n', () => process.exit(0));
