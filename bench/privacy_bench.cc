// What sealing patient identity costs (libs/privacy), on a real vault in a temp dir:
//   - the first identity of a patient makes their data key: one synced RocksDB write;
//   - sealing and revealing for a known patient (key cached): AES-256-GCM over ~100 bytes;
//   - erasing a patient: a synced delete, a flush and a compaction of the vault.
// Prints figures; never fails on a timing.
#include <cstdio>
#include <string>

#include "bench_util.h"
#include "yilian/privacy/aes_gcm.h"
#include "yilian/privacy/identity.h"
#include "yilian/testing/temp_dir.h"

using namespace yilian;

int main(int argc, char** argv) {
  const int patients = argc > 1 ? std::atoi(argv[1]) : 2000;
  testing::TempDir dir;
  auto vault = privacy::KeyVault::Open(dir.Sub("keys"), privacy::RandomBytes(privacy::kKeyBytes));
  if (!vault.ok()) return std::fprintf(stderr, "%s\n", vault.status().ToString().c_str()), 1;
  common::v1::PatientIdentity id;
  id.set_name("张三丰 Zhang Sanfeng");
  id.set_national_id("430181199001011234");
  id.set_phone("+86 138 0000 1234");
  id.set_address("湖南省娄底市乔头河镇 7 号");
  auto ref = [](int i) {
    common::v1::PatientRef r;
    r.set_value("pt-bench-" + std::to_string(i));
    return r;
  };
  std::vector<common::v1::SealedIdentity> sealed(patients);
  auto t = bench::SteadyClock::now();
  for (int i = 0; i < patients; ++i) sealed[i] = **privacy::SealIdentity(**vault, ref(i), id);
  const double first = bench::Seconds(t);
  t = bench::SteadyClock::now();
  const int rounds = 20;
  for (int r = 0; r < rounds; ++r)
    for (int i = 0; i < patients; ++i) sealed[i] = **privacy::SealIdentity(**vault, ref(i), id);
  const double again = bench::Seconds(t);
  t = bench::SteadyClock::now();
  int shown = 0;
  for (int r = 0; r < rounds; ++r)
    for (int i = 0; i < patients; ++i)
      shown += privacy::RevealIdentity(**vault, ref(i), sealed[i], true).state() == common::v1::IDENTITY_SHOWN;
  const double reveal = bench::Seconds(t);
  t = bench::SteadyClock::now();
  const int erasures = std::min(patients, 100);
  for (int i = 0; i < erasures; ++i) (void)(*vault)->Erase(ref(i).value(), 0);
  const double erase = bench::Seconds(t);
  std::printf("patients: %d (identity %zu bytes, sealed %zu bytes)\n", patients, id.ByteSizeLong(),
              sealed[0].ByteSizeLong());
  std::printf("first seal (makes the key, synced write): %.3f ms each\n", first * 1e3 / patients);
  std::printf("seal, key known:                          %.2f us each (%.0f/s)\n", again * 1e6 / (rounds * patients),
              rounds * patients / again);
  std::printf("reveal:                                   %.2f us each (%.0f/s; %d shown)\n",
              reveal * 1e6 / (rounds * patients), rounds * patients / reveal, shown);
  std::printf("erase (delete, flush, compact):           %.2f ms each\n", erase * 1e3 / erasures);
  return 0;
}
