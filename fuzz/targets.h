#pragma once
// The fuzz targets' bodies: plain functions over arbitrary bytes, so the GCC build runs them
// over the seed corpora and the crash regressions (fuzz_regression_test) and the clang build
// wraps each in LLVMFuzzerTestOneInput (fuzz_main.cc). Each returns 0 and must never crash,
// hang or trip a sanitizer, whatever the bytes; an invariant the production code relies on
// (listed with each target) is checked with Require (abort on failure).
// The input layouts are in each target's file; FuzzInput (fuzz_input.h) reads them.
// Not thread-safe (the targets share a scratch store); call them from one thread.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace yilian::fuzz {

// (a) Parsing and decoding hostile wire data.
// A Kafka message as BusConsumer reads it (headers, hash, envelope, its topic's source) and,
// once it parses, what every consumer's projector does with it (the green channel's and the
// referral's intake, the audit's archive inbox), and the archiver's parse.
int FuzzEnvelope(const uint8_t* data, size_t size);
// An entry of the audit archive's journal (another service's entry inside an ArchivedEvent, or
// anything): audit::Unpack, the archive's IndexProjector, the JSON export of the entry.
int FuzzArchiveEntry(const uint8_t* data, size_t size);
// Kafka messages through the bus consumer's Applier, signed with the source's key, another
// secret, input bytes or nothing. Invariant: nothing that fails verification moves a
// partition's watermark or applies anything; it is parked and counted.
int FuzzBusVerify(const uint8_t* data, size_t size);

// (b) Command validation: the domain cores' decide functions, with a fuzzed registry directory
// and a fuzzed current state. Invariant: the events a successful command returns fold into the
// state with Evolve (the services answer INTERNAL otherwise).
int FuzzRegistryCommands(const uint8_t* data, size_t size);
int FuzzReferralCommands(const uint8_t* data, size_t size);
int FuzzGreenchannelCommands(const uint8_t* data, size_t size);
// The audit service's request handling over a small fixed archive: StateAsOf, the compliance
// report, export and the replay index walks, with fuzzed requests.
int FuzzAuditRequests(const uint8_t* data, size_t size);

// (c) The consumers' event handling: sequences of events (payloads parsed from the bytes)
// through the projectors the services run for bus events, the Evolve functions, and what is
// computed from the folded state (timers, clocks, free beds, registry mirror queries).
int FuzzRegistryEvents(const uint8_t* data, size_t size);
int FuzzReferralEvents(const uint8_t* data, size_t size);
int FuzzGreenchannelEvents(const uint8_t* data, size_t size);

struct Target {
  const char* name;  // fuzz/corpus/<name>, fuzz/regressions/<name>, binary fuzz_<name>
  int (*fn)(const uint8_t* data, size_t size);
};
const std::vector<Target>& AllTargets();

// Aborts (so libFuzzer records the input) when an invariant fails, saying which.
void Require(bool ok, const char* what);

}  // namespace yilian::fuzz
