// Drives yilian-gateway's FHIR R4 API through one upward referral with fhir-kit-client, as an
// outside FHIR client would, and validates every resource the gateway returns (error
// OperationOutcomes included) against the R4 JSON schema.
//
//   node client_flow.mjs <baseUrl> <senderToken> <receiverToken>
//
// baseUrl is the FHIR base (http://127.0.0.1:PORT/fhir); senderToken a township clinician of
// qiaotouhe-thc, receiverToken a clinician of loudi-1st. Each step prints "ok: ..." (or
// "skip: ...") and the first failure "FAIL: ...", all on stdout (the one stream a caller has
// to read); a failure exits 1, a usage error 2, the whole flow passed 0.
// FHIR_FLOW_TIMEOUT_MS bounds each request (default 15000).
import process from 'node:process';

import { Client } from 'fhir-kit-client';

import { validate } from './validate.mjs';

const TIMEOUT_MS = Number(process.env.FHIR_FLOW_TIMEOUT_MS) || 15000;
const RECEIVER = 'Organization/loudi-1st';
const MAX_SEARCH_PAGES = 20;

class FlowFailure extends Error {}
const fail = (what) => {
  throw new FlowFailure(what);
};
const ok = (what) => console.log(`ok: ${what}`);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Per-request options for fhir-kit-client: extra headers and a deadline.
const options = (headers = {}) => ({ headers, signal: AbortSignal.timeout(TIMEOUT_MS) });

function show(body) {
  if (body === undefined) return '(no body)';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 800 ? `${text.slice(0, 800)}...` : text;
}

