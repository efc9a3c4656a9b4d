#!/usr/bin/env bash
# The short scenario scripts/run.sh shows once the platform is up, through yilianctl:
#   1. an upward referral from a township health centre of the Loudi alliance to the lead
#      hospital: accepted, scheduled with a bed (the bed board answers by event), the patient
#      arrives, completed with a downward referral to the patient's community centre; then the
#      lead hospital's worklist watch, replayed from before the submission, shows every change;
#   2. a stroke case opened by 120 dispatch: a bed hold in the nearest capable hospital, which
#      sees it on its inbound list (with the ETA) and acknowledges the pre-notification; the
#      arrival and the door-to-needle time;
#   3. an auditor replays that referral's history and verifies the archive's chain;
#   4. when the FHIR gateway runs ($YILIAN_HOME/gateway.addr), a hospital system does a
#      referral over FHIR R4 with curl: creates the Task, the receiver finds it on its worklist
#      search and accepts it with a JSON Patch.
# Every command carries a fixed request id and the times of the first run are kept in
# $YILIAN_HOME/demo.times, so a second run shows the same results and adds nothing.
# DEMO_RUN=tag runs the scenario afresh (its own patient, request ids and so referral and case).
set -euo pipefail
cd "$(dirname "$0")/.."
H=${YILIAN_HOME:-$(pwd)/.yilian}
export YILIAN_HOME=$H
CTL=${YILIANCTL:-$(pwd)/${YILIAN_BUILD_DIR:-build}/tools/yilianctl}
as() { local who=$1; shift; "$CTL" --token-file "$H/$who.token" "$@"; }
say() { printf '    %s\n' "$*"; }
indent() { sed 's/^/      /'; }
wait_for() {  # wait_for WHAT COMMAND...: until the command prints something non-empty and not "false"
  local what=$1; shift
  for _ in $(seq 1 600); do  # up to two minutes: a restarted consumer may wait for its group
    local v
    v=$("$@" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" != "false" ] && { echo "$v"; return 0; }
    sleep 0.2
  done
  echo "timed out waiting for $what" >&2
  return 1
}

# Times of the first run, reused so the requests stay identical.
if [ ! -s "$H/demo.times" ]; then
  now=$(($(date +%s) * 1000))
  echo "NOW=$now" >"$H/demo.times"
fi
# shellcheck source=/dev/null
. "$H/demo.times"
# An instant `$1` milliseconds after the first run's start, as RFC 3339 (how the API takes times).
at() { date -u -d "@$(((NOW + $1) / 1000))" +%Y-%m-%dT%H:%M:%SZ; }
RUN=${DEMO_RUN:+-$DEMO_RUN}
PATIENT=pt-demo-7f3a9c$RUN

echo "  1. two-way referral: Qiaotouhe township health centre -> Loudi First People's Hospital"
# Where the referral journal stands before this run's referral: the worklist watch below replays
# from there (kept, like the times, so a second run shows the same).
[ -s "$H/demo$RUN.watch-from" ] || as service feed head --on referral --get head_sequence >"$H/demo$RUN.watch-from"
WATCH_FROM=$(cat "$H/demo$RUN.watch-from")
as admin registry enrol-resident --set resident.patient.value="$PATIENT" \
  --set resident.family_doctor_institution_id=qiaotouhe-mining-chc --set resident.team=family-doctors-2 \
  --set "resident.signed_at=\"2026-01-05T00:00:00Z\"" --set request_id="demo$RUN-enrol" --get resident.patient.value >/dev/null
# The referral service learns the registry by event: wait until it knows the patient's centre.
ID=$(wait_for "the referral service to follow the registry" \
  as township referral submit --set referral.direction=UPWARD --set referral.receiver_institution_id=loudi-1st \
  --set referral.patient.value="$PATIENT" --set "referral.reason=left-sided weakness for two days" \
  --set 'referral.diagnoses=[{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I63.9", "display": "Cerebral infarction"}]' --set referral.priority=URGENT \
  --set referral.requested_service=INPATIENT_BED --set request_id="demo$RUN-submit" --get referral.referral_id)
say "submitted $ID (upward, urgent, inpatient bed)"
as lead referral accept --set referral_id="$ID" --set request_id="demo$RUN-accept" --get referral.status | sed 's/^/    lead hospital: /'
# The bed board, too, learns the wards by event: wait until it has the lead hospital's.
wait_for "the bed board to follow the registry" \
  as dispatch greenchannel get-bed-board --set institution_id=loudi-1st --set ward_kind=WARD_GENERAL \
  --get wards.0.board.ward_id >/dev/null
as lead referral schedule --set referral_id="$ID" --set request_id="demo$RUN-bed" --set bed.ward_kind=WARD_GENERAL \
  --set bed.planned_admission_at="$(at $((3 * 3600 * 1000)))" --get referral.schedule.bed_request_id |
  sed 's/^/    bed asked of the bed board: /'
status=$(wait_for "the bed board's answer" sh -c \
  "\"$CTL\" --token-file \"$H/lead.token\" referral get-referral --set referral_id=$ID --get referral.referral.status | grep -v -x -e ACCEPTED -e ''")
say "bed board answered; referral is $status"
as lead referral record-arrival --set referral_id="$ID" --set request_id="demo$RUN-arrive" --get referral.status |
  sed 's/^/    patient arrived: /'
as lead referral complete --set referral_id="$ID" --set request_id="demo$RUN-complete" \
  --set "outcome_summary=ischaemic stroke; secondary prevention started; rehab at home" \
  --set downward.receiver_institution_id=qiaotouhe-mining-chc --set downward.requested_service=TELE_CONSULTATION \
  --get referral.linked_to | sed 's/^/    completed; downward referral to the community centre: /'
echo "    timeline:"
as township referral get-referral --set referral_id="$ID" | sed -n '/^timeline/,$p' | cut -c1-150 | indent
# The lead hospital's incoming worklist as a watch: resumed from before the submission, it sends
# each change of its referrals once, in order; the stream then waits (ended here after 3 s).
changes=$( (as lead referral watch-worklist --set side=INCOMING --set resume_after="${WATCH_FROM:-0}" --timeout 3 \
  --get event_type 2>/dev/null || true) | { grep -v '^$' || true; } | tr '\n' ' ')
say "the lead hospital's worklist watch saw: $changes"

echo "  2. emergency green channel: a stroke in Loudi city, dispatched by 120"
wait_for "the bed board's stroke units" \
  as dispatch greenchannel get-bed-board --set ward_kind=WARD_STROKE_UNIT --get wards.2.board.ward_id >/dev/null
CASE=$(as dispatch greenchannel open-case --set condition=STROKE --set severity=2 --set location.latitude=27.74 \
  --set location.longitude=112.02 --set first_medical_contact_at="$(at $((-20 * 60000)))" \
  --set dispatch_centre=120-loudi --set request_id="demo$RUN-stroke-city" --get emergency_case.case_id)
DEST=$(as dispatch greenchannel get-case --set case_id="$CASE" --get current.emergency_case.placement.institution_id)
say "case $CASE: bed held at $DEST ($(as dispatch greenchannel get-case --set case_id="$CASE" \
  --get current.emergency_case.placement.step))"
# The destination's emergency department sees what is coming to its door, and acknowledges.
inbound=$(as dispatch greenchannel list-inbound-cases --set institution_id="$DEST" --get cases.0.emergency_case.case_id)
[ -n "$inbound" ] && say "inbound at $DEST: $inbound, ETA $(as dispatch greenchannel list-inbound-cases \
  --set institution_id="$DEST" --get cases.0.eta | { read -r eta; date -d "$eta" +%H:%M; })"
if [ "$DEST" = loudi-1st ]; then
  as lead greenchannel acknowledge-case --set case_id="$CASE" --set request_id="demo$RUN-ack" \
    --get emergency_case.acknowledged_by | sed 's/^/    pre-notification acknowledged by /'
fi
as dispatch greenchannel record-milestone --set case_id="$CASE" --set milestone=ARRIVAL --set at="$(at 0)" \
  --set request_id="demo$RUN-arrival" --get emergency_case.case_id >/dev/null
as dispatch greenchannel record-milestone --set case_id="$CASE" --set milestone=NEEDLE --set at="$(at $((38 * 60000)))" \
  --set request_id="demo$RUN-needle" --get emergency_case.case_id >/dev/null
say "door-to-needle: $(as dispatch greenchannel get-case --set case_id="$CASE" --get current.clocks.door_to_needle_min) min" \
  "(target 60, met: $(as dispatch greenchannel get-case --set case_id="$CASE" --get current.clocks.target_met))"

echo "  3. audit: the referral's history from the archive, and the chain verified"
wait_for "the audit archive" sh -c "\"$CTL\" --token-file \"$H/auditor.token\" audit replay \
  --set aggregate.source_service=referral --set aggregate.aggregate_type=referral --set aggregate.aggregate_id=$ID \
  --set 'event_types=[\"ReferralCompleted\"]' --get entries.0.position" >/dev/null
as auditor audit replay --set aggregate.source_service=referral --set aggregate.aggregate_type=referral \
  --set aggregate.aggregate_id="$ID" | cut -c1-150 | indent
say "verify: $(as auditor audit verify | grep -E '^(intact|behind|checked|head_position|bad_position):' | tr '\n' ' ')"

if [ -s "$H/gateway.addr" ]; then
  FHIR=$(cat "$H/gateway.addr")
  echo "  4. the same workflow over FHIR R4 (the gateway at $FHIR), with curl"
  # fhir METHOD PATH WHO [curl args...]: the body, then the HTTP status on a line of its own.
  fhir() {
    local method=$1 path=$2 who=$3
    shift 3
    curl -sS -X "$method" "$FHIR$path" -H "Authorization: Bearer $(cat "$H/$who.token")" -w '\n%{http_code}\n' "$@"
  }
  created=$(fhir POST /Task township -H 'Content-Type: application/fhir+json' \
    -H "If-None-Exist: identifier=urn:yilian:request|demo$RUN-fhir" --data-binary @- <<JSON
{"resourceType":"Task","status":"requested","intent":"order","priority":"urgent",
 "contained":[{"resourceType":"ServiceRequest","id":"sr","status":"active","intent":"order",
   "category":[{"coding":[{"system":"urn:yilian:referral-direction","code":"upward"}]}],
   "code":{"coding":[{"system":"urn:yilian:service-kind","code":"examination"}]},
   "reasonCode":[{"text":"chest pain on exertion, exercise ECG requested"}],
   "subject":{"identifier":{"system":"urn:yilian:patient","value":"$PATIENT-fhir"}}}],
 "focus":{"reference":"#sr"},
 "for":{"identifier":{"system":"urn:yilian:patient","value":"$PATIENT-fhir"}},
 "owner":{"reference":"Organization/loudi-1st"}}
JSON
  )
  TASK=$(printf '%s' "$created" | grep -o '"id":"ref-[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
  [ -n "$TASK" ] || { echo "FHIR create failed: $created" >&2; exit 1; }
  say "POST /Task (township HIS): HTTP $(printf '%s' "$created" | tail -n 1), Task/$TASK"
  found=$(fhir GET "/Task?owner=Organization/loudi-1st&_count=100" lead)
  say "GET /Task?owner=Organization/loudi-1st (lead hospital): HTTP $(printf '%s' "$found" | tail -n 1)," \
    "$(printf '%s' "$found" | grep -c "\"id\":\"$TASK\"" || true) match for Task/$TASK"
  accepted=$(fhir PATCH "/Task/$TASK" lead -H 'Content-Type: application/json-patch+json' \
    --data-binary '[{"op":"replace","path":"/status","value":"accepted"}]')
  say "PATCH /Task/$TASK status=accepted: HTTP $(printf '%s' "$accepted" | tail -n 1)," \
    "status now $(printf '%s' "$accepted" | grep -o '"status":"[a-z-]*"' | tail -n 1 | cut -d'"' -f4)"
fi
