// record.js runs every case of cases.js through jsonata-js, the reference implementation, and
// writes the results to recorded.json, which jsonata_test.go compares this package against.
// The Go tests do not need node; rerun this only after changing cases.js:
//
//   mkdir -p /tmp/jsonata-oracle && (cd /tmp/jsonata-oracle && npm install jsonata@2.2.2)
//   NODE_PATH=/tmp/jsonata-oracle/node_modules node internal/jsonata/testdata/record.js
//
// Each recorded case holds the expression, input and bindings, and either "json" (the result as
// JSON.stringify shows it, so member order and number formatting are part of the comparison; a
// function inside a result shows as "__function__"),
// "undefined": true, "function": true, or "error" (the jsonata-js error code), "message" and "position".
'use strict';
// The clock is fixed, so that $now(), $millis() and the date components $toMillis takes from
// the current time are recorded reproducibly; the Go test evaluates at the same instant.
const NOW = 1700000000123; // 2023-11-14T22:13:20.123Z
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) { if (a.length === 0) super(NOW); else super(...a); }
  static now() { return NOW; }
};
const fs = require('fs');
const path = require('path');
// jsonata-js keeps the position of a built-in's last call on the built-in itself, across
// evaluations; each case gets a fresh copy of the module so that no case sees another's.
function freshJsonata() {
  delete require.cache[require.resolve('jsonata')];
  return require('jsonata');
}
const { datasets, groups } = require('./cases.js');

const version = require('jsonata/package.json').version;
if (version !== '2.2.2') {
  throw new Error('expected jsonata 2.2.2, found ' + version);
}

function isFunction(v) {
  return typeof v === 'function' || (v && (v._jsonata_lambda === true || v._jsonata_function === true));
}

async function run(c) {
  if (process.env.TRACE) console.error(c.expr);
  const out = { group: c.group, expr: c.expr };
  if (c.data !== undefined) out.data = c.data;
  if (c.input !== undefined) out.input = c.input;
  if (c.bindings !== undefined) out.bindings = c.bindings;
  const input = c.data !== undefined ? JSON.parse(JSON.stringify(datasets[c.data])) : c.input;
  const jsonata = freshJsonata();
  try {
    const expr = jsonata(c.expr);
    const result = await expr.evaluate(input, c.bindings);
    if (result === undefined) {
      out.undefined = true;
    } else if (isFunction(result)) {
      out.function = true;
    } else {
      out.json = JSON.stringify(result, (k, v) => (isFunction(v) ? '__function__' : v));
    }
  } catch (e) {
    if (!e.code) {
      throw new Error('case ' + JSON.stringify(c.expr) + ' failed without a jsonata code: ' + e);
    }
    out.error = e.code;
    out.message = e.message;
    out.position = e.position;
  }
  return out;
}

(async () => {
  const recorded = [];
  for (const g of groups) {
    for (const item of g.cases) {
      const c = typeof item === 'string' ? { expr: item } : Object.assign({}, item);
      c.group = g.name;
      if (c.data === undefined && c.input === undefined && g.data !== undefined) c.data = g.data;
      if (c.input === undefined && g.input !== undefined && c.data === undefined) c.input = g.input;
      recorded.push(await run(c));
    }
  }
  const file = path.join(__dirname, 'recorded.json');
  fs.writeFileSync(file, JSON.stringify({ jsonata: version, now: NOW, datasets, cases: recorded }, null, 1) + '\n');
  console.log('recorded ' + recorded.length + ' cases to ' + file);
})();
