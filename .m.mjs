import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
const schema = JSON.parse(readFileSync('schema/compose-spec.json', 'utf8'));
for (const verbose of [true, false]) {
const ajv = new Ajv({ allErrors: true, verbose, strict: true, allowUnionTypes: true, logger: false, code: { source: true, esm: true, lines: false } });
const v = ajv.compile(schema);
let code = standaloneCode.default(ajv, v);
code = code.replace('require("ajv/dist/runtime/equal").default', '__equal.default');
code = 'import __equal from "ajv/dist/runtime/equal.js";' + code.replace('"use strict";','');
writeFileSync(`${process.cwd()}/.v-${verbose}.mjs`, code);
console.log(verbose, code.length);
}
