// libs/privacy on a real RocksDB vault in a temp dir: sealing, who may see what, a wrong
// master key, and erasure leaving no live file with the key in it.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "yilian/privacy/aes_gcm.h"
#include "yilian/privacy/identity.h"
#include "yilian/privacy/master_key.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::privacy {

namespace cv1 = ::yilian::common::v1;
namespace {

cv1::PatientRef Ref(const std::string& v) {
  cv1::PatientRef r;
  r.set_value(v);
  return r;
}

cv1::PatientIdentity Person() {
  cv1::PatientIdentity id;
  id.set_name("张三丰 Zhang Sanfeng");
  id.set_national_id("430181199001011234");
  id.set_phone("+86 138 0000 1234");
  id.set_address("湖南省娄底市乔头河镇");
  return id;
}

// Every byte of every file under `dir`, concatenated.
std::string AllBytes(const std::string& dir) {
  std::string all;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

TEST(AesGcm, OpensOnlyWithItsKeyAndAdditionalData) {
  const std::string key = RandomBytes(kKeyBytes);
  auto sealed = Seal(key, "secret", "p-1");
  ASSERT_OK(sealed.status());
  EXPECT_EQ(sealed->nonce.size(), kNonceBytes);
  EXPECT_EQ(sealed->ciphertext.find("secret"), std::string::npos);
  auto plain = Open(key, *sealed, "p-1");
  ASSERT_OK(plain.status());
  EXPECT_EQ(*plain, "secret");
  EXPECT_CODE(Open(key, *sealed, "p-2").status(), kDataLoss);
  EXPECT_CODE(Open(RandomBytes(kKeyBytes), *sealed, "p-1").status(), kDataLoss);
  Sealed altered = *sealed;
  altered.ciphertext[0] ^= 1;
  EXPECT_CODE(Open(key, altered, "p-1").status(), kDataLoss);
  EXPECT_CODE(Seal("short", "x", "").status(), kInvalidArgument);
}

TEST(MasterKey, ReadsHexAndRefusesAnythingElse) {
  testing::TempDir dir;
  const std::string hex = NewMasterKeyHex();
  std::ofstream(dir.Sub("good")) << hex << "\n";
  auto key = LoadMasterKey(dir.Sub("good"));
  ASSERT_OK(key.status());
  EXPECT_EQ(key->size(), kKeyBytes);
  std::ofstream(dir.Sub("bad")) << "not-a-key";
  EXPECT_CODE(LoadMasterKey(dir.Sub("bad")).status(), kFailedPrecondition);
  EXPECT_CODE(LoadMasterKey(dir.Sub("missing")).status(), kFailedPrecondition);
}

TEST(KeyVault, SealsAndRevealsToAllowedCallersOnly) {
  testing::TempDir dir;
  auto vault = KeyVault::Open(dir.Sub("keys"), RandomBytes(kKeyBytes));
  ASSERT_OK(vault.status());
  auto sealed = SealIdentity(**vault, Ref("p-1"), Person());
  ASSERT_OK(sealed.status());
  ASSERT_TRUE(sealed->has_value());
  EXPECT_EQ((*sealed)->SerializeAsString().find("430181199001011234"), std::string::npos);

  auto shown = RevealIdentity(**vault, Ref("p-1"), **sealed, true);
  EXPECT_EQ(shown.state(), cv1::IDENTITY_SHOWN);
  EXPECT_EQ(shown.identity().national_id(), "430181199001011234");
  EXPECT_EQ(shown.identity().name(), Person().name());
  EXPECT_EQ(RevealIdentity(**vault, Ref("p-1"), **sealed, false).state(), cv1::IDENTITY_WITHHELD);
  EXPECT_FALSE(RevealIdentity(**vault, Ref("p-1"), **sealed, false).has_identity());
  // Sealed for p-1, it does not open as p-2's (who has a key of their own).
  ASSERT_OK(SealIdentity(**vault, Ref("p-2"), Person()).status());
  EXPECT_EQ(RevealIdentity(**vault, Ref("p-2"), **sealed, true).state(), cv1::IDENTITY_UNAVAILABLE);
  EXPECT_EQ(RevealIdentity(**vault, Ref("p-1"), cv1::SealedIdentity(), true).state(), cv1::IDENTITY_NONE);
}

TEST(KeyVault, RefusesBadIdentityWithoutEchoingIt) {
  testing::TempDir dir;
  auto vault = KeyVault::Open(dir.Sub("keys"), RandomBytes(kKeyBytes));
  ASSERT_OK(vault.status());
  EXPECT_CODE(SealIdentity(**vault, Ref(""), Person()).status(), kInvalidArgument);
  auto long_id = Person();
  long_id.set_national_id(std::string(40, '7'));
  auto s = SealIdentity(**vault, Ref("p-1"), long_id).status();
  EXPECT_CODE(s, kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).find("7777"), std::string::npos) << s;
  auto none = SealIdentity(**vault, Ref("p-1"), cv1::PatientIdentity());
  ASSERT_OK(none.status());
  EXPECT_FALSE(none->has_value());
}

TEST(KeyVault, KeysSurviveReopenAndAnotherMasterKeyIsRefused) {
  testing::TempDir dir;
  const std::string master = RandomBytes(kKeyBytes);
  std::optional<cv1::SealedIdentity> sealed;
  {
    auto vault = KeyVault::Open(dir.Sub("keys"), master);
    ASSERT_OK(vault.status());
    auto s = SealIdentity(**vault, Ref("p-1"), Person());
    ASSERT_OK(s.status());
    sealed = **s;
  }
  EXPECT_CODE(KeyVault::Open(dir.Sub("keys"), RandomBytes(kKeyBytes)).status(), kFailedPrecondition);
  auto vault = KeyVault::Open(dir.Sub("keys"), master);
  ASSERT_OK(vault.status());
  EXPECT_EQ(RevealIdentity(**vault, Ref("p-1"), *sealed, true).identity().phone(), Person().phone());
}

TEST(KeyVault, ErasureDestroysTheKeyInEveryLiveFileAndIsFinal) {
  testing::TempDir dir;
  const std::string master = RandomBytes(kKeyBytes);
  auto vault = KeyVault::Open(dir.Sub("keys"), master);
  ASSERT_OK(vault.status());
  auto sealed = SealIdentity(**vault, Ref("p-1"), Person());
  ASSERT_OK(sealed.status());
  ASSERT_OK(SealIdentity(**vault, Ref("p-2"), Person()).status());
  // The wrapped key as stored (read beside the vault; read-only opens take no lock).
  std::string wrapped;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir.Sub("keys"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "k/p-1", &wrapped).ok());
  }
  ASSERT_GE(wrapped.size(), kNonceBytes + kKeyBytes);
  ASSERT_NE(AllBytes(dir.Sub("keys")).find(wrapped), std::string::npos);  // the scan below can see it

  ASSERT_OK((*vault)->Erase("p-1", 1234));
  ASSERT_OK((*vault)->Erase("p-1", 1235));  // idempotent
  EXPECT_EQ(RevealIdentity(**vault, Ref("p-1"), **sealed, true).state(), cv1::IDENTITY_ERASED);
  EXPECT_CODE(SealIdentity(**vault, Ref("p-1"), Person()).status(), kFailedPrecondition);
  auto gone = (*vault)->Find("p-1");
  ASSERT_OK(gone.status());
  EXPECT_FALSE(gone->has_value());
  // The other patient is untouched.
  ASSERT_OK((*vault)->Find("p-2").status());
  EXPECT_TRUE((*vault)->Find("p-2")->has_value());
  // The wrapped key is in no live file of the vault any more (WAL, SST, anything).
  EXPECT_EQ(AllBytes(dir.Sub("keys")).find(wrapped), std::string::npos);
  vault->reset();
  auto reopened = KeyVault::Open(dir.Sub("keys"), master);
  ASSERT_OK(reopened.status());
  EXPECT_EQ(RevealIdentity(**reopened, Ref("p-1"), **sealed, true).state(), cv1::IDENTITY_ERASED);
  EXPECT_FALSE((*reopened)->Find("p-1")->has_value());
}

}  // namespace
}  // namespace yilian::privacy