// Runs one fhir-kit-client call and returns what the gateway answered: { what, status, headers,
// body }, whether the client resolved or threw. On success the client returns the parsed body
// with the fetch Response under Client.httpFor(); on an HTTP error status (and on a body that
// is not JSON, whatever the status) it throws an Error whose `response` holds { status, data }
// and whose `config.headers` holds the response headers. Any JSON object answered is validated
// here, so no resource the gateway returns escapes the schema.
async function send(what, call) {
  let status;
  let headers;
  let body;
  try {
    body = await call();
    const { response } = Client.httpFor(body);
    status = response?.status;
    headers = response?.headers;
  } catch (err) {
    if (err instanceof FlowFailure) throw err;
    if (!isObject(err?.response) || typeof err.response.status !== 'number') {
      const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message ?? err.cause})` : '';
      fail(`${what}: no HTTP answer: ${err?.message ?? err}${cause}`);
    }
    status = err.response.status;
    headers = err.config?.headers;
    body = err.response.data;
  }
  if (!(headers instanceof Headers)) headers = new Headers(headers ?? {});
  // The client hands back {} for an empty body.
  if (isObject(body) && Object.keys(body).length === 0) body = undefined;
  if (isObject(body)) {
    const errors = validate(body);
    if (errors.length) {
      fail(`${what}: HTTP ${status}: the ${body.resourceType ?? 'answer'} is not valid FHIR R4:\n  ${errors.join('\n  ')}`);
    }
  }
  return { what, status, headers, body };
}

function expectResource(answer, statuses, type) {
  const { what, status, body } = answer;
  if (!statuses.includes(status)) {
    fail(`${what}: expected HTTP ${statuses.join(' or ')}, got ${status}: ${show(body)}`);
  }
  if (!isObject(body) || body.resourceType !== type) fail(`${what}: expected a ${type}, got ${show(body)}`);
  return body;
}

function expectOutcome(answer, status) {
  const outcome = expectResource(answer, [status], 'OperationOutcome');
  const issues = Array.isArray(outcome.issue) ? outcome.issue : [];
  if (!issues.some((i) => i?.severity === 'error' || i?.severity === 'fatal')) {
    fail(`${answer.what}: the OperationOutcome has no issue of severity error or fatal: ${show(outcome)}`);
  }
  const said = issues.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ');
  ok(`${answer.what}: ${status} OperationOutcome (${said})`);
  return outcome;
}

function versionOf(what, resource) {
  const v = resource.meta?.versionId;
  if (typeof v !== 'string' || v === '') fail(`${what}: the ${resource.resourceType} has no meta.versionId`);
  return v;
}

// The ETag must be W/"<n>" naming `version`; an absent one fails only when `required`.
function checkEtag(answer, version, required) {
  const etag = answer.headers.get('etag');
  if (etag === null) {
    if (required) fail(`${answer.what}: no ETag header`);
    return;
  }
  const m = /^W\/"(\d+)"$/.exec(etag);
  if (!m) fail(`${answer.what}: ETag ${etag} is not W/"<n>"`);
  if (m[1] !== version) fail(`${answer.what}: ETag ${etag} but meta.versionId ${version}`);
}

const follows = (next, prev) =>
  /^\d+$/.test(next) && /^\d+$/.test(prev) ? BigInt(next) > BigInt(prev) : next !== prev;

async function run(baseUrl, senderToken, receiverToken) {
  const suffix = `${Date.now()}-${process.pid}`;
  const rid = `fhir-flow-${suffix}`;
  const patient = { identifier: { system: 'urn:yilian:patient', value: `pt-fhir-${suffix}` } };
  const sender = new Client({ baseUrl, bearerToken: senderToken });
  const receiver = new Client({ baseUrl, bearerToken: receiverToken });
  const stranger = new Client({ baseUrl, bearerToken: `not-a-token-${suffix}` });

  // a. The CapabilityStatement.
  const capAnswer = await send('GET /metadata', () => sender.capabilityStatement(options()));
  const cap = expectResource(capAnswer, [200], 'CapabilityStatement');
  if (cap.fhirVersion !== '4.0.1') fail(`GET /metadata: fhirVersion ${cap.fhirVersion}, not 4.0.1`);
  const taskEntries = (cap.rest ?? []).flatMap((r) => r.resource ?? []).filter((r) => r.type === 'Task');
  if (taskEntries.length === 0) fail('GET /metadata: the CapabilityStatement lists no Task resource');
  const interactions = new Set(taskEntries.flatMap((r) => (r.interaction ?? []).map((i) => i.code)));
  const wanted = ['read', 'search-type', 'create', 'patch'];
  const missing = wanted.filter((c) => !interactions.has(c));
  if (missing.length) fail(`GET /metadata: Task lacks the interactions ${missing.join(', ')}`);
  ok(`GET /metadata: CapabilityStatement, FHIR 4.0.1, Task with ${wanted.join(', ')}`);

  // b. The sender creates the referral, twice with the same If-None-Exist.
  const referral = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    identifier: [{ system: 'urn:yilian:request', value: rid }],
    contained: [
      {
        resourceType: 'ServiceRequest',
        id: 'sr',
        status: 'active',
        intent: 'order',
        category: [{ coding: [{ system: 'urn:yilian:referral-direction', code: 'upward' }] }],
        code: { coding: [{ system: 'urn:yilian:service-kind', code: 'examination' }] },
        reasonCode: [{ text: 'suspected ischaemic stroke, CT needed' }],
        subject: patient,
      },
    ],
    focus: { reference: '#sr' },
    for: patient,
    owner: { reference: RECEIVER },
  };
  const own = validate(referral);
  if (own.length) fail(`the flow's own Task is not valid FHIR R4:\n  ${own.join('\n  ')}`);
  const ifNoneExist = `identifier=urn:yilian:request|${rid}`;
  const createReferral = () =>
    sender.create({ resourceType: 'Task', body: referral, options: options({ 'If-None-Exist': ifNoneExist }) });

  const created = await send('POST /Task (If-None-Exist)', createReferral);
  const task = expectResource(created, [201], 'Task');
  const id = task.id;
  if (typeof id !== 'string' || id === '') fail(`${created.what}: the Task has no id`);
  if (task.status !== 'requested') fail(`${created.what}: status ${task.status}, not requested`);
  let version = versionOf(created.what, task);
  checkEtag(created, version, true);
  const location = created.headers.get('location');
  if (!location?.includes(`Task/${id}`)) fail(`${created.what}: Location ${location} does not name Task/${id}`);
  ok(`POST /Task: 201, Task/${id} requested, version ${version}, Location ${location}`);

  const again = await send('POST /Task again (same If-None-Exist)', createReferral);
  const same = expectResource(again, [200, 201], 'Task');
  if (same.id !== id) fail(`${again.what}: answered Task/${same.id}, not the existing Task/${id}`);
  if (same.meta?.versionId !== version) {
    fail(`${again.what}: Task/${id} is at version ${same.meta?.versionId}, was ${version}: the repeat changed it`);
  }
  ok(`POST /Task again: ${again.status}, the same Task/${id} at version ${version}`);

  // c. The receiver finds it among its requested Tasks, and reads it.
  const searchParams = { owner: RECEIVER, status: 'requested', _count: 50 };
  const searchWhat = `GET /Task?owner=${RECEIVER}&status=requested&_count=50`;
  const searchPage = (answer) => {
    const bundle = expectResource(answer, [200], 'Bundle');
    if (bundle.type !== 'searchset') fail(`${answer.what}: Bundle.type ${bundle.type}, not searchset`);
    const tasks = (bundle.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Task');
    const wrong = tasks.find((t) => t.status !== 'requested');
    if (wrong) fail(`${answer.what}: Task/${wrong.id} matched status=requested with status ${wrong.status}`);
    return { bundle, tasks };
  };
  let page = searchPage(
    await send(searchWhat, () => receiver.search({ resourceType: 'Task', searchParams, options: options() })),
  );
  let seen = page.tasks.length;
  let pages = 1;
  while (!page.tasks.some((t) => t.id === id)) {
    const hasNext = (page.bundle.link ?? []).some((l) => l.relation === 'next');
    if (!hasNext || pages >= MAX_SEARCH_PAGES) {
      fail(`${searchWhat}: ${seen} Task(s) in ${pages} page(s), Task/${id} not among them`);
    }
    const bundle = page.bundle;
    pages += 1;
    page = searchPage(
      await send(`${searchWhat} (page ${pages})`, () => receiver.nextPage({ bundle, options: options() })),
    );
    seen += page.tasks.length;
  }
  ok(`${searchWhat}: searchset Bundle holding Task/${id} (page ${pages})`);

  const readAnswer = await send(`GET /Task/${id}`, () => receiver.read({ resourceType: 'Task', id, options: options() }));
  const read = expectResource(readAnswer, [200], 'Task');
  if (read.id !== id || read.status !== 'requested' || read.meta?.versionId !== version) {
    fail(`${readAnswer.what}: expected Task/${id} requested at version ${version}, got ${show(read)}`);
  }
  checkEtag(readAnswer, version, false);
  ok(`GET /Task/${id}: requested, version ${version}`);

  // d. The receiver moves it through its states with JSON Patch; e. with the errors on the way.
  const versions = [version];
  const patch = (label, jsonPatch, ifMatch) =>
    send(`PATCH /Task/${id} (${label})`, () =>
      receiver.patch({ resourceType: 'Task', id, jsonPatch, options: options({ 'If-Match': `W/"${ifMatch}"` }) }),
    );
  const transition = async (label, jsonPatch, status, check) => {
    const answer = await patch(label, jsonPatch, version);
    const t = expectResource(answer, [200], 'Task');
    if (t.id !== id) fail(`${answer.what}: answered Task/${t.id}`);
    if (t.status !== status) fail(`${answer.what}: status ${t.status}, not ${status}`);
    const next = versionOf(answer.what, t);
    if (!follows(next, version)) fail(`${answer.what}: version ${next} does not follow ${version}`);
    checkEtag(answer, next, false);
    check?.(t, answer.what);
    version = next;
    versions.push(next);
    ok(`PATCH /Task/${id} (${label}): ${status}, version ${next}`);
  };
  const setStatus = (status) => ({ op: 'replace', path: '/status', value: status });

  await transition('accepted', [setStatus('accepted')], 'accepted');

  const start = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const toReady = [setStatus('ready'), { op: 'add', path: '/restriction', value: { period: { start } } }];
  // The same patch, valid in itself, against the first version: only the precondition fails it.
  expectOutcome(await patch(`ready, stale If-Match W/"${versions[0]}"`, toReady, versions[0]), 412);
  await transition('ready, restriction.period.start', toReady, 'ready', (t, what) => {
    const got = t.restriction?.period?.start;
    if (typeof got !== 'string' || Date.parse(got) !== Date.parse(start)) {
      fail(`${what}: restriction.period.start ${got}, sent ${start}`);
    }
  });
  await transition('in-progress', [setStatus('in-progress')], 'in-progress');
  const outcomeText = 'CT: no haemorrhage; treated';
  const toCompleted = [
    setStatus('completed'),
    { op: 'add', path: '/output', value: [{ type: { text: 'outcome' }, valueString: outcomeText }] },
  ];
  await transition('completed, output', toCompleted, 'completed', (t, what) => {
    if (!(t.output ?? []).some((o) => o?.valueString === outcomeText)) fail(`${what}: no output "${outcomeText}"`);
  });

  expectOutcome(await patch('completed -> accepted', [setStatus('accepted')], version), 422);
  const after = await send(`GET /Task/${id} after the refused patch`, () =>
    receiver.read({ resourceType: 'Task', id, options: options() }),
  );
  const unchanged = expectResource(after, [200], 'Task');
  if (unchanged.status !== 'completed' || unchanged.meta?.versionId !== version) {
    fail(`${after.what}: expected completed at version ${version}, got ${unchanged.status} at ${unchanged.meta?.versionId}`);
  }
  ok(`GET /Task/${id}: still completed at version ${version}`);

  expectOutcome(
    await send('POST /Task with a body that is not JSON', () =>
      sender.create({ resourceType: 'Task', body: '{"resourceType": "Task", status', options: options() }),
    ),
    400,
  );
  expectOutcome(
    await send('POST /Task with a Patient', () =>
      sender.create({
        resourceType: 'Task',
        body: { resourceType: 'Patient', identifier: [patient.identifier] },
        options: options(),
      }),
    ),
    400,
  );
  expectOutcome(
    await send('GET /Task/does-not-exist', () =>
      receiver.read({ resourceType: 'Task', id: 'does-not-exist', options: options() }),
    ),
    404,
  );
  expectOutcome(
    await send(`GET /Task/${id} with a wrong bearer token`, () =>
      stranger.read({ resourceType: 'Task', id, options: options() }),
    ),
    401,
  );

  // f. One history entry per version.
  const histAnswer = await send(`GET /Task/${id}/_history`, () =>
    receiver.history({ resourceType: 'Task', id, options: options() }),
  );
  if (histAnswer.status === 404 || histAnswer.status === 501) {
    console.log(`skip: history not served (${histAnswer.what}: ${histAnswer.status})`);
  } else {
    const history = expectResource(histAnswer, [200], 'Bundle');
    if (history.type !== 'history') fail(`${histAnswer.what}: Bundle.type ${history.type}, not history`);
    const entries = history.entry ?? [];
    if (entries.length < versions.length) {
      fail(`${histAnswer.what}: ${entries.length} entries for the ${versions.length} versions ${versions.join(', ')}`);
    }
    const other = entries.map((e) => e.resource).find((r) => r && (r.resourceType !== 'Task' || r.id !== id));
    if (other) fail(`${histAnswer.what}: an entry holds ${other.resourceType}/${other.id}`);
    ok(`${histAnswer.what}: history Bundle with ${entries.length} entries`);
  }
}

const args = process.argv.slice(2);
if (args.length !== 3 || args.some((a) => a === '')) {
  console.error('usage: node client_flow.mjs <baseUrl> <senderToken> <receiverToken>');
  process.exit(2);
}
try {
  new URL(args[0]);
} catch {
  console.error(`client_flow: not a URL: ${args[0]}`);
  process.exit(2);
}
try {
  await run(...args);
  ok('FHIR client flow complete');
  process.exit(0);
} catch (err) {
  console.log(`FAIL: ${err instanceof FlowFailure ? err.message : (err?.stack ?? err)}`);
  process.exit(1);
}
